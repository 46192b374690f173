import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

function setup() {
  const world = new World({ seed: 1 });
  const a = world.addNamespace('lt1');
  const b = world.addNamespace('lt2');
  const run = (ns: typeof a, line: string) => runCommandLine({ world, ns }, line).stdout;
  return { world, a, b, run };
}

describe('ip link', () => {
  it('registers the veth peer first and shows a fresh namespace like iproute2 6.1', () => {
    const { a, b, run } = setup();
    run(a, 'ip link add veth0 type veth peer name eth0 netns lt2');
    const out = run(a, 'ip link show');
    // Recorded on Linux with iproute2 6.1 (MAC replaced): lo is down, the veth is down with noop qdisc.
    expect(out.replace(/link\/ether \S+/g, 'link/ether MAC')).toBe(
      '1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n' +
        '2: veth0@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ether MAC brd ff:ff:ff:ff:ff:ff link-netns lt2\n',
    );
    expect(b.device('eth0')!.ifindex).toBe(2);
  });

  it('a veth end has no carrier until its peer is up', () => {
    const { a, b, run } = setup();
    run(a, 'ip link add veth0 type veth peer name eth0 netns lt2');
    run(a, 'ip link set veth0 up');
    expect(run(a, 'ip link show veth0')).toMatch(
      /<NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN/,
    );
    run(b, 'ip link set eth0 up');
    expect(run(a, 'ip link show veth0')).toMatch(
      /<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP/,
    );
    const j = JSON.parse(run(a, 'ip -j link show veth0'));
    expect(j[0]).toMatchObject({
      ifindex: 2,
      link_index: 2,
      ifname: 'veth0',
      operstate: 'UP',
      link_netnsid: 0,
    });
  });

  it('peers in one namespace are shown as name@peer with M-DOWN while the peer is down', () => {
    const { a, run } = setup();
    run(a, 'ip link add vA type veth peer name vB');
    expect(a.device('vB')!.ifindex).toBeLessThan(a.device('vA')!.ifindex);
    expect(run(a, 'ip link show vA')).toMatch(/^3: vA@vB: <BROADCAST,MULTICAST,M-DOWN> mtu 1500/);
    expect(JSON.parse(run(a, 'ip -j link show vA'))[0].link).toBe('vB');
  });

  it('rejects what iproute2 rejects, with its wording', () => {
    const { a, run } = setup();
    run(a, 'ip link add vA type veth peer name vB');
    const msg = (line: string) => {
      try {
        run(a, line);
      } catch (e) {
        expect(e).toBeInstanceOf(CommandError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(msg('ip link set nosuch up')).toBe('Cannot find device "nosuch"');
    expect(msg('ip link add vA type veth peer name vC')).toBe('RTNETLINK answers: File exists');
    expect(msg('ip link set vA mtu 70000')).toBe('Error: mtu greater than device maximum.');
    expect(msg('ip link set vA address zz')).toBe('"zz" is invalid lladdr.');
    expect(msg('ip link foo')).toBe('Command "foo" is unknown, try "ip link help".');
    expect(msg('ip link add x type foo')).toBe('Error: Unknown device type.');
    expect(msg('ip -z link')).toBe('Option "-z" is unknown, try "ip -help".');
  });

  it('deleting one veth end deletes both; moving a device brings it down', () => {
    const { a, b, run } = setup();
    run(a, 'ip link add vA type veth peer name vB');
    run(a, 'ip link set vA up');
    run(a, 'ip link set vA netns lt2');
    expect(a.device('vA')).toBeUndefined();
    expect(b.device('vA')!.adminUp).toBe(false);
    run(a, 'ip link del vB');
    expect(b.device('vA')).toBeUndefined();
  });

  it('renames, sets mtu and address, and prints -br and -s forms', () => {
    const { a, run } = setup();
    run(a, 'ip link add vA type veth peer name vB');
    run(a, 'ip link set vA name vZ mtu 9000 address 02:00:00:00:00:01');
    expect(run(a, 'ip -br link show vZ')).toBe(
      'vZ@vB            DOWN           02:00:00:00:00:01 <BROADCAST,MULTICAST,M-DOWN> \n',
    );
    expect(run(a, 'ip -s link show vZ')).toContain(
      '    RX:  bytes packets errors dropped  missed   mcast           \n             0       0      0       0       0       0 \n',
    );
  });
});

describe('sysctl', () => {
  it('fails like procps for a key that does not exist', () => {
    const { a, run } = setup();
    expect(() => run(a, 'sysctl -w net.ipv4.nosuch=1')).toThrow(
      'sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory',
    );
  });
});
