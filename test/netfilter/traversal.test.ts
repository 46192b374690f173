// Rulesets from iptables(8) / iptables-extensions(8) examples evaluated on constructed packets through
// Netfilter.run, as the IPv4 layer will call it.

import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';
import { CtState, type PacketCtx } from '../../src/netfilter/context.js';
import { Hook, netfilterOf } from '../../src/netfilter/hooks.js';
import { RejectWith } from '../../src/netfilter/targets/reject.js';
import { Verdict } from '../../src/netfilter/verdict.js';
import { buildPacket, type Pkt } from './packets.js';

function setup(lines: string[]) {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('n');
  const sh = (l: string) => runCommandLine({ world, ns }, l).stdout;
  for (const l of lines) sh(l);
  const nf = netfilterOf(ns);
  const dev = (name: string) => (name === '' ? -1 : ns.device(name)!.id);
  const run = (hook: number, p: Pkt, inDev = '', outDev = '') => {
    const [h, l3] = buildPacket(world, p);
    const v = nf.run(hook, h, l3, dev(inDev), dev(outDev));
    const mark = world.pool.mark[h]!;
    world.consume(h);
    return { v, mark };
  };
  return { world, ns, nf, sh, run };
}

const tcp = (dport: number, src = '10.0.0.1', dst = '10.0.0.2'): Pkt => ({ src, dst, proto: 'tcp', dport });

