// The set of kernel routes (`fib_add_ifaddr`) that a namespace's addresses and device states imply,
// as `Ipv4Stack.syncKernelRoutes` collects it before reconciling the FIB with it.
//
// A route is identified by seven numbers (table, type, destination, prefix length, scope, device,
// preferred source). They are kept in reused typed columns with a numeric hash index, so a sync
// allocates nothing per route: the previous version keyed a Map by a formatted string per route and
// made a sync (three per container built) one of the largest costs of building a topology.
//
// One instance serves every namespace (`kernelRouteScratch`): a sync runs to completion without
// re-entering another sync (FIB add/remove call nothing back).

const NONE = -1;

function hashRoute(
  table: number,
  type: number,
  dst: number,
  plen: number,
  scope: number,
  devId: number,
  prefsrc: number,
): number {
  let h = Math.imul(dst | 0, 0x9e3779b1);
  h = Math.imul(h ^ (prefsrc | 0), 0x85ebca6b);
  h = Math.imul(h ^ devId, 0xc2b2ae35);
  h ^= (table << 16) ^ (type << 8) ^ (plen << 3) ^ scope;
  return Math.imul(h ^ (h >>> 15), 0x27d4eb2f) | 0;
}

/** Routes in insertion order, each once; `matched` marks those found in the FIB already. */
export class KernelRouteSet {
  n = 0;
  table = new Int32Array(64);
  type = new Uint8Array(64);
  dst = new Uint32Array(64);
  plen = new Uint8Array(64);
  scope = new Uint8Array(64);
  devId = new Int32Array(64);
  prefsrc = new Uint32Array(64);
  matched = new Uint8Array(64);
  private next = new Int32Array(64);
  private readonly index = new Map<number, number>();

  clear(): void {
    this.n = 0;
    this.index.clear();
  }

  /** The row of this route, or -1. */
  find(
    table: number,
    type: number,
    dst: number,
    plen: number,
    scope: number,
    devId: number,
    prefsrc: number,
  ): number {
    let i = this.index.get(hashRoute(table, type, dst, plen, scope, devId, prefsrc)) ?? NONE;
    while (i !== NONE) {
      if (
        this.dst[i] === dst >>> 0 &&
        this.prefsrc[i] === prefsrc >>> 0 &&
        this.devId[i] === devId &&
        this.table[i] === table &&
        this.type[i] === type &&
        this.plen[i] === plen &&
        this.scope[i] === scope
      ) {
        return i;
      }
      i = this.next[i]!;
    }
    return NONE;
  }

  /** Adds the route unless it is in the set already. */
  put(
    table: number,
    type: number,
    dst: number,
    plen: number,
    scope: number,
    devId: number,
    prefsrc: number,
  ): void {
    if (this.find(table, type, dst, plen, scope, devId, prefsrc) !== NONE) return;
    if (this.n === this.table.length) this.grow();
    const i = this.n++;
    this.table[i] = table;
    this.type[i] = type;
    this.dst[i] = dst;
    this.plen[i] = plen;
    this.scope[i] = scope;
    this.devId[i] = devId;
    this.prefsrc[i] = prefsrc;
    this.matched[i] = 0;
    const h = hashRoute(table, type, dst, plen, scope, devId, prefsrc);
    this.next[i] = this.index.get(h) ?? NONE;
    this.index.set(h, i);
  }

  private grow(): void {
    const m = this.table.length * 2;
    const g = <T extends Uint8Array | Int32Array | Uint32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(m);
      b.set(a);
      return b;
    };
    this.table = g(this.table);
    this.type = g(this.type);
    this.dst = g(this.dst);
    this.plen = g(this.plen);
    this.scope = g(this.scope);
    this.devId = g(this.devId);
    this.prefsrc = g(this.prefsrc);
    this.matched = g(this.matched);
    this.next = g(this.next);
  }
}

export const kernelRouteScratch = new KernelRouteSet();
