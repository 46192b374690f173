// The IPVS connection table (struct ip_vs_conn, ip_vs_conn.c), as a structure of arrays.
//
// Row r holds one connection or persistence template: client (caddr:cport), virtual (vaddr:vport),
// real server (daddr:dport), protocol, flags (CF.*), state, timeout and expiry, the dest it is bound
// to, and the template controlling it (`cp->control`, with `n_control` counting the other way).
//
// Two open-addressed indexes map keys to rows, like the kernel's `ip_vs_conn_in_get` and
// `ip_vs_conn_out_get`:
//   in:  <proto, caddr, cport, vaddr, vport>  (client → director); templates carry a TEMPLATE bit in
//        the protocol word so a template <proto, snet, 0, vaddr, vport> never matches a connection
//   out: <proto, daddr, dport, caddr, cport>  (real server → client replies), masq entries only
// Keys are compared column by column against the row: nothing is allocated per lookup. Addresses are
// stored and compared as int32 (`| 0`): values >= 2^31 would otherwise be boxed when passed between
// functions (a heap number per packet); convert with `>>> 0` when printing. The kernel's
// table is a jhash with a random seed; only iteration order (`ipvsadm -lc`) could show that, and here
// it is row order (allocation order, reusing freed rows).

const EMPTY = -1;
const TOMB = -2;

