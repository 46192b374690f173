// `netsim run` options and report contents: --pcap FILE and DIR, --until, progress on a terminal and
// silence in CI, the JSON report's per-namespace state, and tail drop on a rate-limited scenario link.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/io.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';
import { type CliResult, netsim } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'netsim-cli-opts-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function netsimIo(args: string[], tty: boolean, env: Record<string, string>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    errIsTTY: tty,
    outIsTTY: false,
    env,
    cwd: dir,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

// a and b on a 1 Mbit/s cable whose transmit queue holds 2 frames. Ten datagrams 1 µs apart wait in
// a's neighbour queue while ARP resolves, then leave together: at 1 Mbit/s a 60-byte frame takes
// 480 µs on the wire, so all but two are tail-dropped (QueueFull) at a's end of the link.
const BURST = `netsim: 1
seed: 3
hosts: [a, b]
links:
  - { a: a:eth0, b: b:eth0, delay: 1ms, rate: 1Mbit, queue: 2 }
steps:
  - in: a
    run: |
      ip addr add 10.0.0.1/24 dev eth0
      ip link set eth0 up
  - in: b
    run: |
      ip addr add 10.0.0.2/24 dev eth0
      ip link set eth0 up
apps:
  - { in: b, serve: udp-echo-peer, port: 5000 }
traffic:
  - { at: 1s, name: burst, from: a, udp: 10.0.0.2:5000, sport: 40000, count: 10, interval: 1us }
expect:
  - { drops: QueueFull, count: 8 }
`;

