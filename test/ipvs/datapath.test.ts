// IPVS in the IPv4 packet path, end to end through namespaces (real frames, real TCP): the example
// scenarios (masq, DR) checked on the wire, the 900 s idle timeout through TCP, and the -m ipvs match.
// Behaviour follows ip_vs_core.c (ip_vs_in_hook / ip_vs_out_hook at their ip_vs_ops4 priorities),
// ip_vs_xmit.c (ip_vs_*_send_or_cont) and ip_vs_nfct.c; the recording machine's kernel has no IPVS,
// so these are not replays.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import type { TcpConn } from '../../src/net/transport/tcp.js';
import { transportOf } from '../../src/net/transport/transport.js';
import { World } from '../../src/net/world.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { MemorySink, PcapngWriter } from '../../src/trace/pcapng.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';
import { rd16, rd32 } from '../../src/wire/bytes.js';
import { parseIpv4 as ip, ipv4ToString } from '../../src/wire/ipv4-address.js';
import '../../src/control/all.js';
import '../../src/apps/all.js';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');

interface WireFrame {
  iface: string;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  ethDst: string;
}

/** Runs a scenario with a capture of every device; returns the outcome and the IPv4 frames seen. */
function runWithWire(file: string) {
  const loaded = loadScenarioFile(join(SCENARIOS, file));
  const sink = new MemorySink();
  const capture = new PcapngWriter(sink);
  const out = runScenario(loaded, { check: true, capture });
  capture.close();
  const parsed = readPcapng(sink.bytes());
  if (!parsed.ok) throw new Error(parsed.reason);
  const frames: WireFrame[] = [];
  for (const p of parsed.file.packets) {
    const b = p.bytes;
    if (b.length < 34 || rd16(b, 12) !== 0x0800) continue;
    const ihl = (b[14]! & 15) << 2;
    frames.push({
      iface: parsed.file.interfaces[p.ifId]!.name ?? '',
      src: ipv4ToString(rd32(b, 26)),
      dst: ipv4ToString(rd32(b, 30)),
      proto: b[23]!,
      sport: rd16(b, 14 + ihl),
      dport: rd16(b, 16 + ihl),
      ethDst: [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':'),
    });
  }
  return { out, frames };
}

function sh(world: World, ns: Namespace, script: string): string {
  let s = '';
  for (const line of script.split('\n')) {
    const l = line.trim();
    if (l !== '') s += runCommandLine({ world, ns }, l).stdout;
  }
  return s;
}

describe('masquerading director (scenarios/ipvs-masq.yaml)', () => {
  const { out, frames } = runWithWire('ipvs-masq.yaml');

  it('holds its expectations and leaks no frame', () => {
    expect(out.checks.filter((c) => !c.ok)).toEqual([]);
    expect(out.world.pool.leaks()).toEqual([]);
  });

  it('every TCP segment the client receives comes from the VIP, and it only ever talks to the VIP', () => {
    const atClient = frames.filter((f) => f.iface === 'client/eth0' && f.proto === 6);
    expect(atClient.length).toBeGreaterThan(100);
    for (const f of atClient) {
      if (f.dst === '10.0.0.2') expect(f.src).toBe('10.0.0.100');
      else expect(f.dst).toBe('10.0.0.100');
    }
  });

  it('real servers see the client (or the director after MASQUERADE) and reply to it, not to the VIP', () => {
    const atRs = frames.filter((f) => /^rs[123]\/eth0$/.test(f.iface) && f.proto === 6);
    expect(atRs.length).toBeGreaterThan(100);
    for (const f of atRs) {
      expect([f.src, f.dst]).not.toContain('10.0.0.100');
      expect([f.src, f.dst].some((a) => a === '10.0.0.2' || a === '192.168.1.1')).toBe(true);
    }
  });

  it("rr spreads connections evenly until a server is quiesced; wrr follows 3:1:0 (servers' sightings)", () => {
    const count = (prefix: string) => {
      const m: Record<string, number> = {};
      for (const s of out.sightings)
        if (s.proto === 'tcp' && s.payload.startsWith(prefix)) m[s.dst] = (m[s.dst] ?? 0) + 1;
      return m;
    };
    const rrBefore: Record<string, number> = {};
    for (const s of out.sightings) {
      const n = /^rr (\d+)$/.exec(s.payload);
      if (n !== null && Number(n[1]) <= 6) rrBefore[s.dst] = (rrBefore[s.dst] ?? 0) + 1;
    }
    expect(rrBefore).toEqual({ '192.168.1.11:8080': 2, '192.168.1.12:8080': 2, '192.168.1.13:8080': 2 });
    expect(count('rr ')).toEqual({ '192.168.1.11:8080': 3, '192.168.1.12:8080': 4, '192.168.1.13:8080': 2 });
    expect(count('wrr ')).toEqual({ '192.168.1.11:8080': 6, '192.168.1.12:8080': 2 });
  });
});

