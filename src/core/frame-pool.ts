// The frame pool: every frame in flight is an integer handle into a fixed-size slot, in the spirit of
// the kernel's sk_buff data area carved from a kmem_cache (design.md §3, style.md §9).
//
// Layout
// - Slots are grouped in chunks; each chunk owns its own ArrayBuffer, Uint8Array and DataView. A handle
//   `h` lives in chunk `h >>> chunkShift` at slot `h & chunkMask`. Growing the pool appends a chunk, so a
//   `bytesOf(h)` array (and any DataView taken from it) stays valid for the pool's whole life.
// - Each slot reserves `headroom` bytes in front of the frame, so encapsulation (VXLAN's 50 bytes, an
//   802.1Q tag) moves `start[h]` back and writes the outer headers: no copy, like skb_push().
// - Per-frame metadata lives in parallel typed arrays indexed by handle (structure of arrays). The
//   columns are declared once in COLUMNS below (type, fresh value); `alloc()` resets each one by name.
//
// Large slots (reassembled datagrams up to 65535 bytes, large local sends)
//   A chunk is either small (slotsPerChunk slots of `slotSize`) or large (`largeSlotsPerChunk` slots of
//   `largeSlotSize`, default headroom + 64 KiB, 8 per chunk ≈ 513 KiB). Handles stay integers in one
//   space: a large chunk owns the same handle range as a small one (h >>> chunkShift) but hands out
//   only its first `largeSlotsPerChunk` handles. Each kind has its own free list; `alloc()` gives a
//   small slot, `allocLarge()` a large one, `allocFor(bytes)` picks. The slot base of `h` is
//   (h & chunkMask) × the chunk's slot size (`chunkSlot`), one extra typed-array read in prepend /
//   setLength / headroomOf / tailroomOf (measured in bench/frame-pool.bench.ts; alloc() is unchanged).
//
// Metadata growth (a decision, measured in bench/frame-pool.bench.ts)
//   The metadata arrays are flat, one per column, and are *replaced* by larger copies when the pool
//   grows. So: read `pool.start`, `pool.len`, ... through the pool after any `alloc()` or `clone()`;
//   never keep one of these arrays in a local or a field across a call that may allocate. Byte arrays
//   (`bytesOf`) and DataViews (`dataViewOf`) are per chunk and never replaced, so those may be cached.
//   Chunked metadata would remove that rule but costs a second indirection on every field read.
//
// Errors: the data plane never sees an exception. `prepend`, `trimFront`, `setLength` and `copyIn`
// return false when the slot cannot hold the result (the caller drops and counts). Check mode
// (`{ check: true }`) is for tests and `--check` runs: misuse of a handle there is a bug, and it throws.

/**
 * Per-frame metadata columns: name → [array type (Int32Array or Uint32Array), value a freshly
 * allocated frame gets]. To add a column, add its line here and its reset line in `alloc()`.
 */
const COLUMNS = {
  /** Offset of the frame's first byte within its chunk's byte array (`bytesOf(h)`). */
  start: [Int32Array, 0],
  /** Frame length in bytes, from `start`. */
  len: [Int32Array, 0],
  /** Device id (ifindex) the frame was received on; -1 when it was generated locally. */
  ingressIf: [Int32Array, -1],
  /** Firewall mark (skb->mark), an unsigned 32-bit number. */
  mark: [Uint32Array, 0],
  /** Conntrack row the frame belongs to; -1 when untracked. */
  ctId: [Int32Array, -1],
  /** Trace record id; -1 when the frame is not being traced. */
  traceId: [Int32Array, -1],
  /**
   * IPCB(skb)->frag_max_size of a datagram conntrack's defragmentation reassembled (the largest
   * original fragment, refragmenting on output), | 0x10000 for IPSKB_FRAG_PMTU; 0 otherwise.
   */
  fragMax: [Int32Array, 0],
  /**
   * br_netfilter's per-frame state (the skb's nf_bridge_info): -1 = none; otherwise the device id of
   * the bridge port it entered by (physindev) plus flag bits (src/net/devices/br-netfilter.ts).
   */
  nfBridge: [Int32Array, -1],
  /**
   * skb->ipvs_property: 1 once IPVS transmitted or rewrote the frame (ip_vs_*_send_or_cont,
   * handle_response), so the IPVS hooks it crosses again let it pass; 0 otherwise.
   */
  ipvs: [Int32Array, 0],
} as const;

