// Which gateway modes each profile's bridge driver accepts (`-o com.docker.network.bridge.gateway_mode_ipv4`):
// newGwMode in v27.5.1 knows nat and routed; v28.0.0 and moby master add nat-unprotected and isolated.
// An unknown mode fails network creation with fromLabels' parseErr text.
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

function daemon(profile: string) {
  const world = new World({ seed: 2 });
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  run(`dockerd --netsim-profile=${profile}`);
  return run;
}

const create = (mode: string, extra = '') =>
  `docker network create ${extra} -o com.docker.network.bridge.gateway_mode_ipv4=${mode} n`;

describe('gateway modes per profile', () => {
  test('27 accepts nat and routed only', () => {
    for (const mode of ['nat', 'routed']) daemon('27')(create(mode));
    for (const mode of ['nat-unprotected', 'isolated']) {
      expect(() => daemon('27')(create(mode, '--internal'))).toThrow(
        `Error response from daemon: failed to parse com.docker.network.bridge.gateway_mode_ipv4 value: ${mode} (unknown gateway mode ${mode})`,
      );
    }
  });

  test('28.0 and current accept all four; isolated only on an internal network', () => {
    for (const p of ['28.0', 'current']) {
      for (const mode of ['nat', 'nat-unprotected', 'routed']) daemon(p)(create(mode));
      daemon(p)(create('isolated', '--internal'));
      expect(() => daemon(p)(create('isolated'))).toThrow(
        "gateway mode 'isolated' can only be used for an internal network",
      );
    }
  });

  test('an unknown mode is refused on every profile', () => {
    for (const p of ['27', '28.0', 'current']) {
      expect(() => daemon(p)(create('bogus'))).toThrow(
        'failed to parse com.docker.network.bridge.gateway_mode_ipv4 value: bogus (unknown gateway mode bogus)',
      );
    }
  });
});
