// The conntrack table of one namespace: rows in structure-of-arrays columns, both tuples of every
// confirmed row in one open-addressing index (Linux's `tuplehash[IP_CT_DIR_MAX]` in
// `nf_conntrack_hash`), and a by-source chain for NAT's `find_appropriate_src` (`nf_nat_bysource`).
//
// Heads up: read net/netfilter/nf_conntrack_core.c (`__nf_conntrack_find_get`, `nf_ct_gc_expired`,
// `__nf_conntrack_confirm`, `early_drop`, `gc_worker`) before changing this file.
//
// - A row is allocated unconfirmed for a packet that starts a connection (`init_conntrack`) and is
//   not in the index until `confirm` (so NAT may still rewrite its reply tuple). A confirmed row is
//   found by either tuple: index value = row << 1 | dir.
// - Index: linear probing over a power-of-two Int32Array; -1 empty, -2 tombstone; load (live +
//   tombstones) kept under 1/2, rebuilt on growth or when tombstones pile up.
// - Expiry is lazy on lookup (like `nf_ct_gc_expired` in `____nf_conntrack_find`) plus a sweep the
//   owner schedules (gc worker). Times are integer ns.
// - Nothing here allocates per packet; growth reallocates the columns (amortised, config-like).

import { Dir, IPPROTO_ICMP, IPPROTO_TCP, Ips, type TupleScratch, tupleHash } from './tuple.js';

const EMPTY = -1;
const TOMB = -2;
/**
 * Rows and index slots at creation; both double as needed. Small: every namespace that uses conntrack
 * gets a table — each Docker sandbox on a user-defined network does (the embedded DNS's nat rules) —
 * and ~38 columns × 256 rows cost ~40 KB of typed arrays per container holding a handful of entries.
 */
const INITIAL_ROWS = 16;

/**
 * Where the per-protocol trackers read the time (the Simulator). They take the clock, not `now`: a
 * time past 2^30 ns passed to a function V8 does not inline is boxed into a fresh HeapNumber.
 */
export interface Clock {
  readonly now: number;
}

/** Row lifecycle (`inUse`). */
export const RowUse = Object.freeze({ Free: 0, Unconfirmed: 1, Confirmed: 2 } as const);

function growU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
function growU16(a: Uint16Array, n: number): Uint16Array<ArrayBuffer> {
  const b = new Uint16Array(n);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}
function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

