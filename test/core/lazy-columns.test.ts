import { describe, expect, it } from 'vitest';
import { grownCapacity, NO_F64, NO_INDEX, NO_U8 } from '../../src/core/lazy-columns.js';

describe('shared empty columns', () => {
  it('are zero-length, so a stray write changes nothing another table could read', () => {
    NO_U8[0] = 7;
    NO_F64[3] = 1.5;
    expect(NO_U8.length).toBe(0);
    expect(NO_U8[0]).toBeUndefined();
    expect(NO_F64[3]).toBeUndefined();
  });

  it('the shared index refuses insertions and stays empty', () => {
    expect(() => NO_INDEX.set(1, 2)).toThrow(/shared empty index/);
    expect(NO_INDEX.size).toBe(0);
    expect(NO_INDEX.get(1)).toBeUndefined();
    expect(NO_INDEX.delete(1)).toBe(false);
  });

  it('grows from nothing to the initial capacity, then doubles', () => {
    expect(grownCapacity(0, 8)).toBe(8);
    expect(grownCapacity(8, 8)).toBe(16);
    expect(grownCapacity(16, 4)).toBe(32);
  });
});
