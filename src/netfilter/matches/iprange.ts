// -m iprange (iptables-extensions(8) "iprange"; kernel xt_iprange.c iprange_mt4, revision 1).

import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import type { PacketCtx } from '../context.js';
import { type ArgReader, type Match, type MatchModule, paramError } from '../module.js';

export interface IprangeInfo {
  src: [number, number] | null;
  dst: [number, number] | null;
  invSrc: boolean;
  invDst: boolean;
}

function parseRange(text: string): [number, number] {
  const dash = text.indexOf('-');
  const a = tryParseIpv4(dash < 0 ? text : text.slice(0, dash));
  const b = dash < 0 ? a : tryParseIpv4(text.slice(dash + 1));
  if (a < 0) throw paramError(`iprange match: Bad IP address "${dash < 0 ? text : text.slice(0, dash)}"`);
  if (b < 0) throw paramError(`iprange match: Bad IP address "${text.slice(dash + 1)}"`);
  return [a, b];
}

class IprangeMatch implements Match {
  constructor(
    private readonly sLo: number,
    private readonly sHi: number,
    private readonly dLo: number,
    private readonly dHi: number,
    private readonly useS: boolean,
    private readonly useD: boolean,
    private readonly invS: boolean,
    private readonly invD: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    if (this.useS && (ctx.src >= this.sLo && ctx.src <= this.sHi) === this.invS) return false;
    if (this.useD && (ctx.dst >= this.dLo && ctx.dst <= this.dHi) === this.invD) return false;
    return true;
  }
}

const rangeText = (r: [number, number]) => `${ipv4ToString(r[0])}-${ipv4ToString(r[1])}`;

export const iprangeModule: MatchModule<IprangeInfo> = {
  name: 'iprange',
  options: ['--src-range', '--dst-range'],
  create: () => ({ src: null, dst: null, invSrc: false, invDst: false }),
  parse(info, opt, args: ArgReader, invert) {
    if (opt === '--src-range') {
      info.src = parseRange(args.arg());
      info.invSrc = invert;
    } else {
      info.dst = parseRange(args.arg());
      info.invDst = invert;
    }
  },
  finalCheck(info) {
    if (info.src === null && info.dst === null)
      throw paramError("iprange match: You must specify `--src-range' or `--dst-range'");
  },
  print(i) {
    let s = '';
    if (i.src !== null) s += ` source IP range${i.invSrc ? ' !' : ''} ${rangeText(i.src)}`;
    if (i.dst !== null) s += ` destination IP range${i.invDst ? ' !' : ''} ${rangeText(i.dst)}`;
    return s;
  },
  save(i) {
    let s = '';
    if (i.src !== null) s += `${i.invSrc ? ' !' : ''} --src-range ${rangeText(i.src)}`;
    if (i.dst !== null) s += `${i.invDst ? ' !' : ''} --dst-range ${rangeText(i.dst)}`;
    return s;
  },
  compile: (i) =>
    new IprangeMatch(
      i.src?.[0] ?? 0,
      i.src?.[1] ?? 0,
      i.dst?.[0] ?? 0,
      i.dst?.[1] ?? 0,
      i.src !== null,
      i.dst !== null,
      i.invSrc,
      i.invDst,
    ),
};
