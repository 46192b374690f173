// The discrete-event simulator: a clock, the pending-event set and the root RNG.
//
// Event dispatch follows ns-3's Simulator/DefaultSimulatorImpl model (events ordered by (time, uid),
// Run/Stop/Stop-at), with one difference that keeps the hot path allocation-free: an event is not a
// closure but a row of numbers (kind, target, arg), and each kind has exactly one handler registered up
// front. A handler receives (target, arg, now) and typically indexes typed arrays with target (a device,
// a socket) and arg (a frame handle).
//
// No float crosses a call on the hot path (V8 boxes a float64 argument or return value — any time
// past 2^30 ns — into a fresh 16-byte HeapNumber when it does not inline the callee):
//   - handlers declared with two parameters `(target, arg)` are called with exactly those; a handler
//     that declares `now` (three parameters) is wrapped once at registration and reads the clock;
//   - `at`/`post` hand the time to the queue through its `t` register, and `post` returns no id;
//   - the run loop gives the queue its `until` once (`horizon`) and pops with a boolean answer.
// Measured with bench/event-loop.bench.ts (hold model through post/after): 16-33 B/event before.
//
// Scheduling in the past, at a fractional or unsafe time, or with an unregistered kind is a programming
// error and throws. A runaway scenario is stopped by an event budget: `run` returns reason 'budget'
// with a message naming the budget that was hit (the simulator-wide one from the constructor, or the
// per-call `maxEvents`).
import { EventQueue, type EventQueueOptions, EventRecord } from './event-queue.js';
import { Rng } from './rng.js';
import { formatDuration, MAX_TIME_NS } from './time.js';

export type EventHandler = (target: number, arg: number, now: number) => void;

/** Called after every dispatched event when set (run fingerprinting, tracing). */
export type EventHook = (kind: number, target: number, arg: number, now: number) => void;

export interface SimulatorOptions {
  /** Root seed of `rng` (default 1). */
  seed?: number | string;
  /** Total events this simulator may ever dispatch (default 1e9). */
  eventBudget?: number;
  /** Tuning for the event queue. */
  queue?: EventQueueOptions;
}

export interface RunOptions {
  /** Run events with time <= until, then leave the clock at `until` (inclusive bound). */
  until?: number;
  /** Dispatch at most this many events in this call. */
  maxEvents?: number;
}

export type RunReason = 'drained' | 'until' | 'stopped' | 'budget';

export interface RunResult {
  /** drained: no events left (the clock is then at `until` when one was given); until: next event is after `until`; stopped: stop() was called; budget: an event budget ran out. */
  reason: RunReason;
  /** Events dispatched by this call. */
  events: number;
  /** Clock when the call returned. */
  now: number;
  /** For 'budget': which budget was hit and how to raise it. */
  message?: string;
}

const MAX_KINDS = 0x10000; // kind is stored as a u16

export class Simulator {
  /** Root generator; components take `rng.stream(name)` so adding one never reshuffles the others. */
  readonly rng: Rng;
  readonly queue: EventQueue;
  private clock = 0;
  private readonly handlers: ((target: number, arg: number) => void)[] = [];
  // handlers.length, as a plain number field: the check on every at/after/post reads it without
  // loading the array (event loop at 10^3 pending: +5-8 %, measured).
  private kindCount = 0;
  private readonly kindNames: string[] = [];
  private readonly kindIds = new Map<string, number>();
  private readonly rec = new EventRecord();
  private hook: EventHook | null = null;
  private stopRequested = false;
  private running = false;
  private dispatched = 0;
  private readonly eventBudget: number;
  // The "now lane": events posted with zero delay (a frame crossing a veth or bridge hop), in a FIFO
  // ring instead of the queue. They all fall at `clock`, so FIFO is their (time, insertion) order; the
  // queue's events at the same instant were all scheduled before them (an `at`/`after` at `clock`
  // first moves the lane into the queue, `flushLane`), so the loop dispatches those first, then the
  // lane, then later times. A burst of frames at one instant thus costs O(1) per event instead of a
  // heap sift whose every comparison ties on time. laneRow[3i] = kind, [3i+1] = target, [3i+2] = arg.
  private laneRow = new Int32Array(3 * 256);
  private laneHead = 0;
  private laneLen = 0;

