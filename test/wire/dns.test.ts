// Golden-byte tests for DNS messages (RFC 1035, RFC 3596, RFC 2782).
import { describe, expect, it } from 'vitest';
import {
  checkDns,
  DnsBad,
  DnsHeaderView,
  DnsType,
  dnsLabelsToName,
  dnsMessage,
  dnsMessageMaxLen,
  dnsNameEquals,
  dnsNameToLabels,
  dnsParseReverseNameV4,
  dnsReverseNameV4,
  emitDns,
  parseDns,
} from '../../src/wire/dns.js';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .replace(/\s+/g, '')
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16)),
  );
const ip4 = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

// Captured on Linux 6.18: glibc's resolver in python3 socket.getaddrinfo("www.example.com", AF_INET)
// inside a netns whose resolv.conf names 10.9.0.2 (UDP payload of the query).
const GLIBC_A_QUERY = hex('74590100000100000000000003777777076578616d706c6503636f6d0000010001');
// Same capture setup: `getent hosts 10.9.0.7` (glibc gethostbyaddr) → PTR query.
const GLIBC_PTR_QUERY = hex('fc600100000100000000000001370130013902313007696e2d61646472046172706100000c0001');
// Hand-assembled from RFC 1035 §4.1 for the answer to GLIBC_A_QUERY: www.example.com CNAME
// web.example.com (RDATA "web" + pointer to offset 16, "example.com" in the question), then web.example.com
// A 93.184.216.34 with the owner a pointer to offset 45 (the CNAME's RDATA); decoded identically by
// tshark (see dns.tshark.test.ts).
const RESPONSE = hex(`
  7459 8180 0001 0002 0000 0000
  03777777 076578616d706c65 03636f6d 00 0001 0001
  c00c 0005 0001 00000e10 0006 03776562 c010
  c02d 0001 0001 0000012c 0004 5db8d822`);

const A_QUERY_MSG = dnsMessage({
  id: 0x7459,
  rd: true,
  questions: [{ name: 'www.example.com', type: DnsType.A, class: 1 }],
});
const RESPONSE_MSG = dnsMessage({
  ...A_QUERY_MSG,
  qr: true,
  ra: true,
  answers: [
    { name: 'www.example.com', class: 1, ttl: 3600, data: { kind: 'CNAME', name: 'web.example.com' } },
    { name: 'web.example.com', class: 1, ttl: 300, data: { kind: 'A', address: ip4('93.184.216.34') } },
  ],
});

function emitted(m: ReturnType<typeof dnsMessage>, compress = true): Uint8Array {
  const buf = new Uint8Array(dnsMessageMaxLen(m) + 4).fill(0xa5);
  const n = emitDns(m, buf, 2, compress);
  expect([buf[0], buf[1], buf[2 + n]]).toEqual([0xa5, 0xa5, 0xa5]);
  return buf.slice(2, 2 + n);
}

