// `ip addr|route|neigh` against text recorded with iproute2 6.1 on Linux 6.18 in fresh namespaces
// (IPv6 disabled), see the file headers of src/control/ip/{addr,route,neigh}.ts.

import { describe, expect, it } from 'vitest';
import '../../src/control/ip/addr.js';
import '../../src/control/ip/link.js';
import '../../src/control/ip/neigh.js';
import '../../src/control/ip/route.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

function setup() {
  const w = new World({ seed: 1, check: true });
  const a = w.addNamespace('nsa');
  w.addNamespace('nsb');
  const ctx = { world: w, ns: a };
  const sh = (line: string): string => runCommandLine(ctx, line).stdout;
  const err = (line: string): string => {
    try {
      runCommandLine(ctx, line);
    } catch (e) {
      if (e instanceof CommandError) return e.message;
      throw e;
    }
    return '(no error)';
  };
  sh('ip link set lo up');
  sh('ip link add eth0 type veth peer name eth0 netns nsb');
  sh('ip addr add 10.0.0.1/24 dev eth0');
  sh('ip link set eth0 up');
  runCommandLine({ world: w, ns: w.namespace('nsb')! }, 'ip link set eth0 up');
  return { w, sh, err };
}

describe('ip route', () => {
  it('shows main and all tables like iproute2', () => {
    const { sh, err } = setup();
    sh('ip route add 10.1.0.0/16 via 10.0.0.2');
    expect(err('ip route add 10.2.0.0/16 via 10.9.0.2')).toBe('Error: Nexthop has invalid gateway.');
    sh('ip route add 10.2.0.0/16 via 10.9.0.2 dev eth0 onlink');
    expect(err('ip route add 10.1.0.0/16 via 10.0.0.2')).toBe('RTNETLINK answers: File exists');
    sh('ip route add default via 10.0.0.2 metric 100');
    sh('ip route add blackhole 192.168.0.0/24');
    sh('ip route add unreachable 192.168.1.0/24');
    sh('ip route add prohibit 192.168.2.0/24 metric 5');
    sh('ip route add 192.168.3.0/24 dev eth0 src 10.0.0.1 proto static');
    sh('ip route add 192.168.4.0/24 dev eth0 scope link');
    sh('ip route add 10.5.0.0/16 dev eth0 table 100');
    expect(sh('ip route')).toBe(
      [
        'default via 10.0.0.2 dev eth0 metric 100 ',
        '10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 ',
        '10.1.0.0/16 via 10.0.0.2 dev eth0 ',
        '10.2.0.0/16 via 10.9.0.2 dev eth0 onlink ',
        'blackhole 192.168.0.0/24 ',
        'unreachable 192.168.1.0/24 ',
        'prohibit 192.168.2.0/24 metric 5 ',
        '192.168.3.0/24 dev eth0 proto static scope link src 10.0.0.1 ',
        '192.168.4.0/24 dev eth0 scope link ',
        '',
      ].join('\n'),
    );
    expect(sh('ip -j route')).toBe(
      '[{"dst":"default","gateway":"10.0.0.2","dev":"eth0","metric":100,"flags":[]},{"dst":"10.0.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"10.0.0.1","flags":[]},{"dst":"10.1.0.0/16","gateway":"10.0.0.2","dev":"eth0","flags":[]},{"dst":"10.2.0.0/16","gateway":"10.9.0.2","dev":"eth0","flags":["onlink"]},{"type":"blackhole","dst":"192.168.0.0/24","flags":[]},{"type":"unreachable","dst":"192.168.1.0/24","flags":[]},{"type":"prohibit","dst":"192.168.2.0/24","metric":5,"flags":[]},{"dst":"192.168.3.0/24","dev":"eth0","protocol":"static","scope":"link","prefsrc":"10.0.0.1","flags":[]},{"dst":"192.168.4.0/24","dev":"eth0","scope":"link","flags":[]}]\n',
    );
    expect(sh('ip route show table 100')).toBe('10.5.0.0/16 dev eth0 scope link \n');
    expect(sh('ip route show table all')).toContain(
      ['10.5.0.0/16 dev eth0 table 100 scope link ', 'default via 10.0.0.2 dev eth0 metric 100 '].join('\n'),
    );
    expect(sh('ip route show table all')).toContain(
      [
        'local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1 ',
        'broadcast 10.0.0.255 dev eth0 table local proto kernel scope link src 10.0.0.1 ',
        'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 ',
        '',
      ].join('\n'),
    );
    expect(sh('ip route get 10.1.2.3')).toBe(
      '10.1.2.3 via 10.0.0.2 dev eth0 src 10.0.0.1 uid 0 \n    cache \n',
    );
    expect(sh('ip route get 10.0.0.1')).toBe(
      'local 10.0.0.1 dev lo src 10.0.0.1 uid 0 \n    cache <local> \n',
    );
    expect(sh('ip route get 10.0.0.255')).toBe(
      'broadcast 10.0.0.255 dev eth0 src 10.0.0.1 uid 0 \n    cache <local,brd> \n',
    );
    expect(err('ip route get 192.168.0.5')).toBe('RTNETLINK answers: Invalid argument');
    expect(err('ip route get 192.168.1.5')).toBe('RTNETLINK answers: No route to host');
    expect(err('ip route get 192.168.2.5')).toBe('RTNETLINK answers: Permission denied');
    expect(sh('ip -j route get 10.1.2.3')).toBe(
      '[{"dst":"10.1.2.3","gateway":"10.0.0.2","dev":"eth0","prefsrc":"10.0.0.1","flags":[],"uid":0,"cache":[]}]\n',
    );
    expect(err('ip route del 10.7.0.0/16')).toBe('RTNETLINK answers: No such process');
    expect(err('ip route add 10.1.0.0/33 dev eth0')).toBe(
      'Error: any valid prefix is expected rather than "10.1.0.0/33".',
    );
    expect(err('ip route add 10.1.0.0/16 dev eth9')).toBe('Cannot find device "eth9"');
    expect(err('ip route add 10.1.0.1/16 dev eth0')).toBe('Error: Invalid prefix for given prefix length.');
    sh('ip route del default');
    expect(err('ip route get 8.8.8.8')).toBe('RTNETLINK answers: Network is unreachable');
  });

  it('kernel routes follow the device state (down removes all but local)', () => {
    const { sh } = setup();
    sh('ip link set eth0 down');
    expect(sh('ip route show table all')).toBe(
      [
        'local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1 ',
        'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 ',
        'broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 ',
        '',
      ].join('\n'),
    );
  });
});

