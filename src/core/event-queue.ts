// The pending-event set: a priority queue ordered by (time, insertion sequence).
//
// Equal times pop in insertion order (FIFO), like ns-3's EventKey (ts, uid), so a run is a pure function
// of its inputs. An event is a row of numbers — kind (u16), target (i32), arg (i32) — in parallel typed
// arrays indexed by a *slot*; nothing is allocated per event once the arrays have grown to the working
// set, and they grow by doubling without a fixed cap (up to 2^26 ≈ 67 M pending events, where memory
// runs out first anyway: ~35 bytes per pending event).
//
// Structure (measured with bench/queue.bench.ts, hold model, ratios against flatqueue in the same run):
// an adaptive hybrid of two classic structures.
//   - Tiny sets (at most `calendarAbove` live events, default 256): a binary implicit heap over
//     (time, slot) typed arrays. The child choice compares times branch-free (the comparison is a coin
//     flip the CPU cannot predict); the FIFO tie-break on seq sits behind a separate, almost never
//     taken test. Folding it into the same expression cost ~35 %. A first 4-ary version (branchy
//     child choice) measured slower than this binary one; a branch-free 4-ary is untried.
//   - Everything larger: a one-rung ladder/calendar queue (Brown 1988, "Calendar queues"; Tang, Goh &
//     Thng 2005, "Ladder queue") whose buckets are *unsorted* singly linked lists threaded through a
//     `next` slot array, in front of the same heap acting as the ladder queue's sorted "bottom":
//         bottom heap  — every event in buckets <= cur (time < the current bucket's end)
//         buckets      — the year [base, base + nb·width), one unsorted list per bucket
//         top          — everything later, an unsorted array with its min/max tracked
//     Insertion is O(1) (a prepend or an append); when the bottom empties, the next non-empty bucket is
//     moved into it (a sorted run or a heap, below); when the year is used up, the top is redistributed
//     into a new year whose buckets hold ~`bucketSize` = 8 events at the density of the *front* (from
//     the 64th-earliest event; the front is where pops happen and, with exponential delays, ~2·ln N
//     denser than the average), at most 2 buckets per event, the rest of the span left in the top. A
//     binary heap at 10^6 pays ~20 levels of cache misses per operation; here an event is touched O(1)
//     times.
//     When a bucket becomes current it is made a *sorted run* instead of a heap if it is small
//     (insertion sort) or already in order. The usual case at large N with integer-ns times is a
//     bucket narrower than 1 ns, i.e. one instant holding hundreds of ties (ns-3's benchmark: mean
//     delay 100 ns, 10^5 pending): its list reverses into push order, so it pops in O(1) each instead
//     of through a heap whose every comparison falls through to the seq tie-break (2× the event loop
//     at 10^5 and 10^6 there). A zero-delay event appends to the run; an insertion into the middle
//     turns the rest of the run into the heap.
//     *Dense years.* When buckets hold one instant of many events (more than 64 of the earliest events
//     share one, or integer times with 8 or more per nanosecond at the front), the year's buckets are
//     chunk lists instead of slot lists, and an event posted without an id (`postT`: frame deliveries)
//     is stored in them, and in the top, by value — it gets a slot only when its bucket becomes
//     current. A slot list at 10^6 pending is a cache miss per event (slots are reused in pop order, so
//     one list's slots are scattered over the whole table); chunks written and read in push order are
//     not (ns-3's workload at 10^6: 2.5–3× the events/s). Sparse years keep slot lists: no copy at all.
//   - popInto leaves the root in place; a following push drops into it and sifts down once
//     (heapreplace), the common "handler schedules the next event" pattern.
//   Structure changes are amortised: heap → calendar when the heap doubles past the threshold,
//   calendar → heap at a year boundary when the live count has fallen below it, a full rebuild when
//   the buckets hold 4× the count of the last rebuild (the distribution drifted) or when cancelled
//   entries outnumber live ones. Degenerate inputs (all events at one instant) fall back to the heap,
//   which stays O(log n) and FIFO-correct.
//
// Measured ours / flatqueue (bench/queue.bench.ts, hold model, mean delay 1 ms; sparse years), quiet
// box, same run: 0.93× / 1.71× / 1.98× at N = 1e3 / 1e5 / 1e6 on Node 20, 1.15× / 1.63× / 2.38× on
// Node 22 (2026-11-23, session 4; the target ≥ 1 at 1e3 is met on 22, not on 20: bench/README.md). ns-3's workload (mean 100 ns, dense at
// every N) through the whole event loop, against ns-3 measured in the same run: bench/README.md.
//
// The two operations of a dense year's steady state are written out where the caller can inline them:
// `postT` appends by value to a later bucket's tail chunk when it has room, and `popDueInto` takes the
// chunk run's next by-value entry from a cached cursor (crE up to crEnd). Everything else goes through
// `postSlow` and `popSlow` (ns-3's workload, queue alone: +15–20 % at 10^3, +13–18 % at 10^5 and 10^6).
//
// Cancellation is lazy: `cancel` marks the slot dead and popping skips it. An event id is
// gen·2^26 + slot, where gen is the slot's generation (bumped when the slot is freed), so a stale id
// (event already popped or cancelled) is recognised and `cancel` returns false. Generations wrap after
// 2^27 reuses of one slot; a stale id could only alias if the same slot were reused exactly a multiple
// of 134 M times in between.
//
// Times must be finite numbers (the simulator enforces integer ns >= now); the queue itself accepts any
// order of pushes, including times earlier than the last pop.
//
// No float crosses a call: a time past 2^30 ns is not a small integer, so V8 boxes it into a fresh
// HeapNumber whenever it is passed to (or returned from) a function it does not inline. Hot callers
// store the time in the `t` register and call `pushT`/`postT`; internal helpers take a slot and read
// its time from rowF; the run loop sets `horizon` once and pops with `popDueInto` (a boolean) instead
// of comparing `peekTime()`'s result. `postT` returns nothing, so no id is boxed either (ids are
// gen·2^26 + slot, past 2^31 once a slot's generation grew).

/** The popped event, written into a caller-owned record so popping allocates nothing. */
export class EventRecord {
  time = 0;
  kind = 0;
  target = 0;
  arg = 0;
  id = -1;
}

export interface EventQueueOptions {
  /** Slots allocated up front (grows by doubling). */
  initialCapacity?: number;
  /** Use the calendar structure once more than this many events are pending (0 = always; Infinity = never). */
  calendarAbove?: number;
  /** Target events per calendar bucket. */
  bucketSize?: number;
  /** Cancelled entries tolerated before they are purged (once they also outnumber live ones). */
  purgeAbove?: number;
  /** A calendar bucket of at most this many events is sorted into a run when it becomes current (default 32). */
  sortRunMax?: number;
}

