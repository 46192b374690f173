// A small map from non-negative int32 keys to non-negative int32 values: open addressing with linear
// probing over one Int32Array of (key, value) pairs, backward-shift deletion (Knuth 6.4, algorithm R),
// so lookups and updates allocate nothing and a table with a few keys costs a few dozen bytes.
//
// Used where a dense array indexed by the key would be mostly empty: a namespace's UDP port chains
// (a 65536-entry Int32Array, 256 KB, in every namespace with a UDP socket, for the one or two ports
// it binds).

const EMPTY = -1;

export class IntMap {
  /** slots[2i] = key (EMPTY when free), slots[2i + 1] = value. */
  private slots: Int32Array<ArrayBuffer>;
  private count = 0;

  /** `capacity`: initial number of slots, a power of two. */
  constructor(capacity = 8) {
    this.slots = new Int32Array(2 * capacity).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  private home(key: number, mask: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
  }

  /** The value for `key`, or -1 when absent. */
  get(key: number): number {
    const s = this.slots;
    const mask = (s.length >> 1) - 1;
    let i = this.home(key, mask);
    for (;;) {
      const k = s[2 * i]!;
      if (k === key) return s[2 * i + 1]!;
      if (k === EMPTY) return EMPTY;
      i = (i + 1) & mask;
    }
  }

  /** Sets `key` (>= 0) to `value` (>= 0). */
  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.slots.length >> 1) this.grow();
    const s = this.slots;
    const mask = (s.length >> 1) - 1;
    let i = this.home(key, mask);
    for (;;) {
      const k = s[2 * i]!;
      if (k === key) {
        s[2 * i + 1] = value;
        return;
      }
      if (k === EMPTY) {
        s[2 * i] = key;
        s[2 * i + 1] = value;
        this.count++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Removes `key` if present. */
  delete(key: number): void {
    const s = this.slots;
    const mask = (s.length >> 1) - 1;
    let i = this.home(key, mask);
    for (;;) {
      const k = s[2 * i]!;
      if (k === EMPTY) return;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    // Move later members of the probe run into the hole when their home is not cyclically in (i, j].
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = s[2 * j]!;
      if (k === EMPTY) break;
      const h = this.home(k, mask);
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        s[2 * i] = k;
        s[2 * i + 1] = s[2 * j + 1]!;
        i = j;
      }
    }
    s[2 * i] = EMPTY;
    this.count--;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== EMPTY) this.set(old[i]!, old[i + 1]!);
  }
}
