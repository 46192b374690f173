// ns-3's own scheduler benchmark (utils/bench-scheduler.cc), run on this machine as the event-loop
// suite's baseline when NS3_BENCH_SCHEDULER names its binary (bench/ns3/build.sh builds it). Without it
// the suite falls back to the task card's published figures, which came from a faster machine of this
// class: measured here, in the same run, is the comparison that carries over (bench/README.md).
//
// The program prints, per run, the initialisation (pre-filling) and the simulation (the hold model)
// separately; the figure taken is the simulation's mean rate over `--runs`, and its spread.
import { execFileSync } from 'node:child_process';
import type { ExternalRate } from '../harness/suite.js';

export const NS3_ENV = 'NS3_BENCH_SCHEDULER';

/** The schedulers worth running at a population (the others are far slower there; bench/README.md). */
export function ns3Candidates(population: number): string[] {
  // CalendarScheduler degrades badly at large populations (42.6 k events/s at 1e5 here, 50x slower
  // than the heap), so it runs only where it can win.
  // MapScheduler (ns-3's default) and ListScheduler never win: 0.6x and 0.1x the heap at 10^3 here.
  return population <= 1e4
    ? ['HeapScheduler', 'CalendarScheduler', 'PriorityQueueScheduler']
    : ['HeapScheduler', 'PriorityQueueScheduler'];
}

/** Total events per run for ~2 s per run at the rates measured here. */
function totalEvents(population: number, quick: boolean): number {
  const total = population <= 1e4 ? 8e6 : population <= 1e5 ? 4e6 : 3e6;
  return quick ? total / 20 : total;
}

const FLAG: Record<string, string> = {
  HeapScheduler: 'heap',
  CalendarScheduler: 'cal',
  PriorityQueueScheduler: 'pri',
  MapScheduler: 'map',
  ListScheduler: 'list',
};

/** Parses bench-scheduler's table: the `average` and `stdev` rows' simulation rate (6th column). */
export function parseBenchScheduler(output: string): { rate: number; stdev: number; runs: number } {
  const row = (label: string): number[] | undefined => {
    const line = output.split('\n').find((l) => l.startsWith(`${label} `));
    return line?.trim().split(/\s+/).slice(1).map(Number);
  };
  const avg = row('average');
  const sd = row('stdev');
  const rate = avg?.[4];
  if (rate === undefined || !(rate > 0)) {
    throw new Error(
      `ns-3 bench-scheduler: no "average" row with a simulation rate in its output:\n${output}`,
    );
  }
  const runs = output.split('\n').filter((l) => /^\d+\s/.test(l)).length;
  return { rate, stdev: sd?.[4] ?? 0, runs };
}

/** Runs one scheduler at one population; throws with the program's output when it fails. */
export function runNs3(binary: string, scheduler: string, population: number, quick: boolean): ExternalRate {
  const flag = FLAG[scheduler];
  if (flag === undefined) throw new Error(`ns-3 bench-scheduler: unknown scheduler ${scheduler}`);
  // Both flags: Bench::Run() destroys the simulator after each run, and the one it re-creates takes
  // its scheduler from the global SchedulerType (default MapScheduler), so `--heap` alone measures the
  // heap in the priming run only and the map in every run that is averaged.
  const args = [
    `--${flag}`,
    `--SchedulerType=ns3::${scheduler}`,
    `--pop=${population}`,
    `--total=${totalEvents(population, quick)}`,
    `--runs=${quick ? 1 : 3}`,
  ];
  const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const { rate, stdev, runs } = parseBenchScheduler(out);
  return {
    opsPerSec: rate,
    rmePct: runs > 1 ? (100 * 1.96 * stdev) / Math.sqrt(runs) / rate : 0,
    samples: runs,
  };
}

/** The best of the candidate schedulers at a population (each reported on stderr as it runs). */
export function bestNs3(binary: string, population: number, quick: boolean): ExternalRate {
  let best: ExternalRate | undefined;
  for (const scheduler of ns3Candidates(population)) {
    const r = runNs3(binary, scheduler, population, quick);
    process.stderr.write(
      `    ns-3 ${scheduler} at ${population}: ${(r.opsPerSec / 1e6).toFixed(2)} M events/s\n`,
    );
    if (best === undefined || r.opsPerSec > best.opsPerSec) best = r;
  }
  return best!;
}
