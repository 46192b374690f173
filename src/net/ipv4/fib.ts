// The IPv4 forwarding information base: routing tables with longest-prefix match.
//
// Heads up: read net/ipv4/fib_trie.c (`fib_table_lookup`, `fib_table_insert`, `fib_table_delete`),
// net/ipv4/fib_semantics.c (`fib_props`, `fib_check_nh`) and net/ipv4/fib_frontend.c (`fib_magic`,
// `fib_add_ifaddr`) before changing semantics.
//
// Model
// - A route is a row in structure-of-arrays columns indexed by route id (free-listed); config code
//   reads the same columns to print `ip route`.
// - A table keeps, per prefix length, an open-addressing hash from the masked destination to the
//   *best* route of that prefix (lowest metric, then first inserted: `fib_table_insert` appends after
//   routes of equal priority). Lookup walks the non-empty prefix lengths longest first and returns the
//   first hit: at most 33 probes, no allocation. Changes update one prefix's entry incrementally.
// - Routes are only ever present while usable: routes whose device went down are deleted, as
//   `fib_sync_down_dev` + `fib_flush` do on NETDEV_DOWN (the kernel keeps host-scope local routes).
// - Tables are consulted in the default rule order: local (255), main (254), default (253)
//   (`fib_lookup` without custom rules).

/** Route types (`RTN_*`, include/uapi/linux/rtnetlink.h). */
export const RTN = Object.freeze({
  Unspec: 0,
  Unicast: 1,
  Local: 2,
  Broadcast: 3,
  Anycast: 4,
  Multicast: 5,
  Blackhole: 6,
  Unreachable: 7,
  Prohibit: 8,
  Throw: 9,
  Nat: 10,
} as const);
export const RTN_NAMES: readonly string[] = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
];

/** Route scopes (`RT_SCOPE_*`). Smaller is wider. */
export const SCOPE = Object.freeze({ Universe: 0, Site: 200, Link: 253, Host: 254, Nowhere: 255 } as const);

/** Route protocols (`RTPROT_*`) and the names iproute2 prints (/etc/iproute2/rt_protos). */
export const RTPROT = Object.freeze({ Unspec: 0, Redirect: 1, Kernel: 2, Boot: 3, Static: 4 } as const);
const RTPROT_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  18: 'keepalived',
  42: 'babel',
  99: 'openr',
  186: 'bgp',
  187: 'isis',
  188: 'ospf',
  189: 'rip',
  192: 'eigrp',
});
export function rtprotName(p: number): string {
  return RTPROT_NAMES[p] ?? String(p);
}
export function rtprotParse(s: string): number {
  for (const [k, v] of Object.entries(RTPROT_NAMES)) if (v === s) return Number(k);
  if (/^\d+$/.test(s) && Number(s) <= 255) return Number(s);
  return -1;
}

/** Table ids (`RT_TABLE_*`). */
export const RT_TABLE = Object.freeze({ Unspec: 0, Default: 253, Main: 254, Local: 255 } as const);

/** Route flags kept per row. */
export const RTF = Object.freeze({
  /** `onlink`: the gateway is on the link without a connected route (RTNH_F_ONLINK). */
  Onlink: 1,
} as const);

/** Negative errno values returned by lookups and route changes. */
export const ERR = Object.freeze({
  EPERM: -1,
  ENOENT: -2,
  ESRCH: -3,
  EAGAIN: -11,
  EACCES: -13,
  EEXIST: -17,
  ENODEV: -19,
  EINVAL: -22,
  EMSGSIZE: -90,
  ENETDOWN: -100,
  ENETUNREACH: -101,
  EHOSTUNREACH: -113,
} as const);

/** Per route type: the error a lookup hitting it returns (`fib_props[].error`). */
export function rtnError(type: number): number {
  switch (type) {
    case RTN.Blackhole:
      return ERR.EINVAL;
    case RTN.Unreachable:
      return ERR.EHOSTUNREACH;
    case RTN.Prohibit:
      return ERR.EACCES;
    case RTN.Throw:
      return ERR.EAGAIN;
    default:
      return 0;
  }
}

const EMPTY = -1;

function mask(plen: number): number {
  return plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
}

