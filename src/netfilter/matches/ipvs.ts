// -m ipvs (iptables-extensions(8) "ipvs"; libxt_ipvs.c parse/print/save, kernel xt_ipvs.c ipvs_mt).
//
// Per packet (ipvs_mt): `--ipvs` alone tests skb->ipvs_property (`pool.ipvs[h]`, set when IPVS
// transmitted or rewrote the frame). Any other option implies --ipvs and needs the IPVS connection,
// found as ip_vs_conn_out_get with the header inverted: a packet from the client to the real server
// (a masq request after IPVS's DNAT, e.g. in POSTROUTING). --vproto tests the packet's protocol,
// --vdir the conntrack direction (no conntrack entry: no match).

import { Ipvs } from '../../ipvs/ipvs.js';
import type { Namespace } from '../../net/namespace.js';
import { ipv4ToString } from '../../wire/ipv4-address.js';
import type { PacketCtx } from '../context.js';
import { type Match, type MatchModule, paramError } from '../module.js';
import { protoByName } from '../names.js';
import { parseCidrArg } from './addr.js';
import { parsePort } from './ports.js';

/** XT_IPVS_* bits (include/uapi/linux/netfilter/xt_ipvs.h). */
const B = Object.freeze({
  Property: 1 << 0,
  Proto: 1 << 1,
  Vaddr: 1 << 2,
  Vport: 1 << 3,
  Dir: 1 << 4,
  Method: 1 << 5,
  Vportctl: 1 << 6,
} as const);
const ONCE_MASK = 0x7e;

/** IP_VS_CONN_F_MASQ / TUNNEL / DROUTE. */
const METHODS: readonly [string, number][] = [
  ['GATE', 3],
  ['IPIP', 2],
  ['MASQ', 0],
];

export interface IpvsMatchInfo {
  bitmask: number;
  invert: number;
  l4proto: number;
  vaddr: number;
  vmask: number;
  vport: number;
  vportctl: number;
  fwdMethod: number;
}

const OPTS = ['--ipvs', '--vproto', '--vaddr', '--vport', '--vdir', '--vmethod', '--vportctl'];

class IpvsMatch implements Match {
  private ns: Namespace | null = null;
  private ipvs: Ipvs | null = null;
  constructor(private readonly i: IpvsMatchInfo) {}

  match(ctx: PacketCtx): boolean {
    const i = this.i;
    const ns = ctx.nf.ns;
    if (ns === null) return false;
    const prop = ns.world.pool.ipvs[ctx.h]! !== 0;
    if (i.bitmask === B.Property) return prop !== ((i.invert & B.Property) !== 0);
    if (!prop) return false;
    if ((i.bitmask & B.Proto) !== 0 && (ctx.proto === i.l4proto) !== ((i.invert & B.Proto) === 0))
      return false;
    if (ctx.proto !== 6 && ctx.proto !== 17) return false; // ip_vs_proto_get: TCP/UDP modelled
    if (ctx.l4Avail < 4) return false;
    if (this.ns !== ns || this.ipvs === null) {
      this.ns = ns;
      this.ipvs = Ipvs.peek(ns) ?? null;
    }
    const ipvs = this.ipvs;
    if (ipvs === null) return false;
    const c = ipvs.conns;
    // conn_out_get with IP_VS_HDR_INVERSE: real server = packet destination, client = packet source.
    const cp = c.findOut(ctx.proto, ctx.dst | 0, ctx.dport, ctx.src | 0, ctx.sport);
    if (cp < 0) return false;
    if ((i.bitmask & B.Vport) !== 0 && (c.vport[cp] === i.vport) !== ((i.invert & B.Vport) === 0))
      return false;
    if ((i.bitmask & B.Vportctl) !== 0) {
      const ct = c.control[cp]!;
      if ((ct >= 0 && c.vport[ct] === i.vportctl) !== ((i.invert & B.Vportctl) === 0)) return false;
    }
    if ((i.bitmask & B.Dir) !== 0) {
      const id = ctx.ctId;
      if (id < 0 || (id & 7) === 7) return false;
      if ((id & 7) >= 3 !== ((i.invert & B.Dir) !== 0)) return false;
    }
    if (
      (i.bitmask & B.Method) !== 0 &&
      ((c.flags[cp]! & 7) === i.fwdMethod) !== ((i.invert & B.Method) === 0)
    )
      return false;
    if (
      (i.bitmask & B.Vaddr) !== 0 &&
      (((c.vaddr[cp]! ^ i.vaddr) & i.vmask) >>> 0 === 0) !== ((i.invert & B.Vaddr) === 0)
    )
      return false;
    return true;
  }
}

