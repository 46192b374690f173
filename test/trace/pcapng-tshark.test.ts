// tshark as an oracle: a pcapng written by PcapngWriter, holding frames built with the project's wire
// emitters (src/wire/*), must be read by tshark with our interface names and nanosecond timestamps,
// and every layer must decode with the expected fields, with checksum validation on, and with no
// malformed-packet or warning/error expert info. The VXLAN frame is encapsulated in a frame-pool slot's headroom, as the data plane will do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramePool } from '../../src/core/frame-pool.js';
import { FileSink, PcapngWriter } from '../../src/trace/pcapng.js';
import { ARP_OP, emitArp } from '../../src/wire/arp.js';
import { DnsClass, DnsType, dnsMessage, dnsMessageMaxLen, emitDns } from '../../src/wire/dns.js';
import { ETHERTYPE, emitEthernet, ethPadToMin } from '../../src/wire/ethernet.js';
import { emitIcmp } from '../../src/wire/icmp.js';
import { emitIpv4, IPPROTO } from '../../src/wire/ipv4.js';
import { ipv4 } from '../../src/wire/ipv4-address.js';
import { MAC_BROADCAST, MAC_ZERO, type Mac, parseMac } from '../../src/wire/mac.js';
import { emitTcp, TcpFlag, type TcpOptions } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';
import {
  VXLAN_OVERHEAD_IPV4,
  VXLAN_PORT_IANA,
  vxlanDefaultParams,
  vxlanEncapHeaders,
} from '../../src/wire/vxlan.js';
import {
  findAll,
  findField,
  hasTshark,
  type TsharkLayers,
  tsharkJson,
  tsharkProblems,
  warnNoTshark,
} from '../support/tshark.js';

warnNoTshark('pcapng/tshark oracle (test/trace/pcapng-tshark.test.ts)');

const MAC1: Mac = parseMac('02:42:ac:11:00:02');
const MAC2: Mac = parseMac('02:42:ac:11:00:03');
const IP1 = ipv4(172, 17, 0, 2);
const IP2 = ipv4(172, 17, 0, 3);
const GW_IP = ipv4(172, 17, 0, 1);

// ---- frame builders (project emitters) ----

/** Ethernet + IPv4 (DF, TTL 64) around an L4 payload written by `l4` at the offset it is given. */
function ipFrame(
  src: number,
  dst: number,
  proto: number,
  l4: (u8: Uint8Array, off: number) => number,
): Uint8Array {
  const u8 = new Uint8Array(1600);
  const eth = emitEthernet({ dst: MAC2, src: MAC1, ethertype: ETHERTYPE.IPv4, vlan: null }, u8, 0);
  const l4Len = l4(u8, eth + 20);
  const ihl = emitIpv4(
    {
      tos: 0,
      ident: 0x1234,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      proto,
      src,
      dst,
      options: new Uint8Array(0),
      payloadLen: l4Len,
    },
    u8,
    eth,
  );
  expect(ihl).toBe(20);
  return u8.slice(0, ethPadToMin(u8, 0, eth + ihl + l4Len));
}

function arpRequest(): Uint8Array {
  const u8 = new Uint8Array(64);
  let n = emitEthernet({ dst: MAC_BROADCAST, src: MAC1, ethertype: ETHERTYPE.ARP, vlan: null }, u8, 0);
  n += emitArp({ oper: ARP_OP.Request, sha: MAC1, spa: IP1, tha: MAC_ZERO, tpa: IP2 }, u8, n);
  return u8.slice(0, ethPadToMin(u8, 0, n));
}

/** iputils ping's 56 data bytes: 8 bytes of timestamp, then 0x10, 0x11, … */
const PING_DATA = Uint8Array.from({ length: 56 }, (_, i) => (i < 8 ? i : 0x10 + i - 8));

const icmpEcho = () =>
  ipFrame(IP1, IP2, IPPROTO.ICMP, (u8, off) =>
    emitIcmp({ kind: 'echo', type: 8, ident: 0x1c2d, seq: 1, data: PING_DATA }, u8, off),
  );

const udpDatagram = () =>
  ipFrame(IP1, IP2, IPPROTO.UDP, (u8, off) =>
    emitUdp(
      { srcPort: 40001, dstPort: 5000, payload: new TextEncoder().encode('hello netsim') },
      u8,
      off,
      IP1,
      IP2,
    ),
  );

