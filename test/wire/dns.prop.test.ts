// Properties of the DNS codec: round trip (compressed and not), compression never lengthens, parser is
// total on arbitrary bytes, reverse names round-trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DnsMessage,
  type DnsRData,
  type DnsRecord,
  dnsLabelsToName,
  dnsMessageMaxLen,
  dnsNameEquals,
  dnsNameToLabels,
  dnsParseReverseNameV4,
  dnsReverseNameV4,
  emitDns,
  parseDns,
} from '../../src/wire/dns.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

// Labels drawn from a small alphabet (so suffixes repeat and compression has work), plus arbitrary
// octets now and then (dots, backslashes, non-printables must survive the text form).
const label = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('www', 'Example', 'example', 'com', 'svc', '_tcp', 'a', 'in-addr'),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }).map((b) => dnsLabelsToName([b])) },
);
const name = fc
  .array(label, { maxLength: 6 })
  .map((ls) => ls.join('.'))
  .filter((n) => dnsNameToLabels(n) !== null);

const KNOWN = new Set([1, 2, 5, 6, 12, 15, 28, 33]);
const rdata: fc.Arbitrary<DnsRData> = fc.oneof(
  fc.record({ kind: fc.constant('A' as const), address: u32 }),
  fc.record({ kind: fc.constant('AAAA' as const), address: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ kind: fc.constantFrom('NS' as const, 'CNAME' as const, 'PTR' as const), name }),
  fc.record({ kind: fc.constant('MX' as const), preference: u16, exchange: name }),
  fc.record({
    kind: fc.constant('SOA' as const),
    mname: name,
    rname: name,
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
  }),
  fc.record({ kind: fc.constant('SRV' as const), priority: u16, weight: u16, port: u16, target: name }),
  fc.record({
    kind: fc.constant('raw' as const),
    type: u16.filter((t) => !KNOWN.has(t)),
    data: fc.uint8Array({ maxLength: 40 }),
  }),
);
const record: fc.Arbitrary<DnsRecord> = fc.record({ name, class: u16, ttl: u32, data: rdata });
const message: fc.Arbitrary<DnsMessage> = fc.record({
  id: u16,
  qr: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  aa: fc.boolean(),
  tc: fc.boolean(),
  rd: fc.boolean(),
  ra: fc.boolean(),
  z: fc.boolean(),
  ad: fc.boolean(),
  cd: fc.boolean(),
  rcode: fc.integer({ min: 0, max: 15 }),
  questions: fc.array(fc.record({ name, type: u16, class: u16 }), { maxLength: 3 }),
  answers: fc.array(record, { maxLength: 5 }),
  authorities: fc.array(record, { maxLength: 3 }),
  additionals: fc.array(record, { maxLength: 3 }),
});

function emit(m: DnsMessage, compress: boolean): Uint8Array {
  const buf = new Uint8Array(dnsMessageMaxLen(m));
  return buf.subarray(0, emitDns(m, buf, 0, compress));
}

describe('DNS properties', () => {
  it('parse(emit(m)) equals m, with and without compression; compression never lengthens', () => {
    fc.assert(
      fc.property(message, (m) => {
        const c = emit(m, true);
        const u = emit(m, false);
        expect(u.length).toBe(dnsMessageMaxLen(m));
        expect(c.length).toBeLessThanOrEqual(u.length);
        expect(parseDns(c, 0, c.length)).toEqual({ ok: true, msg: m });
        expect(parseDns(u, 0, u.length)).toEqual({ ok: true, msg: m });
      }),
    );
  });

  it('parseDns never throws on arbitrary bytes, nor on mutated valid messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        parseDns(b, 0, b.length);
      }),
    );
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (m, muts) => {
          const b = emit(m, true).slice();
          for (const [i, v] of muts) if (b.length > 0) b[i % b.length] = v;
          parseDns(b, 0, b.length);
          parseDns(b, 0, Math.floor(b.length / 2));
        },
      ),
    );
  });

  it('names: text → labels → text is the identity; equality ignores ASCII case', () => {
    fc.assert(
      fc.property(name, (n) => {
        const l = dnsNameToLabels(n)!;
        expect(dnsLabelsToName(l)).toBe(n);
        // The text form is ASCII-only (other octets are \DDD), so toUpperCase changes only a-z.
        expect(dnsNameEquals(n, n.toUpperCase())).toBe(true);
      }),
    );
  });

  it('reverse names round-trip every IPv4 address', () => {
    fc.assert(
      fc.property(u32, (ip) => {
        expect(dnsParseReverseNameV4(dnsReverseNameV4(ip))).toBe(ip);
      }),
    );
  });
});