const SLOT_BITS = 26;
const SLOT_SPACE = 2 ** SLOT_BITS;
const GEN_MASK = 2 ** 27 - 1;
/** The year spans this many times the span of the events it is built from. */
const YEAR_FACTOR = 2;
/** The k-th earliest event that sets the bucket width (see frontWidth). */
const FRONT_SAMPLE = 64;
/** At most this many buckets per pending event; a longer year is cut and its tail left in the top. */
const MAX_BUCKETS_PER_EVENT = 2;
/** Entries per chunk of a dense year's bucket (16 entries = 8 cache lines). */
const CHUNK_SHIFT = 4;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

export class EventQueue {
  // Per-slot event rows, interleaved so one event touches two cache lines, not seven arrays:
  //   rowF[2s] = time, rowF[2s+1] = seq;  rowI[4s] = kind, [4s+1] = target, [4s+2] = arg, [4s+3] = gen.
  // gen is odd exactly while the event is pending (not popped, not cancelled), so liveness costs no
  // extra array: push makes it odd, pop or cancel makes it even, and the id carries the odd value.
  private rowF: Float64Array;
  private rowI: Int32Array;
  private next: Int32Array; // bucket list link
  private cap: number;
  private fresh = 0; // slots [0, fresh) have been used at least once
  private free: Int32Array;
  private freeLen = 0;

  // Bottom: binary min-heap of (time, slot); ties broken by seq (rowF[2·slot + 1]).
  private hTime: Float64Array;
  private hSlot: Int32Array;
  private hLen = 0;
  // The bottom is either that heap over [0, hLen) or, when `runMode`, a *sorted run* over [runAt, hLen):
  // ascending by (time, seq), popped from the front in O(1) and appended to when a new event sorts
  // last (the common case when a bucket holds one instant: a zero delay lands at the run's end). An
  // insertion into the middle turns the rest of the run into the heap (a sorted array is a heap).
  private runMode = false;
  private runAt = 0;
  // popInto leaves the popped root in place and sets this; a push that follows (the usual pattern: a
  // handler schedules the next event) then drops the new event into the root and sifts it down once,
  // instead of a sift-down for the removal plus a sift-up for the insertion (heapreplace). Every other
  // reader settles the hole first.
  private holeAtTop = false;

  // Calendar year. In heap-only mode base = 0, invW = 0, cur = 0, nb = 0, so every push computes
  // bucket 0 <= cur and lands in the heap without a mode test.
  private base = 0;
  private invW = 0;
  private cur = 0;
  private nb = 0;
  private heads: Int32Array;
  // A dense year (see rebuildFromTop) keeps each bucket as a list of chunks instead: heads[b] is its
  // first chunk, and tailE[b] is one past its last entry (an index into the chunk entries: the last
  // chunk is (tailE[b] - 1) / CHUNK, and only that one may be partly filled). An empty bucket has
  // tailE[b] = 0, so "the tail chunk has room" is one test, tailE[b] % CHUNK !== 0 (postT's fast path).
  // An entry is (time, seq) in chunkF and (kind, target, arg, slot) in chunkI: an event posted without
  // an id is stored by value (slot -1) and gets a slot only when its bucket becomes current; an event
  // with an id keeps its slot (the id names it) and the entry refers to it. Free chunks are reused LIFO.
  private dense = false;
  private tailE: Int32Array;
  private chunkF: Float64Array;
  private chunkI: Int32Array;
  private chunkNext: Int32Array;
  private chunkFresh = 0;
  private chunkFree: Int32Array;
  private chunkFreeLen = 0;
  private frontSampled = false; // frontWidth saw more than FRONT_SAMPLE live events
  private frontIntegral = false; // and every time it saw was an integer
  // The bottom may also be the current dense bucket itself, popped in place ("chunk run"): when the
  // bucket is in (time, seq) order, which it is unless a rebuild mixed it, its entries are read where
  // they lie, from entry crE (an index into the chunk entries, inside chunk heads[cur]) to tailE[cur],
  // and a later event that sorts last is appended to it. Anything else turns the rest
  // into slots (chunkRunToSlots). crEnd caches where the readable part of crE's chunk ended when last
  // looked at: entries [crE, crEnd) are known to be there, so popDueInto takes them without walking the
  // bucket's chunk list; at crEnd, chunkRunNext looks again (appends may have extended the chunk).
  private chunkRun = false;
  private crE = 0;
  private crEnd = 0;
  private bucketCount = 0;
  private bucketLimit = Number.POSITIVE_INFINITY;
  private bottomLimit: number;

  // Top: events beyond the year.
  // Entries like a dense bucket's: (time, seq) in topF, (kind, target, arg, slot) in topI, by value
  // (slot -1) for an event posted without an id while the calendar is in use, else a slot reference.
  private topF: Float64Array;
  private topI: Int32Array;
  private scratch = new Float64Array(0); // frontWidth's copy of the top's times
  private topLen = 0;
  private topMin = Number.POSITIVE_INFINITY;
  private topMax = Number.NEGATIVE_INFINITY;

  private seq = 0;
  private count = 0;
  private dead = 0;
  private readonly calendarAbove: number;
  private readonly bucketSize: number;
  private readonly purgeAbove: number;
  private readonly sortRunMax: number;
  /** Time register read by `pushT`/`postT` (a double field: writing it allocates nothing). */
  t = Number.NaN;
  /** `popDueInto` leaves events later than this in place. */
  horizon = Number.POSITIVE_INFINITY;

  constructor(options: EventQueueOptions = {}) {
    const cap = Math.max(4, Math.min(SLOT_SPACE, options.initialCapacity ?? 1024));
    this.calendarAbove = options.calendarAbove ?? 256;
    this.bucketSize = Math.max(1, options.bucketSize ?? 8);
    this.purgeAbove = options.purgeAbove ?? 1024;
    this.sortRunMax = options.sortRunMax ?? 32;
    this.cap = cap;
    this.rowF = new Float64Array(2 * cap);
    this.rowI = new Int32Array(4 * cap);
    this.next = new Int32Array(cap);
    this.free = new Int32Array(cap);
    this.hTime = new Float64Array(cap);
    this.hSlot = new Int32Array(cap);
    this.heads = new Int32Array(16).fill(-1);
    this.tailE = new Int32Array(16);
    this.chunkF = new Float64Array(2 * CHUNK * 16);
    this.chunkI = new Int32Array(4 * CHUNK * 16);
    this.chunkNext = new Int32Array(16);
    this.chunkFree = new Int32Array(16);
    this.topF = new Float64Array(2 * 16);
    this.topI = new Int32Array(4 * 16);
    this.bottomLimit = 2 * this.calendarAbove;
  }

  /** Number of pending (not cancelled) events. */
  get size(): number {
    return this.count;
  }

  /** 'heap' or 'calendar': the structure currently in use (for tests and benchmarks). */
  get structure(): 'heap' | 'calendar' {
    return this.nb === 0 ? 'heap' : 'calendar';
  }

  /** Whether the calendar's buckets are currently chunk lists (a dense year; for tests and benchmarks). */
  get denseBuckets(): boolean {
    return this.dense;
  }

