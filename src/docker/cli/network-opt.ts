// `docker run --network` values (docker/cli opts/network.go NetworkOpt.Set): a plain network name, or
// the long syntax `name=NET,alias=A,ip=ADDR,gw-priority=N` as CSV fields `key=value`.
//
// Facts kept from docker/cli: the long syntax is chosen when the value contains `WORD=WORD` anywhere
// (an unanchored regexp); each field is lower-cased as a whole before it is split (so the network
// name too); keys and values are trimmed; a field without `=` or with an empty key is refused, as
// are unknown keys; `gw-priority` is a decimal integer (Go strconv.Atoi); `name` is required.

import { CliError } from '../errors.js';

export interface NetworkAttachment {
  readonly target: string;
  readonly aliases: readonly string[];
  readonly ipv4?: string;
  readonly gwPriority?: number;
}

/** Keys docker/cli knows whose effect netsim does not model (IPv6, MACs, driver options). */
const UNMODELLED = new Set(['ip6', 'mac-address', 'link-local-ip', 'driver-opt']);

/** strconv.Atoi's accepted syntax: optional sign, decimal digits (int64 range on 64-bit Go). */
function atoi(v: string): number | 'invalid syntax' | 'value out of range' {
  if (!/^[+-]?[0-9]+$/.test(v)) return 'invalid syntax';
  const n = BigInt(v);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return 'value out of range';
  return Number(n);
}

export function parseNetworkOpt(value: string): NetworkAttachment {
  const bad = (why: string) => new CliError(`invalid argument "${value}" for "--network" flag: ${why}`);
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return { target: value, aliases: [] };
  let target = '';
  const aliases: string[] = [];
  let ipv4: string | undefined;
  let gwPriority: number | undefined;
  // docker/cli reads the fields with encoding/csv; quoted fields (a comma inside a value) are not
  // modelled: the value is split at every comma.
  for (const field of value.split(',')) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq < 0 || eq === 0) throw bad(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    if (key === 'name') target = val;
    else if (key === 'alias') aliases.push(val);
    else if (key === 'ip') ipv4 = val;
    else if (key === 'gw-priority') {
      const n = atoi(val);
      if (typeof n !== 'number') throw bad(`invalid gw-priority (${val}): ${n}`);
      gwPriority = n;
    } else if (UNMODELLED.has(key)) throw bad(`netsim does not model the ${key} field`);
    else throw bad(`invalid field key ${key}`);
  }
  if (target === '') throw bad('network name/id is not specified');
  return {
    target,
    aliases,
    ...(ipv4 !== undefined ? { ipv4 } : {}),
    ...(gwPriority !== undefined ? { gwPriority } : {}),
  };
}
