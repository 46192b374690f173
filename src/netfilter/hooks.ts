// The per-namespace netfilter instance: tables at the five IPv4 hooks and the traversal.
//
// ENTRY API (for the IPv4 layer, the bridge's br_netfilter and the lead)
//
//   const nf = netfilterOf(ns);                       // one per namespace, created on first use
//   if (nf.active[Hook.LocalIn] !== 0) {              // a Uint8Array: 0 = nothing registered at this hook
//     const v = nf.run(Hook.LocalIn, h, l3Off, inDevId, -1);
//     if (v !== Verdict.Accept) { if (v === Verdict.Drop) world.drop(h, nf.dropReason, inDevId); return; }
//   }                                                  // Verdict.Stolen: a target took the frame
//
//   run(hook, h, l3Off, inDev, outDev): Verdict
//     hook   Hook.PreRouting | LocalIn | Forward | LocalOut | PostRouting   (src/netfilter/hook-id.ts)
//     h      frame handle; l3Off = offset of the IPv4 header in pool.bytesOf(h); the header must already
//            have passed the IPv4 layer's checks (ip_rcv_core) — run trusts IHL and total length.
//     inDev  world device id the packet arrived on (PREROUTING, INPUT, FORWARD), else -1
//     outDev world device id chosen by routing (FORWARD, OUTPUT, POSTROUTING), else -1
//   runBridged(hook, h, l3Off, inDev, outDev, physIn, physOut, bridged) — br_netfilter: inDev/outDev are
//     the bridge device, physIn/physOut its ports (-1 when unknown), bridged = 1 while being bridged.
//   Where the kernel calls them: ip_rcv → PREROUTING (in=dev); ip_local_deliver → INPUT (in=dev);
//   ip_forward → FORWARD (in, out); __ip_local_out → OUTPUT (out); ip_output → POSTROUTING (out).
//   The verdict is computed with no allocation; `run` reads pool.mark into ctx.mark and writes it back.
//
// Tables per hook, in priority order (include/uapi/linux/netfilter_ipv4.h NF_IP_PRI_*):
//   PREROUTING  raw −300, [conntrack −200], mangle −150, nat (DNAT) −100
//   INPUT       mangle −150, filter 0, nat (SNAT) 100, [conntrack confirm]
//   FORWARD     mangle −150, filter 0
//   OUTPUT      raw −300, [conntrack −200], mangle −150, nat (DNAT) −100, filter 0
//   POSTROUTING mangle −150, nat (SNAT) 100, [conntrack confirm]
// A table takes part once it exists (iptables-nft creates it on the first write); `active[hook]` is
// recomputed on every ruleset change and when conntrack/NAT hooks are installed.
//
// INTERFACES LEFT FOR CONNTRACK / NAT (install on the instance; null = absent)
//   nf.conntrack: ConntrackHook — inHook(hook, ctx) at −200 (PREROUTING/OUTPUT): set ctx.ctId/ctState/ctDir
//     (CtState bits, context.ts), honour ctx.notrack; confirm(hook, ctx) last in INPUT/POSTROUTING. Return
//     a Verdict. ctField/ctSetMark serve the conntrack/connmark matches and CONNMARK (CtField below).
//   nf.nat: NatHook — natHook(hook, ctx) replaces the nat table's slot: for a NEW connection without a
//     binding it calls `nf.runTable(TableId.Nat, hook, ctx)` (the nat table is consulted only then, as
//     nf_nat_inet_fn does), then applies the binding to the packet. Without it the nat table is run for
//     every packet and NAT targets only end traversal with ACCEPT.
//   nf.natTargets: NatTargets — what SNAT/DNAT/MASQUERADE/REDIRECT call (their parsed info included).
//   nf.rejecter: Rejecter — REJECT's reply (ICMP error / TCP RST) is built and sent by the IPv4 layer.
//   nf.addrTypes: AddrTypeSource — inet_addr_type / inet_dev_addr_type for -m addrtype.
//   nf.logSink / nf.tracer — LOG records and per-rule traces for the explanation layer.
//   nf.ipvs: IpvsNfHook — IPVS's hooks as pseudo-tables at their kernel priorities (HOOK_ORDER):
//     INPUT   … filter 0, [ipvs out 98], [ipvs in 99], nat 100 …
//     FORWARD … filter 0, [ipvs forward-icmp 99], [ipvs out 100]
//     OUTPUT  … nat −100, [ipvs out −99], [ipvs in −98], filter 0
//     so one `run` keeps the tables and IPVS in the kernel's order without splitting the hook.

