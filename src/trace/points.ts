// Where the data plane records explanation stages: one small function per kind of stage.
//
// Every caller has already read `pool.traceId[h]` and found it >= 0, so everything here runs for traced
// frames only and may allocate (the notes are strings). Keeping these bodies out of the hot functions
// keeps those small (one typed-array read and a never-taken branch when tracing is off), which is what
// "zero cost when off" means here (bench/explain.bench.ts measures it).
//
// The recording sits beside the decision it explains, in the same code path: the bridge records the
// port it hands the frame to where it hands it over, netfilter records the verdict it returns, the
// IPv4 layer records the route it follows. The End row comes from World.consume / World.drop.

import type { World } from '../net/world.js';
import { NoteKind, Stage } from './explain.js';
import { NATIVE_HOOK_NAMES, ruleTextOf } from './rule-text.js';

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;

function ip(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function rd16(u8: Uint8Array, o: number): number {
  return (u8[o]! << 8) | u8[o + 1]!;
}

function rd32(u8: Uint8Array, o: number): number {
  return ((u8[o]! << 24) | (u8[o + 1]! << 16) | (u8[o + 2]! << 8) | u8[o + 3]!) >>> 0;
}

const TCP_FLAG_NAMES: readonly [number, string][] = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
];

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
};

const UNREACH_CODES: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'communication administratively prohibited',
};

/** `10.0.0.2:40000 → 10.0.0.3:5000 udp` style text for the IPv4 packet at `off` (tcpdump-like). */
export function summarizeIpv4(u8: Uint8Array, off: number, end: number): string {
  if (end - off < 20) return 'truncated IPv4';
  const hl = (u8[off]! & 15) << 2;
  const proto = u8[off + 9]!;
  const src = ip(rd32(u8, off + 12));
  const dst = ip(rd32(u8, off + 16));
  const ttl = u8[off + 8]!;
  const frag = rd16(u8, off + 6);
  const fragText = (frag & 0x3fff) !== 0 ? ` frag off ${(frag & 0x1fff) * 8}${frag & 0x2000 ? '+' : ''}` : '';
  const l4 = off + hl;
  const first = (frag & 0x1fff) === 0;
  if (proto === 17 && first && end - l4 >= 8) {
    return `${src}:${rd16(u8, l4)} → ${dst}:${rd16(u8, l4 + 2)} udp ttl ${ttl}${fragText}`;
  }
  if (proto === 6 && first && end - l4 >= 14) {
    const f = u8[l4 + 13]!;
    const names = TCP_FLAG_NAMES.filter(([bit]) => (f & bit) !== 0).map(([, n]) => n);
    return `${src}:${rd16(u8, l4)} → ${dst}:${rd16(u8, l4 + 2)} tcp ${names.join(',') || 'none'} ttl ${ttl}${fragText}`;
  }
  if (proto === 1 && first && end - l4 >= 8) {
    const type = u8[l4]!;
    const code = u8[l4 + 1]!;
    let what = ICMP_TYPES[type] ?? `type ${type}`;
    if (type === 3) what += ` (${UNREACH_CODES[code] ?? `code ${code}`})`;
    if (type === 0 || type === 8) what += ` id ${rd16(u8, l4 + 4)} seq ${rd16(u8, l4 + 6)}`;
    return `${src} → ${dst} icmp ${what} ttl ${ttl}${fragText}`;
  }
  return `${src} → ${dst} proto ${proto} ttl ${ttl}${fragText}`;
}

/** The frame at `h` (starting at its Ethernet header) in a line. */
function summarizeFrame(w: World, h: number): string {
  const pool = w.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const end = off + pool.len[h]!;
  if (end - off < ETH_HLEN) return 'runt frame';
  const et = rd16(u8, off + 12);
  if (et === ETH_P_IP) return summarizeIpv4(u8, off + ETH_HLEN, end);
  if (et === ETH_P_ARP && end - off >= ETH_HLEN + 28) {
    const a = off + ETH_HLEN;
    const op = rd16(u8, a + 6);
    return op === 1
      ? `arp who-has ${ip(rd32(u8, a + 24))} tell ${ip(rd32(u8, a + 14))}`
      : `arp reply ${ip(rd32(u8, a + 14))} is-at ${macText(u8, a + 8)}`;
  }
  return `ethertype 0x${et.toString(16).padStart(4, '0')}`;
}

