// Test helpers: a director namespace with IPVS configured through the control API, and frames built
// with the project's wire emitters, starting at the IPv4 header as LOCAL_IN sees them.
import { Fwd } from '../../src/ipvs/defs.js';
import { type DestSpec, Ipvs, IpvsCtx, type ServiceSpec } from '../../src/ipvs/ipvs.js';
import { Decision, SchedPacket } from '../../src/ipvs/schedulers/scheduler.js';
import type { Service } from '../../src/ipvs/service.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv4 as ip } from '../../src/wire/ipv4-address.js';
import { emitTcp, TcpFlag } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';

export { ip };
export const SYN = TcpFlag.SYN;
export const ACK = TcpFlag.ACK;
export const FIN = TcpFlag.FIN;
export const RST = TcpFlag.RST;

export interface Director {
  world: World;
  ns: Namespace;
  ipvs: Ipvs;
  ctx: IpvsCtx;
}

let counter = 0;
export function director(seed = 1): Director {
  const world = new World({ seed, check: true });
  const ns = world.addNamespace(`lb${counter++}`);
  const ipvs = Ipvs.of(ns);
  ipvs.routeSource = () => ip('192.168.0.1');
  return { world, ns, ipvs, ctx: new IpvsCtx() };
}

export function svcSpec(text: string, sched = 'wlc', more: Partial<ServiceSpec> = {}): ServiceSpec {
  const [proto, rest] = text.split(' ') as [string, string];
  if (proto === 'FWM') {
    return {
      proto: 6,
      addr: 0,
      port: 0,
      fwmark: Number(rest),
      sched,
      flags: 0,
      timeoutS: 0,
      netmask: 0xffffffff,
      ...more,
    };
  }
  const [a, p] = rest.split(':') as [string, string];
  return {
    proto: proto === 'TCP' ? 6 : 17,
    addr: ip(a),
    port: Number(p),
    fwmark: 0,
    sched,
    flags: 0,
    timeoutS: 0,
    netmask: 0xffffffff,
    ...more,
  };
}

export function destSpec(
  addrPort: string,
  weight = 1,
  fwd: Fwd = Fwd.Masq,
  more: Partial<DestSpec> = {},
): DestSpec {
  const [a, p] = addrPort.split(':') as [string, string];
  return { addr: ip(a), port: Number(p), fwd, weight, uThreshold: 0, lThreshold: 0, ...more };
}

/** A TCP segment (IPv4 + TCP, no options) in a fresh frame; returns the handle. */
export function tcpFrame(
  world: World,
  src: string,
  dst: string,
  flags: number,
  opts: { ttl?: number; payload?: number; df?: boolean; mark?: number; tos?: number } = {},
): number {
  const [sa, sp] = src.split(':') as [string, string];
  const [da, dp] = dst.split(':') as [string, string];
  const h = world.newFrame();
  const pool = world.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const payload = new Uint8Array(opts.payload ?? 0).fill(0x61);
  const hl = emitIpv4(
    {
      tos: opts.tos ?? 0,
      ident: 0x1234,
      df: opts.df ?? true,
      mf: false,
      fragOffset: 0,
      ttl: opts.ttl ?? 64,
      proto: 6,
      src: ip(sa),
      dst: ip(da),
      options: new Uint8Array(0),
      payloadLen: 20 + payload.length,
    },
    u8,
    off,
  );
  emitTcp(
    {
      srcPort: Number(sp),
      dstPort: Number(dp),
      seq: 1000,
      ack: flags & ACK ? 2000 : 0,
      flags,
      window: 65535,
      urgent: 0,
      options: {},
      payload,
    },
    u8,
    off + hl,
    ip(sa),
    ip(da),
  );
  pool.setLength(h, hl + 20 + payload.length);
  if (opts.mark !== undefined) pool.mark[h] = opts.mark;
  return h;
}

export function udpFrame(
  world: World,
  src: string,
  dst: string,
  opts: { checksum?: boolean; mark?: number } = {},
): number {
  const [sa, sp] = src.split(':') as [string, string];
  const [da, dp] = dst.split(':') as [string, string];
  const h = world.newFrame();
  const pool = world.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const payload = Uint8Array.from([1, 2, 3, 4, 5]);
  const hl = emitIpv4(
    {
      tos: 0,
      ident: 7,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      proto: 17,
      src: ip(sa),
      dst: ip(da),
      options: new Uint8Array(0),
      payloadLen: 8 + payload.length,
    },
    u8,
    off,
  );
  emitUdp(
    { srcPort: Number(sp), dstPort: Number(dp), payload },
    u8,
    off + hl,
    ip(sa),
    ip(da),
    opts.checksum ?? true,
  );
  pool.setLength(h, hl + 8 + payload.length);
  if (opts.mark !== undefined) pool.mark[h] = opts.mark;
  return h;
}

/** Runs one packet through `schedule`, frees it, returns [verdict, real server "a.b.c.d:port" or '']. */
export function send(d: Director, h: number): { verdict: number; to: string } {
  const pool = d.world.pool;
  const v = d.ipvs.schedule(h, pool.start[h]!, d.ctx);
  let to = '';
  if (d.ctx.conn >= 0 && (d.ipvs.conns.live[d.ctx.conn]! & 1) !== 0) {
    const c = d.ipvs.conns;
    const r = d.ctx.conn;
    to = `${ipStr(c.daddr[r]!)}:${c.dport[r]}`;
  }
  d.world.consume(h);
  return { verdict: v, to };
}

export function ipStr(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Advances simulated time by `ns`, running due events (timers). */
export function advance(world: World, ns: number): void {
  world.sim.run({ until: world.sim.now + ns });
}

/** A service whose dests are added in `adds` order (so the kernel list is the reverse). */
export function service(sched: string, adds: Array<[string, number]>, flags = 0) {
  const d = director();
  const spec = svcSpec('TCP 10.0.0.1:80', sched, { flags });
  if (d.ipvs.addService(spec) !== 0) throw new Error('addService');
  for (const [a, w] of adds)
    if (d.ipvs.addDest(spec, destSpec(`${a}:80`, w, Fwd.Masq)) !== 0) throw new Error('addDest');
  const svc = d.ipvs.findService(spec)!;
  return { d, spec, svc };
}

export function pick(svc: Service, saddr = '1.1.1.1', sport = 1000, daddr = '10.0.0.1'): string {
  const p = new SchedPacket();
  p.proto = 6;
  p.saddr = ip(saddr);
  p.sport = sport;
  p.daddr = ip(daddr);
  p.dport = 80;
  const dest = svc.sched!.schedule(svc, p, new Decision());
  return dest === null ? '-' : ipStr(dest.addr);
}
