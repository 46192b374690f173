// The VXLAN forwarding database (drivers/net/vxlan/vxlan_core.c): MAC → list of remote VTEPs.
//
// Heads up: read `vxlan_find_mac`, `vxlan_fdb_update`/`vxlan_fdb_append`, `vxlan_snoop` and
// `vxlan_cleanup` before changing the semantics here.
//
// Each entry is keyed by a MAC (the all-zeros MAC is the default entry that `remote`/`group` and
// `bridge fdb append 00:00:00:00:00:00 … dst IP` create) and owns a list of remote IPv4 addresses
// (`struct vxlan_rdst`): a frame is sent to every remote of its entry, one clone per remote
// (head-end replication). State follows the kernel's NUD bits as `bridge fdb` prints them:
// `permanent` (NUD_PERMANENT, the default of `bridge fdb add`), `static` (NUD_NOARP), dynamic
// (NUD_REACHABLE, learned by vxlan_snoop).
//
// Layout (style.md §4): entries are structure-of-arrays with open addressing and linear probing on
// (macHi, macLo); remotes live in a second pool of rows chained by `rNext`. Lookup allocates nothing.
//
// Ageing (vxlan_cleanup): the kernel's age timer runs every FDB_AGE_INTERVAL (10 s) from the moment
// the device was opened and deletes dynamic entries with `updated + ageing <= now`. Rather than run a
// timer, `isLive` computes whether such a tick has passed (the first tick at or after
// `updated + ageing`), which gives the same answer at every instant without events.

export const VxfdbState = {
  /** NUD_PERMANENT: `bridge fdb add … permanent` (the default) and the `remote`/`group` entry. */
  Permanent: 0x80,
  /** NUD_NOARP: `bridge fdb add … static`. */
  Static: 0x40,
  /** NUD_REACHABLE: learned (or `dynamic`), ages out. */
  Reachable: 0x02,
} as const;

const EMPTY = 0;
const USED = 1;
const DELETED = 2;

/** FDB_AGE_INTERVAL: the age timer's period (10 s). */
export const VXLAN_AGE_INTERVAL_NS = 10e9;

export class VxlanFdb {
  macHi: Uint16Array;
  macLo: Uint32Array;
  state: Uint8Array;
  slotState: Uint8Array;
  updated: Float64Array;
  used: Float64Array;
  /** Creation order; dumps list newest first, as the kernel's hash walk roughly does per bucket. */
  seq: Float64Array;
  /** First remote row of the entry, -1 when none. */
  firstRemote: Int32Array;
  /** Remote rows. */
  rIp: Uint32Array;
  rNext: Int32Array;
  private rFree: number[] = [];
  private rTop = 0;
  count = 0;
  private deleted = 0;
  private mask: number;
  private nextSeq = 0;
  /** Hold time of dynamic entries (`ageing`, 300 s by default). */
  ageingNs = 300e9;
  /** Sim time the age timer was started (vxlan_open); ticks are at openedAt + k·10 s. */
  openedAt = 0;

  /**
   * `clock` (the simulator) lets the transmit path call `lookup(hi, lo)` without a `now` argument:
   * sim time is a double beyond the small-integer range, and passing it to a call that is not inlined
   * allocates a heap number per frame.
   */
  constructor(
    capacityPow2 = 16,
    private readonly clock: { readonly now: number } = { now: 0 },
  ) {
    let cap = 8;
    while (cap < capacityPow2) cap *= 2;
    this.mask = cap - 1;
    this.macHi = new Uint16Array(cap);
    this.macLo = new Uint32Array(cap);
    this.state = new Uint8Array(cap);
    this.slotState = new Uint8Array(cap);
    this.updated = new Float64Array(cap);
    this.used = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.firstRemote = new Int32Array(cap);
    this.rIp = new Uint32Array(16);
    this.rNext = new Int32Array(16);
  }

