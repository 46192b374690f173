// -m multiport (iptables-extensions(8) "multiport"; kernel xt_multiport.c ports_match_v1,
// libxt_multiport.c revision 1: up to 15 ports, a range counting as two).

import type { PacketCtx } from '../context.js';
import { type ArgReader, type Match, type MatchModule, paramError, type RuleView } from '../module.js';
import { parsePort, portText } from './ports.js';

export const MP = { Source: 0, Dest: 1, Either: 2 } as const;

export interface MultiportInfo {
  flags: number;
  /** Flat list; a range is [lo, hi] with `range[i]` true at lo's index (pflags). */
  ports: number[];
  pflags: boolean[];
  invert: boolean;
}

const PORT_PROTOS = [6, 17, 136, 132, 33];

class MultiportMatch implements Match {
  constructor(
    private readonly flags: number,
    private readonly ports: Uint16Array,
    private readonly pflags: Uint8Array,
    private readonly inv: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    if (ctx.fragOff !== 0) return false;
    if (ctx.l4Avail < 4) {
      ctx.hotdrop = 1;
      return false;
    }
    const s = ctx.sport;
    const d = ctx.dport;
    const ports = this.ports;
    const f = this.flags;
    for (let i = 0; i < ports.length; i++) {
      const lo = ports[i]!;
      if (this.pflags[i] !== 0) {
        const hi = ports[++i]!;
        if (f !== MP.Dest && s >= lo && s <= hi) return !this.inv;
        if (f !== MP.Source && d >= lo && d <= hi) return !this.inv;
      } else {
        if (f !== MP.Dest && s === lo) return !this.inv;
        if (f !== MP.Source && d === lo) return !this.inv;
      }
    }
    return this.inv;
  }
}

function portList(i: MultiportInfo, proto: number, numeric: boolean): string {
  let s = '';
  for (let k = 0; k < i.ports.length; k++) {
    s += (k ? ',' : '') + portText(i.ports[k]!, proto, numeric);
    if (i.pflags[k]) s += `:${portText(i.ports[++k]!, proto, numeric)}`;
  }
  return s;
}

export const multiportModule: MatchModule<MultiportInfo> = {
  name: 'multiport',
  options: ['--source-ports', '--sports', '--destination-ports', '--dports', '--ports'],
  create: () => ({ flags: MP.Either, ports: [], pflags: [], invert: false }),
  parse(info, opt, args: ArgReader, invert, rule: RuleView) {
    if (rule.invProto || !PORT_PROTOS.includes(rule.proto))
      throw paramError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
    const text = args.arg();
    info.flags =
      opt === '--source-ports' || opt === '--sports' ? MP.Source : opt === '--ports' ? MP.Either : MP.Dest;
    info.ports = [];
    info.pflags = [];
    for (const item of text.split(',')) {
      const colon = item.indexOf(':');
      if (colon >= 0) {
        const lo = parsePort(item.slice(0, colon), rule.proto);
        const hi = parsePort(item.slice(colon + 1), rule.proto);
        if (lo > hi) throw paramError('invalid portrange specified');
        info.ports.push(lo, hi);
        info.pflags.push(true, false);
      } else {
        info.ports.push(parsePort(item, rule.proto));
        info.pflags.push(false);
      }
      if (info.ports.length > 15) throw paramError('too many ports specified');
    }
    info.invert = invert;
  },
  print(i, r, numeric) {
    const kind = i.flags === MP.Source ? 'sports ' : i.flags === MP.Dest ? 'dports ' : 'ports ';
    return ` multiport ${kind}${i.invert ? ' !' : ''}${portList(i, r.proto, numeric)}`;
  },
  save(i, r) {
    const kind = i.flags === MP.Source ? '--sports' : i.flags === MP.Dest ? '--dports' : '--ports';
    return `${i.invert ? ' !' : ''} ${kind} ${portList(i, r.proto, true)}`;
  },
  compile: (i) =>
    new MultiportMatch(i.flags, Uint16Array.from(i.ports), Uint8Array.from(i.pflags, Number), i.invert),
  validate: (_i, _e, r) => (r.invProto || !PORT_PROTOS.includes(r.proto) ? 'EINVAL' : null),
};
