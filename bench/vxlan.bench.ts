// VXLAN overlay throughput and build cost.
// Group "host-to-host": one op = a 100-octet Ethernet/IPv4 frame sent by container c1 and received by
// container c2 (an ICMP echo reply nobody waits for, so the path is one-way), simulator run to idle.
//   baseline "bridge": c1 and c2 on one host's bridge (veth → bridge → veth);
//   "vxlan": c1 and c2 on two hosts (veth → bridge → vxlan encap → IPv4 output → underlay veth →
//   IPv4 input → UDP tunnel demux → decap → bridge → veth), the topology of test/fixtures/overlay.
// Group "build": one op = one container of H hosts × C containers built on one overlay with
// `ip`/`bridge` commands (each host: underlay veth to a router namespace, bridge, vxlan with static
// default FDB entries to every other host; each container: a namespace with a veth into its host's
// bridge). Single-shot (one build per call, the world kept alive: the alloc column is bytes kept per
// container); ratio = containers/s over 10×100's, so 1.00× means the build time grows linearly.
// 1000×100 (10^5 containers, 10^6 FDB entries) runs with --scale.
import '../src/control/all.js';
import { runCommandLine } from '../src/control/command.js';
import type { Device } from '../src/net/device.js';
import type { Namespace } from '../src/net/namespace.js';
import { World } from '../src/net/world.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';

let kept: World | null = null;

function frame(): Uint8Array {
  const b = new Uint8Array(100);
  b.set([0x02, 0x42, 0x0a, 0, 0, 2, 0x02, 0x42, 0x0a, 0, 0, 1, 0x08, 0x00]);
  b.set([0x45, 0, 0, 86, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  s = (s & 0xffff) + (s >>> 16);
  s = ~s & 0xffff;
  b[24] = s >>> 8;
  b[25] = s & 0xff;
  b[34] = 0; // echo reply
  return b;
}

function topology(overlay: boolean): { world: World; c1eth: Device } {
  const world = new World({ seed: 1 });
  const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line);
  const h1 = world.addNamespace('h1');
  const h2 = overlay ? world.addNamespace('h2') : h1;
  const c1 = world.addNamespace('c1');
  const c2 = world.addNamespace('c2');
  if (overlay) {
    run(
      h1,
      'ip link add eth0 address 02:00:00:00:00:01 type veth peer name eth0 address 02:00:00:00:00:02 netns h2',
    );
  }
  const hosts = overlay ? [h1, h2] : [h1];
  hosts.forEach((h, k) => {
    const i = k + 1;
    run(h, 'ip link add br0 type bridge');
    if (overlay) {
      run(h, `ip addr add 192.168.100.${i}/24 dev eth0`);
      run(h, 'ip link set eth0 up');
      run(h, `ip link add vxlan0 type vxlan id 4097 dstport 4789 nolearning local 192.168.100.${i} dev eth0`);
      run(h, 'ip link set vxlan0 master br0');
      run(h, 'ip link set vxlan0 up');
      run(h, `bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.100.${3 - i}`);
      run(h, `ip neigh add 192.168.100.${3 - i} lladdr 02:00:00:00:00:0${3 - i} dev eth0 nud permanent`);
    }
    run(h, 'ip link set br0 up');
  });
  for (const [i, c] of [c1, c2].entries()) {
    const h = overlay ? hosts[i]! : h1;
    run(h, `ip link add veth${i} type veth peer name eth0 address 02:42:0a:00:00:0${i + 1} netns ${c.name}`);
    run(h, `ip link set veth${i} master br0`);
    run(h, `ip link set veth${i} up`);
    run(c, `ip addr add 10.0.0.${i + 1}/24 dev eth0`);
    run(c, 'ip link set eth0 up');
  }
  return { world, c1eth: c1.device('eth0')! };
}

function hostToHost(overlay: boolean) {
  return () => {
    const { world, c1eth } = topology(overlay);
    const bytes = frame();
    const pool = world.pool;
    const send = (): void => {
      const h = world.newFrame();
      pool.copyIn(h, bytes);
      c1eth.xmit(h);
      world.sim.run({ until: world.sim.now });
    };
    for (let i = 0; i < 1000; i++) send(); // learn the bridges' FDBs, warm the JIT
    return {
      opsPerCall: 256,
      fn: () => {
        for (let k = 0; k < 256; k++) send();
      },
    };
  };
}

function build(hosts: number, containers: number, runs = 1): CaseFactory {
  return () => ({
    opsPerCall: hosts * containers,
    runs,
    fn: () => {
      kept = null;
      const world = new World({ seed: 1 });
      const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line);
      const r = world.addNamespace('router');
      run(r, 'ip link add br-u type bridge');
      run(r, 'ip link set br-u up');
      for (let h = 0; h < hosts; h++) {
        const ns = world.addNamespace(`h${h}`);
        const a = `10.${(h >> 8) & 255}.${h & 255}.1`;
        run(r, `ip link add u${h} type veth peer name eth0 netns h${h}`);
        run(r, `ip link set u${h} master br-u`);
        run(r, `ip link set u${h} up`);
        run(ns, `ip addr add ${a}/8 dev eth0`);
        run(ns, 'ip link set eth0 up');
        run(ns, 'ip link add br0 type bridge');
        run(ns, `ip link add vxlan0 type vxlan id 42 dstport 4789 local ${a} dev eth0`);
        run(ns, 'ip link set vxlan0 master br0');
        run(ns, 'ip link set vxlan0 up');
        run(ns, 'ip link set br0 up');
        for (let o = 0; o < hosts; o++) {
          if (o !== h)
            run(ns, `bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 10.${(o >> 8) & 255}.${o & 255}.1`);
        }
        for (let c = 0; c < containers; c++) {
          const cn = `h${h}c${c}`;
          const cns = world.addNamespace(cn);
          run(ns, `ip link add v${c} type veth peer name eth0 netns ${cn}`);
          run(ns, `ip link set v${c} master br0`);
          run(ns, `ip link set v${c} up`);
          run(cns, `ip addr add 172.${16 + (h >> 8)}.${h & 255}.${c + 2}/12 dev eth0`);
          run(cns, 'ip link set eth0 up');
        }
      }
      kept = world;
    },
  });
}

export default defineSuite(import.meta.url, {
  name: 'vxlan',
  unit: 'frames',
  groups: [
    {
      name: 'host-to-host 100B',
      baseline: 'bridge',
      cases: { bridge: hostToHost(false), vxlan: hostToHost(true) },
    },
    {
      name: 'build (hosts x containers)',
      baseline: '10x100',
      cases: { '10x100': build(10, 100, 3), '100x10': build(100, 10, 3), '100x100': build(100, 100) },
      scaleCases: { '1000x100': build(1000, 100) },
    },
  ],
});
