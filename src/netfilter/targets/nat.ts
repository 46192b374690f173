// -j SNAT / DNAT / MASQUERADE / REDIRECT (iptables-extensions(8); kernel net/netfilter/xt_nat.c,
// xt_MASQUERADE.c, xt_REDIRECT.c; libxt_SNAT/DNAT/MASQUERADE/REDIRECT). Parsing, printing and the
// table/hook restrictions are here; the effect is the NAT engine's (`Netfilter.natTargets.nat(kind, info,
// ctx)`), which sets up the connection's binding. Like the kernel targets they end traversal (ACCEPT).

import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import type { PacketCtx } from '../context.js';
import { Hook } from '../hook-id.js';
import {
  type ArgReader,
  paramError,
  type RuleView,
  type Target,
  type TargetModule,
  XtError,
} from '../module.js';
import { Verdict } from '../verdict.js';

export const NatKind = { Snat: 0, Dnat: 1, Masquerade: 2, Redirect: 3 } as const;

/** nf_nat_range2 in host order; flags as NF_NAT_RANGE_*. */
export interface NatInfo {
  kind: number;
  minIp: number;
  maxIp: number;
  minPort: number;
  maxPort: number;
  mapIps: boolean;
  protoSpecified: boolean;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
  given: boolean;
}

class NatTarget implements Target {
  constructor(private readonly info: NatInfo) {}
  exec(ctx: PacketCtx): number {
    const nt = ctx.nf.natTargets;
    return nt === null ? Verdict.Accept : nt.nat(this.info.kind, this.info, ctx);
  }
}

const PORT_PROTOS = [6, 17, 132, 33];

function parsePorts(info: NatInfo, text: string, rule: RuleView): void {
  if (rule.invProto || !PORT_PROTOS.includes(rule.proto))
    throw paramError('Need TCP, UDP, SCTP or DCCP with port specification');
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(text);
  if (m === null) throw paramError(`Invalid port:port syntax - use dash`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || lo === 0) throw paramError(`Port \`${m[1]}' not valid`);
  if (hi < lo) throw paramError(`Port range \`${text}' not valid`);
  info.minPort = lo;
  info.maxPort = hi;
  info.protoSpecified = true;
}

function parseRange(info: NatInfo, text: string, rule: RuleView): void {
  const colon = text.indexOf(':');
  const ips = colon < 0 ? text : text.slice(0, colon);
  if (colon >= 0) parsePorts(info, text.slice(colon + 1), rule);
  if (ips === '') return;
  const dash = ips.indexOf('-');
  const a = tryParseIpv4(dash < 0 ? ips : ips.slice(0, dash));
  const b = dash < 0 ? a : tryParseIpv4(ips.slice(dash + 1));
  if (a < 0 || b < 0)
    throw paramError(`Bad IP address "${dash < 0 || a < 0 ? ips.split('-')[0] : ips.slice(dash + 1)}"`);
  info.minIp = a;
  info.maxIp = b;
  info.mapIps = true;
}

function rangeText(i: NatInfo): string {
  let s = '';
  if (i.mapIps) s += ipv4ToString(i.minIp) + (i.maxIp !== i.minIp ? `-${ipv4ToString(i.maxIp)}` : '');
  if (i.protoSpecified) s += `:${i.minPort}${i.maxPort !== i.minPort ? `-${i.maxPort}` : ''}`;
  return s;
}

const portsText = (i: NatInfo) => `${i.minPort}${i.maxPort !== i.minPort ? `-${i.maxPort}` : ''}`;

function create(kind: number): NatInfo {
  return {
    kind,
    minIp: 0,
    maxIp: 0,
    minPort: 0,
    maxPort: 0,
    mapIps: false,
    protoSpecified: false,
    random: false,
    randomFully: false,
    persistent: false,
    given: false,
  };
}

function flagsPrint(i: NatInfo): string {
  return `${i.random ? ' random' : ''}${i.randomFully ? ' random-fully' : ''}${i.persistent ? ' persistent' : ''}`;
}
function flagsSave(i: NatInfo): string {
  return `${i.random ? ' --random' : ''}${i.randomFully ? ' --random-fully' : ''}${i.persistent ? ' --persistent' : ''}`;
}

function snatDnat(name: 'SNAT' | 'DNAT', kind: number, opt: string, hooks: number): TargetModule<NatInfo> {
  return {
    name,
    options: [opt, '--random', '--random-fully', '--persistent'],
    table: 'nat',
    hooks,
    create: () => create(kind),
    parse(info, o, args: ArgReader, _inv, rule) {
      if (o === opt) {
        if (info.given) throw paramError(`${name}: Multiple --${opt.slice(2)} not supported`);
        parseRange(info, args.arg(), rule);
        info.given = true;
      } else if (o === '--random') info.random = true;
      else if (o === '--random-fully') info.randomFully = true;
      else info.persistent = true;
    },
    finalCheck(info) {
      if (!info.given) throw new XtError(`${name}: option "${opt}" must be specified`, 'param-nl');
    },
    print: (i) => ` to:${rangeText(i)}${flagsPrint(i)}`,
    save: (i) => ` ${opt} ${rangeText(i)}${flagsSave(i)}`,
    compile: (i) => new NatTarget(i),
  };
}

export const snatModule = snatDnat(
  'SNAT',
  NatKind.Snat,
  '--to-source',
  (1 << Hook.PostRouting) | (1 << Hook.LocalIn),
);
export const dnatModule = snatDnat(
  'DNAT',
  NatKind.Dnat,
  '--to-destination',
  (1 << Hook.PreRouting) | (1 << Hook.LocalOut),
);

function portsOnly(name: 'MASQUERADE' | 'REDIRECT', kind: number, hooks: number): TargetModule<NatInfo> {
  return {
    name,
    options:
      name === 'MASQUERADE' ? ['--to-ports', '--random', '--random-fully'] : ['--to-ports', '--random'],
    table: 'nat',
    hooks,
    create: () => create(kind),
    parse(info, o, args: ArgReader, _inv, rule) {
      if (o === '--to-ports') parsePorts(info, args.arg(), rule);
      else if (o === '--random') info.random = true;
      else info.randomFully = true;
    },
    print(i) {
      let s = '';
      if (i.protoSpecified)
        s += name === 'MASQUERADE' ? ` masq ports: ${portsText(i)}` : ` redir ports ${portsText(i)}`;
      return s + flagsPrint(i);
    },
    save: (i) => (i.protoSpecified ? ` --to-ports ${portsText(i)}` : '') + flagsSave(i),
    compile: (i) => new NatTarget(i),
  };
}

export const masqueradeModule = portsOnly('MASQUERADE', NatKind.Masquerade, 1 << Hook.PostRouting);
export const redirectModule = portsOnly(
  'REDIRECT',
  NatKind.Redirect,
  (1 << Hook.PreRouting) | (1 << Hook.LocalOut),
);
