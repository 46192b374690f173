// Examples for the frame pool: growth, headroom limits, cloning across chunks and check mode.
import { describe, expect, it } from 'vitest';
import { COLUMN_FRESH, COLUMN_NAMES, FramePool, POISON_BYTE } from '../../src/core/frame-pool.js';

describe('FramePool', () => {
  it('defaults leave room for VXLAN (50 bytes) plus an 802.1Q tag, twice', () => {
    const p = new FramePool();
    const h = p.alloc();
    expect(p.headroomOf(h)).toBeGreaterThanOrEqual(2 * (50 + 4));
    expect(p.slotSize - p.headroom).toBeGreaterThanOrEqual(1518 + 4);
    p.free(h);
  });

  it('hands out fresh frames with default metadata', () => {
    const p = new FramePool({ slotsPerChunk: 8 });
    const h = p.alloc();
    expect([p.len[h], p.ingressIf[h], p.mark[h], p.ctId[h], p.traceId[h]]).toEqual([0, -1, 0, -1, -1]);
    p.mark[h] = 0xfffffffe;
    p.ctId[h] = 7;
    p.free(h);
    const h2 = p.alloc();
    expect(h2).toBe(h); // LIFO reuse
    expect([p.mark[h2], p.ctId[h2]]).toEqual([0, -1]);
  });

  it('every column gets its fresh value on alloc and is copied by clone', () => {
    // Guards the unrolled reset in alloc(): a column added to COLUMNS without its reset line fails here.
    const p = new FramePool({ slotsPerChunk: 4 });
    const h = p.alloc();
    const cols = p as unknown as Record<string, Int32Array | Uint32Array>;
    for (const [i, name] of COLUMN_NAMES.entries()) if (name !== 'start') cols[name]![h] = 1000 + i;
    const c = p.clone(h);
    for (const [i, name] of COLUMN_NAMES.entries()) {
      if (name !== 'start') expect([name, cols[name]![c]]).toEqual([name, 1000 + i]);
    }
    p.free(c);
    p.free(h);
    const again = p.alloc();
    expect(again).toBe(h);
    for (const name of COLUMN_NAMES) {
      if (name !== 'start') expect([name, cols[name]![again]]).toEqual([name, COLUMN_FRESH[name]]);
    }
    expect(p.headroomOf(again)).toBe(p.headroom);
  });

  it('grows past its initial capacity without invalidating byte arrays of existing frames', () => {
    const p = new FramePool({ slotSize: 128, headroom: 16, slotsPerChunk: 4, initialSlots: 4 });
    const first = p.alloc();
    const bytes = p.bytesOf(first);
    const dv = p.dataViewOf(first);
    expect(p.copyIn(first, Uint8Array.from([1, 2, 3, 4]))).toBe(true);
    const startArray = p.start;
    const hs = [first];
    for (let i = 0; i < 37; i++) hs.push(p.alloc());
    expect(new Set(hs).size).toBe(hs.length);
    expect(p.capacity).toBeGreaterThanOrEqual(38);
    expect(p.liveCount).toBe(38);
    // The chunk arrays are never replaced...
    expect(p.bytesOf(first)).toBe(bytes);
    expect(p.dataViewOf(first)).toBe(dv);
    expect(dv.getUint32(p.start[first]!)).toBe(0x01020304);
    // ...but metadata arrays are (documented rule: re-read them through the pool after alloc()).
    expect(p.start).not.toBe(startArray);
    expect(Array.from(p.view(first))).toEqual([1, 2, 3, 4]);
    for (const h of hs) p.free(h);
    expect(p.leaks()).toEqual([]);
  });

  it('prepend and trimFront move start without copying and refuse past the slot', () => {
    const p = new FramePool({ slotSize: 256, headroom: 64, slotsPerChunk: 2 });
    const h = p.alloc();
    p.copyIn(h, Uint8Array.from([9, 9]));
    const s0 = p.start[h]!;
    expect(p.prepend(h, 50)).toBe(true);
    expect(p.start[h]).toBe(s0 - 50);
    expect(p.len[h]).toBe(52);
    expect(p.prepend(h, 15)).toBe(false); // 14 bytes of headroom left
    expect(p.len[h]).toBe(52);
    expect(p.prepend(h, 14)).toBe(true);
    expect(p.headroomOf(h)).toBe(0);
    expect(p.trimFront(h, 64)).toBe(true);
    expect(Array.from(p.view(h))).toEqual([9, 9]);
    expect(p.trimFront(h, 3)).toBe(false);
    expect(p.setLength(h, 256 - 64)).toBe(true);
    expect(p.tailroomOf(h)).toBe(0);
    expect(p.setLength(h, 256 - 63)).toBe(false);
    expect(p.copyIn(h, new Uint8Array(193))).toBe(false);
    p.free(h);
  });

  it('clones bytes, headroom and metadata, also into another chunk', () => {
    const p = new FramePool({ slotSize: 128, headroom: 32, slotsPerChunk: 2, initialSlots: 2 });
    const a = p.alloc();
    const b = p.alloc(); // chunk 0 is now full: the clone lands in a new chunk
    p.copyIn(a, Uint8Array.from([1, 2, 3]));
    p.prepend(a, 2);
    p.bytesOf(a).set([7, 8], p.start[a]!);
    p.mark[a] = 0x80000001;
    p.ingressIf[a] = 5;
    const c = p.clone(a);
    expect(c >>> p.chunkShift).not.toBe(a >>> p.chunkShift);
    expect(Array.from(p.view(c))).toEqual([7, 8, 1, 2, 3]);
    expect(p.headroomOf(c)).toBe(30);
    expect([p.mark[c], p.ingressIf[c]]).toEqual([0x80000001, 5]);
    const d = p.clone(c); // same-chunk path
    expect(Array.from(p.view(d))).toEqual([7, 8, 1, 2, 3]);
    for (const h of [a, b, c, d]) p.free(h);
    expect(p.liveCount).toBe(0);
  });

  describe('check mode', () => {
    it('poisons freed slots and detects double free and use after free', () => {
      const p = new FramePool({ check: true, slotSize: 128, headroom: 16, slotsPerChunk: 4 });
      const h = p.alloc();
      p.copyIn(h, Uint8Array.from([1, 2, 3]));
      const s = p.start[h]!;
      p.free(h);
      expect(p.bytesOf(h)[s]).toBe(POISON_BYTE);
      expect(() => p.free(h)).toThrow(/not live/);
      expect(() => p.assertLive(h)).toThrow(/not live/);
      expect(() => p.clone(h)).toThrow(/not live/);
      expect(() => p.prepend(h, 1)).toThrow(/not live/);
      expect(() => p.assertLive(99)).toThrow(/not a frame handle/);
      expect(() => p.assertLive(-1)).toThrow(/not a frame handle/);
    });

    it('reports leaked handles', () => {
      const p = new FramePool({ check: true, slotsPerChunk: 4 });
      const hs = [p.alloc(), p.alloc(), p.alloc(), p.alloc(), p.alloc()];
      p.free(hs[1]!);
      p.free(hs[3]!);
      expect(p.leaks()).toEqual([hs[0], hs[2], hs[4]]);
      expect(p.liveCount).toBe(3);
    });
  });

  it('rejects impossible geometry', () => {
    expect(() => new FramePool({ slotSize: 256, headroom: 256 })).toThrow(RangeError);
    expect(() => new FramePool({ slotSize: 10 })).toThrow(RangeError);
  });
});
