// Conformance with moby's TestIptabler golden dumps (test/fixtures/docker/iptabler/SOURCE.md): the
// same sequence of firewaller calls as moby's testIptabler, rendered in iptables-save form.
// When netsim's `iptables-save` lands, the same cases run through it in iptabler-save.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { IptModel } from '../../src/docker/ipt-model.js';
import { Firewaller, type FwNetwork, type FwPortBinding } from '../../src/docker/iptables-plan.js';
import { profile } from '../../src/docker/profiles.js';

const DIR = join(import.meta.dirname, '../fixtures/docker/iptabler');

interface Case {
  file: string;
  hairpin: boolean;
  internal: boolean;
  icc: boolean;
  masq: boolean;
  snat: boolean;
  gwm: string;
  bindlh: boolean;
}

function parseName(file: string): Case | null {
  const m = /^(.*)__iptables\.golden$/.exec(file);
  if (m === null || m[1]!.startsWith('cleaned') || m[1] === 'no') return null;
  const kv = Object.fromEntries(m[1]!.split(',').map((p) => p.split('=') as [string, string]));
  return {
    file,
    hairpin: kv.hairpin === 'true',
    internal: kv.internal === 'true',
    icc: kv.icc === 'true',
    masq: kv.masq === 'true',
    snat: kv.snat === 'true',
    gwm: kv.gwm ?? 'nat',
    bindlh: kv.bindlh === 'true',
  };
}

function dump(m: IptModel): string {
  return m.render('raw') + m.render('filter') + m.render('nat');
}

const cases = readdirSync(DIR)
  .map(parseName)
  .filter((c): c is Case => c !== null);

describe('moby TestIptabler golden files (profile current)', () => {
  test('there are cases', () => {
    expect(cases.length).toBeGreaterThan(90);
  });
  for (const c of cases) {
    test(c.file, () => {
      const model = new IptModel();
      const cmds: string[] = [];
      const fw = new Firewaller(model, (a) => cmds.push(a.join(' ')), profile('current'), c.hairpin);
      fw.init();
      const cleaned = readFileSync(join(DIR, `cleaned,hairpin=${c.hairpin}__iptables.golden`), 'utf8');
      expect(dump(model)).toBe(cleaned);
      const net: FwNetwork = {
        ifName: 'br-dummy',
        internal: c.internal,
        icc: c.icc,
        masquerade: c.masq,
        prefix: '192.168.0.0/24',
        hostIp: c.snat ? '192.168.123.0' : '',
        routed: c.gwm === 'routed',
        unprotected: c.gwm === 'nat-unprotected',
      };
      const pb: FwPortBinding = {
        proto: 'tcp',
        ip: '192.168.0.2',
        port: 80,
        hostIp: c.bindlh ? '127.0.0.1' : '0.0.0.0',
        hostPort: 8080,
      };
      fw.newNetwork(net);
      fw.endpoint(net, '192.168.0.2', true);
      fw.ports(net, [pb], true);
      expect(dump(model)).toBe(readFileSync(join(DIR, c.file), 'utf8'));
      fw.ports(net, [pb], false);
      fw.endpoint(net, '192.168.0.2', false);
      fw.delNetwork(net);
      expect(dump(model)).toBe(cleaned);
    });
  }
});
