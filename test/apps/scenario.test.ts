import { describe, expect, it } from 'vitest';
import '../../src/apps/all.js';
import '../../src/control/all.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

describe('apps in the scenario runner', () => {
  it('scenarios/default.yaml: pings, UDP echo through the bridge, TCP to a closed port', () => {
    const out = runScenario(loadScenarioFile('scenarios/default.yaml'), { check: true });
    for (const c of out.checks) if (!c.ok) console.log(JSON.stringify(c));
    console.log(JSON.stringify(out.probes, null, 1).slice(0, 3000));
    expect(out.ok).toBe(true);
  });
});
