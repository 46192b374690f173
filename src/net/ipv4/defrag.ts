// IPv4 reassembly of one namespace (net/ipv4/ip_fragment.c `ip_defrag`, `ip_frag_queue`,
// `ip_frag_reasm`, `ip_expire`, `ip_frag_too_far`, `ip_frag_reinit`; net/ipv4/inet_fragment.c
// `inet_frag_find`, `inet_frag_queue_insert`, `inet_frag_kill`), Linux 6.18.
//
// Queues are keyed by (source, destination, Identification, protocol, user): `user` separates the
// local-delivery queues (IP_DEFRAG_LOCAL_DELIVER, from ip_local_deliver) from conntrack's
// (IP_DEFRAG_CONNTRACK_IN: nf_defrag_ipv4 at PREROUTING −400, called by the stack's receive when the
// namespace uses conntrack; the whole datagram then crosses the hooks, routing and forwarding, and
// output refragments it to `lastMaxSize` — frag_max_size — with DF on the pieces when
// `lastFragPmtu`; a forwarded DF datagram gets frag-needed only if that size exceeds the MTU).
// Checked on Linux 6.18 in namespaces (raw sockets): a duplicate inside a run still completes the
// datagram; an overlap (tail or before the tail) discards it with no timeout ICMP later; with
// ipfrag_time 2 the queue holding the first fragment answers ICMP 11/1 after 2.0 s, one without it
// stays silent.
//
// Per fragment (`ip_frag_queue`):
// - ipfrag_max_dist (64): every fragment from a source bumps that source's inet_peer `rid`; if more
//   than max_dist fragments from the source arrived since this queue's last one, the queue is
//   restarted (its fragments dropped as FragTooFar, timer re-armed).
// - end = offset + payload. A last fragment (MF clear) fixes the length: one ending before data
//   already queued, or a second last fragment with another end, discards the queue (FragInvalid). A
//   middle fragment's end is rounded down to a multiple of 8; one beyond a known length discards the
//   queue. An empty fragment discards the queue.
// - Insertion (`inet_frag_queue_insert`, RFC 5722 as amended by errata 3089): fragments form "runs"
//   (a run grows only when a fragment lands exactly at the current tail). A fragment entirely inside
//   one run is a duplicate: it alone is dropped (FragDuplicate). Any other overlap discards the whole
//   queue (FragOverlap).
// - Complete when the first (offset 0) and last fragments are in and the bytes queued equal the
//   length: `ip_frag_reasm` builds one datagram (header of the offset-0 fragment, Total Length set,
//   fragment field cleared — DF kept only when the largest fragment carried DF, as
//   IPSKB_FRAG_PMTU —, ECN combined by `ip_frag_ecn_table`: not-ECT mixed with ECT/CE is invalid,
//   CE wins otherwise). Longer than 65535 bytes: discarded. The result is a new frame (a large pool
//   slot when it does not fit an ordinary one); the fragments are consumed.
// - Timeout (`ip_expire`, ipfrag_time 30 s from the queue's creation, not refreshed): the queue is
//   killed (FragReasmTimeout); if its first fragment had arrived, ICMP time exceeded code 1 quoting it
//   is sent — for conntrack queues only when the datagram was for a local address
//   (`frag_expire_skip_icmp`). ICMP rate limits apply (type 11 is in icmp_ratemask).
// - Memory (`inet_frag_find`): above ipfrag_high_thresh (4 MiB) every fragment is refused
//   (FragMemory) until queues complete or expire. Accounting: a fragment counts its pool slot size
//   (the kernel counts skb->truesize), a queue 176 bytes (sizeof(struct ipq)). ipfrag_low_thresh is
//   accepted and ignored, as since Linux 4.17.
//
// Storage: queue rows and fragment nodes in typed arrays reused through free lists; the queue index is
// a Map from a numeric hash of the key to the first row of a collision chain. No allocation per
// fragment once the tables have grown. A namespace that never reassembles allocates none of them
// (columns start empty and shared, src/core/lazy-columns.ts).

