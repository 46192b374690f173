// IPVS per-packet cost: an established connection through `schedule()` (connection lookup, TCP state,
// masq DNAT with incremental checksums, timer re-arm) against the floor of copying the packet into the
// frame and reading its 5-tuple; and the first packet of a connection (service lookup, scheduler pick,
// entry create + destroy via one-packet UDP scheduling) per scheduler, against rr.
//
// End to end (group 'director e2e'): 64-byte UDP datagrams from a client namespace through a director
// namespace to a real server namespace, as bench/dataplane.bench.ts measures paths — the whole stack:
// veth, input routing, netfilter INPUT with IPVS's hooks (ip_vs_in_hook → masq DNAT → LOCAL_OUT →
// POSTROUTING again), neighbour output, delivery. Baseline: the same three namespaces with the client
// sending to the real server's address and the director plainly forwarding (no IPVS service).
// 'masq + conntrack' loads conntrack (an empty nat table) with net.ipv4.vs.conntrack=1.
//
// Memory ('memory'): bytes retained per IPVS connection (JS heap + ArrayBuffers, single shot), with
// 1e5 UDP masq connections (entry row, both indexes, its pending expiry event).
import { Fwd, SF } from '../src/ipvs/defs.js';
import { Ipvs, IpvsCtx } from '../src/ipvs/ipvs.js';
import { stackOf } from '../src/net/ipv4/stack.js';
import { World } from '../src/net/world.js';
import { rd16, rd32 } from '../src/wire/bytes.js';
import { emitIpv4 } from '../src/wire/ipv4.js';
import { parseIpv4 } from '../src/wire/ipv4-address.js';
import { emitTcp } from '../src/wire/tcp.js';
import { emitUdp } from '../src/wire/udp.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';
import { sh, UdpInjector, UdpSink } from './support/topology.js';

const VIP = 0x0a000001;
const BATCH = 1024;
let sink = 0;

function segment(src: number, sport: number, proto: 6 | 17, flags: number): Uint8Array {
  const u8 = new Uint8Array(80);
  const l4len = proto === 6 ? 20 + 20 : 8 + 20;
  emitIpv4(
    {
      tos: 0,
      ident: 1,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      proto,
      src,
      dst: VIP,
      options: new Uint8Array(0),
      payloadLen: l4len,
    },
    u8,
    0,
  );
  const payload = new Uint8Array(20);
  if (proto === 6) {
    emitTcp(
      { srcPort: sport, dstPort: 80, seq: 1, ack: 1, flags, window: 1000, urgent: 0, options: {}, payload },
      u8,
      20,
      src,
      VIP,
    );
  } else emitUdp({ srcPort: sport, dstPort: 80, payload }, u8, 20, src, VIP);
  return u8.subarray(0, 20 + l4len);
}

function setup(sched: string, fwd: Fwd, proto: 6 | 17, onePacket: boolean, dests = 8) {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('lb');
  const ipvs = Ipvs.of(ns);
  const spec = {
    proto,
    addr: VIP,
    port: 80,
    fwmark: 0,
    sched,
    flags: onePacket ? SF.ONEPACKET : 0,
    timeoutS: 0,
    netmask: 0xffffffff,
  };
  ipvs.addService(spec);
  for (let i = 0; i < dests; i++) {
    ipvs.addDest(spec, {
      addr: (0xc0a80102 + i) >>> 0,
      port: 8080,
      fwd,
      weight: 1 + (i & 3),
      uThreshold: 0,
      lThreshold: 0,
    });
  }
  const h = world.newFrame();
  return { world, ipvs, h, ctx: new IpvsCtx() };
}