/** Linux's SYN options: MSS, SACK permitted, timestamps, window scale. */
const SYN_OPTS: TcpOptions = {
  mss: 1460,
  sackPermitted: true,
  timestamp: { tsVal: 1000, tsEcr: 0 },
  windowScale: 7,
};
const tcpSeg = (
  src: number,
  dst: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  options: TcpOptions,
  window: number,
) =>
  ipFrame(src, dst, IPPROTO.TCP, (u8, off) =>
    emitTcp(
      {
        srcPort: sport,
        dstPort: dport,
        seq,
        ack,
        flags,
        window,
        urgent: 0,
        options,
        payload: new Uint8Array(0),
      },
      u8,
      off,
      src,
      dst,
    ),
  );
const ISN_C = 0x1000_0000;
const ISN_S = 0xfedc_ba98; // near 2^32: sequence arithmetic must wrap correctly in tshark's eyes
const tcpSyn = () => tcpSeg(IP1, IP2, 45678, 5432, ISN_C, 0, TcpFlag.SYN, SYN_OPTS, 64240);
const tcpSynAck = () =>
  tcpSeg(
    IP2,
    IP1,
    5432,
    45678,
    ISN_S,
    ISN_C + 1,
    TcpFlag.SYN | TcpFlag.ACK,
    { ...SYN_OPTS, timestamp: { tsVal: 2000, tsEcr: 1000 } },
    65160,
  );
const tcpAck = () =>
  tcpSeg(
    IP1,
    IP2,
    45678,
    5432,
    ISN_C + 1,
    (ISN_S + 1) >>> 0,
    TcpFlag.ACK,
    { timestamp: { tsVal: 1001, tsEcr: 2000 } },
    502,
  );

// ---- DNS (RFC 1035 §4.1) ----

const QNAME = 'db.netsim.test';
function dnsBytes(answer: boolean): Uint8Array {
  const m = dnsMessage({
    id: 0xbeef,
    qr: answer,
    rd: true,
    ra: answer,
    questions: [{ name: QNAME, type: DnsType.A, class: DnsClass.IN }],
    answers: answer ? [{ name: QNAME, class: DnsClass.IN, ttl: 600, data: { kind: 'A', address: IP2 } }] : [],
  });
  const u8 = new Uint8Array(dnsMessageMaxLen(m));
  return u8.slice(0, emitDns(m, u8, 0));
}
const DNS_QUERY = dnsBytes(false);
const DNS_ANSWER = dnsBytes(true);
const dnsQuery = () =>
  ipFrame(IP1, GW_IP, IPPROTO.UDP, (u8, off) =>
    emitUdp({ srcPort: 53124, dstPort: 53, payload: DNS_QUERY }, u8, off, IP1, GW_IP),
  );
const dnsAnswer = () =>
  ipFrame(GW_IP, IP1, IPPROTO.UDP, (u8, off) =>
    emitUdp({ srcPort: 53, dstPort: 53124, payload: DNS_ANSWER }, u8, off, GW_IP, IP1),
  );

// ---- VXLAN: the ICMP echo, encapsulated in place in a pool slot's headroom ----

const pool = new FramePool({ check: true });
const UNDERLAY_SRC = ipv4(10, 0, 0, 1);
const UNDERLAY_DST = ipv4(10, 0, 0, 2);
function vxlanFrame(): Uint8Array {
  const h = pool.alloc();
  expect(pool.copyIn(h, icmpEcho())).toBe(true);
  const p = vxlanDefaultParams();
  Object.assign(p, {
    srcMacHi: 0x0242,
    srcMacLo: 0x0a000001,
    dstMacHi: 0x0242,
    dstMacLo: 0x0a000002,
    srcIp: UNDERLAY_SRC,
    dstIp: UNDERLAY_DST,
    vni: 4242,
    srcPort: 49152,
    dstPort: VXLAN_PORT_IANA,
  });
  const inner = pool.start[h]!;
  expect(vxlanEncapHeaders(pool.bytesOf(h), inner, pool.len[h]!, p)).toBe(inner - VXLAN_OVERHEAD_IPV4);
  expect(pool.prepend(h, VXLAN_OVERHEAD_IPV4)).toBe(true);
  const out = pool.view(h).slice();
  pool.free(h);
  return out;
}

// ---- the capture ----

interface Case {
  name: string;
  ifName: string;
  timeNs: number;
  frame: Uint8Array;
  comment?: string;
  check: (l: TsharkLayers) => void;
}

