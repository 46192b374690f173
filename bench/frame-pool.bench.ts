// Frame pool throughput: alloc/free, VXLAN-style prepend(50)/trimFront(50), clone for flooding, and the
// cost of the metadata layout decision (flat columns replaced on growth vs. chunked columns).
// Baselines: a bare Int32Array free-list stack (the floor for alloc/free), a 1500-byte copy (what
// encapsulation costs without headroom), and a cached local column array (the floor for field reads).
import { FramePool } from '../src/core/frame-pool.js';
import { defineSuite } from './harness/suite.js';

const BATCH = 64; // frames in flight per call, so the free list is exercised as a stack
const FRAME = 1500;
// Keeps results observable so the JIT cannot drop the work; XOR keeps it a small integer (a growing
// sum would leave the Smi range and allocate a heap number per update, polluting the alloc column).
let sink = 0;

function filledPool(check: boolean): { pool: FramePool; hs: Int32Array } {
  const pool = new FramePool({ check });
  const hs = new Int32Array(BATCH);
  return { pool, hs };
}

export default defineSuite(import.meta.url, {
  name: 'frame-pool',
  groups: [
    {
      name: 'alloc+free',
      baseline: 'int32-stack',
      cases: {
        'int32-stack': () => {
          const free = new Int32Array(1024);
          for (let i = 0; i < 1024; i++) free[i] = 1023 - i;
          let top = 1024;
          const hs = new Int32Array(BATCH);
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) hs[i] = free[--top]!;
              for (let i = BATCH - 1; i >= 0; i--) free[top++] = hs[i]!;
              sink ^= hs[0]!;
            },
          };
        },
        pool: () => {
          const { pool, hs } = filledPool(false);
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) hs[i] = pool.alloc();
              for (let i = BATCH - 1; i >= 0; i--) pool.free(hs[i]!);
              sink ^= hs[0]!;
            },
          };
        },
        'pool-check-mode': () => {
          const { pool, hs } = filledPool(true);
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) hs[i] = pool.alloc();
              for (let i = BATCH - 1; i >= 0; i--) pool.free(hs[i]!);
              sink ^= hs[0]!;
            },
          };
        },
      },
    },
    {
      name: 'encap 50B',
      baseline: 'copy-1500B',
      cases: {
        'copy-1500B': () => {
          // Without headroom: shift the frame 50 bytes to make room, then back.
          const u8 = new Uint8Array(2048);
          return {
            opsPerCall: 1,
            fn: () => {
              u8.copyWithin(128, 178, 178 + FRAME);
              u8.copyWithin(178, 128, 128 + FRAME);
              sink ^= u8[200]!;
            },
          };
        },
        'prepend+trimFront': () => {
          const pool = new FramePool();
          const h = pool.alloc();
          pool.setLength(h, FRAME);
          return {
            opsPerCall: 1,
            fn: () => {
              pool.prepend(h, 50);
              pool.trimFront(h, 50);
              sink ^= pool.start[h]!;
            },
          };
        },
      },
    },
    {
      name: 'clone 1500B',
      cases: {
        'clone+free': () => {
          const pool = new FramePool();
          const h = pool.alloc();
          pool.setLength(h, FRAME);
          return {
            opsPerCall: 1,
            fn: () => {
              const c = pool.clone(h);
              sink ^= pool.len[c]!;
              pool.free(c);
            },
          };
        },
      },
    },
    {
      // The decision in frame-pool.ts's header: metadata columns are flat arrays, replaced on growth,
      // so callers re-read `pool.len` instead of caching it. This group prices that rule and the
      // alternative (chunked columns, two indexings per read). 1024 reads per call.
      name: 'metadata read',
      baseline: 'flat-cached-local',
      cases: {
        'flat-cached-local': () => {
          const pool = new FramePool({ initialSlots: 1024 });
          for (let i = 0; i < 1024; i++) pool.setLength(pool.alloc(), i);
          return {
            opsPerCall: 1024,
            fn: () => {
              const len = pool.len;
              let s = 0;
              for (let h = 0; h < 1024; h++) s += len[h]!;
              sink ^= s;
            },
          };
        },
        'flat-via-pool': () => {
          const pool = new FramePool({ initialSlots: 1024 });
          for (let i = 0; i < 1024; i++) pool.setLength(pool.alloc(), i);
          return {
            opsPerCall: 1024,
            fn: () => {
              let s = 0;
              for (let h = 0; h < 1024; h++) s += pool.len[h]!;
              sink ^= s;
            },
          };
        },
        'chunked-columns': () => {
          // The same data laid out as per-chunk columns (512 slots each), read as the alternative would.
          const chunks = [new Int32Array(512), new Int32Array(512)];
          for (let i = 0; i < 1024; i++) chunks[i >>> 9]![i & 511] = i;
          const holder = { len: chunks };
          return {
            opsPerCall: 1024,
            fn: () => {
              let s = 0;
              for (let h = 0; h < 1024; h++) s += holder.len[h >>> 9]![h & 511]!;
              sink ^= s;
            },
          };
        },
      },
    },
  ],
});

export const _sink = () => sink;
