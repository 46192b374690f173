// scenarios/published-port.yaml runs and every expectation holds: a DNATed published port is reachable
// with INPUT policy DROP (the SYN is forwarded, never input), the container sees the client's address.
import { expect, it } from 'vitest';
import '../../src/apps/all.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

it('scenarios/published-port.yaml: every expectation holds', () => {
  const out = runScenario(loadScenarioFile('scenarios/published-port.yaml'));
  expect(out.checks.filter((c) => !c.ok)).toEqual([]);
  expect(out.ok).toBe(true);
});