describe('DNS golden messages', () => {
  it('glibc A query: deconstructs and constructs', () => {
    const v = new DnsHeaderView().reset(GLIBC_A_QUERY, 0);
    expect([v.id, v.flags, v.qr, v.opcode, v.tc, v.rcode]).toEqual([0x7459, 0x0100, false, 0, false, 0]);
    expect([v.qdcount, v.ancount, v.nscount, v.arcount]).toEqual([1, 0, 0, 0]);
    expect(parseDns(GLIBC_A_QUERY, 0, GLIBC_A_QUERY.length)).toEqual({ ok: true, msg: A_QUERY_MSG });
    expect(emitted(A_QUERY_MSG)).toEqual(GLIBC_A_QUERY);
  });

  it('glibc PTR query: reverse name of 10.9.0.7', () => {
    const p = parseDns(GLIBC_PTR_QUERY, 0, GLIBC_PTR_QUERY.length);
    expect(p.ok && p.msg.questions).toEqual([{ name: '7.0.9.10.in-addr.arpa', type: DnsType.PTR, class: 1 }]);
    expect(dnsReverseNameV4(ip4('10.9.0.7'))).toBe('7.0.9.10.in-addr.arpa');
    expect(dnsParseReverseNameV4('7.0.9.10.IN-ADDR.ARPA.')).toBe(ip4('10.9.0.7'));
    const m = dnsMessage({
      id: 0xfc60,
      rd: true,
      questions: [{ name: dnsReverseNameV4(ip4('10.9.0.7')), type: DnsType.PTR, class: 1 }],
    });
    expect(emitted(m)).toEqual(GLIBC_PTR_QUERY);
  });

  it('compressed response: deconstructs and constructs', () => {
    expect(parseDns(RESPONSE, 0, RESPONSE.length)).toEqual({ ok: true, msg: RESPONSE_MSG });
    expect(emitted(RESPONSE_MSG)).toEqual(RESPONSE);
  });

  it('uncompressed output is longer and parses to the same message', () => {
    const plain = emitted(RESPONSE_MSG, false);
    expect(plain.length).toBe(dnsMessageMaxLen(RESPONSE_MSG));
    expect(plain.length).toBeGreaterThan(RESPONSE.length);
    expect(parseDns(plain, 0, plain.length)).toEqual({ ok: true, msg: RESPONSE_MSG });
  });

  it('parses at a non-zero offset (pointers count from the message start)', () => {
    const b = new Uint8Array(RESPONSE.length + 7);
    b.set(RESPONSE, 7);
    expect(parseDns(b, 7, b.length)).toEqual({ ok: true, msg: RESPONSE_MSG });
  });

  it('SRV targets are not compressed; AAAA, MX, SOA, raw TXT round-trip', () => {
    const m = dnsMessage({
      id: 1,
      qr: true,
      aa: true,
      questions: [{ name: '_http._tcp.example.com', type: DnsType.SRV, class: 1 }],
      answers: [
        {
          name: '_http._tcp.example.com',
          class: 1,
          ttl: 60,
          data: { kind: 'SRV', priority: 0, weight: 5, port: 80, target: 'www.example.com' },
        },
      ],
      additionals: [
        {
          name: 'www.example.com',
          class: 1,
          ttl: 60,
          data: { kind: 'AAAA', address: hex('20010db8000000000000000000000001') },
        },
        {
          name: 'example.com',
          class: 1,
          ttl: 60,
          data: { kind: 'MX', preference: 10, exchange: 'mail.example.com' },
        },
        {
          name: 'example.com',
          class: 1,
          ttl: 60,
          data: {
            kind: 'SOA',
            mname: 'ns.example.com',
            rname: 'hostmaster.example.com',
            serial: 2024010101,
            refresh: 7200,
            retry: 3600,
            expire: 1209600,
            minimum: 300,
          },
        },
        {
          name: 'example.com',
          class: 1,
          ttl: 0,
          data: { kind: 'raw', type: DnsType.TXT, data: hex('026869') },
        },
      ],
    });
    const b = emitted(m);
    // The SRV RDATA ends with the full, uncompressed target name.
    const target = hex('03777777076578616d706c6503636f6d00');
    const srvAt = Buffer.from(b).indexOf(Buffer.from(target));
    expect(srvAt).toBeGreaterThan(0);
    expect(parseDns(b, 0, b.length)).toEqual({ ok: true, msg: m });
  });
});

