// tshark as an independent oracle for DNS messages our emitter compresses: it must decode every name
// (pointers included) and record as we meant them, with no malformed-packet or expert warnings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csumFull } from '../../src/wire/checksum.js';
import { DnsType, dnsMessage, dnsMessageMaxLen, emitDns } from '../../src/wire/dns.js';
import { emitUdp } from '../../src/wire/udp.js';
import { hasTshark, tsharkFields, tsharkJson, tsharkProblems, warnNoTshark } from '../support/tshark.js';

warnNoTshark('DNS tshark oracle');

const ip4 = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** A classic pcap file (LINKTYPE_RAW = 101) holding one IPv4/UDP packet per DNS payload. */
function pcapOf(payloads: Uint8Array[]): Uint8Array {
  const pkts = payloads.map((dns) => {
    const ipLen = 20 + 8 + dns.length;
    const p = new Uint8Array(ipLen);
    p.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0]);
    const src = ip4('10.9.0.2');
    const dst = ip4('10.9.0.1');
    new DataView(p.buffer).setUint32(12, src);
    new DataView(p.buffer).setUint32(16, dst);
    new DataView(p.buffer).setUint16(10, csumFull(p, 0, 20));
    emitUdp({ srcPort: 53, dstPort: 40000, payload: dns }, p, 20, src, dst);
    return p;
  });
  const total = 24 + pkts.reduce((a, p) => a + 16 + p.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 101, true);
  let o = 24;
  pkts.forEach((p, i) => {
    dv.setUint32(o, i + 1, true);
    dv.setUint32(o + 8, p.length, true);
    dv.setUint32(o + 12, p.length, true);
    out.set(p, o + 16);
    o += 16 + p.length;
  });
  return out;
}

const RESPONSE = dnsMessage({
  id: 0x7459,
  qr: true,
  rd: true,
  ra: true,
  questions: [{ name: 'www.example.com', type: DnsType.A, class: 1 }],
  answers: [
    { name: 'www.example.com', class: 1, ttl: 3600, data: { kind: 'CNAME', name: 'web.example.com' } },
    { name: 'web.example.com', class: 1, ttl: 300, data: { kind: 'A', address: ip4('93.184.216.34') } },
  ],
});
const SRV = dnsMessage({
  id: 2,
  qr: true,
  aa: true,
  questions: [{ name: '_http._tcp.example.com', type: DnsType.SRV, class: 1 }],
  answers: [
    {
      name: '_http._tcp.example.com',
      class: 1,
      ttl: 60,
      data: { kind: 'SRV', priority: 1, weight: 5, port: 8080, target: 'www.example.com' },
    },
  ],
  additionals: [
    {
      name: 'www.example.com',
      class: 1,
      ttl: 60,
      data: { kind: 'AAAA', address: Uint8Array.from([0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 1]) },
    },
    { name: '2.0.9.10.in-addr.arpa', class: 1, ttl: 60, data: { kind: 'PTR', name: 'web.example.com' } },
  ],
});

function payload(m: typeof RESPONSE): Uint8Array {
  const b = new Uint8Array(dnsMessageMaxLen(m));
  return b.slice(0, emitDns(m, b, 0));
}

describe.skipIf(!hasTshark)('DNS decoded by tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netsim-dns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dns.pcap');
  writeFileSync(file, pcapOf([payload(RESPONSE), payload(SRV)]));

  it('reports no problems', () => {
    for (const layers of tsharkJson(file)) expect(tsharkProblems(layers)).toEqual([]);
  });

  it('decodes names, pointers and records as emitted', () => {
    const rows = tsharkFields(file, [
      'dns.id',
      'dns.qry.name',
      'dns.resp.name',
      'dns.cname',
      'dns.a',
      'dns.srv.port',
      'dns.srv.target',
      'dns.aaaa',
      'dns.ptr.domain_name',
    ]);
    expect(rows[0]).toEqual([
      '0x7459',
      'www.example.com',
      'www.example.com,web.example.com',
      'web.example.com',
      '93.184.216.34',
      '',
      '',
      '',
      '',
    ]);
    expect(rows[1]).toEqual([
      '0x0002',
      '_http._tcp.example.com',
      'www.example.com,2.0.9.10.in-addr.arpa', // tshark files the SRV owner under dns.srv.* instead
      '',
      '',
      '8080',
      'www.example.com',
      '2001:db8::1',
      'web.example.com',
    ]);
  });
});