const f = findField;
const CASES: Case[] = [
  {
    name: 'ARP request',
    ifName: 'host1/docker0',
    timeNs: 1_000_000_001,
    frame: arpRequest(),
    comment: 'who-has 172.17.0.3',
    check: (l) => {
      expect(f(l, 'eth.dst')).toBe('ff:ff:ff:ff:ff:ff');
      expect(f(l, 'eth.type')).toBe('0x0806');
      expect(f(l, 'arp.opcode')).toBe('1');
      expect(f(l, 'arp.src.hw_mac')).toBe('02:42:ac:11:00:02');
      expect(f(l, 'arp.src.proto_ipv4')).toBe('172.17.0.2');
      expect(f(l, 'arp.dst.proto_ipv4')).toBe('172.17.0.3');
    },
  },
  {
    name: 'ICMP echo request',
    ifName: 'c1/eth0',
    timeNs: 2 ** 32 + 7, // past 2^32 ns: the upper timestamp word is used
    frame: icmpEcho(),
    check: (l) => {
      expect([f(l, 'ip.src'), f(l, 'ip.dst'), f(l, 'ip.ttl'), f(l, 'ip.flags.df')]).toEqual([
        '172.17.0.2',
        '172.17.0.3',
        '64',
        '1',
      ]);
      expect(f(l, 'ip.checksum.status')).toBe('1');
      expect([f(l, 'icmp.type'), f(l, 'icmp.code'), f(l, 'icmp.ident'), f(l, 'icmp.seq')]).toEqual([
        '8',
        '0',
        String(0x1c2d),
        '1',
      ]);
      expect(f(l, 'icmp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'UDP datagram',
    ifName: 'c1/eth0',
    timeNs: 2 ** 40 + 123_456_789,
    frame: udpDatagram(),
    check: (l) => {
      expect([f(l, 'udp.srcport'), f(l, 'udp.dstport'), f(l, 'udp.length')]).toEqual(['40001', '5000', '20']);
      expect(f(l, 'udp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'TCP SYN (MSS, SACK permitted, timestamps, window scale)',
    ifName: 'c1/eth0',
    timeNs: 3_000_000_000,
    frame: tcpSyn(),
    check: (l) => {
      expect([
        f(l, 'tcp.srcport'),
        f(l, 'tcp.dstport'),
        f(l, 'tcp.seq_raw'),
        f(l, 'tcp.flags.syn'),
        f(l, 'tcp.flags.ack'),
      ]).toEqual(['45678', '5432', String(ISN_C), '1', '0']);
      expect(f(l, 'tcp.options.mss_val')).toBe('1460');
      expect(f(l, 'tcp.options.sack_perm')).toBeDefined();
      expect(f(l, 'tcp.options.timestamp.tsval')).toBe('1000');
      expect(f(l, 'tcp.options.wscale.shift')).toBe('7');
      expect(f(l, 'tcp.hdr_len')).toBe('40');
      expect(f(l, 'tcp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'TCP SYN-ACK',
    ifName: 'c1/eth0',
    timeNs: 3_000_050_000,
    frame: tcpSynAck(),
    check: (l) => {
      expect([
        f(l, 'tcp.seq_raw'),
        f(l, 'tcp.ack_raw'),
        f(l, 'tcp.flags.syn'),
        f(l, 'tcp.flags.ack'),
      ]).toEqual([String(ISN_S), String(ISN_C + 1), '1', '1']);
      expect(f(l, 'tcp.options.timestamp.tsecr')).toBe('1000');
      expect(f(l, 'tcp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'TCP ACK completing the handshake',
    ifName: 'c1/eth0',
    timeNs: 3_000_100_000,
    frame: tcpAck(),
    check: (l) => {
      // Relative numbers prove tshark tied the three segments into one connection.
      expect([f(l, 'tcp.seq'), f(l, 'tcp.ack'), f(l, 'tcp.ack_raw')]).toEqual([
        '1',
        '1',
        String((ISN_S + 1) >>> 0),
      ]);
      expect(f(l, 'tcp.window_size')).toBe(String(502 * 128)); // scaled by the SYN-ACK's shift 7
      expect(f(l, 'tcp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'DNS query (A)',
    ifName: 'c1/eth0',
    timeNs: 4_000_000_000,
    frame: dnsQuery(),
    check: (l) => {
      expect([
        f(l, 'dns.id'),
        f(l, 'dns.flags.response'),
        f(l, 'dns.qry.name'),
        f(l, 'dns.qry.type'),
      ]).toEqual(['0xbeef', '0', QNAME, '1']);
      expect(f(l, 'udp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'DNS answer (A, compressed name)',
    ifName: 'c1/eth0',
    timeNs: 4_000_200_000,
    frame: dnsAnswer(),
    check: (l) => {
      expect([f(l, 'dns.flags.response'), f(l, 'dns.flags.rcode'), f(l, 'dns.count.answers')]).toEqual([
        '1',
        '0',
        '1',
      ]);
      // 12-byte header + 16-byte QNAME + QTYPE/QCLASS: the answer's name is a pointer to offset 12.
      expect([DNS_ANSWER[32], DNS_ANSWER[33]]).toEqual([0xc0, 0x0c]);
      expect(f(l, 'dns.resp.name')).toBe(QNAME); // decoded through the pointer
      expect([f(l, 'dns.resp.ttl'), f(l, 'dns.a')]).toEqual(['600', '172.17.0.3']);
      expect(f(l, 'dns.response_to')).toBe('7'); // tshark matched it to the query (frame 7)
    },
  },
  {
    name: 'VXLAN-encapsulated ICMP echo (UDP 4789, VNI 4242)',
    ifName: 'host1/eth0',
    timeNs: 5_000_000_000,
    frame: vxlanFrame(),
    comment: 'encapsulated in headroom',
    check: (l) => {
      expect(findAll(l, 'ip.src')).toEqual(['10.0.0.1', '172.17.0.2']);
      expect(findAll(l, 'ip.checksum.status')).toEqual(['1', '1']);
      expect([f(l, 'udp.dstport'), f(l, 'udp.srcport'), f(l, 'udp.checksum.status')]).toEqual([
        '4789',
        '49152',
        '1',
      ]);
      expect([f(l, 'vxlan.flag_i'), f(l, 'vxlan.vni')]).toEqual(['1', '4242']);
      expect(f(l, 'icmp.type')).toBe('8');
      expect(f(l, 'icmp.checksum.status')).toBe('1');
      expect(f(l, 'frame.len')).toBe(String(98 + 50));
    },
  },
];

describe.skipIf(!hasTshark)('pcapng read back by tshark', () => {
  let dir = '';
  let packets: TsharkLayers[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netsim-tshark-'));
    const file = join(dir, 'oracle.pcapng');
    const w = new PcapngWriter(new FileSink(file));
    const ids = new Map<string, number>();
    for (const c of CASES) if (!ids.has(c.ifName)) ids.set(c.ifName, w.addInterface(c.ifName));
    for (const c of CASES) w.writePacket(ids.get(c.ifName)!, c.timeNs, c.frame, 0, c.frame.length, c.comment);
    w.close();
    packets = tsharkJson(file);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads every packet, and the pool used for VXLAN has no leaks', () => {
    expect(packets).toHaveLength(CASES.length);
    expect(pool.leaks()).toEqual([]);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: interface, time, fields, no problems', (_n, i) => {
    const c = CASES[i]!;
    const l = packets[i]!;
    expect(f(l, 'frame.interface_name')).toBe(c.ifName);
    const secs = Math.floor(c.timeNs / 1e9);
    const frac = String(c.timeNs - secs * 1e9).padStart(9, '0');
    expect(f(l, 'frame.time_epoch')).toBe(`${secs}.${frac}`);
    expect(f(l, 'frame.len')).toBe(String(c.frame.length));
    if (c.comment !== undefined) expect(findAll(l, 'frame.comment')).toContain(c.comment);
    c.check(l);
    expect(tsharkProblems(l)).toEqual([]);
  });
});

// The oracle must have teeth: the same frames, broken on purpose, must be reported.
describe.skipIf(!hasTshark)('tshark problem detection', () => {
  it('flags bad IPv4, ICMP, UDP and TCP checksums and a truncated (malformed) packet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsim-tshark-bad-'));
    try {
      const file = join(dir, 'bad.pcapng');
      const w = new PcapngWriter(new FileSink(file));
      const id = w.addInterface('bad/eth0');
      const badIp = icmpEcho();
      badIp[14 + 10]! ^= 0xff; // IPv4 header checksum
      const badIcmp = icmpEcho();
      badIcmp[14 + 20 + 2]! ^= 0xff; // ICMP checksum
      const badUdp = udpDatagram();
      badUdp[14 + 20 + 6]! ^= 0x01; // UDP checksum
      const badTcp = tcpSyn();
      badTcp[14 + 20 + 16]! ^= 0x01; // TCP checksum
      const truncated = icmpEcho().slice(0, 14 + 20 + 4); // IPv4 total length promises 84 bytes
      for (const fr of [badIp, badIcmp, badUdp, badTcp, truncated]) w.writePacket(id, 0, fr, 0, fr.length);
      w.close();
      const problems = tsharkJson(file).map((l) => tsharkProblems(l).join('; '));
      expect(problems[0]).toMatch(/ip\.checksum\.status: bad checksum/);
      expect(problems[1]).toMatch(/icmp\.checksum\.status: bad checksum/);
      expect(problems[2]).toMatch(/udp\.checksum\.status: bad checksum/);
      expect(problems[3]).toMatch(/tcp\.checksum\.status: bad checksum/);
      expect(problems[4]).toMatch(/malformed|expert (warning|error)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
