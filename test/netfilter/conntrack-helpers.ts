// Frame builders and a tiny "router" for conntrack/NAT tests at the API level: IPv4 datagrams are
// emitted with src/wire into a World's frame pool (no Ethernet header: l3Off = pool.start[h]) and
// passed through the hook sequence the IPv4 layer will use.

import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { type Conntrack, conntrackOf, NfHook } from '../../src/netfilter/conntrack/conntrack.js';
import { type NatHookState, NatManip, NatRange } from '../../src/netfilter/nat/nat.js';
import { emitIcmp, type IcmpRepr } from '../../src/wire/icmp.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';
import { emitTcp, type TcpOptions } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';

export const ip = parseIpv4;
export const S = 1_000_000_000;

export function makeWorld(seed = 1): { world: World; ns: Namespace; ct: Conntrack } {
  const world = new World({ seed, check: true });
  const ns = world.addNamespace('r');
  return { world, ns, ct: conntrackOf(ns) };
}

function ipFrame(world: World, src: number, dst: number, proto: number, l4: Uint8Array, ttl = 64): number {
  const h = world.newFrame();
  const pool = world.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const hl = emitIpv4(
    {
      tos: 0,
      ident: 1,
      df: true,
      mf: false,
      fragOffset: 0,
      ttl,
      proto,
      src,
      dst,
      options: new Uint8Array(0),
      payloadLen: l4.length,
    },
    u8,
    off,
  );
  u8.set(l4, off + hl);
  pool.setLength(h, hl + l4.length);
  return h;
}

export function udp(
  world: World,
  src: number,
  dst: number,
  sport: number,
  dport: number,
  withCsum = true,
): number {
  const b = new Uint8Array(8 + 5);
  emitUdp(
    { srcPort: sport, dstPort: dport, payload: Uint8Array.from([104, 101, 108, 108, 111]) },
    b,
    0,
    src,
    dst,
    withCsum,
  );
  return ipFrame(world, src, dst, 17, b);
}

export interface TcpSeg {
  flags: number;
  seq: number;
  ack?: number;
  win?: number;
  len?: number;
  options?: TcpOptions;
}

export function tcp(world: World, src: number, dst: number, sport: number, dport: number, s: TcpSeg): number {
  const payload = new Uint8Array(s.len ?? 0).fill(0x61);
  const opts = s.options ?? {};
  const b = new Uint8Array(60 + payload.length);
  const n = emitTcp(
    {
      srcPort: sport,
      dstPort: dport,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      flags: s.flags,
      window: s.win ?? 64240,
      urgent: 0,
      options: opts,
      payload,
    },
    b,
    0,
    src,
    dst,
  );
  return ipFrame(world, src, dst, 6, b.subarray(0, n));
}

export function icmp(world: World, src: number, dst: number, r: IcmpRepr): number {
  const len = 8 + (r.kind === 'error' ? r.quote.length : r.data.length);
  const b = new Uint8Array(len);
  emitIcmp(r, b, 0);
  return ipFrame(world, src, dst, 1, b);
}

export function echo(world: World, src: number, dst: number, ident: number, type: 0 | 8 = 8): number {
  return icmp(world, src, dst, { kind: 'echo', type, ident, seq: 1, data: new Uint8Array(8) });
}

/** The datagram of frame h as a copy (for quoting in ICMP errors or inspection). */
export function bytes(world: World, h: number): Uint8Array {
  const pool = world.pool;
  return pool.bytesOf(h).slice(pool.start[h]!, pool.start[h]! + pool.len[h]!);
}

/** What a router decides for a NEW connection at each NAT hook. */
export interface Rules {
  dnat?: NatRange;
  snat?: NatRange;
  masquerade?: { range?: NatRange; state: NatHookState };
}

export function range(
  minAddr: number,
  maxAddr = minAddr,
  minPort = 0,
  maxPort = minPort,
  flags = 0,
): NatRange {
  const r = new NatRange();
  r.flags = 1 | (minPort !== 0 ? 2 : 0) | flags;
  r.minAddr = minAddr;
  r.maxAddr = maxAddr;
  r.minProto = minPort;
  r.maxProto = maxPort;
  return r;
}

/**
 * Forwards frame h through PREROUTING (conntrack, DNAT) and POSTROUTING (SNAT, confirm), as the IPv4
 * layer will. Returns 0 or the drop reason; on a drop the frame is dropped via world.drop.
 */
export function forward(world: World, ct: Conntrack, h: number, rules: Rules = {}): number {
  const l3 = world.pool.start[h]!;
  let d = ct.in(NfHook.PreRouting, h, l3);
  const nat = ct.nat;
  if (d === 0 && nat.needsRules(h, NfHook.PreRouting) && rules.dnat)
    d = nat.setupInfo(world.pool.ctId[h]! >> 3, rules.dnat, NatManip.Dst);
  if (d === 0) d = nat.finish(NfHook.PreRouting, h, l3, -1);
  const outDev = rules.masquerade?.state.outDev ?? null;
  if (d === 0 && nat.needsRules(h, NfHook.PostRouting)) {
    const r = world.pool.ctId[h]! >> 3;
    if (rules.snat) d = nat.setupInfo(r, rules.snat, NatManip.Src);
    else if (rules.masquerade)
      d = nat.masquerade(
        r,
        rules.masquerade.range ?? new NatRange(),
        rules.masquerade.state,
        ipDst(world, h),
      );
  }
  if (d === 0) d = nat.finish(NfHook.PostRouting, h, l3, outDev === null ? -1 : outDev.id);
  if (d === 0) d = ct.confirm(h);
  if (d !== 0) {
    ct.frameFreed(h);
    world.drop(h, d as never, -1);
  }
  return d;
}

/** Delivers a frame at the far side: clears its conntrack reference (netns crossing) and frees it. */
export function deliver(world: World, h: number): Uint8Array {
  const b = bytes(world, h);
  world.pool.ctId[h] = -1;
  world.consume(h);
  return b;
}

export function ipDst(world: World, h: number): number {
  const u8 = world.pool.bytesOf(h);
  const o = world.pool.start[h]! + 16;
  return ((u8[o]! << 24) | (u8[o + 1]! << 16) | (u8[o + 2]! << 8) | u8[o + 3]!) >>> 0;
}

const tickKinds = new WeakMap<World, number>();
/** Advances simulated time to `t` ns (a no-op event at `t` makes the clock get there when idle). */
export function runUntil(world: World, t: number): void {
  let k = tickKinds.get(world);
  if (k === undefined) {
    k = world.sim.registerKind('test-tick', () => {});
    tickKinds.set(world, k);
  }
  if (t > world.sim.now) world.sim.at(t, k, 0, 0);
  world.sim.run({ until: t });
}
