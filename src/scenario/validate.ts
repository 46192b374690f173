// Cross-reference checks on a decoded scenario: names that must exist, names that must be unique,
// expectations that must fit their probe, times that must lie inside the run. The schema (schema.ts)
// already checked each value's shape; these checks need the whole document.

import { CommandError, splitWords, toolNames } from '../control/command.js';
import type { PathItem } from './codec.js';
import { commandLines } from './commands.js';
import { parseNsRef } from './ns-ref.js';
import { suggest } from './suggest.js';
import {
  isCommandExpect,
  isCommandStep,
  isDns,
  isDropExpect,
  isPing,
  isProbeExpect,
  isTcp,
  isUdp,
  type Scenario,
  type TrafficSpec,
} from './types.js';

/** Reports a problem at `item` (a decoded list item, or null for the top level) + `sub` path. */
export type Report = (
  item: object | null,
  sub: readonly PathItem[],
  message: string,
  atKey?: boolean,
) => void;

/** Reports a problem on a specific command line of a run block. */
export type ReportLine = (
  item: object,
  sub: readonly PathItem[],
  index: number,
  text: string,
  message: string,
) => void;

export interface ValidateOptions {
  /** Check that each command's program is a registered tool (needs the tools loaded). */
  checkTools?: boolean;
}

function probeKind(t: TrafficSpec): string {
  return isPing(t) ? 'ping' : isUdp(t) ? 'udp' : isTcp(t) ? 'tcp' : isDns(t) ? 'dns' : '?';
}

/** Expectation fields and the probe kinds they apply to. */
const FIELD_KINDS: Readonly<Record<string, readonly string[]>> = {
  transmitted: ['ping', 'udp', 'dns'],
  received: ['ping', 'udp', 'dns'],
  connected: ['tcp'],
  serverSawSource: ['udp', 'tcp'],
  serverSawDestination: ['udp', 'tcp'],
  delivered: ['udp', 'tcp'],
  replyTtl: ['ping'],
  rttMax: ['ping'],
  rcode: ['dns'],
  answers: ['dns'],
};
const KEBAB: Readonly<Record<string, string>> = {
  serverSawSource: 'server-saw-source',
  serverSawDestination: 'server-saw-destination',
  replyTtl: 'reply-ttl',
  rttMax: 'rtt-max',
};

