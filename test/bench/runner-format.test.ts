import { describe, expect, it } from 'vitest';
import { formatReport, type SuiteReport } from '../../bench/harness/runner.js';
import type { CaseResult, SuiteSpec } from '../../bench/harness/suite.js';

const spec: SuiteSpec = {
  name: 'event-loop',
  unit: 'events',
  groups: [{ name: 'n=1e3', baseline: 'base', cases: {}, references: { 'ns-3 (published)': 5e6 } }],
};

function result(name: string, opsPerSec: number, external = false): CaseResult {
  return {
    group: 'n=1e3',
    case: name,
    opsPerSec,
    rmePct: 1,
    samples: 3,
    opsPerCall: 1,
    heapBefore: 0,
    heapAfter: 0,
    allocBytesPerOp: 0,
    allocWindowHadGc: false,
    ...(external ? { external } : {}),
  };
}

const report: SuiteReport = {
  suite: 'event-loop',
  date: '',
  node: '',
  quick: false,
  unit: 'events',
  cases: [result('ours', 10e6), result('base', 4e6, true)],
  references: [],
  failures: [],
};

describe('formatReport', () => {
  const text = formatReport(spec, report);
  const rows = text.split('\n');

  it('gives each case its ratio to the baseline measured in the same run', () => {
    expect(rows.find((r) => r.includes('ours'))).toMatch(/2\.50×/);
    expect(rows.find((r) => r.includes('base (baseline)'))).toMatch(/1\.00×\s+external/);
  });

  it('lists ratios to published references below the table, not in its ratio column', () => {
    const refRow = rows.find((r) => r.includes('ref: ns-3 (published)'))!;
    expect(refRow).not.toMatch(/×/);
    expect(rows.at(-1)).toBe('  n=1e3 against ns-3 (published): ours 2.00×');
  });
});