import { Drop } from '../net/drop-reason.js';
import type { Namespace } from '../net/namespace.js';
import { NfVerdict } from '../trace/explain.js';
import { traceHook, traceTable } from '../trace/points.js';
import { ruleTextOf } from '../trace/rule-text.js';
import { CtState, PacketCtx } from './context.js';
import { HOOK_COUNT, Hook, TableId } from './hook-id.js';
import { NfBridge } from './nf-bridge.js';
import type { CompiledTable } from './table.js';
import { F, MAX_JUMP_DEPTH, T, Table } from './table.js';
import { VERDICT_NAMES, Verdict, XT_CONTINUE, XT_RETURN } from './verdict.js';

export { Hook, TableId } from './hook-id.js';

/** Conntrack fields the conntrack match and CONNMARK read through `ConntrackHook.ctField`. */
export const CtField = {
  OrigSrc: 0,
  OrigDst: 1,
  ReplSrc: 2,
  ReplDst: 3,
  OrigSrcPort: 4,
  OrigDstPort: 5,
  ReplSrcPort: 6,
  ReplDstPort: 7,
  Proto: 8,
  /** IPS_* status bits (EXPECTED 1, SEEN_REPLY 2, ASSURED 4, CONFIRMED 8). */
  Status: 9,
  /** Seconds until expiry. */
  Expires: 10,
  Mark: 11,
} as const;

export interface ConntrackHook {
  inHook(hook: number, ctx: PacketCtx): number;
  confirm(hook: number, ctx: PacketCtx): number;
  ctField(ctx: PacketCtx, field: number): number;
  ctSetMark(ctx: PacketCtx, mark: number): void;
  /** ctx.ctState/ctDir from the frame's entry at hooks after nf_conntrack_in (INPUT, FORWARD, POSTROUTING). */
  attach?(ctx: PacketCtx): void;
}

export interface NatHook {
  natHook(hook: number, ctx: PacketCtx): number;
}

/** Parsed NAT target parameters (targets/nat.ts NatInfo), handed over untouched. */
export interface NatTargets {
  /** kind: 'SNAT' | 'DNAT' | 'MASQUERADE' | 'REDIRECT'; returns a Verdict (normally Accept). */
  nat(kind: number, info: unknown, ctx: PacketCtx): number;
}

/** REJECT kinds (targets/reject.ts REJECT_WITH order). */
export interface Rejecter {
  reject(ctx: PacketCtx, kind: number): void;
}

/** RTN_* type of a local-table lookup: RTN_LOCAL (2), RTN_BROADCAST (3), … or RTN_UNICAST (1). */
export interface AddrTypeSource {
  /** devId -1: any device (inet_addr_type); else restricted to that device (inet_dev_addr_type). */
  localType(addr: number, devId: number): number;
}

export interface NfLogSink {
  log(ctx: PacketCtx, prefix: string, level: number, table: number, rule: number): void;
}

export interface NfTracer {
  /** kind 0 = rule matched, 1 = return, 2 = policy (nf_trace's "rule", "return", "policy"). */
  trace(ctx: PacketCtx, table: number, chain: number, ruleNum: number, kind: number): void;
}

/**
 * IPVS's netfilter hooks (ip_vs_core.c `ip_vs_ops4`), installed by src/net/ipv4/ipvs-glue.ts when the
 * first virtual service is added (ip_vs_register_hooks). Both return a Verdict; Verdict.Stolen means
 * IPVS took the frame for transmission to a real server (the IPv4 layer finishes it, see glue).
 */
export interface IpvsNfHook {
  /** `ip_vs_out_hook`: LOCAL_IN NF_IP_PRI_NAT_SRC-2, LOCAL_OUT NF_IP_PRI_NAT_DST+1, FORWARD 100. */
  outHook(hook: number, ctx: PacketCtx): number;
  /** `ip_vs_in_hook`: LOCAL_IN NF_IP_PRI_NAT_SRC-1, LOCAL_OUT NF_IP_PRI_NAT_DST+2; FORWARD 99 = `ip_vs_forward_icmp`. */
  inHook(hook: number, ctx: PacketCtx): number;
}

