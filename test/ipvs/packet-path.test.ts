import { describe, expect, it } from 'vitest';
import { Fwd, IpvsVerdict, NS_PER_S, SF } from '../../src/ipvs/defs.js';
import { rd16, rd32 } from '../../src/wire/bytes.js';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.js';
import { tcpChecksumVerifies } from '../../src/wire/tcp.js';
import { udpChecksumVerifies } from '../../src/wire/udp.js';
import {
  ACK,
  advance,
  destSpec,
  director,
  FIN,
  ip,
  ipStr,
  RST,
  SYN,
  send,
  svcSpec,
  tcpFrame,
  udpFrame,
} from './helpers.js';

// Behaviour follows ip_vs_core.c (ip_vs_in_hook, ip_vs_out_hook, ip_vs_sched_persist), ip_vs_conn.c
// (timers, templates) and ip_vs_xmit.c; this machine's kernel has no IPVS module, so these are not
// replays of recordings.

function masq() {
  const d = director();
  const svc = svcSpec('TCP 10.0.0.1:80', 'rr');
  d.ipvs.addService(svc);
  d.ipvs.addDest(svc, destSpec('192.168.1.2:8080', 1, Fwd.Masq));
  return { d, svc };
}

describe('masquerading (VS/NAT)', () => {
  it('rewrites destination address and port with valid checksums; TTL - 1', () => {
    const { d } = masq();
    const h = tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', SYN, { payload: 11 });
    const l3 = d.world.pool.start[h]!;
    const u8 = d.world.pool.bytesOf(h);
    expect(d.ipvs.schedule(h, l3, d.ctx)).toBe(IpvsVerdict.Xmit);
    expect(d.ctx.routeDst).toBe(ip('192.168.1.2'));
    expect(d.ctx.notrack).toBe(true); // conntrack=0 default: ip_vs_notrack
    expect(ipStr(rd32(u8, l3 + 16))).toBe('192.168.1.2');
    expect(rd16(u8, l3 + 22)).toBe(8080);
    expect(u8[l3 + 8]).toBe(63);
    expect(ipv4ChecksumOk(u8, l3)).toBe(true);
    expect(tcpChecksumVerifies(u8, l3 + 20, 31, ip('203.0.113.7'), ip('192.168.1.2'))).toBe(true);
    d.world.consume(h);
  });

  it('replies pass back through the director with the VIP:vport as source', () => {
    const { d } = masq();
    send(d, tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', SYN));
    const r = tcpFrame(d.world, '192.168.1.2:8080', '203.0.113.7:40000', SYN | ACK, { payload: 3 });
    const l3 = d.world.pool.start[r]!;
    const u8 = d.world.pool.bytesOf(r);
    expect(d.ipvs.replyOut(r, l3, d.ctx)).toBe(IpvsVerdict.Rewritten);
    expect(ipStr(rd32(u8, l3 + 12))).toBe('10.0.0.1');
    expect(rd16(u8, l3 + 20)).toBe(80);
    expect(ipv4ChecksumOk(u8, l3)).toBe(true);
    expect(tcpChecksumVerifies(u8, l3 + 20, 23, ip('10.0.0.1'), ip('203.0.113.7'))).toBe(true);
    d.world.consume(r);
    // Unrelated traffic from the real server is not ours.
    const o = tcpFrame(d.world, '192.168.1.2:8080', '203.0.113.9:1', ACK);
    expect(d.ipvs.replyOut(o, d.world.pool.start[o]!, d.ctx)).toBe(IpvsVerdict.Accept);
    d.world.consume(o);
  });

  it('UDP: a zero checksum stays zero; a set one is patched', () => {
    const d = director();
    const svc = svcSpec('UDP 10.0.0.1:53', 'rr');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.1.3:5353', 1, Fwd.Masq));
    for (const checksum of [true, false]) {
      const h = udpFrame(d.world, `198.51.100.1:${checksum ? 1111 : 2222}`, '10.0.0.1:53', { checksum });
      const l3 = d.world.pool.start[h]!;
      const u8 = d.world.pool.bytesOf(h);
      expect(d.ipvs.schedule(h, l3, d.ctx)).toBe(IpvsVerdict.Xmit);
      if (checksum)
        expect(udpChecksumVerifies(u8, l3 + 20, 13, ip('198.51.100.1'), ip('192.168.1.3'))).toBe(true);
      else expect(rd16(u8, l3 + 26)).toBe(0);
      d.world.consume(h);
    }
    expect(d.ipvs.findService(svc)!.dests[0]!.inactConns).toBe(2); // UDP entries are never "active"
  });
});

describe('direct routing and tunnelling', () => {
  it('DR leaves the IP packet unchanged except TTL; the next hop is the real server', () => {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'wlc');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.1.4:80', 1, Fwd.Route));
    const h = tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', SYN, { payload: 5 });
    const before = Array.from(d.world.pool.view(h));
    expect(d.ipvs.schedule(h, d.world.pool.start[h]!, d.ctx)).toBe(IpvsVerdict.Xmit);
    const after = Array.from(d.world.pool.view(h));
    expect(d.ctx.routeDst).toBe(ip('192.168.1.4'));
    const diff = after.map((b, i) => (b !== before[i] ? i : -1)).filter((i) => i >= 0);
    expect(diff[0]).toBe(8); // TTL, then the header checksum bytes only
    expect(diff.every((i) => i === 8 || i === 10 || i === 11)).toBe(true);
    d.world.consume(h);
  });

  it('IPIP encapsulates in the headroom: proto 4, director source, real server destination', () => {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'wlc');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.1.5:80', 1, Fwd.Tunnel));
    const h = tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', SYN, { df: true, tos: 0x13 });
    const inner = Array.from(d.world.pool.view(h));
    const l3 = d.world.pool.start[h]!;
    expect(d.ipvs.schedule(h, l3, d.ctx)).toBe(IpvsVerdict.Xmit);
    expect(d.ctx.l3Off).toBe(l3 - 20);
    expect(d.world.pool.start[h]).toBe(l3 - 20);
    const u8 = d.world.pool.bytesOf(h);
    const o = l3 - 20;
    expect(u8[o]).toBe(0x45);
    expect(u8[o + 1]).toBe(0x12); // ECN CE (3) becomes ECT(0) (2) outside: INET_ECN_encapsulate
    expect(rd16(u8, o + 2)).toBe(inner.length + 20);
    expect(rd16(u8, o + 4)).toBe(0); // DF set → ID 0 (ip_select_ident)
    expect(u8[o + 6]! & 0x40).toBe(0x40);
    expect(u8[o + 8]).toBe(63);
    expect(u8[o + 9]).toBe(4);
    expect(ipStr(rd32(u8, o + 12))).toBe('192.168.0.1');
    expect(ipStr(rd32(u8, o + 16))).toBe('192.168.1.5');
    expect(ipv4ChecksumOk(u8, o)).toBe(true);
    expect(ipStr(rd32(u8, l3 + 16))).toBe('10.0.0.1'); // inner destination is still the VIP
    expect(d.world.pool.len[h]).toBe(inner.length + 20);
    d.world.consume(h);
  });
});

