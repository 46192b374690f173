// The run report: a readable summary for people and a JSON document for tools.
//
// Per-namespace state comes from the show commands' JSON forms (`ip -j -s link show`, `ip -j neigh
// show`, `bridge -j fdb show`), so the report depends on what the tools print, not on internals; a
// tool that does not exist yet gives null for its part.

import { CommandError, runCommandLine } from '../control/command.js';
import { formatDuration } from '../core/time.js';
import { DROP_REASON_COUNT, DROP_REASON_NAMES } from '../net/drop-reason.js';
import type { World } from '../net/world.js';
import type { CheckResult } from '../scenario/expect.js';
import type { RunOutcome } from '../scenario/run.js';
import { explanationJson } from './render.js';

export const REPORT_FORMAT = 1;

export interface NamespaceState {
  links: unknown;
  neigh: unknown;
  fdb: unknown;
  /** Per device (by name), the frames it dropped by reason (only devices and reasons with drops). */
  drops: Record<string, Record<string, number>>;
}

function showJson(world: World, nsName: string, cmd: string): unknown {
  const ns = world.namespace(nsName);
  if (ns === undefined) return null;
  try {
    const out = runCommandLine({ world, ns }, cmd).stdout.trim();
    if (out === '') return [];
    try {
      return JSON.parse(out);
    } catch {
      return out;
    }
  } catch (e) {
    if (e instanceof CommandError) return null;
    throw e;
  }
}

export function namespaceState(world: World): Record<string, NamespaceState> {
  const out: Record<string, NamespaceState> = {};
  for (const ns of world.namespaces) {
    out[ns.name] = {
      links: showJson(world, ns.name, 'ip -j -s link show'),
      neigh: showJson(world, ns.name, 'ip -j neigh show'),
      fdb: showJson(world, ns.name, 'bridge -j fdb show'),
      drops: deviceDrops(world, ns.devices),
    };
  }
  return out;
}

function deviceDrops(
  world: World,
  devices: readonly { id: number; name: string }[],
): NamespaceState['drops'] {
  const out: NamespaceState['drops'] = {};
  for (const d of devices) {
    for (let r = 0; r < DROP_REASON_COUNT; r++) {
      const n = world.counters.dropsOf(d.id, r);
      if (n === 0) continue;
      out[d.name] ??= {};
      out[d.name]![DROP_REASON_NAMES[r] ?? String(r)] = n;
    }
  }
  return out;
}

export function dropsByReason(world: World): Record<string, number> {
  const out: Record<string, number> = {};
  world.dropCounts.forEach((n, i) => {
    if (n > 0) out[DROP_REASON_NAMES[i] ?? String(i)] = n;
  });
  return out;
}

export interface ReportInput {
  file: string;
  description?: string;
  outcome: RunOutcome;
  version: string;
  /** Include per-namespace state (neighbours, FDBs, counters). */
  state?: boolean;
}

/** The JSON report (a plain object; `JSON.stringify` it). */
export function jsonReport(r: ReportInput): Record<string, unknown> {
  const o = r.outcome;
  const balance = o.world.frameBalance();
  return {
    format: REPORT_FORMAT,
    netsim: r.version,
    scenario: r.file,
    description: r.description ?? null,
    seed: o.seed,
    ok: o.ok,
    summary: {
      expectations: o.checks.length,
      passed: o.checks.filter((c) => c.ok).length,
      failed: o.checks.filter((c) => !c.ok).length,
    },
    expectations: o.checks.map((c) => ({
      index: c.index,
      check: c.text,
      ok: c.ok,
      ...(c.observed !== undefined ? { observed: c.observed } : {}),
      ...(c.note !== undefined ? { note: c.note } : {}),
    })),
    probes: o.probes,
    servers: o.servers,
    sightings: o.sightings,
    drops: dropsByReason(o.world),
    frames: { ...balance, poolLive: o.world.pool.liveCount },
    events: o.events,
    simulatedNs: o.endNs,
    simulated: formatDuration(o.endNs),
    endReason: o.endReason,
    wallMs: Math.round(o.wallMs * 10) / 10,
    fingerprint: o.fingerprint,
    warnings: o.warnings,
    timeline: o.timeline,
    log: o.log,
    ...(r.state === false ? {} : { namespaces: namespaceState(o.world) }),
    ...(Object.keys(o.traces ?? {}).length > 0 ? { explanations: explanations(o) } : {}),
  };
}

/** Per traced probe: its traces (one per packet it sent), each with disposition, packets and text. */
export function explanations(o: RunOutcome): Record<string, unknown[]> {
  const all = o.world.tracer.traces();
  const out: Record<string, unknown[]> = {};
  for (const [probe, ids] of Object.entries(o.traces ?? {})) {
    out[probe] = ids.map((id) => explanationJson(o.world, all[id]!));
  }
  return out;
}

function checkLine(c: CheckResult, color: boolean): string {
  const mark = c.ok ? (color ? '\x1b[32m✓\x1b[0m' : '✓') : color ? '\x1b[31m✗\x1b[0m' : '✗';
  const note = c.note ? ` — ${c.note}` : '';
  const obs = c.ok || c.observed === undefined ? '' : `\n      observed: ${c.observed}`;
  return `  ${mark} ${c.text}${note}${obs}`;
}

/** The readable summary printed after a run. */
export function textReport(r: ReportInput, color = false): string {
  const o = r.outcome;
  const lines: string[] = [];
  lines.push(`${r.file} (seed ${o.seed})${r.description ? `: ${r.description.trim().split('\n')[0]}` : ''}`);
  for (const w of o.warnings) lines.push(`  warning: ${w}`);
  if (o.checks.length === 0) lines.push('  (no expectations)');
  for (const c of o.checks) lines.push(checkLine(c, color));
  const passed = o.checks.filter((c) => c.ok).length;
  const drops = Object.entries(dropsByReason(o.world))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const b = o.world.frameBalance();
  lines.push(
    `${passed}/${o.checks.length} expectations hold; ${o.events} events, ${formatDuration(o.endNs)} simulated in ` +
      `${(o.wallMs / 1000).toFixed(2)}s; frames ${b.created} created, ${b.consumed} delivered, ${b.dropped} dropped` +
      `${drops ? ` (${drops})` : ''}, ${b.inFlight} in flight; fingerprint ${o.fingerprint}`,
  );
  return lines.join('\n');
}
