// moby v28.0.0's generated iptables documentation reproduced by the 28.0 profile
// (test/fixtures/docker/iptablesdoc-v28.0.0/SOURCE.md): the same daemon options, networks and
// containers as moby's TestBridgeIptablesDoc, netsim's own `iptables -nvL --line-numbers` and `-S`
// outputs put into moby's templates, and the whole document compared with moby's golden copy.
// net.ipv4.ip_forward is 1 beforehand, as on moby's test host (the FORWARD policy stays ACCEPT).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

const DIR = join(import.meta.dirname, '../fixtures/docker/iptablesdoc-v28.0.0');

interface NetworkDesc {
  name: string;
  gwMode?: string;
  noICC?: boolean;
  internal?: boolean;
  /** Published port of the network's one container: '8080:80', '127.0.0.1:8080:80' or none. */
  publish?: string;
}

interface Section {
  name: string;
  noUserlandProxy?: boolean;
  networks: NetworkDesc[];
}

// iptablesdoc_linux_test.go `index`, without swarm-portmap.md.
const SECTIONS: Section[] = [
  { name: 'new-daemon.md', networks: [] },
  { name: 'usernet-portmap.md', networks: [{ name: 'bridge1', publish: '8080:80' }] },
  {
    name: 'usernet-portmap-noproxy.md',
    noUserlandProxy: true,
    networks: [{ name: 'bridge1', publish: '8080:80' }],
  },
  { name: 'usernet-portmap-noicc.md', networks: [{ name: 'bridge1', noICC: true, publish: '8080:80' }] },
  {
    name: 'usernet-internal.md',
    networks: [
      { name: 'bridgeICC', internal: true },
      { name: 'bridgeNoICC', internal: true, noICC: true },
    ],
  },
  {
    name: 'usernet-portmap-routed.md',
    networks: [{ name: 'bridge1', gwMode: 'routed', publish: '8080:80' }],
  },
  {
    name: 'usernet-portmap-natunprot.md',
    networks: [{ name: 'bridge1', gwMode: 'nat-unprotected', publish: '8080:80' }],
  },
  { name: 'usernet-portmap-lo.md', networks: [{ name: 'bridge1', publish: '127.0.0.1:8080:80' }] },
];

const DOC_NETWORKS = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const DOC_GATEWAYS = ['192.0.2.1', '198.51.100.1', '203.0.113.1'];

// iptablesdoc_linux_test.go iptCmds.
const IPT_CMDS: Record<string, string> = {
  LFilter4: 'iptables -nvL --line-numbers -t filter',
  SFilter4: 'iptables -S -t filter',
  SFilterForward4: 'iptables -S FORWARD',
  LFilterDocker4: 'iptables -nvL DOCKER --line-numbers -t filter',
  SFilterDocker4: 'iptables -S DOCKER',
  LNat4: 'iptables -nvL --line-numbers -t nat',
  SNat4: 'iptables -S -t nat',
  LRaw4: 'iptables -nvL --line-numbers -t raw',
  SRaw4: 'iptables -S -t raw',
};

function generate(sec: Section): string {
  const world = new World();
  const host = world.addNamespace('docker0');
  const run = (l: string) => runCommandLine({ world, ns: host }, l).stdout;
  run('sysctl -w net.ipv4.ip_forward=1');
  run(`dockerd --netsim-profile=28.0${sec.noUserlandProxy === true ? ' --userland-proxy=false' : ''}`);
  sec.networks.forEach((nw, i) => {
    const opts = [
      `--subnet ${DOC_NETWORKS[i]}`,
      `--gateway ${DOC_GATEWAYS[i]}`,
      `-o com.docker.network.bridge.name=${nw.name}`,
      `-o com.docker.network.bridge.gateway_mode_ipv4=${nw.gwMode ?? 'nat'}`,
    ];
    if (nw.noICC === true) opts.push('-o com.docker.network.bridge.enable_icc=false');
    if (nw.internal === true) opts.push('--internal');
    run(`docker network create ${opts.join(' ')} ${nw.name}`);
    const publish = nw.publish === undefined ? '' : `--expose 80/tcp -p ${nw.publish} `;
    run(`docker run -d --network ${nw.name} ${publish}busybox`);
  });
  run('iptables -Z');
  run('iptables -Z -t nat');
  const data: Record<string, string> = {};
  for (const [k, cmd] of Object.entries(IPT_CMDS))
    data[k] = run(cmd)
      .replace(/\d+ packets, \d+ bytes/g, '0 packets, 0 bytes')
      .replaceAll('\n', '\n    ');
  const template = readFileSync(join(DIR, 'templates', sec.name), 'utf8');
  return template.replace(/\{\{index \. "(\w+)"\}\}/g, (_, k: string) => data[k] ?? '');
}

describe('moby v28.0.0 iptables documentation (profile 28.0)', () => {
  for (const sec of SECTIONS) {
    test(sec.name, () => {
      expect(generate(sec)).toBe(readFileSync(join(DIR, 'generated', sec.name), 'utf8'));
    });
  }
});
