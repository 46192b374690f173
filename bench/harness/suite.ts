// Declaring a benchmark suite. A suite file (bench/<name>.bench.ts) does
//
//   export default defineSuite(import.meta.url, {
//     name: 'queue',
//     groups: [{ name: 'n=1e3', baseline: 'flatqueue',
//                cases: { flatqueue: (ctx) => ({ fn, opsPerCall }), ours: (ctx) => ({ fn, opsPerCall }) } }],
//   });
//
// Each case factory runs in its own Node process (the runner spawns `node <suite>.js --case group/case`),
// so cases never share a JIT or a heap. A factory does all setup (pre-filling, warm structures) and
// returns the function to time plus how many operations one call performs; results are reported in
// operations per second. Importing a suite file has no side effects unless it is the process's main
// module: then `--case X` measures one case and prints a result line, and no flag runs the whole suite.
import { fileURLToPath } from 'node:url';

export interface CaseContext {
  /** True for a smoke run (`--quick`): use fewer operations and shorter timing. */
  readonly quick: boolean;
}

export interface CaseSetup {
  /** The timed body. Must be callable any number of times (benny probes it once before timing). */
  fn: () => void;
  /** Operations performed by one call of `fn` (batching keeps call overhead out of the figure). */
  opsPerCall: number;
  /**
   * Single-shot timing: call `fn` exactly this many times, each timed on its own (no timing library,
   * no allocation window), for cases where one call takes seconds (building 10^5 namespaces). ops/s is
   * the mean over the calls; heapBefore is taken before the first call and heapAfter after the last
   * (full GC both times), so (heapAfter − heapBefore) / opsPerCall is what one call's result retains
   * when `fn` keeps it alive and drops the previous one. Reported as `alloc B/op` in the table.
   */
  runs?: number;
}

/** A rate measured by another program that times itself (ns-3's bench-scheduler): nothing is timed here. */
export interface ExternalRate {
  opsPerSec: number;
  /** Relative margin of error, in percent (0 when the program reports no spread). */
  rmePct: number;
  samples: number;
}

/** A case whose figure comes from another program, run in the case's own process like any case. */
export interface ExternalSetup {
  external: () => ExternalRate;
}

export type CaseFactory = (ctx: CaseContext) => CaseSetup | ExternalSetup;

export interface BenchGroup {
  /** Short label shown in the table, e.g. `n=1e5`. */
  name: string;
  /** Case whose ops/s the others are divided by (measured in the same run). Optional. */
  baseline?: string;
  cases: Readonly<Record<string, CaseFactory>>;
  /**
   * Cases too slow or too big for a routine `npm run bench` (minutes, gigabytes): run only with
   * `--scale`, or when named with `--case`. Shown in the same group, with the same baseline.
   */
  scaleCases?: Readonly<Record<string, CaseFactory>>;
  /**
   * Published reference figures in ops/s (e.g. ns-3's scheduler on this machine class), printed beside
   * the measured ones with the ratio measured/reference. Constants, not measurements.
   */
  references?: Readonly<Record<string, number>>;
}

export interface SuiteSpec {
  name: string;
  /** What one operation is, for the table header (default "ops"). */
  unit?: string;
  groups: readonly BenchGroup[];
}

/** One measured case as written to bench/results/<suite>.json. */
export interface CaseResult {
  group: string;
  case: string;
  opsPerSec: number;
  rmePct: number;
  samples: number;
  opsPerCall: number;
  /** JS heap + ArrayBuffers after setup and a full GC, and again after measuring and a full GC (bytes). */
  heapBefore: number;
  heapAfter: number;
  /** Heap growth per operation over an allocation window with no GC in between (bytes/op). */
  allocBytesPerOp: number;
  /** True when a GC ran during the allocation window, so allocBytesPerOp is a lower bound. */
  allocWindowHadGc: boolean;
  /** Single-shot case (CaseSetup.runs): allocBytesPerOp is retained bytes per op, not garbage. */
  singleShot?: boolean;
  /** Measured by another program (ExternalSetup): no heap or allocation figures. */
  external?: boolean;
}

export const RESULT_PREFIX = '@@bench-result ';

/** Registers a suite; when the file is run directly it measures a case (`--case`) or the whole suite. */
export function defineSuite(importMetaUrl: string, spec: SuiteSpec): SuiteSpec {
  const file = fileURLToPath(importMetaUrl);
  if (process.argv[1] === file) {
    const argv = process.argv.slice(2);
    const caseIdx = argv.indexOf('--case');
    const quick = argv.includes('--quick');
    const scale = argv.includes('--scale');
    const job =
      caseIdx >= 0
        ? import('./child.js').then((m) => m.runCase(spec, argv[caseIdx + 1] ?? '', quick))
        : import('./runner.js').then((m) => m.runSuites([{ file, spec }], { quick, scale }));
    job.catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
  return spec;
}

/** Finds a case by its `group/case` id. */
export function findCase(
  spec: SuiteSpec,
  id: string,
): { group: BenchGroup; name: string; factory: CaseFactory } {
  const slash = id.indexOf('/');
  const group = spec.groups.find((g) => g.name === id.slice(0, slash));
  const name = id.slice(slash + 1);
  const factory = group?.cases[name] ?? group?.scaleCases?.[name];
  if (group === undefined || factory === undefined)
    throw new Error(`suite ${spec.name}: no case ${JSON.stringify(id)}`);
  return { group, name, factory };
}
