// Golden-byte tests for the TCP header and options (RFC 9293, RFC 7323, RFC 2018).
import { describe, expect, it } from 'vitest';
import {
  checkTcp,
  emitTcp,
  parseTcp,
  parseTcpOptions,
  TcpBad,
  TcpFlag,
  TcpOpt,
  type TcpRepr,
  TcpView,
  tcpAddrRewritten,
  tcpChecksum,
  tcpChecksumVerifies,
  tcpFindOption,
  tcpRewriteDstPort,
  tcpRewriteSrcPort,
} from '../../src/wire/tcp.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const ip4 = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const CLIENT = ip4('10.9.0.1');
const SERVER = ip4('10.9.0.2');
const L4 = 34; // Ethernet 14 + IPv4 20

// Captured on Linux 6.18 between two network namespaces (AF_PACKET on a veth, tx checksum offload
// off): python3 socket.create_connection(("10.9.0.2", 8080)) from 10.9.0.1, default sysctls.
const SYN = hex(
  '5af516bc527e7af653557caa08004500003cd20f4000400654980a0900010a090002' +
    '929e1f90edefe89700000000a002faf093c70000020405b40402080a409edbdb000000000103030a',
);
const SYN_ACK = hex(
  '7af653557caa5af516bc527e08004500003c00004000400626a80a0900020a090001' +
    '1f90929ef0e18a4bedefe898a012fe88f5580000020405b40402080ae01d3f7a409edbdb0103030a',
);
const ACK = hex(
  '5af516bc527e7af653557caa080045000034d21040004006549f0a0900010a090002' +
    '929e1f90edefe898f0e18a4c8010003f227200000101080a409edbdbe01d3f7a',
);

const SYN_REPR: TcpRepr = {
  srcPort: 37534,
  dstPort: 8080,
  seq: 0xedefe897,
  ack: 0,
  flags: TcpFlag.SYN,
  window: 64240,
  urgent: 0,
  options: { mss: 1460, sackPermitted: true, timestamp: { tsVal: 0x409edbdb, tsEcr: 0 }, windowScale: 10 },
  payload: new Uint8Array(0),
};
const SYN_ACK_REPR: TcpRepr = {
  srcPort: 8080,
  dstPort: 37534,
  seq: 0xf0e18a4b,
  ack: 0xedefe898,
  flags: TcpFlag.SYN | TcpFlag.ACK,
  window: 65160,
  urgent: 0,
  options: {
    mss: 1460,
    sackPermitted: true,
    timestamp: { tsVal: 0xe01d3f7a, tsEcr: 0x409edbdb },
    windowScale: 10,
  },
  payload: new Uint8Array(0),
};
const ACK_REPR: TcpRepr = {
  srcPort: 37534,
  dstPort: 8080,
  seq: 0xedefe898,
  ack: 0xf0e18a4c,
  flags: TcpFlag.ACK,
  window: 63,
  urgent: 0,
  options: { timestamp: { tsVal: 0x409edbdb, tsEcr: 0xe01d3f7a } },
  payload: new Uint8Array(0),
};

const cases = [
  ['SYN', SYN, SYN_REPR, CLIENT, SERVER],
  ['SYN-ACK', SYN_ACK, SYN_ACK_REPR, SERVER, CLIENT],
  ['ACK with NOP NOP TS', ACK, ACK_REPR, CLIENT, SERVER],
] as const;

