// The emulated system: one simulator, one frame pool, every namespace and device.
//
// Devices are numbered world-wide (`Device.id`) so per-device state that the hot path touches lives in
// typed arrays indexed by that id (counters, per-reason drops), and so an event can name its target
// device with an integer. Frame accounting is exact: every frame that enters the data plane is
// eventually consumed (delivered to a socket, swallowed by a dummy device) or dropped with a reason, and
// the ones in between are still in the pool; `frameBalance()` checks that equation.

import { FramePool } from '../core/frame-pool.js';
import { Simulator } from '../core/simulator.js';
import { Disposition, NoteKind, Stage, Tracer } from '../trace/explain.js';
import type { Device } from './device.js';
import { DROP_REASON_COUNT, Drop } from './drop-reason.js';
import { Namespace } from './namespace.js';

/** Per-device counters, one typed array per column, indexed by device id (`ip -s link`). */
export class DeviceCounters {
  rxPackets = new Float64Array(64);
  rxBytes = new Float64Array(64);
  txPackets = new Float64Array(64);
  txBytes = new Float64Array(64);
  rxDropped = new Float64Array(64);
  txDropped = new Float64Array(64);
  /**
   * Per-device drops by reason: device `id` counts in row `dropRow[id]` of `dropRows` (at
   * row * DROP_REASON_COUNT + reason), made on its first drop — most devices never drop, and a row
   * per device from the start was ~460 bytes per device (1.4 KB per container).
   */
  private dropRow = new Int32Array(64).fill(-1);
  private dropRows = new Float64Array(0);
  private dropRowCount = 0;

  ensure(devCount: number): void {
    if (devCount <= this.rxPackets.length) return;
    let cap = this.rxPackets.length;
    while (cap < devCount) cap *= 2;
    this.rxPackets = grow(this.rxPackets, cap);
    this.rxBytes = grow(this.rxBytes, cap);
    this.txPackets = grow(this.txPackets, cap);
    this.txBytes = grow(this.txBytes, cap);
    this.rxDropped = grow(this.rxDropped, cap);
    this.txDropped = grow(this.txDropped, cap);
    const rows = new Int32Array(cap).fill(-1);
    rows.set(this.dropRow);
    this.dropRow = rows;
  }

  /** Counts one frame dropped for `reason` on device `devId`'s path. */
  countDrop(devId: number, reason: number): void {
    let r = this.dropRow[devId]!;
    if (r < 0) r = this.newDropRow(devId);
    this.dropRows[r * DROP_REASON_COUNT + reason]!++;
  }

  /** Frames device `devId`'s path dropped for `reason`. */
  dropsOf(devId: number, reason: number): number {
    const r = this.dropRow[devId] ?? -1;
    return r < 0 ? 0 : this.dropRows[r * DROP_REASON_COUNT + reason]!;
  }

  private newDropRow(devId: number): number {
    const r = this.dropRowCount++;
    if ((r + 1) * DROP_REASON_COUNT > this.dropRows.length) {
      this.dropRows = grow(this.dropRows, Math.max(4, 2 * (r + 1)) * DROP_REASON_COUNT);
    }
    this.dropRow[devId] = r;
    return r;
  }
}

