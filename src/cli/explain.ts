// `netsim explain FILE --probe NAME [--json] [--seed N] [--until T]`
//
// Runs the scenario with tracing on for one probe's packets and prints, for each packet it sent, why
// it was delivered, NATed, balanced or dropped: one line per stage, grouped by namespace, with the
// rule text verbatim and the hooks the packet did not traverse. `--json` prints JSON Lines instead
// (one object per stage, stable keys), for tools.

import { resolve } from 'node:path';
import { loadScenarioFile } from '../scenario/load.js';
import { loadPlugins } from '../scenario/plugins.js';
import { runScenario } from '../scenario/run.js';
import { explainJsonl, explainText } from '../trace/render.js';
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from './args.js';
import { type CliIo, EXIT } from './io.js';
import { parseSeed, parseUntil } from './run.js';

export const EXPLAIN_OPTIONS: readonly OptionSpec[] = [
  { name: 'probe', short: 'p', value: 'NAME', help: 'the probe (traffic name) to explain' },
  { name: 'json', help: 'JSON Lines: one object per stage' },
  { name: 'seed', value: 'N', help: 'seed for every random choice (overrides the file’s seed)' },
  { name: 'until', value: 'T', help: 'end of the run, e.g. 30s (overrides the file’s until)' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export const EXPLAIN_HELP = `Usage: netsim explain FILE --probe NAME [options]

Runs the scenario with the probe's packets traced and explains each one: the devices, bridge
decisions, netfilter hooks and rules, conntrack, NAT, routes, neighbours and sockets it met, how it
ended (DELIVERED, DROPPED, REJECTED, NO_ROUTE, NEIGHBOR_UNREACHABLE, TTL_EXPIRED, …), and which hooks
it did not traverse. Exit status: 0 explained, 2 bad usage or scenario.

Options:
${optionsHelp(EXPLAIN_OPTIONS)}
`;

export async function explainCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, EXPLAIN_OPTIONS, 'explain');
  if (options.has('help')) {
    io.out(EXPLAIN_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1)
    throw new UsageError('netsim explain takes one scenario file; see netsim explain --help');
  const probe = options.get('probe');
  if (typeof probe !== 'string')
    throw new UsageError('netsim explain needs --probe NAME; see netsim explain --help');
  const file = positionals[0]!;
  const seedArg = options.get('seed');
  const untilArg = options.get('until');
  await loadPlugins();
  const loaded = loadScenarioFile(resolve(io.cwd, file), {}, file);
  const names = (loaded.scenario.traffic ?? []).map((t) => t.name);
  if (!names.includes(probe)) {
    throw new UsageError(
      `no probe named "${probe}" in ${file}${names.length > 0 ? ` (probes: ${names.join(', ')})` : ' (it has no traffic)'}`,
    );
  }
  const outcome = runScenario(loaded, {
    seed: typeof seedArg === 'string' ? parseSeed(seedArg) : undefined,
    untilNs: typeof untilArg === 'string' ? parseUntil(untilArg) : undefined,
    trace: [probe],
  });
  const all = outcome.world.tracer.traces();
  const ids = outcome.traces[probe] ?? [];
  if (ids.length === 0) {
    io.out(`${probe}: sent no packet (nothing to explain)\n`);
    return EXIT.ok;
  }
  const json = options.has('json');
  const chunks: string[] = [];
  for (const id of ids) {
    const t = all[id]!;
    chunks.push(json ? explainJsonl(outcome.world, t).join('\n') : explainText(outcome.world, t));
  }
  io.out(`${chunks.join(json ? '\n' : '\n\n')}\n`);
  return EXIT.ok;
}
