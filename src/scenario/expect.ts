// Checking expectations against what a run observed.
//
// Each expectation yields one result with a readable text ("c1-c2: received 3"), ok, and on failure
// what was observed ("received 0"). A probe expectation holds when every field it names holds.

import { formatDuration } from '../core/time.js';
import type { Observation } from './app-registry.js';
import type { CommandExpect, DropExpect, ExpectSpec, ProbeExpect } from './types.js';
import { isCommandExpect, isDropExpect, isProbeExpect } from './types.js';

export interface CheckResult {
  /** Index in the scenario's `expect` list. */
  index: number;
  text: string;
  ok: boolean;
  /** What was observed, when the check failed. */
  observed?: string;
  note?: string;
}

/** The outcome of a command run for an expectation. */
export interface CommandOutcome {
  stdout: string;
  error: string | null;
}

export interface Observed {
  probes: ReadonlyMap<string, Observation>;
  /** Command expectations' outcomes, by expectation index. */
  commands: ReadonlyMap<number, CommandOutcome>;
  drops: (reason: string) => number;
}

interface Part {
  text: string;
  ok: boolean;
  observed: string;
}

const show = (v: unknown): string => (v === undefined ? 'not reported' : v === null ? 'none' : String(v));

function same(label: string, expected: unknown, actual: unknown): Part {
  return {
    text: `${label} ${show(expected)}`,
    ok: actual === expected,
    observed: `${label} ${show(actual)}`,
  };
}

/** `10.0.0.1:40001` matches an expectation of `10.0.0.1` or `10.0.0.1:40001`. */
function addrMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (expected.includes(':')) return actual === expected;
  return actual.split(':')[0] === expected;
}

function probeParts(e: ProbeExpect, o: Observation): Part[] {
  const parts: Part[] = [];
  if (e.transmitted !== undefined) parts.push(same('transmitted', e.transmitted, o.transmitted));
  if (e.received !== undefined) parts.push(same('received', e.received, o.received));
  if (e.delivered !== undefined) parts.push(same('delivered', e.delivered, o.delivered));
  if (e.replied !== undefined) parts.push(same('replied', e.replied, o.replied));
  if (e.connected !== undefined) parts.push(same('connected', e.connected, o.connected));
  if (e.error !== undefined) parts.push(same('error', e.error, o.error));
  if (e.replyFrom !== undefined) parts.push(same('reply from', e.replyFrom, o.replyFrom));
  if (e.replyTtl !== undefined) parts.push(same('reply ttl', e.replyTtl, o.replyTtl));
  for (const [label, exp, act] of [
    ['server saw source', e.serverSawSource, o.serverSaw?.src],
    ['server saw destination', e.serverSawDestination, o.serverSaw?.dst],
  ] as const) {
    if (exp !== undefined) {
      parts.push({
        text: `${label} ${exp}`,
        ok: addrMatches(exp, act),
        observed: o.serverSaw === undefined ? `${label}: not reported` : `${label} ${show(act)}`,
      });
    }
  }
  if (e.icmp !== undefined) {
    const want = e.icmp;
    const text = `icmp type ${want.type}${want.code !== undefined ? ` code ${want.code}` : ''}${want.from !== undefined ? ` from ${want.from}` : ''}`;
    const errs = o.errors ?? [];
    const ok = errs.some(
      (x) =>
        x.type === want.type &&
        (want.code === undefined || x.code === want.code) &&
        (want.from === undefined || x.from === want.from),
    );
    const observed =
      o.errors === undefined
        ? 'icmp errors: not reported'
        : errs.length === 0
          ? 'no icmp errors'
          : `icmp ${errs.map((x) => `type ${x.type} code ${x.code} from ${x.from}`).join(', ')}`;
    parts.push({ text, ok, observed });
  }
  if (e.rcode !== undefined) parts.push(same('rcode', e.rcode, o.rcode));
  if (e.answers !== undefined) {
    const want = [...e.answers].sort();
    const got = o.answers === undefined ? undefined : [...o.answers].sort();
    parts.push({
      text: `answers [${want.join(', ')}]`,
      ok: got !== undefined && got.length === want.length && got.every((x, i) => x === want[i]),
      observed: got === undefined ? 'answers not reported' : `answers [${(o.answers ?? []).join(', ')}]`,
    });
  }
  if (e.rttMax !== undefined) {
    const rtts = o.rttsNs ?? [];
    const worst = rtts.length === 0 ? undefined : Math.max(...rtts);
    parts.push({
      text: `rtt at most ${formatDuration(e.rttMax)}`,
      ok: worst !== undefined && worst <= e.rttMax,
      observed: worst === undefined ? 'no round trips' : `max rtt ${formatDuration(Math.round(worst))}`,
    });
  }
  return parts;
}