/** n established flows; each op sends one ACK of flow i (copied into the frame first). */
function established(n: number, fwd: Fwd | null): CaseFactory {
  return ({ quick }) => {
    const flows = quick ? Math.min(n, 1000) : n;
    const { world, ipvs, h, ctx } = setup('wlc', fwd ?? Fwd.Masq, 6, false);
    const pool = world.pool;
    const u8 = pool.bytesOf(h);
    const l3 = pool.start[h]!;
    const acks: Uint8Array[] = [];
    for (let i = 0; i < flows; i++) {
      const src = (0x64400000 + i) >>> 0;
      const syn = segment(src, 1024 + (i & 1023), 6, 0x02);
      u8.set(syn, l3);
      pool.setLength(h, syn.length);
      ipvs.schedule(h, l3, ctx);
      acks.push(segment(src, 1024 + (i & 1023), 6, 0x10));
    }
    pool.setLength(h, acks[0]!.length);
    let k = 0;
    return {
      opsPerCall: BATCH,
      fn: () => {
        for (let j = 0; j < BATCH; j++) {
          const p = acks[k]!;
          k = k + 1 === flows ? 0 : k + 1;
          u8.set(p, l3);
          if (fwd === null) {
            // floor: the copy plus reading the 5-tuple
            sink ^=
              rd32(u8, l3 + 12) ^ rd32(u8, l3 + 16) ^ rd16(u8, l3 + 20) ^ rd16(u8, l3 + 22) ^ u8[l3 + 9]!;
          } else {
            sink ^= ipvs.schedule(h, l3, ctx);
          }
        }
      },
    };
  };
}

/** First packets: one-packet UDP scheduling creates and destroys an entry per packet. */
function fresh(sched: string, dests = 8): CaseFactory {
  return () => {
    const { world, ipvs, h, ctx } = setup(sched, Fwd.Masq, 17, true, dests);
    const pool = world.pool;
    const u8 = pool.bytesOf(h);
    const l3 = pool.start[h]!;
    const pkts: Uint8Array[] = [];
    for (let i = 0; i < 4096; i++)
      pkts.push(segment((0x64400000 + i * 7919) >>> 0, 1024 + (i & 4095), 17, 0));
    pool.setLength(h, pkts[0]!.length);
    let k = 0;
    return {
      opsPerCall: BATCH,
      fn: () => {
        for (let j = 0; j < BATCH; j++) {
          u8.set(pkts[k]!, l3);
          k = (k + 1) & 4095;
          sink ^= ipvs.schedule(h, l3, ctx);
        }
      },
    };
  };
}

/** client (10.0.1.2) —veth— lb (10.0.1.1, VIP 10.0.1.100) —veth— rs (10.0.2.2, default via lb). */
function directorPath(mode: 'forward' | 'masq' | 'masq+ct'): CaseFactory {
  return () => {
    const world = new World({ seed: 1, maxEvents: Number.MAX_SAFE_INTEGER });
    const client = world.addNamespace('client');
    const lb = world.addNamespace('lb');
    const rs = world.addNamespace('rs');
    sh(
      world,
      lb,
      `sysctl -w net.ipv4.ip_forward=1
       ip link add ra type veth peer name eth0 netns client
       ip link add rb type veth peer name eth0 netns rs
       ip addr add 10.0.1.1/24 dev ra
       ip addr add 10.0.1.100/24 dev ra
       ip addr add 10.0.2.1/24 dev rb
       ip link set ra up
       ip link set rb up`,
    );
    if (mode !== 'forward')
      sh(world, lb, 'ipvsadm -A -u 10.0.1.100:5000 -s rr\nipvsadm -a -u 10.0.1.100:5000 -r 10.0.2.2:5000 -m');
    if (mode === 'masq+ct') sh(world, lb, 'sysctl -w net.ipv4.vs.conntrack=1\niptables -t nat -N X');
    sh(
      world,
      client,
      'ip addr add 10.0.1.2/24 dev eth0\nip link set eth0 up\nip route add default via 10.0.1.1',
    );
    sh(world, rs, 'ip addr add 10.0.2.2/24 dev eth0\nip link set eth0 up\nip route add default via 10.0.2.1');
    const sinkApp = new UdpSink(world);
    stackOf(rs).registerProtocol(17, sinkApp);
    const dst = mode === 'forward' ? '10.0.2.2' : '10.0.1.100';
    const inject = new UdpInjector(world, client, parseIpv4('10.0.1.2'), parseIpv4(dst));
    const sim = world.sim;
    const opts = { until: 0 };
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) inject.send();
      opts.until = sim.now;
      sim.run(opts);
    };
    inject.send();
    sim.run({ until: sim.now + 1_000_000 });
    sim.run({ until: 3_000_000_000 });
    for (let i = 0; i < 200; i++) burst(256);
    if (sinkApp.received !== 1 + 200 * 256) throw new Error(`path broken: ${sinkApp.received} delivered`);
    return { opsPerCall: 256, fn: () => burst(256) };
  };
}