function grow(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Netdevice notifier events (cf. NETDEV_UP, NETDEV_DOWN, NETDEV_CHANGE*, NETDEV_UNREGISTER). */
export type NetdevEvent = 'up' | 'down' | 'change-mtu' | 'change-addr' | 'change-carrier' | 'unregister';
export type NetdevListener = (event: NetdevEvent, dev: Device) => void;

/** The explanation's disposition for a drop reason. */
function dispositionOf(reason: Drop): Disposition {
  switch (reason) {
    case Drop.NoRoute:
      return Disposition.NoRoute;
    case Drop.NeighFailed:
    case Drop.NeighQueueFull:
      return Disposition.NeighbourUnreachable;
    case Drop.MtuExceeded:
      return Disposition.MtuExceeded;
    case Drop.CtTableFull:
      return Disposition.CtTableFull;
    case Drop.NoSocket:
      return Disposition.NoSocket;
    case Drop.TtlExpired:
      return Disposition.TtlExpired;
    default:
      return Disposition.Dropped;
  }
}

export interface WorldOptions {
  seed?: number | string;
  /** Frame-pool check mode: poison freed slots, detect double free and leaks. */
  check?: boolean;
  /** Event budget handed to the simulator. */
  maxEvents?: number;
}

export class World {
  readonly sim: Simulator;
  readonly pool: FramePool;
  readonly devices: Device[] = [];
  readonly namespaces: Namespace[] = [];
  private readonly nsByName = new Map<string, Namespace>();
  readonly counters = new DeviceCounters();
  /** Drops by reason across the world. */
  readonly dropCounts = new Float64Array(DROP_REASON_COUNT);
  /** Per-packet explanations of traced frames (frames whose pool.traceId is >= 0). */
  readonly tracer = new Tracer();
  framesCreated = 0;
  framesConsumed = 0;
  framesDropped = 0;
  private readonly netdevListeners: NetdevListener[] = [];
  /** Listeners called before `netdevListeners` (see `onNetdevFirst`). */
  private readonly firstNetdevListeners: NetdevListener[] = [];
  private readonly sharedKinds = new Map<string, number>();
  /** Event kinds registered by the data plane. */
  readonly K: { readonly deliver: number };

  constructor(opts: WorldOptions = {}) {
    this.sim = new Simulator({ seed: opts.seed ?? 1, eventBudget: opts.maxEvents });
    this.pool = new FramePool({ check: opts.check ?? false });
    const devices = this.devices;
    this.K = {
      deliver: this.sim.registerKind('deliver', (devId, h) => devices[devId]!.receive(h)),
    };
  }

  registerDevice(dev: Device): number {
    const id = this.devices.length;
    this.devices.push(dev);
    this.counters.ensure(this.devices.length);
    return id;
  }

  /**
   * The event kind `name`, registered on first use. Subsystems that exist once per namespace (neighbour
   * tables, TCP) share one kind per world and put the namespace id in the event's target, so the
   * number of kinds stays constant however many namespaces a topology has (kinds are 16-bit).
   */
  sharedKind(name: string, handler: (target: number, arg: number) => void): number {
    let k = this.sharedKinds.get(name);
    if (k === undefined) {
      k = this.sim.registerKind(name, handler);
      this.sharedKinds.set(name, k);
    }
    return k;
  }

  /**
   * Subscribes to device events, as subsystems register on the netdevice notifier chain: IPv4 adds and
   * removes routes on up/down and forgets addresses/neighbours on unregister, bridges drop ports.
   * 'unregister' is also sent when a device leaves its namespace (`ip link set X netns Y`).
   */
  onNetdev(fn: NetdevListener): void {
    this.netdevListeners.push(fn);
  }

  /**
   * Subscribes, once per world, a per-namespace subsystem (the IPv4 stack) that finds its state for
   * the event through `dev.ns`; these listeners run before the `onNetdev` ones. One listener per
   * world rather than one per namespace: an event costs O(1) however many namespaces exist, and a
   * namespace carries no closure for it.
   */
  onNetdevFirst(fn: NetdevListener): void {
    this.firstNetdevListeners.push(fn);
  }

  notifyNetdev(event: NetdevEvent, dev: Device): void {
    for (const fn of this.firstNetdevListeners) fn(event, dev);
    for (const fn of this.netdevListeners) fn(event, dev);
  }

  addNamespace(name: string): Namespace {
    if (this.nsByName.has(name)) throw new Error(`Cannot create namespace "${name}": File exists`);
    const ns = new Namespace(this, this.nsById.length, name);
    this.namespaces.push(ns);
    this.nsById.push(ns);
    this.nsByName.set(name, ns);
    for (const fn of this.nsAddedListeners) fn(ns);
    return ns;
  }

  /**
   * Calls `fn` for every namespace created from now on (a loaded module's pernet init, e.g. ipip's
   * tunl0 in each new namespace).
   */
  onNamespaceAdded(fn: (ns: Namespace) => void): void {
    this.nsAddedListeners.push(fn);
  }
  private readonly nsAddedListeners: ((ns: Namespace) => void)[] = [];

  namespace(name: string): Namespace | undefined {
    return this.nsByName.get(name);
  }

  /**
   * The namespace with `id`, or undefined once it was deleted: per-namespace timers (neighbour, TCP,
   * conntrack gc) carry the id and find nothing to do for a deleted namespace.
   */
  namespaceById(id: number): Namespace | undefined {
    return this.nsById[id] ?? undefined;
  }
  /** Namespaces by id; a deleted one leaves a hole (ids are never reused). */
  private readonly nsById: (Namespace | null)[] = [];

  /**
   * cleanup_net once the last reference to a namespace is gone (`ip netns del`, a container's sandbox
   * after Docker removed it): its devices are unregistered and it leaves the world. The caller deletes
   * devices that have a peer or a lower device elsewhere first (veth, macvlan: `ip link del`, which
   * takes peers along); what is left here is lo and devices owned by this namespace alone. Listeners
   * (`onNamespaceDeleted`) free per-namespace state (conntrack). Sockets of applications still
   * running in it stay open but can reach nothing.
   */
  deleteNamespace(ns: Namespace): void {
    if (this.nsById[ns.id] !== ns)
      throw new Error(`Cannot remove namespace "${ns.name}": No such file or directory`);
    for (const dev of [...ns.devices].reverse()) {
      if (dev.adminUp) {
        dev.adminUp = false;
        this.notifyNetdev('down', dev);
      }
      this.notifyNetdev('unregister', dev);
      ns.detach(dev);
      dev.onDelete();
    }
    for (const fn of this.nsDeletedListeners) fn(ns);
    this.nsById[ns.id] = null;
    this.nsByName.delete(ns.name);
    const i = this.namespaces.indexOf(ns);
    if (i >= 0) this.namespaces.splice(i, 1);
  }

  /** Calls `fn` for every namespace deleted from now on (pernet exit: free per-namespace state). */
  onNamespaceDeleted(fn: (ns: Namespace) => void): void {
    this.nsDeletedListeners.push(fn);
  }
  private readonly nsDeletedListeners: ((ns: Namespace) => void)[] = [];

  /** A new frame for the data plane; counted so conservation can be checked. */
  newFrame(): number {
    this.framesCreated++;
    return this.pool.alloc();
  }

  /**
   * A new frame able to hold `bytes` after the headroom: an ordinary slot when it fits, else a large
   * one (reassembly, sends above ~1900 bytes; see src/core/frame-pool.ts "Large slots").
   */
  newFrameFor(bytes: number): number {
    this.framesCreated++;
    return this.pool.allocFor(bytes);
  }

  /** A copy of `h` (flooding); the copy is a new frame in the accounting. */
  cloneFrame(h: number): number {
    this.framesCreated++;
    const c = this.pool.clone(h);
    // The copy inherits the trace id with the metadata; its first row names the frame it copies so
    // the explanation can tell a flood's copies from new packets.
    const t = this.pool.traceId[c]!;
    if (t >= 0) this.tracer.record(t, this.sim.now, Stage.Note, -1, NoteKind.Clone, h, 0, c);
    return c;
  }

  /** Schedules frame `h` to arrive at device `devId` at time `t`. */
  deliverAt(t: number, devId: number, h: number): void {
    this.sim.post(t - this.sim.now, this.K.deliver, devId, h);
  }

  /**
   * Schedules frame `h` to arrive at device `devId` `delayNs` from now (the hot path: a small integer
   * delay is passed instead of an absolute time, which V8 would box, and no event id is made).
   */
  deliverAfter(delayNs: number, devId: number, h: number): void {
    this.sim.post(delayNs, this.K.deliver, devId, h);
  }

  /** The frame reached its destination (a socket, an application, a sink device). */
  consume(h: number): void {
    this.framesConsumed++;
    const t = this.pool.traceId[h]!;
    if (t >= 0) this.tracer.record(t, this.sim.now, Stage.End, -1, Disposition.Delivered, 0, -1, h);
    this.pool.free(h);
  }

  /** The frame is dropped for `reason` on the path of device `devId` (-1 when no device applies). */
  drop(h: number, reason: Drop, devId: number): void {
    this.framesDropped++;
    this.dropCounts[reason]!++;
    if (devId >= 0) this.counters.countDrop(devId, reason);
    const t = this.pool.traceId[h]!;
    if (t >= 0)
      this.tracer.record(t, this.sim.now, Stage.End, devId, dispositionOf(reason), reason, devId, h);
    this.pool.free(h);
  }

  /** Frames created minus consumed minus dropped: must equal the pool's live frames. */
  frameBalance(): { created: number; consumed: number; dropped: number; inFlight: number } {
    return {
      created: this.framesCreated,
      consumed: this.framesConsumed,
      dropped: this.framesDropped,
      inFlight: this.framesCreated - this.framesConsumed - this.framesDropped,
    };
  }
}
