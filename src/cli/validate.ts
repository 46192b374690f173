// `netsim validate FILE…`: load, validate and check every command's program exists, without running.

import { ScenarioError } from '../scenario/errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { loadPlugins } from '../scenario/plugins.js';
import { isCommandStep } from '../scenario/types.js';
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from './args.js';
import { type CliIo, EXIT } from './io.js';

export const VALIDATE_OPTIONS: readonly OptionSpec[] = [{ name: 'help', short: 'h', help: 'show this help' }];

export const VALIDATE_HELP = `Usage: netsim validate FILE...

Loads each scenario and checks it against the schema, its cross-references (hosts, probes, links) and
that every command names a known tool. Nothing is run. Exit status 0 when all are valid, 2 otherwise.

Options:
${optionsHelp(VALIDATE_OPTIONS)}
`;

export async function validateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(argv, VALIDATE_OPTIONS, 'validate');
  if (options.has('help')) {
    io.out(VALIDATE_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new UsageError('netsim validate needs a scenario file; see netsim validate --help');
  await loadPlugins();
  let status: number = EXIT.ok;
  for (const file of positionals) {
    try {
      const { scenario: s } = loadScenarioFile(file, { checkTools: true });
      const commands = (s.steps ?? []).filter(isCommandStep).length;
      io.out(
        `${file}: ok (${s.hosts.length} hosts, ${(s.links ?? []).length} links, ${commands} command steps, ` +
          `${(s.traffic ?? []).length} probes, ${(s.expect ?? []).length} expectations)\n`,
      );
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      io.err(`${e.detailed()}\n`);
      status = EXIT.usage;
    }
  }
  return status;
}
