// Simulated time: integer nanoseconds held in a JS number.
//
// A float64 holds every integer up to 2^53 exactly, so nanosecond time is exact for 2^53 ns ≈ 104 days
// of simulated time, with no bigint on the hot path. Anything that computes a time must produce an
// integer (the simulator rejects fractional times).
//
// Text form (scenario files, CLI flags, reports):
// - parseDuration accepts a number with a unit: `100ns`, `250us` (or `250µs`), `1.5ms`, `30s`, `2m`,
//   `1h`, Go-style compounds such as `1m30s`, and a bare `0`. A bare non-zero number is rejected:
//   tools disagree on the default unit (tc uses µs, sleep uses s), so guessing would silently be off by
//   a factor of 1000.
// - Results must be whole nanoseconds: `1.5ns` is rejected rather than rounded, so a duration never
//   changes value between the file and the run. Decimals are converted exactly (no float rounding).
// - formatDuration prints the shortest exact single-unit form (`1.5ms`, `30s`, `250us`, `2m`), so
//   parseDuration(formatDuration(n)) === n for every safe integer n >= 0.

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const S = 1_000_000_000;
export const MINUTE = 60 * S;
export const HOUR = 60 * MINUTE;

/** Largest representable simulated time: 2^53 - 1 ns (about 104 days). */
export const MAX_TIME_NS = Number.MAX_SAFE_INTEGER;

/** Thrown by parseDuration; the message says what was expected and what was found. */
export class DurationSyntaxError extends Error {
  override name = 'DurationSyntaxError';
  readonly input: string;
  constructor(input: string, detail?: string) {
    super(
      `expected a duration like 250us, 1.5ms or 30s, got ${JSON.stringify(input)}` +
        (detail === undefined ? '' : ` (${detail})`),
    );
    this.input = input;
  }
}

const UNIT_NS: Readonly<Record<string, number>> = Object.freeze({
  ns: NS,
  us: US,
  µs: US,
  μs: US,
  ms: MS,
  s: S,
  m: MINUTE,
  h: HOUR,
});

// One `<number><unit>` term; a compound is several terms back to back (`1h30m`).
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a human duration into integer nanoseconds; throws DurationSyntaxError on bad input. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new DurationSyntaxError(text, 'empty');
  if (/^0+(?:\.0*)?$/.test(s)) return 0;
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(s)) {
    throw new DurationSyntaxError(text, 'a unit is required: ns, us, ms, s, m or h');
  }
  if (s.startsWith('-')) throw new DurationSyntaxError(text, 'durations cannot be negative');
  // Exact decimal arithmetic: this is configuration code, never per event, so bigint is fine here.
  let total = 0n;
  let pos = 0;
  TERM.lastIndex = 0;
  while (pos < s.length) {
    TERM.lastIndex = pos;
    const m = TERM.exec(s);
    if (m === null) {
      throw new DurationSyntaxError(
        text,
        pos === 0 ? undefined : `unexpected ${JSON.stringify(s.slice(pos))}`,
      );
    }
    const [, num, unit] = m as unknown as [string, string, string];
    const unitNs = BigInt(UNIT_NS[unit]!);
    const dot = num.indexOf('.');
    const whole = dot < 0 ? num : num.slice(0, dot);
    const frac = dot < 0 ? '' : num.slice(dot + 1);
    const scale = 10n ** BigInt(frac.length);
    const numer = BigInt(whole === '' ? '0' : whole) * scale + BigInt(frac === '' ? '0' : frac);
    const ns = numer * unitNs;
    if (ns % scale !== 0n) throw new DurationSyntaxError(text, 'durations resolve to whole nanoseconds');
    total += ns / scale;
    pos = TERM.lastIndex;
  }
  if (total > BigInt(MAX_TIME_NS)) {
    throw new DurationSyntaxError(text, 'longer than the 2^53 ns (about 104 days) netsim can represent');
  }
  return Number(total);
}

// Units tried by formatDuration, largest first so ties in length go to the larger unit.
const FORMAT_UNITS: readonly (readonly [string, number, boolean])[] = [
  ['h', HOUR, false],
  ['m', MINUTE, false],
  ['s', S, true],
  ['ms', MS, true],
  ['us', US, true],
  ['ns', NS, true],
];

/**
 * Prints integer nanoseconds in the shortest exact single-unit form: 1500000 → "1.5ms". Minutes and
 * hours are used only for whole counts (90 s is "90s", not "1.5m": a decimal of a sexagesimal unit
 * reads badly), and never with a leading "0."; equal lengths go to the larger unit. Throws RangeError for negative, fractional or unsafe values (a programming error).
 */
export function formatDuration(ns: number): string {
  if (!Number.isSafeInteger(ns) || ns < 0) throw new RangeError(`not a duration in integer ns: ${ns}`);
  if (ns === 0) return '0';
  let best = '';
  for (const [name, unit, decimals] of FORMAT_UNITS) {
    const rem = ns % unit; // exact: both are safe integers
    if (rem !== 0 && !decimals) continue;
    const whole = (ns - rem) / unit;
    if (whole === 0) continue; // "0.1us" reads worse than "100ns"
    let text = String(whole);
    if (rem !== 0) {
      const digits = String(unit).length - 1; // unit is a power of ten here
      text += `.${String(rem).padStart(digits, '0').replace(/0+$/, '')}`;
    }
    text += name;
    if (best === '' || text.length < best.length) best = text;
  }
  return best;
}
