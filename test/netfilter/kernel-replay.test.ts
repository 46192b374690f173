// Replays the netfilter / br_netfilter kernel fixtures (test/fixtures/kernel/{nat-*,nf-*,brnf-*}.json,
// recorded on Linux 6.18 with iptables-nft 1.8.9) through netsim's command tools and apps, and compares
// what test/fixtures/kernel/README.md ("Netfilter cases") lists:
//   exactly  probe outcomes, reply sources/texts, ICMP type/code/offender, errno, local/peer; the
//            servers' `saw` lines; `iptables-save -c` rule and policy counters; conntrack entries
//            (protocol, state, both tuples, flags; the timeout column is not compared)
//   loosely  the source port MASQUERADE picks when the original one is taken: the kernel's choice is
//            random (get_random_u16-seeded search), netsim's comes from the seeded RNG, so a recorded
//            port that differs from the original is compared as "differs and is in 1024–65535".
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/scenario/app-registry.js';
import { MS, type ProbeSpec, pick, type ReplayCase, replay } from '../support/kernel-replay.js';

interface CtEntry {
  proto: string;
  state?: string;
  orig: Record<string, string>;
  reply: Record<string, string>;
  flags?: string[];
  mark?: string;
}
interface Case extends ReplayCase {
  observe?: { conntrack?: string[]; iptables?: string[] };
  recorded: ReplayCase['recorded'] & {
    conntrack?: Record<string, CtEntry[]>;
    iptables?: Record<string, string[]>;
  };
}

function compare(p: ProbeSpec, o: Observation, rec: Record<string, unknown>): void {
  if (p.kind === 'ping') {
    expect(pick(o, ['transmitted', 'received'])).toEqual(pick(rec, ['transmitted', 'received']));
    const keys = ['seq', 'outcome', 'from', 'ttl', 'len', 'type', 'code'];
    const mine = (o.seqs as Record<string, unknown>[]).map((s) => pick(s, keys));
    const want = (rec.seqs as Record<string, unknown>[]).map((s) => pick(s, keys));
    expect(mine).toEqual(want);
    return;
  }
  const keys = ['outcome', 'from', 'reply', 'errno', 'origin', 'type', 'code', 'offender', 'local', 'peer'];
  const mine: Record<string, unknown> = { ...o };
  if (p.kind === 'udp') {
    mine.from = o.replyFrom;
    delete mine.local;
  }
  const want = pick(rec, keys);
  const got = pick(mine, keys);
  if (typeof want.reply === 'string' && typeof got.reply === 'string' && got.reply !== want.reply) {
    // loose: the port MASQUERADE picked for a clashing tuple (see the file header)
    expect(looseSaw(got.reply, want.reply)).toBe(true);
    got.reply = want.reply;
  }
  expect(got).toEqual(want);
}

/** `saw A:P -> D` lines equal except for a port P ≥ 1024 chosen instead of a taken one. */
function looseSaw(mine: string, want: string): boolean {
  const re = /^saw ([\d.]+):(\d+) -> (.*)$/;
  const a = re.exec(mine);
  const b = re.exec(want);
  if (a === null || b === null) return false;
  return a[1] === b[1] && a[3] === b[3] && Number(a[2]) >= 1024 && Number(b[2]) >= 1024;
}

/** `conntrack -L` text → the recorder's normalised entries (record.py `conntrack`). */
export function parseConntrackList(text: string): CtEntry[] {
  const out: CtEntry[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w.length < 3 || w[0]!.includes('=')) continue;
    const e: CtEntry = { proto: w[0]!, orig: {}, reply: {} };
    const tuples: Record<string, string>[] = [];
    const flags: string[] = [];
    for (const tok of w.slice(3)) {
      const eq = tok.indexOf('=');
      if (eq > 0) {
        const k = tok.slice(0, eq);
        const v = tok.slice(eq + 1);
        if (k === 'src') tuples.push({});
        if (['src', 'dst', 'sport', 'dport', 'type', 'code', 'id'].includes(k))
          tuples[tuples.length - 1]![k] = v;
        else if (k === 'mark') e.mark = v;
      } else if (tok.startsWith('[')) flags.push(tok.replace(/[[\]]/g, ''));
      else e.state = tok;
    }
    e.orig = tuples[0] ?? {};
    e.reply = tuples[1] ?? {};
    if (flags.length > 0) e.flags = flags;
    out.push(e);
  }
  return out;
}

