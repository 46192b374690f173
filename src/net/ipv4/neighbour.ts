// The neighbour table (ARP cache) of one namespace, with Linux's NUD states and timers.
//
// Heads up: read net/core/neighbour.c — `__neigh_event_send` (what a transmit does in each state),
// `neigh_timer_handler` (timer transitions), `__neigh_update` (what a received ARP does), and
// `neigh_max_probes` — before changing a transition. Timer values come from
// net.ipv4.neigh.<dev>.* (arp_tbl defaults in net/ipv4/arp.c).
//
// Transitions (kernel semantics, times in ns of simulated time):
//   NONE/FAILED --send--> INCOMPLETE (probes = ucast_solicit, broadcast solicit now, timer retrans)
//   INCOMPLETE --timer--> solicit again until probes >= ucast+app+mcast → FAILED (queue flushed,
//                         each queued packet reported as host unreachable, `arp_error_report`)
//   REACHABLE --timer at confirmed+reachable--> DELAY if used within delay_first_probe, else STALE
//   STALE --send--> DELAY (timer delay_first_probe_time)
//   DELAY --timer--> REACHABLE if confirmed within delay_first_probe, else PROBE (probes = 0, unicast
//                    solicits every retrans_time; ucast+app+mcast_reprobes of them → FAILED)
//   any --ARP reply to us--> REACHABLE (confirmed = now); ARP request from it → STALE (update)
// `reachable_time` is base_reachable_time × uniform[0.5, 1.5) (`neigh_rand_reach_time`), drawn from
// the namespace's seeded stream per device when the device's parameters are set.
//
// Entries are rows of typed arrays; a (device id, address) open-addressing hash finds them. Frames
// waiting for resolution form a singly linked list through `qNext` indexed by frame handle.

import { grownCapacity, NO_F64, NO_I32, NO_U8, NO_U32 } from '../../core/lazy-columns.js';
import type { Device } from '../device.js';
import { DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Ipv4Stack } from './stack.js';

/** NUD states (`NUD_*`, include/uapi/linux/neighbour.h): bit flags. */
export const NUD = Object.freeze({
  None: 0x00,
  Incomplete: 0x01,
  Reachable: 0x02,
  Stale: 0x04,
  Delay: 0x08,
  Probe: 0x10,
  Failed: 0x20,
  Noarp: 0x40,
  Permanent: 0x80,
} as const);
const NUD_IN_TIMER = NUD.Incomplete | NUD.Reachable | NUD.Delay | NUD.Probe;
const NUD_VALID = NUD.Permanent | NUD.Noarp | NUD.Reachable | NUD.Probe | NUD.Stale | NUD.Delay;
const NUD_CONNECTED = NUD.Permanent | NUD.Noarp | NUD.Reachable;

export function nudName(state: number): string {
  switch (state) {
    case NUD.Incomplete:
      return 'INCOMPLETE';
    case NUD.Reachable:
      return 'REACHABLE';
    case NUD.Stale:
      return 'STALE';
    case NUD.Delay:
      return 'DELAY';
    case NUD.Probe:
      return 'PROBE';
    case NUD.Failed:
      return 'FAILED';
    case NUD.Noarp:
      return 'NOARP';
    case NUD.Permanent:
      return 'PERMANENT';
    default:
      return 'NONE';
  }
}

/** `neigh_update` flags. */
export const NEIGH_UPDATE = Object.freeze({ Override: 1, WeakOverride: 2, Admin: 0x80 } as const);

const MS = 1_000_000;
const S = 1_000_000_000;
/** HZ/100: the kernel's minimum timer step in jiffies at HZ=100..1000, here 10 ms. */
const MIN_TIMER_NS = 10 * MS;

/** Per-device neighbour parameters (`struct neigh_parms`), in ns where they are times. */
export class NeighParms {
  baseReachableNs = 30 * S;
  retransNs = 1 * S;
  delayProbeNs = 5 * S;
  gcStaleNs = 60 * S;
  ucastProbes = 3;
  mcastProbes = 3;
  appProbes = 0;
  mcastReprobes = 0;
  unresQlenBytes = 212992;
  locktimeNs = 1 * S;
  /** base × uniform[0.5, 1.5), redrawn when base changes. */
  reachableNs = 30 * S;
}

const EMPTY = -1;
/** Entry slots a table starts with (~1 KB less per namespace than 64, for 100k-namespace topologies). */
const INITIAL_ENTRIES = 4;
const NO_HASH_DEV: Int32Array<ArrayBuffer> = new Int32Array(1).fill(EMPTY);
const NO_HASH_ADDR: Uint32Array<ArrayBuffer> = new Uint32Array(1);
const NO_HASH_VAL: Int32Array<ArrayBuffer> = new Int32Array(1).fill(EMPTY);