/**
 * An open-addressing hash from u32 key to route id, with backward-shift deletion. Keys (as int32) and
 * values share one array, slots[2i] / slots[2i + 1]: a namespace has three or four of these hashes,
 * and each typed array costs ~200 bytes before its first element.
 */
class PrefixHash {
  private slots = new Int32Array(16).fill(EMPTY);
  count = 0;
  private shift = 29;

  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** `key` as u32 or int32 (lookups pass int32, which V8 never boxes). */
  get(key: number): number {
    const s = this.slots;
    const m = (s.length >> 1) - 1;
    const k = key | 0;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const v = s[2 * i + 1]!;
      if (v === EMPTY) return EMPTY;
      if (s[2 * i] === k) return v;
      i = (i + 1) & m;
    }
  }

  set(key: number, val: number): void {
    if ((this.count + 1) * 2 > this.slots.length >> 1) this.grow();
    const s = this.slots;
    const m = (s.length >> 1) - 1;
    const k = key | 0;
    let i = this.slot(key);
    for (;;) {
      const v = s[2 * i + 1]!;
      if (v === EMPTY) {
        s[2 * i] = k;
        s[2 * i + 1] = val;
        this.count++;
        return;
      }
      if (s[2 * i] === k) {
        s[2 * i + 1] = val;
        return;
      }
      i = (i + 1) & m;
    }
  }

  delete(key: number): void {
    const s = this.slots;
    const m = (s.length >> 1) - 1;
    const k = key | 0;
    let i = this.slot(key);
    for (;;) {
      const v = s[2 * i + 1]!;
      if (v === EMPTY) return;
      if (s[2 * i] === k) break;
      i = (i + 1) & m;
    }
    // Backward-shift deletion (Knuth 6.4 algorithm R): keep every probe chain unbroken.
    let j = i;
    for (;;) {
      j = (j + 1) & m;
      if (s[2 * j + 1] === EMPTY) break;
      const home = this.slot(s[2 * j]!);
      // Move j into the hole i when its home is not cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        s[2 * i] = s[2 * j]!;
        s[2 * i + 1] = s[2 * j + 1]!;
        i = j;
      }
    }
    s[2 * i + 1] = EMPTY;
    this.count--;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.shift--;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.set(old[i]!, old[i + 1]!);
  }
}

/** Description of a route for `Fib.add`; unset fields take the kernel's defaults. */
export interface RouteSpec {
  table: number;
  type: number;
  dst: number;
  plen: number;
  metric: number;
  /** Device id (world-wide), or -1. */
  devId: number;
  gw: number;
  /** `src` (RTA_PREFSRC), 0 when unset. */
  prefsrc: number;
  scope: number;
  proto: number;
  flags: number;
}

/**
 * One routing table: the per-prefix-length lookup hashes. A hash maps a (masked) destination to the
 * first route of that prefix; the prefix's other routes (aliases) follow it through `Fib.nextAlias`,
 * sorted by metric then insertion.
 */
export class FibTable {
  /**
   * Per prefix length, made on first use: a namespace typically uses 3-4 of the 33 lengths, and
   * creating all of them up front cost 132 typed arrays (~30 KB) per namespace.
   */
  readonly hashes: (PrefixHash | null)[] = [];
  /** Non-empty prefix lengths, longest first. */
  plens = new Int8Array(0);
  constructor(readonly id: number) {
    for (let p = 0; p <= 32; p++) this.hashes.push(null);
  }

  /** The hash of prefix length `plen`, created when first needed. */
  hashOf(plen: number): PrefixHash {
    let h = this.hashes[plen]!;
    if (h === null) {
      h = new PrefixHash();
      this.hashes[plen] = h;
    }
    return h;
  }

  refreshPlens(): void {
    const list: number[] = [];
    for (let p = 32; p >= 0; p--) if ((this.hashes[p]?.count ?? 0) > 0) list.push(p);
    this.plens = Int8Array.from(list);
  }
}

/** Column element types, in the order they are laid out in the shared buffer (widest first). */
const COLS_F64 = ['metric', 'seq'] as const;
const COLS_32 = ['table', 'dst', 'devId', 'gw', 'prefsrc', 'saddr', 'nextAlias'] as const;
const COLS_U8 = ['type', 'plen', 'scope', 'proto', 'flags', 'live'] as const;
const ROW_BYTES = 8 * COLS_F64.length + 4 * COLS_32.length + COLS_U8.length;

