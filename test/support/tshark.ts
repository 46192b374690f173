// Runs tshark (Wireshark's CLI) on a capture file and returns what it decoded, as an independent
// oracle for our wire formats and pcapng files. Tests that need it use `describe.skipIf(!hasTshark)`
// and call `warnNoTshark()` so a skip is visible; CI installs tshark so they run there.
import { spawnSync } from 'node:child_process';

/** Checksum validation preferences (names from `tshark -G defaultprefs`, Wireshark 4.0). ICMP and
 * ICMPv6 have no such preference: their checksums are always verified. */
export const CHECKSUM_PREFS: Readonly<Record<string, string>> = Object.freeze({
  'ip.check_checksum': 'TRUE',
  'udp.check_checksum': 'TRUE',
  'tcp.check_checksum': 'TRUE',
});

function probe(): { version: string | null; reason: string } {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.error) return { version: null, reason: `tshark not runnable (${r.error.message})` };
  if (r.status !== 0) return { version: null, reason: `tshark --version exited with ${r.status}` };
  return { version: r.stdout.split('\n')[0] ?? 'tshark', reason: '' };
}

const probed = probe();
/** True when a working tshark is on PATH. */
export const hasTshark = probed.version !== null;
/** First line of `tshark --version`, or null. */
export const tsharkVersion = probed.version;

/** Prints why tshark-based tests are skipped (call at module level of such a test file). */
export function warnNoTshark(what: string): void {
  if (!hasTshark) {
    console.warn(`[tshark] SKIPPED ${what}: ${probed.reason}. Install Wireshark's tshark to run it.`);
  }
}

export interface TsharkOptions {
  /** Preferences passed as `-o name:value`; defaults to CHECKSUM_PREFS. */
  prefs?: Readonly<Record<string, string>>;
  /** Display filter (`-Y`). */
  filter?: string;
  /** Extra arguments, e.g. `['-d', 'udp.port==4790,vxlan']`. */
  extra?: readonly string[];
}

export interface TsharkRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs tshark with `-r file` and the options; never throws on a non-zero exit (check `status`). */
export function runTshark(file: string, args: readonly string[], opts: TsharkOptions = {}): TsharkRun {
  const prefs = opts.prefs ?? CHECKSUM_PREFS;
  const argv = ['-r', file, '-n'];
  for (const [k, v] of Object.entries(prefs)) argv.push('-o', `${k}:${v}`);
  if (opts.filter !== undefined) argv.push('-Y', opts.filter);
  argv.push(...(opts.extra ?? []), ...args);
  const r = spawnSync('tshark', argv, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A decoded packet: tshark's `_source.layers`, protocol name → field tree. */
export type TsharkLayers = Record<string, unknown>;

/**
 * Decodes every packet with `-T json --no-duplicate-keys` (repeated fields, such as DNS answers or
 * TCP options, become arrays). Throws with tshark's stderr when tshark fails to read the file.
 */
export function tsharkJson(file: string, opts: TsharkOptions = {}): TsharkLayers[] {
  const r = runTshark(file, ['-T', 'json', '--no-duplicate-keys'], opts);
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}) on ${file}: ${r.stderr}`);
  const arr = JSON.parse(r.stdout) as { _source: { layers: TsharkLayers } }[];
  return arr.map((p) => p._source.layers);
}

/** Field values per packet with `-T fields -e …` (tab-separated, repeated values joined by ","). */
export function tsharkFields(file: string, fields: readonly string[], opts: TsharkOptions = {}): string[][] {
  const args = ['-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const r = runTshark(file, args, opts);
  if (r.status !== 0) throw new Error(`tshark failed (${r.status}) on ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/** Finds the first value of `key` anywhere in a decoded tree (depth first), or undefined. */
export function findField(tree: unknown, key: string): unknown {
  if (tree === null || typeof tree !== 'object') return undefined;
  if (Array.isArray(tree)) {
    for (const t of tree) {
      const v = findField(t, key);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  const obj = tree as Record<string, unknown>;
  if (key in obj) return obj[key];
  for (const v of Object.values(obj)) {
    const found = findField(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every value of `key` anywhere in a decoded tree, flattening arrays. */
export function findAll(tree: unknown, key: string, out: unknown[] = []): unknown[] {
  if (tree === null || typeof tree !== 'object') return out;
  if (Array.isArray(tree)) {
    for (const t of tree) findAll(t, key, out);
    return out;
  }
  for (const [k, v] of Object.entries(tree as Record<string, unknown>)) {
    if (k === key) {
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    findAll(v, key, out);
  }
  return out;
}

// Expert-info severities as tshark prints them (epan/proto.h PI_WARN, PI_ERROR).
const PI_WARN = 0x00600000;
const PI_ERROR = 0x00800000;
// proto_checksum status: 0 = bad (1 good, 2 unverified, 3 not present, 4 illegal).
const CHECKSUM_BAD = '0';

/**
 * Problems tshark reported in one packet: malformed-packet markers, checksum fields whose status is
 * "Bad", and expert infos of warning or error severity. Empty when tshark was happy.
 */
export function tsharkProblems(layers: TsharkLayers): string[] {
  const out: string[] = [];
  const walk = (tree: unknown, path: string): void => {
    if (tree === null || typeof tree !== 'object') return;
    if (Array.isArray(tree)) {
      tree.forEach((t, i) => {
        walk(t, `${path}[${i}]`);
      });
      return;
    }
    for (const [k, v] of Object.entries(tree as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (k === '_ws.malformed' || k.startsWith('_ws.malformed')) out.push(`${p}: malformed`);
      if (k.endsWith('checksum.status') || k.endsWith('checksum_status')) {
        for (const s of Array.isArray(v) ? v : [v]) if (s === CHECKSUM_BAD) out.push(`${p}: bad checksum`);
      }
      if (k === '_ws.expert.severity') {
        for (const s of Array.isArray(v) ? v : [v]) {
          const sev = Number(s);
          if (sev >= PI_WARN) {
            const msg = (tree as Record<string, unknown>)['_ws.expert.message'];
            out.push(`${p}: expert ${sev >= PI_ERROR ? 'error' : 'warning'}: ${JSON.stringify(msg)}`);
          }
        }
      }
      walk(v, p);
    }
  };
  walk(layers, '');
  return out;
}
