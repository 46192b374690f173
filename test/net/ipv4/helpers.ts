// Hand-built worlds for IPv4 tests: namespaces joined by veth pairs, addresses, a ping socket that
// records what it hears, and frame-conservation checks.

import { expect } from 'vitest';
import type { Device } from '../../../src/net/device.js';
import { createPair } from '../../../src/net/devices/veth.js';
import { SCOPE } from '../../../src/net/ipv4/fib.js';
import { type Ipv4Stack, type PingSocket, stackOf } from '../../../src/net/ipv4/stack.js';
import type { Namespace } from '../../../src/net/namespace.js';
import { World } from '../../../src/net/world.js';
import { rd16, rd32, wr16, wr32 } from '../../../src/wire/bytes.js';
import { csumFull } from '../../../src/wire/checksum.js';
import { ipv4ToString, parseIpv4 } from '../../../src/wire/ipv4-address.js';

export const ip = parseIpv4;
export const S = 1_000_000_000;
export const MS = 1_000_000;

export function up(dev: Device): void {
  dev.adminUp = true;
  dev.world.notifyNetdev('up', dev);
}

export function down(dev: Device): void {
  dev.adminUp = false;
  dev.world.notifyNetdev('down', dev);
}

export function addAddr(dev: Device, cidr: string, extra: { broadcast?: number; scope?: number } = {}): void {
  const [a, p] = cidr.split('/');
  const err = stackOf(dev.ns).addAddress({
    devId: dev.id,
    local: ip(a!),
    plen: Number(p),
    broadcast: extra.broadcast ?? 0,
    scope: extra.scope ?? SCOPE.Universe,
    label: dev.name,
    secondary: false,
  });
  if (err !== null) throw new Error(err);
}

/** Adds a route through the stack's config API; throws on error. */
export function addRoute(
  ns: Namespace,
  dst: string,
  via: string | null,
  dev: Device | null,
  metric = 0,
): void {
  const st = stackOf(ns);
  const [a, p] = dst === 'default' ? ['0.0.0.0', '0'] : dst.split('/');
  const err = st.routeAdd(
    {
      table: 254,
      type: 1,
      dst: ip(a!),
      plen: p === undefined ? 32 : Number(p),
      metric,
      devId: dev === null ? -1 : dev.id,
      gw: via === null ? 0 : ip(via),
      prefsrc: 0,
      scope: via === null ? SCOPE.Link : SCOPE.Universe,
      proto: 3,
      flags: 0,
    },
    'add',
  );
  if (err !== null) throw new Error(err);
}

export interface Heard {
  t: number;
  kind: 'reply' | 'error';
  from: string;
  type: number;
  code: number;
  seq: number;
  ttl: number;
  info: number;
}

/** A ping socket that records echo replies and errors. */
export class Pinger implements PingSocket {
  heard: Heard[] = [];
  constructor(
    readonly ns: Namespace,
    readonly ident: number,
  ) {
    stackOf(ns).registerPingSocket(ident, this);
  }
  echoReply(h: number, icmpOff: number): void {
    const w = this.ns.world;
    const u8 = w.pool.bytesOf(h);
    const off = w.pool.start[h]!;
    this.heard.push({
      t: w.sim.now,
      kind: 'reply',
      from: ipv4ToString(rd32(u8, off + 12)),
      type: 0,
      code: 0,
      seq: rd16(u8, icmpOff + 6),
      ttl: u8[off + 8]!,
      info: 0,
    });
    w.consume(h);
  }
  error(h: number, quoteOff: number, _end: number, type: number, code: number, info: number): void {
    const w = this.ns.world;
    const u8 = w.pool.bytesOf(h);
    const off = w.pool.start[h]!;
    const qhl = (u8[quoteOff]! & 0x0f) << 2;
    this.heard.push({
      t: w.sim.now,
      kind: 'error',
      from: ipv4ToString(rd32(u8, off + 12)),
      type,
      code,
      seq: rd16(u8, quoteOff + qhl + 6),
      ttl: u8[off + 8]!,
      info,
    });
  }
  /** Sends an echo request with `payload` bytes of data (ping's default 56). */
  send(dst: string, seq: number, opts: { payload?: number; df?: boolean; ttl?: number } = {}): number {
    const w = this.ns.world;
    const pool = w.pool;
    const h = w.newFrame();
    const len = 20 + 8 + (opts.payload ?? 56);
    pool.setLength(h, len);
    const u8 = pool.bytesOf(h);
    const o = pool.start[h]!;
    u8.fill(0, o, o + len);
    u8[o] = 0x45;
    wr16(u8, o + 2, len);
    wr16(u8, o + 6, opts.df === false ? 0 : 0x4000);
    u8[o + 8] = opts.ttl ?? 64;
    u8[o + 9] = 1;
    wr32(u8, o + 12, 0);
    wr32(u8, o + 16, ip(dst));
    const i = o + 20;
    u8[i] = 8;
    wr16(u8, i + 4, this.ident);
    wr16(u8, i + 6, seq);
    for (let k = 8; k < len - 20; k++) u8[i + k] = k & 0xff;
    wr16(u8, i + 2, csumFull(u8, i, len - 20));
    return stackOf(this.ns).sendLocal(h);
  }
}

export function world(seed = 1): World {
  return new World({ seed, check: true });
}

/** Two namespaces joined by a veth pair (eth0 on each side), both ends and lo up. */
export function pairWorld(
  addrA = '10.0.0.1/24',
  addrB = '10.0.0.2/24',
): { w: World; a: Namespace; b: Namespace; ea: Device; eb: Device; sa: Ipv4Stack; sb: Ipv4Stack } {
  const w = world();
  const a = w.addNamespace('a');
  const b = w.addNamespace('b');
  const [ea, eb] = createPair(w, a, 'eth0', b, 'eth0');
  a.attach(ea);
  b.attach(eb);
  for (const d of [a.lo, b.lo, ea, eb]) up(d);
  ea.macHi = 0x0200;
  ea.macLo = 0xa;
  eb.macHi = 0x0200;
  eb.macLo = 0xb;
  addAddr(ea, addrA);
  addAddr(eb, addrB);
  return { w, a, b, ea, eb, sa: stackOf(a), sb: stackOf(b) };
}

/** Frame conservation and no leaks. Call after the simulator drained. */
export function expectConserved(w: World): void {
  const bal = w.frameBalance();
  expect(bal.inFlight).toBe(w.pool.liveCount);
  expect(w.pool.liveCount).toBe(0);
}

export function run(w: World, untilNs?: number): void {
  if (untilNs === undefined) w.sim.run();
  else w.sim.run({ until: untilNs });
}
