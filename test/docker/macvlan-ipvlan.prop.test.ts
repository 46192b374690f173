// Properties of Docker's macvlan/ipvlan drivers over generated networks: random drivers, parents
// (eth0 to a LAN, a dummy eth1, 802.1Q sub-interfaces, none), modes and container counts.
//
// - Parent sharing: no two ipvlan networks share a parent; a passthru macvlan network shares it with
//   no other macvlan network; `network create` fails only for those reasons.
// - Addresses: every running endpoint's address is unique and inside its network's subnet.
// - Data plane: containers on one bridge-mode macvlan network reach each other, and never their
//   host's address on the parent (no shim).
// - Cleanup: after removing every container and network, the host's links are what they were.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { valuesOf } from '../../src/docker/buckets.js';
import { parentOf } from '../../src/docker/drivers/parent.js';
import { prefixContains } from '../../src/docker/ipam.js';
import { dockerHost } from './macvlan-helpers.js';

const PARENTS = ['eth0', 'eth1', 'eth0.10', 'eth1.20', ''] as const;
/** The host's own address on each parent that has one. */
const HOST_ADDR: Readonly<Record<string, string>> = { eth0: '192.168.50.10', eth1: '192.168.51.10' };

const netSpec = fc.oneof(
  fc.record({
    driver: fc.constant('macvlan' as const),
    parent: fc.constantFrom(...PARENTS),
    mode: fc.constantFrom('bridge', 'bridge', 'private', 'vepa', 'passthru'),
    containers: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    driver: fc.constant('ipvlan' as const),
    parent: fc.constantFrom(...PARENTS),
    mode: fc.constantFrom('l2', 'l3', 'l3s'),
    containers: fc.integer({ min: 1, max: 3 }),
  }),
);

const linkNames = (run: (l: string) => string) =>
  [...run('ip link show').matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]!).sort();

describe('macvlan/ipvlan networks (property)', () => {
  test('sharing rules, unique addresses, sibling reachability, no host reachability, clean removal', () => {
    fc.assert(
      fc.property(fc.array(netSpec, { minLength: 1, maxLength: 4 }), (specs) => {
        const h = dockerHost();
        h.run('ip link add eth1 type dummy');
        h.run('ip addr add 192.168.51.10/24 dev eth1');
        h.run('ip link set eth1 up');
        h.run('dockerd'); // docker0 exists before the baseline
        const baseline = linkNames(h.run);
        const created: { name: string; spec: (typeof specs)[number]; ctrs: string[] }[] = [];
        specs.forEach((s, i) => {
          const name = `n${i}`;
          const opt = s.driver === 'macvlan' ? `-o macvlan_mode=${s.mode}` : `-o ipvlan_mode=${s.mode}`;
          const parent = s.parent === '' ? '' : `-o parent=${s.parent}`;
          const cmd = `docker network create -d ${s.driver} --subnet 10.${i + 1}.0.0/24 ${parent} ${opt} ${name}`;
          let err = '';
          try {
            h.run(cmd);
          } catch (e) {
            err = (e as Error).message;
          }
          if (err !== '') {
            expect(err).toContain('already using parent interface');
            return;
          }
          const ctrs: string[] = [];
          for (let j = 0; j < s.containers; j++) {
            try {
              h.run(`docker run -d --name ${name}c${j} --network ${name} img`);
              ctrs.push(`${name}c${j}`);
            } catch (e) {
              // A parent already carrying the other kind of child, or a second passthru child.
              expect((e as Error).message).toMatch(
                /failed to create the (macvlan|ipvlan) port: (device or resource busy|invalid argument)/,
              );
              h.run(`docker rm -f ${name}c${j}`);
            }
          }
          created.push({ name, spec: s, ctrs });
        });

        // Sharing rules among the networks that exist.
        const e = h.engine();
        const nets = Object.values(e.state.networks).filter(
          (n) => n.driver === 'macvlan' || n.driver === 'ipvlan',
        );
        for (const a of nets)
          for (const b of nets) {
            if (a === b || a.driver !== b.driver || parentOf(a) !== parentOf(b)) continue;
            expect(a.driver).toBe('macvlan');
            expect([a.options.macvlan_mode, b.options.macvlan_mode]).not.toContain('passthru');
          }

        // Unique addresses, each inside its subnet.
        const eps = valuesOf(e.state.endpoints).filter((x) => x.ip !== '');
        expect(new Set(eps.map((x) => x.ip)).size).toBe(eps.length);
        for (const ep of eps)
          expect(prefixContains(e.state.networks[ep.networkId]!.ipam!.subnet, ep.ip)).toBe(true);

        // Data plane on bridge-mode macvlan networks.
        for (const c of created) {
          if (c.spec.driver !== 'macvlan' || c.spec.mode !== 'bridge') continue;
          const ips = c.ctrs.map((x) => e.endpointsOf(e.container(x))[0]!.ip);
          c.ctrs.forEach((x, k) => {
            const ns = h.sandbox(x);
            for (let m = 0; m < ips.length; m++) if (m !== k) expect(h.ping(ns, ips[m]!)).toBe(true);
            const hostAddr = HOST_ADDR[c.spec.parent];
            if (hostAddr !== undefined) expect(h.ping(ns, hostAddr)).toBe(false);
          });
        }

        // Removal leaves the host's links as they were (dummies and sub-interfaces Docker made go).
        for (const c of created) for (const x of c.ctrs) h.run(`docker rm -f ${x}`);
        for (const c of created.slice().reverse()) h.run(`docker network rm ${c.name}`);
        expect(linkNames(h.run)).toEqual(baseline);
        expect(h.world.frameBalance().inFlight).toBe(h.world.pool.liveCount);
      }),
      { numRuns: 30 },
    );
  });
});
