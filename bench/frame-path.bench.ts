// Per-frame work ceiling: what one forwarding hop costs before any event-queue or device overhead.
// Each operation takes one 64-byte Ethernet/IPv4/UDP frame from a ring of 1024 distinct frames and
//   1. validates the Ethernet header and the IPv4 header as ip_rcv_core does (checksum included),
//   2. decrements the TTL with the RFC 1624 incremental checksum update,
//   3. looks the destination MAC up in a MAC table of 1024 learned stations (the bridge FDB).
// Baseline "naive": the same work written the obvious way — a fresh DataView per frame, a full
// checksum recompute, and a Map keyed by the MAC's text — so the table shows what the typed-array
// design buys. "floor" touches the same bytes with no protocol logic: the memory-bound ceiling.
import { Fdb } from '../src/net/devices/fdb.js';
import { csumFull } from '../src/wire/checksum.js';
import { checkEthernet, ETHERTYPE, emitEthernet } from '../src/wire/ethernet.js';
import { checkIpv4Rcv, decrementTtl, emitIpv4, Ipv4View } from '../src/wire/ipv4.js';
import { macReadHi, macReadLo } from '../src/wire/mac.js';
import { defineSuite } from './harness/suite.js';

const FRAMES = 1024;
const FRAME_LEN = 64;
const STATIONS = 1024;
const BATCH = 256;
let sink = 0;

/** 1024 frames to 1024 stations (02:00:00:00:xx:xx), TTL 64, in one buffer. */
function makeFrames(): Uint8Array {
  const buf = new Uint8Array(FRAMES * FRAME_LEN);
  for (let i = 0; i < FRAMES; i++) {
    const off = i * FRAME_LEN;
    emitEthernet(
      {
        dst: { hi: 0x0200, lo: i % STATIONS },
        src: { hi: 0x0200, lo: 0x10000 + i },
        ethertype: ETHERTYPE.IPv4,
        vlan: null,
      },
      buf,
      off,
    );
    emitIpv4(
      {
        tos: 0,
        ident: i,
        df: true,
        mf: false,
        fragOffset: 0,
        ttl: 64,
        proto: 17,
        src: (10 << 24) | i,
        dst: ((10 << 24) | (1 << 16) | i) >>> 0,
        options: new Uint8Array(0),
        payloadLen: FRAME_LEN - 14 - 20,
      },
      buf,
      off + 14,
    );
  }
  return buf;
}

/** TTLs fall by one per pass; reset them when they get low so every pass does the same work. */
function refreshTtl(buf: Uint8Array, v: Ipv4View): void {
  for (let i = 0; i < FRAMES; i++) {
    const off = i * FRAME_LEN + 14;
    if (buf[off + 8]! < 2) {
      buf[off + 8] = 64;
      buf[off + 10] = 0;
      buf[off + 11] = 0;
      const c = csumFull(buf, off, 20);
      buf[off + 10] = c >>> 8;
      buf[off + 11] = c & 0xff;
    }
  }
  void v;
}

export default defineSuite(import.meta.url, {
  name: 'frame-path',
  unit: 'frames',
  groups: [
    {
      name: '64B parse+ttl+mac',
      baseline: 'naive',
      cases: {
        naive: () => {
          const buf = makeFrames();
          const table = new Map<string, number>();
          for (let s = 0; s < STATIONS; s++)
            table.set(
              `02:00:00:00:${((s >> 8) & 0xff).toString(16).padStart(2, '0')}:${(s & 0xff).toString(16).padStart(2, '0')}`,
              s & 7,
            );
          let next = 0;
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let k = 0; k < BATCH; k++) {
                const off = next * FRAME_LEN;
                next = (next + 1) & (FRAMES - 1);
                const dv = new DataView(buf.buffer, off, FRAME_LEN);
                if (dv.getUint16(12) !== 0x0800) continue;
                if (dv.getUint8(14) >> 4 !== 4) continue;
                if (csumFull(buf, off + 14, 20) !== 0) continue;
                let ttl = dv.getUint8(22);
                if (ttl < 2) ttl = 65;
                dv.setUint8(22, ttl - 1);
                dv.setUint16(24, 0);
                dv.setUint16(24, csumFull(buf, off + 14, 20));
                const mac = Array.from(buf.subarray(off, off + 6), (b) =>
                  b.toString(16).padStart(2, '0'),
                ).join(':');
                sink ^= table.get(mac) ?? -1;
              }
            },
          };
        },
        netsim: () => {
          const buf = makeFrames();
          const fdb = new Fdb(2048, 300e9);
          for (let s = 0; s < STATIONS; s++) fdb.learn(0x0200, s, 0, (s & 7) + 1, 0);
          const v = new Ipv4View();
          let next = 0;
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let k = 0; k < BATCH; k++) {
                const off = next * FRAME_LEN;
                next = (next + 1) & (FRAMES - 1);
                if (next === 0) refreshTtl(buf, v);
                const end = off + FRAME_LEN;
                if (checkEthernet(buf, off, end) !== 0) continue;
                if (checkIpv4Rcv(buf, off + 14, end) !== 0) continue;
                decrementTtl(v.reset(buf, off + 14));
                sink ^= fdb.lookup(macReadHi(buf, off), macReadLo(buf, off), 0, 1);
              }
            },
          };
        },
        floor: () => {
          const buf = makeFrames();
          let next = 0;
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let k = 0; k < BATCH; k++) {
                const off = next * FRAME_LEN;
                next = (next + 1) & (FRAMES - 1);
                sink ^= buf[off]! ^ buf[off + 22]! ^ buf[off + 5]!;
              }
            },
          };
        },
      },
    },
  ],
});

export function observed(): number {
  return sink;
}
