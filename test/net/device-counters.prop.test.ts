// Per-device drop counters (src/net/world.ts DeviceCounters: a row per device made on its first drop)
// against a plain model, across device-table growth between drops.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DROP_REASON_COUNT } from '../../src/net/drop-reason.js';
import { DeviceCounters } from '../../src/net/world.js';

describe('device drop counters', () => {
  it('count exactly the drops of each (device, reason)', () => {
    const drop = fc.record({ dev: fc.nat(300), reason: fc.nat(DROP_REASON_COUNT - 1) });
    fc.assert(
      fc.property(fc.array(drop, { maxLength: 200 }), (drops) => {
        const c = new DeviceCounters();
        const model = new Map<string, number>();
        let devices = 0;
        for (const d of drops) {
          if (d.dev >= devices) {
            devices = d.dev + 1;
            c.ensure(devices);
          }
          c.countDrop(d.dev, d.reason);
          const k = `${d.dev}/${d.reason}`;
          model.set(k, (model.get(k) ?? 0) + 1);
        }
        for (let dev = 0; dev < devices + 2; dev++) {
          for (let r = 0; r < DROP_REASON_COUNT; r++)
            expect(c.dropsOf(dev, r)).toBe(model.get(`${dev}/${r}`) ?? 0);
        }
      }),
      { numRuns: 50 },
    );
  });
});