describe('ICMP errors from the real server side (ip_vs_out_icmp)', () => {
  it("a real server's port unreachable for a UDP masq connection reaches the client from the VIP", () => {
    const text = readFileSync(join(SCENARIOS, 'ipvs-masq.yaml'), 'utf8')
      .replace(
        '      sysctl -w net.ipv4.vs.conntrack=1\n',
        '      ipvsadm -A -u 10.0.0.100:7000 -s rr\n      ipvsadm -a -u 10.0.0.100:7000 -r 192.168.1.12:7001 -m\n',
      )
      .replace(/\ntraffic:[\s\S]*$/, '')
      .concat(
        '\ntraffic:\n  - { at: 1s, name: closed, from: client, udp: 10.0.0.100:7000, sport: 43001, payload: q }\n',
        'expect:\n  - { probe: closed, error: port-unreachable, icmp: { type: 3, code: 3, from: 10.0.0.100 } }\n',
      );
    const out = runScenario(loadScenarioText(text, 'icmp.yaml'), { check: true });
    expect(out.checks.filter((c) => !c.ok)).toEqual([]);
    expect(out.world.pool.leaks()).toEqual([]);
    expect(
      runCommandLine({ world: out.world, ns: out.world.namespaces[0]! }, 'ipvsadm -L -n --stats').stdout,
    ).toMatch(/UDP {2}10\.0\.0\.100:7000 +1 +1 +1 /);
  });
});

describe('direct routing (scenarios/ipvs-dr.yaml)', () => {
  const { out, frames } = runWithWire('ipvs-dr.yaml');
  const mac = (ns: string) => {
    const n = out.world.namespaces.find((x) => x.name === ns)!;
    const d = n.devices.find((x) => x.name === 'eth0')!;
    return [
      d.macHi >>> 8,
      d.macHi & 255,
      d.macLo >>> 24,
      (d.macLo >>> 16) & 255,
      (d.macLo >>> 8) & 255,
      d.macLo & 255,
    ]
      .map((x) => x.toString(16).padStart(2, '0'))
      .join(':');
  };

  it('holds its expectations and leaks no frame', () => {
    expect(out.checks.filter((c) => !c.ok)).toEqual([]);
    expect(out.world.pool.leaks()).toEqual([]);
  });

  it("the director re-sends requests unchanged at L3 to the real server's MAC; replies skip it", () => {
    const fromLb = frames.filter((f) => f.iface === 'lb/eth0' && f.proto === 6 && f.dst === '10.0.0.100');
    const toRs = fromLb.filter((f) => f.ethDst === mac('rs1') || f.ethDst === mac('rs2'));
    expect(toRs.length).toBeGreaterThan(0);
    for (const f of toRs) expect(f.src).toBe('10.0.0.2');
    // Replies: from the VIP, captured at the real servers and the client, never at the director.
    const replies = frames.filter((f) => f.proto === 6 && f.src === '10.0.0.100');
    expect(replies.some((f) => f.iface === 'client/eth0')).toBe(true);
    expect(replies.filter((f) => f.iface === 'lb/eth0')).toEqual([]);
  });
});

