import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchemaText } from '../../src/scenario/json-schema.js';

describe('scenario JSON Schema', () => {
  it('the committed schema/netsim-scenario.schema.json is what `netsim schema` prints', () => {
    const committed = readFileSync(
      new URL('../../schema/netsim-scenario.schema.json', import.meta.url),
      'utf8',
    );
    // Regenerate with: npm run build && node dist/src/cli/main.js schema > schema/netsim-scenario.schema.json
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('describes every top-level key and forbids others', () => {
    const s = JSON.parse(scenarioJsonSchemaText()) as {
      properties: object;
      additionalProperties: boolean;
      required: string[];
    };
    expect(Object.keys(s.properties)).toEqual([
      'netsim',
      'seed',
      'description',
      'hosts',
      'links',
      'steps',
      'apps',
      'images',
      'traffic',
      'expect',
      'until',
      'settle',
    ]);
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(['netsim', 'hosts']);
  });
});
