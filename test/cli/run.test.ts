import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netsim } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'netsim-cli-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// Uses only namespaces, scenario links, `ip link` and `sysctl`.
const TINY = `netsim: 1
seed: 7
hosts:
  a: { sysctl: { net.ipv4.conf.all.rp_filter: 2 } }
  b:
links:
  - { a: a:eth1, b: b:eth1, delay: 1ms, rate: 1Gbit }
steps:
  - in: a
    run: |
      ip link set lo up
      ip link add v0 type veth peer name v1 netns b
      ip link set v0 up
  - at: 2s
    in: b
    run: ip link set v1 up
  - { at: 3s, link: a:eth1, delay: 5ms }
expect:
  - { in: a, run: ip link show v0, output-contains: "state UP" }
  - { at: 1s, in: a, run: ip link show v0, output-contains: NO-CARRIER }
  - { in: a, run: sysctl net.ipv4.conf.all.rp_filter, output-contains: "= 2" }
  - { in: b, run: ip link show v9, fails: true }
`;

describe('netsim run', () => {
  it('runs a scenario, exits 0 when every expectation holds and writes a JSON report', async () => {
    const f = file('tiny.yaml', TINY);
    const json = join(dir, 'tiny.json');
    const r = await netsim(['run', f, '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4/4 expectations hold');
    const rep = JSON.parse(readFileSync(json, 'utf8'));
    expect(rep.ok).toBe(true);
    expect(rep.seed).toBe(7);
    expect(rep.simulatedNs).toBe(4_000_000_000); // last step at 3s + 1s settle
    expect(rep.timeline[2].patches).toEqual([
      { op: 'replace', path: ['links', 0, 'delay'], value: 5_000_000 },
    ]);
    expect(rep.namespaces.a.links.map((l: { ifname: string }) => l.ifname)).toEqual(['lo', 'eth1', 'v0']);
    expect(rep.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('exits 1 and shows the observed value when an expectation fails', async () => {
    const f = file('fail.yaml', TINY.replace('output-contains: "= 2"', 'output-contains: "= 1"'));
    const r = await netsim(['run', f, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ a: sysctl net.ipv4.conf.all.rp_filter → contains "= 1"');
    expect(r.stdout).toContain('observed: output lacks "= 1"');
  });

  it('exits 2 naming file:line:col of a failing command inside a run block', async () => {
    const f = file('bad.yaml', TINY.replace('ip link set v0 up', 'ip link set v7 up'));
    const r = await netsim(['run', f]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `${f}:13:7: steps[0].run line 3: ip link set v7 up: Cannot find device "v7"`,
    );
  });

  it('gives the same fingerprint for the same seed and JSON to stdout with --json -', async () => {
    const f = file('fp.yaml', TINY);
    const a = JSON.parse((await netsim(['run', f, '--json', '-', '--seed', '5'])).stdout);
    const b = JSON.parse((await netsim(['run', f, '--json', '-', '--seed', '5'])).stdout);
    const c = JSON.parse((await netsim(['run', f, '--json', '-', '--seed', '6'])).stdout);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.namespaces).toEqual(b.namespaces);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('validate reports problems with exit 2 and ok files with exit 0', async () => {
    const ok = await netsim(['validate', file('v.yaml', TINY)]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok (2 hosts, 1 links, 2 command steps, 0 probes, 4 expectations)');
    const bad = await netsim([
      'validate',
      file('v2.yaml', TINY.replace('ip link set lo up', 'ipp link set lo up')),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(
      /v2\.yaml:11:7: steps\[0\]\.run line 1: ipp: command not found \(did you mean "ip"\?\)$/,
    );
  });
});
