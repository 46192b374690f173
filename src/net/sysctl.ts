// Per-namespace sysctls, as `sysctl -w` and /proc/sys/net show them.
//
// Definitions are registered once per process by the subsystem that reads them (`defineSysctl`), so a
// key exists exactly when the code that honours it exists; writing an unknown key fails like
// sysctl(8) does. Values are stored as the text /proc would print; the hot path never reads this store:
// subsystems subscribe (`watch`) and cache the numbers they need.
//
// Keys under net.ipv4.conf.<dev>. and net.ipv4.neigh.<dev>. exist for `all` (conf only), `default`
// and each device; a new device copies the current `default` values, as `devinet_init_net` /
// `inetdev_init` do.
//
// The copy is lazy, so a namespace costs no strings per device key: a device stores only the values
// that differ from "`default` as it was when the device appeared" — the ones written to it, and, when a
// `default` key is written while devices exist, the old value, snapshotted into each device that had
// not written that key (and existed when the key was defined) just before `default` changes. Reading
// an unwritten device key therefore gives exactly the value `default` had at the device's creation.

import type { Namespace } from './namespace.js';

export interface SysctlDef {
  /** Full key; `{dev}` marks a per-device key (e.g. `net.ipv4.conf.{dev}.rp_filter`). */
  key: string;
  /** Initial value as text. */
  initial: string;
  /** Normalises a written value, or returns null when the kernel would answer EINVAL. */
  parse: (text: string) => string | null;
  /**
   * When given, the key exists in a namespace only while this returns true (a module's table,
   * registered by `register_net_sysctl` once the module is loaded, e.g. net.bridge.* of br_netfilter).
   */
  present?: (ns: Namespace) => boolean;
}

const defs = new Map<string, SysctlDef>();
/** Per-device (`{dev}`) keys in definition order: a device copies those defined before it appeared. */
const devPatterns: string[] = [];
const devPatternIndex = new Map<string, number>();

interface Resolved {
  readonly def: SysctlDef;
  readonly dev: string | null;
}

/**
 * Resolutions that are the same in every namespace, by concrete key: global keys without `present`
 * and the `all`/`default` per-device keys. Every new IPv4 stack reads 23 of them, and splitting the
 * key with a regular expression each time was a third of the cost of creating a namespace.
 */
const sharedResolved = new Map<string, Resolved>();

/** Registers a sysctl; idempotent for the same key. */
export function defineSysctl(def: SysctlDef): void {
  sharedResolved.clear();
  if (def.key.includes('{dev}') && !devPatternIndex.has(def.key)) {
    devPatternIndex.set(def.key, devPatterns.length);
    devPatterns.push(def.key);
  }
  defs.set(def.key, def);
}

/** Parser for integer sysctls within [min, max]. */
export function intSysctl(min: number, max: number): (text: string) => string | null {
  return (text) => {
    const t = text.trim();
    if (!/^-?\d+$/.test(t)) return null;
    const v = Number(t);
    return v >= min && v <= max ? String(v) : null;
  };
}

/** Parser for boolean-ish integer sysctls that accept 0 or 1 only. */
export const boolSysctl = intSysctl(0, 1);

export class SysctlError extends Error {}

type Watcher = (value: string, dev: string | null) => void;
type EveryNamespaceWatcher = (ns: Namespace, value: string, dev: string | null) => void;

/** Watchers registered once per process for every namespace (`watchSysctlEverywhere`), by pattern. */
const everywhere = new Map<string, EveryNamespaceWatcher[]>();

/**
 * Subscribes to writes of a key pattern in every namespace, once per process (at module load, like
 * `defineSysctl`); the watcher reaches the namespace's own state through `ns`. For subsystems that
 * exist in every namespace (the IPv4 stack): ~36 closures per namespace made a 10^5-namespace
 * topology several KB per namespace heavier. These run before the namespace's own `watch`ers.
 */
export function watchSysctlEverywhere(pattern: string, fn: EveryNamespaceWatcher): void {
  const list = everywhere.get(pattern);
  if (list === undefined) everywhere.set(pattern, [fn]);
  else list.push(fn);
}

export class Sysctls {
  /** Global, `all` and `default` keys that were written (by full key). */
  private values: Map<string, string> | null = null;
  /** Device name → (`{dev}` pattern → value): written values and `default` snapshots (see header). */
  private devValues: Map<string, Map<string, string>> | null = null;
  /** Device name → how many `{dev}` patterns existed when it appeared (later ones read `default`). */
  private readonly devCopied = new Map<string, number>();
  /** This namespace's own watchers (made on first `watch`: most namespaces have none). */
  private watchers: Map<string, Watcher[]> | null = null;

  constructor(private readonly ns: Namespace) {}

