// Shared fast-check arbitraries for the layer 2–3 wire tests.
import fc from 'fast-check';
import type { Mac } from '../../src/wire/mac.js';

export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const mac: fc.Arbitrary<Mac> = fc.record({ hi: u16, lo: u32 });

/**
 * IPv4 options that Linux's `__ip_options_compile` accepts: NOPs, Record Route with a valid pointer,
 * Router Alert, and an unknown type; never more than 40 bytes. Returned unpadded.
 */
export const ipv4Options: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc.constant([1]),
      fc
        .integer({ min: 1, max: 9 })
        .chain((slots) =>
          fc
            .integer({ min: 0, max: slots })
            .map((used) => [7, 3 + 4 * slots, 4 + 4 * used, ...new Array(4 * slots).fill(0)]),
        ),
      fc.constant([148, 4, 0, 0]),
      fc.uint8Array({ minLength: 0, maxLength: 6 }).map((d) => [30, 2 + d.length, ...d]),
    ),
    { maxLength: 8 },
  )
  .map((opts) => {
    const out: number[] = [];
    let rr = false;
    for (const o of opts) {
      if (o[0] === 7 && rr) continue; // at most one Record Route
      if (out.length + o.length > 40) break;
      if (o[0] === 7) rr = true;
      out.push(...o);
    }
    return Uint8Array.from(out);
  });

/** `b` zero-padded to a multiple of 4, as emit writes and parse reads it back. */
export function pad4(b: Uint8Array): Uint8Array {
  const out = new Uint8Array((b.length + 3) & ~3);
  out.set(b);
  return out;
}
