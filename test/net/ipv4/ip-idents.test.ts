// IP Identification of non-DF packets (`ip_idents_reserve`): +1 within a jiffy, a random jump below
// the jiffies elapsed after a pause, deterministic for a seed.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { IpIdents } from '../../../src/net/ipv4/ip-idents.js';
import { ip, MS, world } from './helpers.js';
import { advance } from './routed.js';

const A = ip('10.0.0.1');
const B = ip('10.0.0.2');

describe('ip_idents_reserve', () => {
  it('counts up by one within a jiffy', () => {
    const w = world();
    const ids = new IpIdents(w, Rng.fromSeed(1));
    const first = ids.select(A, B, 17);
    const next = [1, 2, 3].map(() => ids.select(A, B, 17));
    expect(next).toEqual([1, 2, 3].map((i) => (first + i) & 0xffff));
  });

  it('after k jiffies of silence jumps by 1..k', () => {
    const w = world();
    const ids = new IpIdents(w, Rng.fromSeed(2));
    let prev = ids.select(A, B, 17);
    const jumps: number[] = [];
    for (const ms of [4, 40, 400, 4000]) {
      advance(w, ms * MS);
      const id = ids.select(A, B, 17);
      const jump = (id - prev) & 0xffff;
      jumps.push(jump);
      expect(jump).toBeGreaterThanOrEqual(1);
      expect(jump).toBeLessThanOrEqual(ms / 4);
      prev = id;
    }
    expect(jumps[0]).toBe(1); // one jiffy: delta is below 1
  });

  it('is deterministic for a seed; namespaces hash with their own keys over one table', () => {
    const run = () => {
      const w = world(5);
      const a = new IpIdents(w, Rng.fromSeed(10));
      const b = new IpIdents(w, Rng.fromSeed(11));
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        out.push(a.select(A, B, 1), b.select(A, B, 1));
        advance(w, 100 * MS);
      }
      return out;
    };
    expect(run()).toEqual(run());
  });
});