describe('connection states and timeouts', () => {
  it('an idle ESTABLISHED entry lives 900 s; the next ACK is then not scheduled', () => {
    const { d } = masq();
    send(d, tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', SYN));
    send(d, tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', ACK));
    const dest = d.ipvs.dests.find((x) => x !== null)!;
    expect([dest.activeConns, dest.inactConns]).toEqual([1, 0]);
    const list = d.ipvs.listConns();
    expect(list.map((c) => [c.state, c.expiresS])).toEqual([['ESTABLISHED', 900]]);
    advance(d.world, 899 * NS_PER_S);
    expect(d.ipvs.conns.count).toBe(1);
    advance(d.world, 1 * NS_PER_S);
    expect(d.ipvs.conns.count).toBe(0);
    expect([dest.activeConns, dest.inactConns]).toEqual([0, 0]);
    // tcp_conn_schedule: no SYN, sloppy_tcp=0 → NF_ACCEPT: the local stack gets it (and answers RST).
    expect(send(d, tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', ACK)).verdict).toBe(
      IpvsVerdict.Accept,
    );
    expect(d.ipvs.explain()).toMatch(/not a SYN: not scheduled/);
    // With sloppy_tcp=1 a mid-stream segment creates an entry.
    d.ns.sysctl.set('net.ipv4.vs.sloppy_tcp', '1');
    expect(send(d, tcpFrame(d.world, '203.0.113.7:40000', '10.0.0.1:80', ACK)).verdict).toBe(
      IpvsVerdict.Xmit,
    );
  });

  it('--set changes the ESTABLISHED / FIN_WAIT / UDP timeouts; FIN moves DR entries to FIN_WAIT', () => {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'rr');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.1.4:80', 1, Fwd.Route));
    d.ipvs.setTimeouts(60, 30, 0);
    send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', SYN));
    send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', ACK));
    expect(d.ipvs.listConns()[0]!.expiresS).toBe(60);
    send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', FIN | ACK));
    // INPUT-ONLY table: ES + fin → FIN_WAIT (DR never sees the server's half)
    expect(d.ipvs.listConns().map((c) => [c.state, c.expiresS])).toEqual([['FIN_WAIT', 30]]);
    send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', RST));
    expect(d.ipvs.listConns().map((c) => [c.state, c.expiresS])).toEqual([['CLOSE', 10]]);
  });

  it('conn_reuse_mode=1: a SYN reusing a TIME_WAIT/CLOSE entry is rescheduled', () => {
    const { d, svc } = masq();
    d.ipvs.addDest(svc, destSpec('192.168.1.3:8080', 1, Fwd.Masq));
    const first = send(d, tcpFrame(d.world, '203.0.113.7:5', '10.0.0.1:80', SYN)).to;
    // A RST in SYN_RECV keeps SYN_RECV (tcp_states INPUT rst column); after ESTABLISHED it closes.
    send(d, tcpFrame(d.world, '203.0.113.7:5', '10.0.0.1:80', RST));
    expect(d.ipvs.listConns()[0]!.state).toBe('SYN_RECV');
    send(d, tcpFrame(d.world, '203.0.113.7:5', '10.0.0.1:80', ACK));
    send(d, tcpFrame(d.world, '203.0.113.7:5', '10.0.0.1:80', RST)); // → CLOSE
    const again = send(d, tcpFrame(d.world, '203.0.113.7:5', '10.0.0.1:80', SYN)).to;
    expect(again).not.toBe(first); // rr moved on: a new entry was scheduled
    expect(d.ipvs.explain()).toMatch(/rescheduled/);
    // With conntrack=1 and a confirmed conntrack entry the first SYN is dropped instead.
    d.ns.sysctl.set('net.ipv4.vs.conntrack', '1');
    send(d, tcpFrame(d.world, '203.0.113.7:6', '10.0.0.1:80', SYN));
    send(d, tcpFrame(d.world, '203.0.113.7:6', '10.0.0.1:80', ACK));
    send(d, tcpFrame(d.world, '203.0.113.7:6', '10.0.0.1:80', RST));
    d.ctx.ctConfirmed = true;
    expect(send(d, tcpFrame(d.world, '203.0.113.7:6', '10.0.0.1:80', SYN)).verdict).toBe(IpvsVerdict.Drop);
    d.ctx.ctConfirmed = false;
  });

  it('removed real server: packets dropped (expire_nodest_conn=0) or entry expired and rescheduled (=1)', () => {
    const { d, svc } = masq();
    d.ipvs.addDest(svc, destSpec('192.168.1.3:8080', 1, Fwd.Masq));
    const to = send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', SYN)).to;
    send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', ACK));
    const [a, p] = to.split(':') as [string, string];
    d.ipvs.delDest(svc, ip(a), Number(p));
    expect(send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', ACK)).verdict).toBe(IpvsVerdict.Drop);
    expect(d.ipvs.conns.count).toBe(1); // the entry lives on, bound to the trashed server
    d.ns.sysctl.set('net.ipv4.vs.expire_nodest_conn', '1');
    // The next non-SYN expires the entry and, not being a SYN, is not scheduled again.
    expect(send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', ACK)).verdict).toBe(IpvsVerdict.Accept);
    advance(d.world, 1);
    expect(d.ipvs.conns.count).toBe(0);
  });

  it('quiescent server: existing connections continue, new ones go elsewhere', () => {
    const { d, svc } = masq();
    d.ipvs.addDest(svc, destSpec('192.168.1.3:8080', 1, Fwd.Masq));
    const to = send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', SYN)).to;
    d.ipvs.editDest(svc, { ...destSpec(to, 0, Fwd.Masq) });
    expect(send(d, tcpFrame(d.world, '203.0.113.7:9', '10.0.0.1:80', ACK)).to).toBe(to);
    for (let i = 0; i < 5; i++)
      expect(send(d, tcpFrame(d.world, `203.0.113.8:${i}`, '10.0.0.1:80', SYN)).to).not.toBe(to);
  });
});

describe('persistence (ip_vs_sched_persist)', () => {
  function persistent(timeoutS = 300, netmask = 0xffffffff) {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'rr', { flags: SF.PERSISTENT, timeoutS, netmask });
    d.ipvs.addService(svc);
    for (const a of ['192.168.1.2', '192.168.1.3', '192.168.1.4'])
      d.ipvs.addDest(svc, destSpec(`${a}:80`, 1, Fwd.Route));
    return { d, svc };
  }

  it('keeps a client on one server while its template lives; the template outlives its connections', () => {
    const { d } = persistent(300);
    const first = send(d, tcpFrame(d.world, '203.0.113.7:1000', '10.0.0.1:80', SYN)).to;
    for (let i = 1; i < 6; i++) {
      expect(send(d, tcpFrame(d.world, `203.0.113.7:${1000 + i}`, '10.0.0.1:80', SYN)).to).toBe(first);
    }
    expect(d.ipvs.explain()).toMatch(/persistence template/);
    const tpl = d.ipvs.listConns().filter((c) => c.template);
    expect(
      tpl.map((c) => [
        ipStr(c.caddr),
        c.cport,
        ipStr(c.vaddr),
        c.vport,
        `${ipStr(c.daddr)}:${c.dport}`,
        c.expiresS,
      ]),
    ).toEqual([['203.0.113.7', 0, '10.0.0.1', 80, first, 300]]);
    // SYN_RECV entries die after 60 s; the template re-arms while it controls entries, then expires.
    advance(d.world, 61 * NS_PER_S);
    expect(d.ipvs.listConns().filter((c) => !c.template)).toEqual([]);
    expect(send(d, tcpFrame(d.world, '203.0.113.7:2000', '10.0.0.1:80', SYN)).to).toBe(first);
    advance(d.world, 700 * NS_PER_S);
    expect(d.ipvs.conns.count).toBe(0);
    const dest = d.ipvs.dests.find((x) => x !== null && `${ipStr(x.addr)}:80` === first)!;
    expect(dest.persistConns).toBe(0);
  });

  it('-M 255.255.255.0 groups a /24 of clients on one server', () => {
    const { d } = persistent(300, 0xffffff00);
    const a = send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', SYN)).to;
    expect(send(d, tcpFrame(d.world, '203.0.113.99:1', '10.0.0.1:80', SYN)).to).toBe(a);
    expect(send(d, tcpFrame(d.world, '203.0.114.7:1', '10.0.0.1:80', SYN)).to).not.toBe(a);
  });

  it('expire_quiescent_template sends a persistent client elsewhere once its server is quiesced', () => {
    const { d, svc } = persistent(300);
    const a = send(d, tcpFrame(d.world, '203.0.113.7:1', '10.0.0.1:80', SYN)).to;
    d.ipvs.editDest(svc, destSpec(a, 0, Fwd.Route));
    expect(send(d, tcpFrame(d.world, '203.0.113.7:2', '10.0.0.1:80', SYN)).to).toBe(a); // default: stays
    d.ns.sysctl.set('net.ipv4.vs.expire_quiescent_template', '1');
    expect(send(d, tcpFrame(d.world, '203.0.113.7:3', '10.0.0.1:80', SYN)).to).not.toBe(a);
  });
});

describe('firewall-mark services, thresholds, no destination', () => {
  it('matches the frame mark before address lookup', () => {
    const d = director();
    const svc = svcSpec('FWM 1', 'rr');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.10.1:0', 1, Fwd.Masq));
    const r = send(d, tcpFrame(d.world, '1.1.1.1:1', '207.175.44.110:443', SYN, { mark: 1 }));
    expect(r.to).toBe('192.168.10.1:443'); // port 0 real server: the packet's port is kept
    expect(send(d, tcpFrame(d.world, '1.1.1.1:2', '207.175.44.110:443', SYN)).verdict).toBe(
      IpvsVerdict.Accept,
    );
  });

  it('-x upper threshold marks a server overloaded until it drains below 3/4', () => {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'wlc');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('192.168.1.2:80', 1, Fwd.Masq, { uThreshold: 2 }));
    expect(send(d, tcpFrame(d.world, '1.1.1.1:1', '10.0.0.1:80', SYN)).verdict).toBe(IpvsVerdict.Xmit);
    expect(send(d, tcpFrame(d.world, '1.1.1.1:2', '10.0.0.1:80', SYN)).verdict).toBe(IpvsVerdict.Xmit);
    // totalconns 2 >= 2: OVERLOAD → no destination → ICMP port unreachable (ip_vs_leave)
    expect(send(d, tcpFrame(d.world, '1.1.1.1:3', '10.0.0.1:80', SYN)).verdict).toBe(
      IpvsVerdict.DropIcmpPortUnreach,
    );
    expect(d.ipvs.explain()).toMatch(/no destination available/);
  });
});

describe('explanations', () => {
  it('a traced frame gets an Ipvs stage with the scheduler reason; untraced frames record nothing', () => {
    const d = director();
    const svc = svcSpec('TCP 10.0.0.1:80', 'wlc');
    d.ipvs.addService(svc);
    d.ipvs.addDest(svc, destSpec('10.0.0.5:80', 1, Fwd.Masq));
    send(d, tcpFrame(d.world, '1.1.1.1:1', '10.0.0.1:80', SYN));
    send(d, tcpFrame(d.world, '1.1.1.1:1', '10.0.0.1:80', ACK));
    expect(d.world.tracer.rowCount).toBe(0);
    const t = d.world.tracer.open('probe');
    const h = tcpFrame(d.world, '1.1.1.2:2', '10.0.0.1:80', SYN);
    d.world.pool.traceId[h] = t;
    send(d, h);
    const rec = d.world.tracer.traces()[0]!;
    const st = rec.stages.find((s) => s.stage === 'ipvs')!;
    expect(st.note).toBe(
      'ipvs: TCP 1.1.1.2:2 -> 10.0.0.1:80: TCP 10.0.0.1:80: wlc: 10.0.0.5:80 has 1 active / weight 1 (overhead 256/1), the least',
    );
    expect(d.ipvs.explainPick()).toMatch(/^wlc: 10\.0\.0\.5:80 has 1 active \/ weight 1/);
  });
});
