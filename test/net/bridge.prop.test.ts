// Properties of the bridge over random topologies and traffic.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BridgePort } from '../../src/net/devices/bridge.js';
import { expectBalanced, makeLab } from './bridge-helpers.js';

const SRC_POOL = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03', '02:00:00:00:00:04'];
const DST_POOL = [...SRC_POOL, 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:fb', '02:00:00:00:00:77'];

const stepArb = (n: number) =>
  fc.record({
    from: fc.integer({ min: 0, max: n - 1 }),
    src: fc.constantFrom(...SRC_POOL),
    dst: fc.constantFrom(...DST_POOL),
    /** Simulated time to let pass before the frame, in ms (ageing is 2 s in these runs). */
    waitMs: fc.constantFrom(0, 0, 10, 500, 1999, 2500),
  });

const scenarioArb = fc
  .integer({ min: 2, max: 5 })
  .chain((n) =>
    fc.record({ n: fc.constant(n), steps: fc.array(stepArb(n), { minLength: 1, maxLength: 40 }) }),
  );

describe('bridge properties', () => {
  it('never sends a frame back out of its ingress port (hairpin off); conserves frames', () => {
    fc.assert(
      fc.property(scenarioArb, ({ n, steps }) => {
        const l = makeLab(n, { bridgeArgs: 'ageing_time 200' });
        for (const s of steps) {
          if (s.waitMs > 0) l.world.sim.run({ until: l.world.sim.now + s.waitMs * 1e6 });
          l.send(s.from, s.dst, s.src);
          expect(l.take(`c${s.from}`)).toEqual([]);
          for (let i = 0; i < n; i++) l.take(`c${i}`);
          l.take('host');
        }
        l.world.sim.run();
        expectBalanced(l.world);
      }),
      { numRuns: 150 },
    );
  });

  it('a learned entry points at the last port its MAC was seen on, until it ages', () => {
    fc.assert(
      fc.property(scenarioArb, ({ n, steps }) => {
        const l = makeLab(n, { bridgeArgs: 'ageing_time 200' });
        const lastSeen = new Map<string, { port: number; t: number }>();
        const fdb = l.br.fdb;
        for (const s of steps) {
          if (s.waitMs > 0) l.world.sim.run({ until: l.world.sim.now + s.waitMs * 1e6 });
          l.send(s.from, s.dst, s.src);
          const port = (l.host.device(`v${s.from}`)!.rxHandler as BridgePort).portNo;
          lastSeen.set(s.src, { port, t: l.world.sim.now });
          for (const [mac, seen] of lastSeen) {
            const lo = Number.parseInt(mac.slice(-2), 16);
            const slot = fdb.lookup(0x0200, lo, 0, l.world.sim.now);
            if (l.world.sim.now < seen.t + 2e9) expect(fdb.port[slot]).toBe(seen.port);
            else expect(slot).toBe(-1);
          }
          for (let i = 0; i < n; i++) l.take(`c${i}`);
          l.take('host');
        }
        l.world.sim.run();
        expectBalanced(l.world);
        // Everything dynamic has been collected once the simulator drained.
        for (const mac of lastSeen.keys())
          expect(fdb.find(0x0200, Number.parseInt(mac.slice(-2), 16), 0)).toBe(-1);
      }),
      { numRuns: 150 },
    );
  });

  it('hairpin on: every flooded frame also returns to the sender; with hairpin off it never does', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), ({ n, steps }, hairpin) => {
        const l = makeLab(n);
        if (hairpin) for (let i = 0; i < n; i++) l.run(l.host, `bridge link set dev v${i} hairpin on`);
        for (const s of steps) {
          l.send(s.from, s.dst, s.src);
          const back = l.take(`c${s.from}`).length;
          if (!hairpin) expect(back).toBe(0);
          else if (s.dst.startsWith('ff') || s.dst.startsWith('01')) expect(back).toBe(1);
          for (let i = 0; i < n; i++) l.take(`c${i}`);
          l.take('host');
        }
        l.world.sim.run();
        expectBalanced(l.world);
      }),
      { numRuns: 100 },
    );
  });
});