describe('ip addr', () => {
  it('primary/secondary order, brd +, scope, label; errors', () => {
    const { sh, err } = setup();
    sh('ip addr add 10.0.0.7/24 dev eth0');
    sh('ip addr add 172.16.0.1/12 brd + dev eth0 label eth0:x');
    sh('ip addr add 192.168.50.1/24 dev eth0 scope link');
    const out = sh('ip addr show dev eth0');
    expect(out.split('\n').slice(2).join('\n')).toBe(
      [
        '    inet 192.168.50.1/24 scope link eth0',
        '       valid_lft forever preferred_lft forever',
        '    inet 10.0.0.1/24 scope global eth0',
        '       valid_lft forever preferred_lft forever',
        '    inet 172.16.0.1/12 brd 172.31.255.255 scope global eth0:x',
        '       valid_lft forever preferred_lft forever',
        '    inet 10.0.0.7/24 scope global secondary eth0',
        '       valid_lft forever preferred_lft forever',
        '',
      ].join('\n'),
    );
    expect(err('ip addr add 10.0.0.1/24 dev eth0')).toBe('Error: ipv4: Address already assigned.');
    expect(err('ip addr del 10.0.0.99/24 dev eth0')).toBe('Error: ipv4: Address not found.');
    expect(err('ip addr add 1.2.3.4/40 dev eth0')).toBe(
      'Error: any valid prefix is expected rather than "1.2.3.4/40".',
    );
    expect(err('ip addr add 1.2.3.4/24 dev eth9')).toBe('Cannot find device "eth9"');
    expect(err('ip addr add 1.2.3.4/24')).toBe('Not enough information: "dev" argument is required.');
    // Deleting the primary takes its secondary along (promote_secondaries = 0).
    sh('ip addr del 10.0.0.1/24 dev eth0');
    expect(sh('ip route')).toBe(
      [
        '172.16.0.0/12 dev eth0 proto kernel scope link src 172.16.0.1 ',
        '192.168.50.0/24 dev eth0 proto kernel scope link src 192.168.50.1 ',
        '',
      ].join('\n'),
    );
    expect(sh('ip -j addr show dev lo')).toContain(
      '"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295}]',
    );
  });
});