export class NeighTable {
  // Entry columns (a container's table holds one or two entries: start small, grow by doubling). They
  // start empty and shared (src/core/lazy-columns.ts): a namespace that never resolves a neighbour
  // allocates none.
  devId = NO_I32;
  addr = NO_U32;
  state = NO_U8;
  macHi = NO_U32;
  macLo = NO_U32;
  updated = NO_F64;
  confirmed = NO_F64;
  used = NO_F64;
  probes = NO_I32;
  timerId = NO_F64;
  /** Bumped whenever the entry's timer is re-armed or the entry is freed; timer events carry it. */
  gen = NO_I32;
  qHead = NO_I32;
  qTail = NO_I32;
  qBytes = NO_F64;
  live = NO_U8;
  /** Creation order (for `ip neigh` listing). */
  created = NO_F64;
  private createdSeq = 0;
  private freeIds: number[] = [];
  private nextId = 0;
  /** Frame queue links, indexed by frame handle (grown to the largest handle queued). */
  qNext = NO_I32;

  // (devId, addr) → entry index.
  // Until the first entry: one shared empty slot (a probe needs at least one; never written, since
  // an insertion into it grows first).
  private hKeyDev = NO_HASH_DEV;
  private hKeyAddr = NO_HASH_ADDR;
  private hVal = NO_HASH_VAL;
  private hCount = 0;

  /** Per device id parameters. */
  readonly parms: (NeighParms | undefined)[] = [];

  readonly timerKind: number;

  constructor(private readonly stack: Ipv4Stack) {
    const world = stack.world;
    // One kind for every namespace's table: target = namespace id, arg = entry id.
    this.timerKind = world.sharedKind('neigh-timer', (nsId, id) => {
      (world.namespaceById(nsId)?.ipv4 as Ipv4Stack | undefined)?.neigh.timer(id);
    });
  }

  parmsOf(devId: number): NeighParms {
    let p = this.parms[devId];
    if (p === undefined) {
      p = this.stack.loadNeighParms(devId);
      this.parms[devId] = p;
    }
    return p;
  }

  // ---- hash ----------------------------------------------------------------------------------
  private slot(devId: number, addr: number): number {
    return (Math.imul(addr ^ Math.imul(devId, 0x85ebca6b), 0x9e3779b1) >>> 0) & (this.hVal.length - 1);
  }

  /** The entry for (device, address), or -1 (`neigh_lookup`). `addr` as u32 or int32 (not boxed). */
  lookup(devId: number, addr: number): number {
    const m = this.hVal.length - 1;
    const a = addr >>> 0;
    let i = this.slot(devId, addr);
    for (;;) {
      const v = this.hVal[i]!;
      if (v === EMPTY) return EMPTY;
      if (this.hKeyDev[i] === devId && this.hKeyAddr[i] === a) return v;
      i = (i + 1) & m;
    }
  }

  private hashInsert(devId: number, addr: number, val: number): void {
    if ((this.hCount + 1) * 2 > this.hVal.length) this.hashGrow();
    const m = this.hVal.length - 1;
    let i = this.slot(devId, addr);
    while (this.hVal[i] !== EMPTY) i = (i + 1) & m;
    this.hKeyDev[i] = devId;
    this.hKeyAddr[i] = addr;
    this.hVal[i] = val;
    this.hCount++;
  }

