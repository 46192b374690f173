// Empty starting values for per-namespace tables that most namespaces never fill (reassembly queues,
// PMTU exceptions, inet peers, neighbour entries of an idle container).
//
// Every typed array costs ~200 bytes of object headers (the array, its ArrayBuffer) before its first
// element, so a table of 20 columns made eagerly costs ~4 KB per namespace even when it stays empty;
// at 10^5 namespaces that was most of a topology's memory. A table instead starts with these shared,
// zero-length columns and allocates its own on first insertion (its grow step must allocate at least
// one row from length 0). Zero-length typed arrays are safe to share: reads give undefined and
// writes are ignored, and a table only writes rows it allocated. The hot path sees the same array
// types as before, so nothing changes for lookups.

export const NO_U8: Uint8Array<ArrayBuffer> = new Uint8Array(0);
export const NO_I32: Int32Array<ArrayBuffer> = new Int32Array(0);
export const NO_U32: Uint32Array<ArrayBuffer> = new Uint32Array(0);
export const NO_F64: Float64Array<ArrayBuffer> = new Float64Array(0);

/** A map that stays empty: writing to it is a bug (the owner must swap in its own map first). */
class EmptyIndex extends Map<number, number> {
  override set(): this {
    throw new Error('internal: insertion into a shared empty index (allocate the table first)');
  }
}

/**
 * The shared empty number → number index. Owners test `index === NO_INDEX` on their insertion path
 * and replace it with a `new Map()` there; lookups and deletions work on it unchanged.
 */
export const NO_INDEX: Map<number, number> = new EmptyIndex();

/** Capacity to grow a column of length `len` to (0 → `initial`, else double). */
export function grownCapacity(len: number, initial: number): number {
  return len === 0 ? initial : len * 2;
}
