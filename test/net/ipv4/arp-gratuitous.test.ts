// Gratuitous ARP and unsolicited ARP (net/ipv4/arp.c `arp_process`, Linux 6.18, arp_accept = 0):
// an ARP packet that is not a request for one of our addresses only updates an *existing* neighbour
// entry; it never creates one. The link-layer address is overridden for a gratuitous ARP (sip == tip)
// at any time, but for other ARP only after `locktime` (1 s) since the entry's last update.
// Each case below was checked on Linux 6.18 (two namespaces, frames sent from an AF_PACKET socket).

import { describe, expect, it } from 'vitest';
import '../../../src/control/ip/addr.js';
import '../../../src/control/ip/link.js';
import '../../../src/control/ip/neigh.js';
import '../../../src/control/ip/route.js';
import '../../../src/control/sysctl.js';
import { runCommandLine } from '../../../src/control/command.js';
import { World } from '../../../src/net/world.js';
import { ARP_OP, emitArp } from '../../../src/wire/arp.js';
import { wr16 } from '../../../src/wire/bytes.js';
import { ETHERTYPE } from '../../../src/wire/ethernet.js';
import { ip, MS, S } from './helpers.js';

const mac = (s: string) => {
  const b = s.split(':').map((x) => Number.parseInt(x, 16));
  return { hi: (b[0]! << 8) | b[1]!, lo: ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0 };
};

function setup() {
  const w = new World({ seed: 1, check: true });
  const a = w.addNamespace('a');
  const b = w.addNamespace('b');
  const sh = (ns: typeof a, line: string) => runCommandLine({ world: w, ns }, line).stdout;
  sh(a, 'ip link add eth0 type veth peer name eth0 netns b');
  sh(a, 'ip addr add 10.0.0.1/24 dev eth0');
  sh(a, 'ip link set eth0 up');
  sh(b, 'ip link set eth0 up');
  w.sim.run({ until: w.sim.now + 10 * MS });
  /** b's NIC sends an ARP packet with the given fields to a (broadcast). */
  const sendArp = (oper: number, sha: string, spa: string, tpa: string, tha = '00:00:00:00:00:00') => {
    const dev = b.device('eth0')!;
    const h = w.newFrame();
    const pool = w.pool;
    pool.setLength(h, 14 + 28);
    const u8 = pool.bytesOf(h);
    const o = pool.start[h]!;
    u8.fill(0xff, o, o + 6);
    const s = mac(sha);
    wr16(u8, o + 6, s.hi);
    u8[o + 8] = s.lo >>> 24;
    u8[o + 9] = (s.lo >>> 16) & 0xff;
    u8[o + 10] = (s.lo >>> 8) & 0xff;
    u8[o + 11] = s.lo & 0xff;
    wr16(u8, o + 12, ETHERTYPE.ARP);
    emitArp({ oper, sha: s, spa: ip(spa), tha: mac(tha), tpa: ip(tpa) }, u8, o + 14);
    dev.xmit(h);
    w.sim.run({ until: w.sim.now + 1 * MS });
  };
  const neigh = () => sh(a, 'ip neigh show dev eth0');
  const balanced = () => expect(w.frameBalance().inFlight).toBe(w.pool.liveCount);
  return { w, a, sh, sendArp, neigh, balanced };
}

