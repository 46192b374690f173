// -m tcp (iptables-extensions(8) "tcp"; kernel net/netfilter/xt_tcpudp.c tcp_mt, libxt_tcp.c).
// Non-first fragments never match; a header too short to read sets hotdrop (the packet is dropped).

import type { PacketCtx } from '../context.js';
import {
  type ArgReader,
  type Match,
  type MatchModule,
  paramError,
  type RuleView,
  XtError,
} from '../module.js';
import { parsePortRange, portText } from './ports.js';

export interface TcpInfo {
  spts: [number, number];
  dpts: [number, number];
  invSrc: boolean;
  invDst: boolean;
  option: number;
  invOption: boolean;
  flgMask: number;
  flgCmp: number;
  invFlags: boolean;
}

const FLAG_NAMES: readonly [string, number][] = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
  ['ALL', 0x3f],
  ['NONE', 0],
];

function parseFlags(text: string): number {
  let v = 0;
  for (const word of text.split(',')) {
    const f = FLAG_NAMES.find(([n]) => n.toLowerCase() === word.toLowerCase());
    if (f === undefined) throw paramError(`Unknown TCP flag \`${word}'`);
    v |= f[1];
  }
  return v;
}

/** print_tcpf: names in FIN..URG order, or NONE. */
export function tcpFlagsText(flags: number): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) if (flags & FLAG_NAMES[i]![1]) out.push(FLAG_NAMES[i]![0]);
  return out.length === 0 ? 'NONE' : out.join(',');
}

/** print_ports of libxt_tcp/libxt_udp. */
export function portsPrint(
  name: string,
  r: [number, number],
  inv: boolean,
  proto: number,
  numeric: boolean,
): string {
  if (r[0] === 0 && r[1] === 0xffff && !inv) return '';
  const i = inv ? '!' : '';
  if (r[0] === r[1]) return ` ${name}:${i}${portText(r[0], proto, numeric)}`;
  return ` ${name}s:${i}${portText(r[0], proto, numeric)}:${portText(r[1], proto, numeric)}`;
}

export function portsSave(opt: string, r: [number, number], inv: boolean): string {
  if (r[0] === 0 && r[1] === 0xffff) return '';
  return `${inv ? ' !' : ''} ${opt} ${r[0] === r[1] ? r[0] : `${r[0]}:${r[1]}`}`;
}

class TcpMatch implements Match {
  constructor(
    private readonly sMin: number,
    private readonly sMax: number,
    private readonly dMin: number,
    private readonly dMax: number,
    private readonly invS: boolean,
    private readonly invD: boolean,
    private readonly mask: number,
    private readonly cmp: number,
    private readonly invF: boolean,
    private readonly option: number,
    private readonly invO: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    if (ctx.fragOff !== 0) return false;
    if (ctx.l4Avail < 20) {
      ctx.hotdrop = 1;
      return false;
    }
    const sp = ctx.sport;
    if ((sp >= this.sMin && sp <= this.sMax) === this.invS) return false;
    const dp = ctx.dport;
    if ((dp >= this.dMin && dp <= this.dMax) === this.invD) return false;
    if (((ctx.tcpFlags & this.mask) === this.cmp) === this.invF) return false;
    if (this.option !== 0 || this.invO) {
      const found = tcpHasOption(ctx, this.option);
      if (found < 0) return false;
      if ((found === 1) === this.invO) return false;
    }
    return true;
  }
}

/** tcp_find_option: 1 found, 0 not found, -1 = options unreadable (hotdrop). */
function tcpHasOption(ctx: PacketCtx, kind: number): number {
  const u8 = ctx.u8;
  const th = ctx.l4Off;
  const doff = (u8[th + 12]! >> 4) * 4;
  if (doff < 20 || ctx.l4Avail < doff) {
    ctx.hotdrop = 1;
    return -1;
  }
  for (let i = 20; i < doff; ) {
    const k = u8[th + i]!;
    if (k === kind) return 1;
    if (k < 2) i++;
    else {
      const l = u8[th + i + 1]!;
      i += Math.max(l, 1);
    }
  }
  return 0;
}

export const tcpModule: MatchModule<TcpInfo> = {
  name: 'tcp',
  options: [
    '--source-port',
    '--sport',
    '--destination-port',
    '--dport',
    '--tcp-flags',
    '--syn',
    '--tcp-option',
  ],
  create: () => ({
    spts: [0, 0xffff],
    dpts: [0, 0xffff],
    invSrc: false,
    invDst: false,
    option: 0,
    invOption: false,
    flgMask: 0,
    flgCmp: 0,
    invFlags: false,
  }),
  parse(info, opt, args: ArgReader, invert) {
    switch (opt) {
      case '--source-port':
      case '--sport':
        info.spts = parsePortRange(args.arg(), 6);
        info.invSrc = invert;
        break;
      case '--destination-port':
      case '--dport':
        info.dpts = parsePortRange(args.arg(), 6);
        info.invDst = invert;
        break;
      case '--syn':
        info.flgMask = 0x17;
        info.flgCmp = 0x02;
        info.invFlags = invert;
        break;
      case '--tcp-flags': {
        const mask = args.arg();
        const cmp = args.peekExtra();
        if (cmp === null) throw paramError('--tcp-flags requires two args.');
        args.takeExtra();
        info.flgMask = parseFlags(mask);
        info.flgCmp = parseFlags(cmp);
        info.invFlags = invert;
        break;
      }
      case '--tcp-option': {
        const t = args.arg();
        const n = /^[0-9]+$/.test(t) ? Number(t) : -1;
        if (n < 0 || n > 255) throw paramError(`Bad TCP option "${t}"`);
        info.option = n;
        info.invOption = invert;
        break;
      }
    }
  },
  print(info, _r, numeric) {
    let s = ' tcp';
    s += portsPrint('spt', info.spts, info.invSrc, 6, numeric);
    s += portsPrint('dpt', info.dpts, info.invDst, 6, numeric);
    if (info.option !== 0 || info.invOption) s += ` option=${info.invOption ? '!' : ''}${info.option}`;
    if (info.flgMask !== 0 || info.invFlags) {
      s += ` flags:${info.invFlags ? '!' : ''}`;
      if (numeric) s += `0x${hex2(info.flgMask)}/0x${hex2(info.flgCmp)}`;
      else s += `${tcpFlagsText(info.flgMask)}/${tcpFlagsText(info.flgCmp)}`;
    }
    return s;
  },
  save(info) {
    let s = portsSave('--sport', info.spts, info.invSrc) + portsSave('--dport', info.dpts, info.invDst);
    if (info.option !== 0 || info.invOption) s += `${info.invOption ? ' !' : ''} --tcp-option ${info.option}`;
    if (info.flgMask !== 0 || info.invFlags)
      s += `${info.invFlags ? ' !' : ''} --tcp-flags ${tcpFlagsText(info.flgMask)} ${tcpFlagsText(info.flgCmp)}`;
    return s;
  },
  finalCheck(_i, r: RuleView) {
    if (r.proto !== 6 || r.invProto) throw paramError("TCP match requires '-p tcp'");
  },
  compile: (i) =>
    new TcpMatch(
      i.spts[0],
      i.spts[1],
      i.dpts[0],
      i.dpts[1],
      i.invSrc,
      i.invDst,
      i.flgMask,
      i.flgCmp,
      i.invFlags,
      i.option,
      i.invOption,
    ),
  validate: (_i, _e, r: RuleView) => (r.proto !== 6 || r.invProto ? 'EINVAL' : null),
};

function hex2(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}

export { XtError };
