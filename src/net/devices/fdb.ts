// The bridge forwarding database (net/bridge/br_fdb.c): {MAC, VLAN} → port, with ageing.
//
// Heads up: read br_fdb.c (`br_fdb_update`, `fdb_create`, `has_expired`, `br_fdb_cleanup`,
// `fdb_add_entry`) before changing the semantics here.
//
// Layout (style.md §4): structure of arrays, open addressing with linear probing, power-of-two capacity
// that doubles when live + deleted slots pass 3/4. Deleted slots are tombstones; a rehash (on growth,
// or when tombstones alone push occupancy past the limit) drops them. The key is (macHi, macLo, vid);
// the value is a port number (`port_no`, 1..1023; 0 = the bridge itself, the kernel's `dst == NULL`).
// `seq` orders entries as the kernel's `fdb_list` does (newest first in dumps); a move keeps it.
//
// Expiry is lazy, as `has_expired`: a dynamic entry whose `updated + ageing` is not in the future is
// not used by `lookup` (it still exists, and `bridge fdb show` prints it `stale`) until `cleanup`
// deletes it. The owner (BridgeDevice) schedules one cleanup event at the earliest expiry
// (`nextExpiry`), as `br_fdb_cleanup` re-arms its delayed work.
//
// Lookup, learn and delete allocate nothing and use no strings. The per-frame entry points
// (`learnNow`, `lookupNow`) take no time argument (they read the owner's clock) and accept the low MAC
// word as int32 (`lo | 0`): V8 boxes a float — a time past 2^30 ns, a u32 past 2^31 — passed to a
// function it does not inline.

/** Where the per-frame entry points read the current time (the Simulator). */
export interface FdbClock {
  readonly now: number;
}

const STOPPED: FdbClock = Object.freeze({ now: 0 });

/** Entry flags (cf. BR_FDB_* bits in include/net/bridge... br_private.h). */
export const FdbFlag = {
  /** BR_FDB_LOCAL: the address is the bridge's or a port's own; frames to it go up the stack. */
  Local: 1,
  /** BR_FDB_STATIC: never ages (set for local and user `static`/`permanent` entries). */
  Static: 2,
  /** BR_FDB_ADDED_BY_USER: `bridge fdb add`. */
  User: 4,
  /** BR_FDB_STICKY: never moves to another port on learning. */
  Sticky: 8,
} as const;

/** What `learn` did (cf. the branches of br_fdb_update). */
export const Learn = {
  /** Nothing to do: ageing 0 ("some users want to always flood") or the table is full. */
  None: 0,
  /** The entry existed on the same port (or is sticky); `updated` refreshed. */
  Refreshed: 1,
  /** A new entry was created. */
  Created: 2,
  /** The entry moved to the ingress port. */
  Moved: 3,
  /** The source is a local address of the bridge: not learned ("received packet … with own address"). */
  OwnAddress: 4,
} as const;
export type Learn = (typeof Learn)[keyof typeof Learn];

const EMPTY = 0;
const USED = 1;
const DELETED = 2;

/** Port number of the bridge device itself (`fdb->dst == NULL`). */
export const FDB_PORT_BRIDGE = 0;

/** Kernel's default limit on learned entries is unlimited; ours grows up to this many slots. */
const MAX_CAPACITY = 1 << 24;

export class Fdb {
  macHi: Uint16Array;
  macLo: Uint32Array;
  vlan: Uint16Array;
  port: Uint16Array;
  /** Sim ns of the last time the source was seen (`fdb->updated`). */
  updated: Float64Array;
  /** Sim ns of the last time the entry was used as a forwarding destination (`fdb->used`). */
  used: Float64Array;
  /** Creation order (`fdb_list` position): dumps list higher `seq` first. */
  seq: Float64Array;
  flags: Uint8Array;
  slotState: Uint8Array;
  /** Live entries. */
  count = 0;
  private deleted = 0;
  private mask: number;
  private nextSeq = 0;
  /** Hold time in ns (the bridge's `ageing_time`); 0 disables learning and ages every dynamic entry. */
  ageingNs: number;

