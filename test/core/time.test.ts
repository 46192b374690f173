import { describe, expect, it } from 'vitest';
import {
  DurationSyntaxError,
  formatDuration,
  HOUR,
  MINUTE,
  MS,
  parseDuration,
  S,
  US,
} from '../../src/core/time.js';

describe('parseDuration', () => {
  it.each([
    ['250us', 250 * US],
    ['250µs', 250 * US],
    ['1.5ms', 1_500_000],
    ['30s', 30 * S],
    ['2m', 2 * MINUTE],
    ['1h', HOUR],
    ['100ns', 100],
    ['0', 0],
    ['0s', 0],
    ['.5s', 500 * MS],
    ['1m30s', 90 * S],
    ['1.5m', 90 * S],
    [' 10ms ', 10 * MS],
  ])('%s', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it.each([
    ['abc', 'expected a duration like 250us, 1.5ms or 30s, got "abc"'],
    ['5', 'a unit is required'],
    ['1.5ns', 'whole nanoseconds'],
    ['-1s', 'negative'],
    ['', 'empty'],
    ['10 s', 'got "10 s"'],
    ['1e3ms', 'got "1e3ms"'],
    ['10ms!', 'unexpected "!"'],
    ['200d', 'got "200d"'],
  ])('rejects %j', (text, fragment) => {
    expect(() => parseDuration(text)).toThrow(DurationSyntaxError);
    expect(() => parseDuration(text)).toThrow(fragment);
  });

  it('rejects durations past 2^53 ns', () => {
    expect(() => parseDuration('105d')).toThrow(DurationSyntaxError);
    expect(() => parseDuration('2600h')).toThrow('104 days');
  });
});

describe('formatDuration', () => {
  it.each([
    [1_500_000, '1.5ms'],
    [30 * S, '30s'],
    [250 * US, '250us'],
    [2 * MINUTE, '2m'],
    [90 * S, '90s'],
    [100, '100ns'],
    [0, '0'],
    [1_000_000_001, '1.000000001s'],
    [HOUR, '1h'],
  ])('%d → %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it('refuses non-durations', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});