function maskSuffix(mask: number): string {
  if (mask === 0xffffffff) return '';
  let bits = 0;
  let m = mask >>> 0;
  while (m & 0x80000000) {
    bits++;
    m = (m << 1) >>> 0;
  }
  return m === 0 ? `/${bits}` : `/${ipv4ToString(mask)}`;
}

/** ipvs_mt_dump: `prefix` is '' for -L and '--' for -S / iptables-save. */
function dump(i: IpvsMatchInfo, numeric: boolean, prefix: string): string {
  let s = '';
  const inv = (b: number) => ((i.invert & b) !== 0 ? ' !' : '');
  if (i.bitmask === B.Property) s += `${inv(B.Property)} ${prefix}ipvs`;
  if (i.bitmask & B.Proto) s += `${inv(B.Proto)} ${prefix}proto ${i.l4proto}`;
  if (i.bitmask & B.Vaddr) {
    s += `${inv(B.Vaddr)} ${prefix}vaddr`;
    if (!numeric && i.vaddr === 0) s += ' anywhere';
    else s += ` ${ipv4ToString(i.vaddr)}${maskSuffix(i.vmask)}`;
  }
  if (i.bitmask & B.Vport) s += `${inv(B.Vport)} ${prefix}vport ${i.vport}`;
  if (i.bitmask & B.Dir) s += ` ${prefix}vdir ${(i.invert & B.Dir) !== 0 ? 'REPLY' : 'ORIGINAL'}`;
  if (i.bitmask & B.Method) {
    const m = METHODS.find(([, v]) => v === i.fwdMethod);
    s += `${inv(B.Method)} ${prefix}vmethod ${m === undefined ? 'UNKNOWN' : m[0]}`;
  }
  if (i.bitmask & B.Vportctl) s += `${inv(B.Vportctl)} ${prefix}vportctl ${i.vportctl}`;
  return s;
}

export const ipvsModule: MatchModule<IpvsMatchInfo> = {
  name: 'ipvs',
  options: OPTS,
  create: () => ({
    bitmask: 0,
    invert: 0,
    l4proto: 0,
    vaddr: 0,
    vmask: 0,
    vport: 0,
    vportctl: 0,
    fwdMethod: 0,
  }),
  parse(i, opt, args, invert) {
    const id = OPTS.indexOf(opt);
    const name = opt.slice(2);
    if (invert && opt === '--vdir') throw paramError(`ipvs: option "--${name}" cannot be inverted.`);
    const bad = (v: string) => paramError(`ipvs: Bad value for "--${name}" option: "${v}"`);
    switch (opt) {
      case '--vproto': {
        const t = args.arg();
        const p = /^[0-9]+$/.test(t) ? Number(t) : protoByName(t);
        if (p < 0 || p > 255) throw paramError(`unknown protocol "${t}" specified`);
        i.l4proto = p;
        break;
      }
      case '--vaddr': {
        const c = parseCidrArg(args.arg());
        i.vaddr = c.addr;
        i.vmask = c.mask;
        break;
      }
      case '--vport':
        i.vport = parsePort(args.arg(), 6);
        break;
      case '--vportctl':
        i.vportctl = parsePort(args.arg(), 6);
        break;
      case '--vdir': {
        const t = args.arg();
        if (t.toUpperCase() === 'ORIGINAL') i.invert &= ~B.Dir;
        else if (t.toUpperCase() === 'REPLY') i.invert |= B.Dir;
        else throw bad(t);
        break;
      }
      case '--vmethod': {
        const t = args.arg();
        const m = METHODS.find(([n]) => n === t.toUpperCase());
        if (m === undefined) throw bad(t);
        i.fwdMethod = m[1];
        break;
      }
    }
    i.bitmask |= 1 << id;
    if (invert) i.invert |= 1 << id;
  },
  finalCheck(i) {
    if (i.bitmask === 0) throw paramError('IPVS: At least one option is required');
    if (i.bitmask & ONCE_MASK) {
      if (i.invert & B.Property) throw paramError('! --ipvs cannot be together with other options');
      i.bitmask |= B.Property;
    }
  },
  print: (i, _r, numeric) => dump(i, numeric, ''),
  save: (i) => dump(i, true, '--'),
  compile: (i) => new IpvsMatch(i),
};