  private static hash(hi: number, lo: number): number {
    let h = Math.imul(lo ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h >>> 0;
  }

  /**
   * Slot of the entry for MAC (hi, lo) whether or not it aged out, or -1. `lo` may be given signed
   * (`| 0`): hot-path callers pass int32 so that no heap number is allocated for the call.
   */
  find(hi: number, loIn: number): number {
    const lo = loIn >>> 0;
    const st = this.slotState;
    const mask = this.mask;
    let i = VxlanFdb.hash(hi, lo) & mask;
    for (;;) {
      const s = st[i]!;
      if (s === EMPTY) return -1;
      if (s === USED && this.macLo[i] === lo && this.macHi[i] === hi) return i;
      i = (i + 1) & mask;
    }
  }

  /** Whether `slot` still exists at `now` (a dynamic entry disappears at the first age tick past expiry). */
  isLive(slot: number, now: number): boolean {
    if (this.state[slot] !== VxfdbState.Reachable) return true;
    const expiry = this.updated[slot]! + this.ageingNs;
    const k = Math.ceil((expiry - this.openedAt) / VXLAN_AGE_INTERVAL_NS);
    const tick = this.openedAt + (k < 0 ? 0 : k) * VXLAN_AGE_INTERVAL_NS;
    return tick > now;
  }

  /** `vxlan_find_mac`: the live entry for (hi, lo), or -1. Marks it used. `now` defaults to the clock's. */
  lookup(hi: number, lo: number, now: number = this.clock.now): number {
    const s = this.find(hi, lo);
    if (s < 0) return -1;
    if (!this.isLive(s, now)) {
      this.deleteSlot(s);
      return -1;
    }
    this.used[s] = now;
    return s;
  }

  /** Creates an entry with no remotes; returns its slot. The caller checks it does not exist. */
  insert(hi: number, lo: number, state: number, now: number): number {
    if ((this.count + this.deleted + 1) * 4 > this.capacity * 3)
      this.rehash(this.count + 1 > this.capacity >> 1);
    const mask = this.mask;
    let i = VxlanFdb.hash(hi, lo) & mask;
    while (this.slotState[i] === USED) i = (i + 1) & mask;
    if (this.slotState[i] === DELETED) this.deleted--;
    this.slotState[i] = USED;
    this.macHi[i] = hi;
    this.macLo[i] = lo;
    this.state[i] = state;
    this.updated[i] = now;
    this.used[i] = now;
    this.seq[i] = this.nextSeq++;
    this.firstRemote[i] = -1;
    this.count++;
    return i;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Appends remote `ip` to the entry at `slot` (list order = insertion order); false if already there. */
  addRemote(slot: number, ipIn: number): boolean {
    const ip = ipIn >>> 0;
    let last = -1;
    for (let r = this.firstRemote[slot]!; r >= 0; r = this.rNext[r]!) {
      if (this.rIp[r] === ip) return false;
      last = r;
    }
    const r = this.allocRemote();
    this.rIp[r] = ip;
    this.rNext[r] = -1;
    if (last < 0) this.firstRemote[slot] = r;
    else this.rNext[last] = r;
    return true;
  }

  /** Removes remote `ip` from the entry; deletes the entry when it was the last. False if absent. */
  removeRemote(slot: number, ipIn: number): boolean {
    const ip = ipIn >>> 0;
    let prev = -1;
    for (let r = this.firstRemote[slot]!; r >= 0; r = this.rNext[r]!) {
      if (this.rIp[r] === ip) {
        if (prev < 0) this.firstRemote[slot] = this.rNext[r]!;
        else this.rNext[prev] = this.rNext[r]!;
        this.rFree.push(r);
        if (this.firstRemote[slot]! < 0) this.deleteSlot(slot);
        return true;
      }
      prev = r;
    }
    return false;
  }

  /** Number of remotes of the entry at `slot`. */
  remoteCount(slot: number): number {
    let n = 0;
    for (let r = this.firstRemote[slot]!; r >= 0; r = this.rNext[r]!) n++;
    return n;
  }

  deleteSlot(slot: number): void {
    for (let r = this.firstRemote[slot]!; r >= 0; r = this.rNext[r]!) {
      this.rFree.push(r);
    }
    this.firstRemote[slot] = -1;
    this.slotState[slot] = DELETED;
    this.count--;
    this.deleted++;
  }

  /** Live slots at `now`, newest first (config side: dumps). */
  slots(now: number): number[] {
    const out: number[] = [];
    for (let i = 0; i <= this.mask; i++) if (this.slotState[i] === USED && this.isLive(i, now)) out.push(i);
    return out.sort((a, b) => this.seq[b]! - this.seq[a]!);
  }

  /** Deletes every dynamic entry (`vxlan_flush(vxlan, false)` on down keeps permanent ones). */
  flushDynamic(): void {
    for (let i = 0; i <= this.mask; i++) {
      if (this.slotState[i] === USED && this.state[i] === VxfdbState.Reachable) this.deleteSlot(i);
    }
  }

  private allocRemote(): number {
    const f = this.rFree.pop();
    if (f !== undefined) return f;
    const r = this.rTop++;
    if (r >= this.rIp.length) {
      const ip = new Uint32Array(this.rIp.length * 2);
      ip.set(this.rIp);
      const nx = new Int32Array(this.rNext.length * 2);
      nx.set(this.rNext);
      this.rIp = ip;
      this.rNext = nx;
    }
    return r;
  }

  private rehash(grow: boolean): void {
    const old = {
      hi: this.macHi,
      lo: this.macLo,
      state: this.state,
      ss: this.slotState,
      updated: this.updated,
      used: this.used,
      seq: this.seq,
      first: this.firstRemote,
    };
    const cap = grow ? this.capacity * 2 : this.capacity;
    this.mask = cap - 1;
    this.macHi = new Uint16Array(cap);
    this.macLo = new Uint32Array(cap);
    this.state = new Uint8Array(cap);
    this.slotState = new Uint8Array(cap);
    this.updated = new Float64Array(cap);
    this.used = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.firstRemote = new Int32Array(cap);
    this.deleted = 0;
    for (let j = 0; j < old.ss.length; j++) {
      if (old.ss[j] !== USED) continue;
      let i = VxlanFdb.hash(old.hi[j]!, old.lo[j]!) & this.mask;
      while (this.slotState[i] === USED) i = (i + 1) & this.mask;
      this.slotState[i] = USED;
      this.macHi[i] = old.hi[j]!;
      this.macLo[i] = old.lo[j]!;
      this.state[i] = old.state[j]!;
      this.updated[i] = old.updated[j]!;
      this.used[i] = old.used[j]!;
      this.seq[i] = old.seq[j]!;
      this.firstRemote[i] = old.first[j]!;
    }
  }
}