describe('Netfilter.run', () => {
  it('is inactive until a table exists, then counts the policy', () => {
    const { nf, sh, run } = setup([]);
    expect(Array.from(nf.active)).toEqual([0, 0, 0, 0, 0]);
    sh('iptables -P FORWARD ACCEPT');
    expect(Array.from(nf.active)).toEqual([0, 1, 1, 1, 0]);
    expect(run(Hook.LocalIn, tcp(22)).v).toBe(Verdict.Accept);
    expect(sh('iptables -L INPUT -v -n -x').split('\n')[0]).toBe(
      'Chain INPUT (policy ACCEPT 1 packets, 40 bytes)',
    );
  });

  it('iptables(8): allow ssh, drop the rest by policy; rule and policy counters', () => {
    const { sh, run } = setup(['iptables -A INPUT -p tcp --dport 22 -j ACCEPT', 'iptables -P INPUT DROP']);
    expect(run(Hook.LocalIn, tcp(22)).v).toBe(Verdict.Accept);
    expect(run(Hook.LocalIn, tcp(80)).v).toBe(Verdict.Drop);
    expect(run(Hook.LocalIn, { src: '1.1.1.1', dst: '2.2.2.2', proto: 'udp', dport: 22 }).v).toBe(
      Verdict.Drop,
    );
    expect(sh('iptables -S -v')).toContain('-A INPUT -p tcp -m tcp --dport 22 -c 1 40 -j ACCEPT');
    expect(sh('iptables -S -v')).toContain('-P INPUT DROP -c 2 72');
  });

  it('jump, RETURN, goto and the end of a user chain', () => {
    const { run } = setup([
      'iptables -N A',
      'iptables -N B',
      'iptables -A INPUT -s 10.0.0.0/8 -j A',
      'iptables -A INPUT -s 10.9.9.9 -j DROP',
      'iptables -A INPUT -j ACCEPT',
      'iptables -A A -p udp -j RETURN',
      'iptables -A A -p tcp --dport 1 -g B',
      'iptables -A A -p tcp --dport 2 -j B',
      'iptables -A A -s 10.9.9.9 -j B',
      'iptables -A B -p tcp --dport 1 -j RETURN',
      'iptables -A B -p tcp --dport 2 -j RETURN',
      'iptables -P INPUT DROP',
    ]);
    // RETURN from A continues in INPUT: 10.9.9.9 udp is dropped by the second INPUT rule
    expect(run(Hook.LocalIn, { src: '10.9.9.9', dst: '1.1.1.1', proto: 'udp' }).v).toBe(Verdict.Drop);
    // goto B then RETURN: returns to INPUT (A's caller), next rule in INPUT → ACCEPT for 10.0.0.1
    expect(run(Hook.LocalIn, tcp(1)).v).toBe(Verdict.Accept);
    // goto B, RETURN from B skips the rest of A: 10.9.9.9 reaches INPUT's DROP
    expect(run(Hook.LocalIn, tcp(1, '10.9.9.9')).v).toBe(Verdict.Drop);
    // jump B, RETURN to A, A continues: 10.9.9.9 → B again (falls off B), back in A, end → INPUT DROP
    expect(run(Hook.LocalIn, tcp(2, '10.9.9.9')).v).toBe(Verdict.Drop);
    // RETURN in a base chain applies the policy
    expect(run(Hook.LocalIn, tcp(5, '192.168.0.1')).v).toBe(Verdict.Accept);
  });

  it('MARK in mangle is seen by -m mark in filter and written back to the frame', () => {
    const { run } = setup([
      'iptables -t mangle -A INPUT -p tcp --dport 80 -j MARK --set-mark 0x10/0xf0',
      'iptables -t mangle -A INPUT -j MARK --or-mark 1',
      'iptables -A INPUT -m mark --mark 0x11 -j DROP',
    ]);
    const r = run(Hook.LocalIn, tcp(80));
    expect(r.v).toBe(Verdict.Drop);
    expect(r.mark).toBe(0x11);
    const r2 = run(Hook.LocalIn, tcp(81));
    expect(r2).toEqual({ v: Verdict.Accept, mark: 1 });
  });

  it('REJECT calls the rejecter with the kind and drops', () => {
    const { nf, run } = setup([
      'iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset',
      'iptables -A INPUT -j REJECT',
    ]);
    const kinds: number[] = [];
    nf.rejecter = { reject: (_c: PacketCtx, k: number) => kinds.push(k) };
    expect(run(Hook.LocalIn, tcp(1)).v).toBe(Verdict.Drop);
    expect(run(Hook.LocalIn, { src: '1.1.1.1', dst: '2.2.2.2', proto: 'udp' }).v).toBe(Verdict.Drop);
    expect(kinds).toEqual([RejectWith.TcpReset, RejectWith.PortUnreachable]);
  });

  it('interface names with + wildcard and negation', () => {
    const { run } = setup([
      'ip link add eth0 type dummy',
      'ip link add eth1 type dummy',
      'ip link add docker0 type dummy',
      'iptables -A FORWARD -i eth+ ! -o docker0 -j DROP',
    ]);
    expect(run(Hook.Forward, tcp(1), 'eth1', 'eth0').v).toBe(Verdict.Drop);
    expect(run(Hook.Forward, tcp(1), 'eth1', 'docker0').v).toBe(Verdict.Accept);
    expect(run(Hook.Forward, tcp(1), 'docker0', 'eth0').v).toBe(Verdict.Accept);
  });

  it('a truncated TCP header is dropped by the tcp match (hotdrop); fragments never match ports', () => {
    const { run } = setup([
      'iptables -A INPUT -p tcp --dport 80 -j ACCEPT',
      'iptables -A INPUT -f -j ACCEPT',
    ]);
    expect(run(Hook.LocalIn, { ...tcp(80), truncateL4: 10 }).v).toBe(Verdict.Drop);
    expect(run(Hook.LocalIn, { ...tcp(80), fragOffset: 100 }).v).toBe(Verdict.Accept);
  });

  it('icmp types, multiport, iprange and comma-expanded sources', () => {
    const { run } = setup([
      'iptables -P INPUT DROP',
      'iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT',
      'iptables -A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT',
      'iptables -A INPUT -m iprange --src-range 192.168.1.10-192.168.1.20 -j ACCEPT',
      'iptables -A INPUT -s 5.5.5.5,6.6.6.6 -j ACCEPT',
    ]);
    expect(run(Hook.LocalIn, { src: '1.1.1.1', dst: '2.2.2.2', proto: 'icmp', icmpType: 8 }).v).toBe(
      Verdict.Accept,
    );
    expect(run(Hook.LocalIn, { src: '1.1.1.1', dst: '2.2.2.2', proto: 'icmp', icmpType: 0 }).v).toBe(
      Verdict.Drop,
    );
    expect(run(Hook.LocalIn, tcp(8042)).v).toBe(Verdict.Accept);
    expect(run(Hook.LocalIn, tcp(8081)).v).toBe(Verdict.Drop);
    expect(run(Hook.LocalIn, tcp(9, '192.168.1.15')).v).toBe(Verdict.Accept);
    expect(run(Hook.LocalIn, tcp(9, '6.6.6.6')).v).toBe(Verdict.Accept);
    expect(run(Hook.LocalIn, tcp(9, '7.7.7.7')).v).toBe(Verdict.Drop);
  });

  it('addrtype asks the namespace for local addresses; ctstate uses what conntrack filled', () => {
    const { nf, run } = setup([
      'iptables -A INPUT -m addrtype --dst-type LOCAL -j DROP',
      'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      'iptables -A FORWARD -j DROP',
    ]);
    nf.addrTypes = { localType: (a: number) => (a === 0x0a000002 ? 2 : 1) };
    expect(run(Hook.LocalIn, tcp(1)).v).toBe(Verdict.Drop);
    expect(run(Hook.LocalIn, tcp(1, '10.0.0.1', '10.0.0.3')).v).toBe(Verdict.Accept);
    // no conntrack: every packet is INVALID
    expect(run(Hook.Forward, tcp(1)).v).toBe(Verdict.Drop);
    nf.conntrack = {
      inHook: (_h, ctx) => {
        ctx.ctState = CtState.Established;
        return Verdict.Accept;
      },
      confirm: () => Verdict.Accept,
      ctField: () => 0,
      ctSetMark: () => {},
    };
    nf.changed();
    // FORWARD has no conntrack entry point; emulate PREROUTING having run by filling ctx in a raw rule
    const ctx = nf.ctx;
    nf.parse(ctx, 0);
    expect(run(Hook.PreRouting, tcp(1)).v).toBe(Verdict.Accept);
  });

  it('the nat hook replaces the nat table slot and can run the table itself', () => {
    const { nf, run } = setup(['iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.1.1.1']);
    const calls: number[] = [];
    nf.natTargets = {
      nat: (kind) => {
        calls.push(kind);
        return Verdict.Accept;
      },
    };
    expect(run(Hook.PreRouting, tcp(1)).v).toBe(Verdict.Accept);
    expect(calls).toEqual([1]);
    nf.nat = { natHook: () => Verdict.Accept };
    run(Hook.PreRouting, tcp(1));
    expect(calls).toEqual([1]);
  });
});
