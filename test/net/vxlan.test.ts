// VXLAN against the real kernel: the overlay of test/fixtures/overlay/record.sh (Linux 6.18, iproute2
// 6.1; br_netfilter off on the hosts) rebuilt with the same commands, the recorded inner frames
// injected at the container, and netsim's underlay packets compared with the recorded ones in every
// field the kernel fixes. Fields Linux derives from secrets (outer IP Identification, the hashed UDP
// source port) and the checksums that depend on them are checked for validity instead; the recorded
// UDP checksums themselves are not final (veth offload leaves CHECKSUM_PARTIAL seeds in captures).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CommandError, runCommandLine } from '../../src/control/command.js';
import { Drop } from '../../src/net/drop-reason.js';
import { rd16 } from '../../src/wire/bytes.js';
import { csumVerifies, fold, pseudoHeaderSum, sumBytes } from '../../src/wire/checksum.js';
import {
  buildOverlay,
  Capture,
  deliver,
  expectNoLeaks,
  FIX,
  hex,
  inject,
  recorded,
} from './overlay-helpers.js';

const isVxlan = (b: Uint8Array): boolean =>
  b.length > 50 && rd16(b, 12) === 0x0800 && b[23] === 17 && rd16(b, 36) === 4789;

function udpChecksumOk(b: Uint8Array): boolean {
  const ulen = rd16(b, 38);
  const src = ((b[26]! << 24) | (b[27]! << 16) | (b[28]! << 8) | b[29]!) >>> 0;
  const dst = ((b[30]! << 24) | (b[31]! << 16) | (b[32]! << 8) | b[33]!) >>> 0;
  return fold(sumBytes(b, 34, ulen, pseudoHeaderSum(src, dst, 17, ulen))) === 0xffff;
}

/** Completes the UDP checksum of the IPv4 packet at `ip` (captures on veth hold CHECKSUM_PARTIAL seeds). */
function fixUdpChecksum(b: Uint8Array, ip = 14): void {
  const u = ip + 20;
  b[u + 6] = 0;
  b[u + 7] = 0;
  const ulen = rd16(b, u + 4);
  const src = ((b[ip + 12]! << 24) | (b[ip + 13]! << 16) | (b[ip + 14]! << 8) | b[ip + 15]!) >>> 0;
  const dst = ((b[ip + 16]! << 24) | (b[ip + 17]! << 16) | (b[ip + 18]! << 8) | b[ip + 19]!) >>> 0;
  const c = ~fold(sumBytes(b, u, ulen, pseudoHeaderSum(src, dst, 17, ulen))) & 0xffff;
  b[u + 6] = c >>> 8;
  b[u + 7] = c & 0xff;
}

/** Bytes the kernel fixes: everything but IP ID (18-19), IP checksum (24-25), UDP sport (34-35), UDP checksum (40-41). */
function fixedBytes(b: Uint8Array): number[] {
  return [...b].filter(
    (_, i) => !(i === 18 || i === 19 || i === 24 || i === 25 || i === 34 || i === 35 || i === 40 || i === 41),
  );
}