/** Order-independent key of an entry; a port MASQUERADE changed is replaced by a marker (loose). */
function ctKey(e: CtEntry): string {
  const reply = { ...e.reply };
  if (e.orig.sport !== undefined && reply.dport !== undefined && reply.dport !== e.orig.sport) {
    const port = Number(reply.dport);
    reply.dport = port >= 1024 && port <= 65535 ? 'other-port-1024-65535' : `bad-port-${port}`;
  }
  const sorted = (t: Record<string, string>) =>
    Object.keys(t)
      .sort()
      .map((k) => `${k}=${t[k]}`)
      .join(' ');
  return [
    e.proto,
    e.state ?? '-',
    sorted(e.orig),
    '|',
    sorted(reply),
    (e.flags ?? []).join(','),
    e.mark ?? '',
  ].join(' ');
}

/**
 * Entries netsim has no reason to make: the kernel's own IGMP membership reports (protocol 2, shown
 * as `unknown`) to 224.0.0.22 from a bridge with an address; netsim does not model IGMP.
 */
const notModelled = (e: CtEntry) => e.proto === 'unknown' && (e.orig.dst ?? '').startsWith('224.0.0.');

/**
 * `iptables-save -c` lines, with a built-in chain's policy counters blanked when the kernel's read
 * [0:0]: iptables-nft registers a built-in chain in the kernel only when a command names it, so an
 * unnamed chain (nat PREROUTING when only POSTROUTING has rules) never counts; netsim's tables have
 * every built-in chain. Rule counters and the counters of chains the kernel did count are exact.
 */
function policyLoose(lines: string[], recorded: string[]): string[] {
  return lines.map((l, i) => {
    const r = recorded[i];
    if (
      l.startsWith(':') &&
      r !== undefined &&
      r.endsWith(' [0:0]') &&
      l.replace(/\[\d+:\d+\]$/, '[0:0]') === r
    )
      return r;
    return l;
  });
}

const NAMES = [
  'brnf-bridged-forward',
  'nat-masquerade',
  'nat-dnat-published',
  'nat-reject',
  'nf-forward-bridges',
].filter((n) => existsSync(`test/fixtures/kernel/${n}.json`));

for (const name of NAMES) {
  describe(`netfilter kernel fixture ${name} (Linux 6.18) replayed`, () => {
    const c = JSON.parse(readFileSync(`test/fixtures/kernel/${name}.json`, 'utf8')) as Case;
    const { probes, servers, world, run } = replay(c);
    for (const p of c.probes) {
      it(`probe ${p.name}`, () => compare(p, probes[p.name]!, c.recorded.probes[p.name]!));
    }
    it('the servers saw what the kernel servers saw (loose: a MASQUERADE-chosen port)', () => {
      for (const [label, seen] of Object.entries(c.recorded.servers ?? {})) {
        const mine = servers.get(label)!.observe().seen as { saw: string; payload: string }[];
        expect(mine.length).toBe(seen.length);
        mine.forEach((m, i) => {
          const want = seen[i]!;
          if (m.saw !== want.saw) expect(looseSaw(m.saw, want.saw), `${m.saw} vs ${want.saw}`).toBe(true);
        });
      }
    });
    for (const ns of c.observe?.iptables ?? []) {
      it(`iptables-save -c in ${ns} (rules, policies, counters)`, () => {
        const mine = run(ns, 'iptables-save -c')
          .stdout.split('\n')
          .filter((l) => l !== '' && !l.startsWith('#') && l !== 'COMMIT');
        const want = c.recorded.iptables![ns]!;
        expect(policyLoose(mine, want)).toEqual(want);
      });
    }
    for (const ns of c.observe?.conntrack ?? []) {
      it(`conntrack -L in ${ns} (timeouts not compared)`, () => {
        const mine = parseConntrackList(run(ns, 'conntrack -L').stdout).map(ctKey).sort();
        const want = c.recorded.conntrack![ns]!.filter((e) => !notModelled(e));
        expect(mine).toEqual(want.map(ctKey).sort());
      });
    }
    it('frames are conserved', () => {
      world.sim.run({ until: world.sim.now + 200_000 * MS });
      expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
    });
  });
}
