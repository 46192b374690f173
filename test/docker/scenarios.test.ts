// The docker-*.yaml example scenarios run on the full data plane and every expectation holds.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const dir = new URL('../../scenarios/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.startsWith('docker-') && f.endsWith('.yaml'));

describe('docker scenarios', () => {
  it.each(files)('%s', async (f) => {
    await loadPlugins();
    const out = runScenario(loadScenarioFile(new URL(f, dir).pathname, { checkTools: true }));
    const failed = out.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(out.ok).toBe(true);
  });
});
