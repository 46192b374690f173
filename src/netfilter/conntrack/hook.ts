// Glue between the rule engine (src/netfilter/hooks.ts: `ConntrackHook`, `NatHook`, `NatTargets`) and
// the conntrack/NAT core. `installConntrack(nf)` puts one adapter on a namespace's Netfilter:
//
//   nf.conntrack.inHook(hook, ctx)   nf_conntrack_in at −200 (PREROUTING/OUTPUT); honours ctx.notrack;
//                                    fills ctx.ctId / ctState / ctDir.
//   nf.conntrack.confirm(hook, ctx)  nf_confirm, last in INPUT/POSTROUTING.
//   nf.nat.natHook(hook, ctx)        the nat table's slot: runs `nf.runTable(Nat, …)` only for a NEW
//                                    connection without a binding for this manip type, then `Nat.finish`.
//   nf.natTargets.nat(kind, info, ctx)  SNAT/DNAT/MASQUERADE/REDIRECT: `info` carries nf_nat_range2's
//                                    fields (`NatTargetInfo`); kind numbers are `NatKind`.
//
// Verdicts: Verdict.Accept (1) / Verdict.Drop (0). A conntrack drop's reason (CtTableFull, insert
// clash) is kept in `lastDrop`; nf_conntrack_in's is also handed to the hook's caller as
// `nf.dropReason`, so a full table is counted as CtTableFull, not as a rule's NetfilterDrop.

import { Drop } from '../../net/drop-reason.js';
import { explainConntrack, explainNatBinding, explainNatRewrite } from '../../trace/ct-points.js';
import { CtState, type PacketCtx } from '../context.js';
import { Hook, TableId } from '../hook-id.js';
import type { ConntrackHook, NatHook, NatTargets, Netfilter } from '../hooks.js';
import { NatFlag, type NatHookState, NatManip, NatRange } from '../nat/nat.js';
import type { NatInfo as RuleNatInfo } from '../targets/nat.js';
import { Verdict } from '../verdict.js';
import { type Conntrack, conntrackOf } from './conntrack.js';
import { CT_UNTRACKED, CtInfo, Ips } from './tuple.js';

/** Target kinds for `NatTargets.nat`. */
export const NatKind = Object.freeze({ SNAT: 0, DNAT: 1, MASQUERADE: 2, REDIRECT: 3 } as const);

/** What a NAT target's parsed info must carry (`struct nf_nat_range2`, host order). */
export interface NatTargetInfo {
  flags: number;
  minAddr: number;
  maxAddr: number;
  minProto: number;
  maxProto: number;
  baseProto?: number;
}

/** xt_conntrack's state bit of a frame (`XT_CONNTRACK_STATE_BIT`). */
export function ctStateOf(id: number): number {
  if (id < 0) return CtState.Invalid;
  const info = id & 7;
  if (info === CtInfo.Untracked) return CtState.Untracked;
  if (info === CtInfo.New) return CtState.New;
  if (info === CtInfo.Related || info === CtInfo.RelatedReply) return CtState.Related;
  return CtState.Established;
}

export class ConntrackAdapter implements ConntrackHook, NatHook, NatTargets {
  /** Reason of the last drop this adapter decided (Drop.*), for callers that count precisely. */
  lastDrop: number = Drop.NotSpecified;
  private readonly st: NatHookState = { inDev: null, outDev: null, nextHop: 0 };
  private readonly range = new NatRange();

  constructor(
    readonly ct: Conntrack,
    private readonly nf: Netfilter,
  ) {}

  inHook(hook: number, ctx: PacketCtx): number {
    const pool = this.ct.world.pool;
    const h = ctx.h;
    if (ctx.notrack !== 0 && pool.ctId[h] === -1) pool.ctId[h] = CT_UNTRACKED;
    const d = this.ct.in(hook, h, ctx.l3Off);
    this.fill(ctx);
    if (ctx.trace !== 0) explainConntrack(this.ct, ctx, d);
    if (d !== 0) {
      this.lastDrop = d;
      this.nf.dropReason = d as Drop;
      return Verdict.Drop;
    }
    return Verdict.Accept;
  }

  confirm(_hook: number, ctx: PacketCtx): number {
    const d = this.ct.confirm(ctx.h);
    this.fill(ctx);
    if (d !== 0) {
      this.lastDrop = d;
      return Verdict.Drop;
    }
    return Verdict.Accept;
  }

  attach(ctx: PacketCtx): void {
    this.fill(ctx);
  }

  private fill(ctx: PacketCtx): void {
    const id = this.ct.world.pool.ctId[ctx.h]!;
    ctx.ctId = id;
    let s = ctStateOf(id);
    if (id >= 0 && (id & 7) !== CtInfo.Untracked) {
      const st = this.ct.table.status[id >> 3]!;
      if (st & Ips.SRC_NAT) s |= CtState.Snat;
      if (st & Ips.DST_NAT) s |= CtState.Dnat;
    }
    ctx.ctState = s;
    ctx.ctDir = id >= 0 && (id & 7) >= CtInfo.EstablishedReply && (id & 7) !== CtInfo.Untracked ? 1 : 0;
  }