/** Pseudo-entries in a hook's table list. */
const CT_IN = -1;
const CT_CONFIRM = -2;
const IPVS_OUT = -3;
const IPVS_IN = -4;
// IPVS sits between the tables by priority: after filter (0) and before SNAT (100) in INPUT, right
// after DNAT (-100) and before filter in OUTPUT, after filter in FORWARD (99 and 100).
const HOOK_ORDER: readonly (readonly number[])[] = [
  [TableId.Raw, CT_IN, TableId.Mangle, TableId.Nat],
  [TableId.Mangle, TableId.Filter, IPVS_OUT, IPVS_IN, TableId.Nat, CT_CONFIRM],
  [TableId.Mangle, TableId.Filter, IPVS_IN, IPVS_OUT],
  [TableId.Raw, CT_IN, TableId.Mangle, TableId.Nat, IPVS_OUT, IPVS_IN, TableId.Filter],
  [TableId.Mangle, TableId.Nat, CT_CONFIRM],
];

export class Netfilter {
  readonly tables: Table[] = [new Table(0), new Table(1), new Table(2), new Table(3)];
  /** Per hook: 1 when run() has anything to do (checked by callers before calling run). */
  readonly active = new Uint8Array(HOOK_COUNT);
  readonly ctx: PacketCtx;
  conntrack: ConntrackHook | null = null;
  /** IPVS hooks (null until a virtual service exists in the namespace). */
  ipvs: IpvsNfHook | null = null;
  nat: NatHook | null = null;
  natTargets: NatTargets | null = null;
  rejecter: Rejecter | null = null;
  addrTypes: AddrTypeSource | null = null;
  logSink: NfLogSink | null = null;
  tracer: NfTracer | null = null;
  /** Last deciding table (-1 = none) for explanations; ctx.lastRule holds the rule index. */
  lastTable = -1;
  /**
   * Why the last traversal that returned Verdict.Drop dropped (a Drop code for `world.drop`):
   * NetfilterDrop, or CtTableFull when conntrack could not create an entry (nf_conntrack's
   * "table full, dropping packet"). Set by the conntrack adapter.
   */
  dropReason: Drop = Drop.NetfilterDrop;

  private readonly compiled: (CompiledTable | null)[] = [null, null, null, null];
  /**
   * Per hook, the HOOK_ORDER entries that take part (existing tables, installed conntrack/IPVS), as
   * the kernel runs only the hook functions registered at a hook; recomputed by `changed()`.
   */
  private readonly steps: Int8Array[] = HOOK_ORDER.map(() => new Int8Array(0));
  /**
   * Per hook, 1 when the header fields must be read at hook entry: a table or IPVS step follows the
   * nat step, and the traversal has always shown those the header as it entered the hook.
   */
  private readonly eagerParse = new Uint8Array(HOOK_COUNT);
  private readonly stackRule = new Int32Array(MAX_JUMP_DEPTH + 1);
  private readonly stackEnd = new Int32Array(MAX_JUMP_DEPTH + 1);
  // Interface patterns: id → text; per-device memo of pattern matches (0 unknown, 1 no, 2 yes).
  private readonly patterns: string[] = [];
  private readonly patternIds = new Map<string, number>();
  private memo = new Uint8Array(0);
  private memoDevs = 0;
  private memoPats = 0;
  private readonly devNames: string[] = [];

  constructor(readonly ns: Namespace | null = null) {
    this.ctx = new PacketCtx(this);
  }

  /** Interns an interface pattern (`eth0`, `veth+`). */
  ifPattern(name: string): number {
    let id = this.patternIds.get(name);
    if (id === undefined) {
      id = this.patterns.length;
      this.patterns.push(name);
      this.patternIds.set(name, id);
    }
    return id;
  }

  /** Call after any edit to a table (the command layer does): recomputes `active`. */
  /** Called after every ruleset change (conntrack registers itself on demand from here). */
  readonly changeListeners: (() => void)[] = [];

