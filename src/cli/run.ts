// `netsim run [FILE] [--seed N] [--until T] [--json FILE|-] [--pcap DIR|FILE] [--trace FILE.jsonl] [--quiet] [--check]`

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { DurationSyntaxError, formatDuration, parseDuration } from '../core/time.js';
import { loadScenarioFile } from '../scenario/load.js';
import { loadPlugins } from '../scenario/plugins.js';
import { type Progress, runScenario } from '../scenario/run.js';
import { FileSink, PcapngWriter } from '../trace/pcapng.js';
import { explainJsonl } from '../trace/render.js';
import { jsonReport, textReport } from '../trace/report.js';
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from './args.js';
import { type CliIo, EXIT } from './io.js';
import { defaultScenario, version } from './paths.js';

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'seed', value: 'N', help: 'seed for every random choice (overrides the file’s seed)' },
  { name: 'until', value: 'T', help: 'end of the run, e.g. 30s (overrides the file’s until)' },
  { name: 'json', value: 'FILE|-', help: 'write the JSON report to FILE, or to stdout with -' },
  { name: 'pcap', value: 'DIR|FILE', help: 'capture every device into one pcapng file' },
  {
    name: 'trace',
    value: 'FILE.jsonl',
    help: 'trace every probe: explanations as JSON Lines in FILE (and in the --json report)',
  },
  { name: 'quiet', short: 'q', help: 'print nothing unless an expectation fails' },
  { name: 'check', help: 'frame-pool check mode: poison freed frames, detect leaks' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const RUN_HELP = `Usage: netsim run [FILE] [options]

Runs a scenario (default: the bundled scenarios/default.yaml) and checks its expectations.
Exit status: 0 every expectation holds, 1 one failed, 2 bad usage or scenario.

Options:
${optionsHelp(RUN_OPTIONS)}
`;

export function parseSeed(text: string): number | string {
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new UsageError(`--seed: ${text} is not a safe integer`);
    return n;
  }
  if (text === '') throw new UsageError('--seed: expected an integer or a string');
  return text;
}

export function parseUntil(text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    if (e instanceof DurationSyntaxError) throw new UsageError(`--until: ${e.message}`);
    throw e;
  }
}

/** `--pcap` names a file, or a directory (existing, or ending in /) to put FILE-BASENAME.pcapng in. */
export function pcapPath(arg: string, scenarioFile: string, cwd: string): string {
  const p = resolve(cwd, arg);
  const isDir = arg.endsWith('/') || (existsSync(p) && statSync(p).isDirectory());
  if (!isDir) return p;
  mkdirSync(p, { recursive: true });
  return join(p, `${basename(scenarioFile, extname(scenarioFile))}.pcapng`);
}

function progressPrinter(io: CliIo): { update(p: Progress): void; clear(): void } {
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      io.err(
        `\r\x1b[K  ${formatDuration(p.nowNs)} / ${formatDuration(p.endNs)} simulated, ${p.events} events`,
      );
    },
    clear() {
      if (shown) io.err('\r\x1b[K');
    },
  };
}

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, RUN_OPTIONS, 'run');
  if (options.has('help')) {
    io.out(RUN_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError('netsim run takes one scenario file; see netsim run --help');
  const file = positionals[0] ?? defaultScenario();
  const seedArg = options.get('seed');
  const seed = typeof seedArg === 'string' ? parseSeed(seedArg) : undefined;
  const untilArg = options.get('until');
  const untilNs = typeof untilArg === 'string' ? parseUntil(untilArg) : undefined;
  const jsonArg = options.get('json');
  const pcapArg = options.get('pcap');
  const traceArg = options.get('trace');
  const quiet = options.has('quiet');
  const showProgress = !quiet && io.errIsTTY && !io.env.CI;

  await loadPlugins();
  const loaded = loadScenarioFile(resolve(io.cwd, file), {}, file);
  let writer: PcapngWriter | undefined;
  if (typeof pcapArg === 'string') {
    const out = pcapPath(pcapArg, file, io.cwd);
    writer = new PcapngWriter(new FileSink(out), {
      comment: `netsim ${version()} ${file} seed ${seed ?? loaded.scenario.seed ?? 1}`,
    });
  }
  const progress = showProgress ? progressPrinter(io) : null;
  let outcome: ReturnType<typeof runScenario>;
  try {
    outcome = runScenario(loaded, {
      seed,
      untilNs,
      check: options.has('check'),
      capture: writer,
      trace: typeof traceArg === 'string' ? 'all' : undefined,
      onProgress: progress ? (p) => progress.update(p) : undefined,
    });
  } finally {
    progress?.clear();
    writer?.close();
  }
  const input = { file, description: loaded.scenario.description, outcome, version: version() };
  const summaryTo = jsonArg === '-' ? io.err : io.out;
  const color = (jsonArg === '-' ? io.errIsTTY : io.outIsTTY) && io.env.NO_COLOR === undefined;
  if (!quiet || !outcome.ok) summaryTo(`${textReport(input, color)}\n`);
  if (typeof jsonArg === 'string') {
    const text = `${JSON.stringify(jsonReport(input), null, 2)}\n`;
    if (jsonArg === '-') io.out(text);
    else writeFileSync(resolve(io.cwd, jsonArg), text);
  }
  if (typeof traceArg === 'string') {
    const all = outcome.world.tracer.traces();
    const lines: string[] = [];
    for (const ids of Object.values(outcome.traces))
      for (const id of ids) lines.push(...explainJsonl(outcome.world, all[id]!));
    writeFileSync(resolve(io.cwd, traceArg), lines.length > 0 ? `${lines.join('\n')}\n` : '');
  }
  return outcome.ok ? EXIT.ok : EXIT.failed;
}
