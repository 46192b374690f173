// Properties of IPVS in the packet path, with real TCP through namespaces: for random services
// (scheduler, weights, forwarding by masq), real-server counts and connection counts,
//   - every segment the client receives comes from VIP:vport (its connections only ever see the VIP);
//   - every connection is established and its data reaches a real server;
//   - rr spreads connections so that per-server counts differ by at most one, and wrr gives a
//     server with weight 0 nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import { transportOf } from '../../src/net/transport/transport.js';
import { World } from '../../src/net/world.js';
import { rd16, rd32 } from '../../src/wire/bytes.js';
import { parseIpv4 as ip } from '../../src/wire/ipv4-address.js';
import '../../src/control/all.js';

function sh(world: World, ns: Namespace, script: string): void {
  for (const line of script.split('\n')) if (line.trim() !== '') runCommandLine({ world, ns }, line.trim());
}

const S = 1_000_000_000;
const VIP = ip('10.0.0.100');

function run(sched: 'rr' | 'wrr', weights: number[], conns: number, vport: number, seed: number) {
  const world = new World({ seed, check: true });
  const lb = world.addNamespace('lb');
  const client = world.addNamespace('client');
  sh(
    world,
    lb,
    `ip link set lo up
     ip link add eth0 type veth peer name eth0 netns client
     ip addr add 10.0.0.1/24 dev eth0
     ip addr add 10.0.0.100/24 dev eth0
     ip link set eth0 up
     ip link add br0 type bridge
     ip addr add 192.168.1.1/24 dev br0
     ip link set br0 up
     sysctl -w net.ipv4.ip_forward=1
     ipvsadm -A -t 10.0.0.100:${vport} -s ${sched}`,
  );
  sh(world, client, 'ip addr add 10.0.0.2/24 dev eth0\nip link set eth0 up');
  const got: number[] = weights.map(() => 0);
  weights.forEach((w, i) => {
    const rs = world.addNamespace(`rs${i}`);
    sh(
      world,
      lb,
      `ip link add v${i} type veth peer name eth0 netns rs${i}
       ip link set v${i} master br0 up
       ipvsadm -a -t 10.0.0.100:${vport} -r 192.168.1.${10 + i}:8080 -m -w ${w}`,
    );
    sh(
      world,
      rs,
      `ip addr add 192.168.1.${10 + i}/24 dev eth0
       ip link set eth0 up
       ip route add default via 192.168.1.1`,
    );
    transportOf(rs).tcp.listen(0, 8080, 64, () => ({
      onData: (c, _u8, _o, len) => {
        got[i]! += len;
        c.close();
      },
    }));
  });
  const bad: string[] = [];
  let seen = 0;
  const cdev = client.devices.find((d) => d.name === 'eth0')!;
  cdev.tap = {
    frame(_dev, dir, h) {
      if (dir !== 0) return; // received by the client
      const pool = world.pool;
      const u8 = pool.bytesOf(h);
      const e = pool.start[h]!;
      if (rd16(u8, e + 12) !== 0x0800 || u8[e + 23] !== 6) return;
      seen++;
      const src = rd32(u8, e + 26);
      const sport = rd16(u8, e + 34);
      if (src !== VIP || sport !== vport) bad.push(`${src.toString(16)}:${sport}`);
    },
  };
  const connected: boolean[] = [];
  const data = new Uint8Array([1, 2, 3]);
  for (let k = 0; k < conns; k++) {
    connected.push(false);
    transportOf(client).tcp.connect(VIP, vport, {
      onConnected: (c) => {
        connected[k] = true;
        c.send(data, 0, 3);
      },
    });
    world.sim.run({ until: world.sim.now + S / 10 });
  }
  world.sim.run({ until: world.sim.now + 5 * S });
  return { bad, seen, connected, perServer: got.map((b) => b / 3), world };
}

describe('IPVS masq through namespaces (properties)', () => {
  it('replies come from the VIP; every connection reaches a server; rr counts differ by at most one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.integer({ min: 1, max: 1000 }),
        (n, conns, vport, seed) => {
          const r = run('rr', Array(n).fill(1), conns, vport, seed);
          expect(r.seen).toBeGreaterThanOrEqual(3 * conns); // SYN-ACK, ACK of data, FIN at least
          expect(r.bad).toEqual([]);
          expect(r.connected.every(Boolean)).toBe(true);
          expect(r.perServer.reduce((a, b) => a + b, 0)).toBe(conns);
          expect(Math.max(...r.perServer) - Math.min(...r.perServer)).toBeLessThanOrEqual(1);
          expect(r.world.frameBalance().inFlight).toBe(r.world.pool.liveCount);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('wrr: replies come from the VIP; weight-0 servers get nothing; one full cycle follows the weights', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 })
          .filter((w) => w.some((x) => x > 0)),
        fc.integer({ min: 1, max: 1000 }),
        (weights, seed) => {
          const cycle = weights.reduce((a, b) => a + b, 0);
          const r = run('wrr', weights, cycle, 80, seed);
          expect(r.bad).toEqual([]);
          expect(r.connected.every(Boolean)).toBe(true);
          // one full wrr cycle (sum of weights connections) gives each server exactly its weight
          expect(r.perServer).toEqual(weights);
        },
      ),
      { numRuns: 10 },
    );
  });
});
