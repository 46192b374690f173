// Conntrack and NAT: tuple lookup in the SoA table against JS Maps (string key = the naive way; a
// numeric-hash Map = the best general-purpose alternative), the per-packet path of an established
// flow (nf_conntrack_in + confirm, with and without SNAT rewrite) against parsing the tuple alone, and
// the first packet of a MASQUERADEd connection (NAT binding with port search) against an
// un-NATed new connection.

import { World } from '../src/net/world.js';
import { conntrackOf, NfHook } from '../src/netfilter/conntrack/conntrack.js';
import { TupleScratch, tupleFromPacket, tupleHash } from '../src/netfilter/conntrack/tuple.js';
import { NatManip, NatRange } from '../src/netfilter/nat/nat.js';
import { emitIpv4 } from '../src/wire/ipv4.js';
import { emitUdp } from '../src/wire/udp.js';
import { defineSuite } from './harness/suite.js';

const BATCH = 1024;
let sink = 0;
const SERVER = 0x0a000002;
const NAT_IP = 0x0a000001;

function flowSrc(i: number): number {
  return (0xac110000 + (i >>> 8)) >>> 0;
}
function flowPort(i: number): number {
  return 1024 + (i & 255);
}

/** A world whose namespace tracks n confirmed UDP flows (optionally SNATed to NAT_IP). */
function populated(n: number, snat: boolean) {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('r');
  ns.sysctl.set('net.netfilter.nf_conntrack_max', String(Math.max(262144, n * 2)));
  const ct = conntrackOf(ns);
  const h = world.newFrame();
  const range = new NatRange();
  range.flags = 1;
  range.minAddr = NAT_IP;
  range.maxAddr = NAT_IP;
  for (let i = 0; i < n; i++) {
    writeUdp(world, h, flowSrc(i), SERVER, flowPort(i), 53);
    world.pool.ctId[h] = -1;
    const l3 = world.pool.start[h]!;
    ct.in(NfHook.PreRouting, h, l3);
    if (snat) {
      ct.nat.finish(NfHook.PreRouting, h, l3, -1);
      ct.nat.setupInfo(world.pool.ctId[h]! >> 3, range, NatManip.Src);
      ct.nat.finish(NfHook.PostRouting, h, l3, -1);
    }
    ct.confirm(h);
  }
  return { world, ns, ct, h };
}

const templates = new Map<string, Uint8Array>();
function writeUdp(world: World, h: number, src: number, dst: number, sport: number, dport: number): void {
  const pool = world.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const payload = new Uint8Array(18);
  const hl = emitIpv4(
    {
      tos: 0,
      ident: 1,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      proto: 17,
      src,
      dst,
      options: new Uint8Array(0),
      payloadLen: 26,
    },
    u8,
    off,
  );
  emitUdp({ srcPort: sport, dstPort: dport, payload }, u8, off + hl, src, dst);
  pool.setLength(h, hl + 26);
}

/** Copies of flow packets' bytes, so a case can restore a frame NAT rewrote (no allocation per call). */
function packetBytes(
  world: World,
  h: number,
  src: number,
  dst: number,
  sport: number,
  dport: number,
): Uint8Array {
  const key = `${src}/${dst}/${sport}/${dport}`;
  let t = templates.get(key);
  if (t === undefined) {
    writeUdp(world, h, src, dst, sport, dport);
    const pool = world.pool;
    t = pool.bytesOf(h).slice(pool.start[h]!, pool.start[h]! + pool.len[h]!);
    templates.set(key, t);
  }
  return t;
}

function lookupGroup(n: number) {
  return {
    name: `lookup n=${n}`,
    baseline: 'map-string',
    cases: {
      'map-string': () => {
        const m = new Map<string, number>();
        for (let i = 0; i < n; i++) m.set(`${flowSrc(i)}:${SERVER}:${flowPort(i)}:53:17`, i);
        let k = 0;
        return {
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= m.get(`${flowSrc(j)}:${SERVER}:${flowPort(j)}:53:17`) ?? -1;
            }
          },
        };
      },
      'map-numeric-hash': () => {
        // Numeric hash → row (collisions ignored: an upper bound for what a Map can do).
        const m = new Map<number, number>();
        for (let i = 0; i < n; i++) m.set(tupleHash(flowSrc(i), SERVER, flowPort(i), 53, 17), i);
        let k = 0;
        return {
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= m.get(tupleHash(flowSrc(j), SERVER, flowPort(j), 53, 17)) ?? -1;
            }
          },
        };
      },
      'ct-table': () => {
        const { ct } = populated(n, false);
        const tb = ct.table;
        let k = 0;
        return {
          opsPerCall: BATCH,
          fn: () => {
            for (let i = 0; i < BATCH; i++) {
              const j = k++ % n;
              sink ^= tb.find(flowSrc(j), SERVER, flowPort(j), 53, 17);
            }
          },
        };
      },
    },
  };
}

