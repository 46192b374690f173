// `netsim schema`: prints the scenario JSON Schema (the committed copy is schema/netsim-scenario.schema.json).

import { scenarioJsonSchemaText } from '../scenario/json-schema.js';
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from './args.js';
import { type CliIo, EXIT } from './io.js';

export const SCHEMA_OPTIONS: readonly OptionSpec[] = [{ name: 'help', short: 'h', help: 'show this help' }];

export const SCHEMA_HELP = `Usage: netsim schema > schema/netsim-scenario.schema.json

Prints the JSON Schema of scenario files, for editors.

Options:
${optionsHelp(SCHEMA_OPTIONS)}
`;

export function schemaCommand(argv: readonly string[], io: CliIo): number {
  const { positionals, options } = parseArgs(argv, SCHEMA_OPTIONS, 'schema');
  if (options.has('help')) {
    io.out(SCHEMA_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError('netsim schema takes no arguments; see netsim schema --help');
  io.out(scenarioJsonSchemaText());
  return EXIT.ok;
}