describe('ip neigh', () => {
  it('add/replace/del/show/flush with iproute2 text', () => {
    const { sh, err } = setup();
    sh('ip neigh add 10.0.0.50 lladdr 02:00:00:00:00:50 dev eth0');
    sh('ip neigh add 10.0.0.51 dev eth0 nud noarp lladdr 02:00:00:00:00:51');
    sh('ip neigh add 10.0.0.52 lladdr 02:00:00:00:00:52 dev eth0 nud reachable');
    sh('ip neigh add 10.0.0.53 lladdr 02:00:00:00:00:53 dev eth0 nud stale');
    expect(err('ip neigh add 10.0.0.50 lladdr 02:00:00:00:00:50 dev eth0')).toBe(
      'RTNETLINK answers: File exists',
    );
    sh('ip neigh replace 10.0.0.50 lladdr 02:00:00:00:00:55 dev eth0');
    expect(sh('ip neigh')).toBe(
      [
        '10.0.0.50 dev eth0 lladdr 02:00:00:00:00:55 PERMANENT ',
        '10.0.0.52 dev eth0 lladdr 02:00:00:00:00:52 REACHABLE ',
        '10.0.0.53 dev eth0 lladdr 02:00:00:00:00:53 STALE ',
        '',
      ].join('\n'),
    );
    expect(sh('ip neigh show dev eth0')).toBe(
      [
        '10.0.0.50 lladdr 02:00:00:00:00:55 PERMANENT ',
        '10.0.0.52 lladdr 02:00:00:00:00:52 REACHABLE ',
        '10.0.0.53 lladdr 02:00:00:00:00:53 STALE ',
        '',
      ].join('\n'),
    );
    expect(sh('ip -j neigh show nud all')).toBe(
      '[{"dst":"10.0.0.50","dev":"eth0","lladdr":"02:00:00:00:00:55","state":["PERMANENT"]},{"dst":"10.0.0.51","dev":"eth0","lladdr":"02:00:00:00:00:51","state":["NOARP"]},{"dst":"10.0.0.52","dev":"eth0","lladdr":"02:00:00:00:00:52","state":["REACHABLE"]},{"dst":"10.0.0.53","dev":"eth0","lladdr":"02:00:00:00:00:53","state":["STALE"]}]\n',
    );
    expect(err('ip neigh del 10.0.0.99 dev eth0')).toBe('RTNETLINK answers: No such file or directory');
    expect(err('ip neigh add 10.0.0.60 lladdr 02:00:00:00:00:60')).toBe(
      'Device and destination are required arguments.',
    );
    sh('ip neigh del 10.0.0.53 dev eth0');
    sh('ip neigh flush dev eth0');
    expect(sh('ip neigh')).toBe('10.0.0.50 dev eth0 lladdr 02:00:00:00:00:55 PERMANENT \n');
  });
});
