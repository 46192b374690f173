import { describe, expect, it } from 'vitest';
import {
  checkIcmp,
  emitIcmp,
  emitIcmpError,
  ICMP_QUOTE_MAX_LINUX,
  ICMP_TIME_EXCEEDED,
  ICMP_TYPE,
  ICMP_UNREACH,
  IcmpBad,
  IcmpView,
  icmpIsError,
  icmpQuoteLimitLinux,
  icmpRfc792QuoteLen,
  parseIcmp,
} from '../../src/wire/icmp.js';
import { Ipv4View } from '../../src/wire/ipv4.js';
import {
  ECHO_REPLY,
  ECHO_REQUEST,
  FRAG_NEEDED,
  PORT_UNREACHABLE,
  TIME_EXCEEDED,
  TTL1_ECHO_REQUEST,
  UDP_DF_1400,
  UDP_TO_CLOSED_PORT,
} from './fixtures/linux-frames.js';

/** The ICMP message of a recorded frame: from L3 to the IPv4 Total Length. */
function icmpOf(frame: Uint8Array): Uint8Array {
  const ip = new Ipv4View().reset(frame, 14);
  return frame.subarray(ip.payloadOffset, 14 + ip.totalLen);
}

/** The IPv4 datagram of a recorded frame (what the kernel quotes). */
function ipOf(frame: Uint8Array): Uint8Array {
  return frame.subarray(14, 14 + new Ipv4View().reset(frame, 14).totalLen);
}

describe('icmp golden frames (recorded on Linux, see fixtures)', () => {
  it('deconstructs and constructs echo request and reply', () => {
    for (const [frame, type] of [
      [ECHO_REQUEST, ICMP_TYPE.EchoRequest],
      [ECHO_REPLY, ICMP_TYPE.EchoReply],
    ] as const) {
      const m = icmpOf(frame);
      expect(checkIcmp(m, 0, m.length)).toBe(IcmpBad.None);
      const v = new IcmpView().reset(m, 0);
      expect([v.type, v.code, v.ident, v.seq, v.dataOffset]).toEqual([type, 0, 0x1234, 1, 8]);
      const data = Uint8Array.from({ length: 32 }, (_, i) => i);
      expect(parseIcmp(m, 0, m.length)).toEqual({
        ok: true,
        repr: { kind: 'echo', type, ident: 0x1234, seq: 1, data },
      });
      const buf = new Uint8Array(44).fill(0xa5);
      expect(emitIcmp({ kind: 'echo', type, ident: 0x1234, seq: 1, data }, buf, 2)).toBe(40);
      expect(buf.subarray(2, 42)).toEqual(m);
      expect([buf[1], buf[42]]).toEqual([0xa5, 0xa5]);
    }
  });

  it("rebuilds r's time exceeded byte for byte with emitIcmpError", () => {
    const m = icmpOf(TIME_EXCEEDED);
    const v = new IcmpView().reset(m, 0);
    expect([v.type, v.code, v.rest]).toEqual([ICMP_TYPE.TimeExceeded, ICMP_TIME_EXCEEDED.Ttl, 0]);
    const orig = ipOf(TTL1_ECHO_REQUEST);
    expect(m.subarray(8)).toEqual(orig); // the whole 35-byte datagram, not just header + 8
    const buf = new Uint8Array(m.length + 2).fill(0xa5);
    const n = emitIcmpError(ICMP_TYPE.TimeExceeded, ICMP_TIME_EXCEEDED.Ttl, 0, orig, 0, orig.length, buf, 1);
    expect(n).toBe(m.length);
    expect(buf.subarray(1, 1 + n)).toEqual(m);
    expect([buf[0], buf[n + 1]]).toEqual([0xa5, 0xa5]);
  });

  it("rebuilds h2's port unreachable (quote = the datagram as h2 received it)", () => {
    const m = icmpOf(PORT_UNREACHABLE);
    expect(checkIcmp(m, 0, m.length)).toBe(IcmpBad.None);
    const r = parseIcmp(m, 0, m.length);
    expect(r.ok && r.repr.kind === 'error' && [r.repr.type, r.repr.code, r.repr.info]).toEqual([
      3,
      ICMP_UNREACH.Port,
      0,
    ]);
    const quote = m.subarray(8);
    expect(quote.length).toBe(ipOf(UDP_TO_CLOSED_PORT).length);
    const buf = new Uint8Array(m.length).fill(0xa5);
    emitIcmpError(3, ICMP_UNREACH.Port, 0, quote, 0, quote.length, buf, 0);
    expect(buf).toEqual(m);
  });

  it("rebuilds r's fragmentation needed: next-hop MTU 1280 and a 548-byte quote (576 total)", () => {
    const ip = new Ipv4View().reset(FRAG_NEEDED, 14);
    expect(ip.totalLen).toBe(576);
    expect(ip.tos).toBe(0xc0);
    const m = icmpOf(FRAG_NEEDED);
    const v = new IcmpView().reset(m, 0);
    expect([v.type, v.code, v.nextHopMtu, v.rest]).toEqual([3, ICMP_UNREACH.FragNeeded, 1280, 1280]);
    const orig = ipOf(UDP_DF_1400);
    expect(orig.length).toBe(1428);
    expect(m.length - 8).toBe(ICMP_QUOTE_MAX_LINUX);
    expect(icmpQuoteLimitLinux(1500, 0)).toBe(548);
    const buf = new Uint8Array(600).fill(0xa5);
    const n = emitIcmpError(3, ICMP_UNREACH.FragNeeded, 1280, orig, 0, orig.length, buf, 0);
    expect(n).toBe(556);
    expect(buf.subarray(0, n)).toEqual(m);
    expect(buf[n]).toBe(0xa5);
  });
});