/** Bytes retained per IPVS connection: n UDP masq connections created and kept. */
function memoryPerConn(): CaseFactory {
  return ({ quick }) => {
    const n = quick ? 10_000 : 100_000;
    let keep: unknown = null;
    return {
      runs: 1,
      opsPerCall: n,
      fn: () => {
        keep = null;
        const { world, ipvs, h, ctx } = setup('rr', Fwd.Masq, 17, false);
        const pool = world.pool;
        const u8 = pool.bytesOf(h);
        const l3 = pool.start[h]!;
        const p = segment(0x64400000, 1024, 17, 0);
        pool.setLength(h, p.length);
        for (let i = 0; i < n; i++) {
          u8.set(p, l3);
          // distinct clients: source address and port vary (checksum not checked by IPVS)
          u8[l3 + 14] = (i >>> 8) & 0xff;
          u8[l3 + 15] = i & 0xff;
          u8[l3 + 20] = 4 + ((i >>> 16) & 0x3f);
          sink ^= ipvs.schedule(h, l3, ctx);
        }
        if (ipvs.conns.count !== n) throw new Error(`${ipvs.conns.count} connections, expected ${n}`);
        keep = ipvs;
      },
    };
  };
}

export default defineSuite(import.meta.url, {
  name: 'ipvs',
  unit: 'pkts',
  groups: [
    {
      name: 'established n=1e4',
      baseline: 'copy+5-tuple',
      cases: {
        'copy+5-tuple': established(10000, null),
        masq: established(10000, Fwd.Masq),
        dr: established(10000, Fwd.Route),
      },
    },
    {
      name: 'established n=1e5',
      baseline: 'copy+5-tuple',
      cases: {
        'copy+5-tuple': established(100000, null),
        masq: established(100000, Fwd.Masq),
      },
    },
    {
      name: 'new conn (8 dests)',
      baseline: 'rr',
      cases: {
        rr: fresh('rr'),
        wrr: fresh('wrr'),
        wlc: fresh('wlc'),
        sh: fresh('sh'),
        mh: fresh('mh'),
        lblc: fresh('lblc'),
      },
    },
    // The scheduling figure: connections scheduled per second per scheduler with 10, 100 and
    // 1000 real servers (one-packet UDP: each op schedules, creates and frees one connection).
    ...[10, 100, 1000].map((n) => ({
      name: `schedule ${n} servers`,
      baseline: 'rr',
      cases: {
        rr: fresh('rr', n),
        wrr: fresh('wrr', n),
        lc: fresh('lc', n),
        wlc: fresh('wlc', n),
        sed: fresh('sed', n),
        nq: fresh('nq', n),
        sh: fresh('sh', n),
        dh: fresh('dh', n),
        mh: fresh('mh', n),
        lblc: fresh('lblc', n),
        lblcr: fresh('lblcr', n),
        fo: fresh('fo', n),
        ovf: fresh('ovf', n),
      },
    })),
    {
      name: 'director e2e (64 B UDP)',
      baseline: 'forward (no IPVS)',
      cases: {
        'forward (no IPVS)': directorPath('forward'),
        masq: directorPath('masq'),
        'masq + conntrack': directorPath('masq+ct'),
      },
    },
    { name: 'memory per connection', cases: { 'udp masq x1e5': memoryPerConn() } },
  ],
});

/** Keeps `sink` observable so the JIT cannot drop the measured work. */
export function benchSink(): number {
  return sink;
}
