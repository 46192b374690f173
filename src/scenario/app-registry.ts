// The contract between the scenario runner and the applications (src/apps/): probes (ping, UDP
// sender, TCP client) and servers (UDP/TCP echo-peer).
//
// An application module registers a factory per kind at import time:
//
//   registerApp('ping', (ctx, opts) => new PingProbe(ctx, opts));
//
// The runner creates each app when the scenario is set up (before any event runs), calls `start()`
// inside a simulator event at the app's start time (`ctx.world.sim.now` is that time), and calls
// `observe()` once after the run ended. An app drives itself with simulator events it schedules (its
// own event kinds, registered once per process or per world) and sockets of the transport layer.
//
// Observations are plain JSON-able records; the expectation checker reads the fields documented on
// `Observation`, and the JSON report includes the whole record (extra fields are welcome).

import type { Rng } from '../core/rng.js';
import type { Namespace } from '../net/namespace.js';
import type { World } from '../net/world.js';
import type { ProbeErrorName } from './types.js';

/** What the runner gives every app. */
export interface AppContext {
  readonly world: World;
  /** The namespace the app runs in (`from:` of a probe, `in:` of a server). */
  readonly ns: Namespace;
  /** The probe's name, or the server's label `c2:udp-echo-peer/5000`. */
  readonly name: string;
  /** A random stream of its own: `world.sim.rng.stream('app:' + name)`. */
  readonly rng: Rng;
  /** Shared by all apps of a run: servers append what they received; probes may read it. */
  readonly sightings: Sighting[];
  /**
   * A probe calls this once when it has nothing more to do (every reply in, or given up). The run
   * may then end early (after the scenario's `settle` time); a probe that never calls it keeps the
   * run going until its worst-case end (start + (count-1)·interval + timeout).
   */
  done(): void;
  /**
   * Opt-in explanations: opens a trace for a packet the app is about to send and returns its id, or
   * -1 when the run does not trace this app (absent = never). The app stores the id in the frame's
   * `pool.traceId` (or a socket's `traceId`); every stage the packet passes is then recorded.
   */
  openTrace?(label: string): number;
}

/** One datagram or connection a server received, as the server's socket saw it (after any NAT). */
export interface Sighting {
  /** Server label, `c2:udp-echo-peer/5000`. */
  server: string;
  proto: 'udp' | 'tcp';
  /** `10.0.0.2:40001` */
  src: string;
  /** `10.0.0.3:5000` */
  dst: string;
  payload: string;
  /** Simulated ns. */
  atNs: number;
}

// --- Options, with the scenario's defaults already applied --------------------------------------

export interface PingOptions {
  /** Destination as written (`10.0.0.3`) and as a u32. */
  dst: string;
  dstAddr: number;
  /** Echo requests to send (default 1). */
  count: number;
  /** Between requests (default 1 s, as ping). */
  intervalNs: number;
  /** IP TTL; null = the namespace's net.ipv4.ip_default_ttl. */
  ttl: number | null;
  /** ICMP payload bytes (default 56, as ping). */
  size: number;
  /** DF: true = `-M do`, false = `-M dont`, absent = `-M want` (ping's default). */
  df?: boolean;
  /** Wait after the last request for replies/errors (default 5 s). */
  timeoutNs: number;
}

export interface UdpOptions {
  dst: string;
  dstAddr: number;
  port: number;
  /** Source port; null = ephemeral (chosen by the transport layer). */
  sport: number | null;
  /** Default "hi". */
  payload: string;
  /** Datagrams to send (default 1). */
  count: number;
  intervalNs: number;
  ttl: number | null;
  /** Wait for a reply after the last datagram (default 1 s). */
  timeoutNs: number;
}

export interface TcpOptions {
  dst: string;
  dstAddr: number;
  port: number;
  sport: number | null;
  /** Sent after the handshake; null = connect, then close. */
  payload: string | null;
  /** IP_TTL; null = the namespace's net.ipv4.ip_default_ttl. */
  ttl?: number | null;
  /** Give up connecting / waiting for the reply after this long (default 5 s). */
  timeoutNs: number;
}

