// The conntrack core of one namespace: `nf_conntrack_in` (lookup or create, per-protocol tracking,
// ctinfo), `nf_conntrack_confirm` (insert at the last hook), table-full early drop, lazy expiry and
// the gc sweep, masquerade cleanup, and the listing used by conntrack(8) and reports.
//
// Heads up: read net/netfilter/nf_conntrack_core.c (`nf_conntrack_in`, `resolve_normal_ct`,
// `init_conntrack`, `__nf_conntrack_alloc`, `early_drop`, `__nf_conntrack_confirm`,
// `nf_ct_resolve_clash`, `gc_worker`) and nf_nat_masquerade.c (`masq_device_event`,
// `masq_inet_event`) before changing this file.
//
// How the IPv4 hooks call it (priorities as in the kernel):
//   PRE_ROUTING  -200  ct.in(NfHook.PreRouting, h, l3Off)        → 0 or a Drop reason
//   LOCAL_OUT    -200  ct.in(NfHook.LocalOut, h, l3Off)
//   PRE_ROUTING/LOCAL_OUT -100 and POST_ROUTING/LOCAL_IN +100: NAT (src/netfilter/nat/nat.ts)
//   POST_ROUTING / LOCAL_IN last: ct.confirm(h)                     → 0 or a Drop reason
// The result lives in `pool.ctId[h]` = row << 3 | ctinfo (-1 = no entry: ctstate INVALID; 7 =
// UNTRACKED), like skb->_nfct. A frame that leaves the namespace must have `ctId` reset to -1 (the
// kernel's skb_scrub_packet on veth/netns crossing). A frame dropped before confirmation should be
// reported with `ct.frameFreed(h)`; the gc sweep also reclaims unconfirmed rows whose frame is gone.

import type { Rng } from '../../core/rng.js';
import type { Device } from '../../net/device.js';
import { Drop } from '../../net/drop-reason.js';
import type { Namespace } from '../../net/namespace.js';
import type { World } from '../../net/world.js';
import { Nat } from '../nat/nat.js';
import { icmpError, icmpPacket } from './proto-icmp.js';
import { CtVerdict, tcpError, tcpNew, tcpPacket } from './proto-tcp.js';
import { udpError, udpPacket } from './proto-udp.js';
import { CtTable, RowUse } from './table.js';
import { CtSysctls } from './timeouts.js';
import {
  CT_NONE,
  CtInfo,
  Dir,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  Ips,
  icmpIsRequest,
  invertTuple,
  TupleParse,
  TupleScratch,
  tupleFromPacket,
  tupleFromQuote,
} from './tuple.js';

/** Netfilter IPv4 hooks (`enum nf_inet_hooks`). */
export const NfHook = Object.freeze({
  PreRouting: 0,
  LocalIn: 1,
  Forward: 2,
  LocalOut: 3,
  PostRouting: 4,
} as const);
export type NfHook = (typeof NfHook)[keyof typeof NfHook];

/** Index slots early drop examines from the new tuple's slot (~ NF_CT_EVICTION_RANGE buckets of 8). */
const EARLY_DROP_SLOTS = 16;
/** Minimum spacing of gc sweeps (the kernel's gc worker runs at most every jiffy-ish; 1 s here). */
const GC_MIN_INTERVAL_NS = 1_000_000_000;

/** Counters `conntrack -S` prints (`struct ip_conntrack_stat`). */
export class CtStats {
  found = 0;
  invalid = 0;
  insert = 0;
  insertFailed = 0;
  drop = 0;
  earlyDrop = 0;
  error = 0;
  searchRestart = 0;
  clashResolve = 0;
  chaintoolong = 0;
}

/** One entry as `conntrack -L` / reports see it (plain data; not for the hot path). */
export interface CtEntry {
  id: number;
  proto: number;
  /** TCP state name ("ESTABLISHED"), '' for other protocols. */
  state: string;
  /** Seconds until expiry, rounded down (as conntrack prints it). */
  timeout: number;
  orig: { src: number; dst: number; sport: number; dport: number };
  reply: { src: number; dst: number; sport: number; dport: number };
  status: number;
  mark: number;
  assured: boolean;
  unreplied: boolean;
}

export class Conntrack {
  readonly table = new CtTable();
  readonly sys: CtSysctls;
  readonly stats = new CtStats();
  readonly nat: Nat;
  readonly world: World;
  readonly rng: Rng;
  private readonly t = new TupleScratch();
  private readonly inv = new TupleScratch();
  private readonly inner = new TupleScratch();
  private gcEvent = -1;
  private gcAt = Number.POSITIVE_INFINITY;

  constructor(readonly ns: Namespace) {
    this.world = ns.world;
    this.sys = new CtSysctls(ns);
    this.rng = ns.world.sim.rng.stream(`nat:${ns.name}`);
    this.nat = new Nat(this);
  }

