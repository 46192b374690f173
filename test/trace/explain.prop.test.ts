// "It can never disagree": over random small rulesets on a router between two hosts, the disposition
// each traced probe packet records equals what happened to it — delivered to the application, or
// dropped with the reason the world counted.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DROP_REASON_NAMES } from '../../src/net/drop-reason.js';
import { routerScenario, runTraced, tracesOf } from './explain-helpers.js';

const RULES = [
  'iptables -A FORWARD -p udp -j DROP',
  'iptables -A FORWARD -p icmp -j DROP',
  'iptables -A FORWARD -p udp -j REJECT',
  'iptables -A FORWARD -p icmp -j REJECT --reject-with icmp-host-prohibited',
  'iptables -A FORWARD -s 10.2.0.0/24 -j DROP',
  'iptables -P FORWARD DROP',
  'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  'iptables -A FORWARD -p udp --dport 5000 -j ACCEPT',
  'iptables -P INPUT DROP',
  'iptables -A INPUT -p icmp -j ACCEPT',
  'iptables -t nat -A PREROUTING -d 10.1.0.1 -p udp --dport 6000 -j DNAT --to-destination 10.2.0.2:5000',
  'iptables -t nat -A POSTROUTING -o eth-b -j MASQUERADE',
  'sysctl -w net.ipv4.ip_forward=0',
  'ip route add unreachable 10.8.0.0/16',
];

const DESTS = ['10.2.0.2', '10.1.0.1', '10.2.0.9', '10.9.9.9', '10.8.0.1'];

describe('explanations never disagree with what happened', () => {
  it('random rulesets, destinations, TTLs: trace disposition = app outcome / counted drop', () => {
    fc.assert(
      fc.property(
        fc.subarray(RULES, { maxLength: 4 }),
        fc.constantFrom(...DESTS),
        fc.constantFrom('ping', 'udp'),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(5000, 6000),
        (rules, dst, kind, ttl, port) => {
          const probe =
            kind === 'ping'
              ? `{ at: 1s, name: p, from: a1, ping: ${dst}, ttl: ${ttl}, timeout: 4s }`
              : `{ at: 1s, name: p, from: a1, udp: ${dst}:${port}, ttl: ${ttl}, timeout: 4s }`;
          const out = runTraced(routerScenario(rules, [probe]));
          const [t] = tracesOf(out, 'p');
          const obs = out.probes.p!;
          const b = out.world.frameBalance();
          expect(b.inFlight).toBe(out.world.pool.liveCount);
          if (t === undefined) {
            // The probe could not send (a local route error): nothing to explain.
            expect(obs.transmitted ?? 0).toBe(0);
            return;
          }
          const counts = Float64Array.from(out.world.dropCounts);
          // Every packet's End matches a counted drop (each counted at most once).
          for (const p of t.packets) {
            if (p.disposition === null || p.disposition === 'DELIVERED' || p.disposition === 'IN_FLIGHT')
              continue;
            const reason = DROP_REASON_NAMES.indexOf(p.reason ?? '');
            expect(reason).toBeGreaterThanOrEqual(0);
            counts[reason]!--;
            expect(counts[reason]).toBeGreaterThanOrEqual(0);
          }
          const delivered = t.disposition === 'DELIVERED';
          if (kind === 'ping') {
            // The request turns into the reply in place: DELIVERED = the reply reached the socket.
            expect(delivered).toBe((obs.received ?? 0) > 0);
          } else {
            const sawIt = out.sightings.some((s) => s.proto === 'udp');
            expect(delivered).toBe(sawIt);
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
