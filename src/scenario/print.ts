// Printing a loaded scenario back to YAML (shrunk regression cases, `repeat` blocks expanded). The
// printed document loads to an equal scenario: the codecs' encode is the inverse of decode.

import { stringify } from 'yaml';
import { scenarioCodec } from './schema.js';
import type { Scenario } from './types.js';

export function printScenario(s: Scenario): string {
  return stringify(scenarioCodec.encode(s), { lineWidth: 0, blockQuote: 'literal' });
}
