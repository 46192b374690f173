// `bridge fdb show`, `bridge link show` and `ip -d link` against outputs recorded on Linux 6.18 with
// iproute2 6.1 (test/fixtures/bridge/record.sh runs the same steps in namespaces).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import '../../src/control/bridge.js';
import { type CommandError, runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';

const FIX = new URL('../fixtures/bridge/', import.meta.url);

/** The recorded output without its `$ command` line. */
function fixture(name: string): string {
  const text = readFileSync(new URL(name, FIX), 'utf8');
  return text.slice(text.indexOf('\n') + 1);
}

/** netsim has no multicast address lists: drop the kernel's derived `self permanent` lines. */
function withoutMcast(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^(33:33|01:00:5e):\S+ (dev \S+ )?self permanent/.test(l))
    .join('\n');
}

function withoutMcastJson(text: string): unknown {
  return (JSON.parse(text) as Array<{ mac: string; flags: string[] }>).filter(
    (e) => !(/^(33:33|01:00:5e):/.test(e.mac) && e.flags.includes('self')),
  );
}

function sendRaw(world: World, ns: Namespace, dst: string, src: string): void {
  const h = world.newFrame();
  const pool = world.pool;
  pool.setLength(h, 60);
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const bytes = [...dst.split(':'), ...src.split(':')].map((x) => Number.parseInt(x, 16));
  for (let i = 0; i < 60; i++) u8[off + i] = i < 12 ? bytes[i]! : 0;
  u8[off + 12] = 0x88;
  u8[off + 13] = 0xb5;
  ns.device('eth0')!.xmit(h);
  world.sim.run({ until: world.sim.now });
}