export class CtTable {
  // ---- tuple columns: [ORIGINAL] and [REPLY] ----
  origSrc = new Uint32Array(INITIAL_ROWS);
  origDst = new Uint32Array(INITIAL_ROWS);
  origSport = new Uint16Array(INITIAL_ROWS);
  origDport = new Uint16Array(INITIAL_ROWS);
  replySrc = new Uint32Array(INITIAL_ROWS);
  replyDst = new Uint32Array(INITIAL_ROWS);
  replySport = new Uint16Array(INITIAL_ROWS);
  replyDport = new Uint16Array(INITIAL_ROWS);
  proto = new Uint8Array(INITIAL_ROWS);
  // ---- connection state ----
  inUse = new Uint8Array(INITIAL_ROWS);
  /** `ct->status` (Ips bits). */
  status = new Uint32Array(INITIAL_ROWS);
  /** `ct->mark` (CONNMARK). */
  mark = new Uint32Array(INITIAL_ROWS);
  /**
   * Absolute expiry in ns once confirmed; the relative timeout while unconfirmed (as `ct->timeout`).
   * `nf_ct_refresh` is written out where a tracker refreshes a row —
   *   tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? now + timeoutNs : timeoutNs;
   * — rather than called: both times are doubles past 2^31, and a call V8 leaves un-inlined (it did
   * in `Conntrack.in` once the tuple parse and lookup were inlined) boxes each into a 16-byte
   * HeapNumber per packet.
   */
  expires = new Float64Array(INITIAL_ROWS);
  /** Creation time (ns): UDP's `stream_ts` base and listing order. */
  created = new Float64Array(INITIAL_ROWS);
  /** Creation sequence number (listing order, newest first). */
  seq = new Float64Array(INITIAL_ROWS);
  /** Frame handle that carries an unconfirmed row (-1 once confirmed). */
  owner = new Int32Array(INITIAL_ROWS);
  /** Device id a MASQUERADE binding went out of (`nf_conn_nat.masq_index`), -1 otherwise. */
  masqDev = new Int32Array(INITIAL_ROWS);
  // ---- TCP (`struct ip_ct_tcp`); per-direction fields at [row * 2 + dir] ----
  tcpState = new Uint8Array(INITIAL_ROWS);
  tdEnd = new Uint32Array(INITIAL_ROWS * 2);
  tdMaxend = new Uint32Array(INITIAL_ROWS * 2);
  tdMaxwin = new Uint32Array(INITIAL_ROWS * 2);
  tdMaxack = new Uint32Array(INITIAL_ROWS * 2);
  tdScale = new Uint8Array(INITIAL_ROWS * 2);
  tdFlags = new Uint8Array(INITIAL_ROWS * 2);
  lastIndex = new Uint8Array(INITIAL_ROWS);
  lastDir = new Uint8Array(INITIAL_ROWS);
  lastSeq = new Uint32Array(INITIAL_ROWS);
  lastAck = new Uint32Array(INITIAL_ROWS);
  lastEnd = new Uint32Array(INITIAL_ROWS);
  lastWin = new Uint16Array(INITIAL_ROWS);
  lastWscale = new Uint8Array(INITIAL_ROWS);
  lastFlags = new Uint8Array(INITIAL_ROWS);
  retrans = new Uint8Array(INITIAL_ROWS);
  // ---- NAT by-source chain (rows with a SRC manip set up) ----
  bySrcNext = new Int32Array(INITIAL_ROWS).fill(-1);
  bySrcPrev = new Int32Array(INITIAL_ROWS).fill(-1);
  bySrcHead = new Int32Array(INITIAL_ROWS).fill(-1);
  private bySrcMask = INITIAL_ROWS - 1;

  // ---- index ----
  private index: Int32Array = new Int32Array(INITIAL_ROWS * 4).fill(EMPTY);
  private spareIndex: Int32Array | null = null;
  private indexMask = INITIAL_ROWS * 4 - 1;
  private indexUsed = 0; // live keys + tombstones
  /** Tombstones in the index (reported by benches; reset on rebuild). */
  indexTombstones = 0;

  // ---- free rows ----
  private freeRows = new Int32Array(INITIAL_ROWS);
  private freeTop = 0;
  private rowsHigh = 0; // rows ever handed out (rows >= rowsHigh are untouched)
  rowCap = INITIAL_ROWS;
  /** Rows in use (unconfirmed + confirmed): the kernel's `cnet->count`. */
  count = 0;
  /** Confirmed rows. */
  confirmed = 0;
  private seqNext = 0;

  // ---------------------------------------------------------------- rows

  /** A fresh row (unconfirmed, all state zero). Grows the columns when full. */
  allocRow(clock: Clock): number {
    let r: number;
    if (this.freeTop > 0) r = this.freeRows[--this.freeTop]!;
    else {
      if (this.rowsHigh === this.rowCap) this.growRows(this.rowCap * 2);
      r = this.rowsHigh++;
    }
    this.inUse[r] = RowUse.Unconfirmed;
    this.status[r] = 0;
    this.mark[r] = 0;
    this.expires[r] = 0;
    this.created[r] = clock.now;
    this.seq[r] = this.seqNext++;
    this.owner[r] = -1;
    this.masqDev[r] = -1;
    this.tcpState[r] = 0;
    const d = r * 2;
    this.tdEnd[d] = this.tdEnd[d + 1] = 0;
    this.tdMaxend[d] = this.tdMaxend[d + 1] = 0;
    this.tdMaxwin[d] = this.tdMaxwin[d + 1] = 0;
    this.tdMaxack[d] = this.tdMaxack[d + 1] = 0;
    this.tdScale[d] = this.tdScale[d + 1] = 0;
    this.tdFlags[d] = this.tdFlags[d + 1] = 0;
    this.lastIndex[r] = 0;
    this.lastDir[r] = 0;
    this.lastSeq[r] = 0;
    this.lastAck[r] = 0;
    this.lastEnd[r] = 0;
    this.lastWin[r] = 0;
    this.lastWscale[r] = 0;
    this.lastFlags[r] = 0;
    this.retrans[r] = 0;
    this.bySrcNext[r] = -1;
    this.bySrcPrev[r] = -1;
    this.count++;
    return r;
  }