  constructor(
    capacityPow2 = 64,
    ageingNs = 300e9,
    private readonly clock: FdbClock = STOPPED,
  ) {
    let cap = 8;
    while (cap < capacityPow2) cap *= 2;
    this.mask = cap - 1;
    this.macHi = new Uint16Array(cap);
    this.macLo = new Uint32Array(cap);
    this.vlan = new Uint16Array(cap);
    this.port = new Uint16Array(cap);
    this.updated = new Float64Array(cap);
    this.used = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.flags = new Uint8Array(cap);
    this.slotState = new Uint8Array(cap);
    this.ageingNs = ageingNs;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  private static hash(hi: number, lo: number, vid: number): number {
    let h = Math.imul(lo ^ 0x2545f491, 0x9e3779b1) ^ Math.imul((hi << 12) ^ vid, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h >>> 0;
  }

  /** Slot of the entry {hi, lo, vid} whether or not it has expired (`fdb_find_rcu`), or -1. */
  find(hi: number, lo: number, vid: number): number {
    const mask = this.mask;
    const st = this.slotState;
    const lo32 = lo >>> 0; // callers may pass it as int32
    let i = Fdb.hash(hi, lo, vid) & mask;
    for (;;) {
      const s = st[i]!;
      if (s === EMPTY) return -1;
      if (s === USED && this.macLo[i] === lo32 && this.macHi[i] === hi && this.vlan[i] === vid) return i;
      i = (i + 1) & mask;
    }
  }

  /** `has_expired`: a dynamic entry not refreshed within the hold time. */
  expired(slot: number, now: number): boolean {
    return (this.flags[slot]! & FdbFlag.Static) === 0 && this.updated[slot]! + this.ageingNs <= now;
  }

  /** The usable entry for a destination (`__br_fdb_get`): its slot, or -1 when missing or aged out. */
  lookup(hi: number, lo: number, vid: number, now: number): number {
    const i = this.find(hi, lo, vid);
    if (i < 0 || this.expired(i, now)) return -1;
    return i;
  }

  /** `lookup` at the clock's time, `lo` as int32 or u32 (the per-frame path). */
  lookupNow(hi: number, lo: number, vid: number): number {
    const i = this.find(hi, lo, vid);
    if (i < 0) return -1;
    if ((this.flags[i]! & FdbFlag.Static) === 0 && this.updated[i]! + this.ageingNs <= this.clock.now)
      return -1;
    return i;
  }

  /** `learn` at the clock's time, `lo` as int32 or u32 (the per-frame path). */
  learnNow(hi: number, lo: number, vid: number, inPort: number): Learn {
    if (this.ageingNs === 0) return Learn.None;
    const i = this.find(hi, lo, vid);
    if (i >= 0) {
      const f = this.flags[i]!;
      if (f & FdbFlag.Local) return Learn.OwnAddress;
      this.updated[i] = this.clock.now;
      if (this.port[i] !== inPort && (f & FdbFlag.Sticky) === 0) {
        this.port[i] = inPort;
        return Learn.Moved;
      }
      return Learn.Refreshed;
    }
    return this.insert(hi, lo >>> 0, vid, inPort, 0, this.clock.now) >= 0 ? Learn.Created : Learn.None;
  }

  /**
   * Learns the source address of a frame received on `inPort` (`br_fdb_update`):
   * 1. hold time 0 → nothing (the kernel's "some users want to always flood");
   * 2. an existing local entry is never taken over (the kernel warns "own address as source");
   * 3. an existing entry is refreshed and, unless sticky, moved to `inPort` — static and user-added
   *    entries move too (verified on Linux 6.18: only permanent/local and sticky entries stay);
   * 4. otherwise a new dynamic entry is created.
   */
  learn(hi: number, lo: number, vid: number, inPort: number, now: number): Learn {
    if (this.ageingNs === 0) return Learn.None;
    const i = this.find(hi, lo, vid);
    if (i >= 0) {
      const f = this.flags[i]!;
      if (f & FdbFlag.Local) return Learn.OwnAddress;
      this.updated[i] = now;
      if (this.port[i] !== inPort && (f & FdbFlag.Sticky) === 0) {
        this.port[i] = inPort;
        return Learn.Moved;
      }
      return Learn.Refreshed;
    }
    return this.insert(hi, lo, vid, inPort, 0, now) >= 0 ? Learn.Created : Learn.None;
  }

  /**
   * Inserts a new entry (the caller checked that the key is absent); returns its slot or -1 when the
   * table cannot grow. Reuses the first tombstone on the probe path.
   */
  insert(hi: number, lo: number, vid: number, port: number, flags: number, now: number): number {
    if ((this.count + this.deleted + 1) * 4 > this.capacity * 3) {
      if (!this.rehash(this.count * 2 + 2 > this.capacity ? this.capacity * 2 : this.capacity)) return -1;
    }
    const mask = this.mask;
    const st = this.slotState;
    let i = Fdb.hash(hi, lo, vid) & mask;
    while (st[i] === USED) i = (i + 1) & mask;
    if (st[i] === DELETED) this.deleted--;
    st[i] = USED;
    this.macHi[i] = hi;
    this.macLo[i] = lo;
    this.vlan[i] = vid;
    this.port[i] = port;
    this.flags[i] = flags;
    this.updated[i] = now;
    this.used[i] = now;
    this.seq[i] = this.nextSeq++;
    this.count++;
    return i;
  }

  /** Deletes the entry in `slot` (`fdb_delete`). */
  deleteSlot(slot: number): void {
    if (this.slotState[slot] !== USED) return;
    this.slotState[slot] = DELETED;
    this.count--;
    this.deleted++;
    // A run of tombstones ending in an empty slot can be emptied: probes stop at EMPTY anyway.
    if (this.slotState[(slot + 1) & this.mask] === EMPTY) {
      let j = slot;
      while (this.slotState[j] === DELETED) {
        this.slotState[j] = EMPTY;
        this.deleted--;
        j = (j - 1) & this.mask;
      }
    }
  }

  /** Deletes {hi, lo, vid}; false when absent. */
  delete(hi: number, lo: number, vid: number): boolean {
    const i = this.find(hi, lo, vid);
    if (i < 0) return false;
    this.deleteSlot(i);
    return true;
  }

  /**
   * Deletes the entries pointing at `port` (`br_fdb_delete_by_port`): all of them with `doAll`
   * (port removal), else only non-static ones (flush).
   */
  deleteByPort(port: number, doAll: boolean): number {
    let n = 0;
    const st = this.slotState;
    for (let i = 0; i <= this.mask; i++) {
      if (st[i] !== USED || this.port[i] !== port) continue;
      if (!doAll && this.flags[i]! & FdbFlag.Static) continue;
      this.deleteSlot(i);
      n++;
    }
    return n;
  }

  /** Deletes every expired entry (`br_fdb_cleanup`); returns how many. */
  cleanup(now: number): number {
    let n = 0;
    const st = this.slotState;
    for (let i = 0; i <= this.mask; i++) {
      if (st[i] === USED && this.expired(i, now)) {
        this.deleteSlot(i);
        n++;
      }
    }
    return n;
  }

  /** Earliest time a dynamic entry expires, or Infinity when none can. */
  nextExpiry(): number {
    let t = Number.POSITIVE_INFINITY;
    const st = this.slotState;
    for (let i = 0; i <= this.mask; i++) {
      if (st[i] !== USED || this.flags[i]! & FdbFlag.Static) continue;
      const e = this.updated[i]! + this.ageingNs;
      if (e < t) t = e;
    }
    return t;
  }

  /** Live slots, newest first (`fdb_list` order), for dumps (configuration side: allocates). */
  slots(): number[] {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.slotState[i] === USED) out.push(i);
    return out.sort((a, b) => this.seq[b]! - this.seq[a]!);
  }

  private rehash(newCap: number): boolean {
    if (newCap > MAX_CAPACITY) return false;
    const old = {
      hi: this.macHi,
      lo: this.macLo,
      vlan: this.vlan,
      port: this.port,
      updated: this.updated,
      used: this.used,
      seq: this.seq,
      flags: this.flags,
      st: this.slotState,
    };
    this.mask = newCap - 1;
    this.macHi = new Uint16Array(newCap);
    this.macLo = new Uint32Array(newCap);
    this.vlan = new Uint16Array(newCap);
    this.port = new Uint16Array(newCap);
    this.updated = new Float64Array(newCap);
    this.used = new Float64Array(newCap);
    this.seq = new Float64Array(newCap);
    this.flags = new Uint8Array(newCap);
    this.slotState = new Uint8Array(newCap);
    this.deleted = 0;
    for (let j = 0; j < old.st.length; j++) {
      if (old.st[j] !== USED) continue;
      let i = Fdb.hash(old.hi[j]!, old.lo[j]!, old.vlan[j]!) & this.mask;
      while (this.slotState[i] === USED) i = (i + 1) & this.mask;
      this.slotState[i] = USED;
      this.macHi[i] = old.hi[j]!;
      this.macLo[i] = old.lo[j]!;
      this.vlan[i] = old.vlan[j]!;
      this.port[i] = old.port[j]!;
      this.updated[i] = old.updated[j]!;
      this.used[i] = old.used[j]!;
      this.seq[i] = old.seq[j]!;
      this.flags[i] = old.flags[j]!;
    }
    return true;
  }
}

/**
 * A non-bridge device with its own forwarding table reachable by `bridge fdb … self` (vxlan's
 * remote list, a NIC's unicast filter). Devices without it get the kernel's default behaviour
 * (`ndo_dflt_fdb_add`: the address joins the device's unicast list, shown `self permanent`).
 */
export interface SelfFdbDevice {
  /** `bridge fdb add|append|replace MAC dev DEV self [dst IP] …`; returns an errno-style message or null. */
  fdbSelfAdd(
    mac: { hi: number; lo: number },
    opts: { op: 'add' | 'append' | 'replace'; dst: string | null; vlan: number; state: string },
  ): string | null;
  fdbSelfDel(mac: { hi: number; lo: number }, opts: { dst: string | null; vlan: number }): string | null;
  /** Lines for `bridge fdb show`: the words after the MAC and `dev DEV` (e.g. `dst 10.0.0.2 self permanent`). */
  fdbSelfDump(): Array<{ hi: number; lo: number; text: string; json: Record<string, unknown> }>;
}