describe('vxlan: underlay packets as Linux 6.18 sends them', () => {
  const rec = recorded('vxlan-underlay.json').frames.filter((f) => isVxlan(hex(f.hex)));

  it('the recording holds the ping request, its reply and the UDP datagram', () => {
    expect(rec.map((f) => f.dir)).toEqual(['out', 'in', 'out']);
  });

  it('encapsulates the container frames byte for byte in every fixed field', () => {
    const o = buildOverlay();
    const cap = new Capture(o.world, [o.ns.h1.device('eth0')!]);
    for (const f of rec.filter((r) => r.dir === 'out')) {
      const want = hex(f.hex);
      cap.frames.length = 0;
      inject(o.world, o.ns.c1.device('eth0')!, want.subarray(50));
      const got = cap.sent().filter(isVxlan);
      expect(got).toHaveLength(1);
      const g = got[0]!;
      expect(g.length).toBe(want.length);
      expect(fixedBytes(g)).toEqual(fixedBytes(want));
      // Outer IPv4 header checksum and UDP checksum valid (udpcsum is the default), source port in
      // the default ip_local_port_range, DF clear and TTL 64 (checked by the fixed bytes above).
      expect(csumVerifies(g, 14, 20)).toBe(true);
      expect(rd16(g, 40)).not.toBe(0);
      expect(udpChecksumOk(g)).toBe(true);
      expect(rd16(g, 34)).toBeGreaterThanOrEqual(32768);
      expect(rd16(g, 34)).toBeLessThan(60999);
    }
    const bal = expectNoLeaks(o.world);
    // The injected frames were delivered to c2 (ICMP echo answered, UDP without a socket refused).
    expect(bal.live).toBe(0);
  });

  it('decapsulates the recorded reply and hands the inner frame to the container unchanged', () => {
    const o = buildOverlay();
    const cap = new Capture(o.world, [o.ns.c1.device('eth0')!]);
    const reply = hex(rec.find((r) => r.dir === 'in')!.hex);
    // AF_PACKET on a veth sees CHECKSUM_PARTIAL packets: the recorded UDP checksum field holds the
    // pseudo-header seed that offload would complete. Complete it as the wire would carry it.
    fixUdpChecksum(reply);
    deliver(o.world, o.ns.h1.device('eth0')!, reply);
    const got = cap.frames.filter((f) => f.dir === 0);
    expect(got).toHaveLength(1);
    expect([...got[0]!.bytes]).toEqual([...reply.subarray(50)]);
    expect(o.world.pool.liveCount).toBe(0);
  });
});

describe('vxlan: MTU and the underlay (recorded: vxlan-big-*.json)', () => {
  it('a bridged DF packet 1 byte over the tunnel MTU gets ICMP fragmentation needed (mtu 1450, 548-byte quote)', () => {
    const big = recorded('vxlan-big-c1.json').frames;
    const req = hex(
      big.find((f) => f.dir === 'out' && f.hex.length / 2 === 1465 && rd16(hex(f.hex), 20) === 0x4000)!.hex,
    );
    const icmpWant = hex(big.find((f) => f.dir === 'in' && f.hex.length / 2 === 590)!.hex);
    const o = buildOverlay();
    const cap = new Capture(o.world, [o.ns.c1.device('eth0')!, o.ns.h1.device('eth0')!]);
    inject(o.world, o.ns.c1.device('eth0')!, req);
    const back = cap.frames.filter((f) => f.dev === 'eth0' && f.dir === 0 && f.bytes.length === 590);
    expect(back).toHaveLength(1);
    expect([...back[0]!.bytes]).toEqual([...icmpWant]);
    // Nothing reached the underlay.
    expect(cap.frames.filter((f) => isVxlan(f.bytes))).toHaveLength(0);
    expect(o.vx1.pmtudReplies).toBe(1);
    expect(o.world.pool.liveCount).toBe(0);
  });

  it('a non-DF inner packet over the tunnel MTU leaves as two outer fragments (DF unset), as recorded from h2', () => {
    const rec = recorded('vxlan-big-underlay.json').frames.map((f) => ({ dir: f.dir, b: hex(f.hex) }));
    // The recorded 1514 + 35 octet pair: h2's echo reply (1451-octet inner IPv4) fragmented by the underlay.
    const frag1 = rec.find((f) => f.dir === 'in' && f.b.length === 1514 && (rd16(f.b, 20) & 0x2000) !== 0)!.b;
    const frag2 = rec.find((f) => f.dir === 'in' && f.b.length === 35)!.b;
    const o = buildOverlay();
    const cap = new Capture(o.world, [o.ns.h2.device('eth0')!]);
    // The inner frame: UDP payload of the first fragment after the VXLAN header, plus the second's data.
    const inner = new Uint8Array(1465);
    inner.set(frag1.subarray(50));
    inner.set(frag2.subarray(34), 1514 - 50);
    inject(o.world, o.ns.c2.device('eth0')!, inner);
    const out = cap.sent();
    expect(out.map((b) => b.length)).toEqual([1514, 35]);
    // Same fragmentation as Linux: MF + offset 0, then offset 185 (1480/8); fixed bytes equal.
    expect(rd16(out[0]!, 20)).toBe(0x2000);
    expect(rd16(out[1]!, 20)).toBe(0x00b9);
    expect(fixedBytes(out[0]!).slice(0, 30)).toEqual(fixedBytes(frag1).slice(0, 30));
    expect([...out[0]!.subarray(42)]).toEqual([...frag1.subarray(42)]);
    expect([...out[1]!.subarray(34)]).toEqual([...frag2.subarray(34)]);
    // h1 reassembles the outer fragments (ip_defrag) before the tunnel's UDP socket sees them.
    expect(o.world.dropCounts[Drop.FragNotReassembled]).toBe(0);
    expect(o.world.dropCounts[Drop.FragReasmTimeout]).toBe(0);
    expect(o.world.pool.liveCount).toBe(0);
  });
});

