// Per-device sysctls copy `default` when the device appears (devinet_init_net / inetdev_init), and the
// store keeps that copy lazily (src/net/sysctl.ts): these examples pin the semantics down.
import { describe, expect, it } from 'vitest';
import { sh } from '../../bench/support/topology.js';
import { World } from '../../src/net/world.js';

function setup() {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('n');
  return { world, ns, sc: ns.sysctl };
}

describe('per-device sysctls copy default at device creation', () => {
  it('an unwritten device key keeps the value default had when the device appeared', () => {
    const { world, ns, sc } = setup();
    sh(world, ns, 'ip link add d0 type dummy');
    expect(sc.get('net.ipv4.conf.d0.rp_filter')).toBe('0');
    sc.set('net.ipv4.conf.default.rp_filter', '2');
    expect(sc.get('net.ipv4.conf.d0.rp_filter')).toBe('0');
    sh(world, ns, 'ip link add d1 type dummy');
    expect(sc.get('net.ipv4.conf.d1.rp_filter')).toBe('2');
    sc.set('net.ipv4.conf.default.rp_filter', '1');
    expect(sc.get('net.ipv4.conf.d0.rp_filter')).toBe('0');
    expect(sc.get('net.ipv4.conf.d1.rp_filter')).toBe('2');
    expect(sc.get('net.ipv4.conf.default.rp_filter')).toBe('1');
    expect(sc.get('net.ipv4.conf.lo.rp_filter')).toBe('0');
  });

  it('a written device key wins over later default writes; removal and re-creation copy default again', () => {
    const { world, ns, sc } = setup();
    sh(world, ns, 'ip link add d0 type dummy');
    sc.set('net.ipv4.conf.d0.rp_filter', '2');
    sc.set('net.ipv4.conf.default.rp_filter', '1');
    expect(sc.get('net.ipv4.conf.d0.rp_filter')).toBe('2');
    sh(world, ns, 'ip link del d0');
    expect(sc.has('net.ipv4.conf.d0.rp_filter')).toBe(false);
    sh(world, ns, 'ip link add d0 type dummy');
    expect(sc.get('net.ipv4.conf.d0.rp_filter')).toBe('1');
  });

  it('sysctl -a lists every device key with its copied value', () => {
    const { world, ns, sc } = setup();
    sh(world, ns, 'ip link add d0 type dummy');
    sc.set('net.ipv4.conf.default.forwarding', '1');
    const all = new Map(sc.list());
    expect(all.get('net.ipv4.conf.d0.forwarding')).toBe('0');
    expect(all.get('net.ipv4.conf.default.forwarding')).toBe('1');
  });
});
