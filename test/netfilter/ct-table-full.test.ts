// A full conntrack table drops a new connection's first packet with its own reason, CtTableFull (the
// kernel logs "nf_conntrack: table full, dropping packet" and frees the skb in nf_conntrack_in), not
// as a rule's NetfilterDrop; the explanation's disposition is CT_TABLE_FULL.
//
// Setup: r1 MASQUERADEs (so conntrack runs there) with nf_conntrack_max = max. TCP connections become
// ASSURED once established, so early_drop cannot evict them: every connection past `max` is refused.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Drop } from '../../src/net/drop-reason.js';
import { routerScenario, runTraced, tracesOf } from '../trace/explain-helpers.js';

function run(max: number, connections: number) {
  const probes = Array.from(
    { length: connections },
    (_, i) => `{ at: ${i + 1}s, name: c${i}, from: a1, tcp: 10.2.0.2:80, payload: hi, timeout: 2s }`,
  );
  return runTraced(
    routerScenario(
      [
        `sysctl -w net.netfilter.nf_conntrack_max=${max}`,
        'iptables -t nat -A POSTROUTING -o eth-b -j MASQUERADE',
      ],
      probes,
    ),
  );
}

describe('conntrack table full', () => {
  it('the connection past nf_conntrack_max is dropped as CtTableFull, explained as CT_TABLE_FULL', () => {
    const out = run(1, 2);
    expect(out.probes.c0?.connected).toBe(true);
    expect(out.probes.c1?.connected).toBe(false);
    const [t] = tracesOf(out, 'c1');
    expect(t!.disposition).toBe('CT_TABLE_FULL');
    expect(t!.reason).toBe('CtTableFull');
    const ct = t!.stages.filter((s) => s.stage === 'conntrack').map((s) => s.note);
    expect(ct[0]).toBe(
      'conntrack: table full, dropping packet (nf_conntrack_max 1 entries, none could be early-dropped)',
    );
    const w = out.world;
    expect(w.dropCounts[Drop.CtTableFull]).toBeGreaterThan(0);
    expect(w.dropCounts[Drop.NetfilterDrop]).toBe(0);
  });

  it('property: exactly the connections past max fail, every drop counted as CtTableFull', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), (max, n) => {
        const out = run(max, n);
        for (let i = 0; i < n; i++) expect(out.probes[`c${i}`]?.connected).toBe(i < max);
        const w = out.world;
        expect(w.dropCounts[Drop.NetfilterDrop]).toBe(0);
        if (n > max) expect(w.dropCounts[Drop.CtTableFull]).toBeGreaterThanOrEqual(n - max);
        else expect(w.dropCounts[Drop.CtTableFull]).toBe(0);
      }),
      { numRuns: 12 },
    );
  });
});
