// The loaded scenario: an immutable plain tree (frozen with immer). Times are integer nanoseconds,
// rates bits per second; every optional field absent means "the default" (see defaults in run.ts and
// app-registry.ts), so printing a loaded scenario gives back what the user wrote.

import type { ImageDef } from './images.js';
import type { DeviceRef, Endpoint } from './units.js';

export interface HostSpec {
  readonly name: string;
  /** sysctls applied when the namespace is created, before any step. */
  readonly sysctl?: Readonly<Record<string, string>>;
  /** The host's /etc/resolv.conf, for its Docker engine (src/docker/container-files.ts). */
  readonly resolvConf?: string;
}

export interface LinkSpec {
  readonly a: DeviceRef;
  readonly b: DeviceRef;
  readonly delay?: number;
  readonly rate?: number;
  readonly queue?: number;
  readonly mtu?: number;
}

/** A block of command lines (a YAML block scalar, one command a line) or a list of command lines. */
export type RunBlock = string | readonly string[];

interface Timed {
  /** Absolute simulated time. */
  readonly at?: number;
  /** Time after the previous step (steps only). */
  readonly after?: number;
}

export interface CommandStep extends Timed {
  readonly in: readonly string[];
  readonly run: RunBlock;
  readonly name?: string;
}

/** Changes a scenario link's parameters (a recipe on the topology: see timeline.ts). */
export interface LinkStep extends Timed {
  readonly link: DeviceRef;
  readonly delay?: number;
  readonly rate?: number;
  readonly queue?: number;
  readonly name?: string;
}

export type StepSpec = CommandStep | LinkStep;

export const SERVER_KINDS = ['udp-echo-peer', 'tcp-echo-peer', 'dns-server'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface AppSpec {
  readonly in: string;
  readonly serve: ServerKind;
  readonly port: number;
  /** The local address the server binds (default: every address). */
  readonly address?: string;
  /** (dns-server) A records: name → addresses. */
  readonly records?: Readonly<Record<string, readonly string[]>>;
  readonly at?: number;
  readonly name?: string;
}

interface ProbeCommon {
  readonly name: string;
  readonly from: string;
  readonly at?: number;
}

export interface PingTraffic extends ProbeCommon {
  readonly ping: string;
  readonly count?: number;
  readonly interval?: number;
  readonly ttl?: number;
  readonly size?: number;
  /** IP_MTU_DISCOVER: true = DO, false = DONT, absent = WANT. */
  readonly df?: boolean;
  readonly timeout?: number;
}

export interface UdpTraffic extends ProbeCommon {
  readonly udp: Endpoint;
  readonly sport?: number;
  readonly payload?: string;
  readonly count?: number;
  readonly interval?: number;
  readonly ttl?: number;
  readonly timeout?: number;
}

export interface TcpTraffic extends ProbeCommon {
  readonly tcp: Endpoint;
  readonly sport?: number;
  readonly payload?: string;
  readonly ttl?: number;
  readonly timeout?: number;
}

export interface DnsTraffic extends ProbeCommon {
  /** Name to look up (A), or an IPv4 address / reverse name with `type: PTR`. */
  readonly dns: string;
  readonly type?: 'A' | 'PTR';
  /** Nameserver; default: the first nameserver of the container's resolv.conf (containers only). */
  readonly server?: string;
  readonly port?: number;
  readonly timeout?: number;
}

export type TrafficSpec = PingTraffic | UdpTraffic | TcpTraffic | DnsTraffic;

/** Errors a probe reports, named after what the socket API would say. */
export const PROBE_ERRORS = [
  'connection-refused',
  'connection-reset',
  'timeout',
  'net-unreachable',
  'host-unreachable',
  'port-unreachable',
  'protocol-unreachable',
  'admin-prohibited',
  'message-too-long',
  'ttl-exceeded',
] as const;
export type ProbeErrorName = (typeof PROBE_ERRORS)[number];

export interface IcmpExpect {
  readonly type: number;
  readonly code?: number;
  readonly from?: string;
}

interface ExpectCommon {
  /** Shown next to the check in the report. */
  readonly note?: string;
}

export interface ProbeExpect extends ExpectCommon {
  readonly probe: string;
  readonly transmitted?: number;
  readonly received?: number;
  readonly delivered?: boolean;
  readonly replied?: boolean;
  readonly connected?: boolean;
  readonly error?: ProbeErrorName;
  readonly serverSawSource?: string;
  readonly serverSawDestination?: string;
  readonly replyFrom?: string;
  readonly replyTtl?: number;
  readonly icmp?: IcmpExpect;
  readonly rttMax?: number;
  /** (dns) RCODE name. */
  readonly rcode?: string;
  /** (dns) the answers, in any order. */
  readonly answers?: readonly string[];
}

export interface CommandExpect extends ExpectCommon {
  readonly in: string;
  readonly run: string;
  /** When to run the command; default: after the run ended. */
  readonly at?: number;
  readonly outputContains?: readonly string[];
  readonly outputLacks?: readonly string[];
  readonly outputMatches?: string;
  readonly outputEquals?: string;
  readonly fails?: boolean;
  readonly errorContains?: string;
}

export interface DropExpect extends ExpectCommon {
  /** A reason name from src/net/drop-reason.ts (`TtlExpired`). */
  readonly drops: string;
  readonly count?: number;
  readonly min?: number;
  readonly max?: number;
}

export type ExpectSpec = ProbeExpect | CommandExpect | DropExpect;

export interface Scenario {
  readonly netsim: 1;
  readonly seed?: number | string;
  readonly description?: string;
  readonly hosts: readonly HostSpec[];
  readonly links?: readonly LinkSpec[];
  readonly steps?: readonly StepSpec[];
  readonly apps?: readonly AppSpec[];
  /** Container images for `docker run` steps (images.ts). */
  readonly images?: Readonly<Record<string, ImageDef>>;
  readonly traffic?: readonly TrafficSpec[];
  readonly expect?: readonly ExpectSpec[];
  readonly until?: number;
  readonly settle?: number;
}

export const isCommandStep = (s: StepSpec): s is CommandStep => 'run' in s;
export const isPing = (t: TrafficSpec): t is PingTraffic => 'ping' in t;
export const isUdp = (t: TrafficSpec): t is UdpTraffic => 'udp' in t;
export const isTcp = (t: TrafficSpec): t is TcpTraffic => 'tcp' in t;
export const isDns = (t: TrafficSpec): t is DnsTraffic => 'dns' in t;
export const isProbeExpect = (e: ExpectSpec): e is ProbeExpect => 'probe' in e;
export const isCommandExpect = (e: ExpectSpec): e is CommandExpect => 'run' in e;
export const isDropExpect = (e: ExpectSpec): e is DropExpect => 'drops' in e;