  /** Sets the original tuple and (until NAT changes it) the reply tuple. */
  setTuples(r: number, orig: TupleScratch, reply: TupleScratch): void {
    this.origSrc[r] = orig.src;
    this.origDst[r] = orig.dst;
    this.origSport[r] = orig.sport;
    this.origDport[r] = orig.dport;
    this.proto[r] = orig.proto;
    this.setReply(r, reply);
  }

  /** `nf_conntrack_alter_reply`: only for unconfirmed rows (NAT setup). */
  setReply(r: number, reply: TupleScratch): void {
    this.replySrc[r] = reply.src;
    this.replyDst[r] = reply.dst;
    this.replySport[r] = reply.sport;
    this.replyDport[r] = reply.dport;
  }

  /** Copies the tuple of (row, dir) into `t`. */
  readTuple(r: number, dir: number, t: TupleScratch): TupleScratch {
    if (dir === Dir.Original)
      t.set(this.origSrc[r]!, this.origDst[r]!, this.origSport[r]!, this.origDport[r]!, this.proto[r]!);
    else
      t.set(this.replySrc[r]!, this.replyDst[r]!, this.replySport[r]!, this.replyDport[r]!, this.proto[r]!);
    return t;
  }

  /** Releases a row: removes its index keys (if confirmed) and NAT chain link. */
  freeRow(r: number): void {
    if (this.inUse[r] === RowUse.Free) return;
    if (this.inUse[r] === RowUse.Confirmed) {
      this.indexRemove(r, Dir.Original);
      this.indexRemove(r, Dir.Reply);
      this.confirmed--;
    }
    this.bySrcUnlink(r);
    // Tuples and status stay readable until the row is reused: a packet that killed its own
    // connection (RST, reopen) still finishes its hooks with them, as an skb keeps its ct reference.
    this.inUse[r] = RowUse.Free;
    this.count--;
    this.freeRows[this.freeTop++] = r;
  }

  /** Puts both tuples of an unconfirmed row into the index (`__nf_conntrack_hash_insert`). */
  insertConfirmed(r: number): void {
    if ((this.indexUsed + 2) * 2 > this.index.length) {
      // Too many keys + tombstones: rebuild, doubling until live keys fill at most a quarter.
      let size = this.index.length;
      while ((this.confirmed * 2 + 2) * 4 > size) size *= 2;
      this.rebuildIndex(size);
    }
    this.indexInsert(r, Dir.Original);
    this.indexInsert(r, Dir.Reply);
    this.inUse[r] = RowUse.Confirmed;
    this.owner[r] = -1;
    this.confirmed++;
  }

  /** Highest row index ever used + 1 (iteration bound). */
  get rowLimit(): number {
    return this.rowsHigh;
  }