  changed(): void {
    for (const fn of this.changeListeners) fn();
    for (let t = 0; t < 4; t++) this.compiled[t] = null;
    this.active.fill(0);
    for (let hook = 0; hook < HOOK_COUNT; hook++) {
      const on = HOOK_ORDER[hook]!.filter((t) =>
        t === IPVS_OUT || t === IPVS_IN
          ? this.ipvs !== null
          : t < 0
            ? this.conntrack !== null
            : this.tables[t]!.exists,
      );
      this.steps[hook] = Int8Array.from(on);
      if (on.length > 0) this.active[hook] = 1;
      const natAt = on.indexOf(TableId.Nat);
      this.eagerParse[hook] =
        natAt >= 0 && on.some((t, i) => i > natAt && (t >= 0 || t === IPVS_OUT || t === IPVS_IN)) ? 1 : 0;
    }
  }

  private table(t: number): CompiledTable {
    let c = this.compiled[t]!;
    if (c === null || this.tables[t]!.dirty) {
      c = this.tables[t]!.compile((n) => this.ifPattern(n));
      this.compiled[t] = c;
      this.resizeMemo();
    }
    return c;
  }

  run(hook: number, h: number, l3Off: number, inDev: number, outDev: number): number {
    const ctx = this.ctx;
    // A frame that entered by a bridge port with br_netfilter on keeps its physindev while it is
    // routed (nf_bridge_info stays on the skb), so -m physdev --physdev-in matches in INPUT/FORWARD.
    const pool = this.poolOf();
    const nb = pool === null ? -1 : pool.nfBridge[h]!;
    ctx.physIn = nb < 0 ? -1 : nb & NfBridge.DevMask;
    ctx.physOut = -1;
    ctx.bridged = 0;
    return this.runHook(hook, h, l3Off, inDev, outDev);
  }

  runBridged(
    hook: number,
    h: number,
    l3Off: number,
    inDev: number,
    outDev: number,
    physIn: number,
    physOut: number,
    bridged: number,
  ): number {
    const ctx = this.ctx;
    ctx.physIn = physIn;
    ctx.physOut = physOut;
    ctx.bridged = bridged;
    return this.runHook(hook, h, l3Off, inDev, outDev);
  }

  private runHook(hook: number, h: number, l3Off: number, inDev: number, outDev: number): number {
    const ctx = this.ctx;
    this.load(ctx, h, l3Off);
    // The entry nf_conntrack_in attached at PREROUTING/OUTPUT travels with the skb: later hooks see
    // its state (xt_conntrack reads skb->_nfct).
    if (hook !== Hook.PreRouting && hook !== Hook.LocalOut && this.conntrack !== null)
      this.conntrack.attach?.(ctx);
    ctx.hook = hook;
    ctx.inDev = inDev;
    ctx.outDev = outDev;
    ctx.hotdrop = 0;
    ctx.lastRule = -1;
    this.lastTable = -1;
    this.dropReason = Drop.NetfilterDrop;
    // Explanations read the header fields, and so do the tables after a NAT step in this hook.
    if (ctx.trace !== 0 || this.eagerParse[hook] !== 0) this.parseHeaders(ctx);
    const steps = this.steps[hook]!;
    let v: number = Verdict.Accept;
    if (ctx.trace !== 0) explainHook(this, hook, h, inDev, outDev);
    for (let i = 0; i < steps.length; i++) {
      const t = steps[i]!;
      if (t >= 0) {
        const nat = this.nat;
        if (ctx.trace !== 0) this.lastTable = -1;
        v = t === TableId.Nat && nat !== null ? nat.natHook(hook, ctx) : this.runTable(t, hook, ctx);
        // The row is made from the verdict this traversal returns, after it returned: the explanation
        // and the packet's fate come from the same value.
        if (ctx.trace !== 0) explainTable(this, t, hook, h, inDev, outDev, v);
      } else if (t === CT_IN) {
        v = this.conntrack!.inHook(hook, ctx);
      } else if (t === CT_CONFIRM) {
        v = this.conntrack!.confirm(hook, ctx);
      } else if (t === IPVS_OUT) {
        if (ctx.parsed === 0) this.parseHeaders(ctx);
        v = this.ipvs!.outHook(hook, ctx);
      } else {
        if (ctx.parsed === 0) this.parseHeaders(ctx);
        v = this.ipvs!.inHook(hook, ctx);
      }
      if (v !== Verdict.Accept) break;
    }
    const pool = this.poolOf();
    if (pool !== null) pool.mark[h] = ctx.mark;
    return v;
  }