  constructor(options: SimulatorOptions = {}) {
    this.rng = Rng.fromSeed(options.seed ?? 1);
    this.queue = new EventQueue(options.queue);
    this.eventBudget = options.eventBudget ?? 1e9;
  }

  /** Current simulated time in integer nanoseconds. */
  get now(): number {
    return this.clock;
  }

  /** Events dispatched since construction (counts against the event budget). */
  get eventsDispatched(): number {
    return this.dispatched;
  }

  /** Sets or clears the per-event hook. When null, the run loop has no hook check at all. */
  set onEvent(hook: EventHook | null) {
    this.hook = hook;
  }

  get onEvent(): EventHook | null {
    return this.hook;
  }

  /** Registers the one handler of a new event kind; returns the kind number to schedule with. */
  registerKind(name: string, handler: EventHandler): number {
    if (this.kindIds.has(name)) throw new Error(`event kind ${JSON.stringify(name)} is already registered`);
    if (this.handlers.length >= MAX_KINDS) throw new RangeError(`more than ${MAX_KINDS} event kinds`);
    // The loop calls handler(target, arg): one that wants `now` gets it from the clock here, so only
    // such handlers pay for a boxed time.
    this.handlers.push(
      handler.length >= 3
        ? (target, arg) => handler(target, arg, this.clock)
        : (handler as (target: number, arg: number) => void),
    );
    this.kindNames.push(name);
    this.kindIds.set(name, this.handlers.length - 1);
    this.kindCount = this.handlers.length;
    return this.handlers.length - 1;
  }

  /** The name a kind was registered with (for traces and error messages). */
  kindName(kind: number): string {
    return this.kindNames[kind] ?? `kind#${kind}`;
  }

  /** Schedules an event at absolute time `timeNs` (integer ns, >= now); returns an id for cancel(). */
  at(timeNs: number, kind: number, target: number, arg: number): number {
    const q = this.queue;
    q.t = timeNs;
    this.checkQueued(kind, target, arg);
    return q.pushT(kind, target, arg);
  }

  /** Schedules an event `delayNs` (integer ns, >= 0) from now. */
  after(delayNs: number, kind: number, target: number, arg: number): number {
    const q = this.queue;
    q.t = this.clock + delayNs;
    this.checkQueued(kind, target, arg);
    return q.pushT(kind, target, arg);
  }

  /**
   * `at`, storing the event's id at ids[index] instead of returning it: for timer tables kept in a
   * Float64Array (one entry per timer, -1 when none is armed). An id is past 2^31 once its queue slot
   * has been reused, and a number like that returned from a call V8 does not inline is a fresh heap
   * object; written into the table, it never is. Pair with `cancelFrom`.
   */
  atInto(timeNs: number, kind: number, target: number, arg: number, ids: Float64Array, index: number): void {
    const q = this.queue;
    q.t = timeNs;
    this.checkQueued(kind, target, arg);
    q.pushTInto(kind, target, arg, ids, index);
  }

  /** `after`, storing the event's id at ids[index] instead of returning it (see `atInto`). */
  afterInto(
    delayNs: number,
    kind: number,
    target: number,
    arg: number,
    ids: Float64Array,
    index: number,
  ): void {
    const q = this.queue;
    q.t = this.clock + delayNs;
    this.checkQueued(kind, target, arg);
    q.pushTInto(kind, target, arg, ids, index);
  }

  /**
   * Checks an event about to be pushed at the time in the queue's `t` register (the time is never
   * passed as an argument: past 2^30 ns it would be boxed). At the current instant the lane moves into
   * the queue first, so the event sorts after the frames posted before it.
   */
  private checkQueued(kind: number, target: number, arg: number): void {
    const t = this.queue.t;
    if (!(t >= this.clock && t <= MAX_TIME_NS) || Math.floor(t) !== t) this.badTime(t);
    if (!(kind >= 0 && kind < this.kindCount) || (target | 0) !== target || (arg | 0) !== arg) {
      this.badEvent(kind, target, arg);
    }
    if (this.laneLen !== 0 && t === this.clock) {
      this.flushLane();
      this.queue.t = t;
    }
  }

