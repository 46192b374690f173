// `from:` / `in:` naming containers (src/scenario/ns-ref.ts): checked at load time, resolved when the
// probe or server starts.
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const base = (from: string, extra = '') => `
netsim: 1
hosts: [host]
images:
  web: { serve: [tcp-echo-peer/80] }
steps:
  - in: host
    run: |
      ip link set lo up
${extra}
traffic:
  - { at: 1s, name: p, from: ${from}, tcp: 172.17.0.2:80, payload: hi, timeout: 1s }
`;

describe('container references in from:/in:', () => {
  it('a bare name that is no host is an error when no step runs docker', () => {
    expect(() => loadScenarioText(base('web'), 's.yaml')).toThrow(/unknown host "web".*no step runs docker/);
  });

  it('HOST/CONTAINER checks the host part at load time', () => {
    expect(() => loadScenarioText(base('nohost/web'), 's.yaml')).toThrow(/unknown host "nohost"/);
  });

  it('a container that does not exist when the probe starts fails the run at that time', async () => {
    await loadPlugins();
    const l = loadScenarioText(base('host/web', '      docker network ls'), 's.yaml');
    expect(() => runScenario(l)).toThrow(/from: host\/web: Error: No such container: web \(on host host\)/);
  });

  it('a container created by a step is the probe namespace (the container reaches itself)', async () => {
    await loadPlugins();
    const l = loadScenarioText(base('web', '      docker run -d --name web web'), 's.yaml');
    const out = runScenario(l);
    expect(out.probes.p).toMatchObject({ connected: true });
    expect(out.probes.p?.serverSaw?.src).toMatch(/^172\.17\.0\.2:/);
  });
});
