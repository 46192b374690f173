// The per-device IPv4 settings the data path reads (src/net/ipv4/dev-conf.ts: one world-wide row per
// device, loaded lazily by the stack of the device's namespace) always agree with the sysctl store —
// across writes of device, `all` and `default` keys, ip_forward, device moves between namespaces,
// deletion and re-creation.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sh } from '../../../bench/support/topology.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import type { Namespace } from '../../../src/net/namespace.js';
import { World } from '../../../src/net/world.js';

const KEYS = ['forwarding', 'rp_filter', 'arp_ignore', 'arp_accept', 'proxy_arp', 'route_localnet'] as const;
const MAX: Record<(typeof KEYS)[number], number> = {
  forwarding: 1,
  rp_filter: 2,
  arp_ignore: 8,
  arp_accept: 2,
  proxy_arp: 1,
  route_localnet: 1,
};

type Op =
  | { op: 'write'; ns: number; dev: string; key: (typeof KEYS)[number]; value: number }
  | { op: 'ipForward'; ns: number; value: number }
  | { op: 'move'; ns: number; dev: string }
  | { op: 'recreate'; ns: number; dev: string }
  | { op: 'read'; ns: number };

const DEVS = ['d0', 'd1', 'all', 'default'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({
      ns: fc.nat(1),
      dev: fc.constantFrom(...DEVS),
      key: fc.constantFrom(...KEYS),
      value: fc.nat(8),
    })
    .map((r) => ({ op: 'write' as const, ...r, value: r.value % (MAX[r.key] + 1) })),
  fc.record({ ns: fc.nat(1), value: fc.nat(1) }).map((r) => ({ op: 'ipForward' as const, ...r })),
  fc.record({ ns: fc.nat(1), dev: fc.constantFrom('d0', 'd1') }).map((r) => ({ op: 'move' as const, ...r })),
  fc
    .record({ ns: fc.nat(1), dev: fc.constantFrom('d0', 'd1') })
    .map((r) => ({ op: 'recreate' as const, ...r })),
  fc.record({ ns: fc.nat(1) }).map((r) => ({ op: 'read' as const, ...r })),
);

function check(ns: Namespace): void {
  const st = stackOf(ns);
  const sc = ns.sysctl;
  const all = (k: string): number => sc.getInt(`net.ipv4.conf.all.${k}`);
  for (const d of ns.devices) {
    const own = (k: string): number => sc.getInt(`net.ipv4.conf.${d.name}.${k}`);
    expect(st.forwardingOn(d.id)).toBe(own('forwarding') === 1);
    expect(st.rpFilter(d.id)).toBe(Math.max(all('rp_filter'), own('rp_filter')));
    expect(st.arpIgnore(d.id)).toBe(Math.max(all('arp_ignore'), own('arp_ignore')));
    expect(st.arpAccept(d.id)).toBe(Math.max(all('arp_accept'), own('arp_accept')));
    expect(st.proxyArp(d.id)).toBe((all('proxy_arp') | own('proxy_arp')) === 1);
    expect(st.routeLocalnet(d.id)).toBe(all('route_localnet') | own('route_localnet'));
  }
}

describe('per-device IPv4 settings cache', () => {
  it('reads what the sysctl store holds after any sequence of writes, moves and re-creations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const world = new World({ seed: 1 });
        const nss = [world.addNamespace('a'), world.addNamespace('b')];
        sh(world, nss[0]!, 'ip link add d0 type dummy\nip link add d1 type dummy');
        const other = (ns: Namespace): Namespace => (ns === nss[0] ? nss[1]! : nss[0]!);
        for (const o of ops) {
          const ns = nss[o.ns]!;
          if (o.op === 'write') {
            if (o.dev !== 'all' && o.dev !== 'default' && ns.device(o.dev) === undefined) continue;
            ns.sysctl.set(`net.ipv4.conf.${o.dev}.${o.key}`, String(o.value));
          } else if (o.op === 'ipForward') {
            ns.sysctl.set('net.ipv4.ip_forward', String(o.value));
          } else if (o.op === 'move') {
            if (ns.device(o.dev) === undefined || other(ns).device(o.dev) !== undefined) continue;
            sh(world, ns, `ip link set ${o.dev} netns ${other(ns).name}`);
          } else if (o.op === 'recreate') {
            if (ns.device(o.dev) !== undefined) sh(world, ns, `ip link del ${o.dev}`);
            if (other(ns).device(o.dev) === undefined) sh(world, ns, `ip link add ${o.dev} type dummy`);
          }
          // Reading loads rows; checking after every step also catches rows a later step leaves stale.
          check(nss[0]!);
          check(nss[1]!);
        }
      }),
      { numRuns: 150 },
    );
  });
});