/** The steps of record.sh. */
function recorded() {
  const world = new World({ seed: 7 });
  const h = world.addNamespace('nsbrrec-h');
  const a = world.addNamespace('nsbrrec-a');
  const b = world.addNamespace('nsbrrec-b');
  const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line).stdout;
  run(h, 'ip link add br0 type bridge');
  run(h, 'ip link set br0 up');
  run(
    h,
    'ip link add va address 02:00:00:00:01:0a type veth peer name eth0 address 02:00:00:00:02:0a netns nsbrrec-a',
  );
  run(
    h,
    'ip link add vb address 02:00:00:00:01:0b type veth peer name eth0 address 02:00:00:00:02:0b netns nsbrrec-b',
  );
  run(h, 'ip link set va master br0');
  run(h, 'ip link set vb master br0');
  run(h, 'ip link set va up');
  run(h, 'ip link set vb up');
  run(a, 'ip link set eth0 up');
  run(b, 'ip link set eth0 up');
  run(h, 'bridge fdb add 02:00:00:00:00:32 dev va master static');
  run(h, 'bridge fdb add 02:00:00:00:00:33 dev vb master dynamic');
  run(h, 'bridge fdb add 02:00:00:00:00:34 dev va master');
  run(h, 'bridge fdb add 02:00:00:00:00:38 dev va master sticky static');
  run(h, 'bridge fdb add 02:00:00:00:00:10 dev va');
  sendRaw(world, a, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:03:01');
  sendRaw(world, b, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:03:02');
  return { world, h, run: (line: string) => run(h, line) };
}

describe('bridge tool output (recorded on Linux 6.18, iproute2 6.1)', () => {
  it('bridge fdb show / br / dev', () => {
    const { run } = recorded();
    expect(run('bridge fdb show')).toBe(withoutMcast(fixture('fdb-show.txt')));
    expect(run('bridge fdb show br br0')).toBe(withoutMcast(fixture('fdb-show-br.txt')));
    expect(run('bridge fdb show dev va')).toBe(withoutMcast(fixture('fdb-show-dev.txt')));
  });

  it('bridge -j fdb show br br0', () => {
    const { run } = recorded();
    expect(JSON.parse(run('bridge -j fdb show br br0'))).toEqual(
      withoutMcastJson(fixture('fdb-show-json.txt')),
    );
  });

  it('bridge link show, -d, -j, -d -j', () => {
    const { run } = recorded();
    expect(run('bridge link show')).toBe(fixture('link-show.txt'));
    expect(run('bridge -d link show')).toBe(fixture('link-show-d.txt'));
    expect(JSON.parse(run('bridge -j link show'))).toEqual(JSON.parse(fixture('link-show-json.txt')));
    expect(JSON.parse(run('bridge -d -j link show'))).toEqual(JSON.parse(fixture('link-show-d-json.txt')));
    run('bridge link set dev va hairpin on learning off isolated on flood off');
    expect(run('bridge -d link show dev va')).toBe(fixture('link-show-d-va-changed.txt'));
  });

  it('ip -d link show: the bridge and bridge_slave detail lines (timers aside)', () => {
    const { run } = recorded();
    run('bridge link set dev va hairpin on learning off isolated on flood off');
    const timers = (s: string) => s.replace(/(_timer) +\d+\.\d+/g, '$1 T');
    const line = (text: string, prefix: string) =>
      text.split('\n').find((l) => l.trimStart().startsWith(prefix))!;
    // The generic tail (addrgenmode, numtxqueues, …) is `ip link`'s part: compare the bridge's words.
    const upTo = (s: string, last: string) => s.slice(0, s.indexOf(last) + last.length);
    const brReal = upTo(line(fixture('ip-d-link-br0.txt'), 'bridge ').trim(), 'nf_call_arptables 0');
    const brOurs = upTo(line(run('ip -d link show br0'), 'bridge ').trim(), 'nf_call_arptables 0');
    expect(timers(brOurs)).toBe(timers(brReal));
    const slaveReal = line(fixture('ip-d-link-va.txt'), 'bridge_slave').trim();
    const slaveOurs = line(run('ip -d link show va'), 'bridge_slave').trim();
    expect(timers(upTo(slaveOurs, 'locked off'))).toBe(timers(upTo(slaveReal, 'locked off')));
  });

  it('fdb errors read like the real tool', () => {
    const { run } = recorded();
    const err = (line: string) => {
      try {
        run(line);
      } catch (e) {
        return (e as CommandError).message;
      }
      return 'no error';
    };
    expect(err('bridge fdb add 02:00:00:00:00:32 dev va master static')).toBe(
      'RTNETLINK answers: File exists',
    );
    expect(err('bridge fdb append 02:00:00:00:00:32 dev va master static')).toBe('no error');
    expect(err('bridge fdb add 02:00:00:00:00:34 dev br0 master static')).toBe(
      'RTNETLINK answers: Operation not supported',
    );
    expect(err('bridge fdb add 02:00:00:00:00:35 dev br0 static')).toBe(
      'RTNETLINK answers: Invalid argument',
    );
    expect(err('bridge fdb add 02:00:00:00:00:36 dev va master static vlan 5')).toBe(
      'RTNETLINK answers: Invalid argument',
    );
    expect(err('bridge fdb add 00:00:00:00:00:00 dev va master static')).toBe(
      'RTNETLINK answers: Invalid argument',
    );
    expect(err('bridge fdb add 02:00:00:00:00:37 dev lo master static')).toBe(
      'Error: FDB add only supported for Ethernet devices.',
    );
    expect(err('bridge fdb add zz dev va master')).toBe('Invalid mac address zz');
    expect(err('bridge fdb add 02:00:00:00:00:38 master')).toBe('Device and address are required arguments.');
    expect(err('bridge fdb del 02:00:00:00:00:99 dev va master')).toBe(
      'RTNETLINK answers: No such file or directory',
    );
    expect(err('bridge fdb del 02:00:00:00:03:01 dev vb master')).toBe(
      'RTNETLINK answers: No such file or directory',
    );
    expect(err('bridge fdb del 02:00:00:00:03:01 dev va master')).toBe('no error');
    expect(err('bridge link set dev br0 hairpin on')).toBe('RTNETLINK answers: Operation not supported');
    expect(err('bridge link set dev nope hairpin on')).toBe('Cannot find bridge device "nope"');
    expect(err('bridge link set dev va hairpin maybe')).toBe(
      'Error: argument of "hairpin" must be one of "off", "on", not "maybe"',
    );
  });

  it('bridge fdb replace moves an entry and changes its state', () => {
    const { run } = recorded();
    run('bridge fdb replace 02:00:00:00:00:32 dev vb master');
    expect(run('bridge fdb show dev vb')).toMatch(/^02:00:00:00:00:32 master br0 permanent$/m);
  });

  it('ip link add … type bridge options: units, ranges and what is not emulated', () => {
    const world = new World({ seed: 1 });
    const ns = world.addNamespace('t');
    const run = (line: string) => runCommandLine({ world, ns }, line).stdout;
    run('ip link add br1 type bridge ageing_time 300 forward_delay 400 priority 100');
    const d = run('ip -d link show br1');
    expect(d).toMatch(
      /bridge forward_delay 400 hello_time 200 max_age 2000 ageing_time 300 stp_state 0 priority 100 /,
    );
    expect(d).toMatch(/bridge_id 0064\.0:0:0:0:0:0 /);
    expect(() => run('ip link add br2 type bridge hello_time 50')).toThrow('Numerical result out of range');
    expect(() => run('ip link add br2 type bridge max_age 5000')).toThrow('Numerical result out of range');
    expect(() => run('ip link add br2 type bridge ageing_time abc')).toThrow(
      'Error: argument "abc" is wrong: invalid ageing_time',
    );
    expect(() => run('ip link add br2 type bridge bogus 1')).toThrow('bridge: unknown command "bogus"?');
    expect(() => run('ip link add br2 type bridge stp_state 1')).toThrow(/STP is not emulated/);
    expect(() => run('ip link add br2 type bridge vlan_filtering 1')).toThrow(
      /VLAN filtering is not emulated/,
    );
    expect(ns.device('br2')).toBeUndefined();
    run('ip link set br1 type bridge ageing_time 1000');
    expect(run('ip -d link show br1')).toMatch(/ageing_time 1000 /);
  });
});