export type ColumnName = keyof typeof COLUMNS;
type Columns = { -readonly [K in ColumnName]: InstanceType<(typeof COLUMNS)[K][0]> };
type MetaArray = Int32Array | Uint32Array;

/** Column names in declaration order (tests iterate them). */
export const COLUMN_NAMES = Object.keys(COLUMNS) as ColumnName[];
/** The value each column holds in a freshly allocated frame (`start` excepted: it depends on the slot). */
export const COLUMN_FRESH: Readonly<Record<ColumnName, number>> = Object.freeze(
  Object.fromEntries(COLUMN_NAMES.map((n) => [n, COLUMNS[n][1]])) as Record<ColumnName, number>,
);

/** Byte written over a freed slot in check mode, as the kernel's slab poisoning does. */
export const POISON_BYTE = 0xdd;

export interface FramePoolOptions {
  /** Bytes per slot, headroom included. Default 2048. */
  slotSize?: number;
  /** Bytes reserved in front of a fresh frame for encapsulation. Default 128. */
  headroom?: number;
  /** Slots per chunk; rounded up to a power of two. Default 512. */
  slotsPerChunk?: number;
  /** Slots to allocate up front; rounded up to whole chunks. Default one chunk. */
  initialSlots?: number;
  /** Bytes per large slot, headroom included. Default headroom + 65536. */
  largeSlotSize?: number;
  /** Large slots per large chunk. Default 8. */
  largeSlotsPerChunk?: number;
  /** Poison freed slots and assert ownership (tests, `--check`). Default false. */
  check?: boolean;
}

// The class's metadata fields are typed from COLUMNS and assigned in the constructor's loop.
const MetaBase = class {} as new () => Columns;

export class FramePool extends MetaBase {
  readonly slotSize: number;
  readonly headroom: number;
  readonly check: boolean;
  readonly chunkShift: number;
  readonly chunkMask: number;
  readonly largeSlotSize: number;
  readonly largeSlotsPerChunk: number;

  private readonly chunks: Uint8Array[] = [];
  /** Slot size of each chunk (small or large). */
  private chunkSlot = new Int32Array(8);
  /** 1 for a chunk of large slots. */
  private chunkLarge = new Uint8Array(8);
  /** Free large handles (LIFO). */
  private readonly largeFree: number[] = [];
  private largeLive = 0;
  private readonly views: DataView[] = [];
  /** Stack of free handles; LIFO so a just-freed (cache-warm) slot is reused first. */
  private freeList: Int32Array;
  private freeTop = 0;
  /** 1 while a handle is handed out. */
  private live: Uint8Array;
  private liveN = 0;
  // Current column arrays, refreshed on growth, for the generic copy in clone(). Split by element type
  // so each loop stays monomorphic.
  private i32Cols: Int32Array[] = [];
  private u32Cols: Uint32Array[] = [];
  /** Fresh values of the columns above, in the same order (allocLarge's generic reset). */
  private i32Fresh: number[] = [];
  private u32Fresh: number[] = [];

  constructor(opts: FramePoolOptions = {}) {
    super();
    this.slotSize = opts.slotSize ?? 2048;
    this.headroom = opts.headroom ?? 128;
    this.check = opts.check ?? false;
    this.largeSlotSize = opts.largeSlotSize ?? this.headroom + 65536;
    if (!Number.isInteger(this.slotSize) || this.slotSize < 64) {
      throw new RangeError(`frame pool: slotSize ${this.slotSize} must be an integer >= 64`);
    }
    if (!Number.isInteger(this.headroom) || this.headroom < 0 || this.headroom >= this.slotSize) {
      throw new RangeError(`frame pool: headroom ${this.headroom} must be in [0, slotSize)`);
    }
    let shift = 0;
    while (1 << shift < (opts.slotsPerChunk ?? 512)) shift++;
    this.chunkShift = shift;
    this.chunkMask = (1 << shift) - 1;
    const perChunk = 1 << shift;
    const initialChunks = Math.max(1, Math.ceil((opts.initialSlots ?? perChunk) / perChunk));
    const cap = initialChunks * perChunk;
    this.freeList = new Int32Array(cap);
    this.live = new Uint8Array(cap);
    const self = this as unknown as Record<ColumnName, MetaArray>;
    for (const name of COLUMN_NAMES) {
      self[name] = new COLUMNS[name][0](cap);
    }
    this.refreshCols();
    this.largeSlotsPerChunk = opts.largeSlotsPerChunk ?? Math.min(8, perChunk);
    if (
      this.largeSlotSize < this.slotSize ||
      this.largeSlotsPerChunk < 1 ||
      this.largeSlotsPerChunk > perChunk
    ) {
      throw new RangeError(
        'frame pool: largeSlotSize must be >= slotSize, largeSlotsPerChunk in [1, slotsPerChunk]',
      );
    }
    for (let i = 0; i < initialChunks; i++) this.addChunk(false);
  }

