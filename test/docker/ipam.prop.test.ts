// Properties of the default IPAM model (src/docker/ipam.ts) under random request/release sequences.
import fc from 'fast-check';
import { produce } from 'immer';
import { expect, test } from 'vitest';
import {
  emptyIpam,
  type IpamDraft,
  LOCAL_DEFAULT_POOLS,
  releaseAddress,
  releasePool,
  requestAddress,
  requestPool,
} from '../../src/docker/ipam.js';
import type { IpamState } from '../../src/docker/types.js';
import { cidrOverlaps, parseCidr, parseIpv4 } from '../../src/wire/ipv4-address.js';

function step<T>(s: IpamState, f: (d: IpamDraft) => T): [IpamState, T | Error] {
  let out: T | Error = new Error('unset');
  const next = produce(s, (d) => {
    try {
      out = f(d as unknown as IpamDraft);
    } catch (e) {
      out = e as Error;
    }
  });
  return [next, out];
}

const SUBNET = '10.1.0.0/26'; // 62 usable addresses: exhaustion is reachable

test('never hands out an address twice; always the lowest free one; exhaustion only when full', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(70)), { maxLength: 200 }), (ops) => {
      let s = emptyIpam();
      [s] = step(s, (d) => requestPool(d, { pool: SUBNET }, LOCAL_DEFAULT_POOLS, []));
      const held = new Set<number>();
      for (const op of ops) {
        if (op === -1) {
          const [n, a] = step(s, (d) => requestAddress(d, SUBNET, undefined));
          s = n;
          if (a instanceof Error) {
            expect(a.message).toBe('no available addresses on this pool');
            expect(held.size).toBe(62);
            continue;
          }
          const off = parseIpv4(a) - parseIpv4('10.1.0.0');
          expect(held.has(off)).toBe(false);
          expect(off).toBeGreaterThanOrEqual(1);
          expect(off).toBeLessThanOrEqual(62);
          for (let i = 1; i < off; i++) expect(held.has(i)).toBe(true);
          held.add(off);
        } else {
          const addr = `10.1.0.${op % 64}`;
          [s] = step(s, (d) => releaseAddress(d, SUBNET, addr));
          if (op % 64 !== 0 && op % 64 !== 63) held.delete(op % 64);
        }
      }
    }),
  );
});

test('with an ip-range the lowest free address inside the range is handed out, until the range is full', () => {
  // 10.1.0.0/26 with --ip-range 10.1.0.16/28 (offsets 16..31); --ip requests anywhere in the subnet
  // interleave, so runs of taken addresses start and end inside and outside the range.
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(fc.constant(-1), fc.record({ take: fc.boolean(), off: fc.integer({ min: 1, max: 62 }) })),
        {
          maxLength: 120,
        },
      ),
      (ops) => {
        let s = emptyIpam();
        [s] = step(s, (d) => requestPool(d, { pool: SUBNET }, LOCAL_DEFAULT_POOLS, []));
        const held = new Set<number>();
        for (const op of ops) {
          if (op === -1) {
            const [n, a] = step(s, (d) => requestAddress(d, SUBNET, '10.1.0.16/28'));
            s = n;
            let want = -1;
            for (let i = 16; i <= 31 && want < 0; i++) if (!held.has(i)) want = i;
            if (want < 0) {
              expect(a).toBeInstanceOf(Error);
              continue;
            }
            expect(a).toBe(`10.1.0.${want}`);
            held.add(want);
          } else if (op.take) {
            const [n, a] = step(s, (d) => requestAddress(d, SUBNET, undefined, `10.1.0.${op.off}`));
            s = n;
            expect(a instanceof Error).toBe(held.has(op.off));
            held.add(op.off);
          } else {
            [s] = step(s, (d) => releaseAddress(d, SUBNET, `10.1.0.${op.off}`));
            held.delete(op.off);
          }
        }
      },
    ),
  );
});

test('allocated pools never overlap, and predefined pools come in Docker order', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant('auto' as const) }),
          fc.record({
            kind: fc.constant('user' as const),
            a: fc.nat(40),
            len: fc.integer({ min: 12, max: 28 }),
          }),
          fc.record({ kind: fc.constant('free' as const), i: fc.nat(50) }),
        ),
        { maxLength: 60 },
      ),
      (ops) => {
        let s = emptyIpam();
        for (const op of ops) {
          if (op.kind === 'auto') {
            const before = s.allocated.map(parseCidr);
            const [n, p] = step(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
            s = n;
            if (p instanceof Error) continue;
            // No earlier default candidate was free.
            const c = parseCidr(p);
            for (const cand of candidates()) {
              if (cand.addr === c.addr && cand.prefixLen === c.prefixLen) break;
              expect(before.some((b) => cidrOverlaps(b, cand))).toBe(true);
            }
          } else if (op.kind === 'user') {
            const pool = `172.${16 + (op.a % 16)}.${(op.a * 16) % 256}.0/${op.len}`;
            [s] = step(s, (d) => requestPool(d, { pool }, LOCAL_DEFAULT_POOLS, []));
          } else if (s.allocated.length > 0) {
            const p = s.allocated[op.i % s.allocated.length]!;
            [s] = step(s, (d) => releasePool(d, p));
          }
          const all = s.allocated.map(parseCidr);
          for (let i = 0; i < all.length; i++)
            for (let j = i + 1; j < all.length; j++) expect(cidrOverlaps(all[i]!, all[j]!)).toBe(false);
        }
      },
    ),
  );
});

function candidates() {
  const out: { addr: number; prefixLen: number }[] = [];
  for (let i = 17; i < 32; i++) out.push(parseCidr(`172.${i}.0.0/16`));
  for (let i = 0; i < 16; i++) out.push(parseCidr(`192.168.${i * 16}.0/20`));
  return out;
}
