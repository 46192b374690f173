// -j REJECT (iptables-extensions(8) "REJECT"; kernel net/ipv4/netfilter/ipt_REJECT.c): filter table,
// INPUT/FORWARD/OUTPUT (and user chains reached only from them); tcp-reset needs `-p tcp`. The reply is
// built by the IPv4 layer (`Netfilter.rejecter`, nf_send_unreach / nf_send_reset semantics: no error in
// reply to an ICMP error, a broadcast or a non-first fragment); the packet itself is dropped.

import type { PacketCtx } from '../context.js';
import { Hook } from '../hook-id.js';
import { type ArgReader, paramError, type Target, type TargetModule } from '../module.js';
import { Verdict } from '../verdict.js';

/** enum ipt_reject_with, with libipt_REJECT's names and aliases. */
export const REJECT_WITH: readonly [string, string, number][] = [
  ['icmp-net-unreachable', 'net-unreach', 0],
  ['icmp-host-unreachable', 'host-unreach', 1],
  ['icmp-proto-unreachable', 'proto-unreach', 2],
  ['icmp-port-unreachable', 'port-unreach', 3],
  ['icmp-net-prohibited', 'net-prohib', 5],
  ['icmp-host-prohibited', 'host-prohib', 6],
  ['tcp-reset', 'tcp-rst', 7],
  ['icmp-admin-prohibited', 'admin-prohib', 8],
];
export const RejectWith = {
  NetUnreachable: 0,
  HostUnreachable: 1,
  ProtoUnreachable: 2,
  PortUnreachable: 3,
  NetProhibited: 5,
  HostProhibited: 6,
  TcpReset: 7,
  AdminProhibited: 8,
} as const;

export interface RejectInfo {
  with: number;
}

class RejectTarget implements Target {
  constructor(private readonly kind: number) {}
  exec(ctx: PacketCtx): number {
    const r = ctx.nf.rejecter;
    if (r !== null) r.reject(ctx, this.kind);
    return Verdict.Drop;
  }
}

const nameOf = (w: number) => REJECT_WITH.find((e) => e[2] === w)![0];

export const rejectModule: TargetModule<RejectInfo> = {
  name: 'REJECT',
  options: ['--reject-with'],
  table: 'filter',
  hooks: (1 << Hook.LocalIn) | (1 << Hook.Forward) | (1 << Hook.LocalOut),
  create: () => ({ with: RejectWith.PortUnreachable }),
  parse(info, _opt, args: ArgReader) {
    const t = args.arg();
    const hit = REJECT_WITH.find(([a, b]) => a === t || b === t);
    if (hit === undefined) throw paramError(`unknown reject type "${t}"`);
    info.with = hit[2];
  },
  print: (i) => ` reject-with ${nameOf(i.with)}`,
  save: (i) => ` --reject-with ${nameOf(i.with)}`,
  compile: (i) => new RejectTarget(i.with),
  validate: (i, _e, r) => (i.with === RejectWith.TcpReset && (r.proto !== 6 || r.invProto) ? 'EINVAL' : null),
};