  ctField(ctx: PacketCtx, field: number): number {
    const id = ctx.ctId;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return 0;
    const r = id >> 3;
    const tb = this.ct.table;
    switch (field) {
      case 0:
        return tb.origSrc[r]!;
      case 1:
        return tb.origDst[r]!;
      case 2:
        return tb.replySrc[r]!;
      case 3:
        return tb.replyDst[r]!;
      case 4:
        return tb.origSport[r]!;
      case 5:
        return tb.origDport[r]!;
      case 6:
        return tb.replySport[r]!;
      case 7:
        return tb.replyDport[r]!;
      case 8:
        return tb.proto[r]!;
      case 9:
        return tb.status[r]! & 0xffff;
      case 10: {
        const rem = tb.expires[r]! - this.ct.now;
        return rem > 0 ? Math.floor(rem / 1e9) : 0;
      }
      case 11:
        return tb.mark[r]!;
      default:
        return 0;
    }
  }

  ctSetMark(ctx: PacketCtx, mark: number): void {
    const id = ctx.ctId;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return;
    this.ct.table.mark[id >> 3] = mark >>> 0;
  }

  natHook(hook: number, ctx: PacketCtx): number {
    const nat = this.ct.nat;
    if (nat.needsRules(ctx.h, hook)) {
      const v = this.nf.runTable(TableId.Nat, hook, ctx);
      if (v !== Verdict.Accept) return v;
    }
    // Devices are looked up only when a target needs them (`nat` below) or a masqueraded connection's
    // output device is checked (Nat.oifChanged): not for every established packet.
    const d = nat.finish(hook, ctx.h, ctx.l3Off, ctx.outDev);
    if (ctx.trace !== 0) explainNatRewrite(this.ct, ctx, hook);
    if (d !== 0) {
      this.lastDrop = d;
      return Verdict.Drop;
    }
    return Verdict.Accept;
  }

  nat(kind: number, info: unknown, ctx: PacketCtx): number {
    const id = ctx.ctId;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return Verdict.Accept;
    const r = id >> 3;
    const range = this.range;
    const t = info as Partial<RuleNatInfo>;
    if (t.minIp !== undefined) {
      // The iptables targets' parsed form (targets/nat.ts NatInfo) → nf_nat_range2 (xt_nat.c).
      range.flags =
        (t.mapIps ? NatFlag.MAP_IPS : 0) |
        (t.protoSpecified ? NatFlag.PROTO_SPECIFIED : 0) |
        (t.random ? NatFlag.PROTO_RANDOM : 0) |
        (t.randomFully ? NatFlag.PROTO_RANDOM_FULLY : 0) |
        (t.persistent ? NatFlag.PERSISTENT : 0);
      range.minAddr = t.minIp >>> 0;
      range.maxAddr = (t.maxIp ?? t.minIp) >>> 0;
      range.minProto = t.minPort ?? 0;
      range.maxProto = t.maxPort ?? 0;
      range.baseProto = 0;
    } else {
      const i = info as NatTargetInfo;
      range.flags = i.flags;
      range.minAddr = i.minAddr >>> 0;
      range.maxAddr = i.maxAddr >>> 0;
      range.minProto = i.minProto;
      range.maxProto = i.maxProto;
      range.baseProto = i.baseProto ?? 0;
    }
    const nat = this.ct.nat;
    let d: number;
    switch (kind) {
      case NatKind.SNAT:
        d = nat.setupInfo(r, range, NatManip.Src);
        break;
      case NatKind.DNAT:
        d = nat.setupInfo(r, range, NatManip.Dst);
        break;
      case NatKind.MASQUERADE:
        d = nat.masquerade(r, range, this.state(ctx), ctx.dst);
        break;
      case NatKind.REDIRECT:
        d = nat.redirect(r, range, ctx.hook, this.state(ctx));
        break;
      default:
        d = 0;
    }
    if (ctx.trace !== 0) explainNatBinding(this.ct, ctx, kind, r, d);
    if (d !== 0) {
      this.lastDrop = d;
      return Verdict.Drop;
    }
    return Verdict.Accept;
  }

  private state(ctx: PacketCtx): NatHookState {
    const devs = this.ct.world.devices;
    const st = this.st;
    st.inDev = ctx.inDev >= 0 ? (devs[ctx.inDev] ?? null) : null;
    st.outDev = ctx.outDev >= 0 ? (devs[ctx.outDev] ?? null) : null;
    st.nextHop = 0;
    return st;
  }
}

/** Installs conntrack and NAT on a namespace's Netfilter (idempotent); returns the adapter. */
export function installConntrack(nf: Netfilter): ConntrackAdapter {
  if (nf.ns === null) throw new Error('conntrack needs a namespace');
  const existing = nf.conntrack;
  if (existing instanceof ConntrackAdapter) return existing;
  const a = new ConntrackAdapter(conntrackOf(nf.ns), nf);
  nf.conntrack = a;
  nf.nat = a;
  nf.natTargets = a;
  nf.changed();
  return a;
}

export { Hook };
