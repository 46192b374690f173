// 802.1Q properties over a veth trunk between two namespaces (behaviour from net/8021q, see
// vlan.test.ts): for any sets of VIDs on each side, a ping on VID v is answered iff both sides have a
// vlan device for v (VIDs isolate, even with overlapping subnets); every frame is conserved and the
// pool does not leak.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { Pinger } from './ipv4/helpers.js';

describe('vlan properties', () => {
  it('VIDs isolate; frames are conserved; no pool leak', () => {
    const vid = fc.integer({ min: 1, max: 4094 });
    fc.assert(
      fc.property(
        fc.uniqueArray(vid, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(vid, { minLength: 0, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (va, vb, pick) => {
          const world = new World({ seed: 11, check: true });
          const a = world.addNamespace('pa');
          const b = world.addNamespace('pb');
          const run = (n: Namespace, l: string) => runCommandLine({ world, ns: n }, l);
          run(a, 'ip link add eth0 type veth peer name eth0 netns pb');
          run(a, 'ip link set eth0 up');
          run(b, 'ip link set eth0 up');
          // Every vlan uses the same subnet: only the tag tells them apart.
          va.forEach((v, i) => {
            run(a, `ip link add link eth0 name v${v} type vlan id ${v}`);
            run(a, `ip addr add 10.${i}.0.1/24 dev v${v}`);
            run(a, `ip link set v${v} up`);
          });
          const target = va[pick % va.length]!;
          const ti = va.indexOf(target);
          for (const v of vb) {
            run(b, `ip link add link eth0 name v${v} type vlan id ${v}`);
            // b puts the probed address on each of its vlans' own subnet copy.
            run(b, `ip addr add 10.${ti}.0.2/24 dev v${v}`);
            run(b, `ip link set v${v} up`);
          }
          const p = new Pinger(a, 1);
          p.send(`10.${ti}.0.2`, 1, { df: false });
          world.sim.run({ until: 3e9 });
          const ok = p.heard.some((h) => h.kind === 'reply');
          world.sim.run();
          expect(ok).toBe(vb.includes(target));
          expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
          expect(world.pool.liveCount).toBe(0);
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });
});
