// Bridge FDB: lookup of known stations and learning (refresh and move) at two table sizes, against a
// JS Map keyed by the 48-bit MAC as a number (the obvious alternative), plus the whole per-frame bridge
// path (a known-unicast frame received on one port and forwarded to another).
import { Fdb } from '../src/net/devices/fdb.js';
import { defineSuite } from './harness/suite.js';

const BATCH = 1024;
let sink = 0;

function stations(n: number): { hi: Uint16Array; lo: Uint32Array } {
  const hi = new Uint16Array(n);
  const lo = new Uint32Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    hi[i] = 0x0242;
    lo[i] = x;
  }
  return { hi, lo };
}

function group(n: number) {
  return {
    name: `n=${n}`,
    baseline: 'map-lookup',
    cases: {
      'map-lookup': () => {
        const s = stations(n);
        const m = new Map<number, number>();
        for (let i = 0; i < n; i++) m.set(s.hi[i]! * 4294967296 + s.lo[i]!, (i & 7) + 1);
        let k = 0;
        return {
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= m.get(s.hi[j]! * 4294967296 + s.lo[j]!) ?? -1;
            }
          },
        };
      },
      'fdb-lookup': () => {
        const s = stations(n);
        const f = new Fdb(64, 300e9);
        for (let i = 0; i < n; i++) f.learn(s.hi[i]!, s.lo[i]!, 0, (i & 7) + 1, 0);
        let k = 0;
        return {
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= f.lookup(s.hi[j]!, s.lo[j]!, 0, 1);
            }
          },
        };
      },
      'fdb-learn-refresh': () => {
        const s = stations(n);
        const f = new Fdb(64, 300e9);
        for (let i = 0; i < n; i++) f.learn(s.hi[i]!, s.lo[i]!, 0, (i & 7) + 1, 0);
        let k = 0;
        let t = 1;
        return {
          opsPerCall: BATCH,
          fn: () => {
            t++;
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= f.learn(s.hi[j]!, s.lo[j]!, 0, (j & 7) + 1, t);
            }
          },
        };
      },
      'fdb-learn-move': () => {
        const s = stations(n);
        const f = new Fdb(64, 300e9);
        for (let i = 0; i < n; i++) f.learn(s.hi[i]!, s.lo[i]!, 0, 1, 0);
        let k = 0;
        let port = 1;
        return {
          opsPerCall: BATCH,
          fn: () => {
            port = port === 1 ? 2 : 1;
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= f.learn(s.hi[j]!, s.lo[j]!, 0, port, 1);
            }
          },
        };
      },
    },
  };
}

export default defineSuite(import.meta.url, {
  name: 'fdb',
  unit: 'lookups',
  groups: [group(1_000), group(100_000)],
});

export { sink };