function mix(a: number, b: number, c: number, d: number, e: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ d, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ e, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** Protocol word of the in-key: protocol, plus 0x100 for templates. */
export const TPL_KEY = 0x100;

export class ConnTable {
  capacity: number;
  // Columns.
  flags: Int32Array;
  proto: Int32Array; // protocol (with TPL_KEY for templates): the in-key's protocol word
  caddr: Int32Array;
  cport: Int32Array;
  vaddr: Int32Array;
  vport: Int32Array;
  daddr: Int32Array;
  dport: Int32Array;
  fwmark: Uint32Array;
  state: Int32Array;
  /** Current timeout (`cp->timeout`), ns. */
  timeoutNs: Float64Array;
  /** When the timer fires, ns (`cp->timer.expires`). */
  expires: Float64Array;
  /** Pending expiry event id in the simulator; -1 when none. */
  timer: Float64Array;
  dest: Int32Array;
  control: Int32Array;
  nControl: Int32Array;
  inPkts: Float64Array;
  /** 1 while the row holds an entry; 2 when it is also linked in the in-index, 4 in the out-index. */
  live: Uint8Array;
  count = 0;
  private freeList: Int32Array;
  private freeTop = 0;
  private top = 0;
  // Indexes.
  private inIdx: Int32Array;
  private outIdx: Int32Array;
  private idxMask: number;
  private inUsed = 0;
  private outUsed = 0;

  constructor(initial = 1024) {
    let cap = 16;
    while (cap < initial) cap *= 2;
    this.capacity = cap;
    this.flags = new Int32Array(cap);
    this.proto = new Int32Array(cap);
    this.caddr = new Int32Array(cap);
    this.cport = new Int32Array(cap);
    this.vaddr = new Int32Array(cap);
    this.vport = new Int32Array(cap);
    this.daddr = new Int32Array(cap);
    this.dport = new Int32Array(cap);
    this.fwmark = new Uint32Array(cap);
    this.state = new Int32Array(cap);
    this.timeoutNs = new Float64Array(cap);
    this.expires = new Float64Array(cap);
    this.timer = new Float64Array(cap).fill(-1);
    this.dest = new Int32Array(cap).fill(-1);
    this.control = new Int32Array(cap).fill(-1);
    this.nControl = new Int32Array(cap);
    this.inPkts = new Float64Array(cap);
    this.live = new Uint8Array(cap);
    this.freeList = new Int32Array(cap);
    this.inIdx = new Int32Array(cap * 2).fill(EMPTY);
    this.outIdx = new Int32Array(cap * 2).fill(EMPTY);
    this.idxMask = cap * 2 - 1;
  }

  /** A fresh row with every column reset (`ip_vs_conn_new` before hashing). */
  alloc(): number {
    let r: number;
    if (this.freeTop > 0) r = this.freeList[--this.freeTop]!;
    else {
      if (this.top === this.capacity) this.grow();
      r = this.top++;
    }
    this.live[r] = 1;
    this.flags[r] = 0;
    this.state[r] = 0;
    this.timer[r] = -1;
    this.dest[r] = -1;
    this.control[r] = -1;
    this.nControl[r] = 0;
    this.inPkts[r] = 0;
    this.fwmark[r] = 0;
    this.count++;
    return r;
  }

  /** Returns a row to the free list; it must be unlinked from both indexes. */
  release(r: number): void {
    this.live[r] = 0;
    this.freeList[this.freeTop++] = r;
    this.count--;
  }

  private inSlot(p: number, ca: number, cp: number, va: number, vp: number): number {
    return mix(p, ca, cp, va, vp) & this.idxMask;
  }

  private outSlot(p: number, da: number, dp: number, ca: number, cp: number): number {
    return mix(p ^ 0x5bd1e995, da, dp, ca, cp) & this.idxMask;
  }

  hashIn(r: number): void {
    if ((this.inUsed + 1) * 4 > (this.idxMask + 1) * 3) this.rehash();
    let i = this.inSlot(this.proto[r]!, this.caddr[r]!, this.cport[r]!, this.vaddr[r]!, this.vport[r]!);
    while (this.inIdx[i]! >= 0) i = (i + 1) & this.idxMask;
    if (this.inIdx[i] === EMPTY) this.inUsed++;
    this.inIdx[i] = r;
    this.live[r] = this.live[r]! | 2;
  }

  hashOut(r: number): void {
    if ((this.outUsed + 1) * 4 > (this.idxMask + 1) * 3) this.rehash();
    let i = this.outSlot(this.proto[r]!, this.daddr[r]!, this.dport[r]!, this.caddr[r]!, this.cport[r]!);
    while (this.outIdx[i]! >= 0) i = (i + 1) & this.idxMask;
    if (this.outIdx[i] === EMPTY) this.outUsed++;
    this.outIdx[i] = r;
    this.live[r] = this.live[r]! | 4;
  }

  unhashIn(r: number): void {
    if ((this.live[r]! & 2) === 0) return;
    let i = this.inSlot(this.proto[r]!, this.caddr[r]!, this.cport[r]!, this.vaddr[r]!, this.vport[r]!);
    for (;;) {
      const v = this.inIdx[i]!;
      if (v === EMPTY) break;
      if (v === r) {
        this.inIdx[i] = TOMB;
        break;
      }
      i = (i + 1) & this.idxMask;
    }
    this.live[r] = this.live[r]! & ~2;
  }

  unhashOut(r: number): void {
    if ((this.live[r]! & 4) === 0) return;
    let i = this.outSlot(this.proto[r]!, this.daddr[r]!, this.dport[r]!, this.caddr[r]!, this.cport[r]!);
    for (;;) {
      const v = this.outIdx[i]!;
      if (v === EMPTY) break;
      if (v === r) {
        this.outIdx[i] = TOMB;
        break;
      }
      i = (i + 1) & this.idxMask;
    }
    this.live[r] = this.live[r]! & ~4;
  }

  /** `ip_vs_conn_in_get` (protoKey includes TPL_KEY for templates); -1 when absent. */
  findIn(protoKey: number, caddr: number, cport: number, vaddr: number, vport: number): number {
    let i = this.inSlot(protoKey, caddr, cport, vaddr, vport);
    for (;;) {
      const r = this.inIdx[i]!;
      if (r === EMPTY) return -1;
      if (
        r >= 0 &&
        this.caddr[r] === caddr &&
        this.cport[r] === cport &&
        this.vaddr[r] === vaddr &&
        this.vport[r] === vport &&
        this.proto[r] === protoKey
      ) {
        return r;
      }
      i = (i + 1) & this.idxMask;
    }
  }

  /** `ip_vs_conn_out_get`: a reply from daddr:dport to caddr:cport; -1 when absent. */
  findOut(proto: number, daddr: number, dport: number, caddr: number, cport: number): number {
    let i = this.outSlot(proto, daddr, dport, caddr, cport);
    for (;;) {
      const r = this.outIdx[i]!;
      if (r === EMPTY) return -1;
      if (
        r >= 0 &&
        this.daddr[r] === daddr &&
        this.dport[r] === dport &&
        this.caddr[r] === caddr &&
        this.cport[r] === cport &&
        this.proto[r] === proto
      ) {
        return r;
      }
      i = (i + 1) & this.idxMask;
    }
  }

  /** Rows in use, ascending (listing; allocates). */
  rows(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.top; r++) if (this.live[r]! & 1) out.push(r);
    return out;
  }

  /** Rebuilds both indexes at a size for the current capacity (drops tombstones). */
  private rehash(): void {
    let size = 16;
    while (size < this.capacity * 2 || size * 3 < (this.count + 1) * 8) size *= 2;
    this.inIdx = new Int32Array(size).fill(EMPTY);
    this.outIdx = new Int32Array(size).fill(EMPTY);
    this.idxMask = size - 1;
    this.inUsed = 0;
    this.outUsed = 0;
    for (let r = 0; r < this.top; r++) {
      const l = this.live[r]!;
      if (l & 2) {
        this.live[r] = l & ~2;
        this.hashIn(r);
      }
      if (l & 4) {
        this.live[r] = this.live[r]! & ~4;
        this.hashOut(r);
      }
    }
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const g = <T extends Int32Array | Uint32Array | Float64Array | Uint8Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.flags = g(this.flags);
    this.proto = g(this.proto);
    this.caddr = g(this.caddr);
    this.cport = g(this.cport);
    this.vaddr = g(this.vaddr);
    this.vport = g(this.vport);
    this.daddr = g(this.daddr);
    this.dport = g(this.dport);
    this.fwmark = g(this.fwmark);
    this.state = g(this.state);
    this.timeoutNs = g(this.timeoutNs);
    this.expires = g(this.expires);
    this.timer = g(this.timer, -1);
    this.dest = g(this.dest, -1);
    this.control = g(this.control, -1);
    this.nControl = g(this.nControl);
    this.inPkts = g(this.inPkts);
    this.live = g(this.live);
    this.freeList = g(this.freeList);
    this.capacity = cap;
    this.rehash();
  }

  /** Bytes held by the table's columns and indexes (memory report). */
  bytes(): number {
    return (
      this.capacity * (4 * 10 + 8 * 4 + 4 * 3 + 1 + 4) + (this.inIdx.byteLength + this.outIdx.byteLength)
    );
  }
}
