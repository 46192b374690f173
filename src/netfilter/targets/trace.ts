// -j TRACE (iptables-extensions(8) "TRACE"): marks the packet so every later rule it hits is reported
// (to `Netfilter.tracer`, the explanation layer, instead of nf_log). iptables-nft turns TRACE into
// `meta nftrace set 1`, which any table accepts (recorded: `iptables -A INPUT -j TRACE` succeeds).

import type { PacketCtx } from '../context.js';
import type { Target, TargetModule } from '../module.js';
import { XT_CONTINUE } from '../verdict.js';

class TraceTarget implements Target {
  exec(ctx: PacketCtx): number {
    ctx.trace = 1;
    return XT_CONTINUE;
  }
}

export const traceModule: TargetModule<Record<string, never>> = {
  name: 'TRACE',
  options: [],
  create: () => ({}),
  parse() {},
  print: () => '',
  save: () => '',
  compile: () => new TraceTarget(),
};