  /**
   * Schedules an event `delayNs` (integer ns, >= 0) from now that will never be cancelled (frame
   * deliveries): like `after`, but returns nothing, so the hot path boxes no id and no time.
   */
  post(delayNs: number, kind: number, target: number, arg: number): void {
    const t = this.clock + delayNs;
    if (!(delayNs >= 0 && t <= MAX_TIME_NS) || Math.floor(delayNs) !== delayNs) this.badTime(t);
    if (!(kind >= 0 && kind < this.kindCount) || (target | 0) !== target || (arg | 0) !== arg) {
      this.badEvent(kind, target, arg);
    }
    if (delayNs === 0) {
      this.lanePush(kind, target, arg);
      return;
    }
    const q = this.queue;
    q.t = t;
    q.postT(kind, target, arg);
  }

  private lanePush(kind: number, target: number, arg: number): void {
    if (this.laneLen === this.laneRow.length / 3) this.growLane(this.laneLen);
    const row = this.laneRow;
    const i = 3 * ((this.laneHead + this.laneLen) & (row.length / 3 - 1));
    row[i] = kind;
    row[i + 1] = target;
    row[i + 2] = arg;
    this.laneLen++;
  }

  private growLane(cap: number): void {
    const next = new Int32Array(6 * cap);
    for (let k = 0; k < this.laneLen; k++) {
      const i = 3 * ((this.laneHead + k) & (cap - 1));
      next.set(this.laneRow.subarray(i, i + 3), 3 * k);
    }
    this.laneRow = next;
    this.laneHead = 0;
  }

  /** Pops the lane's oldest event into `rec` (the lane is not empty). */
  private lanePop(rec: EventRecord): void {
    const row = this.laneRow;
    const i = 3 * this.laneHead;
    rec.time = this.clock;
    rec.kind = row[i]!;
    rec.target = row[i + 1]!;
    rec.arg = row[i + 2]!;
    rec.id = -1;
    this.laneHead = (this.laneHead + 1) & (row.length / 3 - 1);
    this.laneLen--;
  }

  /**
   * Moves the lane into the queue, in order, before an `at`/`after` at the current instant: the queue
   * then orders everything at this instant by insertion, as if the lane had never existed.
   */
  private flushLane(): void {
    const q = this.queue;
    const row = this.laneRow;
    const mask = row.length / 3 - 1;
    while (this.laneLen > 0) {
      const i = 3 * this.laneHead;
      q.t = this.clock;
      q.postT(row[i]!, row[i + 1]!, row[i + 2]!);
      this.laneHead = (this.laneHead + 1) & mask;
      this.laneLen--;
    }
  }

  /**
   * The next event due at or before the loop's horizon into `rec`: the queue's events at the current
   * instant (older), then the lane, then the queue up to its horizon. False when none is due.
   */
  private popNext(rec: EventRecord, until: number): boolean {
    const q = this.queue;
    if (this.laneLen === 0) return q.popDueInto(rec);
    if (q.size !== 0) {
      q.horizon = this.clock;
      const got = q.popDueInto(rec);
      q.horizon = until;
      if (got) return true;
    }
    this.lanePop(rec);
    return true;
  }

  /** Cancels a scheduled event; false when it already ran or was cancelled. */
  cancel(id: number): boolean {
    return this.queue.cancel(id);
  }

  /**
   * Cancels the event whose id `atInto`/`afterInto` stored at ids[index], and sets the entry to -1;
   * false when the entry holds none (negative) or the event already ran or was cancelled.
   */
  cancelFrom(ids: Float64Array, index: number): boolean {
    return this.queue.cancelFrom(ids, index);
  }

