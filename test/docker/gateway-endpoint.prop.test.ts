// Properties of the gateway-endpoint choice (src/docker/gateway-endpoint.ts) through the whole engine:
// for generated sets of networks (names, --internal, gw-priority) joined in any order and then
// connected/disconnected at random, the container always has exactly the default route of the
// best-ranked network by libnetwork's Endpoint.Less (27: priorities ignored), only that endpoint
// carries the published ports, and the result does not depend on the join order.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import { World } from '../../src/net/world.js';

interface Net {
  readonly name: string;
  readonly internal: boolean;
  readonly priority: number;
  /** 10.(index+1).0.0/24, gateway .1 */
  readonly index: number;
}

/** An independent statement of the ranking: the sort key tuple, then the first non-internal one. */
function expectedGateway(nets: readonly Net[], profile: string): Net | undefined {
  const key = (n: Net) => [profile === '27' ? 0 : -n.priority, n.internal ? 1 : 0] as const;
  const sorted = [...nets].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka[0] !== kb[0]) return ka[0] - kb[0];
    if (ka[1] !== kb[1]) return ka[1] - kb[1];
    return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
  });
  return sorted.find((n) => !n.internal);
}

const netsArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,3}$/), { minLength: 1, maxLength: 5 })
  .filter((names) => names.every((n) => n !== 'host' && n !== 'none' && n !== 'bridge'))
  .chain((names) =>
    fc.tuple(
      fc.tuple(...names.map(() => fc.tuple(fc.boolean(), fc.integer({ min: -2, max: 2 })))),
      fc.constant(names),
    ),
  )
  .map(([attrs, names]) =>
    names.map(
      (name, index): Net => ({ name, internal: attrs[index]![0], priority: attrs[index]![1], index }),
    ),
  );

function setup(profile: string, nets: readonly Net[]) {
  const world = new World({ seed: 7 });
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  run(`dockerd --netsim-profile ${profile}`);
  for (const n of nets)
    run(
      `docker network create --subnet 10.${n.index + 1}.0.0/24${n.internal ? ' --internal' : ''} ${n.name}`,
    );
  const attach = (n: Net) => `name=${n.name},gw-priority=${n.priority}`;
  return { run, engine: () => engineOf(world, ns), attach };
}

/** The container's default routes, and which network each published-port-carrying endpoint is on. */
function observe(h: ReturnType<typeof setup>, nets: readonly Net[]) {
  const routes = h
    .run('docker exec c ip route')
    .split('\n')
    .filter((l) => l.startsWith('default'))
    .map((l) => l.trim());
  const e = h.engine();
  const eps = e.endpointsOf(e.container('c'));
  const netOf = (id: string) => nets.find((n) => e.state.networks[id]?.name === n.name)!;
  const ported = eps.filter((ep) => ep.bindings.length > 0).map((ep) => netOf(ep.networkId).name);
  const ifOf = (n: Net) => eps.find((ep) => netOf(ep.networkId) === n)?.ifName;
  return { routes, ported, ifOf };
}

function check(h: ReturnType<typeof setup>, joined: readonly Net[], profile: string): string | undefined {
  const { routes, ported, ifOf } = observe(h, joined);
  const want = expectedGateway(joined, profile);
  if (want === undefined) {
    expect(routes).toEqual([]);
    expect(ported).toEqual([]);
    return undefined;
  }
  expect(routes).toEqual([`default via 10.${want.index + 1}.0.1 dev ${ifOf(want)}`]);
  expect(ported).toEqual([want.name]);
  return want.name;
}

const profileArb = fc.constantFrom('current', '28.0', '27');

describe('gateway endpoint (property)', () => {
  test('the default route and ports are on the best-ranked network, whatever the join order', () => {
    fc.assert(
      fc.property(
        profileArb,
        netsArb.chain((nets) =>
          fc.tuple(fc.constant(nets), fc.shuffledSubarray(nets, { minLength: nets.length })),
        ),
        fc.boolean(),
        (profile, [nets, order], viaConnect) => {
          const winners: (string | undefined)[] = [];
          for (const joinOrder of [nets, order]) {
            const h = setup(profile, nets);
            if (viaConnect) {
              h.run(`docker run -d --name c -p 8080:80 --network ${h.attach(joinOrder[0]!)} img`);
              for (const n of joinOrder.slice(1))
                h.run(`docker network connect --gw-priority ${n.priority} ${n.name} c`);
            } else {
              const flags = joinOrder.map((n) => `--network ${h.attach(n)}`).join(' ');
              h.run(`docker run -d --name c -p 8080:80 ${flags} img`);
            }
            winners.push(check(h, joinOrder, profile));
          }
          expect(winners[1]).toBe(winners[0]);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('after every connect or disconnect the best-ranked joined network has the default route', () => {
    fc.assert(
      fc.property(
        profileArb,
        netsArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        (profile, nets, picks) => {
          const h = setup(profile, nets);
          const joined: Net[] = [nets[0]!];
          h.run(`docker run -d --name c -p 8080:80 --network ${h.attach(nets[0]!)} img`);
          check(h, joined, profile);
          for (const p of picks) {
            const n = nets[p % nets.length]!;
            const i = joined.indexOf(n);
            if (i >= 0) {
              h.run(`docker network disconnect ${n.name} c`);
              joined.splice(i, 1);
            } else {
              h.run(`docker network connect --gw-priority ${n.priority} ${n.name} c`);
              joined.push(n);
            }
            check(h, joined, profile);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