import { grownCapacity, NO_F64, NO_I32, NO_INDEX, NO_U8, NO_U32 } from '../../core/lazy-columns.js';
import { rd16, rd32, wr16 } from '../../wire/bytes.js';
import { csumFull } from '../../wire/checksum.js';
import { IPV4_MF, IPV4_OFFSET_MASK } from '../../wire/ipv4.js';
import type { Device } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { World } from '../world.js';
import type { InetPeers } from './icmp-ratelimit.js';

/** Defragmentation users (`enum ip_defrag_users`, the part netsim uses). */
export const DefragUser = Object.freeze({ LocalDeliver: 0, ConntrackIn: 1 } as const);
export type DefragUser = (typeof DefragUser)[keyof typeof DefragUser];

const FIRST_IN = 1;
const LAST_IN = 2;
const IPQ_SIZE = 176;
const IP_DF = 0x4000;
const NONE = -1;

/** What the owning stack provides: time, the ICMP sender and "is this address ours". */
export interface DefragHost {
  readonly world: World;
  readonly peers: InetPeers;
  isLocalAddr(a: number): boolean;
  /** icmp_send(head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME) as received on device `iif`. */
  fragTimeoutIcmp(h: number, iif: number): void;
}

interface Kinds {
  expire: number;
  list: (Defrag | undefined)[];
}
const kindsByWorld = new WeakMap<World, Kinds>();

export class Defrag {
  private readonly world: World;
  // ---- queues ----
  private qSrc = NO_U32;
  private qDst = NO_U32;
  private qKey = NO_I32; // id << 16 | user << 8 | proto
  private qFlags = NO_U8;
  private qLen = NO_I32;
  private qMeat = NO_I32;
  private qMaxSize = NO_I32;
  private qMaxDf = NO_I32;
  private qEcn = NO_U8;
  private qIif = NO_I32;
  private qHead = NO_I32;
  private qTail = NO_I32;
  private qTailEnd = NO_I32;
  private qLastRun = NO_I32;
  private qTimer = NO_F64;
  private qGen = NO_F64;
  private qRid = NO_F64;
  private qPeer = NO_I32;
  private qChain = NO_I32;
  private qHash = NO_F64;
  private qLive = NO_U8;
  /** Bytes this queue accounts in `mem`. */
  private qMem = NO_F64;
  private qN = 0;
  private readonly qFree: number[] = [];
  private index = NO_INDEX;
  // ---- fragment nodes ----
  private nFrame = NO_I32;
  private nOff = NO_I32;
  private nEnd = NO_I32;
  private nNext = NO_I32;
  /** End of the run this node heads; NONE when the node is not a run head. */
  private nRunEnd = NO_I32;
  private nN = 0;
  private readonly nFree: number[] = [];

  /** Bytes accounted (`fqdir->mem`). */
  mem = 0;
  /** Live queues. */
  queues = 0;
  // sysctls (seconds / bytes), set by the stack
  timeoutNs = 30_000_000_000;
  highThresh = 4194304;
  maxDist = 64;
  private readonly kinds: Kinds;
  private readonly slot: number;

  constructor(
    private readonly host: DefragHost,
    nsId: number,
  ) {
    this.world = host.world;
    let k = kindsByWorld.get(this.world);
    if (k === undefined) {
      const list: (Defrag | undefined)[] = [];
      k = {
        list,
        expire: this.world.sim.registerKind('ipv4-frag-expire', (t, arg) => list[t]?.expire(arg)),
      };
      kindsByWorld.set(this.world, k);
    }
    this.kinds = k;
    this.slot = nsId;
    k.list[nsId] = this;
  }

