// The PMTU cache (route.c `__ip_rt_update_pmtu`, `update_or_create_fnhe`, `find_exception`,
// `ipv4_mtu`) against test/fixtures/kernel/mtu-df.json and `ip route get` as iproute2 6.1 prints it on
// Linux 6.18 (checked in namespaces: `cache expires 599sec mtu 1400 ` half a second after the error).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../../src/control/all.js';
import { runCommandLine } from '../../../src/control/command.js';
import { Drop } from '../../../src/net/drop-reason.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import type { Namespace } from '../../../src/net/namespace.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import { PmtuDisc } from '../../../src/net/transport/udp.js';
import type { World } from '../../../src/net/world.js';
import { rd16 } from '../../../src/wire/bytes.js';
import { expectConserved, MS, Pinger, run, S } from './helpers.js';
import { advance, routed } from './routed.js';

const sh = (w: World, ns: Namespace, line: string) => runCommandLine({ world: w, ns }, line).stdout;

/** IPv4 total length and flags/offset of the frames a device sends. */
function sent(w: World, ns: Namespace, dev: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  ns.device(dev)!.tap = {
    frame(_d, dir, h) {
      if (dir === 0) return;
      const u8 = w.pool.bytesOf(h);
      const o = w.pool.start[h]!;
      if (rd16(u8, o + 12) === 0x0800) out.push([rd16(u8, o + 16), rd16(u8, o + 20)]);
    },
  };
  return out;
}