export function validateScenario(
  s: Scenario,
  report: Report,
  reportLine: ReportLine,
  opts: ValidateOptions = {},
): void {
  const hosts = new Set<string>();
  for (const h of s.hosts) {
    if (hosts.has(h.name)) report(h, ['name'], `host "${h.name}" is listed twice`);
    hosts.add(h.name);
  }
  const checkHost = (item: object, sub: readonly PathItem[], name: string): void => {
    if (!hosts.has(name)) report(item, sub, `unknown host "${name}"${suggest(name, hosts)}`);
  };
  // `from:`/`in:` may name a container (ns-ref.ts): HOST/CONTAINER checks the host; a bare name that
  // is no host must be a container, which needs a `docker` command somewhere in the steps.
  const runsDocker = (s.steps ?? []).some(
    (st) => isCommandStep(st) && commandLines(st.run).some((c) => /^\s*docker(d)?\s/.test(c.text)),
  );
  const checkNsRef = (item: object, sub: readonly PathItem[], ref: string): void => {
    const p = parseNsRef(ref, hosts);
    if (p.host !== null) checkHost(item, sub, p.host);
    else if (!runsDocker)
      report(
        item,
        sub,
        `unknown host "${ref}"${suggest(ref, hosts)} (and no step runs docker, so no container either)`,
      );
  };

  const nics = new Map<string, object>();
  for (const l of s.links ?? []) {
    for (const end of ['a', 'b'] as const) {
      const r = l[end];
      checkHost(l, [end], r.host);
      const key = `${r.host}:${r.dev}`;
      if (nics.has(key)) report(l, [end], `${key} is already the end of another link`);
      else nics.set(key, l);
      if (r.dev === 'lo') report(l, [end], '"lo" is the loopback device; name the NIC differently');
    }
  }

  const tools = opts.checkTools ? new Set(toolNames()) : null;
  let last = 0;
  for (const st of s.steps ?? []) {
    const t = st.at ?? last + (st.after ?? 0);
    last = t;
    if (s.until !== undefined && t > s.until) {
      report(
        st,
        [st.at !== undefined ? 'at' : 'after'],
        `this step would run after the end of the run (until)`,
      );
    }
    if (isCommandStep(st)) {
      st.in.forEach((h, i) => {
        checkHost(st, st.in.length === 1 ? ['in'] : ['in', i], h);
      });
      for (const c of commandLines(st.run)) {
        const sub = c.listItem ? ['run', c.index] : ['run'];
        let words: string[];
        try {
          words = splitWords(c.text);
        } catch (e) {
          if (!(e instanceof CommandError)) throw e;
          reportLine(st, sub, c.index, c.text, e.message);
          continue;
        }
        const prog = words[0];
        if (tools !== null && prog !== undefined && !tools.has(prog)) {
          reportLine(st, sub, c.index, c.text, `${prog}: command not found${suggest(prog, tools)}`);
        }
      }
    } else if (!nics.has(`${st.link.host}:${st.link.dev}`)) {
      report(
        st,
        ['link'],
        `no scenario link ends at ${st.link.host}:${st.link.dev}${suggest(`${st.link.host}:${st.link.dev}`, nics.keys())}`,
      );
    }
  }

  const listening = new Set<string>();
  for (const a of s.apps ?? []) {
    checkNsRef(a, ['in'], a.in);
    const proto = a.serve.startsWith('tcp') ? 'tcp' : 'udp';
    const key = `${a.in}/${proto}/${a.port}`;
    if (listening.has(key))
      report(a, ['port'], `${proto} port ${a.port} in ${a.in} is already served (Address already in use)`);
    listening.add(key);
    if (a.records !== undefined && a.serve !== 'dns-server')
      report(a, ['records'], `records are for a dns-server; ${a.serve} serves no names`);
  }

  const probes = new Map<string, TrafficSpec>();
  for (const t of s.traffic ?? []) {
    checkNsRef(t, ['from'], t.from);
    if (probes.has(t.name)) report(t, ['name'], `probe name "${t.name}" is used twice`);
    if (isDns(t) && t.server === undefined && parseNsRef(t.from, hosts).container === null)
      report(t, ['dns'], 'a DNS probe from a host needs "server" (only containers have a resolv.conf here)');
    probes.set(t.name, t);
    if (s.until !== undefined && (t.at ?? 0) > s.until)
      report(t, ['at'], 'this probe would start after the end of the run (until)');
  }

  for (const e of s.expect ?? []) {
    if (isProbeExpect(e)) {
      const t = probes.get(e.probe);
      if (t === undefined) {
        report(e, ['probe'], `no traffic entry is named "${e.probe}"${suggest(e.probe, probes.keys())}`);
        continue;
      }
      const kind = probeKind(t);
      const fields = Object.keys(e).filter((k) => k !== 'probe' && k !== 'note');
      if (fields.length === 0)
        report(e, ['probe'], 'nothing to check: add a field such as received, delivered or connected');
      for (const f of fields) {
        const kinds = FIELD_KINDS[f];
        const key = KEBAB[f] ?? f;
        if (kinds !== undefined && !kinds.includes(kind)) {
          report(e, [key], `"${key}" does not apply to ${kind} probes ("${e.probe}" is a ${kind} probe)`);
        }
      }
    } else if (isCommandExpect(e)) {
      checkHost(e, ['in'], e.in);
      try {
        splitWords(e.run);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        report(e, ['run'], err.message);
      }
      if (e.fails === false && e.errorContains !== undefined)
        report(e, ['error-contains'], 'cannot expect an error and success');
      if (s.until !== undefined && e.at !== undefined && e.at > s.until)
        report(e, ['at'], 'after the end of the run (until)');
    } else if (isDropExpect(e)) {
      if (e.count !== undefined && (e.min !== undefined || e.max !== undefined)) {
        report(e, ['count'], '"count" cannot be combined with "min" or "max"');
      }
      if (e.min !== undefined && e.max !== undefined && e.min > e.max)
        report(e, ['min'], '"min" is larger than "max"');
    }
  }
}
