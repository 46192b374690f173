// Text forms of the scenario's scalar values: durations, rates, IPv4 addresses, endpoints.
//
// Rates use tc's bit units (`kbit`, `Mbit`, `Gbit`, SI powers of ten). `bps`-style suffixes are
// refused: tc reads `1gbps` as gigaBYTES per second while most people mean gigabits, so accepting it
// would be off by 8 for half the readers.

import { DurationSyntaxError, formatDuration, parseDuration } from '../core/time.js';
import { ipv4ToString, tryParseIpv4 } from '../wire/ipv4-address.js';
import { type Codec, textual } from './codec.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; detail?: string };

export function parseDurationText(text: string): Parsed<number> {
  try {
    return { ok: true, value: parseDuration(text) };
  } catch (e) {
    if (e instanceof DurationSyntaxError) {
      const m = /\((.*)\)$/.exec(e.message);
      return m === null ? { ok: false } : { ok: false, detail: m[1]! };
    }
    throw e;
  }
}

export const duration = (description?: string): Codec<number> =>
  textual({
    expected: 'a duration like 1.5ms',
    parse: parseDurationText,
    format: formatDuration,
    pattern: '^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+)$',
    description: description ?? 'a duration: 250us, 1.5ms, 30s, 1m30s',
  });

const RATE_UNITS: Readonly<Record<string, number>> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
};

export function parseRate(text: string): Parsed<number> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (m === null) return { ok: false };
  const unit = m[2]!.toLowerCase();
  if (unit.endsWith('bps')) return { ok: false, detail: 'write bits per second as kbit, Mbit or Gbit' };
  const mult = RATE_UNITS[unit];
  if (mult === undefined) return { ok: false, detail: `unknown unit "${m[2]}"` };
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v) || v <= 0)
    return { ok: false, detail: 'a whole, positive number of bits per second' };
  return { ok: true, value: v };
}

export function formatRate(bps: number): string {
  for (const [name, mult] of [
    ['Tbit', 1e12],
    ['Gbit', 1e9],
    ['Mbit', 1e6],
    ['kbit', 1e3],
  ] as const) {
    if (bps >= mult && Number.isInteger((bps / mult) * 1000) && (bps / mult) * mult === bps) {
      const text = `${bps / mult}${name}`;
      const back = parseRate(text);
      if (back.ok && back.value === bps) return text;
    }
  }
  return `${bps}bit`;
}

export const rate = (): Codec<number> =>
  textual({
    expected: 'a rate like 100Mbit',
    parse: parseRate,
    format: formatRate,
    pattern: '^\\d+(\\.\\d+)?\\s*([kKmMgGtT]?[bB][iI][tT])$',
    description: 'a rate in bits per second: 10kbit, 100Mbit, 1Gbit',
  });

export const ipv4Address = (): Codec<string> =>
  textual<string>({
    expected: 'an IPv4 address like 10.0.0.2',
    parse: (t) => (tryParseIpv4(t) >= 0 ? { ok: true, value: t } : { ok: false }),
    format: (v) => v,
    pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$',
  });

export interface Endpoint {
  readonly addr: string;
  readonly port: number;
}

export function parseEndpoint(text: string): Parsed<Endpoint> {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (m === null || tryParseIpv4(m[1]!) < 0) return { ok: false };
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return { ok: false, detail: 'ports are 1 to 65535' };
  return { ok: true, value: { addr: ipv4ToString(tryParseIpv4(m[1]!)), port } };
}

export const endpoint = (): Codec<Endpoint> =>
  textual({
    expected: 'an address and port like 10.0.0.2:5000',
    parse: parseEndpoint,
    format: (e) => `${e.addr}:${e.port}`,
    pattern: '^\\d{1,3}(\\.\\d{1,3}){3}:\\d{1,5}$',
  });

/** An address with an optional port, as `server-saw-source` compares it. */
export function parseAddrMaybePort(text: string): Parsed<string> {
  if (tryParseIpv4(text) >= 0) return { ok: true, value: text };
  const e = parseEndpoint(text);
  return e.ok ? { ok: true, value: text } : e;
}

export const addrMaybePort = (): Codec<string> =>
  textual<string>({
    expected: 'an address like 10.0.0.1 or 10.0.0.1:40001',
    parse: parseAddrMaybePort,
    format: (v) => v,
    pattern: '^\\d{1,3}(\\.\\d{1,3}){3}(:\\d{1,5})?$',
  });

export interface DeviceRef {
  readonly host: string;
  readonly dev: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$/;

export function parseDeviceRef(text: string): Parsed<DeviceRef> {
  const i = text.lastIndexOf(':');
  if (i <= 0) return { ok: false };
  const host = text.slice(0, i);
  const dev = text.slice(i + 1);
  if (!NAME.test(host)) return { ok: false };
  if (!IFNAME.test(dev)) return { ok: false, detail: 'interface names have at most 15 characters' };
  return { ok: true, value: { host, dev } };
}

export const deviceRef = (): Codec<DeviceRef> =>
  textual({
    expected: 'host:interface like host:eth1',
    parse: parseDeviceRef,
    format: (r) => `${r.host}:${r.dev}`,
    pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*:[A-Za-z0-9_][A-Za-z0-9_.@-]{0,14}$',
  });

export const HOST_NAME = NAME;