  /** Large handles handed out now (part of liveCount). */
  get largeLiveCount(): number {
    return this.largeLive;
  }

  /** True when `h` lives in a large slot. */
  isLarge(h: number): boolean {
    return this.chunkLarge[h >>> this.chunkShift] === 1;
  }

  /** Bytes of `h`'s slot (headroom included). */
  slotSizeOf(h: number): number {
    return this.chunkSlot[h >>> this.chunkShift]!;
  }

  /**
   * A frame that can hold `bytes` after the headroom: a small slot when it fits, else a large one.
   * Same contract as `alloc()`.
   */
  allocFor(bytes: number): number {
    return bytes + this.headroom <= this.slotSize ? this.alloc() : this.allocLarge();
  }

  /**
   * Takes a large slot (growing by one large chunk when none is free). Fresh metadata as `alloc()`;
   * the reset is a generic loop over the columns (large frames are rare: reassembly, large sends).
   */
  allocLarge(): number {
    if (this.largeFree.length === 0) this.addLargeChunk();
    const h = this.largeFree.pop()!;
    this.live[h] = 1;
    this.liveN++;
    this.largeLive++;
    const i32 = this.i32Cols;
    const f32 = this.i32Fresh;
    for (let i = 0; i < i32.length; i++) i32[i]![h] = f32[i]!;
    const u32 = this.u32Cols;
    const fu = this.u32Fresh;
    for (let i = 0; i < u32.length; i++) u32[i]![h] = fu[i]!;
    this.start[h] = (h & this.chunkMask) * this.largeSlotSize + this.headroom;
    return h;
  }

  /** Slots the pool holds now (live and free). */
  get capacity(): number {
    return this.chunks.length << this.chunkShift;
  }

  /** Handles currently handed out. */
  get liveCount(): number {
    return this.liveN;
  }

  /**
   * Takes a free slot (growing the pool when none is left) and returns its handle. The frame is empty
   * (`len` 0) with `headroom` bytes in front; every metadata column holds its fresh value.
   * Any metadata array read before this call may be stale afterwards (see the file header).
   */
  alloc(): number {
    if (this.freeTop === 0) this.grow();
    const h = this.freeList[--this.freeTop]!;
    this.live[h] = 1;
    this.liveN++;
    // Unrolled on purpose: a generic loop over the columns made alloc+free ~3× slower (measured in
    // bench/frame-pool.bench.ts). A new column needs its line here too; the test "every column gets its
    // fresh value" in test/core/frame-pool.test.ts fails until it has one.
    this.len[h] = 0;
    this.ingressIf[h] = -1;
    this.mark[h] = 0;
    this.ctId[h] = -1;
    this.traceId[h] = -1;
    this.fragMax[h] = 0;
    this.nfBridge[h] = -1;
    this.ipvs[h] = 0;
    this.start[h] = (h & this.chunkMask) * this.slotSize + this.headroom;
    return h;
  }

  /** Returns a slot to the pool. The handle must not be used afterwards. */
  free(h: number): void {
    const c = h >>> this.chunkShift;
    if (this.check) {
      this.assertLive(h);
      const size = this.chunkSlot[c]!;
      const base = (h & this.chunkMask) * size;
      this.chunks[c]!.fill(POISON_BYTE, base, base + size);
    }
    this.live[h] = 0;
    this.liveN--;
    if (this.chunkLarge[c] === 1) {
      this.largeLive--;
      this.largeFree.push(h);
    } else {
      this.freeList[this.freeTop++] = h;
    }
  }