describe('TCP golden segments (Linux capture)', () => {
  for (const [name, frame, repr, src, dst] of cases) {
    it(`${name}: deconstructs`, () => {
      expect(checkTcp(frame, L4, frame.length)).toBe(TcpBad.None);
      expect(tcpChecksumVerifies(frame, L4, frame.length - L4, src, dst)).toBe(true);
      expect(parseTcp(frame, L4, frame.length, src, dst)).toEqual({ ok: true, repr });
    });
    it(`${name}: constructs byte-identical output into a 0xa5-filled buffer`, () => {
      const buf = new Uint8Array(frame.length - L4 + 4).fill(0xa5);
      const n = emitTcp(repr, buf, 2, src, dst);
      expect(n).toBe(frame.length - L4);
      expect(buf.subarray(2, 2 + n)).toEqual(frame.subarray(L4));
      expect([buf[0], buf[1], buf[2 + n], buf[3 + n]]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
    });
  }

  it('view accessors read the SYN', () => {
    const v = new TcpView().reset(SYN, L4);
    expect([v.srcPort, v.dstPort, v.seq, v.ack]).toEqual([37534, 8080, 0xedefe897, 0]);
    expect([v.dataOffset, v.headerLen, v.optionsLen, v.payloadOff]).toEqual([10, 40, 20, L4 + 40]);
    expect([v.syn, v.ackFlag, v.fin, v.rst, v.psh, v.urg, v.ece, v.cwr]).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([v.window, v.checksum, v.urgent]).toEqual([64240, 0x93c7, 0]);
    expect(tcpFindOption(SYN, L4, TcpOpt.WINDOW_SCALE)).toBe(L4 + 20 + 17);
    expect(tcpFindOption(SYN, L4, TcpOpt.SACK)).toBe(-1);
  });

  it('view setters write in place', () => {
    const b = SYN.slice(L4);
    const v = new TcpView().reset(b, 0);
    v.seq = 0xffffffff;
    v.ack = 7;
    v.flags = TcpFlag.FIN | TcpFlag.ACK;
    v.dataOffset = 5;
    v.window = 1;
    v.urgent = 2;
    expect([v.seq, v.ack, v.flags, v.headerLen, v.window, v.urgent]).toEqual([0xffffffff, 7, 0x11, 20, 1, 2]);
  });
});

describe('TCP checks', () => {
  const seg = SYN.slice(L4);
  it('Short', () => expect(checkTcp(seg, 0, 19)).toBe(TcpBad.Short));
  it('DataOffset below 5 or past the end', () => {
    const b = seg.slice();
    b[12] = 4 << 4;
    expect(checkTcp(b, 0, b.length)).toBe(TcpBad.DataOffset);
    expect(checkTcp(seg, 0, 39)).toBe(TcpBad.DataOffset);
  });
  it('BadOptionLength: zero length, overrun, kind without length octet', () => {
    const b = seg.slice();
    b[21] = 0; // MSS length 0
    expect(checkTcp(b, 0, b.length)).toBe(TcpBad.BadOptionLength);
    expect(parseTcp(b, 0, b.length)).toEqual({ ok: false, reason: TcpBad.BadOptionLength });
    b[21] = 30; // runs past the header
    expect(checkTcp(b, 0, b.length)).toBe(TcpBad.BadOptionLength);
    const c = seg.slice();
    c.fill(TcpOpt.NOP, 20, 39);
    c[39] = TcpOpt.MSS; // last octet: a kind with no room for its length
    expect(checkTcp(c, 0, c.length)).toBe(TcpBad.BadOptionLength);
  });
  it('EOL ends the option list; what follows is ignored', () => {
    const b = seg.slice();
    b[24] = TcpOpt.EOL;
    b[25] = 0xff; // garbage after EOL
    expect(checkTcp(b, 0, b.length)).toBe(TcpBad.None);
    expect(parseTcpOptions(b, 20, 40)).toEqual({ mss: 1460 });
  });
  it('Checksum', () => {
    const b = seg.slice();
    b[5] = b[5]! ^ 0x40;
    expect(parseTcp(b, 0, b.length, CLIENT, SERVER)).toEqual({ ok: false, reason: TcpBad.Checksum });
  });
  it('known kinds with a wrong length and unknown kinds are kept raw', () => {
    const opts = hex('0203aa' + '1e040102' + '00');
    expect(parseTcpOptions(opts, 0, opts.length)).toEqual({
      unknown: [
        { kind: 2, data: hex('aa') },
        { kind: 30, data: hex('0102') },
      ],
    });
  });
});

describe('TCP NAT rewrites', () => {
  it('DNAT of the SYN equals a full recompute', () => {
    const b = SYN.slice(L4);
    const newDst = ip4('172.17.0.2');
    tcpRewriteDstPort(b, 0, 80);
    tcpAddrRewritten(b, 0, SERVER, newDst);
    expect(new TcpView().reset(b, 0).checksum).toBe(tcpChecksum(b, 0, b.length, CLIENT, newDst));
    tcpRewriteSrcPort(b, 0, 1);
    expect(tcpChecksumVerifies(b, 0, b.length, CLIENT, newDst)).toBe(true);
  });
});

describe('TCP option emission order (tcp_options_write)', () => {
  const base: TcpRepr = { ...SYN_REPR, options: {} };
  const optBytes = (o: TcpRepr['options']) => {
    const buf = new Uint8Array(80);
    const n = emitTcp({ ...base, options: o }, buf, 0, 0, 0);
    return Buffer.from(buf.subarray(20, n)).toString('hex');
  };
  it('SACK_PERM without TS is NOP NOP SACK_PERM', () => {
    expect(optBytes({ mss: 536, sackPermitted: true })).toBe('02040218' + '01010402');
  });
  it('SACK blocks follow NOP NOP; unknown options then NOP padding', () => {
    expect(
      optBytes({
        timestamp: { tsVal: 1, tsEcr: 2 },
        sack: [{ left: 3, right: 4 }],
        unknown: [{ kind: 30, data: hex('aa') }],
      }),
    ).toBe('0101080a0000000100000002' + '0101050a0000000300000004' + '1e03aa01');
  });
  it('refuses options beyond 40 octets', () => {
    const sack = [1, 2, 3, 4].map((i) => ({ left: i, right: i + 1 }));
    expect(() => optBytes({ timestamp: { tsVal: 0, tsEcr: 0 }, sack })).toThrow(RangeError);
  });
});
