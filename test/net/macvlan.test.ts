// macvlan reachability against the real kernel: test/fixtures/overlay/record.sh section 3 (Linux 6.18)
// builds a parent mh/eth0 (10.9.0.1) wired to an external host ext (10.9.0.9), two children m1
// (10.9.0.11) and m2 (10.9.0.12) moved into their own namespaces, and pings every pair in bridge,
// private and VEPA modes. The same steps run here and must give the same matrix — including the
// well-known limitation that children and their parent cannot reach each other.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MacvlanDevice } from '../../src/net/devices/macvlan.js';
import { stackOf } from '../../src/net/ipv4/stack.js';
import { Pinger } from './ipv4/helpers.js';
import { FIX } from './overlay-helpers.js';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

const matrix = readFileSync(new URL('macvlan-matrix.txt', FIX), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(' ') as [string, string, string, 'ok' | 'fail']);

function lab(mode: string) {
  const world = new World({ seed: 3, check: true });
  const names = ['mh', 'mc1', 'mc2', 'ext'] as const;
  const ns = Object.fromEntries(names.map((n) => [n, world.addNamespace(`ovrec-${n}`)])) as Record<
    (typeof names)[number],
    ReturnType<World['addNamespace']>
  >;
  const run = (n: (typeof names)[number], line: string) => runCommandLine({ world, ns: ns[n] }, line).stdout;
  for (const n of names) run(n, 'ip link set lo up');
  run(
    'mh',
    'ip link add eth0 address 02:00:00:00:09:01 type veth peer name eth0 address 02:00:00:00:09:09 netns ovrec-ext',
  );
  run('mh', 'ip addr add 10.9.0.1/24 dev eth0');
  run('mh', 'ip link set eth0 up');
  run('ext', 'ip addr add 10.9.0.9/24 dev eth0');
  run('ext', 'ip link set eth0 up');
  run('mh', `ip link add link eth0 name m1 address 02:00:00:00:09:11 type macvlan mode ${mode}`);
  run('mh', `ip link add link eth0 name m2 address 02:00:00:00:09:12 type macvlan mode ${mode}`);
  run('mh', 'ip link set m1 netns ovrec-mc1');
  run('mh', 'ip link set m2 netns ovrec-mc2');
  run('mc1', 'ip addr add 10.9.0.11/24 dev m1');
  run('mc1', 'ip link set m1 up');
  run('mc2', 'ip addr add 10.9.0.12/24 dev m2');
  run('mc2', 'ip link set m2 up');
  return { world, ns, run };
}

describe('macvlan reachability matrix (recorded on Linux 6.18)', () => {
  for (const mode of ['bridge', 'private', 'vepa']) {
    it(`${mode} mode`, () => {
      const rows = matrix.filter((r) => r[0] === mode);
      expect(rows).toHaveLength(16);
      for (const [, from, to, want] of rows) {
        // A fresh lab per ping, as the recording flushed nothing between pings of one mode: ARP state
        // only helps reachability, never hurts it, so fresh neighbour tables give the same answers.
        const { world, ns } = lab(mode);
        const p = new Pinger(ns[from as keyof typeof ns], 77);
        p.send(to, 1, { df: false });
        world.sim.run({ until: world.sim.now + 3e9 });
        const got = p.heard.some((h) => h.kind === 'reply') ? 'ok' : 'fail';
        expect(`${mode} ${from} ${to} ${got}`).toBe(`${mode} ${from} ${to} ${want}`);
        world.sim.run();
        expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
        expect(world.pool.liveCount).toBe(0);
      }
    });
  }

  it('ip -d link show m1 and its -j linkinfo match the recording; the child shows NAME@PARENT', () => {
    const { run, ns } = lab('bridge');
    const rec = readFileSync(new URL('ip-d-link-macvlan.txt', FIX), 'utf8').split('\n');
    run('mh', 'ip link add link eth0 name m3 address 02:00:00:00:09:13 type macvlan mode bridge');
    const text = run('mh', 'ip -d link show m3');
    expect(text.split('\n')[0]).toContain(': m3@eth0: <BROADCAST,MULTICAST>');
    expect(rec[2]!.trim().startsWith(text.split('\n')[2]!.trim())).toBe(true);
    const j = JSON.parse(run('mh', 'ip -d -j link show m3'))[0];
    const jr = JSON.parse(rec[3]!)[0];
    expect(j.linkinfo).toEqual(jr.linkinfo);
    expect(j.link).toBe('eth0');
    expect(ns.mh.device('m3')).toBeInstanceOf(MacvlanDevice);
    void stackOf;
  });

  it('passthru takes the parent MAC and allows one child', () => {
    const { run, ns } = lab('bridge');
    const w = new World({ seed: 1 });
    void w;
    run('ext', 'ip link add link eth0 name mp type macvlan mode passthru');
    expect(ns.ext.device('mp')!.macLo).toBe(ns.ext.device('eth0')!.macLo);
    expect(() => run('ext', 'ip link add link eth0 name mq type macvlan mode passthru')).toThrow(
      'RTNETLINK answers: Invalid argument',
    );
  });
});
