// A passthru macvlan's address is its parent's (drivers/net/macvlan.c macvlan_set_mac_address →
// dev_set_mac_address(lowerdev), then NETDEV_CHANGEADDR syncs the child), and the parent gets its
// own address back when the port goes (macvlan_port_destroy restores port->perm_addr).
import { expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

test('setting a passthru child address sets the parent; deleting the child restores it', () => {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('h');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  run('ip link add eth0 address 02:00:00:00:00:01 type dummy');
  run('ip link add link eth0 name mp type macvlan mode passthru');
  run('ip link set mp address 02:00:00:00:00:99');
  expect(run('ip link show eth0')).toContain('link/ether 02:00:00:00:00:99 ');
  expect(run('ip link show mp')).toContain('link/ether 02:00:00:00:00:99 ');
  run('ip link del mp');
  expect(run('ip link show eth0')).toContain('link/ether 02:00:00:00:00:01 ');
});

test('a bridge-mode child changes only its own address', () => {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('h');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  run('ip link add eth0 address 02:00:00:00:00:01 type dummy');
  run('ip link add link eth0 name mb type macvlan mode bridge');
  run('ip link set mb address 02:00:00:00:00:42');
  expect(run('ip link show eth0')).toContain('link/ether 02:00:00:00:00:01 ');
  expect(run('ip link show mb')).toContain('link/ether 02:00:00:00:00:42 ');
});