export interface DnsOptions {
  /** The name to look up, or for PTR an IPv4 address (the reverse name is built) or a reverse name. */
  name: string;
  type: 'A' | 'PTR';
  /** Nameserver address (a container's default: the first nameserver of its resolv.conf). */
  server: string;
  port: number;
  timeoutNs: number;
}

export interface ServerOptions {
  port: number;
  /** Local address to bind (u32); absent = every address. */
  addr?: number;
  /** (dns-server) A records: name → addresses. */
  records?: Readonly<Record<string, readonly string[]>>;
}

/** Options per app kind. Extend this map (and the scenario schema) to add a kind. */
export interface AppOptionsByKind {
  ping: PingOptions;
  udp: UdpOptions;
  tcp: TcpOptions;
  dns: DnsOptions;
  'udp-echo-peer': ServerOptions;
  'tcp-echo-peer': ServerOptions;
  'dns-server': ServerOptions;
}
export type AppKind = keyof AppOptionsByKind;

// --- Observations ---------------------------------------------------------------------------------

/** An ICMP error the probe's socket received (type/code as on the wire, `from` = the error's source). */
export interface IcmpErrorObservation {
  type: number;
  code: number;
  from: string;
}

/**
 * What a probe reports. Fields a kind does not have are left out. Expectations read:
 *   transmitted, received            (ping, udp) requests sent / replies received
 *   rttsNs                           (ping) round-trip times of the replies, in order
 *   replyFrom, replyTtl              source address and IP TTL of the (first) reply
 *   errors                           ICMP errors received (ping: per request; udp/tcp: on the socket)
 *   delivered                        (udp, tcp) the server application received the data
 *   replied, reply                   a reply came back, and its text (echo-peer: "saw SRC -> DST")
 *   serverSaw                        (udp, tcp) {src, dst} the server saw, parsed from the echo-peer
 *                                    reply or taken from `sightings`
 *   connected                        (tcp) the handshake completed
 *   error                            what the socket call reported, null when none
 */
export interface Observation {
  kind?: string;
  transmitted?: number;
  received?: number;
  rttsNs?: number[];
  replyFrom?: string | null;
  replyTtl?: number | null;
  errors?: IcmpErrorObservation[];
  delivered?: boolean;
  replied?: boolean;
  reply?: string | null;
  serverSaw?: { src: string; dst: string } | null;
  connected?: boolean;
  /** (dns) the answer's RCODE name and its A addresses / PTR names, in order. */
  rcode?: string | null;
  answers?: string[];
  error?: ProbeErrorName | null;
  [extra: string]: unknown;
}

export interface App {
  /** Called inside a simulator event at the app's start time. */
  start(): void;
  /** Called once after the run; servers may return what they saw. */
  observe(): Observation;
}

export type AppFactory<K extends AppKind> = (ctx: AppContext, opts: AppOptionsByKind[K]) => App;

const factories = new Map<AppKind, AppFactory<AppKind>>();

/** Registers the factory for an app kind (replaces an earlier one: tests may install fakes). */
export function registerApp<K extends AppKind>(kind: K, factory: AppFactory<K>): void {
  factories.set(kind, factory as unknown as AppFactory<AppKind>);
}

export function appFactory<K extends AppKind>(kind: K): AppFactory<K> | undefined {
  return factories.get(kind) as AppFactory<K> | undefined;
}

/** Removes a registration (tests). */
export function unregisterApp(kind: AppKind): void {
  factories.delete(kind);
}

export function registeredApps(): AppKind[] {
  return [...factories.keys()].sort();
}

/** Text `saw 10.0.0.2:40001 -> 10.0.0.3:5000` (the echo-peer reply) → {src, dst}, or null. */
export function parseEchoPeerReply(text: string): { src: string; dst: string } | null {
  const m = /^saw (\S+) -> (\S+)/.exec(text);
  return m === null ? null : { src: m[1]!, dst: m[2]! };
}

/** The echo-peer reply for a datagram/connection from `src` to `dst` (`ip:port` each). */
export function echoPeerReply(src: string, dst: string): string {
  return `saw ${src} -> ${dst}`;
}
