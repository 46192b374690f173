// The child side of a benchmark: set up one case, measure it, report one JSON line on stdout.
// Run with --expose-gc so heap figures are taken after a full collection.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { measure } from './adapter.js';
import { type CaseResult, findCase, RESULT_PREFIX, type SuiteSpec } from './suite.js';

declare const gc: undefined | (() => void);

function fullGc(): void {
  if (typeof gc === 'function') {
    gc();
    gc();
  }
}

/** JS heap plus ArrayBuffer backing stores (typed arrays live outside the JS heap). */
function memoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Times `runs` calls one by one (CaseSetup.runs): for cases where one call takes seconds. */
function runSingleShot(
  group: string,
  name: string,
  fn: () => void,
  opsPerCall: number,
  runs: number,
  heapBefore: number,
): void {
  const hz: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    hz.push(1000 / (performance.now() - t0));
  }
  fullGc();
  const heapAfter = memoryInUse();
  const mean = hz.reduce((a, b) => a + b, 0) / runs;
  const sd = runs > 1 ? Math.sqrt(hz.reduce((a, b) => a + (b - mean) ** 2, 0) / (runs - 1)) : 0;
  const result: CaseResult = {
    group,
    case: name,
    opsPerSec: mean * opsPerCall,
    rmePct: runs > 1 ? (100 * 1.96 * sd) / Math.sqrt(runs) / mean : 0,
    samples: runs,
    opsPerCall,
    heapBefore,
    heapAfter,
    allocBytesPerOp: Math.max(0, heapAfter - heapBefore) / opsPerCall,
    allocWindowHadGc: false,
    singleShot: true,
  };
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export async function runCase(spec: SuiteSpec, id: string, quick: boolean): Promise<void> {
  const { group, name, factory } = findCase(spec, id);
  const setup = factory({ quick });
  if ('external' in setup) {
    const r = setup.external();
    const result: CaseResult = {
      group: group.name,
      case: name,
      ...r,
      opsPerCall: 1,
      heapBefore: 0,
      heapAfter: 0,
      allocBytesPerOp: 0,
      allocWindowHadGc: false,
      external: true,
    };
    process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    return;
  }
  const { fn, opsPerCall, runs } = setup;
  fullGc();
  const heapBefore = memoryInUse();
  if (runs !== undefined) {
    runSingleShot(group.name, name, fn, opsPerCall, runs, heapBefore);
    return;
  }

  const m = await measure(`${spec.name} ${id}`, fn, {
    minTimeS: quick ? 0.02 : 0.1,
    maxTimeS: quick ? 0.3 : 3,
    minSamples: quick ? 3 : 10,
  });

  // Allocation window after timing, so the code is already optimised: heap growth over a fixed number
  // of calls with nothing else running. A scavenge inside the window would hide garbage, so GCs are
  // watched and reported.
  let w0 = Number.POSITIVE_INFINITY;
  let w1 = Number.POSITIVE_INFINITY;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.startTime >= w0 && e.startTime <= w1) gcs++;
  });
  obs.observe({ entryTypes: ['gc'] });
  const calls = Math.max(1, Math.ceil((quick ? 2e4 : 2e5) / opsPerCall));
  fullGc();
  await new Promise((r) => setImmediate(r));
  w0 = performance.now();
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < calls; i++) fn();
  const h1 = process.memoryUsage().heapUsed;
  w1 = performance.now();
  await new Promise((r) => setTimeout(r, 10)); // GC entries are delivered asynchronously
  obs.disconnect();

  fullGc();
  const heapAfter = memoryInUse();
  const result: CaseResult = {
    group: group.name,
    case: name,
    opsPerSec: m.hz * opsPerCall,
    rmePct: m.rmePct,
    samples: m.samples,
    opsPerCall,
    heapBefore,
    heapAfter,
    allocBytesPerOp: Math.max(0, h1 - h0) / (calls * opsPerCall),
    allocWindowHadGc: gcs > 0,
  };
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