function macText(u8: Uint8Array, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(u8[o + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** The IPv4 packet at pool.start[h] in a line. */
export function summarizePacket(w: World, h: number): string {
  const pool = w.pool;
  const off = pool.start[h]!;
  return summarizeIpv4(pool.bytesOf(h), off, off + pool.len[h]!);
}

function row(
  w: World,
  t: number,
  stage: number,
  dev: number,
  a: number,
  b: number,
  c: number,
  h: number,
): number {
  return w.tracer.record(t, w.sim.now, stage as Stage, dev, a, b, c, h);
}

/** Device receive (dir 0) or transmit (dir 1); `h` starts at the Ethernet header. */
export function traceDev(w: World, t: number, h: number, devId: number, dir: 0 | 1): void {
  const pool = w.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const et = pool.len[h]! >= ETH_HLEN ? rd16(u8, off + 12) : 0;
  const r = row(w, t, dir === 0 ? Stage.DevRx : Stage.DevTx, devId, pool.len[h]!, et, 0, h);
  w.tracer.note(r, summarizeFrame(w, h));
}

/** A bridge decision (BridgeDecision) with its reason when it is not the obvious one. */
export function traceBridge(
  w: World,
  t: number,
  h: number,
  brId: number,
  decision: number,
  egress: number,
  ingress: number,
  why: string | null,
): void {
  const r = row(w, t, Stage.Bridge, brId, decision, egress, ingress, h);
  if (why !== null) w.tracer.note(r, why);
}

/** A packet reached netfilter hook `hook` (before any of its tables). */
export function traceHook(w: World, t: number, h: number, devId: number, hook: number): void {
  row(w, t, Stage.Netfilter, devId, hook, -1, -1, h);
}

/**
 * A table of hook `hook` decided `verdict` (NfVerdict): by rule `rule` of compiled table `table`
 * (-1 = the base chain's policy). `text` is the note (rule text, policy, or why it was skipped).
 */
export function traceTable(
  w: World,
  t: number,
  h: number,
  devId: number,
  hook: number,
  tableId: number,
  verdict: number,
  text: string,
): void {
  const r = row(w, t, Stage.Netfilter, devId, hook, tableId, verdict, h);
  w.tracer.note(r, text);
}

/** `-A CHAIN rule…` for a rule object, or `-P CHAIN POLICY` (+ scenario source when known). */
export { NATIVE_HOOK_NAMES, ruleTextOf };

export function traceConntrack(
  w: World,
  t: number,
  h: number,
  devId: number,
  state: number,
  ctRow: number,
  dir: number,
  text: string,
): void {
  const r = row(w, t, Stage.Conntrack, devId, state, ctRow, dir, h);
  w.tracer.note(r, text);
}

export function traceNat(
  w: World,
  t: number,
  h: number,
  devId: number,
  kind: number,
  addr: number,
  port: number,
  text: string,
): void {
  const r = row(w, t, Stage.Nat, devId, kind, addr, port, h);
  w.tracer.note(r, text);
}

export function traceRoute(
  w: World,
  t: number,
  h: number,
  devId: number,
  result: number,
  outDev: number,
  gw: number,
  text: string | null,
): void {
  const r = row(w, t, Stage.Route, devId, result, outDev, gw, h);
  if (text !== null) w.tracer.note(r, text);
}

export function traceNeighbour(
  w: World,
  t: number,
  h: number,
  devId: number,
  result: number,
  nud: number,
  nexthop: number,
): void {
  row(w, t, Stage.Neighbour, devId, result, nud, nexthop, h);
}

export function traceSocket(
  w: World,
  t: number,
  h: number,
  devId: number,
  proto: number,
  port: number,
  delivered: boolean,
  text: string,
): void {
  const r = row(w, t, Stage.Socket, devId, proto, port, delivered ? 1 : 0, h);
  w.tracer.note(r, text);
}

export function traceTunnel(
  w: World,
  t: number,
  h: number,
  devId: number,
  dir: 1 | 2,
  vni: number,
  addr: number,
): void {
  row(w, t, Stage.Tunnel, devId, dir, vni, addr, h);
}

export function traceIpvs(
  w: World,
  t: number,
  h: number,
  devId: number,
  svc: number,
  dest: number,
  port: number,
  text: string,
): void {
  const r = row(w, t, Stage.Ipvs, devId, svc, dest, port, h);
  w.tracer.note(r, text);
}

/**
 * `reply` is a new frame the stack made in answer to traced frame `orig` (ICMP error, RST, REJECT
 * reply): it joins the trace, and its first row says what it answers. Call before sending it.
 */
export function traceReply(w: World, orig: number, reply: number, devId: number, what: string): void {
  const t = w.pool.traceId[orig]!;
  w.pool.traceId[reply] = t;
  const r = row(w, t, Stage.Note, devId, NoteKind.Reply, orig, 0, reply);
  w.tracer.note(r, `${what}: ${summarizePacket(w, reply)}`);
}

/** A free-form note on frame `h` (NoteKind). */
export function traceNote(
  w: World,
  t: number,
  h: number,
  devId: number,
  kind: number,
  parent: number,
  text: string,
): void {
  const r = row(w, t, Stage.Note, devId, kind, parent, 0, h);
  w.tracer.note(r, text);
}

/** The application that opened trace `t` sends frame `h` (an IPv4 packet at pool.start[h]). */
export function traceSent(w: World, t: number, h: number, devId: number, app: string): void {
  w.pool.traceId[h] = t;
  traceNote(w, t, h, devId, NoteKind.Sent, -1, `${app} sends ${summarizePacket(w, h)}`);
}

export { ip as ipText };

/** TCP demultiplexing of a traced segment (tcp_v4_rcv's socket lookup). */
export function explainTcpLookup(
  w: World,
  h: number,
  devId: number,
  port: number,
  conn: boolean,
  listener: boolean,
): void {
  const text = conn
    ? `tcp: segment for an existing connection on port ${port}`
    : listener
      ? `tcp: to the socket listening on port ${port}`
      : `tcp: no socket on port ${port}: answered with RST`;
  traceSocket(w, w.pool.traceId[h]!, h, devId, 6, port, conn || listener, text);
}

/** UDP demultiplexing of a traced datagram (__udp4_lib_rcv's socket lookup). */
export function explainUdpLookup(w: World, h: number, devId: number, port: number, found: boolean): void {
  const text = found
    ? `udp: delivered to the socket bound to port ${port}`
    : `udp: no socket bound to port ${port}: ICMP port unreachable`;
  traceSocket(w, w.pool.traceId[h]!, h, devId, 17, port, found, text);
}