  private poolOf() {
    return this.ns === null ? null : this.ns.world.pool;
  }

  /** Frame bytes → ctx (the fields ip_packet_match and the L4 matches read). */
  private load(ctx: PacketCtx, h: number, l3Off: number): void {
    const pool = this.poolOf();
    if (pool !== null) {
      ctx.u8 = pool.bytesOf(h);
      ctx.end = pool.start[h]! + pool.len[h]!;
      ctx.mark = pool.mark[h]!;
      ctx.ctId = pool.ctId[h]!;
      ctx.trace = pool.traceId[h]! >= 0 ? 1 : 0;
    }
    ctx.h = h;
    ctx.l3Off = l3Off;
    this.resetCt(ctx);
    ctx.parsed = 0;
  }

  /** Fills ctx from `ctx.u8` at `l3Off` (tests without a world set u8/end/mark themselves). */
  parse(ctx: PacketCtx, l3Off: number): void {
    ctx.l3Off = l3Off;
    this.parseHeaders(ctx);
    this.resetCt(ctx);
  }

  /** ctx's conntrack fields before nf_conntrack_in or `attach` filled them. */
  private resetCt(ctx: PacketCtx): void {
    ctx.ctState = this.conntrack === null ? CtState.Invalid : 0;
    ctx.ctDir = 0;
    ctx.notrack = 0;
  }

  /**
   * The header fields rules and IPVS read (ip_packet_match, the L4 matches), from `ctx.u8` at
   * `ctx.l3Off`. Run on first need in a traversal (`ctx.parsed`): established NAT traffic crosses
   * PREROUTING and POSTROUTING through conntrack and the NAT binding alone, which read the frame.
   */
  private parseHeaders(ctx: PacketCtx): void {
    ctx.parsed = 1;
    const u8 = ctx.u8;
    const l3Off = ctx.l3Off;
    const ihl = (u8[l3Off]! & 15) << 2;
    const tot = (u8[l3Off + 2]! << 8) | u8[l3Off + 3]!;
    if (l3Off + tot < ctx.end) ctx.end = l3Off + tot;
    ctx.len = tot;
    ctx.proto = u8[l3Off + 9]!;
    ctx.fragOff = ((u8[l3Off + 6]! & 0x1f) << 8) | u8[l3Off + 7]!;
    ctx.src =
      ((u8[l3Off + 12]! << 24) | (u8[l3Off + 13]! << 16) | (u8[l3Off + 14]! << 8) | u8[l3Off + 15]!) >>> 0;
    ctx.dst =
      ((u8[l3Off + 16]! << 24) | (u8[l3Off + 17]! << 16) | (u8[l3Off + 18]! << 8) | u8[l3Off + 19]!) >>> 0;
    const l4 = l3Off + ihl;
    ctx.l4Off = l4;
    const avail = ctx.fragOff === 0 ? ctx.end - l4 : 0;
    ctx.l4Avail = avail;
    ctx.sport = avail >= 4 ? (u8[l4]! << 8) | u8[l4 + 1]! : 0;
    ctx.dport = avail >= 4 ? (u8[l4 + 2]! << 8) | u8[l4 + 3]! : 0;
    ctx.tcpFlags = avail >= 14 ? u8[l4 + 13]! : 0;
    ctx.icmpType = avail >= 1 ? u8[l4]! : 0;
    ctx.icmpCode = avail >= 2 ? u8[l4 + 1]! : 0;
  }

  /** Does device `dev` (-1 = none) match interface pattern `pat` (ip_packet_match's ifname compare)? */
  ifMatch(dev: number, pat: number): boolean {
    const row = dev + 1;
    if (row >= this.memoDevs) this.growMemo(row + 1);
    if (dev >= 0) this.checkDevName(dev);
    const k = row * this.memoPats + pat;
    let m = this.memo[k]!;
    if (m === 0) {
      m = this.computeIfMatch(dev, pat) ? 2 : 1;
      this.memo[k] = m;
    }
    return m === 2;
  }

