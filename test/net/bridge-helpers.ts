// Shared setup for bridge tests: a host namespace with br0 and N containers on veth ports, a raw
// Ethernet frame sender and per-device receive recorders (an L3 handler that consumes what it sees).

import '../../src/control/all.js';
import '../../src/control/bridge.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Device } from '../../src/net/device.js';
import type { BridgeDevice } from '../../src/net/devices/bridge.js';
import type { L3Handler, Namespace } from '../../src/net/namespace.js';
import type { PktType } from '../../src/net/pkt-type.js';
import { World } from '../../src/net/world.js';
import { macToString, tryParseMac } from '../../src/wire/mac.js';

export interface Seen {
  dev: string;
  dst: string;
  src: string;
  pktType: PktType;
  t: number;
}

/** Records every frame the namespace's stack receives (as ARP/IPv4 would), then consumes it. */
export class Recorder implements L3Handler {
  readonly seen: Seen[] = [];
  constructor(private readonly world: World) {}
  receive(dev: Device, h: number, pktType: PktType): void {
    const u8 = this.world.pool.bytesOf(h);
    const off = this.world.pool.start[h]!;
    const mac = (o: number) =>
      macToString(
        (u8[o]! << 8) | u8[o + 1]!,
        ((u8[o + 2]! << 24) | (u8[o + 3]! << 16) | (u8[o + 4]! << 8) | u8[o + 5]!) >>> 0,
      );
    this.seen.push({ dev: dev.name, dst: mac(off), src: mac(off + 6), pktType, t: this.world.sim.now });
    this.world.consume(h);
  }
}

export interface Lab {
  world: World;
  host: Namespace;
  br: BridgeDevice;
  cs: Namespace[];
  rec: Map<string, Recorder>;
  run(ns: Namespace, line: string): string;
  /** Sends a frame (EtherType 0x0800 so the recorder sees it) from container i's eth0. */
  send(i: number, dst: string, src: string, len?: number): void;
  /** Sends from the host stack through br0. */
  sendFromHost(dst: string, src: string): void;
  /** Frames received by container i (its eth0 stack) and by the host (br0), drained. */
  take(name: string): Seen[];
  /** Runs the events due now (deliveries), not the FDB collector's future ones. */
  settle(): void;
}

let labCount = 0;

export function makeLab(n: number, opts: { seed?: number; bridgeArgs?: string } = {}): Lab {
  const world = new World({ seed: opts.seed ?? 1, check: true });
  const id = labCount++;
  const host = world.addNamespace(`h${id}`);
  const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line).stdout;
  run(host, `ip link add br0 type bridge ${opts.bridgeArgs ?? ''}`);
  run(host, 'ip link set br0 up');
  const cs: Namespace[] = [];
  const rec = new Map<string, Recorder>();
  const hr = new Recorder(world);
  host.ipv4 = hr;
  host.arp = hr;
  rec.set('host', hr);
  for (let i = 0; i < n; i++) {
    const c = world.addNamespace(`c${id}x${i}`);
    cs.push(c);
    const r = new Recorder(world);
    c.ipv4 = r;
    c.arp = r;
    rec.set(`c${i}`, r);
    run(host, `ip link add v${i} type veth peer name eth0 netns ${c.name}`);
    run(host, `ip link set v${i} master br0`);
    run(host, `ip link set v${i} up`);
    run(c, 'ip link set eth0 up');
  }
  const br = host.device('br0') as BridgeDevice;
  const frame = (dst: string, src: string, len: number) => {
    const h = world.newFrame();
    const pool = world.pool;
    pool.setLength(h, len);
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const d = tryParseMac(dst)!;
    const s = tryParseMac(src)!;
    const put = (o: number, m: { hi: number; lo: number }) => {
      u8[o] = m.hi >>> 8;
      u8[o + 1] = m.hi & 0xff;
      u8[o + 2] = m.lo >>> 24;
      u8[o + 3] = (m.lo >>> 16) & 0xff;
      u8[o + 4] = (m.lo >>> 8) & 0xff;
      u8[o + 5] = m.lo & 0xff;
    };
    put(off, d);
    put(off + 6, s);
    u8[off + 12] = 0x08;
    u8[off + 13] = 0x00;
    for (let k = 14; k < len; k++) u8[off + k] = 0;
    return h;
  };
  const lab: Lab = {
    world,
    host,
    br,
    cs,
    rec,
    run,
    send(i, dst, src, len = 60) {
      cs[i]!.device('eth0')!.xmit(frame(dst, src, len));
      world.sim.run({ until: world.sim.now });
    },
    sendFromHost(dst, src) {
      br.xmit(frame(dst, src, 60));
      world.sim.run({ until: world.sim.now });
    },
    take(name) {
      const r = rec.get(name)!;
      return r.seen.splice(0, r.seen.length);
    },
    settle() {
      world.sim.run({ until: world.sim.now });
    },
  };
  return lab;
}

/** Frame conservation and no pool leaks (every test ends with this). */
export function expectBalanced(world: World): void {
  const b = world.frameBalance();
  if (b.inFlight !== 0 || world.pool.liveCount !== 0) {
    throw new Error(`frames in flight ${b.inFlight}, pool live ${world.pool.liveCount}`);
  }
}