  /**
   * Schedules an event; returns its id for `cancel`. kind is a u16, target and arg are int32 (they are
   * stored truncated to those widths). Equal times pop in push order.
   */
  push(timeNs: number, kind: number, target: number, arg: number): number {
    this.t = timeNs;
    return this.pushT(kind, target, arg);
  }

  /** `push` at the time held in the `t` register. */
  pushT(kind: number, target: number, arg: number): number {
    const slot = this.insertAt(Math.floor((this.t - this.base) * this.invW), kind, target, arg);
    return this.rowI[4 * slot + 3]! * SLOT_SPACE + slot;
  }

  /**
   * `pushT` that stores the id at ids[index] instead of returning it. An id is past 2^31 once its
   * slot has been reused, and V8 boxes such a number into a fresh heap object whenever it is returned
   * from (or passed to) a call it does not inline; written into a Float64Array, it never is.
   */
  pushTInto(kind: number, target: number, arg: number, ids: Float64Array, index: number): void {
    const slot = this.insertAt(Math.floor((this.t - this.base) * this.invW), kind, target, arg);
    ids[index] = this.rowI[4 * slot + 3]! * SLOT_SPACE + slot;
  }

  /** `push` at the time held in `t`, for events never cancelled: no id is made. */
  postT(kind: number, target: number, arg: number): void {
    const b = Math.floor((this.t - this.base) * this.invW);
    // The usual push of a dense year, written out and kept small so that it inlines into the caller:
    // by value at the end of a later bucket of this year whose tail chunk has room (an empty bucket
    // has tailE 0, a full tail chunk ends on a multiple of CHUNK). Everything else: postSlow.
    if (b > this.cur && this.dense && b < this.nb) {
      const e = this.tailE[b]!;
      if ((e & CHUNK_MASK) !== 0) {
        this.tailE[b] = e + 1;
        this.storeValueT(e, kind, target, arg);
        if (++this.bucketCount > this.bucketLimit) this.rebuildAll();
        return;
      }
    }
    this.postSlow(b, kind, target, arg);
  }

  /** postT's other cases; b is the event's bucket. */
  private postSlow(b: number, kind: number, target: number, arg: number): void {
    // Without an id the event may be stored by value (no slot until its bucket becomes current, none
    // at all when that bucket is popped in place): in a dense year's buckets or beyond it in the top,
    // or appended to the chunk run. Sparse years keep slots (by value, the top cost 9 % at 10^5 in the
    // hold model: one more copy per event). In heap mode b = 0 = cur, so none of this applies.
    if (b > this.cur ? this.dense : this.chunkRun) {
      if (this.postByValue(b, kind, target, arg)) return;
    }
    this.insertAt(b, kind, target, arg);
  }

  /** postSlow's by-value cases (kept apart so that insertAt stays small enough to inline there). */
  private postByValue(b: number, kind: number, target: number, arg: number): boolean {
    if (b > this.cur) {
      if (b >= this.nb) this.topValueT(kind, target, arg);
      else {
        this.chunkValueT(b, kind, target, arg);
        if (++this.bucketCount > this.bucketLimit) this.rebuildAll();
      }
      return true;
    }
    if (!(this.t >= this.chunkRunLastTime())) return false;
    this.chunkValueT(this.cur, kind, target, arg);
    return true;
  }

  /** Stores the event at time `t` by value at the end of dense bucket b (the caller counts it there). */
  private chunkValueT(b: number, kind: number, target: number, arg: number): void {
    this.storeValueT(this.chunkEntry(b), kind, target, arg);
  }

  /** Fills chunk entry e with the event at time `t`, by value, and counts it. */
  private storeValueT(e: number, kind: number, target: number, arg: number): void {
    this.chunkF[2 * e] = this.t;
    this.chunkF[2 * e + 1] = this.seq++;
    const chunkI = this.chunkI;
    chunkI[4 * e] = kind & 0xffff;
    chunkI[4 * e + 1] = target;
    chunkI[4 * e + 2] = arg;
    chunkI[4 * e + 3] = -1;
    this.count++;
  }

  /** Stores the event at time `t` by value in the top. */
  private topValueT(kind: number, target: number, arg: number): void {
    const i = this.topEntry();
    const t = this.t;
    this.topF[2 * i] = t;
    this.topF[2 * i + 1] = this.seq++;
    const topI = this.topI;
    topI[4 * i] = kind & 0xffff;
    topI[4 * i + 1] = target;
    topI[4 * i + 2] = arg;
    topI[4 * i + 3] = -1;
    if (t < this.topMin) this.topMin = t;
    if (t > this.topMax) this.topMax = t;
    this.count++;
  }

  /** Inserts the event at time `t`, whose bucket is b, in a slot; returns the slot. */
  private insertAt(b: number, kind: number, target: number, arg: number): number {
    const timeNs = this.t;
    let slot: number;
    if (this.freeLen > 0) slot = this.free[--this.freeLen]!;
    else {
      if (this.fresh === this.cap) this.growSlots();
      slot = this.fresh++;
    }
    const rowF = this.rowF;
    const rowI = this.rowI;
    rowF[2 * slot] = timeNs;
    rowF[2 * slot + 1] = this.seq++;
    const r = 4 * slot;
    rowI[r] = kind & 0xffff;
    rowI[r + 1] = target;
    rowI[r + 2] = arg;
    const gen = (rowI[r + 3]! + 1) & GEN_MASK; // even (free) → odd (pending)
    rowI[r + 3] = gen;
    this.count++;
    if (b <= this.cur) {
      if (this.chunkRun && this.chunkRunTakes(slot)) return slot;
      if (this.holeAtTop) {
        this.holeAtTop = false;
        this.sink(0, slot, this.hLen);
      } else if (this.runMode) {
        this.runPush(slot);
      } else {
        this.heapPushFresh(slot);
        if (this.hLen > this.bottomLimit) this.rebuildAll();
      }
    } else if (b < this.nb) {
      if (this.dense) this.chunkRef(b, slot);
      else {
        this.next[slot] = this.heads[b]!;
        this.heads[b] = slot;
      }
      if (++this.bucketCount > this.bucketLimit) this.rebuildAll();
    } else {
      this.topPush(slot);
    }
    return slot;
  }

  /** Cancels a pending event; false if it already ran, was cancelled, or the id is unknown. */
  cancel(id: number): boolean {
    return this.cancelId(id);
  }

  /**
   * Cancels the event whose id is stored at ids[index] (as `pushTInto` leaves it; a negative entry
   * means none) and sets the entry to -1; false if there was none or it already ran or was cancelled.
   */
  cancelFrom(ids: Float64Array, index: number): boolean {
    const id = ids[index]!;
    ids[index] = -1;
    return this.cancelId(id);
  }

  private cancelId(id: number): boolean {
    if (!(id >= 0)) return false;
    const slot = id % SLOT_SPACE;
    const gen = (id - slot) / SLOT_SPACE;
    // A pending event's stored gen is odd and equals the one in its id; anything else is stale.
    if (!(slot < this.fresh) || (gen & 1) !== 1 || this.rowI[4 * slot + 3] !== gen) return false;
    this.rowI[4 * slot + 3] = (gen + 1) & GEN_MASK;
    this.count--;
    this.dead++;
    if (this.dead > this.purgeAbove && this.dead > this.count) this.rebuildAll();
    return true;
  }

