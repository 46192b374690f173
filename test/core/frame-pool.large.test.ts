// Large slots in the frame pool (src/core/frame-pool.ts "Large slots"): reassembled datagrams and
// large local sends up to 65535 bytes live in the same integer handle space as ordinary frames.

import { describe, expect, it } from 'vitest';
import { COLUMN_FRESH, COLUMN_NAMES, FramePool, POISON_BYTE } from '../../src/core/frame-pool.js';

describe('frame pool large slots', () => {
  it('holds a 65535-byte datagram with the usual headroom; allocFor picks the slot kind', () => {
    const p = new FramePool({ check: true });
    const small = p.allocFor(1500);
    const big = p.allocFor(65535);
    expect(p.isLarge(small)).toBe(false);
    expect(p.isLarge(big)).toBe(true);
    expect(p.headroomOf(big)).toBe(p.headroom);
    expect(p.setLength(big, 65535)).toBe(true);
    expect(p.setLength(big, 65537)).toBe(false);
    const u8 = p.bytesOf(big);
    for (let i = 0; i < 65535; i++) u8[p.start[big]! + i] = i & 0xff;
    expect(p.prepend(big, 14)).toBe(true);
    expect(p.trimFront(big, 14)).toBe(true);
    expect(p.tailroomOf(big)).toBe(p.largeSlotSize - p.headroom - 65535);
    // The small frame's bytes are untouched and its bounds unchanged.
    expect(p.setLength(small, p.slotSize - p.headroom)).toBe(true);
    expect(p.setLength(small, p.slotSize - p.headroom + 1)).toBe(false);
    const c = p.clone(big);
    expect(p.isLarge(c)).toBe(true);
    expect(p.view(c)).toEqual(p.view(big));
    expect(p.largeLiveCount).toBe(2);
    expect(p.liveCount).toBe(3);
    for (const h of [small, big, c]) p.free(h);
    expect(p.liveCount).toBe(0);
    expect(p.largeLiveCount).toBe(0);
    expect(p.leaks()).toEqual([]);
  });

  it('large handles are distinct integers, reused LIFO, poisoned on free in check mode', () => {
    const p = new FramePool({ check: true, slotsPerChunk: 4, initialSlots: 4, largeSlotSize: 4096 });
    const hs = new Set<number>();
    const large: number[] = [];
    for (let i = 0; i < 9; i++) {
      const a = p.alloc();
      const b = p.allocLarge();
      expect(hs.has(a) || hs.has(b)).toBe(false);
      hs.add(a);
      hs.add(b);
      large.push(b);
    }
    expect(large.every((h) => p.isLarge(h) && p.slotSizeOf(h) === 4096)).toBe(true);
    const last = large.at(-1)!;
    p.setLength(last, 10);
    const base = p.start[last]! - p.headroom;
    const bytes = p.bytesOf(last);
    p.free(last);
    expect(bytes[base]).toBe(POISON_BYTE);
    expect(bytes[base + 4095]).toBe(POISON_BYTE);
    expect(p.allocLarge()).toBe(last);
    p.free(large[0]!);
    expect(() => p.free(large[0]!)).toThrow(/not live/);
  });

  it('every column gets its fresh value in a large slot', () => {
    const p = new FramePool();
    const h = p.allocLarge();
    const self = p as unknown as Record<string, Int32Array | Uint32Array>;
    for (const n of COLUMN_NAMES) if (n !== 'start') self[n]![h] = 7;
    p.free(h);
    const g = p.allocLarge();
    expect(g).toBe(h);
    for (const n of COLUMN_NAMES) if (n !== 'start') expect(self[n]![g]).toBe(COLUMN_FRESH[n]);
  });

  it('growth keeps large bytes and views valid', () => {
    const p = new FramePool({
      slotsPerChunk: 2,
      initialSlots: 2,
      largeSlotSize: 4096,
      largeSlotsPerChunk: 1,
    });
    const big = p.allocLarge();
    p.setLength(big, 100);
    const u8 = p.bytesOf(big);
    u8[p.start[big]!] = 42;
    const more: number[] = [];
    for (let i = 0; i < 50; i++) more.push(i % 2 === 0 ? p.alloc() : p.allocLarge());
    expect(p.bytesOf(big)).toBe(u8);
    expect(u8[p.start[big]!]).toBe(42);
    for (const h of more) p.free(h);
    p.free(big);
    expect(p.liveCount).toBe(0);
  });
});
