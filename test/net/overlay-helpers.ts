// The two-host VXLAN overlay of test/fixtures/overlay/record.sh, built with the same commands in
// netsim, plus small frame helpers for the overlay tests.

import { readFileSync } from 'node:fs';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Device, FrameTap } from '../../src/net/device.js';
import type { VxlanDevice } from '../../src/net/devices/vxlan.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';

export const FIX = new URL('../fixtures/overlay/', import.meta.url);

export interface RecordedFrames {
  source: string;
  frames: Array<{ dir: 'in' | 'out'; hex: string }>;
}

export function recorded(name: string): RecordedFrames {
  return JSON.parse(readFileSync(new URL(name, FIX), 'utf8')) as RecordedFrames;
}

export const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));

export interface Overlay {
  world: World;
  ns: Record<'h1' | 'h2' | 'c1' | 'c2', Namespace>;
  run(ns: Namespace, line: string): string;
  vx1: VxlanDevice;
  vx2: VxlanDevice;
}

export interface OverlayOptions {
  seed?: number;
  vni2?: number;
  vxlanArgs?: string;
  /** Underlay MTU on both hosts' eth0 (default 1500). */
  underlayMtu?: number;
  /** Skip the static default FDB entries (for learning tests). */
  noDefaultFdb?: boolean;
}

/** record.sh section 1: two hosts, a bridge and vxlan 4097 (dstport 4789, nolearning) each, one container each. */
export function buildOverlay(opts: OverlayOptions = {}): Overlay {
  const world = new World({ seed: opts.seed ?? 1, check: true });
  const ns = {
    h1: world.addNamespace('ovrec-h1'),
    h2: world.addNamespace('ovrec-h2'),
    c1: world.addNamespace('ovrec-c1'),
    c2: world.addNamespace('ovrec-c2'),
  };
  const run = (n: Namespace, line: string): string => runCommandLine({ world, ns: n }, line).stdout;
  for (const n of Object.values(ns)) run(n, 'ip link set lo up');
  run(
    ns.h1,
    'ip link add eth0 address 02:00:00:00:00:01 type veth peer name eth0 address 02:00:00:00:00:02 netns ovrec-h2',
  );
  for (const i of [1, 2] as const) {
    const h = i === 1 ? ns.h1 : ns.h2;
    const c = i === 1 ? ns.c1 : ns.c2;
    const peer = 3 - i;
    if (opts.underlayMtu !== undefined) run(h, `ip link set eth0 mtu ${opts.underlayMtu}`);
    run(h, `ip addr add 192.168.100.${i}/24 dev eth0`);
    run(h, 'ip link set eth0 up');
    run(h, `ip link add br0 address 02:00:00:00:0b:0${i} type bridge`);
    const vni = i === 2 && opts.vni2 !== undefined ? opts.vni2 : 4097;
    run(
      h,
      `ip link add vxlan0 address 02:00:00:00:0a:0${i} type vxlan id ${vni} dstport 4789 ${opts.vxlanArgs ?? 'nolearning'} local 192.168.100.${i} dev eth0`,
    );
    run(h, 'ip link set vxlan0 master br0');
    run(h, 'ip link set vxlan0 up');
    run(h, 'ip link set br0 up');
    if (!opts.noDefaultFdb) run(h, `bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.100.${peer}`);
    run(
      h,
      `ip link add veth0 address 02:00:00:00:0c:0${i} type veth peer name eth0 address 02:42:0a:00:00:0${i} netns ovrec-c${i}`,
    );
    run(h, 'ip link set veth0 master br0');
    run(h, 'ip link set veth0 up');
    run(c, `ip addr add 10.0.0.${i}/24 dev eth0`);
    run(c, 'ip link set eth0 up');
  }
  run(ns.c1, 'ip neigh add 10.0.0.2 lladdr 02:42:0a:00:00:02 dev eth0 nud permanent');
  run(ns.c2, 'ip neigh add 10.0.0.1 lladdr 02:42:0a:00:00:01 dev eth0 nud permanent');
  run(ns.h1, 'ip neigh add 192.168.100.2 lladdr 02:00:00:00:00:02 dev eth0 nud permanent');
  run(ns.h2, 'ip neigh add 192.168.100.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent');
  return {
    world,
    ns,
    run,
    vx1: ns.h1.device('vxlan0') as VxlanDevice,
    vx2: ns.h2.device('vxlan0') as VxlanDevice,
  };
}

/** Records copies of every frame a set of devices sends (dir 1) or receives (dir 0). */
export class Capture implements FrameTap {
  readonly frames: Array<{ dev: string; dir: 0 | 1; t: number; bytes: Uint8Array }> = [];
  constructor(
    private readonly world: World,
    devs: readonly Device[],
  ) {
    for (const d of devs) d.tap = this;
  }
  frame(devId: number, dir: 0 | 1, h: number): void {
    const w = this.world;
    this.frames.push({ dev: w.devices[devId]!.name, dir, t: w.sim.now, bytes: w.pool.view(h).slice() });
  }
  sent(): Uint8Array[] {
    return this.frames.filter((f) => f.dir === 1).map((f) => f.bytes);
  }
}

/** Injects `bytes` as a frame transmitted by `dev` and runs the simulator until idle. */
export function inject(world: World, dev: Device, bytes: Uint8Array): void {
  const h = world.newFrame();
  world.pool.copyIn(h, bytes);
  dev.xmit(h);
  world.sim.run();
}

/** Delivers `bytes` as received on `dev`. */
export function deliver(world: World, dev: Device, bytes: Uint8Array): void {
  const h = world.newFrame();
  world.pool.copyIn(h, bytes);
  world.deliverAt(world.sim.now, dev.id, h);
  world.sim.run();
}

export function expectNoLeaks(world: World): { inFlight: number; live: number } {
  return { inFlight: world.frameBalance().inFlight, live: world.pool.liveCount };
}