  /**
   * A new frame with the same bytes (at the same headroom) and the same metadata, for flooding and
   * multicast. Allocates nothing beyond the slot itself.
   */
  clone(h: number): number {
    if (this.check) this.assertLive(h);
    const c = this.chunkLarge[h >>> this.chunkShift] === 1 ? this.allocLarge() : this.alloc();
    const i32 = this.i32Cols; // refreshed by alloc() if it grew
    for (let i = 0; i < i32.length; i++) i32[i]![c] = i32[i]![h]!;
    const u32 = this.u32Cols;
    for (let i = 0; i < u32.length; i++) u32[i]![c] = u32[i]![h]!;
    const srcBase = (h & this.chunkMask) * this.chunkSlot[h >>> this.chunkShift]!;
    const dstBase = (c & this.chunkMask) * this.chunkSlot[c >>> this.chunkShift]!;
    const from = this.start[h]!;
    const n = this.len[h]!;
    const to = dstBase + (from - srcBase);
    this.start[c] = to;
    const src = this.chunks[h >>> this.chunkShift]!;
    const dst = this.chunks[c >>> this.chunkShift]!;
    if (src === dst) {
      dst.copyWithin(to, from, from + n);
    } else {
      // A byte loop: `dst.set(src.subarray(...))` would allocate a view per clone.
      for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
    }
    return c;
  }

  /** The byte array of the chunk holding `h`; the frame is at `[start[h], start[h] + len[h])`. */
  bytesOf(h: number): Uint8Array {
    return this.chunks[h >>> this.chunkShift]!;
  }

  /** A DataView over the same bytes as `bytesOf(h)` (one per chunk, never reallocated). */
  dataViewOf(h: number): DataView {
    return this.views[h >>> this.chunkShift]!;
  }

  /** Bytes free in front of the frame. */
  headroomOf(h: number): number {
    return this.start[h]! - (h & this.chunkMask) * this.chunkSlot[h >>> this.chunkShift]!;
  }

  /** Bytes free after the frame's end. */
  tailroomOf(h: number): number {
    const size = this.chunkSlot[h >>> this.chunkShift]!;
    return (h & this.chunkMask) * size + size - this.start[h]! - this.len[h]!;
  }

  /**
   * Grows the frame by `n` bytes at the front (skb_push) and returns true; the caller writes the new
   * header at the new `start[h]`. Returns false, changing nothing, when the headroom is too small.
   */
  prepend(h: number, n: number): boolean {
    if (this.check) this.assertLive(h);
    const s = this.start[h]! - n;
    if (n < 0 || s < (h & this.chunkMask) * this.chunkSlot[h >>> this.chunkShift]!) return false;
    this.start[h] = s;
    this.len[h] = this.len[h]! + n;
    return true;
  }

  /** Drops `n` bytes from the front (skb_pull, decapsulation). False, changing nothing, if n > len. */
  trimFront(h: number, n: number): boolean {
    if (this.check) this.assertLive(h);
    const l = this.len[h]!;
    if (n < 0 || n > l) return false;
    this.start[h] = this.start[h]! + n;
    this.len[h] = l - n;
    return true;
  }

  /** Sets the frame length (skb_put / skb_trim). False, changing nothing, past the slot's end. */
  setLength(h: number, n: number): boolean {
    if (this.check) this.assertLive(h);
    const size = this.chunkSlot[h >>> this.chunkShift]!;
    if (n < 0 || this.start[h]! + n > (h & this.chunkMask) * size + size) return false;
    this.len[h] = n;
    return true;
  }

  /** Copies `src` into the frame at its current start and sets its length. False if it does not fit. */
  copyIn(h: number, src: Uint8Array): boolean {
    if (!this.setLength(h, src.length)) return false;
    this.chunks[h >>> this.chunkShift]!.set(src, this.start[h]!);
    return true;
  }

