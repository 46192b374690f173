// The JSON Schema of scenario files, generated from the codecs in schema.ts (`netsim schema`), for
// editors (YAML language servers read `# yaml-language-server: $schema=…`). The committed copy in
// schema/netsim-scenario.schema.json is checked against this output by a test.

import { repeatJsonSchema } from './repeat.js';
import { scenarioCodec } from './schema.js';

export const SCHEMA_ID = 'https://netsim.dev/schema/netsim-scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'netsim scenario',
    ...scenarioCodec.jsonSchema(),
    definitions: { repeat: repeatJsonSchema() },
  };
}

/** The schema as the committed file holds it: two-space JSON and a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
