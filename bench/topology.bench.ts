// Building a topology must be linear in its size. One operation = one container namespace built: a
// namespace, a veth pair (eth0 inside, vB-K on the host), the host end enslaved to bridge br-B (up to
// 1000 ports per bridge, so N/1000 bridges), an address on eth0, lo and both veth ends up
// (bench/support/topology.ts `farmViaCommands`). One call builds a whole fresh world of N containers.
//
//   commands   through the command layer, one `ip …` line at a time, as a scenario runs them;
//   direct     through the data-plane APIs the commands end up calling (no parsing).
//
// Within a group the ratio is (containers/s at N) / (containers/s at 1k): 1.00× means linear growth,
// a falling ratio is superlinear cost. Memory per namespace (JS heap + ArrayBuffers retained by one
// built world after a full GC) is measured once during setup and printed on stderr as
// `bytes/namespace`; the table's heap column also holds the last world built.
//
// The 100k cases build 10^5 namespaces (100 bridges): they run only with `--scale`
// (`npm run bench -- --scale topology`) and are single-shot — the world is built exactly once in the
// timed call, and the table's `alloc B/op` column shows the bytes that world keeps per namespace.
import { type CaseFactory, defineSuite } from './harness/suite.js';
import { type Farm, farmDirect, farmViaCommands } from './support/topology.js';

declare const gc: undefined | (() => void);

function memoryInUse(): number {
  if (typeof gc === 'function') {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Keeps the last world alive so the harness's heap figure includes one built topology. */
let last: Farm | null = null;

/** The world built last (kept alive on purpose; exported so it is visibly used). */
export function lastFarm(): Farm | null {
  return last;
}

function buildCase(build: (n: number) => Farm, n: number, label: string): CaseFactory {
  return () => {
    last = null;
    const m0 = memoryInUse();
    const t0 = performance.now();
    last = build(n);
    const t1 = performance.now();
    const m1 = memoryInUse();
    const bytes = (m1 - m0) / n;
    process.stderr.write(
      `    ${label}: first build ${(t1 - t0).toFixed(0)} ms (${(((t1 - t0) * 1000) / n).toFixed(1)} µs/namespace), ` +
        `${bytes.toFixed(0)} bytes/namespace (heap + ArrayBuffers)\n`,
    );
    return {
      opsPerCall: n,
      fn: () => {
        last = null;
        last = build(n);
      },
    };
  };
}

/** One build, timed once (CaseSetup.runs = 1); the world stays alive for the heap figure. */
function singleShotCase(build: (n: number) => Farm, n: number): CaseFactory {
  return () => {
    last = null;
    return {
      opsPerCall: n,
      runs: 1,
      fn: () => {
        last = null;
        last = build(n);
      },
    };
  };
}

function group(name: string, build: (n: number) => Farm) {
  return {
    name,
    baseline: '1k',
    cases: {
      '1k': buildCase(build, 1_000, `${name} 1k`),
      '10k': buildCase(build, 10_000, `${name} 10k`),
    },
    scaleCases: { '100k': singleShotCase(build, 100_000) },
  };
}

export default defineSuite(import.meta.url, {
  name: 'topology',
  unit: 'namespaces',
  groups: [group('commands', farmViaCommands), group('direct', farmDirect)],
});