/** The namespace's routing tables and route rows. */
export class Fib {
  // Route columns, indexed by route id. All are views of one buffer (growCols): a view costs about
  // half of a typed array with its own buffer, and every namespace has a FIB.
  table!: Int32Array;
  type!: Uint8Array;
  dst!: Uint32Array;
  plen!: Uint8Array;
  metric!: Float64Array;
  devId!: Int32Array;
  gw!: Uint32Array;
  /** Explicit `src` (RTA_PREFSRC), 0 when unset. */
  prefsrc!: Uint32Array;
  /** Source address for output through this route: prefsrc, else the device's selected address. */
  saddr!: Uint32Array;
  scope!: Uint8Array;
  proto!: Uint8Array;
  flags!: Uint8Array;
  /** Insertion sequence, for stable ordering. */
  seq!: Float64Array;
  live!: Uint8Array;
  /** The next route of the same prefix in the same table (metric, then insertion order), or -1. */
  nextAlias!: Int32Array;
  private freeIds: number[] = [];
  private nextId = 0;
  private seqCounter = 0;
  readonly tables = new Map<number, FibTable>();
  /** Bumped on every change, so caches keyed on routes can be invalidated. */
  generation = 0;

  constructor() {
    this.growCols(8);
    this.getTable(RT_TABLE.Local, true);
    this.getTable(RT_TABLE.Main, true);
  }

  getTable(id: number, create: boolean): FibTable | undefined {
    let t = this.tables.get(id);
    if (t === undefined && create) {
      t = new FibTable(id);
      this.tables.set(id, t);
    }
    return t;
  }

  private allocId(): number {
    const f = this.freeIds.pop();
    if (f !== undefined) return f;
    const id = this.nextId++;
    if (id >= this.live.length) this.growCols(this.live.length * 2);
    return id;
  }

  /** Lays every column out for `n` rows in one new buffer, copying the current rows. */
  private growCols(n: number): void {
    const buf = new ArrayBuffer(n * ROW_BYTES);
    const self = this as unknown as Record<string, Float64Array | Int32Array | Uint32Array | Uint8Array>;
    const old = this.live === undefined ? null : self;
    let off = 0;
    const place = (
      name: string,
      make: (b: ArrayBuffer, o: number, n: number) => Float64Array | Int32Array | Uint32Array | Uint8Array,
      width: number,
    ): void => {
      const v = make(buf, off, n);
      if (old !== null) v.set(old[name]!);
      self[name] = v;
      off += width * n;
    };
    for (const c of COLS_F64) place(c, (b, o, k) => new Float64Array(b, o, k), 8);
    for (const c of COLS_32) {
      place(
        c,
        (b, o, k) =>
          c === 'dst' || c === 'gw' || c === 'prefsrc' || c === 'saddr'
            ? new Uint32Array(b, o, k)
            : new Int32Array(b, o, k),
        4,
      );
    }
    for (const c of COLS_U8) place(c, (b, o, k) => new Uint8Array(b, o, k), 1);
  }

  /** Inserts a route (append semantics, as `fib_magic` and `ip route append`); returns its id. */
  add(s: RouteSpec): number {
    const id = this.allocId();
    const dst = (s.dst & mask(s.plen)) >>> 0;
    this.table[id] = s.table;
    this.type[id] = s.type;
    this.dst[id] = dst;
    this.plen[id] = s.plen;
    this.metric[id] = s.metric;
    this.devId[id] = s.devId;
    this.gw[id] = s.gw;
    this.prefsrc[id] = s.prefsrc;
    this.saddr[id] = s.prefsrc;
    this.scope[id] = s.scope;
    this.proto[id] = s.proto;
    this.flags[id] = s.flags;
    this.seq[id] = this.seqCounter++;
    this.live[id] = 1;
    const t = this.getTable(s.table, true)!;
    // Keep the aliases sorted by metric; equal metrics keep insertion order.
    const head = t.hashes[s.plen]?.get(dst) ?? EMPTY;
    if (head === EMPTY || this.metric[head]! > s.metric) {
      this.nextAlias[id] = head;
      this.setHead(t, s.plen, dst, id);
    } else {
      let p = head;
      for (let q = this.nextAlias[p]!; q !== EMPTY && this.metric[q]! <= s.metric; q = this.nextAlias[q]!)
        p = q;
      this.nextAlias[id] = this.nextAlias[p]!;
      this.nextAlias[p] = id;
    }
    this.generation++;
    return id;
  }