  /** Time of the earliest pending event, or Infinity when none. */
  peekTime(): number {
    this.settle();
    for (;;) {
      if (this.chunkRun) {
        const t = this.chunkRunPeek();
        if (t >= 0) return t;
        continue;
      }
      if (this.runMode) {
        const i = this.runAt;
        if (i === this.hLen) {
          if (!this.refill()) return Number.POSITIVE_INFINITY;
          continue;
        }
        const slot = this.hSlot[i]!;
        if ((this.rowI[4 * slot + 3]! & 1) === 1) return this.hTime[i]!;
        this.runAt = i + 1;
        this.freeSlot(slot);
        this.dead--;
        continue;
      }
      if (this.hLen === 0) {
        if (!this.refill()) return Number.POSITIVE_INFINITY;
        continue; // the refilled bottom may be a run
      }
      const slot = this.hSlot[0]!;
      if ((this.rowI[4 * slot + 3]! & 1) === 1) return this.hTime[0]!;
      this.removeTop();
      this.freeSlot(slot);
      this.dead--;
    }
  }

  /** Removes the earliest event into `out`; false (and `out` untouched) when the queue is empty. */
  popInto(out: EventRecord): boolean {
    const h = this.horizon;
    this.horizon = Number.POSITIVE_INFINITY;
    const r = this.popDueInto(out);
    this.horizon = h;
    return r;
  }

  /**
   * Removes the earliest event into `out` if its time is <= `horizon`; false (and `out` untouched)
   * when the queue is empty (`size` 0) or the earliest event is later.
   */
  popDueInto(out: EventRecord): boolean {
    // The chunk run's next entry, when it is known to be there and is by value: the usual pop in a
    // dense year (events posted without an id), kept small enough for V8 to inline into a run loop.
    // Taking the entry is written out again in chunkRunPop: a shared helper measured 0.87–0.96× here.
    if (this.chunkRun) {
      const e = this.crE;
      if (e < this.crEnd) {
        const t = this.chunkF[2 * e]!;
        const chunkI = this.chunkI;
        if (chunkI[4 * e + 3] === -1 && t <= this.horizon) {
          this.crE = e + 1;
          out.time = t;
          out.kind = chunkI[4 * e]!;
          out.target = chunkI[4 * e + 1]!;
          out.arg = chunkI[4 * e + 2]!;
          out.id = -1;
          this.count--;
          return true;
        }
      }
    }
    return this.popSlow(out);
  }

  /** popDueInto's every other case. */
  private popSlow(out: EventRecord): boolean {
    if (this.count === 0) return false;
    this.settle();
    for (;;) {
      if (this.chunkRun) {
        const r = this.chunkRunPop(out);
        if (r >= 0) return r === 1;
        continue; // used up: the bottom is empty, refill below
      }
      if (this.runMode) {
        const i = this.runAt;
        if (i === this.hLen) {
          if (!this.refill()) return false;
          continue;
        }
        const slot = this.hSlot[i]!;
        const t = this.hTime[i]!;
        if (t > this.horizon) return false;
        this.runAt = i + 1;
        // Taking the event is written out here, for the heap below and in chunkRunPop: a shared
        // helper measured 0.86–0.92x in the hold model at 10^3 (it changed what V8 inlined).
        const rowI = this.rowI;
        const r = 4 * slot;
        const gen = rowI[r + 3]!;
        if ((gen & 1) === 1) {
          out.time = t;
          out.kind = rowI[r]!;
          out.target = rowI[r + 1]!;
          out.arg = rowI[r + 2]!;
          out.id = gen * SLOT_SPACE + slot;
          rowI[r + 3] = (gen + 1) & GEN_MASK;
          this.count--;
          this.free[this.freeLen++] = slot;
          return true;
        }
        this.freeSlot(slot);
        this.dead--;
        continue;
      }
      if (this.hLen === 0) {
        if (!this.refill()) return false;
        continue; // the refilled bottom may be a run
      }
      const slot = this.hSlot[0]!;
      const t = this.hTime[0]!;
      if (t > this.horizon) return false;
      const rowI = this.rowI;
      const r = 4 * slot;
      const gen = rowI[r + 3]!;
      if ((gen & 1) === 1) {
        out.time = t;
        out.kind = rowI[r]!;
        out.target = rowI[r + 1]!;
        out.arg = rowI[r + 2]!;
        out.id = gen * SLOT_SPACE + slot;
        rowI[r + 3] = (gen + 1) & GEN_MASK;
        this.count--;
        this.free[this.freeLen++] = slot;
        this.holeAtTop = true;
        return true;
      }
      this.removeTop();
      this.freeSlot(slot);
      this.dead--;
    }
  }

  /** Drops every pending event (ids issued before stay invalid). */
  clear(): void {
    // Making every generation even invalidates all ids issued so far.
    for (let s = 0; s < this.fresh; s++) {
      const g = this.rowI[4 * s + 3]!;
      if ((g & 1) === 1) this.rowI[4 * s + 3] = (g + 1) & GEN_MASK;
    }
    for (let s = 0; s < this.fresh; s++) this.free[s] = this.fresh - 1 - s;
    this.freeLen = this.fresh;
    this.hLen = 0;
    this.runAt = 0;
    this.runMode = false;
    this.holeAtTop = false;
    this.topLen = 0;
    this.topMin = Number.POSITIVE_INFINITY;
    this.topMax = Number.NEGATIVE_INFINITY;
    this.count = 0;
    this.dead = 0;
    this.chunkFresh = 0;
    this.chunkFreeLen = 0;
    this.chunkRun = false;
    this.crE = 0;
    this.crEnd = 0;
    this.toHeapMode();
  }

  // --- internals ---------------------------------------------------------------------------------

  /** Returns a popped or cancelled slot (its gen is already even) to the free list. */
  private freeSlot(slot: number): void {
    this.free[this.freeLen++] = slot;
  }

  private isLive(slot: number): boolean {
    return (this.rowI[4 * slot + 3]! & 1) === 1;
  }

  private growSlots(): void {
    if (this.cap >= SLOT_SPACE) throw new RangeError(`event queue: more than ${SLOT_SPACE} pending events`);
    const cap = Math.min(SLOT_SPACE, this.cap * 2);
    this.rowF = growF64(this.rowF, 2 * cap);
    this.rowI = growI32(this.rowI, 4 * cap);
    this.next = growI32(this.next, cap);
    this.free = growI32(this.free, cap);
    this.cap = cap;
  }

  /** A new entry at the end of dense bucket b's chunk list (the caller fills it and counts it). */
  private chunkEntry(b: number): number {
    let e = this.tailE[b]!;
    if (e % CHUNK === 0) {
      // Empty bucket (e = 0) or a full tail chunk: a new chunk.
      const c = this.allocChunk();
      if (this.heads[b] === -1) this.heads[b] = c;
      else this.chunkNext[e / CHUNK - 1] = c;
      e = c * CHUNK;
    }
    this.tailE[b] = e + 1;
    return e;
  }

