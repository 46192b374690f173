// The only file that knows which timing library measures a case. benny (wrapping the archived
// benchmark.js) is on the design card; it is unmaintained, so everything else talks to `measure()` and
// swapping the library means rewriting this file alone.
import benny from 'benny';

export interface MeasureOptions {
  /** Minimum seconds per sample (benchmark.js `minTime`). */
  minTimeS: number;
  /** Seconds budget for the whole measurement (benchmark.js `maxTime`). */
  maxTimeS: number;
  /** Minimum number of samples. */
  minSamples: number;
}

export interface Measurement {
  /** Calls of `fn` per second (mean over samples). */
  hz: number;
  /** Relative margin of error at 95 %, in percent. */
  rmePct: number;
  samples: number;
}

/** Times repeated calls of `fn` (already set up and side-effect-safe to call any number of times). */
export async function measure(name: string, fn: () => void, opts: MeasureOptions): Promise<Measurement> {
  // benny probes its argument by calling it (and the function it returns) once; returning a bound copy
  // also stops benchmark.js from decompiling the closure's source, which would lose its captured state.
  const bound = fn.bind(null);
  const summary = await benny.suite(
    name,
    benny.add(name, () => bound),
    benny.configure({
      cases: { minTime: opts.minTimeS, maxTime: opts.maxTimeS, minSamples: opts.minSamples },
      minDisplayPrecision: 6,
    }),
  );
  const r = summary.results[0];
  if (r === undefined) throw new Error(`benchmark ${name} produced no result`);
  return { hz: r.ops, rmePct: r.margin, samples: r.samples };
}