describe('vxlan: configuration as iproute2 6.1 prints it', () => {
  const fx = (name: string): string => readFileSync(new URL(name, FIX), 'utf8');

  it('ip -d link show vxlan0 (kind line) and -j linkinfo', () => {
    const o = buildOverlay();
    const text = o.run(o.ns.h1, 'ip -d link show vxlan0');
    const want = fx('ip-d-link-vxlan0.txt').split('\n')[3]!;
    const kindLine = text.split('\n')[2]!;
    expect(want.trim()).toBe(kindLine.trim());
    const j = JSON.parse(o.run(o.ns.h1, 'ip -d -j link show vxlan0'))[0];
    const jw = JSON.parse(fx('ip-d-j-link-vxlan0.txt').split('\n').slice(1).join('\n'))[0];
    expect(j.linkinfo.info_data).toEqual(jw.linkinfo.info_data);
    expect(j.mtu).toBe(1450);
  });

  it('bridge fdb show dev vxlan0 lists the default entry', () => {
    const o = buildOverlay();
    expect(o.run(o.ns.h1, 'bridge fdb show dev vxlan0')).toContain(
      '00:00:00:00:00:00 dst 192.168.100.2 self permanent\n',
    );
    const wantJ = JSON.parse(fx('bridge-fdb-j-vxlan0.txt').split('\n').slice(1).join('\n')) as Array<{
      mac: string;
    }>;
    const j = JSON.parse(o.run(o.ns.h1, 'bridge -j fdb show dev vxlan0')) as Array<{ mac: string }>;
    expect(j.find((e) => e.mac === '00:00:00:00:00:00')).toEqual(
      wantJ.find((e) => e.mac === '00:00:00:00:00:00'),
    );
  });

  it('ip link add variants: words, JSON, errors and the dstport warning', () => {
    const o = buildOverlay();
    const x = o.world.addNamespace('ovrec-x');
    o.run(x, 'ip link add eth0 type veth peer name peer0');
    const lines = fx('vxlan-add-variants.txt').split('\n');
    const d = fx('vxlan-variants-d.txt').split('\n');
    const dj = fx('vxlan-variants-dj.txt')
      .split('\n')
      .filter((l) => l.startsWith('['))
      .map((l) => JSON.parse(l)[0]);
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (!l.startsWith('$ ip link add ')) continue;
      const cmd = l.slice(2);
      const out: string[] = [];
      for (let k = i + 1; k < lines.length && !lines[k]!.startsWith('[exit'); k++) out.push(lines[k]!);
      const exit = Number(/\[exit (\d+)\]/.exec(lines[i + 1 + out.length]!)![1]);
      let got: { stdout: string; stderr?: string } | null = null;
      let err: CommandError | null = null;
      try {
        got = runCommandLine({ world: o.world, ns: x }, cmd) as { stdout: string; stderr?: string };
      } catch (e) {
        err = e as CommandError;
      }
      if (exit === 0) {
        expect(err, cmd).toBeNull();
        expect(got!.stderr ?? '', cmd).toBe(out.length > 0 ? `${out.join('\n')}\n` : '');
        const name = cmd.split(' ')[3]!;
        const kernel = d.find((t) => t.startsWith('    vxlan') && d[d.indexOf(t) - 2]?.includes(` ${name}:`));
        if (kernel !== undefined) {
          const ours = o.run(x, `ip -d link show ${name}`).split('\n')[2]!.trim();
          expect(kernel.trim().startsWith(ours), `${cmd}\n${ours}`).toBe(true);
        }
        const kj = dj.find((e) => e.ifname === name);
        if (kj !== undefined) {
          const oj = JSON.parse(o.run(x, `ip -d -j link show ${name}`))[0];
          expect(oj.linkinfo.info_data, cmd).toEqual(kj.linkinfo.info_data);
          expect(oj.mtu, cmd).toBe(kj.mtu);
        }
      } else {
        expect(err, cmd).not.toBeNull();
        expect(err!.message, cmd).toBe(out[0]);
        expect(err!.exitCode, cmd).toBe(exit);
      }
    }
    expect(o.run(x, 'bridge fdb show')).toContain(
      '00:00:00:00:00:00 dev vx3 dst 239.1.1.1 via eth0 self permanent\n',
    );
  });

  it('a user socket on the port makes `ip link set vxlan up` fail; the vxlan port refuses user binds', async () => {
    const { transportOf } = await import('../../src/net/transport/transport.js');
    const o = buildOverlay();
    const t = transportOf(o.ns.h1);
    const s = t.udp.open({ onDatagram: () => {} });
    expect(s.bind(0, 4789)).not.toBe(0);
    const s2 = t.udp.open({ onDatagram: () => {} });
    expect(s2.bind(0, 5555)).toBe(0);
    o.run(o.ns.h1, 'ip link add vx9 type vxlan id 9 dstport 5555');
    expect(() => o.run(o.ns.h1, 'ip link set vx9 up')).toThrow('RTNETLINK answers: Address already in use');
    expect(o.ns.h1.device('vx9')!.adminUp).toBe(false);
  });
});