  /**
   * `ip_defrag`: `h` is a fragment (IPv4 header at pool.start[h], trimmed to Total Length) received
   * on `dev`. Returns the reassembled datagram's frame when `h` completed one, else -1 (the fragment
   * was queued or dropped; the caller no longer owns it).
   */
  queue(h: number, dev: Device, user: DefragUser): number {
    const w = this.world;
    const pool = w.pool;
    if (this.highThresh === 0 || this.mem > this.highThresh) {
      w.drop(h, Drop.FragMemory, dev.id);
      return -1;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const src = rd32(u8, off + 12);
    const dst = rd32(u8, off + 16);
    const key = (rd16(u8, off + 4) << 16) | (user << 8) | u8[off + 9]!;
    const q = this.find(src, dst, key);
    return this.fragQueue(q, h, dev);
  }

  // ---- inet_frag_find ----------------------------------------------------------------------------
  private find(src: number, dst: number, key: number): number {
    const hash = (Math.imul(src, 0x9e3779b1) ^ Math.imul(dst ^ key, 0x85ebca6b)) >>> 0;
    const first = this.index.get(hash);
    let r = first ?? NONE;
    while (r !== NONE) {
      if (this.qSrc[r] === src && this.qDst[r] === dst && this.qKey[r] === key) return r;
      r = this.qChain[r]!;
    }
    r = this.qFree.pop() ?? this.growQueues();
    if (this.index === NO_INDEX) this.index = new Map();
    this.qSrc[r] = src;
    this.qDst[r] = dst;
    this.qKey[r] = key;
    this.qFlags[r] = 0;
    this.qLen[r] = 0;
    this.qMeat[r] = 0;
    this.qMaxSize[r] = 0;
    this.qMaxDf[r] = 0;
    this.qEcn[r] = 0;
    this.qIif[r] = -1;
    this.qHead[r] = NONE;
    this.qTail[r] = NONE;
    this.qTailEnd[r] = 0;
    this.qLastRun[r] = NONE;
    this.qRid[r] = 0;
    this.qHash[r] = hash;
    this.qLive[r] = 1;
    this.qGen[r] = this.qGen[r]! + 1;
    const now = this.world.sim.now;
    this.qPeer[r] = this.maxDist !== 0 ? this.host.peers.get(src, Math.floor(now / 4_000_000)) : NONE;
    this.qChain[r] = first ?? NONE;
    this.index.set(hash, r);
    this.mem += IPQ_SIZE;
    this.qMem[r] = IPQ_SIZE;
    this.queues++;
    this.armTimer(r);
    return r;
  }

  private armTimer(r: number): void {
    const arg = r + this.qGen[r]! * 1048576;
    this.world.sim.afterInto(this.timeoutNs, this.kinds.expire, this.slot, arg, this.qTimer, r);
  }

  // ---- ip_frag_queue -----------------------------------------------------------------------------
  private fragQueue(q: number, h: number, dev: Device): number {
    const w = this.world;
    const pool = w.pool;
    // ip_frag_too_far → ip_frag_reinit
    const peer = this.qPeer[q]!;
    if (peer !== NONE && this.maxDist !== 0) {
      const start = this.qRid[q]!;
      const end = this.host.peers.nextRid(peer);
      this.qRid[q] = end;
      if (this.qTail[q] !== NONE && end - start > this.maxDist) this.reinit(q, dev.id);
    }
    let u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const ihl = (u8[off]! & 0x0f) << 2;
    const ff = rd16(u8, off + 6);
    const offset = (ff & IPV4_OFFSET_MASK) << 3;
    let end = offset + pool.len[h]! - ihl;
    if ((ff & IPV4_MF) === 0) {
      // The last fragment: it fixes the length.
      const flags = this.qFlags[q]!;
      if (end < this.qLen[q]! || ((flags & LAST_IN) !== 0 && end !== this.qLen[q])) {
        return this.discard(q, h, dev.id, Drop.FragInvalid);
      }
      this.qFlags[q] = flags | LAST_IN;
      this.qLen[q] = end;
    } else {
      if ((end & 7) !== 0) end &= ~7;
      if (end > this.qLen[q]!) {
        if ((this.qFlags[q]! & LAST_IN) !== 0) return this.discard(q, h, dev.id, Drop.FragInvalid);
        this.qLen[q] = end;
      }
    }
    if (end === offset) return this.discard(q, h, dev.id, Drop.FragInvalid);
    pool.setLength(h, ihl + end - offset);
    // inet_frag_queue_insert
    const ins = this.insert(q, h, offset, end);
    if (ins === 1) {
      w.drop(h, Drop.FragDuplicate, dev.id);
      return -1;
    }
    if (ins === 2) return this.discard(q, h, dev.id, Drop.FragOverlap);
    this.qIif[q] = dev.id;
    this.qMeat[q] = this.qMeat[q]! + (end - offset);
    u8 = pool.bytesOf(h);
    const tos = u8[off + 1]!;
    // ip4_frag_ecn: NOT_ECT 1, ECT_1 2, ECT_0 4, CE 8.
    this.qEcn[q] = this.qEcn[q]! | (1 << (tos & 3));
    const ts = pool.slotSizeOf(h);
    this.mem += ts;
    this.qMem[q] = this.qMem[q]! + ts;
    if (offset === 0) this.qFlags[q] = this.qFlags[q]! | FIRST_IN;
    const fragsize = end - offset + ihl;
    if (fragsize > this.qMaxSize[q]!) this.qMaxSize[q] = fragsize;
    if ((ff & IP_DF) !== 0 && fragsize > this.qMaxDf[q]!) this.qMaxDf[q] = fragsize;
    if (this.qFlags[q] === (FIRST_IN | LAST_IN) && this.qMeat[q] === this.qLen[q])
      return this.reasm(q, dev.id);
    return -1;
  }

  /** 0 inserted, 1 duplicate (drop the fragment), 2 overlap (discard the queue). */
  private insert(q: number, h: number, offset: number, end: number): number {
    const tail = this.qTail[q]!;
    if (tail === NONE) {
      const n = this.node(h, offset, end, end);
      this.qHead[q] = n;
      this.qTail[q] = n;
      this.qLastRun[q] = n;
      this.qTailEnd[q] = end;
      return 0;
    }
    const tailEnd = this.qTailEnd[q]!;
    if (tailEnd < end) {
      // The common case: the fragment goes to the end.
      if (offset < tailEnd) return 2;
      let n: number;
      if (offset === tailEnd) {
        n = this.node(h, offset, end, NONE);
        const run = this.qLastRun[q]!;
        this.nRunEnd[run] = end;
      } else {
        n = this.node(h, offset, end, end);
        this.qLastRun[q] = n;
      }
      this.nNext[tail] = n;
      this.qTail[q] = n;
      this.qTailEnd[q] = end;
      return 0;
    }
    // Binary search over the runs in the kernel; runs are disjoint, so a scan finds the same one.
    let before = NONE; // last node with offset < this fragment's
    for (let n = this.qHead[q]!; n !== NONE; n = this.nNext[n]!) {
      const runEnd = this.nRunEnd[n]!;
      if (runEnd !== NONE) {
        const rs = this.nOff[n]!;
        if (end > rs && offset < runEnd) {
          return offset >= rs && end <= runEnd ? 1 : 2;
        }
      }
      if (this.nOff[n]! < offset) before = n;
    }
    const n = this.node(h, offset, end, end);
    if (before === NONE) {
      this.nNext[n] = this.qHead[q]!;
      this.qHead[q] = n;
    } else {
      this.nNext[n] = this.nNext[before]!;
      this.nNext[before] = n;
    }
    return 0;
  }

  private node(h: number, offset: number, end: number, runEnd: number): number {
    const n = this.nFree.pop() ?? this.growNodes();
    this.nFrame[n] = h;
    this.nOff[n] = offset;
    this.nEnd[n] = end;
    this.nNext[n] = NONE;
    this.nRunEnd[n] = runEnd;
    return n;
  }

  // ---- ip_frag_reasm -----------------------------------------------------------------------------
  private reasm(q: number, devId: number): number {
    const w = this.world;
    const pool = w.pool;
    const head = this.qHead[q]!;
    const hf = this.nFrame[head]!;
    let hu8 = pool.bytesOf(hf);
    let ho = pool.start[hf]!;
    const ihl = (hu8[ho]! & 0x0f) << 2;
    const total = ihl + this.qLen[q]!;
    if (total > 65535) return this.killDrop(q, -1, devId, Drop.FragInvalid);
    // ip_frag_ecn_table: NOT_ECT (1) with any ECN codepoint is invalid; CE (8) with ECT → CE.
    const ecnSeen = this.qEcn[q]!;
    if ((ecnSeen & 1) !== 0 && (ecnSeen & 14) !== 0) return this.killDrop(q, -1, devId, Drop.FragInvalid);
    const ecn = (ecnSeen & 8) !== 0 ? 3 : 0;
    const r = w.newFrameFor(total);
    if (!pool.setLength(r, total)) {
      w.drop(r, Drop.NoMemory, devId);
      return this.killDrop(q, -1, devId, Drop.NoMemory);
    }
    const ru8 = pool.bytesOf(r);
    const ro = pool.start[r]!;
    hu8 = pool.bytesOf(hf);
    ho = pool.start[hf]!;
    for (let i = 0; i < ihl; i++) ru8[ro + i] = hu8[ho + i]!;
    for (let n = head; n !== NONE; n = this.nNext[n]!) {
      const f = this.nFrame[n]!;
      const fu8 = pool.bytesOf(f);
      const fo = pool.start[f]!;
      const fihl = (fu8[fo]! & 0x0f) << 2;
      const from = fo + fihl;
      const len = this.nEnd[n]! - this.nOff[n]!;
      const to = ro + ihl + this.nOff[n]!;
      for (let i = 0; i < len; i++) ru8[to + i] = fu8[from + i]!;
    }
    wr16(ru8, ro + 2, total);
    ru8[ro + 1] = ru8[ro + 1]! | ecn;
    // IPSKB_FRAG_PMTU: DF only when the largest fragment carried it.
    wr16(ru8, ro + 6, this.qMaxDf[q] === this.qMaxSize[q] ? IP_DF : 0);
    wr16(ru8, ro + 10, 0);
    wr16(ru8, ro + 10, csumFull(ru8, ro, ihl));
    pool.ingressIf[r] = pool.ingressIf[hf]!;
    pool.mark[r] = pool.mark[hf]!;
    this.lastMaxSize = this.qMaxSize[q]! > this.qMaxDf[q]! ? this.qMaxSize[q]! : this.qMaxDf[q]!;
    this.lastFragPmtu = this.qMaxDf[q] === this.qMaxSize[q];
    this.release(q, true);
    return r;
  }

  /** `IPCB(skb)->frag_max_size` of the datagram `queue` returned last (conntrack refragmenting). */
  lastMaxSize = 0;
  /** IPSKB_FRAG_PMTU of that datagram. */
  lastFragPmtu = false;

  // ---- kill paths --------------------------------------------------------------------------------
  /** discard_qp: kill the queue (its fragments dropped with `reason`) and drop `h`. */
  private discard(q: number, h: number, devId: number, reason: Drop): number {
    return this.killDrop(q, h, devId, reason);
  }

  private killDrop(q: number, h: number, devId: number, reason: Drop): number {
    const w = this.world;
    for (let n = this.qHead[q]!; n !== NONE; n = this.nNext[n]!) w.drop(this.nFrame[n]!, reason, devId);
    this.release(q, false);
    if (h >= 0) w.drop(h, reason, devId);
    return -1;
  }

  /** ip_frag_reinit: drop the queued fragments (FragTooFar), reset the state, re-arm the timer. */
  private reinit(q: number, devId: number): void {
    const w = this.world;
    const pool = w.pool;
    for (let n = this.qHead[q]!; n !== NONE; ) {
      const next = this.nNext[n]!;
      const f = this.nFrame[n]!;
      const ts = pool.slotSizeOf(f);
      this.mem -= ts;
      this.qMem[q] = this.qMem[q]! - ts;
      w.drop(f, Drop.FragTooFar, devId);
      this.nFree.push(n);
      n = next;
    }
    this.world.sim.cancelFrom(this.qTimer, q);
    this.armTimer(q);
    this.qFlags[q] = 0;
    this.qLen[q] = 0;
    this.qMeat[q] = 0;
    this.qHead[q] = NONE;
    this.qTail[q] = NONE;
    this.qTailEnd[q] = 0;
    this.qLastRun[q] = NONE;
    this.qIif[q] = -1;
    this.qEcn[q] = 0;
  }

  /**
   * Removes queue `q` from the index and frees its nodes; `consume` ends the fragment frames as merged
   * (reassembly), otherwise the caller already dropped them.
   */
  private release(q: number, consume: boolean): void {
    const w = this.world;
    for (let n = this.qHead[q]!; n !== NONE; ) {
      const next = this.nNext[n]!;
      if (consume) w.consume(this.nFrame[n]!);
      this.nFree.push(n);
      n = next;
    }
    w.sim.cancelFrom(this.qTimer, q);
    this.unlink(q);
  }

  private unlink(q: number): void {
    const hash = this.qHash[q]!;
    const first = this.index.get(hash)!;
    if (first === q) {
      const next = this.qChain[q]!;
      if (next === NONE) this.index.delete(hash);
      else this.index.set(hash, next);
    } else {
      let r = first;
      while (this.qChain[r] !== q) r = this.qChain[r]!;
      this.qChain[r] = this.qChain[q]!;
    }
    this.qLive[q] = 0;
    this.qGen[q] = this.qGen[q]! + 1;
    this.qFree.push(q);
    this.mem -= this.qMem[q]!;
    this.qMem[q] = 0;
    this.queues--;
  }

  // ---- ip_expire ---------------------------------------------------------------------------------
  private expire(arg: number): void {
    const q = arg % 1048576;
    const gen = Math.floor(arg / 1048576);
    if (this.qLive[q] !== 1 || this.qGen[q] !== gen) return;
    const w = this.world;
    const head = this.qHead[q]!;
    const iif = this.qIif[q]!;
    if ((this.qFlags[q]! & FIRST_IN) !== 0 && head !== NONE && iif >= 0) {
      const user = (this.qKey[q]! >>> 8) & 0xff;
      // frag_expire_skip_icmp: conntrack queues answer only for local destinations.
      if (user === DefragUser.LocalDeliver || this.host.isLocalAddr(this.qDst[q]!)) {
        this.host.fragTimeoutIcmp(this.nFrame[head]!, iif);
      }
    }
    for (let n = head; n !== NONE; n = this.nNext[n]!) {
      const f = this.nFrame[n]!;
      w.drop(f, Drop.FragReasmTimeout, iif);
    }
    for (let n = head; n !== NONE; ) {
      const next = this.nNext[n]!;
      this.nFree.push(n);
      n = next;
    }
    this.unlink(q);
  }

  // ---- growth ------------------------------------------------------------------------------------
  private growQueues(): number {
    if (this.qN === this.qSrc.length) {
      const m = grownCapacity(this.qN, 8);
      this.qSrc = grow(this.qSrc, m);
      this.qDst = grow(this.qDst, m);
      this.qKey = grow(this.qKey, m);
      this.qFlags = grow(this.qFlags, m);
      this.qLen = grow(this.qLen, m);
      this.qMeat = grow(this.qMeat, m);
      this.qMaxSize = grow(this.qMaxSize, m);
      this.qMaxDf = grow(this.qMaxDf, m);
      this.qEcn = grow(this.qEcn, m);
      this.qIif = grow(this.qIif, m);
      this.qHead = grow(this.qHead, m);
      this.qTail = grow(this.qTail, m);
      this.qTailEnd = grow(this.qTailEnd, m);
      this.qLastRun = grow(this.qLastRun, m);
      this.qTimer = grow(this.qTimer, m);
      this.qGen = grow(this.qGen, m);
      this.qRid = grow(this.qRid, m);
      this.qPeer = grow(this.qPeer, m);
      this.qChain = grow(this.qChain, m);
      this.qHash = grow(this.qHash, m);
      this.qLive = grow(this.qLive, m);
      this.qMem = grow(this.qMem, m);
    }
    return this.qN++;
  }

  private growNodes(): number {
    if (this.nN === this.nFrame.length) {
      const m = grownCapacity(this.nN, 16);
      this.nFrame = grow(this.nFrame, m);
      this.nOff = grow(this.nOff, m);
      this.nEnd = grow(this.nEnd, m);
      this.nNext = grow(this.nNext, m);
      this.nRunEnd = grow(this.nRunEnd, m);
    }
    return this.nN++;
  }
}

function grow<T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