function packetGroup(n: number) {
  return {
    name: `established n=${n}`,
    baseline: 'parse-tuple',
    cases: {
      'parse-tuple': () => {
        const { world, h } = populated(16, false);
        const t = new TupleScratch();
        const tpl = packetBytes(world, h, flowSrc(3), SERVER, flowPort(3), 53);
        const pool = world.pool;
        return {
          opsPerCall: BATCH,
          fn: () => {
            const u8 = pool.bytesOf(h);
            const off = pool.start[h]!;
            for (let i = 0; i < BATCH; i++) {
              u8.set(tpl, off);
              sink ^= tupleFromPacket(u8, off, off + tpl.length, t) + t.sport;
            }
          },
        };
      },
      'ct-in+confirm': () => {
        const { world, ct, h } = populated(n, false);
        const tpl = packetBytes(world, h, flowSrc(3), SERVER, flowPort(3), 53);
        const pool = world.pool;
        return {
          opsPerCall: BATCH,
          fn: () => {
            const u8 = pool.bytesOf(h);
            const off = pool.start[h]!;
            for (let i = 0; i < BATCH; i++) {
              u8.set(tpl, off);
              pool.ctId[h] = -1;
              ct.in(NfHook.PreRouting, h, off);
              ct.nat.finish(NfHook.PreRouting, h, off, -1);
              ct.nat.finish(NfHook.PostRouting, h, off, -1);
              sink ^= ct.confirm(h) + pool.ctId[h]!;
            }
          },
        };
      },
      'ct+snat-rewrite': () => {
        const { world, ct, h } = populated(n, true);
        const tpl = packetBytes(world, h, flowSrc(3), SERVER, flowPort(3), 53);
        const pool = world.pool;
        return {
          opsPerCall: BATCH,
          fn: () => {
            const u8 = pool.bytesOf(h);
            const off = pool.start[h]!;
            for (let i = 0; i < BATCH; i++) {
              u8.set(tpl, off);
              pool.ctId[h] = -1;
              ct.in(NfHook.PreRouting, h, off);
              ct.nat.finish(NfHook.PreRouting, h, off, -1);
              ct.nat.finish(NfHook.PostRouting, h, off, -1);
              sink ^= ct.confirm(h) + u8[off + 12]!;
            }
          },
        };
      },
    },
  };
}

function newConnGroup() {
  const mk = (masq: boolean) => () => {
    const { world, ct, h } = populated(1000, false);
    const pool = world.pool;
    const range = new NatRange();
    range.flags = 1;
    range.minAddr = NAT_IP;
    range.maxAddr = NAT_IP;
    // 64 clients sharing source port 40001: from the second on, MASQUERADE must search a port.
    const tpls: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) tpls.push(packetBytes(world, h, (0xc0a80000 + i) >>> 0, SERVER, 40001, 53));
    let k = 0;
    const rows = new Int32Array(64);
    return {
      opsPerCall: 64,
      fn: () => {
        const u8 = pool.bytesOf(h);
        const off = pool.start[h]!;
        for (let i = 0; i < 64; i++) {
          u8.set(tpls[i]!, off);
          pool.ctId[h] = -1;
          ct.in(NfHook.PreRouting, h, off);
          const r = pool.ctId[h]! >> 3;
          ct.nat.finish(NfHook.PreRouting, h, off, -1);
          if (masq) ct.nat.setupInfo(r, range, NatManip.Src);
          ct.nat.finish(NfHook.PostRouting, h, off, -1);
          ct.confirm(h);
          rows[i] = r;
        }
        for (const r of rows) ct.destroy(r); // keep the table steady between calls
        sink ^= rows.length + k++;
      },
    };
  };
  return {
    name: 'new connection',
    baseline: 'no-nat',
    cases: { 'no-nat': mk(false), 'snat-port-search': mk(true) },
  };
}

export default defineSuite(import.meta.url, {
  name: 'conntrack',
  unit: 'packets',
  groups: [lookupGroup(1e4), lookupGroup(1e5), packetGroup(1e4), packetGroup(1e5), newConnGroup()],
});

export function bytesPerEntry(): number {
  return populated(1, false).ct.table.bytesPerRow();
}
void sink;