describe('scenario links with rate and queue', () => {
  it('tail-drops a burst that overflows the queue, counted as QueueFull in the summary and report', async () => {
    const json = join(dir, 'burst.json');
    const r = await netsim(['run', file('burst.yaml', BURST), '--json', json]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('QueueFull 8');
    const rep = JSON.parse(readFileSync(json, 'utf8'));
    expect(rep.drops.QueueFull).toBe(8);
    // Counted against the device that sent them, per reason.
    expect(rep.namespaces.a.drops).toEqual({ eth0: { QueueFull: 8 } });
    expect(rep.namespaces.b.drops).toEqual({});
    // Only two datagrams crossed the cable: b's NIC received the ARP reply's request and two frames.
    const bEth = rep.namespaces.b.links.find((l: { ifname: string }) => l.ifname === 'eth0');
    const aEth = rep.namespaces.a.links.find((l: { ifname: string }) => l.ifname === 'eth0');
    expect(bEth.stats64.rx.packets).toBe(aEth.stats64.tx.packets - 8);
  });

  it('the same burst through a long queue loses nothing: all ten waited for ARP, then crossed', async () => {
    const r = await netsim([
      'run',
      file('burst-big.yaml', BURST.replace('queue: 2', 'queue: 100').replace('count: 8', 'count: 0')),
      '--json',
      '-',
    ]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.drops).toEqual({});
    // b heard a's ARP request and then all ten datagrams (queued in a's neighbour entry meanwhile:
    // the tenth was sent 9 µs after the first, the ARP reply came back after 2 ms of link delay).
    const bEth = rep.namespaces.b.links.find((l: { ifname: string }) => l.ifname === 'eth0');
    expect(bEth.stats64.rx.packets).toBe(11);
    expect(rep.namespaces.a.neigh).toEqual([
      expect.objectContaining({ dst: '10.0.0.2', state: ['REACHABLE'] }),
    ]);
  });

  it('a link mtu sets both NICs', async () => {
    const r = await netsim([
      'run',
      file('mtu.yaml', BURST.replace('queue: 2', 'queue: 2, mtu: 1400')),
      '--json',
      '-',
    ]);
    const rep = JSON.parse(r.stdout);
    for (const ns of ['a', 'b'])
      expect(rep.namespaces[ns].links.find((l: { ifname: string }) => l.ifname === 'eth0').mtu).toBe(1400);
  });
});

// Two hosts on a bridge in a third: the report carries each namespace's neighbours, FDB and counters.
const BRIDGED = `netsim: 1
hosts: [sw, h1, h2]
steps:
  - in: sw
    run: |
      ip link add br0 type bridge
      ip link set br0 up
      ip link add p1 type veth peer name eth0 netns h1
      ip link add p2 type veth peer name eth0 netns h2
      ip link set p1 master br0
      ip link set p2 master br0
      ip link set p1 up
      ip link set p2 up
  - in: h1
    run: |
      ip addr add 10.0.0.1/24 dev eth0
      ip link set eth0 up
  - in: h2
    run: |
      ip addr add 10.0.0.2/24 dev eth0
      ip link set eth0 up
traffic:
  - { at: 1s, name: p, from: h1, ping: 10.0.0.2, count: 3, interval: 1s }
expect:
  - { probe: p, received: 3 }
`;

describe('netsim run options', () => {
  it('--json: per-namespace neighbour tables, FDBs and interface counters', async () => {
    const r = await netsim(['run', file('br.yaml', BRIDGED), '--json', '-']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    const h1 = rep.namespaces.h1;
    expect(h1.neigh).toEqual([
      expect.objectContaining({ dst: '10.0.0.2', dev: 'eth0', state: ['REACHABLE'] }),
    ]);
    const h2mac = rep.namespaces.h2.links.find((l: { ifname: string }) => l.ifname === 'eth0').address;
    expect(h1.neigh[0].lladdr).toBe(h2mac);
    // The bridge learned h2's MAC on p2 (a dynamic entry, no "permanent" state).
    const learned = rep.namespaces.sw.fdb.filter((e: { mac: string }) => e.mac === h2mac);
    expect(learned).toEqual([expect.objectContaining({ ifname: 'p2', master: 'br0' })]);
    expect(learned[0].state ?? '').not.toBe('permanent');
    // Counters: h1 sent 3 echo requests and an ARP request (at least), and got as many back.
    const eth = h1.links.find((l: { ifname: string }) => l.ifname === 'eth0');
    expect(eth.stats64.tx.packets).toBeGreaterThanOrEqual(4);
    expect(eth.stats64.rx.packets).toBeGreaterThanOrEqual(4);
    expect(eth.stats64.tx.bytes).toBeGreaterThan(3 * 98);
    // The probe's observation is in the report too.
    expect(rep.probes.p).toEqual(expect.objectContaining({ transmitted: 3, received: 3 }));
  });

  it('--pcap FILE writes that file; --pcap DIR writes DIR/<scenario>.pcapng; one interface per device', async () => {
    const f = file('cap.yaml', BRIDGED);
    const out = join(dir, 'one.pcapng');
    expect((await netsim(['run', f, '--quiet', '--pcap', out])).code).toBe(0);
    const sub = join(dir, 'caps');
    expect((await netsim(['run', f, '--quiet', '--pcap', `${sub}/`])).code).toBe(0);
    expect(readdirSync(sub)).toEqual(['cap.pcapng']);
    const a = readFileSync(out);
    const b = readFileSync(join(sub, 'cap.pcapng'));
    // Same file and seed: the same bytes apart from nothing (the comment names the same file).
    expect(b.equals(a)).toBe(true);
    const parsed = readPcapng(new Uint8Array(a));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const names = parsed.file.interfaces.map((i: { name?: string }) => i.name).sort();
    expect(names).toEqual(['h1/eth0', 'h2/eth0', 'sw/br0', 'sw/p1', 'sw/p2']);
    // An existing directory (no trailing slash) works the same way.
    expect((await netsim(['run', f, '--quiet', '--pcap', sub])).code).toBe(0);
    expect(readFileSync(join(sub, 'cap.pcapng')).equals(a)).toBe(true);
  });

  it('--until ends the run at that simulated time (the probe is cut short and its expectation fails)', async () => {
    const f = file('until.yaml', BRIDGED);
    const r = await netsim(['run', f, '--until', '1500ms', '--json', '-']);
    const rep = JSON.parse(r.stdout);
    expect(rep.simulatedNs).toBe(1_500_000_000);
    expect(rep.endReason).toBe('until');
    expect(rep.probes.p.transmitted).toBe(1);
    expect(r.code).toBe(1);
    const later = JSON.parse((await netsim(['run', f, '--until', '10s', '--json', '-'])).stdout);
    expect(later.simulatedNs).toBe(10_000_000_000);
    expect(later.ok).toBe(true);
    const bad = await netsim(['run', f, '--until', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--until');
  });

  it('shows progress on a terminal, and nothing of it in CI, with --quiet, or off a terminal', async () => {
    const f = file('prog.yaml', BRIDGED);
    const tty = await netsimIo(['run', f], true, {});
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/simulated, \d+ events/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true); // the progress line is cleared before the summary
    for (const [isTty, env, args] of [
      [true, { CI: 'true' }, []],
      [true, {}, ['--quiet']],
      [false, {}, []],
    ] as const) {
      const r = await netsimIo(['run', f, ...args], isTty, env);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
  });
});

// A dummy device made by a scenario step: it holds an address the host answers on, and whatever is
// routed out of it is counted as transmitted and discarded (drivers/net/dummy.c; IFF_NOARP, so no
// neighbour resolution and no ICMP error).
const DUMMY = `netsim: 1
hosts: [h]
steps:
  - in: h
    run: |
      ip link set lo up
      ip link add d0 type dummy
      ip addr add 192.0.2.1/24 dev d0
      ip link set d0 up
traffic:
  - { at: 1s, name: own, from: h, ping: 192.0.2.1 }
  - { at: 1s, name: void, from: h, ping: 192.0.2.2, timeout: 1s }
expect:
  - { probe: own, received: 1, reply-from: 192.0.2.1 }
  - { probe: void, transmitted: 1, received: 0 }
  - { in: h, run: ip link show d0, output-contains: "<BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN" }
  - { in: h, run: ip -d link show d0, output-contains: "dummy" }
`;

describe('dummy devices in a scenario', () => {
  it('ip link add d0 type dummy: local address answers, traffic out of it is counted and discarded', async () => {
    const r = await netsim(['run', file('dummy.yaml', DUMMY), '--json', '-']);
    expect(JSON.parse(r.stdout).expectations.filter((e: { ok: boolean }) => !e.ok)).toEqual([]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    const d0 = rep.namespaces.h.links.find((l: { ifname: string }) => l.ifname === 'd0');
    expect(d0.link_type).toBe('ether');
    expect(d0.stats64.tx.packets).toBe(1);
    expect(d0.stats64.tx.dropped).toBe(0);
    expect(rep.drops).toEqual({});
  });
});

// The kernel fixture mtu-df (test/fixtures/kernel/mtu-df.json, Linux 6.18) as a scenario: ping's
// `df` (true = -M do, false = -M dont, absent = -M want) decides who fragments or who complains.
const MTU_DF = `netsim: 1
hosts: [a1, r1, b1]
steps:
  - in: r1
    run: |
      ip link set lo up
      ip link add eth-a type veth peer name eth0 netns a1
      ip link add eth-b type veth peer name eth0 netns b1
      ip addr add 10.1.0.1/24 dev eth-a
      ip addr add 10.2.0.1/24 dev eth-b
      ip link set eth-b mtu 1400
      ip link set eth-a up
      ip link set eth-b up
      sysctl -w net.ipv4.ip_forward=1
  - in: a1
    run: |
      ip link set lo up
      ip addr add 10.1.0.2/24 dev eth0
      ip link set eth0 up
      ip route add default via 10.1.0.1
  - in: b1
    run: |
      ip link set lo up
      ip addr add 10.2.0.2/24 dev eth0
      ip link set eth0 mtu 1400
      ip link set eth0 up
      ip route add default via 10.2.0.1
traffic:
  - { at: 1s, name: df-1372, from: a1, ping: 10.2.0.2, size: 1372, df: true }
  - { at: 2s, name: nodf-1472-router-fragments, from: a1, ping: 10.2.0.2, size: 1472, df: false }
  - { at: 3s, name: df-1472, from: a1, ping: 10.2.0.2, size: 1472, df: true }
  - { at: 4s, name: df-1472-after-pmtu, from: a1, ping: 10.2.0.2, size: 1472, df: true }
  - { at: 5s, name: nodf-1472-sender-fragments, from: a1, ping: 10.2.0.2, size: 1472, df: false }
  - { at: 6s, name: default-pmtu-1472, from: a1, ping: 10.2.0.2, size: 1472 }
expect:
  - { probe: df-1372, transmitted: 1, received: 1, reply-ttl: 63 }
  - { probe: nodf-1472-router-fragments, transmitted: 1, received: 1, reply-ttl: 63 }
  - { probe: df-1472, transmitted: 1, received: 0, icmp: { type: 3, code: 4, from: 10.1.0.1 } }
  - { probe: df-1472-after-pmtu, transmitted: 0, received: 0, error: message-too-long }
  - { probe: nodf-1472-sender-fragments, transmitted: 1, received: 1 }
  - { probe: default-pmtu-1472, transmitted: 1, received: 1 }
`;

describe('ping df in a scenario', () => {
  it('replays the mtu-df kernel fixture: DF fits, router fragments, frag-needed, EMSGSIZE, sender fragments', async () => {
    const r = await netsim(['run', file('mtu-df.yaml', MTU_DF), '--json', '-']);
    const rep = JSON.parse(r.stdout);
    expect(rep.expectations.filter((e: { ok: boolean }) => !e.ok)).toEqual([]);
    expect(r.code).toBe(0);
    // Without `df`, the first 1472-byte ping (before the PMTU was learned) has DF set (-M want, the
    // packet fits a1's route) and r1 refuses it; a1 learns the PMTU then, so df-1472 fails locally
    // instead of hearing frag-needed. The option is what let r1 fragment it.
    const noOpt = await netsim([
      'run',
      file(
        'mtu-df2.yaml',
        MTU_DF.replace('size: 1472, df: false }\n  - { at: 3s', 'size: 1472 }\n  - { at: 3s'),
      ),
      '--json',
      '-',
    ]);
    const failed = JSON.parse(noOpt.stdout).expectations.filter((e: { ok: boolean }) => !e.ok);
    expect(failed.map((e: { check: string }) => e.check)).toEqual([
      expect.stringContaining('nodf-1472-router-fragments'),
      expect.stringContaining('df-1472:'),
    ]);
  });
});

describe('tcp probe ttl in a scenario', () => {
  it('TTL 1 expires at the router: time exceeded aborts the connect at once with EHOSTUNREACH (tcp_v4_err in SYN_SENT; checked on Linux 6.18); TTL 2 connects', async () => {
    const s = MTU_DF.replace(
      /traffic:[\s\S]*$/,
      `apps:
  - { in: b1, serve: tcp-echo-peer, port: 80 }
traffic:
  - { at: 1s, name: ttl1, from: a1, tcp: 10.2.0.2:80, sport: 40001, ttl: 1 }
  - { at: 2s, name: ttl2, from: a1, tcp: 10.2.0.2:80, sport: 40002, ttl: 2, payload: hi }
expect:
  - { probe: ttl1, connected: false, error: ttl-exceeded, icmp: { type: 11, code: 0, from: 10.1.0.1 } }
  - { probe: ttl2, connected: true, replied: true, server-saw-source: 10.1.0.2:40002 }
  - { drops: TtlExpired, count: 1 }
`,
    );
    const r = await netsim(['run', file('tcp-ttl.yaml', s), '--json', '-']);
    const rep = JSON.parse(r.stdout);
    expect(rep.expectations.filter((e: { ok: boolean }) => !e.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(rep.probes.ttl1.errno).toBe('EHOSTUNREACH');
  });
});

describe('JSON scenario files', () => {
  const json = (extra: string) => `{
  "netsim": 1,
  "hosts": ["a"],
  "steps": [{ "in": "a", "run": "ip link set lo up" }],
  "traffic": [{ "name": "self", "from": "a", "ping": "127.0.0.1"${extra} }],
  "expect": [{ "probe": "self", "received": 1 }]
}
`;
  it('runs like YAML, and errors carry file:line:col', async () => {
    const ok = await netsim(['run', file('s.json', json(''))]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1/1 expectations hold');
    const f = file('bad.json', json(', "cuont": 2'));
    const bad = await netsim(['validate', f]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: `),
    );
    expect(bad.stderr).toContain('cuont');
  });
});
