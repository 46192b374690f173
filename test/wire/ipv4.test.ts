import { describe, expect, it } from 'vitest';
import { csumVerifies } from '../../src/wire/checksum.js';
import {
  checkIpv4,
  checkIpv4Rcv,
  decrementTtl,
  emitIpv4,
  IPPROTO,
  Ipv4Bad,
  Ipv4View,
  ipv4ChecksumOk,
  ipv4OptionsErrorPointer,
  parseIpv4,
} from '../../src/wire/ipv4.js';
import { ipv4 } from '../../src/wire/ipv4-address.js';
import {
  ECHO_REPLY,
  ECHO_REQUEST,
  PORT_UNREACHABLE,
  RR_ECHO_REPLY,
  RR_ECHO_REQUEST,
  UDP_DF_1400,
  UDP_TO_CLOSED_PORT,
} from './fixtures/linux-frames.js';

const L2 = 14;

describe('ipv4 golden frames (recorded on Linux, see fixtures)', () => {
  it('deconstructs the echo request header', () => {
    const f = ECHO_REQUEST;
    expect(checkIpv4Rcv(f, L2, f.length)).toBe(Ipv4Bad.None);
    const v = new Ipv4View().reset(f, L2);
    expect([v.version, v.ihl, v.headerLen, v.tos, v.totalLen]).toEqual([4, 5, 20, 0, 60]);
    expect([v.ident, v.df, v.mf, v.fragOffset, v.isFragment]).toEqual([0x24b3, true, false, 0, false]);
    expect([v.ttl, v.proto, v.checksum]).toEqual([64, IPPROTO.ICMP, 0x000c]);
    expect([v.src, v.dst]).toEqual([ipv4(10, 0, 1, 2), ipv4(10, 0, 1, 1)]);
    expect([v.optionsLen, v.payloadOffset, v.payloadLen]).toEqual([0, 34, 40]);
    expect(v.checksumOk()).toBe(true);
  });

  it('constructs echo request, reply and the 1428-byte DF datagram into 0xa5-filled buffers', () => {
    for (const f of [ECHO_REQUEST, ECHO_REPLY, UDP_DF_1400]) {
      const r = parseIpv4(f, L2, f.length);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      const buf = new Uint8Array(24).fill(0xa5);
      expect(emitIpv4(r.repr, buf, 2)).toBe(20);
      expect(buf.subarray(2, 22)).toEqual(f.subarray(L2, L2 + 20));
      expect([buf[1], buf[22]]).toEqual([0xa5, 0xa5]);
    }
  });

  // The sender's kernel already recorded 10.0.1.2 (pointer 8); r added two slots in the reply (pointer 16).
  it('preserves options: the Record Route request and Linux-filled reply (IHL 15)', () => {
    for (const f of [RR_ECHO_REQUEST, RR_ECHO_REPLY]) {
      const v = new Ipv4View().reset(f, L2);
      expect([v.ihl, v.optionsLen, v.payloadOffset]).toEqual([15, 40, L2 + 60]);
      expect(ipv4OptionsErrorPointer(f, L2)).toBe(-1);
      const r = parseIpv4(f, L2, f.length);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.repr.options).toEqual(f.subarray(L2 + 20, L2 + 60));
      expect(r.repr.options.subarray(0, 3)).toEqual(Uint8Array.from([7, 39, f === RR_ECHO_REQUEST ? 8 : 16]));
      const buf = new Uint8Array(64).fill(0xa5);
      expect(emitIpv4(r.repr, buf, 2)).toBe(60);
      expect(buf.subarray(2, 62)).toEqual(f.subarray(L2, L2 + 60));
    }
    // r recorded its own address and the reply's route: 10.0.1.2 (h1 as sender), 10.0.1.1, 10.0.1.1
    const opts = new Ipv4View().reset(RR_ECHO_REPLY, L2).optionsBytes();
    expect(Array.from(opts.subarray(3, 15))).toEqual([10, 0, 1, 2, 10, 0, 1, 1, 10, 0, 1, 1]);
  });

  it('pads short options with End-of-Option-List to a 4-byte boundary', () => {
    const buf = new Uint8Array(30).fill(0xa5);
    const hl = emitIpv4(
      {
        tos: 0,
        ident: 1,
        df: false,
        mf: false,
        fragOffset: 0,
        ttl: 1,
        proto: IPPROTO.UDP,
        src: 1,
        dst: 2,
        options: Uint8Array.from([148, 4, 0, 0, 1]), // Router Alert + NOP
        payloadLen: 0,
      },
      buf,
      0,
    );
    expect(hl).toBe(28);
    expect(Array.from(buf.subarray(20, 29))).toEqual([148, 4, 0, 0, 1, 0, 0, 0, 0xa5]);
    expect(buf[0]).toBe(0x47);
    expect(checkIpv4Rcv(buf, 0, 28)).toBe(Ipv4Bad.None);
  });
});