describe('DNS malformed input', () => {
  const bad = (b: Uint8Array) => {
    const p = parseDns(b, 0, b.length);
    return p.ok ? DnsBad.None : p.reason;
  };
  it('Short header', () => {
    expect(checkDns(GLIBC_A_QUERY, 0, 11)).toBe(DnsBad.Short);
    expect(bad(GLIBC_A_QUERY.slice(0, 11))).toBe(DnsBad.Short);
  });
  it('Truncated question, record and RDATA', () => {
    expect(bad(GLIBC_A_QUERY.slice(0, 30))).toBe(DnsBad.Truncated);
    expect(bad(RESPONSE.slice(0, 60))).toBe(DnsBad.Truncated);
    expect(bad(RESPONSE.slice(0, 40))).toBe(DnsBad.Truncated);
  });
  it('pointer to itself or forward is BadPointer; no loops possible', () => {
    const self = hex('000000000001000000000000c00c00010001');
    expect(bad(self)).toBe(DnsBad.BadPointer);
    const fwd = hex('000000000001000000000000c00e0001000100');
    expect(bad(fwd)).toBe(DnsBad.BadPointer);
  });
  it('a chain of more than 127 pointers is PointerLoop', () => {
    // Answer 1: root owner, TXT whose RDATA is a root name followed by n pointers, each to the one
    // before. Answer 2: owner name = pointer to the last of them (n + 1 hops).
    const chain = (n: number) => {
      const rdlen = 1 + 2 * n;
      const b = new Uint8Array(12 + 11 + rdlen + 2 + 14);
      b[7] = 2; // ANCOUNT
      b.set([0, 0, 16, 0, 1, 0, 0, 0, 0, rdlen >> 8, rdlen & 0xff], 12);
      let prev = 23; // the root octet that starts the RDATA
      for (let i = 0; i < n; i++) {
        const at = 24 + 2 * i;
        b[at] = 0xc0 | (prev >> 8);
        b[at + 1] = prev & 0xff;
        prev = at;
      }
      const q = 23 + rdlen;
      b[q] = 0xc0 | (prev >> 8);
      b[q + 1] = prev & 0xff;
      b.set([0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4], q + 2);
      return b;
    };
    expect(bad(chain(200))).toBe(DnsBad.PointerLoop);
    expect(bad(chain(126))).toBe(DnsBad.None); // 127 hops: the limit itself is allowed
  });
  it('reserved label types 0b01 / 0b10', () => {
    expect(bad(hex('000000000001000000000000400001'))).toBe(DnsBad.BadLabelType);
    expect(bad(hex('000000000001000000000000800001'))).toBe(DnsBad.BadLabelType);
  });
  it('names over 255 octets', () => {
    const labels = Array.from({ length: 5 }, () => `3f${'61'.repeat(63)}`).join('');
    expect(bad(hex(`000000000001000000000000${labels}0000010001`))).toBe(DnsBad.NameTooLong);
  });
  it('RDATA inconsistent with its type', () => {
    const b = RESPONSE.slice();
    b[b.length - 5] = 3; // A RDLENGTH 3 (one octet left over)
    expect(bad(b)).toBe(DnsBad.RdataLength);
    const c = RESPONSE.slice();
    c[44] = 7; // CNAME RDLENGTH one past the name
    expect(bad(c)).toBe(DnsBad.RdataLength);
  });
});

describe('DNS names', () => {
  it('presentation form escapes dots, backslashes and non-printables', () => {
    const labels = [hex('612e62'), hex('5c'), hex('00ff20')];
    const text = dnsLabelsToName(labels);
    expect(text).toBe('a\\.b.\\\\.\\000\\255\\032');
    expect(dnsNameToLabels(text)).toEqual(labels);
    expect(dnsNameToLabels('example.com.')).toEqual(dnsNameToLabels('example.com'));
    expect(dnsNameToLabels('')).toEqual([]);
    expect(dnsNameToLabels('.')).toEqual([]);
  });
  it('rejects empty labels, long labels and long names', () => {
    expect(dnsNameToLabels('a..b')).toBeNull();
    expect(dnsNameToLabels('.a')).toBeNull();
    expect(dnsNameToLabels('a'.repeat(64))).toBeNull();
    expect(dnsNameToLabels('a'.repeat(63))).not.toBeNull();
    const name = (n: number) => Array.from({ length: n }, () => 'a'.repeat(63)).join('.');
    expect(dnsNameToLabels(name(4))).toBeNull(); // 4 × 64 + 1 = 257
    expect(dnsNameToLabels(`${name(3)}.${'a'.repeat(61)}`)).not.toBeNull(); // exactly 255
    expect(dnsNameToLabels(`${name(3)}.${'a'.repeat(62)}`)).toBeNull(); // 256
    expect(() =>
      emitDns(dnsMessage({ questions: [{ name: 'a..b', type: 1, class: 1 }] }), new Uint8Array(64), 0),
    ).toThrow(RangeError);
  });
  it('compares case-insensitively (ASCII only)', () => {
    expect(dnsNameEquals('WWW.Example.COM', 'www.example.com.')).toBe(true);
    expect(dnsNameEquals('www.example.com', 'www.example.org')).toBe(false);
    expect(dnsNameEquals('\\193', '\\225')).toBe(false); // Á vs á: not folded (RFC 4343 §3)
  });
  it('reverse names reject malformed input', () => {
    for (const n of [
      '1.2.3.in-addr.arpa',
      '01.2.3.4.in-addr.arpa',
      '256.2.3.4.in-addr.arpa',
      '1.2.3.4.ip6.arpa',
    ]) {
      expect(dnsParseReverseNameV4(n)).toBe(-1);
    }
    expect(dnsParseReverseNameV4(dnsReverseNameV4(0xffffffff))).toBe(0xffffffff);
  });
});