  /** Resolves a concrete key to its definition and the device name it names (or null). */
  private resolve(key: string): Resolved | null {
    const shared = sharedResolved.get(key);
    if (shared !== undefined) return shared;
    const direct = defs.get(key);
    if (direct !== undefined && !direct.key.includes('{dev}')) {
      if (direct.present !== undefined) return direct.present(this.ns) ? { def: direct, dev: null } : null;
      const r = { def: direct, dev: null };
      sharedResolved.set(key, r);
      return r;
    }
    // The device name is everything between the prefix and the last component, so names with dots
    // (802.1Q sub-interfaces: `eth0.7`) resolve too — the kernel's own per-device writes (ip_forward →
    // every conf.DEV.forwarding, inet_forward_change) reach them.
    const m = /^(net\.ipv4\.(?:conf|neigh)\.)(.+)(\.[^.]+)$/.exec(key);
    if (m === null) return null;
    const pattern = `${m[1]}{dev}${m[3]}`;
    const def = defs.get(pattern);
    if (def === undefined) return null;
    const dev = m[2]!;
    const isNeigh = m[1] === 'net.ipv4.neigh.';
    if (dev === 'default' || (dev === 'all' && !isNeigh)) {
      const r = { def, dev };
      sharedResolved.set(key, r);
      return r;
    }
    if (this.ns.device(dev) === undefined) return null;
    return { def, dev };
  }

  private notFound(key: string): SysctlError {
    return new SysctlError(
      `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory`,
    );
  }

  has(key: string): boolean {
    return this.resolve(key) !== null;
  }

  get(key: string): string {
    const r = this.resolve(key);
    if (r === null) throw this.notFound(key);
    if (r.dev !== null && r.dev !== 'default' && r.dev !== 'all') {
      const own = this.devValues?.get(r.dev)?.get(r.def.key);
      if (own !== undefined) return own;
      // Unwritten: `default` has not changed since the device appeared (else a snapshot exists).
      return this.values?.get(r.def.key.replace('{dev}', 'default')) ?? r.def.initial;
    }
    return this.values?.get(key) ?? r.def.initial;
  }

  /** Numeric read for config-side code; NaN when the value is not a single integer. */
  getInt(key: string): number {
    return Number(this.get(key));
  }

  /** `sysctl -w key=value`: throws SysctlError with sysctl(8)'s wording on failure. */
  set(key: string, text: string): string {
    const r = this.resolve(key);
    if (r === null) throw this.notFound(key);
    const v = r.def.parse(text);
    if (v === null) throw new SysctlError(`sysctl: setting key "${key}": Invalid argument`);
    if (r.dev !== null && r.dev !== 'default' && r.dev !== 'all') this.ownValues(r.dev).set(r.def.key, v);
    else {
      if (r.dev === 'default') this.snapshotDefault(r.def, key);
      if (this.values === null) this.values = new Map();
      this.values.set(key, v);
    }
    const es = everywhere.get(r.def.key);
    if (es !== undefined) for (const w of es) w(this.ns, v, r.dev);
    const ws = this.watchers?.get(r.def.key);
    if (ws !== undefined) for (const w of ws) w(v, r.dev);
    return v;
  }

  /** Subscribes to writes of a key pattern (e.g. `net.ipv4.conf.{dev}.forwarding`). */
  watch(pattern: string, fn: Watcher): void {
    if (this.watchers === null) this.watchers = new Map();
    const list = this.watchers.get(pattern);
    if (list === undefined) this.watchers.set(pattern, [fn]);
    else list.push(fn);
  }

  private ownValues(dev: string): Map<string, string> {
    if (this.devValues === null) this.devValues = new Map();
    let m = this.devValues.get(dev);
    if (m === undefined) {
      m = new Map();
      this.devValues.set(dev, m);
    }
    return m;
  }

  /**
   * `default.X` is about to change: every device that copied X at creation and never wrote it keeps
   * the value it copied.
   */
  private snapshotDefault(def: SysctlDef, defaultKey: string): void {
    const idx = devPatternIndex.get(def.key)!;
    const old = this.values?.get(defaultKey) ?? def.initial;
    for (const [dev, copied] of this.devCopied) {
      if (copied <= idx) continue; // X was defined after the device appeared: it follows `default`
      const own = this.ownValues(dev);
      if (!own.has(def.key)) own.set(def.key, old);
    }
  }

  /** A device appeared: its per-device keys start as (lazy) copies of `default`. */
  deviceCreated(dev: string): void {
    this.devValues?.delete(dev);
    this.devCopied.set(dev, devPatterns.length);
  }

  /** A device left: its keys go away. */
  deviceRemoved(dev: string): void {
    this.devValues?.delete(dev);
    this.devCopied.delete(dev);
  }

  /** Every key and its value, sorted, as `sysctl -a` lists them. */
  list(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const devNames = ['all', 'default', ...this.ns.devices.map((d) => d.name)];
    for (const def of defs.values()) {
      if (!def.key.includes('{dev}')) {
        if (def.present !== undefined && !def.present(this.ns)) continue;
        out.push([def.key, this.get(def.key)]);
        continue;
      }
      const isNeigh = def.key.startsWith('net.ipv4.neigh.');
      for (const d of devNames) {
        if (isNeigh && d === 'all') continue;
        const k = def.key.replace('{dev}', d);
        out.push([k, this.get(k)]);
      }
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