describe('vxlan: tshark decodes netsim overlay captures', () => {
  it('VXLAN with VNI 4097, inner Ethernet/IPv4/ICMP, no malformed or checksum expert info', async () => {
    const { hasTshark, tsharkFields, runTshark, warnNoTshark } = await import('../support/tshark.js');
    if (!hasTshark) {
      warnNoTshark('vxlan pcapng decode');
      return;
    }
    const { FileSink, PcapngWriter } = await import('../../src/trace/pcapng.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const o = buildOverlay();
    const cap = new Capture(o.world, [o.ns.h1.device('eth0')!]);
    const rec = recorded('vxlan-underlay.json').frames.filter((f) => f.dir === 'out' && isVxlan(hex(f.hex)));
    for (const f of rec) {
      const inner = hex(f.hex).subarray(50);
      if (inner[23] === 17) fixUdpChecksum(inner); // the recorded inner UDP checksum is an offload seed
      inject(o.world, o.ns.c1.device('eth0')!, inner);
    }
    const file = join(mkdtempSync(join(tmpdir(), 'netsim-vxlan-')), 'overlay.pcapng');
    const wr = new PcapngWriter(new FileSink(file));
    const ifId = wr.addInterface('h1/eth0');
    for (const fr of cap.frames) wr.writePacket(ifId, fr.t, fr.bytes, 0, fr.bytes.length);
    wr.close();
    const rows = tsharkFields(file, ['vxlan.vni', 'frame.protocols'], { filter: 'vxlan' });
    expect(rows.length).toBe(4); // request + reply of the ping, the UDP datagram and c2's port unreachable
    for (const r of rows) {
      expect(r[0]).toBe('4097');
      expect(r[1]).toMatch(/^eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:/);
    }
    const expert = runTshark(file, ['-z', 'expert,warn', '-q']);
    expect(expert.stdout, expert.stdout).not.toMatch(/Malformed|Bad checksum|incorrect/i);
  });
});