  private checkDevName(dev: number): void {
    const d = this.ns?.world.devices[dev];
    const name = d === undefined ? '' : d.name;
    if (this.devNames[dev] !== name) {
      this.devNames[dev] = name;
      this.memo.fill(0, (dev + 1) * this.memoPats, (dev + 2) * this.memoPats);
    }
  }

  private computeIfMatch(dev: number, pat: number): boolean {
    const p = this.patterns[pat]!;
    const name = dev < 0 ? '' : (this.devNames[dev] ?? '');
    if (p.endsWith('+')) return name.startsWith(p.slice(0, -1));
    return name === p;
  }

  /** Makes room for every interned pattern (physdev interns its own at compile time). */
  resizeMemo(): void {
    if (this.patterns.length > this.memoPats)
      this.growMemo(Math.max(this.memoDevs, 8), this.patterns.length * 2);
  }

  private growMemo(devs: number, pats = this.memoPats): void {
    const nd = Math.max(devs, this.memoDevs * 2, 8);
    this.memo = new Uint8Array(nd * pats);
    this.memoDevs = nd;
    this.memoPats = pats;
  }

  /**
   * Traverses table `t`'s chain for `hook` (ipt_do_table): returns a Verdict. Public for the NAT hook,
   * which runs the nat table only for a connection's first packet.
   */
  runTable(t: number, hook: number, ctx: PacketCtx): number {
    if (ctx.parsed === 0) this.parseHeaders(ctx);
    const c = this.table(t);
    const baseChain = c.base[hook]!;
    if (baseChain < 0) return Verdict.Accept;
    const flags = c.flags;
    const tgt = c.tgt;
    const matchStart = c.matchStart;
    const matchList = c.matchList;
    const stackRule = this.stackRule;
    const stackEnd = this.stackEnd;
    const src = ctx.src;
    const dst = ctx.dst;
    const proto = ctx.proto;
    const isFrag = ctx.fragOff !== 0;
    let sp = 0;
    let r = c.chainStart[baseChain]!;
    let end = c.chainEnd[baseChain]!;
    for (;;) {
      if (r >= end) {
        // end of a chain: implicit RETURN, or the policy at the end of the base chain
        if (sp === 0) return this.policy(c, t, hook, baseChain, ctx);
        sp--;
        r = stackRule[sp]!;
        end = stackEnd[sp]!;
        continue;
      }
      // ip_packet_match
      const fl = flags[r]!;
      if (
        ((src & c.smsk[r]!) >>> 0 !== c.src[r]!) !== ((fl & F.InvSrc) !== 0) ||
        ((dst & c.dmsk[r]!) >>> 0 !== c.dst[r]!) !== ((fl & F.InvDst) !== 0)
      ) {
        r++;
        continue;
      }
      const pr = c.proto[r]!;
      if (pr !== 0 && (proto !== pr) !== ((fl & F.InvProto) !== 0)) {
        r++;
        continue;
      }
      if ((fl & F.Frag) !== 0 && !isFrag !== ((fl & F.InvFrag) !== 0)) {
        r++;
        continue;
      }
      const ip = c.inPat[r]!;
      if (ip >= 0 && this.ifMatch(ctx.inDev, ip) === ((fl & F.InvIn) !== 0)) {
        r++;
        continue;
      }
      const op = c.outPat[r]!;
      if (op >= 0 && this.ifMatch(ctx.outDev, op) === ((fl & F.InvOut) !== 0)) {
        r++;
        continue;
      }
      let ok = true;
      const me = matchStart[r + 1]!;
      for (let m = matchStart[r]!; m < me; m++) {
        if (!matchList[m]!.match(ctx)) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        if (ctx.hotdrop !== 0) {
          ctx.lastRule = r;
          this.lastTable = t;
          return Verdict.Drop;
        }
        r++;
        continue;
      }
      c.pkts[r]!++;
      c.bytes[r]! += ctx.len;
      if (ctx.trace !== 0 && this.tracer !== null)
        this.tracer.trace(ctx, t, c.chainOf[r]!, c.numInChain[r]!, 0);
      const tg = tgt[r]!;
      if (tg >= 0) {
        if ((fl & F.Goto) === 0) {
          stackRule[sp] = r + 1;
          stackEnd[sp] = end;
          sp++;
        }
        r = c.chainStart[tg]!;
        end = c.chainEnd[tg]!;
        continue;
      }
      let v: number;
      switch (tg) {
        case T.None:
          r++;
          continue;
        case T.Accept:
          v = Verdict.Accept;
          break;
        case T.Drop:
          v = Verdict.Drop;
          break;
        case T.Return:
          v = XT_RETURN;
          break;
        default:
          v = c.ext[r]!.exec(ctx);
          if (v === XT_CONTINUE) {
            r++;
            continue;
          }
      }
      if (v === XT_RETURN) {
        if (sp === 0) return this.policy(c, t, hook, baseChain, ctx);
        sp--;
        r = stackRule[sp]!;
        end = stackEnd[sp]!;
        continue;
      }
      ctx.lastRule = r;
      this.lastTable = t;
      return v;
    }
  }