  /** Appends to dense bucket b an entry referring to slot (an event with an id, or one from the top). */
  private chunkRef(b: number, slot: number): void {
    const e = this.chunkEntry(b);
    this.chunkF[2 * e] = this.rowF[2 * slot]!;
    this.chunkF[2 * e + 1] = this.rowF[2 * slot + 1]!;
    this.chunkI[4 * e + 3] = slot;
  }

  /** Appends top entry i (by value or a reference) to dense bucket b. */
  private chunkCopy(b: number, i: number): void {
    const e = this.chunkEntry(b); // first: it may grow chunkF/chunkI
    copyEntry(this.topF, this.topI, i, this.chunkF, this.chunkI, e);
  }

  private allocChunk(): number {
    if (this.chunkFreeLen > 0) return this.chunkFree[--this.chunkFreeLen]!;
    if (this.chunkFresh === this.chunkNext.length) {
      const cap = this.chunkNext.length * 2;
      this.chunkF = growF64(this.chunkF, 2 * CHUNK * cap);
      this.chunkI = growI32(this.chunkI, 4 * CHUNK * cap);
      this.chunkNext = growI32(this.chunkNext, cap);
      this.chunkFree = growI32(this.chunkFree, cap);
    }
    return this.chunkFresh++;
  }

  /**
   * A slot for chunk entry e: its own slot when it refers to one, else a fresh slot holding a copy of
   * the event (its generation made odd: pending, with no id ever issued for this generation).
   */
  private slotOfEntry(e: number): number {
    return this.slotFrom(this.chunkF, this.chunkI, e);
  }

  /** `slotOfEntry` for entry e of any entry arrays (a chunk's or the top's). */
  private slotFrom(entF: Float64Array, entI: Int32Array, e: number): number {
    const s = entI[4 * e + 3]!;
    if (s !== -1) return s;
    let slot: number;
    if (this.freeLen > 0) slot = this.free[--this.freeLen]!;
    else {
      if (this.fresh === this.cap) this.growSlots();
      slot = this.fresh++;
    }
    const rowI = this.rowI;
    const r = 4 * slot;
    this.rowF[2 * slot] = entF[2 * e]!;
    this.rowF[2 * slot + 1] = entF[2 * e + 1]!;
    rowI[r] = entI[4 * e]!;
    rowI[r + 1] = entI[4 * e + 1]!;
    rowI[r + 2] = entI[4 * e + 2]!;
    rowI[r + 3] = (rowI[r + 3]! + 1) & GEN_MASK;
    return slot;
  }

