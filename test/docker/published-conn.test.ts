// The topology of the docker bench's connections-per-second cases (bench/support/docker-conn.ts):
// every connection completes (connect, 64 octets each way, close), the server sees the external
// client's own address (userland-proxy off: DNAT only, no proxy and no MASQUERADE for remote
// clients), every SYN passes its container's DNAT rule once, and no frame leaks.
import { describe, expect, it } from 'vitest';
import { buildConnTopology, connectBatch } from '../../bench/support/docker-conn.js';
import { runCommandLine } from '../../src/control/command.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

describe('published-port connection topology (bench/support/docker-conn.ts)', () => {
  for (const docker of [true, false]) {
    it(`${docker ? 'docker, DNAT' : 'plain routing'}: 3 batches of 40 connections over 4 containers complete`, () => {
      const t = buildConnTopology(docker, 4);
      for (let b = 0; b < 3; b++) connectBatch(t, 40);
      expect(t.completed).toBe(120);
      expect([...t.peers]).toEqual([parseIpv4('192.168.1.2')]);
      expect(t.world.pool.liveCount).toBe(0);
      const host = t.world.namespace('host')!;
      if (docker) {
        // Each connection's SYN went through its container's DNAT rule once (4 containers × 30).
        const save = runCommandLine({ world: t.world, ns: host }, 'iptables-save -c -t nat').stdout;
        const dnat = save.split('\n').filter((l) => l.includes('-j DNAT'));
        expect(dnat).toHaveLength(4);
        for (const l of dnat) expect(l.startsWith('[30:')).toBe(true);
      } else {
        expect(host.nf).toBeNull(); // no netfilter table: no conntrack on the floor case
      }
    });
  }
});