function checkProbe(index: number, e: ProbeExpect, obs: Observed): CheckResult {
  const o = obs.probes.get(e.probe);
  if (o === undefined)
    return { index, text: `${e.probe}: ran`, ok: false, observed: 'the probe did not run', note: e.note };
  const parts = probeParts(e, o);
  const text = `${e.probe}: ${parts.map((p) => p.text).join(', ')}`;
  const bad = parts.filter((p) => !p.ok);
  if (bad.length === 0) return { index, text, ok: true, note: e.note };
  const why = typeof o.unavailable === 'string' ? ` (${o.unavailable})` : '';
  return { index, text, ok: false, observed: bad.map((p) => p.observed).join(', ') + why, note: e.note };
}

function checkCommand(index: number, e: CommandExpect, obs: Observed): CheckResult {
  const text = `${e.in}: ${e.run}${describeCommand(e)}`;
  const r = obs.commands.get(index);
  if (r === undefined) return { index, text, ok: false, observed: 'the command did not run', note: e.note };
  const failures: string[] = [];
  const wantFail = e.fails === true || e.errorContains !== undefined;
  if (wantFail) {
    if (r.error === null) failures.push('the command succeeded');
    else if (e.errorContains !== undefined && !r.error.includes(e.errorContains))
      failures.push(`error: ${r.error}`);
  } else if (r.error !== null) {
    failures.push(`error: ${r.error}`);
  }
  if (r.error === null) {
    for (const s of e.outputContains ?? [])
      if (!r.stdout.includes(s)) failures.push(`output lacks ${JSON.stringify(s)}`);
    for (const s of e.outputLacks ?? [])
      if (r.stdout.includes(s)) failures.push(`output contains ${JSON.stringify(s)}`);
    if (e.outputMatches !== undefined && !new RegExp(e.outputMatches, 'm').test(r.stdout)) {
      failures.push(`output does not match /${e.outputMatches}/`);
    }
    if (e.outputEquals !== undefined && r.stdout.trimEnd() !== e.outputEquals.trimEnd())
      failures.push('output differs');
  }
  if (failures.length === 0) return { index, text, ok: true, note: e.note };
  const out = r.stdout.trimEnd();
  const shown = out === '' ? '' : `; output:\n${indent(out.length > 2000 ? `${out.slice(0, 2000)}…` : out)}`;
  return { index, text, ok: false, observed: failures.join(', ') + shown, note: e.note };
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

function describeCommand(e: CommandExpect): string {
  const parts: string[] = [];
  for (const s of e.outputContains ?? []) parts.push(`contains ${JSON.stringify(s)}`);
  for (const s of e.outputLacks ?? []) parts.push(`lacks ${JSON.stringify(s)}`);
  if (e.outputMatches !== undefined) parts.push(`matches /${e.outputMatches}/`);
  if (e.outputEquals !== undefined) parts.push('equals the given text');
  if (e.fails) parts.push('fails');
  if (e.errorContains !== undefined) parts.push(`error contains ${JSON.stringify(e.errorContains)}`);
  return parts.length === 0 ? ' succeeds' : ` → ${parts.join(', ')}`;
}

function checkDrops(index: number, e: DropExpect, obs: Observed): CheckResult {
  const n = obs.drops(e.drops);
  const bounds: string[] = [];
  let ok = true;
  if (e.count !== undefined) {
    bounds.push(`= ${e.count}`);
    ok &&= n === e.count;
  }
  if (e.min !== undefined) {
    bounds.push(`>= ${e.min}`);
    ok &&= n >= e.min;
  }
  if (e.max !== undefined) {
    bounds.push(`<= ${e.max}`);
    ok &&= n <= e.max;
  }
  if (bounds.length === 0) {
    bounds.push('>= 1');
    ok = n >= 1;
  }
  const text = `drops ${e.drops} ${bounds.join(' and ')}`;
  return ok ? { index, text, ok, note: e.note } : { index, text, ok, observed: `${n} dropped`, note: e.note };
}

export function checkExpectations(expect: readonly ExpectSpec[], obs: Observed): CheckResult[] {
  return expect.map((e, i) => {
    if (isProbeExpect(e)) return checkProbe(i, e, obs);
    if (isCommandExpect(e)) return checkCommand(i, e, obs);
    if (isDropExpect(e)) return checkDrops(i, e, obs);
    return { index: i, text: '?', ok: false, observed: 'unknown expectation' };
  });
}