  /** Sift-up of a freshly pushed event: its seq is the largest, so an equal parent time stops it. */
  private heapPushFresh(slot: number): void {
    if (this.hLen + 1 >= this.hTime.length) this.growHeap(); // sink may read one past the end
    const t = this.rowF[2 * slot]!;
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    let i = this.hLen++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hTime[p]!;
      if (pt <= t) break;
      hTime[i] = pt;
      hSlot[i] = hSlot[p]!;
      i = p;
    }
    hTime[i] = t;
    hSlot[i] = slot;
  }

  /** Appends to the sorted run when the event sorts last; otherwise the bottom becomes a heap. */
  private runPush(slot: number): void {
    const t = this.rowF[2 * slot]!;
    let n = this.hLen;
    if (n === this.runAt) {
      n = 0; // empty run: restart at the front
      this.runAt = 0;
    } else if (!(this.hTime[n - 1]! <= t)) {
      // Sorts before the run's last event (its seq is the largest, so only a strictly earlier time).
      this.runToHeap();
      this.heapPushFresh(slot);
      return;
    }
    if (n + 1 >= this.hTime.length) {
      // Keep room for sink's read one past the end. A run consumed at the front and appended at the
      // back would creep forward forever: slide it down when at most half the array is live.
      const live = n - this.runAt;
      if (this.runAt > 0 && 2 * live < this.hTime.length) {
        this.hTime.copyWithin(0, this.runAt, n);
        this.hSlot.copyWithin(0, this.runAt, n);
        this.runAt = 0;
        n = live;
      } else this.growHeap();
    }
    this.hTime[n] = t;
    this.hSlot[n] = slot;
    this.hLen = n + 1;
  }

  /** Turns the sorted run into the heap: ascending by (time, seq) is already heap-ordered. */
  private runToHeap(): void {
    const a = this.runAt;
    const n = this.hLen;
    if (a > 0) {
      this.hTime.copyWithin(0, a, n);
      this.hSlot.copyWithin(0, a, n);
    }
    this.hLen = n - a;
    this.runAt = 0;
    this.runMode = false;
  }

  private growHeap(): void {
    const cap = this.hTime.length * 2;
    this.hTime = growF64(this.hTime, cap);
    this.hSlot = growI32(this.hSlot, cap);
  }

  private settle(): void {
    if (this.holeAtTop) {
      this.holeAtTop = false;
      this.removeTop();
    }
  }

  private removeTop(): void {
    const n = --this.hLen;
    if (n > 0) this.sink(0, this.hSlot[n]!, n);
  }

  /** Places slot's event at hole i or below, keeping the heap order by (time, seq) over [0, n). */
  private sink(hole: number, slot: number, n: number): void {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    const rowF = this.rowF;
    const t = rowF[2 * slot]!;
    const half = n >> 1;
    let i = hole;
    while (i < half) {
      // Branch-free child choice by time alone: that comparison is a coin flip the CPU cannot
      // predict, so it is arithmetic. Equal times are rare and handled behind a separate, well
      // predicted test; folding the tie-break into the same expression cost ~35 % (measured).
      const l = (i << 1) + 1;
      const r = l + 1;
      const lt = hTime[l]!;
      const rt = hTime[r]!; // may read one past n (capacity allows it), masked by (r < n)
      let m = l + (+(r < n) & +(rt < lt));
      if (rt === lt && r < n && rowF[2 * hSlot[r]! + 1]! < rowF[2 * hSlot[l]! + 1]!) m = r;
      const mt = hTime[m]!;
      if (mt >= t && (mt > t || rowF[2 * hSlot[m]! + 1]! > rowF[2 * slot + 1]!)) break;
      hTime[i] = mt;
      hSlot[i] = hSlot[m]!;
      i = m;
    }
    hTime[i] = t;
    hSlot[i] = slot;
  }

  /** Floyd's bottom-up heap construction over the first hLen entries. */
  private heapify(): void {
    const n = this.hLen;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.sink(i, this.hSlot[i]!, n);
  }

  /** Appends a top entry referring to slot. */
  private topPush(slot: number): void {
    const i = this.topEntry();
    const t = this.rowF[2 * slot]!;
    this.topF[2 * i] = t;
    this.topF[2 * i + 1] = this.rowF[2 * slot + 1]!;
    this.topI[4 * i + 3] = slot;
    if (t < this.topMin) this.topMin = t;
    if (t > this.topMax) this.topMax = t;
  }

  /** Copies entry e of a chunk (by value or a reference) to the top. */
  private topCopy(e: number): void {
    const i = this.topEntry();
    copyEntry(this.chunkF, this.chunkI, e, this.topF, this.topI, i);
    const t = this.topF[2 * i]!;
    if (t < this.topMin) this.topMin = t;
    if (t > this.topMax) this.topMax = t;
  }

  /** Reverses top entries [from, to). */
  private reverseTop(from: number, to: number): void {
    const f = this.topF;
    const n = this.topI;
    for (let i = from, j = to - 1; i < j; i++, j--) {
      for (let k = 0; k < 2; k++) {
        const x = f[2 * i + k]!;
        f[2 * i + k] = f[2 * j + k]!;
        f[2 * j + k] = x;
      }
      for (let k = 0; k < 4; k++) {
        const x = n[4 * i + k]!;
        n[4 * i + k] = n[4 * j + k]!;
        n[4 * j + k] = x;
      }
    }
  }

  /** Index of a new top entry (the caller fills it and updates topMin/topMax). */
  private topEntry(): number {
    const i = this.topLen++;
    if (2 * i === this.topF.length) {
      this.topF = growF64(this.topF, 2 * this.topF.length);
      this.topI = growI32(this.topI, 2 * this.topI.length);
    }
    return i;
  }

  /** Moves the next events into the empty bottom heap; false when nothing is pending anywhere. */
  private refill(): boolean {
    // The bottom is empty (a heap with hLen 0, or a run with runAt === hLen): start it afresh.
    this.hLen = 0;
    this.runAt = 0;
    this.runMode = false;
    for (;;) {
      if (this.bucketCount > 0) {
        const heads = this.heads;
        let b = this.cur + 1;
        while (heads[b] === -1) b++;
        this.cur = b;
        this.transfer(b);
        if (this.hLen > 0 || this.chunkRun) return true;
      } else if (this.topLen > 0) {
        this.rebuildFromTop();
        if (this.hLen > 0) return true;
      } else {
        return false;
      }
    }
  }

  /** Empties bucket b into the (empty) bottom, dropping cancelled entries. */
  private transfer(b: number): void {
    if (!this.dense) this.transferSlots(b);
    else {
      const n = this.sortedBucketLength(b);
      if (n < 0) this.transferChunks(b);
      else {
        // Popped in place: the run starts at the first chunk's first entry.
        this.bucketCount -= n;
        const c = this.heads[b]!;
        const tail = this.tailE[b]!;
        this.chunkRun = true;
        this.crE = c * CHUNK;
        this.crEnd = (tail - 1) >> CHUNK_SHIFT === c ? tail : c * CHUNK + CHUNK;
      }
    }
  }

  /** Entries in dense bucket b when they are in (time, seq) order as they lie, else -1. */
  private sortedBucketLength(b: number): number {
    const tail = this.tailE[b]!;
    const last = (tail - 1) >> CHUNK_SHIFT;
    const f = this.chunkF;
    let pt = Number.NEGATIVE_INFINITY;
    let ps = -1;
    let n = 0;
    for (let c = this.heads[b]!; ; c = this.chunkNext[c]!) {
      const end = c === last ? tail : c * CHUNK + CHUNK;
      for (let e = c * CHUNK; e < end; e++) {
        const t = f[2 * e]!;
        const q = f[2 * e + 1]!;
        if (t < pt || (t === pt && q < ps)) return -1;
        pt = t;
        ps = q;
      }
      n += end - c * CHUNK;
      if (c === last) return n;
    }
  }

  /**
   * The chunk run's next entry (not yet taken), moving past used-up chunks and freeing them; -1 when
   * the run is used up, which ends it (the bottom is then empty).
   */
  private chunkRunNext(): number {
    const cur = this.cur;
    for (;;) {
      const c = this.heads[cur]!;
      const tail = this.tailE[cur]!;
      const last = (tail - 1) >> CHUNK_SHIFT;
      const end = c === last ? tail : c * CHUNK + CHUNK;
      if (this.crE !== end) {
        this.crEnd = end;
        return this.crE;
      }
      this.chunkFree[this.chunkFreeLen++] = c;
      if (c === last) {
        this.heads[cur] = -1;
        this.tailE[cur] = 0;
        this.chunkRun = false;
        this.crEnd = this.crE = 0;
        return -1;
      }
      const n = this.chunkNext[c]!;
      this.heads[cur] = n;
      this.crE = n * CHUNK;
    }
  }

  /**
   * Pops the chunk run's next due event into `out`: 1 when popped, 0 when the next one is later than
   * `horizon`, -1 when the run is used up (the bottom is then empty). Cancelled entries are dropped.
   */
  private chunkRunPop(out: EventRecord): number {
    for (;;) {
      const e = this.chunkRunNext();
      if (e < 0) return -1;
      const t = this.chunkF[2 * e]!;
      if (t > this.horizon) return 0;
      this.crE = e + 1;
      const chunkI = this.chunkI;
      const s = chunkI[4 * e + 3]!;
      if (s === -1) {
        out.time = t;
        out.kind = chunkI[4 * e]!;
        out.target = chunkI[4 * e + 1]!;
        out.arg = chunkI[4 * e + 2]!;
        out.id = -1;
        this.count--;
        return 1;
      }
      const rowI = this.rowI;
      const r = 4 * s;
      const gen = rowI[r + 3]!;
      this.free[this.freeLen++] = s;
      if ((gen & 1) === 0) {
        this.dead--;
        continue;
      }
      out.time = t;
      out.kind = rowI[r]!;
      out.target = rowI[r + 1]!;
      out.arg = rowI[r + 2]!;
      out.id = gen * SLOT_SPACE + s;
      rowI[r + 3] = (gen + 1) & GEN_MASK;
      this.count--;
      return 1;
    }
  }

  /** The chunk run's next live event's time, or -1 when the run is used up (then ended). */
  private chunkRunPeek(): number {
    for (;;) {
      const e = this.chunkRunNext();
      if (e < 0) return -1;
      const s = this.chunkI[4 * e + 3]!;
      if (s === -1 || this.isLive(s)) return this.chunkF[2 * e]!;
      this.crE = e + 1;
      this.freeSlot(s);
      this.dead--;
    }
  }

  /**
   * A slot's event at the current bucket while it is a chunk run: appended to the run when it sorts
   * last (true), else the run becomes slots (false: the caller inserts into that bottom). Kept out of
   * insertAt so that it stays small enough for V8 to inline (460 bytes of bytecode).
   */
  private chunkRunTakes(slot: number): boolean {
    if (this.rowF[2 * slot]! >= this.chunkRunLastTime()) {
      this.chunkRef(this.cur, slot);
      return true;
    }
    this.chunkRunToSlots();
    return false;
  }

  /** The time of the chunk run's last entry (popped or not), for appends. */
  private chunkRunLastTime(): number {
    return this.chunkF[2 * (this.tailE[this.cur]! - 1)]!;
  }

  /** Ends the chunk run: what is left of it becomes slots in a sorted run (the bottom as usual). */
  private chunkRunToSlots(): void {
    this.chunkRun = false;
    this.chunksToBottom(this.cur, this.crE - this.heads[this.cur]! * CHUNK);
    this.crEnd = this.crE = 0;
    this.runAt = 0;
    this.runMode = true;
  }

  /**
   * Moves dense bucket b's entries, from entry k of its first chunk on and in push order, into bottom
   * slots [0, hLen), dropping cancelled ones and freeing the chunks; returns the entries walked.
   */
  private chunksToBottom(b: number, k: number): number {
    const tail = this.tailE[b]!;
    const last = (tail - 1) >> CHUNK_SHIFT;
    let n = 0;
    let walked = 0;
    for (let c = this.heads[b]!, from = k; ; c = this.chunkNext[c]!, from = 0) {
      const fill = c === last ? tail - c * CHUNK : CHUNK;
      walked += fill - from;
      while (this.hTime.length <= n + fill + 1) this.growHeap(); // sink may read one past the end
      for (let e = c * CHUNK + from, end = c * CHUNK + fill; e < end; e++) {
        const s = this.slotOfEntry(e);
        if (this.isLive(s)) {
          this.hTime[n] = this.chunkF[2 * e]!;
          this.hSlot[n] = s;
          n++;
        } else {
          this.freeSlot(s);
          this.dead--;
        }
      }
      this.chunkFree[this.chunkFreeLen++] = c;
      if (c === last) break;
    }
    this.heads[b] = -1;
    this.tailE[b] = 0;
    this.hLen = n;
    return walked;
  }

  /** A dense bucket: its chunks, read in order, give the bottom in push order. */
  private transferChunks(b: number): void {
    this.bucketCount -= this.chunksToBottom(b, 0);
    this.orderBottom();
  }

  /** A sparse bucket: a list of slots, prepended in push order. */
  private transferSlots(b: number): void {
    while (this.hTime.length <= this.hLen + this.bucketCount) this.growHeap();
    const rowF = this.rowF;
    const next = this.next;
    let n = this.hLen;
    let walked = 0;
    for (let s = this.heads[b]!; s !== -1; ) {
      const after = next[s]!;
      walked++;
      if (this.isLive(s)) {
        this.hTime[n] = rowF[2 * s]!;
        this.hSlot[n] = s;
        n++;
      } else {
        this.freeSlot(s);
        this.dead--;
      }
      s = after;
    }
    this.heads[b] = -1;
    this.bucketCount -= walked;
    this.hLen = n;
    // The list was prepended, so reversing restores push order (seq order, when filled in it).
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    for (let i = 0, j = n - 1; i < j; i++, j--) {
      const t = hTime[i]!;
      hTime[i] = hTime[j]!;
      hTime[j] = t;
      const x = hSlot[i]!;
      hSlot[i] = hSlot[j]!;
      hSlot[j] = x;
    }
    this.orderBottom();
  }

  /**
   * Orders a freshly transferred bottom [0, hLen), given in push order: a sorted run when that is
   * cheap (few entries, or already in order — a bucket of one instant is in FIFO order), else a heap.
   */
  private orderBottom(): void {
    const n = this.hLen;
    this.runAt = 0;
    if (n <= this.sortRunMax || this.isSortedRun(n)) {
      this.insertionSort(n);
      this.runMode = true;
    } else {
      this.runMode = false;
      this.heapify();
    }
  }

  private precedes(ta: number, sa: number, tb: number, sb: number): boolean {
    return ta < tb || (ta === tb && this.rowF[2 * sa + 1]! < this.rowF[2 * sb + 1]!);
  }

  private isSortedRun(n: number): boolean {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    for (let i = 1; i < n; i++) {
      if (this.precedes(hTime[i]!, hSlot[i]!, hTime[i - 1]!, hSlot[i - 1]!)) return false;
    }
    return true;
  }

  /** Sorts [0, n) by (time, seq); O(n) on sorted input. */
  private insertionSort(n: number): void {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    for (let i = 1; i < n; i++) {
      const t = hTime[i]!;
      const s = hSlot[i]!;
      let j = i;
      while (j > 0 && this.precedes(t, s, hTime[j - 1]!, hSlot[j - 1]!)) {
        hTime[j] = hTime[j - 1]!;
        hSlot[j] = hSlot[j - 1]!;
        j--;
      }
      hTime[j] = t;
      hSlot[j] = s;
    }
  }

  /** Gathers every pending entry into the top, then rebuilds (size change, drift, or purge). */
  private rebuildAll(): void {
    this.settle();
    if (this.chunkRun) this.chunkRunToSlots();
    // Gathered in (time, seq) order wherever cheap — a run as it is, the heap by popping it, a slot list
    // reversed into push order — so that the buckets rebuilt from the top are again in push order for
    // each instant and become sorted runs (a heap over one instant pays the seq tie-break at every
    // level: at 10^5 events per 100 ns, the year built while the queue filled made every bucket a heap).
    if (this.runMode) for (let i = this.runAt; i < this.hLen; i++) this.topPush(this.hSlot[i]!);
    else {
      while (this.hLen > 0) {
        this.topPush(this.hSlot[0]!);
        this.removeTop();
      }
    }
    this.hLen = 0;
    this.runAt = 0;
    this.runMode = false;
    if (this.bucketCount > 0) {
      for (let b = this.cur + 1; b < this.nb; b++) {
        if (this.heads[b] === -1) continue;
        if (this.dense) {
          const tail = this.tailE[b]!;
          const last = (tail - 1) >> CHUNK_SHIFT;
          for (let c = this.heads[b]!; ; c = this.chunkNext[c]!) {
            for (let e = c * CHUNK, end = c === last ? tail : e + CHUNK; e < end; e++) this.topCopy(e);
            this.chunkFree[this.chunkFreeLen++] = c;
            if (c === last) break;
          }
        } else {
          const from = this.topLen;
          for (let s = this.heads[b]!; s !== -1; s = this.next[s]!) this.topPush(s);
          this.reverseTop(from, this.topLen);
        }
        this.heads[b] = -1;
      }
      this.bucketCount = 0;
    }
    this.rebuildFromTop();
  }

  private toHeapMode(): void {
    this.dense = false;
    this.nb = 0;
    this.base = 0;
    this.invW = 0;
    this.cur = 0;
    this.bucketCount = 0;
    this.bucketLimit = Number.POSITIVE_INFINITY;
    this.bottomLimit = Math.max(2 * this.calendarAbove, 2 * this.hLen);
  }

  /** Precondition: bottom and buckets are empty; every pending entry is in the top. */
  private rebuildFromTop(): void {
    const topF = this.topF;
    const topI = this.topI;
    const n = this.topLen;
    if (this.count <= this.calendarAbove) {
      while (this.hTime.length <= n) this.growHeap();
      let h = 0;
      for (let i = 0; i < n; i++) {
        const s = this.slotFrom(topF, topI, i);
        if (this.isLive(s)) {
          this.hTime[h] = topF[2 * i]!;
          this.hSlot[h] = s;
          h++;
        } else this.freeSlot(s);
      }
      this.hLen = h;
      // A heap, whatever the bottom was: refill gets here after a bucket of only cancelled entries
      // left an empty *run* behind (a sequence the model test found).
      this.runMode = false;
      this.runAt = 0;
      this.heapify();
      this.toHeapMode();
      this.topLen = 0;
      this.topMin = Number.POSITIVE_INFINITY;
      this.topMax = Number.NEGATIVE_INFINITY;
    } else {
      const spread = Math.ceil(this.count / this.bucketSize);
      const span = this.topMax - this.topMin;
      // Bucket width: `bucketSize` events at the density of the *front*, where the pops happen. With
      // exponential delays the front is ~2·ln(N) times denser than the average over the span, so a width
      // from the average alone (the year twice the span over N/bucketSize buckets) put ~100 events in
      // the current bucket at N = 10^3 instead of 8. The average-based width stays an upper bound; all
      // events at one instant get 1 ns buckets, so the year still ends and later events reach the top.
      let width = span > 0 ? (span * YEAR_FACTOR) / spread : 1;
      const front = this.frontWidth(n);
      // Dense when a bucket is one instant holding many events: more than FRONT_SAMPLE of the earliest
      // share one instant (frontWidth 0; ns-3's benchmark at 10^5 pending puts ~1000 on each
      // nanosecond), or the times are integers and the front holds `bucketSize` or more per nanosecond
      // (~10 at 10^3 pending there). As a slot list, each event of such a bucket is a cache miss at
      // transfer once the table is large (slots are reused in pop order, so a list's slots are
      // scattered), and a copy into the bottom at any size; chunks in push order are read sequentially
      // and popped in place. Sparse buckets (a few events of different times) stay slot lists.
      this.dense = this.frontSampled && (front === 0 || (front <= 1 && this.frontIntegral));
      if (front > 0 && front < width) width = front;
      // The year covers YEAR_FACTOR times the span when that takes at most MAX_BUCKETS_PER_EVENT·N
      // buckets; what lies beyond stays in the top for the next year. A year of just the span fills
      // the top again as soon as time advances (new events land past its end), so it was rebuilt every
      // ~N·(span/mean delay) pops; twice the span halves that (hold model at 10^3: +5–8 %).
      const nb = Math.min(
        Math.floor((YEAR_FACTOR * span) / width) + 1,
        Math.max(spread, MAX_BUCKETS_PER_EVENT * this.count),
      );
      if (this.heads.length < nb) {
        const size = Math.max(nb, this.heads.length * 2);
        this.heads = new Int32Array(size);
        this.tailE = new Int32Array(size);
      }
      this.heads.fill(-1, 0, nb);
      this.tailE.fill(0, 0, nb);
      this.base = this.topMin;
      this.invW = 1 / width;
      this.nb = nb;
      this.cur = -1;
      const heads = this.heads;
      let moved = 0;
      let kept = 0;
      let keptMin = Number.POSITIVE_INFINITY;
      let keptMax = Number.NEGATIVE_INFINITY;
      // Entries that stay in the top are compacted in place (kept <= i), in their order.
      for (let i = 0; i < n; i++) {
        const ref = topI[4 * i + 3]!;
        if (ref !== -1 && !this.isLive(ref)) {
          this.freeSlot(ref);
          continue;
        }
        const t = topF[2 * i]!;
        const b = Math.floor((t - this.base) * this.invW);
        if (b < nb) {
          if (this.dense) this.chunkCopy(b, i);
          else {
            const s = this.slotFrom(topF, topI, i);
            this.next[s] = heads[b]!;
            heads[b] = s;
          }
          moved++;
        } else {
          if (kept !== i) {
            topF[2 * kept] = t;
            topF[2 * kept + 1] = topF[2 * i + 1]!;
            topI.copyWithin(4 * kept, 4 * i, 4 * i + 4);
          }
          kept++;
          if (t < keptMin) keptMin = t;
          if (t > keptMax) keptMax = t;
        }
      }
      this.topLen = kept;
      this.topMin = keptMin;
      this.topMax = keptMax;
      this.bucketCount = moved;
      this.bucketLimit = 4 * Math.max(this.count, this.calendarAbove);
      this.bottomLimit = Number.POSITIVE_INFINITY;
    }
    this.dead = 0;
  }

  /**
   * Width holding `bucketSize` events at the front of the top's live times: from the gap between the
   * earliest and the k-th earliest (k = FRONT_SAMPLE), found by selection in O(n). 0 when unknown
   * (too few events, or the k earliest share one instant).
   */
  private frontWidth(n: number): number {
    if (this.scratch.length < n) this.scratch = new Float64Array(Math.max(n, 2 * this.scratch.length));
    const times = this.scratch;
    let m = 0;
    let integral = true;
    for (let i = 0; i < n; i++) {
      const s = this.topI[4 * i + 3]!;
      if (s === -1 || this.isLive(s)) {
        const t = this.topF[2 * i]!;
        times[m++] = t;
        if (integral && Math.floor(t) !== t) integral = false;
      }
    }
    this.frontIntegral = integral;
    const k = Math.min(m - 1, FRONT_SAMPLE);
    this.frontSampled = k === FRONT_SAMPLE;
    if (k < 1) return 0;
    const front = ((selectKth(times, m, k) - this.topMin) / k) * this.bucketSize;
    if (!(front > 0)) return 0; // the front is one instant: the average-based width already splits it
    // Never so narrow that the year (at most MAX_BUCKETS_PER_EVENT·N buckets) ends before a quarter of
    // the events: a cluster at the front followed by a gap would otherwise make each year hold only
    // the cluster, an O(N) rebuild per handful of pops.
    const quarter = selectKth(times, m, m >> 2) - this.topMin;
    return Math.max(front, quarter / (MAX_BUCKETS_PER_EVENT * m));
  }
}

/** The k-th smallest (0-based) of a[0, n), rearranging a (Hoare's selection, median-of-three pivot). */
function selectKth(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of a[lo], a[mid], a[hi] as the pivot value.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Copies entry i of (fromF, fromI) to entry j of (toF, toI): (time, seq) and (kind, target, arg, slot). */
function copyEntry(
  fromF: Float64Array,
  fromI: Int32Array,
  i: number,
  toF: Float64Array,
  toI: Int32Array,
  j: number,
): void {
  toF[2 * j] = fromF[2 * i]!;
  toF[2 * j + 1] = fromF[2 * i + 1]!;
  toI[4 * j] = fromI[4 * i]!;
  toI[4 * j + 1] = fromI[4 * i + 1]!;
  toI[4 * j + 2] = fromI[4 * i + 2]!;
  toI[4 * j + 3] = fromI[4 * i + 3]!;
}

function growF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