describe('icmp errors: quote policy and helpers', () => {
  const orig = ipOf(UDP_DF_1400);
  it('quotes the RFC 792 minimum on request', () => {
    expect(icmpRfc792QuoteLen(orig, 0)).toBe(28);
    const buf = new Uint8Array(64);
    const n = emitIcmpError(11, 0, 0, orig, 0, orig.length, buf, 0, icmpRfc792QuoteLen(orig, 0));
    expect(n).toBe(36);
    expect(buf.subarray(8, 36)).toEqual(orig.subarray(0, 28));
    expect(checkIcmp(buf, 0, n)).toBe(IcmpBad.None);
  });

  it('sends nothing when the path MTU leaves no room for an IP header (Linux guard)', () => {
    expect(icmpQuoteLimitLinux(68, 0)).toBe(40); // 68 is IPv4's minimum MTU
    expect(icmpQuoteLimitLinux(68, 40)).toBe(0); // … but 40 bytes of echoed options leave no room
    expect(
      emitIcmpError(3, 4, 68, orig, 0, orig.length, new Uint8Array(100), 0, icmpQuoteLimitLinux(68, 40)),
    ).toBe(0);
    expect(icmpQuoteLimitLinux(576, 40)).toBe(508);
  });

  it('copies correctly when the error is built in the same buffer as the original', () => {
    const buf = new Uint8Array(200);
    buf.set(orig.subarray(0, 100), 0);
    const expected = new Uint8Array(200);
    const n1 = emitIcmpError(3, 1, 0, orig, 0, 100, expected, 0);
    const n2 = emitIcmpError(3, 1, 0, buf, 0, 100, buf, 0); // output ahead of the source, overlapping
    expect(n2).toBe(n1);
    expect(buf.subarray(0, n2)).toEqual(expected.subarray(0, n1));
    const aliased = new Uint8Array(200);
    aliased.set(orig.subarray(0, 100), 0);
    emitIcmpError(3, 1, 0, aliased.subarray(0, 100), 0, 100, aliased.subarray(0), 0); // two views, one buffer
    expect(aliased.subarray(0, n1)).toEqual(expected.subarray(0, n1));
  });

  it('classifies error types like icmp_pointers[].error', () => {
    expect([0, 3, 4, 5, 8, 11, 12, 13].map(icmpIsError)).toEqual([
      false,
      true,
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });
});

describe('icmp validation mirrors icmp_rcv', () => {
  it('reports each reason', () => {
    const m = icmpOf(ECHO_REQUEST).slice();
    expect(checkIcmp(m, 0, 7)).toBe(IcmpBad.Short);
    expect(checkIcmp(m, 0, m.length - 1)).toBe(IcmpBad.Checksum);
    const v = new IcmpView().reset(m, 0);
    v.type = 19;
    v.fillChecksum(m.length);
    expect(checkIcmp(m, 0, m.length)).toBe(IcmpBad.Type);
    v.type = 3;
    v.fillChecksum(m.length);
    expect(checkIcmp(m, 0, m.length)).toBe(IcmpBad.None); // 32 bytes quoted; IHL 0 counts as 20 → needs 28
    const e = new Uint8Array(8 + 27);
    e[8] = 0x45;
    new IcmpView().reset(e, 0).type = 11;
    new IcmpView().reset(e, 0).fillChecksum(e.length);
    expect(checkIcmp(e, 0, e.length)).toBe(IcmpBad.QuoteShort);
    expect(parseIcmp(e, 0, e.length)).toEqual({ ok: false, reason: IcmpBad.QuoteShort });
  });

  it('parses unknown-but-valid types as "other"', () => {
    const buf = new Uint8Array(20);
    const n = emitIcmp(
      { kind: 'other', type: 13, code: 0, rest: 0xdeadbeef, data: new Uint8Array(12) },
      buf,
      0,
    );
    const r = parseIcmp(buf, 0, n);
    expect(r).toEqual({
      ok: true,
      repr: { kind: 'other', type: 13, code: 0, rest: 0xdeadbeef, data: new Uint8Array(12) },
    });
  });
});
