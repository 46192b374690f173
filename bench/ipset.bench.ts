// `-m set --match-set S dst` (hash:net, src/netfilter/ipset) against the chain of plain `-d CIDR`
// rules it replaces: one UDP packet through INPUT whose destination is in none of N /24 prefixes
// (the worst case for both: every rule, or every stored prefix length, is tried). Baseline per N:
// N `-d 10.x.y.0/24 -j ACCEPT` rules, measured in the same run. `set, 8 lengths` spreads the same N
// members over prefix lengths /16…/30, so the lookup probes 8 lengths instead of one.

import { runCommandLine } from '../src/control/command.js';
import { restoreText } from '../src/control/iptables-restore.js';
import '../src/control/all.js';
import { World } from '../src/net/world.js';
import { Hook, netfilterOf } from '../src/netfilter/hooks.js';
import { defineSuite } from './harness/suite.js';
import { localInPacket } from './support/local-in-packet.js';

let sink = 0;
/** Read by nobody; keeps results observable so the JIT cannot drop the work. */
export const observe = (): number => sink;

const LENGTHS = [16, 18, 20, 22, 24, 26, 28, 30];

function prefix(i: number, len: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.0/${len}`;
}

function setup(n: number, kind: 'rules' | 'set' | 'set8') {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('b');
  const nf = netfilterOf(ns);
  let text = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  if (kind === 'rules') {
    for (let i = 0; i < n; i++) text += `-A INPUT -d ${prefix(i, 24)} -j ACCEPT\n`;
  } else {
    const sh = (l: string) => runCommandLine({ world, ns }, l);
    sh('ipset create s hash:net');
    for (let i = 0; i < n; i++) sh(`ipset add s ${prefix(i, kind === 'set' ? 24 : LENGTHS[i % 8]!)} -exist`);
    text += '-A INPUT -m set --match-set s dst -j ACCEPT\n';
  }
  text += 'COMMIT\n';
  restoreText(nf, text);
  const { h, l3 } = localInPacket(world, nf);
  return { nf, h, l3 };
}

const BATCH = 256;

function runCase(n: number, kind: 'rules' | 'set' | 'set8') {
  return () => {
    const { nf, h, l3 } = setup(n, kind);
    const batch = kind === 'rules' && n >= 10000 ? 4 : BATCH;
    return {
      opsPerCall: batch,
      fn: () => {
        for (let i = 0; i < batch; i++) sink ^= nf.run(Hook.LocalIn, h, l3, -1, -1);
      },
    };
  };
}

function group(n: number) {
  return {
    name: `prefixes=${n}`,
    baseline: `${n} -d rules`,
    cases: {
      [`${n} -d rules`]: runCase(n, 'rules'),
      'one set rule': runCase(n, 'set'),
      'one set rule, 8 lengths': runCase(n, 'set8'),
    },
  };
}

export default defineSuite(import.meta.url, {
  name: 'ipset',
  groups: [group(1), group(100), group(10000)],
});
