// The netsim command: dispatches to one subcommand and maps every outcome to an exit status. Bad input
// never produces a stack trace: usage and scenario problems print their message (exit 2); a bug in
// netsim prints a one-line message (the stack with NETSIM_DEBUG=1) and exits 70.

import { ScenarioError, StepError } from '../scenario/errors.js';
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from './args.js';
import { explainCommand } from './explain.js';
import { type CliIo, EXIT } from './io.js';
import { version } from './paths.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { validateCommand } from './validate.js';

const TOP_OPTIONS: readonly OptionSpec[] = [
  { name: 'help', short: 'h', help: 'show this help' },
  { name: 'version', short: 'V', help: 'print the version' },
];

export const MAIN_HELP = `Usage: netsim COMMAND [options]

A packet-level emulator of Linux and Docker container networking.

Commands:
  run [FILE]      run a scenario and check its expectations (default: the bundled example)
  explain FILE    explain why a probe's packets were delivered, NATed or dropped (--probe NAME)
  validate FILE…  check scenario files without running them
  schema          print the scenario JSON Schema

Options:
${optionsHelp(TOP_OPTIONS)}

See netsim COMMAND --help for a command's options.
`;

const COMMANDS: Record<string, (argv: readonly string[], io: CliIo) => number | Promise<number>> = {
  run: runCommand,
  explain: explainCommand,
  validate: validateCommand,
  schema: schemaCommand,
};

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const first = argv[0];
    if (first === undefined || first.startsWith('-')) {
      const { options, positionals } = parseArgs(argv, TOP_OPTIONS, '');
      if (options.has('version')) {
        io.out(`netsim ${version()}\n`);
        return EXIT.ok;
      }
      if (options.has('help') || positionals.length === 0) {
        (options.has('help') ? io.out : io.err)(MAIN_HELP);
        return options.has('help') ? EXIT.ok : EXIT.usage;
      }
    }
    const cmd = COMMANDS[first!];
    if (cmd === undefined) {
      throw new UsageError(
        `unknown command "${first}"; commands are ${Object.keys(COMMANDS).join(', ')} (see netsim --help)`,
      );
    }
    return await cmd(argv.slice(1), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`netsim: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof ScenarioError) {
      io.err(`${e.detailed()}\n`);
      return EXIT.usage;
    }
    if (e instanceof StepError) {
      const p = e.problem;
      io.err(`${e.message}${p.snippet ? `\n${p.snippet}` : ''}\n`);
      return EXIT.usage;
    }
    const err = e as Error;
    io.err(`netsim: internal error: ${err?.message ?? String(e)}\n`);
    if (io.env.NETSIM_DEBUG) io.err(`${err?.stack ?? ''}\n`);
    else io.err('This is a bug in netsim; set NETSIM_DEBUG=1 to see where it happened.\n');
    return EXIT.internal;
  }
}