  private growRows(n: number): void {
    this.origSrc = growU32(this.origSrc, n);
    this.origDst = growU32(this.origDst, n);
    this.origSport = growU16(this.origSport, n);
    this.origDport = growU16(this.origDport, n);
    this.replySrc = growU32(this.replySrc, n);
    this.replyDst = growU32(this.replyDst, n);
    this.replySport = growU16(this.replySport, n);
    this.replyDport = growU16(this.replyDport, n);
    this.proto = growU8(this.proto, n);
    this.inUse = growU8(this.inUse, n);
    this.status = growU32(this.status, n);
    this.mark = growU32(this.mark, n);
    this.expires = growF64(this.expires, n);
    this.created = growF64(this.created, n);
    this.seq = growF64(this.seq, n);
    this.owner = growI32(this.owner, n);
    this.masqDev = growI32(this.masqDev, n);
    this.tcpState = growU8(this.tcpState, n);
    this.tdEnd = growU32(this.tdEnd, n * 2);
    this.tdMaxend = growU32(this.tdMaxend, n * 2);
    this.tdMaxwin = growU32(this.tdMaxwin, n * 2);
    this.tdMaxack = growU32(this.tdMaxack, n * 2);
    this.tdScale = growU8(this.tdScale, n * 2);
    this.tdFlags = growU8(this.tdFlags, n * 2);
    this.lastIndex = growU8(this.lastIndex, n);
    this.lastDir = growU8(this.lastDir, n);
    this.lastSeq = growU32(this.lastSeq, n);
    this.lastAck = growU32(this.lastAck, n);
    this.lastEnd = growU32(this.lastEnd, n);
    this.lastWin = growU16(this.lastWin, n);
    this.lastWscale = growU8(this.lastWscale, n);
    this.lastFlags = growU8(this.lastFlags, n);
    this.retrans = growU8(this.retrans, n);
    this.bySrcNext = growI32(this.bySrcNext, n);
    this.bySrcPrev = growI32(this.bySrcPrev, n);
    this.freeRows = growI32(this.freeRows, n);
    this.rowCap = n;
    // Rebuild the index and the by-source buckets at the new size.
    this.rebuildIndex(n * 4);
    this.rebuildBySrc(n);
  }

  // ---------------------------------------------------------------- index

  /** The index value (row << 1 | dir) whose tuple equals the given one, or -1. Expiry not checked. */
  find(src: number, dst: number, sport: number, dport: number, proto: number): number {
    const mask = this.indexMask;
    const idx = this.index;
    let i = tupleHash(src, dst, sport, dport, proto) & mask;
    for (;;) {
      const v = idx[i]!;
      if (v === EMPTY) return -1;
      if (v >= 0) {
        const r = v >> 1;
        if (this.proto[r] === proto) {
          if ((v & 1) === 0) {
            if (
              this.origSrc[r] === src &&
              this.origDst[r] === dst &&
              this.origSport[r] === sport &&
              this.origDport[r] === dport
            )
              return v;
          } else if (
            this.replySrc[r] === src &&
            this.replyDst[r] === dst &&
            this.replySport[r] === sport &&
            this.replyDport[r] === dport
          ) {
            return v;
          }
        }
      }
      i = (i + 1) & mask;
    }
  }

  findTuple(t: TupleScratch): number {
    return this.find(t.src, t.dst, t.sport, t.dport, t.proto);
  }

  /** Index slot where a lookup for the tuple starts (early drop scans from there). */
  slotOf(t: TupleScratch): number {
    return tupleHash(t.src, t.dst, t.sport, t.dport, t.proto) & this.indexMask;
  }

  /** Index value at slot `i` (wrapping), for early drop's bounded scan. */
  slotValue(i: number): number {
    return this.index[i & this.indexMask]!;
  }

  private hashOf(r: number, dir: number): number {
    return dir === Dir.Original
      ? tupleHash(this.origSrc[r]!, this.origDst[r]!, this.origSport[r]!, this.origDport[r]!, this.proto[r]!)
      : tupleHash(
          this.replySrc[r]!,
          this.replyDst[r]!,
          this.replySport[r]!,
          this.replyDport[r]!,
          this.proto[r]!,
        );
  }

