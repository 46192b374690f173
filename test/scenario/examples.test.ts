// Every example in scenarios/ loads and passes validation (schema, cross-references, known tools).
// Whether their expectations hold depends on the data plane; `netsim run` on them says.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.js';
import '../../src/scenario/plugins.js';

const dir = new URL('../../scenarios/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('example scenarios', () => {
  it('exist', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'default.yaml',
        'bridge-three-containers.yaml',
        'router-two-subnets.yaml',
        'large-bridges.yaml',
      ]),
    );
  });
  it.each(files)('%s loads and validates', (f) => {
    const l = loadScenarioFile(new URL(f, dir).pathname, { checkTools: true });
    expect(l.scenario.hosts.length).toBeGreaterThan(0);
  });
  it('large-bridges.yaml describes hundreds of namespaces', () => {
    const l = loadScenarioFile(new URL('large-bridges.yaml', dir).pathname);
    expect(l.scenario.hosts.length).toBe(501);
    expect(l.scenario.traffic?.length).toBe(20);
  });
});
