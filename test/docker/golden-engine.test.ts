// moby's TestIptabler golden dumps (test/fixtures/docker/iptabler/SOURCE.md) reproduced end to end:
// dockerd + `docker network create` + `docker run -p` through the command registry, then netsim's
// own `iptables-save -t raw|filter|nat`. The default bridge's rules (docker0, 172.17/16) and
// DOCKER-USER are not part of moby's unit test, so their lines are left out of the comparison;
// net.ipv4.ip_forward is set beforehand so that Docker leaves the FORWARD policy alone, as in the test.
// The gwm=routed dumps come from moby's firewaller given an explicit binding with host port 8080;
// the daemon itself binds no host port on a routed network (src/docker/routed-ports.ts), so the
// engine's own rules are those dumps without their DNAT line, and the whole dump is reproduced by
// feeding moby's binding to the engine's firewaller directly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { fwNetwork } from '../../src/docker/drivers/bridge.js';
import { engineOf } from '../../src/docker/engine.js';
import type { FwPortBinding } from '../../src/docker/iptables-plan.js';
import { World } from '../../src/net/world.js';

const DIR = join(import.meta.dirname, '../fixtures/docker/iptabler');
const EMPTY_RAW = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';

/**
 * `iptables-save -t T` for raw, filter, nat. Real iptables-save prints an explicitly named table even
 * when nothing used it yet (the module loads on demand); netsim's prints nothing for an unused raw
 * table today, so an empty answer stands for the empty table.
 */
function save(run: (l: string) => string): string {
  return ['raw', 'filter', 'nat']
    .map((t) => {
      const out = run(`iptables-save -t ${t}`);
      return out === '' && t === 'raw' ? EMPTY_RAW : out;
    })
    .join('');
}

function keep(line: string): boolean {
  return (
    !line.startsWith('#') &&
    !line.includes('docker0') &&
    !line.includes('172.17.') &&
    !line.includes('DOCKER-USER')
  );
}

const files = readdirSync(DIR).filter(
  (f) => f.endsWith('__iptables.golden') && !f.startsWith('cleaned') && !f.startsWith('no__'),
);

describe('engine + iptables-save reproduce moby golden dumps', () => {
  for (const file of files) {
    test(file, () => {
      const kv = Object.fromEntries(
        file
          .replace('__iptables.golden', '')
          .split(',')
          .map((p) => p.split('=') as [string, string]),
      );
      const world = new World();
      const host = world.addNamespace('host');
      const run = (l: string) => runCommandLine({ world, ns: host }, l).stdout;
      run('sysctl -w net.ipv4.ip_forward=1');
      run(`dockerd --userland-proxy=${kv.hairpin === 'true' ? 'false' : 'true'}`);
      const opts = [
        '-o com.docker.network.bridge.name=br-dummy',
        `-o com.docker.network.bridge.enable_icc=${kv.icc}`,
      ];
      if (kv.internal === 'true') opts.push('--internal');
      else {
        opts.push(`-o com.docker.network.bridge.enable_ip_masquerade=${kv.masq}`);
        opts.push(`-o com.docker.network.bridge.gateway_mode_ipv4=${kv.gwm}`);
        if (kv.snat === 'true') opts.push('-o com.docker.network.host_ipv4=192.168.123.0');
      }
      run(`docker network create --subnet 192.168.0.0/24 ${opts.join(' ')} dummy`);
      const bind = kv.bindlh === 'true' ? '127.0.0.1:8080:80' : '8080:80';
      run(`docker run -d --name c1 --network dummy -p ${bind} img`);
      const golden = readFileSync(join(DIR, file), 'utf8').trimEnd();
      const got = () => save(run).split('\n').filter(keep).join('\n').trimEnd();
      if (kv.gwm !== 'routed') expect(got()).toBe(golden);
      else {
        // The rules moby's firewaller makes only for a binding with a host port (iptabler/port.go):
        // the DNAT, the loopback-only raw DROP, and the hairpin MASQUERADE when proxy is off.
        const hostPortRule = (l: string) =>
          l.includes('--dport 8080') || (kv.hairpin === 'true' && l.endsWith('--dport 80 -j MASQUERADE'));
        const lines = golden.split('\n');
        expect(lines.filter(hostPortRule)).toHaveLength(
          1 + Number(kv.bindlh === 'true') + Number(kv.hairpin === 'true'),
        );
        expect(got()).toBe(lines.filter((l) => !hostPortRule(l)).join('\n'));
        expect(run('docker port c1')).toBe('80/tcp -> 0.0.0.0:\n');
        // moby's testIptabler binding, given to the compile step as the unit test gives it.
        const fw = engineOf(world, host).firewaller!;
        const net = fwNetwork(engineOf(world, host).findNetwork('dummy')!);
        const pb: FwPortBinding = {
          proto: 'tcp',
          ip: '192.168.0.2',
          port: 80,
          hostIp: kv.bindlh === 'true' ? '127.0.0.1' : '0.0.0.0',
          hostPort: 8080,
        };
        fw.ports(net, [pb], true);
        expect(got()).toBe(golden);
        // Withdrawn again (with the container port's ACCEPT it shares with the engine's binding).
        fw.ports(net, [pb], false);
      }
      // And back: removing the container and the network leaves the cleaned dump.
      run('docker rm -f c1');
      run('docker network rm dummy');
      const after = save(run);
      const cleaned = readFileSync(join(DIR, `cleaned,hairpin=${kv.hairpin}__iptables.golden`), 'utf8');
      expect(after.split('\n').filter(keep).join('\n').trimEnd()).toBe(cleaned.trimEnd());
    });
  }
});
