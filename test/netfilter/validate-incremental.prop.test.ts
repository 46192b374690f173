// The commit check an iptables edit goes through (Table.validate: loops, jump depth, extensions
// outside their table/hooks) has a fast path for edits that leave the jump graph unchanged
// (Table.validateAdded / keepGraph: only the new rules are checked against cached hook masks).
// Differential property: any command sequence gives the same accept/refuse outcome, message and
// final ruleset as the same sequence with the cache made stale before every command (every check
// then a full validate).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';
import { tableIdOf } from '../../src/netfilter/hook-id.js';
import { netfilterOf } from '../../src/netfilter/hooks.js';

const CHAINS = ['PREROUTING', 'OUTPUT', 'POSTROUTING', 'INPUT', 'C1', 'C2', 'C3'];
// Targets with hook restrictions in the nat table (DNAT: PREROUTING/OUTPUT; SNAT: POSTROUTING/INPUT;
// MASQUERADE: POSTROUTING; REDIRECT: PREROUTING/OUTPUT), plain verdicts and jumps (loops possible).
const TARGETS = [
  '-p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080',
  '-j SNAT --to-source 10.0.0.1',
  '-j MASQUERADE',
  '-p tcp -j REDIRECT --to-ports 8080',
  '-j ACCEPT',
  '-j RETURN',
  '-s 10.0.0.0/24 -j ACCEPT',
  '-j C1',
  '-j C2',
  '-j C3',
  '-g C2',
];

const command = fc.oneof(
  fc
    .record({
      op: fc.constantFrom('-A', '-I'),
      chain: fc.constantFrom(...CHAINS),
      target: fc.constantFrom(...TARGETS),
    })
    .map((c) => `iptables -t nat ${c.op} ${c.chain} ${c.target}`),
  fc
    .record({ chain: fc.constantFrom(...CHAINS), target: fc.constantFrom(...TARGETS) })
    .map((c) => `iptables -t nat -D ${c.chain} ${c.target}`),
  fc
    .record({
      chain: fc.constantFrom(...CHAINS),
      n: fc.integer({ min: 1, max: 3 }),
      target: fc.constantFrom(...TARGETS),
    })
    .map((c) => `iptables -t nat -R ${c.chain} ${c.n} ${c.target}`),
  fc.constantFrom('iptables -t nat -F C2', 'iptables -t nat -X C3', 'iptables -t nat -N C3'),
);

function runAll(lines: readonly string[], fullCheckEveryTime: boolean): { outcomes: string[]; save: string } {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('h');
  const run = (l: string): string => runCommandLine({ world, ns }, l).stdout;
  for (const c of ['C1', 'C2', 'C3']) run(`iptables -t nat -N ${c}`);
  const table = netfilterOf(ns).tables[tableIdOf('nat')]!;
  const outcomes: string[] = [];
  for (const l of lines) {
    if (fullCheckEveryTime) table.generation++; // the cached hook masks are stale: full validate
    try {
      run(l);
      outcomes.push('ok');
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      outcomes.push(e.message);
    }
  }
  return { outcomes, save: run('iptables-save -t nat').replace(/^#.*\n/gm, '') };
}

describe('iptables commit check: incremental equals full', () => {
  it('same outcomes and ruleset with and without the cached hook masks', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), (lines) => {
        const fast = runAll(lines, false);
        const full = runAll(lines, true);
        expect(fast.outcomes).toEqual(full.outcomes);
        expect(fast.save).toBe(full.save);
      }),
      { numRuns: 200 },
    );
  });

  it('a chain whose last jump was deleted or replaced is unreachable: DNAT there is accepted', () => {
    for (const drop of [
      'iptables -t nat -D POSTROUTING -j C1',
      'iptables -t nat -R POSTROUTING 1 -j ACCEPT',
    ]) {
      const lines = [
        'iptables -t nat -A POSTROUTING -j C1',
        drop,
        'iptables -t nat -A C1 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080',
      ];
      expect(runAll(lines, false).outcomes).toEqual(['ok', 'ok', 'ok']);
      expect(runAll(lines, true).outcomes).toEqual(['ok', 'ok', 'ok']);
    }
  });

  it('a DNAT rule appended to a chain reached from POSTROUTING is refused on the fast path too', () => {
    const { outcomes } = runAll(
      [
        'iptables -t nat -A POSTROUTING -j C1',
        'iptables -t nat -A C1 -j ACCEPT',
        'iptables -t nat -A C1 -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080',
      ],
      false,
    );
    expect(outcomes[0]).toBe('ok');
    expect(outcomes[1]).toBe('ok');
    expect(outcomes[2]).toMatch(/RULE_APPEND failed \(Invalid argument\): rule in chain C1/);
  });
});