  private hashGrow(): void {
    const kd = this.hKeyDev;
    const ka = this.hKeyAddr;
    const v = this.hVal;
    const n = Math.max(2 * INITIAL_ENTRIES, kd.length * 2);
    this.hKeyDev = new Int32Array(n).fill(EMPTY);
    this.hKeyAddr = new Uint32Array(n);
    this.hVal = new Int32Array(n).fill(EMPTY);
    this.hCount = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== EMPTY) this.hashInsert(kd[i]!, ka[i]!, v[i]!);
  }

  private hashDelete(devId: number, addr: number): void {
    const m = this.hVal.length - 1;
    let i = this.slot(devId, addr);
    for (;;) {
      if (this.hVal[i] === EMPTY) return;
      if (this.hKeyDev[i] === devId && this.hKeyAddr[i] === addr) break;
      i = (i + 1) & m;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & m;
      if (this.hVal[j] === EMPTY) break;
      const home = this.slot(this.hKeyDev[j]!, this.hKeyAddr[j]!);
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.hKeyDev[i] = this.hKeyDev[j]!;
        this.hKeyAddr[i] = this.hKeyAddr[j]!;
        this.hVal[i] = this.hVal[j]!;
        i = j;
      }
    }
    this.hVal[i] = EMPTY;
    this.hKeyDev[i] = EMPTY;
    this.hCount--;
  }

  // ---- entries -------------------------------------------------------------------------------
  private grow(): void {
    const n = grownCapacity(this.live.length, INITIAL_ENTRIES);
    const g = <T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.devId = g(this.devId);
    this.addr = g(this.addr);
    this.state = g(this.state);
    this.macHi = g(this.macHi);
    this.macLo = g(this.macLo);
    this.updated = g(this.updated);
    this.confirmed = g(this.confirmed);
    this.used = g(this.used);
    this.probes = g(this.probes);
    this.timerId = g(this.timerId, -1);
    this.gen = g(this.gen);
    this.qHead = g(this.qHead, EMPTY);
    this.qTail = g(this.qTail, EMPTY);
    this.qBytes = g(this.qBytes);
    this.live = g(this.live);
    this.created = g(this.created);
  }

  /** `neigh_create`: a new entry in state NONE (NOARP on devices without ARP, `arp_constructor`). */
  create(dev: Device, addr: number): number {
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.nextId++;
      if (id >= this.live.length) this.grow();
    }
    const now = this.stack.world.sim.now;
    const p = this.parmsOf(dev.id);
    this.devId[id] = dev.id;
    this.addr[id] = addr;
    this.macHi[id] = 0;
    this.macLo[id] = 0;
    this.probes[id] = 0;
    this.updated[id] = now;
    this.used[id] = now;
    // `neigh_alloc`: confirmed = jiffies - (base_reachable_time << 1): not recently confirmed.
    this.confirmed[id] = now - 2 * p.baseReachableNs;
    this.timerId[id] = -1;
    this.qHead[id] = EMPTY;
    this.qTail[id] = EMPTY;
    this.qBytes[id] = 0;
    this.live[id] = 1;
    this.created[id] = this.createdSeq++;
    if (dev.kind === DevKind.Loopback || dev.kind === DevKind.Dummy || dev.noArp) {
      this.state[id] = NUD.Noarp;
      this.macHi[id] = dev.macHi;
      this.macLo[id] = dev.macLo;
    } else {
      this.state[id] = NUD.None;
    }
    this.hashInsert(dev.id, addr, id);
    return id;
  }

  /** Removes an entry; queued frames are dropped with `reason`. */
  destroy(id: number, reason: Drop): void {
    if (this.live[id] !== 1) return;
    this.delTimer(id);
    this.dropQueue(id, reason);
    this.hashDelete(this.devId[id]!, this.addr[id]!);
    this.live[id] = 0;
    this.gen[id] = (this.gen[id]! + 1) | 0;
    this.state[id] = NUD.None;
    this.freeIds.push(id);
  }

  liveIds(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < this.nextId; i++) if (this.live[i] === 1) ids.push(i);
    return ids.sort((a, b) => this.created[a]! - this.created[b]!);
  }

  // ---- timers --------------------------------------------------------------------------------
  private delTimer(id: number): void {
    const t = this.timerId[id]!;
    if (t >= 0) {
      this.stack.world.sim.cancel(t);
      this.timerId[id] = -1;
    }
    this.gen[id] = (this.gen[id]! + 1) | 0;
  }

  private addTimer(id: number, when: number): void {
    this.delTimer(id);
    const sim = this.stack.world.sim;
    const t = when < sim.now ? sim.now : Math.round(when);
    this.timerId[id] = sim.at(t, this.timerKind, this.stack.ns.id, id);
  }

  /** `neigh_timer_handler`. A re-armed or deleted entry's old event was cancelled (`delTimer`). */
  timer(id: number): void {
    if (this.live[id] !== 1) return;
    this.timerId[id] = -1;
    const now = this.stack.world.sim.now;
    const state = this.state[id]!;
    if ((state & NUD_IN_TIMER) === 0) return;
    const p = this.parmsOf(this.devId[id]!);
    let next = now + S;
    if (state & NUD.Reachable) {
      if (now <= this.confirmed[id]! + p.reachableNs) {
        next = this.confirmed[id]! + p.reachableNs;
      } else if (now <= this.used[id]! + p.delayProbeNs) {
        this.state[id] = NUD.Delay;
        this.updated[id] = now;
        next = now + p.delayProbeNs;
      } else {
        this.state[id] = NUD.Stale;
        this.updated[id] = now;
      }
    } else if (state & NUD.Delay) {
      if (now <= this.confirmed[id]! + p.delayProbeNs) {
        this.state[id] = NUD.Reachable;
        this.updated[id] = now;
        next = this.confirmed[id]! + p.reachableNs;
      } else {
        this.state[id] = NUD.Probe;
        this.updated[id] = now;
        this.probes[id] = 0;
        next = now + (p.retransNs > MIN_TIMER_NS ? p.retransNs : MIN_TIMER_NS);
      }
    } else {
      // NUD_PROBE | NUD_INCOMPLETE
      next = now + (p.retransNs > MIN_TIMER_NS ? p.retransNs : MIN_TIMER_NS);
    }
    const st = this.state[id]!;
    if (st & (NUD.Incomplete | NUD.Probe) && this.probes[id]! >= this.maxProbes(id, p)) {
      this.state[id] = NUD.Failed;
      this.updated[id] = now;
      this.invalidate(id);
      return;
    }
    if (st & NUD_IN_TIMER) {
      if (next < now + MIN_TIMER_NS) next = now + MIN_TIMER_NS;
      this.addTimer(id, next);
    }
    if (st & (NUD.Incomplete | NUD.Probe)) this.probe(id);
  }

  /** `neigh_max_probes`. */
  private maxProbes(id: number, p: NeighParms): number {
    return p.ucastProbes + p.appProbes + (this.state[id]! & NUD.Probe ? p.mcastReprobes : p.mcastProbes);
  }

  /** `neigh_probe`: solicit (about the newest queued packet), then count the probe. */
  private probe(id: number): void {
    this.stack.arp.solicit(id, this.qTail[id]!);
    this.probes[id]!++;
  }

  /** `neigh_invalidate`: report every queued packet unreachable (`arp_error_report`) and drop it. */
  private invalidate(id: number): void {
    const w = this.stack.world;
    let h = this.qHead[id]!;
    this.qHead[id] = EMPTY;
    this.qTail[id] = EMPTY;
    this.qBytes[id] = 0;
    const devId = this.devId[id]!;
    while (h !== EMPTY) {
      const next = this.qNext[h]!;
      this.stack.linkFailure(h, devId);
      w.drop(h, Drop.NeighFailed, devId);
      h = next;
    }
  }

  private dropQueue(id: number, reason: Drop): void {
    const w = this.stack.world;
    let h = this.qHead[id]!;
    const devId = this.devId[id]!;
    while (h !== EMPTY) {
      const next = this.qNext[h]!;
      w.drop(h, reason, devId);
      h = next;
    }
    this.qHead[id] = EMPTY;
    this.qTail[id] = EMPTY;
    this.qBytes[id] = 0;
  }

  private enqueue(id: number, h: number, bytes: number): void {
    if (h >= this.qNext.length) {
      let n = grownCapacity(this.qNext.length, 16);
      while (n <= h) n *= 2;
      const q = new Int32Array(n);
      q.set(this.qNext);
      this.qNext = q;
    }
    const p = this.parmsOf(this.devId[id]!);
    const w = this.stack.world;
    // `__neigh_event_send`: drop the oldest queued packets while the new one would not fit.
    while (this.qBytes[id]! + bytes > p.unresQlenBytes && this.qHead[id] !== EMPTY) {
      const old = this.qHead[id]!;
      this.qHead[id] = this.qNext[old]!;
      if (this.qHead[id] === EMPTY) this.qTail[id] = EMPTY;
      this.qBytes[id]! -= w.pool.len[old]!;
      w.drop(old, Drop.NeighQueueFull, this.devId[id]!);
    }
    this.qNext[h] = EMPTY;
    if (this.qTail[id] === EMPTY) this.qHead[id] = h;
    else this.qNext[this.qTail[id]!] = h;
    this.qTail[id] = h;
    this.qBytes[id]! += bytes;
  }

  /**
   * `neigh_event_send` for frame `h` (an IPv4 packet at pool.start[h]) towards entry `id`.
   * Returns true when the caller may transmit now with the entry's MAC; false when the entry took
   * the frame (queued, or dropped because resolution is impossible).
   */
  eventSend(id: number, h: number): boolean {
    const now = this.stack.world.sim.now;
    this.used[id] = now;
    const state = this.state[id]!;
    if (state & (NUD_CONNECTED | NUD.Delay | NUD.Probe)) return true;
    const p = this.parmsOf(this.devId[id]!);
    let immediateProbe = false;
    if ((state & (NUD.Stale | NUD.Incomplete)) === 0) {
      if (p.mcastProbes + p.appProbes > 0) {
        this.probes[id] = p.ucastProbes;
        this.state[id] = NUD.Incomplete;
        this.updated[id] = now;
        this.addTimer(id, now + (p.retransNs > MIN_TIMER_NS ? p.retransNs : MIN_TIMER_NS));
        immediateProbe = true;
      } else {
        this.state[id] = NUD.Failed;
        this.updated[id] = now;
        this.stack.world.drop(h, Drop.NeighFailed, this.devId[id]!);
        return false;
      }
    } else if (state & NUD.Stale) {
      this.state[id] = NUD.Delay;
      this.updated[id] = now;
      this.addTimer(id, now + p.delayProbeNs);
      return true;
    }
    // INCOMPLETE: queue.
    this.enqueue(id, h, this.stack.world.pool.len[h]!);
    if (immediateProbe) this.probe(id);
    return false;
  }

  /**
   * `__neigh_update`: a new link-layer address and/or state from ARP or from `ip neigh`. `hi/lo` are
   * the new MAC (ignored when `hasMac` is false). Returns false when the update was refused.
   */
  update(id: number, hasMac: boolean, hi: number, lo: number, newState: number, flags: number): boolean {
    const now = this.stack.world.sim.now;
    const old = this.state[id]!;
    const admin = (flags & NEIGH_UPDATE.Admin) !== 0;
    if (!admin && old & (NUD.Noarp | NUD.Permanent)) return false;
    if ((newState & NUD_VALID) === 0) {
      // Invalidate: NONE / FAILED / INCOMPLETE requested by admin.
      this.delTimer(id);
      if (old & NUD_CONNECTED) {
        /* neigh_suspect */
      }
      this.state[id] = newState;
      if (newState !== old) this.updated[id] = now;
      if (old & (NUD.Incomplete | NUD.Probe) && newState & NUD.Failed) this.invalidate(id);
      return true;
    }
    let macChanged: boolean;
    let newHi = hi;
    let newLo = lo;
    if (hasMac) {
      macChanged = !((old & NUD_VALID) !== 0 && this.macHi[id] === hi && this.macLo[id] === lo);
    } else {
      if ((old & NUD_VALID) === 0) return false;
      newHi = this.macHi[id]!;
      newLo = this.macLo[id]!;
      macChanged = false;
    }
    // Update confirmed timestamp after an ARP packet even if the binding does not change.
    if (newState & NUD_CONNECTED) this.confirmed[id] = now;
    let st = newState;
    if (old & NUD_VALID) {
      if (macChanged && (flags & NEIGH_UPDATE.Override) === 0) {
        if (flags & NEIGH_UPDATE.WeakOverride && old & NUD_CONNECTED) {
          newHi = this.macHi[id]!;
          newLo = this.macLo[id]!;
          macChanged = false;
          st = NUD.Stale;
        } else {
          return false;
        }
      } else if (!macChanged && st === NUD.Stale && !admin) {
        st = old;
      }
    }
    if (st !== old || macChanged) this.updated[id] = now;
    if (st !== old) {
      this.delTimer(id);
      if (st & NUD.Probe) this.probes[id] = 0;
      if (st & NUD_IN_TIMER) {
        const p = this.parmsOf(this.devId[id]!);
        this.addTimer(id, now + (st & NUD.Reachable ? p.reachableNs : 0));
      }
      this.state[id] = st;
    }
    if (macChanged) {
      this.macHi[id] = newHi;
      this.macLo[id] = newLo;
      if ((st & NUD_CONNECTED) === 0) {
        const p = this.parmsOf(this.devId[id]!);
        this.confirmed[id] = now - 2 * p.baseReachableNs;
      }
    }
    if (st === old) return true;
    if ((old & NUD_VALID) === 0) this.flushQueue(id);
    return true;
  }

  /** Sends the frames that waited for resolution (`__neigh_update` → `n->output` for arp_queue). */
  private flushQueue(id: number): void {
    let h = this.qHead[id]!;
    this.qHead[id] = EMPTY;
    this.qTail[id] = EMPTY;
    this.qBytes[id] = 0;
    while (h !== EMPTY) {
      const next = this.qNext[h]!;
      this.stack.neighTransmit(id, h);
      h = next;
    }
  }

  /** Removes every entry of a device (`neigh_ifdown`), dropping queued frames. */
  flushDevice(devId: number, keepPermanent: boolean): void {
    for (const id of this.liveIds()) {
      if (this.devId[id] !== devId) continue;
      if (keepPermanent && this.state[id]! & (NUD.Permanent | NUD.Noarp)) continue;
      this.destroy(id, Drop.DevDown);
    }
  }
}
