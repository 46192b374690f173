import { describe, expect, it } from 'vitest';
import '../../src/apps/all.js';
import '../../src/control/all.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';

describe('apps in the scenario runner', () => {
  it('scenarios/default.yaml: pings, UDP echo through the bridge, TCP to a closed port', () => {
    const out = runScenario(loadScenarioFile('scenarios/default.yaml'), { check: true });
    for (const c of out.checks) if (!c.ok) console.log(JSON.stringify(c));
    expect(out.ok).toBe(true);
  });

  it('closed-ports as a scenario: the gateway without apps still answers with port unreachable / RST', () => {
    const out = runScenario(loadScenarioFile('test/apps/scenarios/closed-ports.yaml'), { check: true });
    for (const c of out.checks) if (!c.ok) console.log(JSON.stringify(c));
    expect(out.ok).toBe(true);
    expect(out.checks.length).toBe(6);
    expect(out.probes['tcp-open']!.reply).toBe('saw 10.0.0.2:40003 -> 10.0.0.3:80');
  });
});