  /** Asks the current run to return (reason 'stopped') before dispatching another event. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Dispatches events in (time, insertion) order until one of the conditions in RunResult holds. */
  run(options: RunOptions = {}): RunResult {
    const until = options.until ?? Number.POSITIVE_INFINITY;
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    if (this.running) throw new Error('Simulator.run called from inside an event handler');
    if (!(until >= this.clock)) {
      throw new RangeError(`run until ${until} ns is before now (${formatDuration(this.clock)})`);
    }
    if (!(maxEvents >= 0)) throw new RangeError(`maxEvents must be >= 0, got ${maxEvents}`);
    // The loop may dispatch min(per-call limit, what is left of the simulator-wide budget).
    const left = this.eventBudget - this.dispatched;
    const limit = Math.min(maxEvents, left);
    this.running = true;
    let events = 0;
    let reason: RunReason;
    try {
      reason = this.hook === null ? this.loop(until, limit) : this.loopHooked(until, limit);
    } finally {
      this.running = false;
      events = this.lastLoopEvents;
      this.dispatched += events;
    }
    if (reason === 'stopped') this.stopRequested = false;
    if (reason === 'budget') {
      const message =
        events >= maxEvents
          ? `stopped after maxEvents = ${maxEvents} events in this run (at ${formatDuration(this.clock)})`
          : `event budget of ${this.eventBudget} events exhausted at ${formatDuration(this.clock)}; ` +
            'a runaway scenario? raise SimulatorOptions.eventBudget if the run is meant to be this long';
      return { reason, events, now: this.clock, message };
    }
    return { reason, events, now: this.clock };
  }

  private lastLoopEvents = 0;

  private loop(until: number, limit: number): RunReason {
    const q = this.queue;
    const rec = this.rec;
    const handlers = this.handlers;
    q.horizon = until;
    let n = 0;
    try {
      for (;;) {
        if (this.stopRequested) return 'stopped';
        if (n >= limit) return 'budget';
        if (!this.popNext(rec, until)) {
          // Running "until T" leaves the clock at T even when the queue ran dry first, so that
          // timeline steps and reports read the time the caller asked for.
          if (q.size === 0) {
            if (until !== Number.POSITIVE_INFINITY) this.clock = until;
            return 'drained';
          }
          this.clock = until;
          return 'until';
        }
        this.clock = rec.time;
        n++;
        handlers[rec.kind]!(rec.target, rec.arg);
      }
    } finally {
      q.horizon = Number.POSITIVE_INFINITY;
      this.lastLoopEvents = n;
    }
  }

  /** Same loop with the hook; kept separate so the common case pays nothing for it. */
  private loopHooked(until: number, limit: number): RunReason {
    const q = this.queue;
    const rec = this.rec;
    const handlers = this.handlers;
    q.horizon = until;
    let n = 0;
    try {
      for (;;) {
        if (this.stopRequested) return 'stopped';
        if (n >= limit) return 'budget';
        if (!this.popNext(rec, until)) {
          // Running "until T" leaves the clock at T even when the queue ran dry first, so that
          // timeline steps and reports read the time the caller asked for.
          if (q.size === 0) {
            if (until !== Number.POSITIVE_INFINITY) this.clock = until;
            return 'drained';
          }
          this.clock = until;
          return 'until';
        }
        this.clock = rec.time;
        n++;
        const kind = rec.kind;
        const target = rec.target;
        const arg = rec.arg;
        const time = rec.time;
        handlers[kind]!(target, arg);
        this.hook?.(kind, target, arg, time);
      }
    } finally {
      q.horizon = Number.POSITIVE_INFINITY;
      this.lastLoopEvents = n;
    }
  }

  private badTime(timeNs: number): never {
    if (!(timeNs >= this.clock)) {
      throw new RangeError(`cannot schedule at ${timeNs} ns: that is before now (${this.clock} ns)`);
    }
    throw new RangeError(`cannot schedule at ${timeNs} ns: times are integer nanoseconds up to 2^53 - 1`);
  }

  private badEvent(kind: number, target: number, arg: number): never {
    if (!(kind >= 0 && kind < this.kindCount)) throw new RangeError(`unregistered event kind ${kind}`);
    throw new RangeError(`event target and arg must be int32, got target ${target}, arg ${arg}`);
  }
}