describe('tunnelling (VS/TUN), director side', () => {
  it('the request leaves as IPIP: outer director → real server (proto 4, TTL copied), inner untouched but TTL − 1', () => {
    const world = new World({ seed: 5, check: true });
    const lb = world.addNamespace('lb');
    const client = world.addNamespace('client');
    const rs = world.addNamespace('rs');
    sh(
      world,
      lb,
      `ip link set lo up
       ip link add eth0 type veth peer name eth0 netns client
       ip link add eth1 type veth peer name eth0 netns rs
       ip addr add 10.0.0.1/24 dev eth0
       ip addr add 10.0.0.100/24 dev eth0
       ip addr add 192.168.1.1/24 dev eth1
       ip link set eth0 up
       ip link set eth1 up
       ipvsadm -A -t 10.0.0.100:80 -s rr
       ipvsadm -a -t 10.0.0.100:80 -r 192.168.1.2 -i`,
    );
    sh(world, client, 'ip addr add 10.0.0.2/24 dev eth0\nip link set eth0 up');
    sh(world, rs, 'ip addr add 192.168.1.2/24 dev eth0\nip link set eth0 up');
    const seen: number[][] = [];
    rs.devices.find((d) => d.name === 'eth0')!.tap = {
      frame(_d, dir, h) {
        const pool = world.pool;
        const u8 = pool.bytesOf(h);
        const e = pool.start[h]!;
        if (dir !== 0 || rd16(u8, e + 12) !== 0x0800 || u8[e + 23] !== 4) return;
        const i = e + 34; // inner IPv4 header
        seen.push([
          rd32(u8, e + 26),
          rd32(u8, e + 30),
          u8[e + 22]!,
          rd32(u8, i + 12),
          rd32(u8, i + 16),
          u8[i + 8]!,
          rd16(u8, i + 22),
        ]);
      },
    };
    transportOf(client).tcp.connect(ip('10.0.0.100'), 80, {});
    world.sim.run({ until: 500_000_000 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual([
      ip('192.168.1.1'),
      ip('192.168.1.2'),
      63,
      ip('10.0.0.2'),
      ip('10.0.0.100'),
      63,
      80,
    ]);
    expect(runCommandLine({ world, ns: lb }, 'ipvsadm -L -n').stdout).toContain(
      '-> 192.168.1.2:80               Tunnel  1      1',
    );
    world.sim.run({ until: 200_000_000_000 });
    expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  });
});

describe('local client on the director (LOCAL_OUT: ip_vs_local_request4)', () => {
  for (const conntrack of [0, 1]) {
    it(`conntrack=${conntrack}: a socket in the director reaches the real server through the VIP; replies return to it from the VIP`, () => {
      const world = new World({ seed: 9, check: true });
      const lb = world.addNamespace('lb');
      const rs = world.addNamespace('rs');
      sh(
        world,
        lb,
        `ip link set lo up
         ip link add eth1 type veth peer name eth0 netns rs
         ip addr add 10.0.0.100/32 dev lo
         ip addr add 192.168.1.1/24 dev eth1
         ip link set eth1 up
         sysctl -w net.ipv4.vs.conntrack=${conntrack}
         ipvsadm -A -t 10.0.0.100:80 -s rr
         ipvsadm -a -t 10.0.0.100:80 -r 192.168.1.2:8080 -m`,
      );
      sh(
        world,
        rs,
        'ip addr add 192.168.1.2/24 dev eth0\nip link set eth0 up\nip route add default via 192.168.1.1',
      );
      const seenBy: string[] = [];
      transportOf(rs).tcp.listen(0, 8080, 4, (c) => {
        seenBy.push(`${ipv4ToString(c.raddr)} -> ${ipv4ToString(c.laddr)}:${c.lport}`);
        return {
          onData: (cc) => cc.send(new Uint8Array([7]), 0, 1),
        };
      });
      const ev = { connected: false, got: 0 };
      const c = transportOf(lb).tcp.connect(ip('10.0.0.100'), 80, {
        onConnected: (cc) => {
          ev.connected = true;
          cc.send(new Uint8Array([1, 2]), 0, 2);
        },
        onData: (_c, _u, _o, len) => {
          ev.got += len;
        },
      }) as TcpConn;
      world.sim.run({ until: 2_000_000_000 });
      expect(ev.connected).toBe(true);
      expect(ev.got).toBe(1);
      expect(ipv4ToString(c.raddr)).toBe('10.0.0.100');
      // the socket's source is the VIP itself (route to a local address); IPVS keeps it
      expect(seenBy).toEqual(['10.0.0.100 -> 192.168.1.2:8080']);
      expect(runCommandLine({ world, ns: lb }, 'ipvsadm -L -n -c').stdout).toContain(
        'ESTABLISHED 10.0.0.100:',
      );
    });
  }
});

describe('idle timeout (900 s, TCP ESTABLISHED) through real TCP', () => {
  function setup(conntrack: number) {
    const world = new World({ seed: 3, check: true });
    const lb = world.addNamespace('lb');
    const client = world.addNamespace('client');
    const rs = world.addNamespace('rs');
    sh(
      world,
      lb,
      `ip link set lo up
       ip link add eth0 type veth peer name eth0 netns client
       ip link add eth1 type veth peer name eth0 netns rs
       ip addr add 10.0.0.1/24 dev eth0
       ip addr add 10.0.0.100/24 dev eth0
       ip addr add 192.168.1.1/24 dev eth1
       ip link set eth0 up
       ip link set eth1 up
       sysctl -w net.ipv4.ip_forward=1
       sysctl -w net.ipv4.vs.conntrack=${conntrack}
       ipvsadm -A -t 10.0.0.100:80 -s rr
       ipvsadm -a -t 10.0.0.100:80 -r 192.168.1.2:8080 -m`,
    );
    sh(world, client, 'ip link set lo up\nip addr add 10.0.0.2/24 dev eth0\nip link set eth0 up');
    sh(
      world,
      rs,
      'ip link set lo up\nip addr add 192.168.1.2/24 dev eth0\nip link set eth0 up\nip route add default via 192.168.1.1',
    );
    let serverGot = 0;
    transportOf(rs).tcp.listen(0, 8080, 16, () => ({
      onData: (_c, _u8, _o, len) => {
        serverGot += len;
      },
    }));
    const ev = { connected: false, resets: 0, got: 0 };
    const c = transportOf(client).tcp.connect(ip('10.0.0.100'), 80, {
      onConnected: () => {
        ev.connected = true;
      },
      onError: () => {
        ev.resets++;
      },
    }) as TcpConn;
    return { world, lb, client, rs, c, ev, server: () => serverGot };
  }
  const S = 1_000_000_000;
  const data = new TextEncoder().encode('hello');

  for (const conntrack of [0, 1]) {
    it(`conntrack=${conntrack}: within 900 s data flows; after 900 s idle the next segment meets the director's stack → RST`, () => {
      const t = setup(conntrack);
      t.world.sim.run({ until: 1 * S });
      expect(t.ev.connected).toBe(true);
      t.c.send(data, 0, data.length);
      t.world.sim.run({ until: 2 * S });
      expect(t.server()).toBe(5);
      expect(runCommandLine({ world: t.world, ns: t.lb }, 'ipvsadm -L -n -c').stdout).toContain(
        'ESTABLISHED',
      );
      // 899 s idle: the entry is still there, data still reaches the real server.
      t.world.sim.run({ until: 900 * S });
      t.c.send(data, 0, data.length);
      t.world.sim.run({ until: 901 * S });
      expect(t.server()).toBe(10);
      // 900 s idle after the last segment: the entry expired.
      t.world.sim.run({ until: 1802 * S });
      expect(runCommandLine({ world: t.world, ns: t.lb }, 'ipvsadm -L -n -c').stdout).not.toContain(
        '10.0.0.2',
      );
      if (conntrack === 1) {
        // ip_vs_conn_drop_conntrack: the NFCT entry went with it
        expect(runCommandLine({ world: t.world, ns: t.lb }, 'conntrack -L').stdout).not.toContain(
          'sport=8080',
        );
      }
      t.c.send(data, 0, data.length);
      t.world.sim.run({ until: 1804 * S });
      expect(t.server()).toBe(10);
      expect(t.ev.resets).toBe(1);
      expect(t.world.frameBalance().inFlight).toBe(t.world.pool.liveCount);
    });
  }
});

describe('-m ipvs', () => {
  function fresh() {
    const world = new World({ seed: 1, check: true });
    const ns = world.addNamespace('n');
    return { world, ns, run: (l: string) => runCommandLine({ world, ns }, l).stdout };
  }
  it('parses and prints as iptables-save / iptables -L do (libxt_ipvs ipvs_mt_dump)', () => {
    const { run } = fresh();
    run('iptables -t nat -A POSTROUTING -m ipvs --ipvs -d 10.255.0.0/16 -j MASQUERADE');
    run('iptables -t nat -A POSTROUTING -m ipvs ! --ipvs -j ACCEPT');
    run(
      'iptables -t nat -A POSTROUTING -m ipvs --vproto tcp --vaddr 10.0.0.0/24 ! --vport 80 --vdir REPLY --vmethod masq --vportctl 21 -j ACCEPT',
    );
    const save = run('iptables-save -t nat');
    expect(save).toContain('-A POSTROUTING -d 10.255.0.0/16 -m ipvs --ipvs -j MASQUERADE');
    expect(save).toContain('-A POSTROUTING -m ipvs ! --ipvs -j ACCEPT');
    // libxt_ipvs prints the protocol as "proto", without the v (ipvs_mt_dump)
    expect(save).toContain(
      '-A POSTROUTING -m ipvs --proto 6 --vaddr 10.0.0.0/24 ! --vport 80 --vdir REPLY --vmethod MASQ --vportctl 21 -j ACCEPT',
    );
    const list = run('iptables -t nat -L POSTROUTING -n');
    expect(list).toContain('ipvs');
    expect(list).toContain('proto 6 vaddr 10.0.0.0/24 ! vport 80 vdir REPLY vmethod MASQ vportctl 21');
  });
  it('rejects what libxt_ipvs rejects', () => {
    const { run } = fresh();
    expect(() => run('iptables -A INPUT -m ipvs -j ACCEPT')).toThrow(/At least one option is required/);
    expect(() => run('iptables -A INPUT -m ipvs ! --ipvs --vport 80 -j ACCEPT')).toThrow(
      /! --ipvs cannot be together with other options/,
    );
    expect(() => run('iptables -A INPUT -m ipvs --vdir SIDEWAYS -j ACCEPT')).toThrow(
      /Bad value for "--vdir"/,
    );
    expect(() => run('iptables -A INPUT -m ipvs --vmethod NAT -j ACCEPT')).toThrow(
      /Bad value for "--vmethod"/,
    );
  });
});