describe('ipv4 validation mirrors ip_rcv_core', () => {
  const hdr = () => ECHO_REQUEST.slice(L2);
  it('reports each reason in kernel order', () => {
    const f = hdr();
    expect(checkIpv4Rcv(f, 0, 19)).toBe(Ipv4Bad.Short);
    let g = hdr();
    g[0] = 0x65;
    expect(checkIpv4Rcv(g, 0, g.length)).toBe(Ipv4Bad.Version);
    g = hdr();
    g[0] = 0x44;
    expect(checkIpv4Rcv(g, 0, g.length)).toBe(Ipv4Bad.Ihl);
    g = hdr();
    g[0] = 0x4f; // a 60-byte header announced in 40 available bytes
    expect(checkIpv4Rcv(g, 0, 40)).toBe(Ipv4Bad.Ihl);
    g = hdr();
    g[8] = 63; // TTL changed, checksum stale
    expect(checkIpv4Rcv(g, 0, g.length)).toBe(Ipv4Bad.Checksum);
    expect(checkIpv4(g, 0, g.length)).toBe(Ipv4Bad.None); // structural check skips the checksum
    expect(ipv4ChecksumOk(g, 0)).toBe(false);
    expect(checkIpv4Rcv(f, 0, 59)).toBe(Ipv4Bad.Truncated);
    g = hdr();
    const v = new Ipv4View().reset(g, 0);
    v.totalLen = 19;
    v.fillChecksum();
    expect(checkIpv4Rcv(g, 0, g.length)).toBe(Ipv4Bad.TotalLen);
    // trailing link padding is fine: the caller trims to Total Length
    const padded = new Uint8Array(80);
    padded.set(f);
    expect(checkIpv4Rcv(padded, 0, 80)).toBe(Ipv4Bad.None);
  });

  it('validates options like __ip_options_compile and returns the Parameter Problem pointer', () => {
    const withOpts = (opts: number[]) => {
      const b = new Uint8Array(60);
      const hl = emitIpv4(
        {
          tos: 0,
          ident: 0,
          df: false,
          mf: false,
          fragOffset: 0,
          ttl: 64,
          proto: 1,
          src: 1,
          dst: 2,
          options: Uint8Array.from(opts),
          payloadLen: 0,
        },
        b,
        0,
      );
      return { b, hl };
    };
    expect(ipv4OptionsErrorPointer(withOpts([1, 1, 1, 0]).b, 0)).toBe(-1);
    expect(ipv4OptionsErrorPointer(withOpts([7, 7, 4, 0, 0, 0, 0]).b, 0)).toBe(-1);
    expect(ipv4OptionsErrorPointer(withOpts([7, 7, 3, 0, 0, 0, 0]).b, 0)).toBe(22); // RR pointer < 4
    expect(ipv4OptionsErrorPointer(withOpts([7, 9, 4, 0]).b, 0)).toBe(20); // length past the header
    expect(ipv4OptionsErrorPointer(withOpts([1, 1, 1, 30]).b, 0)).toBe(23); // 1 byte left for a TLV
    expect(ipv4OptionsErrorPointer(withOpts([30, 1, 0, 0]).b, 0)).toBe(20); // length < 2
    expect(ipv4OptionsErrorPointer(withOpts([7, 3, 4, 7, 3, 4, 0, 0]).b, 0)).toBe(23); // second RR
    expect(ipv4OptionsErrorPointer(withOpts([68, 8, 5, 2, 0, 0, 0, 0]).b, 0)).toBe(23); // bad timestamp flag
    expect(ipv4OptionsErrorPointer(withOpts([68, 4, 5, 0xf0]).b, 0)).toBe(23); // overflow counter full
    expect(ipv4OptionsErrorPointer(withOpts([68, 8, 5, 0, 0, 0, 0, 0]).b, 0)).toBe(-1);
    expect(ipv4OptionsErrorPointer(withOpts([30, 2, 0, 0]).b, 0)).toBe(-1); // unknown: accepted
    const { b, hl } = withOpts([7, 7, 3, 0, 0, 0, 0]);
    expect(parseIpv4(b, 0, hl)).toEqual({ ok: false, reason: Ipv4Bad.Options });
  });
});

describe('decrementTtl', () => {
  it('gives the bytes Linux wrote when r forwarded the UDP datagram (TTL 64 -> 63, as quoted by h2)', () => {
    const f = UDP_TO_CLOSED_PORT.slice(L2, L2 + 20);
    const v = new Ipv4View().reset(f, 0);
    expect(decrementTtl(v)).toBe(63);
    expect(v.ttl).toBe(63);
    expect(f).toEqual(PORT_UNREACHABLE.subarray(L2 + 28, L2 + 48));
    expect(csumVerifies(f, 0, 20)).toBe(true);
  });

  it('rewriteSrc/rewriteDst keep the header valid', () => {
    const f = ECHO_REQUEST.slice(L2, L2 + 20);
    const v = new Ipv4View().reset(f, 0);
    v.rewriteSrc(ipv4(172, 17, 0, 2));
    v.rewriteDst(ipv4(8, 8, 8, 8));
    expect(v.checksumOk()).toBe(true);
    expect(v.src).toBe(ipv4(172, 17, 0, 2));
  });
});
