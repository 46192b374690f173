// -m icmp (iptables-extensions(8) "icmp"; kernel net/ipv4/netfilter/ip_tables.c icmp_match,
// libxt_icmp.c with its name table, `iptables -p icmp -h`).

import type { PacketCtx } from '../context.js';
import { type ArgReader, type Match, type MatchModule, paramError, type RuleView } from '../module.js';

export interface IcmpInfo {
  type: number;
  codeMin: number;
  codeMax: number;
  invert: boolean;
}

/** [name, type, codeMin, codeMax] in libxt_icmp's order (aliases included; the first hit prints). */
const ICMP_CODES: readonly [string, number, number, number][] = [
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['pong', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['ping', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
];

function parseIcmpType(text: string): [number, number, number] {
  const hits = ICMP_CODES.filter(([n]) => n.toLowerCase().startsWith(text.toLowerCase()));
  const exact = hits.find(([n]) => n.toLowerCase() === text.toLowerCase());
  if (exact !== undefined) return [exact[1], exact[2], exact[3]];
  if (hits.length > 1 && hits.some((h) => h[1] !== hits[0]![1] || h[2] !== hits[0]![2]))
    throw paramError(`Ambiguous ICMP type \`${text}': \`${hits[0]![0]}' or \`${hits[1]![0]}'?`);
  if (hits.length >= 1) return [hits[0]![1], hits[0]![2], hits[0]![3]];
  const m = /^([0-9]+)(?:\/([0-9]+))?$/.exec(text);
  if (m === null || Number(m[1]) > 255) throw paramError(`Unknown ICMP type \`${text}'`);
  if (m[2] !== undefined) {
    const code = Number(m[2]);
    if (code > 255) throw paramError(`Invalid ICMP code \`${m[2]}'`);
    return [Number(m[1]), code, code];
  }
  return [Number(m[1]), 0, 0xff];
}

class IcmpMatch implements Match {
  constructor(
    private readonly type: number,
    private readonly min: number,
    private readonly max: number,
    private readonly inv: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    if (ctx.fragOff !== 0) return false;
    if (ctx.l4Avail < 8) {
      ctx.hotdrop = 1;
      return false;
    }
    const hit =
      this.type === 0xff ||
      (ctx.icmpType === this.type && ctx.icmpCode >= this.min && ctx.icmpCode <= this.max);
    return hit !== this.inv;
  }
}

export const icmpModule: MatchModule<IcmpInfo> = {
  name: 'icmp',
  options: ['--icmp-type'],
  create: () => ({ type: 0xff, codeMin: 0, codeMax: 0xff, invert: false }),
  parse(info, _opt, args: ArgReader, invert) {
    const [t, a, b] = parseIcmpType(args.arg());
    info.type = t;
    info.codeMin = a;
    info.codeMax = b;
    info.invert = invert;
  },
  print(i, _r, numeric) {
    let s = ' icmp';
    if (!numeric) {
      const hit = ICMP_CODES.find(([, t, a, b]) => t === i.type && a === i.codeMin && b === i.codeMax);
      if (hit !== undefined) return `${s} ${i.invert ? '!' : ''}${hit[0]}`;
    }
    if (i.invert) s += ' !';
    s += `type ${i.type}`;
    if (i.codeMin === i.codeMax) s += ` code ${i.codeMin}`;
    else if (i.codeMin !== 0 || i.codeMax !== 0xff) s += ` codes ${i.codeMin}-${i.codeMax}`;
    return s;
  },
  save(i) {
    let s = i.invert ? ' !' : '';
    if (i.type === 0xff) return `${s} --icmp-type any`;
    s += ` --icmp-type ${i.type}`;
    if (i.codeMin !== 0 || i.codeMax !== 0xff) s += `/${i.codeMin}`;
    return s;
  },
  compile: (i) => new IcmpMatch(i.type, i.codeMin, i.codeMax, i.invert),
  validate: (_i, _e, r: RuleView) => (r.proto !== 1 || r.invProto ? 'EINVAL' : null),
};
