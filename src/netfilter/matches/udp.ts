// -m udp (iptables-extensions(8) "udp"; kernel xt_tcpudp.c udp_mt, libxt_udp.c).

import type { PacketCtx } from '../context.js';
import { type ArgReader, type Match, type MatchModule, paramError, type RuleView } from '../module.js';
import { parsePortRange } from './ports.js';
import { portsPrint, portsSave } from './tcp.js';

export interface UdpInfo {
  spts: [number, number];
  dpts: [number, number];
  invSrc: boolean;
  invDst: boolean;
}

class UdpMatch implements Match {
  constructor(
    private readonly sMin: number,
    private readonly sMax: number,
    private readonly dMin: number,
    private readonly dMax: number,
    private readonly invS: boolean,
    private readonly invD: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    if (ctx.fragOff !== 0) return false;
    if (ctx.l4Avail < 8) {
      ctx.hotdrop = 1;
      return false;
    }
    const sp = ctx.sport;
    if ((sp >= this.sMin && sp <= this.sMax) === this.invS) return false;
    const dp = ctx.dport;
    return (dp >= this.dMin && dp <= this.dMax) !== this.invD;
  }
}

export const udpModule: MatchModule<UdpInfo> = {
  name: 'udp',
  options: ['--source-port', '--sport', '--destination-port', '--dport'],
  create: () => ({ spts: [0, 0xffff], dpts: [0, 0xffff], invSrc: false, invDst: false }),
  parse(info, opt, args: ArgReader, invert) {
    if (opt === '--source-port' || opt === '--sport') {
      info.spts = parsePortRange(args.arg(), 17);
      info.invSrc = invert;
    } else {
      info.dpts = parsePortRange(args.arg(), 17);
      info.invDst = invert;
    }
  },
  print: (i, _r, numeric) =>
    ` udp${portsPrint('spt', i.spts, i.invSrc, 17, numeric)}${portsPrint('dpt', i.dpts, i.invDst, 17, numeric)}`,
  save: (i) => portsSave('--sport', i.spts, i.invSrc) + portsSave('--dport', i.dpts, i.invDst),
  finalCheck(_i, r: RuleView) {
    if (r.proto !== 17 || r.invProto) throw paramError("UDP match requires '-p udp'");
  },
  compile: (i) => new UdpMatch(i.spts[0], i.spts[1], i.dpts[0], i.dpts[1], i.invSrc, i.invDst),
  validate: (_i, _e, r: RuleView) => (r.proto !== 17 || r.invProto ? 'EINVAL' : null),
};