describe('gratuitous ARP', () => {
  it('does not create an entry (arp_accept=0)', () => {
    const t = setup();
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:02', '10.0.0.2', '10.0.0.2');
    t.sendArp(ARP_OP.Reply, '02:00:00:00:00:02', '10.0.0.2', '10.0.0.2', '02:00:00:00:00:02');
    expect(t.neigh()).toBe('');
    t.balanced();
  });

  it('overrides the address of an existing entry at once, where other ARP waits for locktime', () => {
    const t = setup();
    t.sh(t.a, 'ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud stale');
    // A plain reply with a new address within locktime (1 s) of the entry's last update: ignored.
    t.sendArp(ARP_OP.Reply, '02:00:00:00:00:03', '10.0.0.2', '10.0.0.1');
    expect(t.neigh()).toBe('10.0.0.2 lladdr 02:00:00:00:00:02 STALE \n');
    // A gratuitous request (sender = target = 10.0.0.2) overrides it; broadcast → STALE.
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:04', '10.0.0.2', '10.0.0.2');
    expect(t.neigh()).toBe('10.0.0.2 lladdr 02:00:00:00:00:04 STALE \n');
    // After locktime, a plain ARP packet overrides too.
    t.w.sim.run({ until: t.w.sim.now + 2 * S });
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:05', '10.0.0.2', '10.0.0.77');
    expect(t.neigh()).toBe('10.0.0.2 lladdr 02:00:00:00:00:05 STALE \n');
    t.balanced();
  });

  it('leaves permanent entries alone', () => {
    const t = setup();
    t.sh(t.a, 'ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:04', '10.0.0.2', '10.0.0.2');
    expect(t.neigh()).toBe('10.0.0.2 lladdr 02:00:00:00:00:02 PERMANENT \n');
    t.balanced();
  });

  it('ip neigh replace creates a missing entry, and turns a learned one permanent (ARP then leaves it)', () => {
    const t = setup();
    t.sh(t.a, 'ip neigh replace 10.0.0.3 lladdr 02:00:00:00:00:33 dev eth0');
    t.sh(t.a, 'ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud stale');
    t.sh(t.a, 'ip neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:04', '10.0.0.2', '10.0.0.2');
    // (The kernel lists entries in hash-bucket order, seeded per boot: compare them sorted.)
    expect(t.neigh().split('\n').filter(Boolean).sort()).toEqual([
      '10.0.0.2 lladdr 02:00:00:00:00:02 PERMANENT ',
      '10.0.0.3 lladdr 02:00:00:00:00:33 PERMANENT ',
    ]);
    t.balanced();
  });
});

describe('arp_accept (max of conf.all and the device; checked on Linux 6.18)', () => {
  it('1: gratuitous ARP and replies create STALE entries; requests for others still do not', () => {
    const t = setup();
    t.sh(t.a, 'sysctl -w net.ipv4.conf.eth0.arp_accept=1');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:02', '10.0.0.2', '10.0.0.2');
    t.sendArp(ARP_OP.Reply, '02:00:00:00:00:03', '10.0.0.3', '10.0.0.1'); // broadcast reply: STALE
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:04', '10.0.0.4', '10.0.0.9');
    expect(t.neigh().split('\n').filter(Boolean).sort()).toEqual([
      '10.0.0.2 lladdr 02:00:00:00:00:02 STALE ',
      '10.0.0.3 lladdr 02:00:00:00:00:03 STALE ',
    ]);
    t.balanced();
  });

  it('2: only senders inside a subnet of the receiving device; conf.all=1 applies to every device', () => {
    const t = setup();
    t.sh(t.a, 'sysctl -w net.ipv4.conf.eth0.arp_accept=2');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:05', '10.0.0.5', '10.0.0.5');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:06', '10.9.0.6', '10.9.0.6');
    expect(t.neigh()).toBe('10.0.0.5 lladdr 02:00:00:00:00:05 STALE \n');
    t.sh(t.a, 'sysctl -w net.ipv4.conf.eth0.arp_accept=0');
    t.sh(t.a, 'sysctl -w net.ipv4.conf.all.arp_accept=1');
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:07', '10.0.0.7', '10.0.0.7');
    expect(t.neigh().split('\n').filter(Boolean).sort()).toEqual([
      '10.0.0.5 lladdr 02:00:00:00:00:05 STALE ',
      '10.0.0.7 lladdr 02:00:00:00:00:07 STALE ',
    ]);
    // Never for a broadcast sender (inet_addr_type_dev_table is not RTN_UNICAST).
    t.sendArp(ARP_OP.Request, '02:00:00:00:00:09', '10.0.0.255', '10.0.0.255');
    expect(t.neigh().split('\n').filter(Boolean).sort()).toEqual([
      '10.0.0.5 lladdr 02:00:00:00:00:05 STALE ',
      '10.0.0.7 lladdr 02:00:00:00:00:07 STALE ',
    ]);
    t.balanced();
  });
});
