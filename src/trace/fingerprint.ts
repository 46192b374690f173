// The run fingerprint: a fast, non-cryptographic 64-bit hash of the sequence of processed events
// (time, kind, target). Two runs of the same file and seed must give the same fingerprint; any change
// in what happened, when, or where changes it with overwhelming probability. It is a regression
// detector, not a security primitive.
//
// Two independent 32-bit lanes: FNV-1a over the event's words (byte-wise, as specified) and a
// MurmurHash3-style word mixer; each is finalised with fmix32. Per event: a few integer multiplies, no
// allocation, so it can run as the simulator's per-event hook on every run.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO32 = 4294967296;

function fmix32(h0: number): number {
  let h = h0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Fingerprint {
  private a = FNV_OFFSET;
  private b = 0x9747b28c;
  /** Words hashed so far. */
  count = 0;

  /** Mixes one 32-bit word into both lanes. */
  word(w0: number): void {
    const w = w0 >>> 0;
    let a = this.a;
    a = Math.imul(a ^ (w & 0xff), FNV_PRIME);
    a = Math.imul(a ^ ((w >>> 8) & 0xff), FNV_PRIME);
    a = Math.imul(a ^ ((w >>> 16) & 0xff), FNV_PRIME);
    a = Math.imul(a ^ (w >>> 24), FNV_PRIME);
    this.a = a >>> 0;
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let b = this.b ^ k;
    b = (b << 13) | (b >>> 19);
    this.b = (Math.imul(b, 5) + 0xe6546b64) >>> 0;
    this.count++;
  }

  /** One processed event: time in integer ns (up to 2^53), event kind, target id. */
  event(timeNs: number, kind: number, target: number): void {
    const lo = timeNs % TWO32;
    this.word((timeNs - lo) / TWO32);
    this.word(lo);
    this.word(kind);
    this.word(target);
  }

  /** Mixes a string (scenario-level facts such as the seed). */
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    this.word(s.length);
  }

  /** 16 hex digits: lane A then lane B, each finalised. */
  hex(): string {
    const a = fmix32(this.a ^ this.count);
    const b = fmix32(this.b ^ Math.imul(this.count, 0x9e3779b9));
    return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
  }
}