  get now(): number {
    return this.world.sim.now;
  }

  // ------------------------------------------------------------------ nf_conntrack_in

  /**
   * `nf_conntrack_in` at PRE_ROUTING or LOCAL_OUT for the IPv4 datagram at `l3Off` of frame `h`.
   * Sets `pool.ctId[h]`. Returns 0 (accept, possibly without an entry = INVALID) or a Drop reason.
   */
  in(_hook: number, h: number, l3Off: number): number {
    const pool = this.world.pool;
    if (pool.ctId[h] !== CT_NONE) return 0; // untracked (raw NOTRACK) or already attached
    const u8 = pool.bytesOf(h);
    const frameEnd = pool.start[h]! + pool.len[h]!;
    const t = this.t;
    const p = tupleFromPacket(u8, l3Off, frameEnd, t);
    if (p === TupleParse.Malformed || p === TupleParse.Fragment || p === TupleParse.IcmpNoConn) {
      this.stats.invalid++;
      return 0;
    }
    const l4 = t.l4Off;
    const end = t.end;
    const proto = t.proto;
    // l4proto->error
    if (
      (proto === IPPROTO_TCP && tcpError(u8, l4, end)) ||
      (proto === IPPROTO_UDP && udpError(u8, l4, end)) ||
      (proto === IPPROTO_ICMP && icmpError(u8, l4, end))
    ) {
      this.stats.error++;
      this.stats.invalid++;
      return 0;
    }
    if (p === TupleParse.IcmpError) return this.icmpRelated(h, u8, l4, end);
    const tb = this.table;
    for (;;) {
      // resolve_normal_ct
      const v = this.lookup(t);
      let r: number;
      let dir: number;
      let ctinfo: number;
      let created = false;
      if (v >= 0) {
        this.stats.found++;
        r = v >> 1;
        dir = v & 1;
        if (dir === Dir.Reply) ctinfo = CtInfo.EstablishedReply;
        else ctinfo = tb.status[r]! & Ips.SEEN_REPLY ? CtInfo.Established : CtInfo.New;
      } else {
        // init_conntrack
        if (!invertTuple(t, this.inv)) {
          this.stats.invalid++;
          return 0;
        }
        if (this.sys.max > 0 && tb.count >= this.sys.max && !this.earlyDrop(t)) {
          this.stats.drop++;
          return Drop.CtTableFull; // "nf_conntrack: table full, dropping packet"
        }
        r = tb.allocRow(this.world.sim);
        tb.setTuples(r, t, this.inv);
        tb.owner[r] = h;
        dir = Dir.Original;
        ctinfo = CtInfo.New;
        created = true;
        // l4proto->new
        if (
          (proto === IPPROTO_TCP && !tcpNew(tb, r, u8, l4, end, this.sys)) ||
          (proto === IPPROTO_ICMP && !icmpIsRequest(t.dport >>> 8))
        ) {
          tb.freeRow(r);
          this.stats.invalid++;
          return 0;
        }
      }
      // nf_conntrack_handle_packet
      let verdict: number;
      const clock = this.world.sim;
      if (proto === IPPROTO_TCP) verdict = tcpPacket(tb, r, dir, u8, l4, end, clock, this.sys);
      else if (proto === IPPROTO_UDP) verdict = udpPacket(tb, r, clock, this.sys);
      else if (proto === IPPROTO_ICMP) verdict = icmpPacket(tb, r, clock, this.sys);
      else {
        const t = this.sys.genericNs;
        tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? this.world.sim.now + t : t; // nf_ct_refresh
        verdict = CtVerdict.Accept;
      }
      if (verdict <= 0) {
        if (created) tb.freeRow(r);
        if (verdict === CtVerdict.Repeat) {
          // TCP reopen of a closed connection: kill it and look up again (-NF_REPEAT).
          this.destroy(r);
          this.stats.searchRestart++;
          continue;
        }
        this.stats.invalid++;
        if (verdict === CtVerdict.Drop) {
          this.stats.drop++;
          return Drop.NetfilterDrop;
        }
        return 0;
      }
      if (ctinfo === CtInfo.EstablishedReply) tb.status[r]! |= Ips.SEEN_REPLY;
      pool.ctId[h] = (r << 3) | ctinfo;
      return 0;
    }
  }

  /** `nf_conntrack_inet_error`: attach an ICMP error to the connection of the datagram it quotes. */
  private icmpRelated(h: number, u8: Uint8Array, l4: number, end: number): number {
    const inner = this.inner;
    if (tupleFromQuote(u8, l4 + 8, end, inner) !== TupleParse.Ok || !invertTuple(inner, this.inv)) {
      this.stats.invalid++;
      return 0;
    }
    const v = this.lookup(this.inv);
    if (v < 0) {
      this.stats.invalid++;
      return 0;
    }
    this.world.pool.ctId[h] =
      ((v >> 1) << 3) | ((v & 1) === Dir.Reply ? CtInfo.RelatedReply : CtInfo.Related);
    return 0;
  }

