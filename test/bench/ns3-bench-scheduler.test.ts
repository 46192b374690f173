import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ns3Candidates, parseBenchScheduler } from '../../bench/support/ns3-bench-scheduler.js';

// Output recorded from ns-3-dev's utils/bench-scheduler (HeapScheduler, 1000 events pending) on this
// machine class; the parser takes the simulation (hold model) columns, not the initialisation ones.
const HEAP_1000 = readFileSync(
  new URL('../fixtures/ns3/bench-scheduler-heap-1000.txt', import.meta.url),
  'utf8',
);

describe('parseBenchScheduler', () => {
  it('reads the simulation rate and its spread from the average and stdev rows', () => {
    expect(parseBenchScheduler(HEAP_1000)).toEqual({ rate: 3.59797e6, stdev: 67782.1, runs: 3 });
  });

  it('names the program and shows its output when there is no average row', () => {
    const cut = HEAP_1000.slice(0, HEAP_1000.indexOf('average'));
    expect(() => parseBenchScheduler(cut)).toThrow(/bench-scheduler: no "average" row[\s\S]*HeapScheduler/);
  });
});

describe('ns3Candidates', () => {
  it('runs the calendar scheduler only at small populations, where it can be the best', () => {
    expect(ns3Candidates(1e3)).toContain('CalendarScheduler');
    expect(ns3Candidates(1e5)).not.toContain('CalendarScheduler');
    expect(ns3Candidates(1e6)).toContain('HeapScheduler');
  });
});