  /** The frame's bytes as a fresh subarray. Allocates: for tests, printing and captures off the hot path. */
  view(h: number): Uint8Array {
    if (this.check) this.assertLive(h);
    const s = this.start[h]!;
    return this.chunks[h >>> this.chunkShift]!.subarray(s, s + this.len[h]!);
  }

  /** Throws unless `h` is a handle currently handed out. Check mode calls it on every operation. */
  assertLive(h: number): void {
    if (!Number.isInteger(h) || h < 0 || h >= this.capacity) {
      throw new Error(`frame pool: ${h} is not a frame handle (capacity ${this.capacity})`);
    }
    if (this.live[h] !== 1)
      throw new Error(`frame pool: frame ${h} is not live (double free or use after free)`);
  }

  /** True when `h` is handed out now. */
  isLive(h: number): boolean {
    return h >= 0 && h < this.capacity && this.live[h] === 1;
  }

  /** Handles still live, in ascending order: after a scenario has finished, these leaked. */
  leaks(): number[] {
    const out: number[] = [];
    const cap = this.capacity;
    for (let h = 0; h < cap; h++) if (this.live[h] === 1) out.push(h);
    return out;
  }

  /** Adds one chunk of slots; metadata and bookkeeping arrays grow geometrically to cover it. */
  private grow(): void {
    const need = this.capacity + (1 << this.chunkShift);
    if (need > this.live.length) {
      const cap = Math.max(need, this.live.length * 2);
      this.live = resized(this.live, cap);
      this.freeList = resized(this.freeList, cap);
      const self = this as unknown as Record<ColumnName, MetaArray>;
      for (const name of COLUMN_NAMES) self[name] = resized(self[name], cap);
      this.refreshCols();
    }
    this.addChunk(false);
  }

  /** A chunk of large slots: its handle range is reserved in the metadata like a small chunk's. */
  private addLargeChunk(): void {
    const need = this.capacity + (1 << this.chunkShift);
    if (need > this.live.length) {
      const cap = Math.max(need, this.live.length * 2);
      this.live = resized(this.live, cap);
      this.freeList = resized(this.freeList, cap);
      const self = this as unknown as Record<ColumnName, MetaArray>;
      for (const name of COLUMN_NAMES) self[name] = resized(self[name], cap);
      this.refreshCols();
    }
    this.addChunk(true);
  }

  private addChunk(large: boolean): void {
    const perChunk = 1 << this.chunkShift;
    const ci = this.chunks.length;
    if (ci >= this.chunkSlot.length) {
      this.chunkSlot = resized(this.chunkSlot, this.chunkSlot.length * 2);
      this.chunkLarge = resized(this.chunkLarge, this.chunkLarge.length * 2);
    }
    this.chunkSlot[ci] = large ? this.largeSlotSize : this.slotSize;
    this.chunkLarge[ci] = large ? 1 : 0;
    const first = ci * perChunk;
    if (large) {
      const buf = new ArrayBuffer(this.largeSlotsPerChunk * this.largeSlotSize);
      this.chunks.push(new Uint8Array(buf));
      this.views.push(new DataView(buf));
      for (let i = this.largeSlotsPerChunk - 1; i >= 0; i--) this.largeFree.push(first + i);
      return;
    }
    const buf = new ArrayBuffer(perChunk * this.slotSize);
    this.chunks.push(new Uint8Array(buf));
    this.views.push(new DataView(buf));
    // Pushed in reverse so that alloc() hands out the chunk's slots in ascending order (determinism
    // is guaranteed either way; ascending just reads better in traces).
    for (let i = perChunk - 1; i >= 0; i--) this.freeList[this.freeTop++] = first + i;
  }

  private refreshCols(): void {
    const self = this as unknown as Record<ColumnName, MetaArray>;
    this.i32Cols = [];
    this.u32Cols = [];
    this.i32Fresh = [];
    this.u32Fresh = [];
    for (const n of COLUMN_NAMES) {
      const a = self[n];
      if (a instanceof Uint32Array) {
        this.u32Cols.push(a);
        this.u32Fresh.push(COLUMN_FRESH[n]);
      } else {
        this.i32Cols.push(a);
        this.i32Fresh.push(COLUMN_FRESH[n]);
      }
    }
  }
}

function resized<T extends Uint8Array | Int32Array | Uint32Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}
