// tshark as an oracle: a pcapng written by PcapngWriter, holding frames built with the project's wire
// emitters (and small local helpers where an emitter does not exist yet), must be read by tshark with
// our interface names and nanosecond timestamps, and every layer must decode with the expected fields,
// checksum validation on, and no malformed-packet or warning/error expert info.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSink, PcapngWriter } from '../../src/trace/pcapng.js';
import { ARP_OP, emitArp } from '../../src/wire/arp.js';
import { csumFull } from '../../src/wire/checksum.js';
import { ETHERTYPE, emitEthernet, ethPadToMin } from '../../src/wire/ethernet.js';
import { ipv4 } from '../../src/wire/ipv4-address.js';
import { MAC_BROADCAST, MAC_ZERO, type Mac, parseMac } from '../../src/wire/mac.js';
import { emitUdp } from '../../src/wire/udp.js';
import {
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

// ---- local helpers, until src/wire/{ipv4,icmp}.ts exist ----

/** RFC 791 header without options, DF set, checksum filled in; returns 20. */
function putIpv4(
  u8: Uint8Array,
  off: number,
  proto: number,
  src: number,
  dst: number,
  payloadLen: number,
): number {
  const total = 20 + payloadLen;
  u8.set([0x45, 0, total >>> 8, total & 0xff, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0], off);
  for (let i = 0; i < 4; i++) {
    u8[off + 12 + i] = (src >>> (24 - 8 * i)) & 0xff;
    u8[off + 16 + i] = (dst >>> (24 - 8 * i)) & 0xff;
  }
  const c = csumFull(u8, off, 20);
  u8[off + 10] = c >>> 8;
  u8[off + 11] = c & 0xff;
  return 20;
}

/** RFC 792 echo request with a 56-byte payload like iputils ping; returns its length. */
function putIcmpEcho(u8: Uint8Array, off: number, id: number, seq: number): number {
  const len = 8 + 56;
  u8.set([8, 0, 0, 0, id >>> 8, id & 0xff, seq >>> 8, seq & 0xff], off);
  for (let i = 0; i < 56; i++) u8[off + 8 + i] = 0x10 + i;
  const c = csumFull(u8, off, len);
  u8[off + 2] = c >>> 8;
  u8[off + 3] = c & 0xff;
  return len;
}

// ---- the frames ----

interface Case {
  name: string;
  ifName: string;
  timeNs: number;
  frame: Uint8Array;
  comment?: string;
  check: (l: TsharkLayers) => void;
}

function arpRequest(): Uint8Array {
  const u8 = new Uint8Array(64);
  let n = emitEthernet({ dst: MAC_BROADCAST, src: MAC1, ethertype: ETHERTYPE.ARP, vlan: null }, u8, 0);
  n += emitArp({ oper: ARP_OP.Request, sha: MAC1, spa: IP1, tha: MAC_ZERO, tpa: IP2 }, u8, n);
  return u8.slice(0, ethPadToMin(u8, 0, n));
}

function icmpEcho(): Uint8Array {
  const u8 = new Uint8Array(200);
  const eth = emitEthernet({ dst: MAC2, src: MAC1, ethertype: ETHERTYPE.IPv4, vlan: null }, u8, 0);
  const icmpLen = putIcmpEcho(u8, eth + 20, 0x1c2d, 1);
  putIpv4(u8, eth, 1, IP1, IP2, icmpLen);
  return u8.slice(0, eth + 20 + icmpLen);
}

function udpDatagram(): Uint8Array {
  const u8 = new Uint8Array(200);
  const payload = new TextEncoder().encode('hello netsim');
  const eth = emitEthernet({ dst: MAC2, src: MAC1, ethertype: ETHERTYPE.IPv4, vlan: null }, u8, 0);
  const udpLen = emitUdp({ srcPort: 40001, dstPort: 5000, payload }, u8, eth + 20, IP1, IP2);
  putIpv4(u8, eth, 17, IP1, IP2, udpLen);
  return u8.slice(0, eth + 20 + udpLen);
}

const CASES: Case[] = [
  {
    name: 'ARP request',
    ifName: 'host1/docker0',
    timeNs: 1_000_000_001,
    frame: arpRequest(),
    comment: 'who-has 172.17.0.3',
    check: (l) => {
      expect(findField(l, 'eth.dst')).toBe('ff:ff:ff:ff:ff:ff');
      expect(findField(l, 'eth.type')).toBe('0x0806');
      expect(findField(l, 'arp.opcode')).toBe('1');
      expect(findField(l, 'arp.src.hw_mac')).toBe('02:42:ac:11:00:02');
      expect(findField(l, 'arp.src.proto_ipv4')).toBe('172.17.0.2');
      expect(findField(l, 'arp.dst.proto_ipv4')).toBe('172.17.0.3');
    },
  },
  {
    name: 'ICMP echo request',
    ifName: 'c1/eth0',
    timeNs: 2 ** 32 + 7, // past 2^32 ns: the upper timestamp word is used
    frame: icmpEcho(),
    check: (l) => {
      expect(findField(l, 'ip.src')).toBe('172.17.0.2');
      expect(findField(l, 'ip.dst')).toBe('172.17.0.3');
      expect(findField(l, 'ip.checksum.status')).toBe('1');
      expect(findField(l, 'icmp.type')).toBe('8');
      expect(findField(l, 'icmp.ident')).toBe(String(0x1c2d));
      expect(findField(l, 'icmp.seq')).toBe('1');
      expect(findField(l, 'icmp.checksum.status')).toBe('1');
    },
  },
  {
    name: 'UDP datagram',
    ifName: 'c1/eth0',
    timeNs: 2 ** 40 + 123_456_789,
    frame: udpDatagram(),
    check: (l) => {
      expect(findField(l, 'udp.srcport')).toBe('40001');
      expect(findField(l, 'udp.dstport')).toBe('5000');
      expect(findField(l, 'udp.length')).toBe('20');
      expect(findField(l, 'udp.checksum.status')).toBe('1');
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

  it('reads every packet', () => {
    expect(packets).toHaveLength(CASES.length);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: interface, time, fields, no problems', (_n, i) => {
    const c = CASES[i]!;
    const l = packets[i]!;
    expect(findField(l, 'frame.interface_name')).toBe(c.ifName);
    const secs = Math.floor(c.timeNs / 1e9);
    const frac = String(c.timeNs - secs * 1e9).padStart(9, '0');
    expect(findField(l, 'frame.time_epoch')).toBe(`${secs}.${frac}`);
    expect(findField(l, 'frame.len')).toBe(String(c.frame.length));
    if (c.comment !== undefined) expect(JSON.stringify(l)).toContain(c.comment);
    c.check(l);
    expect(tsharkProblems(l)).toEqual([]);
  });
});

// The oracle must have teeth: the same frames, broken on purpose, must be reported.
describe.skipIf(!hasTshark)('tshark problem detection', () => {
  it('flags bad IPv4, ICMP and UDP checksums and a truncated (malformed) packet', () => {
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
      const truncated = icmpEcho().slice(0, 14 + 20 + 4); // IPv4 total length promises 84 bytes
      for (const f of [badIp, badIcmp, badUdp, truncated]) w.writePacket(id, 0, f, 0, f.length);
      w.close();
      const problems = tsharkJson(file).map((l) => tsharkProblems(l).join('; '));
      expect(problems[0]).toMatch(/ip\.checksum\.status: bad checksum/);
      expect(problems[1]).toMatch(/icmp\.checksum\.status: bad checksum/);
      expect(problems[2]).toMatch(/udp\.checksum\.status: bad checksum/);
      expect(problems[3]).toMatch(/malformed|expert (warning|error)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