  private policy(c: CompiledTable, t: number, hook: number, chain: number, ctx: PacketCtx): number {
    c.policyPkts[hook]!++;
    c.policyBytes[hook]! += ctx.len;
    if (ctx.trace !== 0 && this.tracer !== null) this.tracer.trace(ctx, t, chain, 0, 2);
    ctx.lastRule = -1;
    this.lastTable = t;
    return c.policy[hook]!;
  }
}

/** Traced frames only: the packet reached `hook` in this namespace. */
function explainHook(nf: Netfilter, hook: number, h: number, inDev: number, outDev: number): void {
  const w = nf.ns?.world;
  if (w === undefined) return;
  traceHook(w, w.pool.traceId[h]!, h, inDev >= 0 ? inDev : outDev, hook);
}

/**
 * Traced frames only: table `t` at `hook` returned `v`. The deciding rule is the one the traversal
 * left in ctx.lastRule / nf.lastTable (-1 = the chain's policy, or the nat table was not consulted).
 */
function explainTable(
  nf: Netfilter,
  t: number,
  hook: number,
  h: number,
  inDev: number,
  outDev: number,
  v: number,
): void {
  const w = nf.ns?.world;
  if (w === undefined) return;
  const ctx = nf.ctx;
  const dev = inDev >= 0 ? inDev : outDev;
  let verdict: number =
    v === Verdict.Drop ? NfVerdict.Drop : v === Verdict.Accept ? NfVerdict.Accept : NfVerdict.Stolen;
  let text: string;
  if (nf.lastTable === t) {
    const r = ctx.lastRule;
    text = ruleTextOf(nf, t, r, hook);
    if (r >= 0 && v === Verdict.Drop) {
      const rule = nf.tables[t]!.compiled?.rules[r];
      if (rule !== undefined && rule.target.kind === 'ext' && rule.target.mod.name === 'REJECT')
        verdict = NfVerdict.Reject;
    }
    if (r < 0) text += ' (policy: no rule decided)';
  } else if (t === TableId.Nat && nf.nat !== null) {
    // The NAT hook consults the nat table only for a connection's first packet (nf_nat_inet_fn).
    const id = ctx.ctId;
    const why = id < 0 ? 'no conntrack entry' : (id & 7) === 7 ? 'untracked' : 'not NEW';
    text = v === Verdict.Accept ? `nat table not consulted: ${why}` : `nat: ${VERDICT_NAMES[v] ?? v}`;
  } else {
    text = 'no rule decided';
  }
  traceTable(w, w.pool.traceId[h]!, h, dev, hook, t, verdict, text);
}

const instances = new WeakMap<Namespace, Netfilter>();

/** The namespace's netfilter state, created on first use (until Namespace grows a field for it). */
const createdHooks: ((nf: Netfilter) => void)[] = [];

/**
 * Runs `fn` on every Netfilter instance when it is created: the IPv4 layer installs its REJECT and
 * addrtype callbacks this way, and conntrack its on-demand registration, without this module
 * importing them.
 */
export function onNetfilterCreated(fn: (nf: Netfilter) => void): void {
  createdHooks.push(fn);
}

export function netfilterOf(ns: Namespace): Netfilter {
  let nf = instances.get(ns);
  if (nf === undefined) {
    nf = new Netfilter(ns);
    instances.set(ns, nf);
    // The IPv4 layer reads the field on its hot path instead of the map.
    ns.nf = nf;
    for (const fn of createdHooks) fn(nf);
  }
  return nf;
}