  /** Removes route `id`. */
  remove(id: number): void {
    if (this.live[id] !== 1) return;
    const t = this.tables.get(this.table[id]!)!;
    const plen = this.plen[id]!;
    const dst = this.dst[id]!;
    const head = t.hashes[plen]!.get(dst);
    if (head === id) this.setHead(t, plen, dst, this.nextAlias[id]!);
    else {
      let p = head;
      while (this.nextAlias[p] !== id) p = this.nextAlias[p]!;
      this.nextAlias[p] = this.nextAlias[id]!;
    }
    this.live[id] = 0;
    this.freeIds.push(id);
    this.generation++;
  }

  /** The routes of prefix (plen, dst) in `t`, best first (config side). */
  aliases(t: FibTable, plen: number, dst: number): number[] {
    const out: number[] = [];
    const h = t.hashes[plen];
    if (h === null || h === undefined) return out;
    for (let r = h.get((dst & mask(plen)) >>> 0); r !== EMPTY; r = this.nextAlias[r]!) out.push(r);
    return out;
  }

  /** Points the prefix's hash entry at its new first route (`EMPTY`: the prefix has none left). */
  private setHead(t: FibTable, plen: number, dst: number, head: number): void {
    const h = t.hashOf(plen);
    const before = h.count;
    if (head === EMPTY) h.delete(dst);
    else h.set(dst, head);
    if ((before === 0) !== (h.count === 0)) t.refreshPlens();
  }

  /** Longest-prefix match in one table: the best route id or -1 (`fib_table_lookup`). */
  lookupTable(t: FibTable, addr: number): number {
    const plens = t.plens;
    const hashes = t.hashes;
    for (let i = 0; i < plens.length; i++) {
      const p = plens[i]!;
      const key = p === 0 ? 0 : addr & (0xffffffff << (32 - p)); // int32: not boxed into get()
      const r = hashes[p]!.get(key);
      if (r !== EMPTY) return r;
    }
    return EMPTY;
  }

  /**
   * `fib_lookup` with the default rules: table local, then main, then default. Returns the route id,
   * or -1 when nothing matches (the caller maps that to -ENETUNREACH). A `throw` route continues with
   * the next table.
   */
  lookup(addrIn: number): number {
    const addr = addrIn | 0; // u32 or int32; int32 from here on, so no call boxes it
    const local = this.tables.get(RT_TABLE.Local);
    if (local !== undefined) {
      const r = this.lookupTable(local, addr);
      if (r >= 0 && this.type[r] !== RTN.Throw) return r;
    }
    const main = this.tables.get(RT_TABLE.Main);
    if (main !== undefined) {
      const r = this.lookupTable(main, addr);
      if (r >= 0 && this.type[r] !== RTN.Throw) return r;
    }
    const dflt = this.tables.get(RT_TABLE.Default);
    if (dflt !== undefined) {
      const r = this.lookupTable(dflt, addr);
      if (r >= 0 && this.type[r] !== RTN.Throw) return r;
    }
    return EMPTY;
  }

  /** Ids of live routes in `table` (or every table when 0), in `ip route show` order. */
  list(table: number): number[] {
    const ids: number[] = [];
    for (let id = 0; id < this.nextId; id++) {
      if (this.live[id] === 1 && (table === 0 || this.table[id] === table)) ids.push(id);
    }
    // Dump order: table hash bucket (id & 255), then trie key order (dst ascending), longer prefixes
    // first for the same key, then the alias list order (metric, insertion).
    ids.sort(
      (a, b) =>
        (this.table[a]! & 255) - (this.table[b]! & 255) ||
        this.table[a]! - this.table[b]! ||
        this.dst[a]! - this.dst[b]! ||
        this.plen[b]! - this.plen[a]! ||
        this.metric[a]! - this.metric[b]! ||
        this.seq[a]! - this.seq[b]!,
    );
    return ids;
  }

  /** Every live route id (any order). */
  allIds(): number[] {
    const ids: number[] = [];
    for (let id = 0; id < this.nextId; id++) if (this.live[id] === 1) ids.push(id);
    return ids;
  }
}

export { mask as prefixMask };