  /**
   * Index lookup with lazy expiry (`____nf_conntrack_find` + `nf_ct_gc_expired`) at the current time.
   * The clock is read here rather than passed in: a time past 2^30 ns handed to a call V8 does not
   * inline is boxed into a fresh HeapNumber (this was the ~16 B/packet of established NAT traffic).
   */
  lookup(t: TupleScratch): number {
    const tb = this.table;
    const now = this.world.sim.now;
    for (;;) {
      const v = tb.findTuple(t);
      if (v < 0) return -1;
      const r = v >> 1;
      if (tb.expires[r]! <= now) {
        this.destroy(r);
        continue;
      }
      return v;
    }
  }

  /** `early_drop`: evict one non-ASSURED confirmed entry near the new tuple's slot. */
  private earlyDrop(t: TupleScratch): boolean {
    const tb = this.table;
    const now = this.world.sim.now;
    const start = tb.slotOf(t);
    for (let i = 0; i < EARLY_DROP_SLOTS; i++) {
      const v = tb.slotValue(start + i);
      if (v < 0) continue;
      const r = v >> 1;
      if (tb.expires[r]! <= now || !(tb.status[r]! & Ips.ASSURED)) {
        this.destroy(r);
        this.stats.earlyDrop++;
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ confirm

  /**
   * `__nf_conntrack_confirm` at the last hook (POST_ROUTING / LOCAL_IN): puts an unconfirmed entry's
   * tuples into the table. A clash with an existing entry drops the packet (insert_failed), except
   * for UDP when the existing entry is identical (`nf_ct_resolve_clash`: the packet joins it).
   */
  confirm(h: number): number {
    const pool = this.world.pool;
    const id = pool.ctId[h]!;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return 0;
    const r = id >> 3;
    const tb = this.table;
    if (tb.inUse[r] !== RowUse.Unconfirmed) return 0;
    if ((id & 7) >= CtInfo.EstablishedReply) return 0;
    const now = this.now;
    const t = tb.readTuple(r, Dir.Original, this.t);
    const vo = this.lookup(t);
    const rt = tb.readTuple(r, Dir.Reply, this.inv);
    const vr = this.lookup(rt);
    if (vo >= 0 || vr >= 0) {
      const other = (vo >= 0 ? vo : vr) >> 1;
      if (tb.proto[r] === IPPROTO_UDP && vo >= 0 && vr >= 0 && vo >> 1 === vr >> 1 && (vo & 1) === 0) {
        // Identical entry exists: use it (clash resolved).
        tb.freeRow(r);
        pool.ctId[h] = (other << 3) | (id & 7);
        this.stats.clashResolve++;
        return 0;
      }
      tb.freeRow(r);
      pool.ctId[h] = CT_NONE;
      this.stats.insertFailed++;
      this.stats.drop++;
      return Drop.NetfilterDrop;
    }
    tb.expires[r] = tb.expires[r]! + now;
    tb.status[r]! |= Ips.CONFIRMED;
    tb.insertConfirmed(r);
    if (tb.expires[r]! < this.gcAt) this.scheduleGc(tb.expires[r]!);
    return 0;
  }

  /** A frame was dropped or consumed before its entry was confirmed: forget the entry. */
  frameFreed(h: number): void {
    const id = this.world.pool.ctId[h]!;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return;
    const r = id >> 3;
    if (this.table.inUse[r] === RowUse.Unconfirmed && this.table.owner[r] === h) this.table.freeRow(r);
  }

  /** Removes a connection (`nf_ct_delete`). */
  destroy(r: number): void {
    this.table.freeRow(r);
  }

  // ------------------------------------------------------------------ gc

  private scheduleGc(at: number): void {
    const sim = this.world.sim;
    const t = Math.max(Math.ceil(at), sim.now);
    if (this.gcEvent >= 0) sim.cancel(this.gcEvent);
    this.gcAt = t;
    this.gcEvent = sim.at(t, gcKind(this.world), this.ns.id, 0);
  }

  /** The gc worker: frees expired and orphaned rows, then schedules itself at the next expiry. */
  sweep(): void {
    const now = this.now;
    const tb = this.table;
    const pool = this.world.pool;
    this.gcEvent = -1;
    this.gcAt = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (let r = 0; r < tb.rowLimit; r++) {
      const use = tb.inUse[r]!;
      if (use === RowUse.Confirmed) {
        const e = tb.expires[r]!;
        if (e <= now) this.destroy(r);
        else if (e < next) next = e;
      } else if (use === RowUse.Unconfirmed) {
        const o = tb.owner[r]!;
        if (o < 0 || !pool.isLive(o) || pool.ctId[o]! >> 3 !== r) tb.freeRow(r);
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.scheduleGc(Math.max(next, now + GC_MIN_INTERVAL_NS));
  }

  // ------------------------------------------------------------------ configuration side

  /** Entries whose rows are confirmed and not expired, newest first. */
  liveRows(): number[] {
    const tb = this.table;
    const now = this.now;
    const rows: number[] = [];
    for (let r = 0; r < tb.rowLimit; r++) {
      if (tb.inUse[r] === RowUse.Confirmed && tb.expires[r]! > now) rows.push(r);
    }
    rows.sort((a, b) => tb.seq[b]! - tb.seq[a]!);
    return rows;
  }

  /** `conntrack -L` in JSON for reports. */
  entries(): CtEntry[] {
    const tb = this.table;
    const now = this.now;
    return this.liveRows().map((r) => ({
      id: r,
      proto: tb.proto[r]!,
      state: tb.proto[r] === IPPROTO_TCP ? TCP_NAMES[tb.tcpState[r]!]! : '',
      timeout: Math.floor((tb.expires[r]! - now) / 1e9),
      orig: { src: tb.origSrc[r]!, dst: tb.origDst[r]!, sport: tb.origSport[r]!, dport: tb.origDport[r]! },
      reply: {
        src: tb.replySrc[r]!,
        dst: tb.replyDst[r]!,
        sport: tb.replySport[r]!,
        dport: tb.replyDport[r]!,
      },
      status: tb.status[r]! & 0xffff,
      mark: tb.mark[r]!,
      assured: (tb.status[r]! & Ips.ASSURED) !== 0,
      unreplied: (tb.status[r]! & Ips.SEEN_REPLY) === 0,
    }));
  }

  /** `conntrack -F`: deletes every confirmed entry. */
  flush(): number {
    let n = 0;
    for (const r of this.liveRows()) {
      this.destroy(r);
      n++;
    }
    return n;
  }

  /** NETDEV_DOWN / unregister of `devId` (`masq_device_event`): drop its masqueraded entries. */
  masqDeviceDown(devId: number): number {
    const tb = this.table;
    let n = 0;
    for (let r = 0; r < tb.rowLimit; r++) {
      if (tb.inUse[r] === RowUse.Confirmed && tb.masqDev[r] === devId) {
        this.destroy(r);
        n++;
      }
    }
    return n;
  }

  /**
   * An address left device `devId` (`masq_inet_event` → `inet_cmp`): drop masqueraded entries of that
   * device whose reply goes to the address. The IPv4 address code should call this on deletion.
   */
  masqAddressRemoved(devId: number, addr: number): number {
    const tb = this.table;
    let n = 0;
    for (let r = 0; r < tb.rowLimit; r++) {
      if (tb.inUse[r] === RowUse.Confirmed && tb.masqDev[r] === devId && tb.replyDst[r] === addr >>> 0) {
        this.destroy(r);
        n++;
      }
    }
    return n;
  }
}

const TCP_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];

// ------------------------------------------------------------------ per-namespace registry

const byNs = new WeakMap<Namespace, Conntrack>();
const gcKinds = new WeakMap<World, number>();

function gcKind(world: World): number {
  let k = gcKinds.get(world);
  if (k === undefined) {
    k = world.sim.registerKind('conntrack-gc', (nsId) => {
      const ns = world.namespaceById(nsId);
      if (ns !== undefined) byNs.get(ns)?.sweep();
    });
    gcKinds.set(world, k);
    // nf_conntrack_pernet_exit: a deleted namespace's table goes with it.
    world.onNamespaceDeleted((ns) => {
      byNs.get(ns)?.flush();
      byNs.delete(ns);
    });
    // masq_device_event: a device going down or away takes its masqueraded entries with it.
    world.onNetdev((event, dev: Device) => {
      if (event !== 'down' && event !== 'unregister') return;
      const ct = byNs.get(dev.ns);
      if (ct !== undefined) ct.masqDeviceDown(dev.id);
    });
  }
  return k;
}

/** The conntrack instance of a namespace (created on first use, like loading nf_conntrack). */
export function conntrackOf(ns: Namespace): Conntrack {
  let ct = byNs.get(ns);
  if (ct === undefined) {
    gcKind(ns.world);
    ct = new Conntrack(ns);
    byNs.set(ns, ct);
  }
  return ct;
}

/** The instance if the namespace has one (no creation). */
export function conntrackIfAny(ns: Namespace): Conntrack | undefined {
  return byNs.get(ns);
}