describe('PMTU cache', () => {
  it('learns 1400 from frag-needed; ip route get shows it like the mtu-df fixture', () => {
    const { w, a1 } = routed(1400);
    const p = new Pinger(a1, 1);
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toBe(
      '10.2.0.2 via 10.1.0.1 dev eth0 src 10.1.0.2 uid 0 \n    cache \n',
    );
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, 500 * MS);
    expect(p.heard).toMatchObject([{ kind: 'error', type: 3, code: 4, info: 1400, from: '10.1.0.1' }]);
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toBe(
      '10.2.0.2 via 10.1.0.1 dev eth0 src 10.1.0.2 uid 0 \n    cache expires 599sec mtu 1400 \n',
    );
    const fx = JSON.parse(readFileSync('test/fixtures/kernel/mtu-df.json', 'utf8'));
    const rec = fx.recorded.routeGet['a1:10.2.0.2'][0];
    const mine = JSON.parse(sh(w, a1, 'ip -j route get 10.2.0.2'))[0];
    expect(mine.metrics).toEqual(rec.metrics);
    expect(mine.expires).toBe(599);
    expect({ dst: mine.dst, gateway: mine.gateway, dev: mine.dev, prefsrc: mine.prefsrc }).toEqual({
      dst: rec.dst,
      gateway: rec.gateway,
      dev: rec.dev,
      prefsrc: rec.prefsrc,
    });
    // r1 forwards by the device MTU and learns nothing.
    expect(stackOf(routed(1400).r1).pmtu.size).toBe(0);
    run(w);
    expectConserved(w);
  });

  it('then DF sends above it fail locally with EMSGSIZE (nothing sent); without DF a1 fragments', () => {
    const { w, a1 } = routed(1400);
    const p = new Pinger(a1, 1);
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, 100 * MS);
    const frames = sent(w, a1, 'eth0');
    const before = w.dropCounts[Drop.MtuExceeded]!;
    expect(p.send('10.2.0.2', 2, { payload: 1472 })).toBe(-90);
    expect(w.dropCounts[Drop.MtuExceeded]).toBe(before + 1);
    expect(p.send('10.2.0.2', 3, { payload: 1372 })).toBe(0);
    expect(p.send('10.2.0.2', 4, { payload: 1472, df: false })).toBe(0);
    advance(w, 100 * MS);
    // 1372 + DF fits; 1472 without DF: 1396 (MF) + 124 at offset 1376, as in the fixture.
    expect(frames).toEqual([
      [1400, 0x4000],
      [1396, 0x2000],
      [124, 1376 / 8],
    ]);
    run(w);
    expectConserved(w);
  });

  it('expires after route.mtu_expires (600 s); a fresh frag-needed relearns it', () => {
    const { w, a1 } = routed(1400);
    const p = new Pinger(a1, 1);
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, 300 * S);
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toContain('cache expires 300sec mtu 1400');
    advance(w, 300 * S);
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toBe(
      '10.2.0.2 via 10.1.0.1 dev eth0 src 10.1.0.2 uid 0 \n    cache \n',
    );
    expect(p.send('10.2.0.2', 2, { payload: 1472 })).toBe(0);
    advance(w, S);
    expect(p.heard.filter((x) => x.kind === 'error').length).toBe(2);
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toContain('cache expires 599sec mtu 1400');
    a1.sysctl.set('net.ipv4.route.mtu_expires', '10');
    p.send('10.2.0.2', 3, { payload: 1300, df: false });
    advance(w, S);
    expectConserved(w);
  });

  it('never grows, is not refreshed before half its life, and below min_pmtu is locked at 552', () => {
    const { w, a1, r1 } = routed(1400);
    const st = stackOf(a1);
    const p = new Pinger(a1, 1);
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, 100 * S);
    // Same value again before 300 s have passed: the expiry stays.
    st.updatePmtu(0x0a020002, 1400);
    expect(st.pmtuException(0x0a020002)).toEqual({ mtu: 1400, locked: false, expiresS: 500 });
    // Larger: ignored.
    st.updatePmtu(0x0a020002, 1450);
    expect(st.pmtuException(0x0a020002)!.mtu).toBe(1400);
    advance(w, 250 * S);
    st.updatePmtu(0x0a020002, 1400);
    expect(st.pmtuException(0x0a020002)!.expiresS).toBe(600);
    // A next hop with MTU 500 (< min_pmtu): locked at 552; later updates are ignored.
    r1.device('eth-b')!.mtu = 500;
    p.send('10.2.0.2', 2, { payload: 1300 });
    advance(w, S);
    expect(p.heard.at(-1)).toMatchObject({ kind: 'error', type: 3, code: 4, info: 500 });
    expect(sh(w, a1, 'ip route get 10.2.0.2')).toContain('cache expires 599sec mtu lock 552 ');
    st.updatePmtu(0x0a020002, 400);
    expect(st.pmtuException(0x0a020002)).toMatchObject({ mtu: 552, locked: true });
    run(w);
    expectConserved(w);
  });

  it('deleting the route drops its exceptions (they hang off the next hop)', () => {
    const { w, a1 } = routed(1400);
    const p = new Pinger(a1, 1);
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, S);
    expect(stackOf(a1).pmtuException(0x0a020002)).not.toBeNull();
    sh(w, a1, 'ip route del default');
    sh(w, a1, 'ip route add default via 10.1.0.1');
    expect(stackOf(a1).pmtuException(0x0a020002)).toBeNull();
    run(w);
    expectConserved(w);
  });

  it('ip_no_pmtu_disc=1: UDP sockets start with IP_PMTUDISC_DONT and send without DF (inet_create)', () => {
    const { w, a1 } = routed(1400);
    const udp = transportOf(a1).udp;
    expect(udp.open({ onDatagram() {} }).pmtudisc).toBe(PmtuDisc.Want);
    a1.sysctl.set('net.ipv4.ip_no_pmtu_disc', '1');
    const s = udp.open({ onDatagram() {} });
    expect(s.pmtudisc).toBe(PmtuDisc.Dont);
    const frames = sent(w, a1, 'eth0');
    expect(udp.send(s, 0x0a020002, 9, new Uint8Array(100), 0, 100)).toBe(0);
    advance(w, S);
    expect(frames.filter(([len]) => len === 128).map(([, ff]) => ff & 0x4000)).toEqual([0]);
    run(w);
    expectConserved(w);
  });

  it('ip_no_pmtu_disc=2 ignores frag-needed entirely (no socket error, no exception)', () => {
    const { w, a1 } = routed(1400);
    a1.sysctl.set('net.ipv4.ip_no_pmtu_disc', '2');
    const p = new Pinger(a1, 1);
    p.send('10.2.0.2', 1, { payload: 1472 });
    advance(w, S);
    expect(p.heard).toEqual([]);
    expect(stackOf(a1).pmtuException(0x0a020002)).toBeNull();
    run(w);
    expectConserved(w);
  });
});
