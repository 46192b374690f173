// Records keyed by a random hex id, split into two levels of buckets by the id's first two hex
// digits (16 × 16).
//
// The engine state is an immer tree, and immer copies every object on the path of a change (and
// visits its keys when finalizing): with one flat record of 10 000 containers, starting one container
// copied all 10 000 keys (O(n) per `docker run`). With two 16-way levels a change copies two small
// bucket tables (≤ 16 keys each) and one leaf (n/256 keys on average). A patch path is
// [collection, d0, d1, id, …]. Iteration goes bucket by bucket, so callers that need creation order
// sort by `seq`.

type Leaf<T> = { readonly [id: string]: T };
/** A bucketed record: first hex digit → second hex digit → id → value. */
export type Buckets<T> = { readonly [d0: string]: { readonly [d1: string]: Leaf<T> } };

type Readable<T> = { readonly [d0: string]: { readonly [d1: string]: Leaf<T> | undefined } | undefined };
type Writable<T> = { [d0: string]: { [d1: string]: { [id: string]: T } } };

export function getIn<T>(b: Readable<T>, id: string): T | undefined {
  return b[id.charAt(0)]?.[id.charAt(1)]?.[id];
}

export function valuesOf<T>(b: Readable<T>): T[] {
  const out: T[] = [];
  for (const k0 in b) {
    const l0 = b[k0];
    for (const k1 in l0) {
      const leaf = l0[k1];
      for (const id in leaf) out.push(leaf[id]!);
    }
  }
  return out;
}

/** Sets `id` in a draft (creates the buckets on first use). */
export function putIn<T>(d: Writable<T>, id: string, v: T): void {
  const k0 = id.charAt(0);
  const k1 = id.charAt(1);
  let l0 = d[k0];
  if (l0 === undefined) {
    l0 = {};
    d[k0] = l0;
  }
  let leaf = l0[k1];
  if (leaf === undefined) {
    leaf = {};
    l0[k1] = leaf;
  }
  leaf[id] = v;
}

export function deleteIn<T>(d: Writable<T>, id: string): void {
  const leaf = d[id.charAt(0)]?.[id.charAt(1)];
  if (leaf !== undefined) delete leaf[id];
}

/** The ids a patch on a bucketed collection touches (path [root, d0?, d1?, id?, …]). */
export function idsOfPatch(path: readonly (string | number)[], op: string, value: unknown): string[] {
  if (path.length >= 4) return [String(path[3])];
  if (op !== 'add' || typeof value !== 'object' || value === null) return [];
  if (path.length === 3) return Object.keys(value);
  if (path.length === 2) return Object.values(value as Record<string, object>).flatMap((l) => Object.keys(l));
  return [];
}