  private indexInsert(r: number, dir: number): void {
    const mask = this.indexMask;
    let i = this.hashOf(r, dir) & mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === EMPTY) {
        this.indexUsed++;
        break;
      }
      if (v === TOMB) {
        this.indexTombstones--;
        break;
      }
      i = (i + 1) & mask;
    }
    this.index[i] = (r << 1) | dir;
  }

  private indexRemove(r: number, dir: number): void {
    const key = (r << 1) | dir;
    const mask = this.indexMask;
    let i = this.hashOf(r, dir) & mask;
    for (;;) {
      const v = this.index[i]!;
      if (v === EMPTY) return; // not present (should not happen)
      if (v === key) {
        this.index[i] = TOMB;
        this.indexTombstones++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  private rebuildIndex(size: number): void {
    // Same size (clearing tombstones): swap with the spare buffer instead of allocating.
    const spare = this.spareIndex;
    if (spare !== null && spare.length === size) {
      this.spareIndex = this.index;
      this.index = spare;
      spare.fill(EMPTY);
    } else {
      this.spareIndex = this.index.length === size ? this.index : null;
      this.index = new Int32Array(size).fill(EMPTY);
    }
    this.indexMask = size - 1;
    this.indexUsed = 0;
    this.indexTombstones = 0;
    for (let r = 0; r < this.rowsHigh; r++) {
      if (this.inUse[r] !== RowUse.Confirmed) continue;
      for (let dir = 0; dir < 2; dir++) {
        let i = this.hashOf(r, dir) & this.indexMask;
        while (this.index[i] !== EMPTY) i = (i + 1) & this.indexMask;
        this.index[i] = (r << 1) | dir;
        this.indexUsed++;
      }
    }
  }

  // ---------------------------------------------------------------- NAT by source

  private bySrcBucket(src: number, sport: number, proto: number): number {
    return tupleHash(src, 0, sport, 0, proto) & this.bySrcMask;
  }

  /** Adds a row to the by-source chain of its original source (`nf_nat_setup_info`, SRC manip). */
  bySrcLink(r: number): void {
    const b = this.bySrcBucket(this.origSrc[r]!, this.origSport[r]!, this.proto[r]!);
    const head = this.bySrcHead[b]!;
    this.bySrcNext[r] = head;
    this.bySrcPrev[r] = -2 - b; // -2 - bucket marks "I am the head of bucket b"
    if (head >= 0) this.bySrcPrev[head] = r;
    this.bySrcHead[b] = r;
    this.status[r]! |= BYSRC_LINKED;
  }

  private bySrcUnlink(r: number): void {
    if ((this.status[r]! & BYSRC_LINKED) === 0) return;
    const next = this.bySrcNext[r]!;
    const prev = this.bySrcPrev[r]!;
    if (prev >= 0) this.bySrcNext[prev] = next;
    else this.bySrcHead[-2 - prev] = next;
    if (next >= 0) this.bySrcPrev[next] = prev;
    this.bySrcNext[r] = -1;
    this.bySrcPrev[r] = -1;
    this.status[r]! &= ~BYSRC_LINKED;
  }

  /** First row of the chain for an original source (iterate with `bySrcNext`); -1 when none. */
  bySrcFirst(src: number, sport: number, proto: number): number {
    return this.bySrcHead[this.bySrcBucket(src, sport, proto)]!;
  }

  private rebuildBySrc(n: number): void {
    this.bySrcHead = new Int32Array(n).fill(-1);
    this.bySrcMask = n - 1;
    for (let r = 0; r < this.rowsHigh; r++) {
      if ((this.status[r]! & BYSRC_LINKED) === 0) continue;
      this.status[r]! &= ~BYSRC_LINKED;
      this.bySrcLink(r);
    }
  }

  // ---------------------------------------------------------------- memory

  /** Bytes of typed-array storage per row (columns + index share), for reports and benches. */
  bytesPerRow(): number {
    const perRow =
      4 * 4 +
      2 * 4 +
      1 +
      1 +
      4 +
      4 +
      8 * 3 +
      4 +
      4 +
      1 +
      2 * (4 * 4 + 1 + 1) +
      1 +
      1 +
      4 * 3 +
      2 +
      1 +
      1 +
      1 +
      4 * 3;
    return perRow + 4 * 4; // four index slots per row
  }
}

/** Internal status bit (outside the kernel's range): the row is on a by-source chain. */
export const BYSRC_LINKED = 1 << 30;

/** Is this ICMP/TCP row's protocol one of ours? (helper for printing). */
export function isTcp(t: CtTable, r: number): boolean {
  return t.proto[r] === IPPROTO_TCP;
}
export function isIcmp(t: CtTable, r: number): boolean {
  return t.proto[r] === IPPROTO_ICMP;
}

/** Status bits that mean a row carries NAT (`IPS_NAT_MASK`). */
export const NAT_BITS = Ips.SRC_NAT | Ips.DST_NAT;
