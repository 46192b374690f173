// `Netfilter.runNext` (the IPv4 layer's FORWARD and POSTROUTING calls) takes up the header fields and
// conntrack state the previous hook read instead of reading them again. Property: that is invisible.
// Two identical router namespaces (conntrack, DNAT, MASQUERADE, random FORWARD and mangle rules) get
// the same random packets, one through `run` at every hook, the other through run(PREROUTING),
// runNext(FORWARD), runNext(POSTROUTING) as src/net/ipv4/stack.ts calls them; every verdict, the
// conntrack state and header fields each hook saw, the frames' bytes and every rule counter must agree.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import type { PacketCtx } from '../../src/netfilter/context.js';
import { Hook, type Netfilter, netfilterOf } from '../../src/netfilter/hooks.js';
import { Verdict } from '../../src/netfilter/verdict.js';
import { buildPacket, type Pkt } from './packets.js';

const FORWARD_RULES = [
  '-p udp --dport 80 -j ACCEPT',
  '-p tcp --dport 80 -j DROP',
  '-d 10.0.2.2 -p udp --dport 53 -j DROP',
  '-m conntrack --ctstate DNAT -j MARK --set-mark 0x7',
  '-m conntrack --ctstate NEW -m mark --mark 0x7 -j ACCEPT',
  '-m conntrack --ctstate ESTABLISHED -j ACCEPT',
  '-m conntrack --ctstate INVALID -j DROP',
  '-s 10.0.2.2 -j ACCEPT',
  '-p icmp -j ACCEPT',
];
const MANGLE_POST_RULES = ['-p udp --sport 80 -j MARK --set-mark 0x3', '-d 10.0.2.2 -j MARK --set-mark 0x1'];

interface Router {
  world: World;
  ns: Namespace;
  nf: Netfilter;
  cli: number;
  srv: number;
}

function router(forward: number[], mangle: number[], policy: string): Router {
  const world = new World({ seed: 3 });
  const ns = world.addNamespace('r');
  const sh = (l: string) => runCommandLine({ world, ns }, l).stdout;
  for (const l of [
    'ip link add eth-cli type dummy',
    'ip link add eth-srv type dummy',
    'ip addr add 10.0.1.1/24 dev eth-cli',
    'ip addr add 10.0.2.1/24 dev eth-srv',
    'ip link set eth-cli up',
    'ip link set eth-srv up',
    'iptables -t nat -A PREROUTING -p udp --dport 8080 -j DNAT --to-destination 10.0.2.2:80',
    'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80',
    'iptables -t nat -A POSTROUTING -o eth-srv -j MASQUERADE',
    `iptables -P FORWARD ${policy}`,
  ])
    sh(l);
  for (const i of forward) sh(`iptables -A FORWARD ${FORWARD_RULES[i]}`);
  for (const i of mangle) sh(`iptables -t mangle -A POSTROUTING ${MANGLE_POST_RULES[i]}`);
  const dev = (n: string) => ns.devices.find((d) => d.name === n)!.id;
  return { world, ns, nf: netfilterOf(ns), cli: dev('eth-cli'), srv: dev('eth-srv') };
}

interface Seen {
  /** Verdict, conntrack state, mark and deciding rule: what every hook exposes. */
  core: number[];
  /** Header fields, meaningful only when something in the hook read them (`parsed`). */
  parsed: number;
  hdr: number[];
}

function seen(ctx: PacketCtx, nf: Netfilter, v: number): Seen {
  return {
    core: [v, ctx.ctId, ctx.ctState, ctx.ctDir, ctx.mark, ctx.lastRule, nf.lastTable],
    parsed: ctx.parsed,
    hdr: [
      ctx.src,
      ctx.dst,
      ctx.proto,
      ctx.fragOff,
      ctx.sport,
      ctx.dport,
      ctx.len,
      ctx.l4Off,
      ctx.l4Avail,
      ctx.end,
    ],
  };
}

/** B (runNext) against A (run): the same core; the same header wherever A's hook read it. */
function expectSame(b: (Seen | number[])[], a: (Seen | number[])[]): void {
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Array.isArray(x)) {
      expect(y).toEqual(x);
      continue;
    }
    const z = y as Seen;
    expect(z.core).toEqual(x.core);
    if (x.parsed !== 0) expect(z.hdr).toEqual(x.hdr);
  }
}

/** One packet through PREROUTING, FORWARD, POSTROUTING while accepted; `next` = the stack's calls. */
function traverse(r: Router, p: Pkt, fromServer: boolean, next: boolean): (Seen | number[])[] {
  const [h, l3] = buildPacket(r.world, p);
  const inDev = fromServer ? r.srv : r.cli;
  const outDev = fromServer ? r.cli : r.srv;
  const out: (Seen | number[])[] = [];
  let v = r.nf.run(Hook.PreRouting, h, l3, inDev, -1);
  out.push(seen(r.nf.ctx, r.nf, v));
  if (v === Verdict.Accept) {
    v = next
      ? r.nf.runNext(Hook.Forward, h, l3, inDev, outDev)
      : r.nf.run(Hook.Forward, h, l3, inDev, outDev);
    out.push(seen(r.nf.ctx, r.nf, v));
  }
  if (v === Verdict.Accept) {
    v = next
      ? r.nf.runNext(Hook.PostRouting, h, l3, -1, outDev)
      : r.nf.run(Hook.PostRouting, h, l3, -1, outDev);
    out.push(seen(r.nf.ctx, r.nf, v));
  }
  const pool = r.world.pool;
  out.push(Array.from(pool.bytesOf(h).subarray(pool.start[h]!, pool.start[h]! + pool.len[h]!)));
  if (v === Verdict.Accept) r.world.consume(h);
  else r.world.drop(h, r.nf.dropReason, inDev);
  return out;
}

const packet = fc.record({
  proto: fc.constantFrom('udp' as const, 'tcp' as const, 'icmp' as const),
  sport: fc.constantFrom(1000, 1001, 80),
  dst: fc.constantFrom('10.0.1.1', '10.0.2.2'),
  dport: fc.constantFrom(8080, 80, 53),
  fromServer: fc.boolean(),
  flags: fc.constantFrom(2, 16, 18),
});

describe('runNext carries a traversal across hooks invisibly', () => {
  it('same verdicts, conntrack state, header fields, bytes and counters as run at every hook', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: FORWARD_RULES.length - 1 }), { maxLength: 6 }),
        fc.array(fc.nat({ max: MANGLE_POST_RULES.length - 1 }), { maxLength: 2 }),
        fc.constantFrom('ACCEPT', 'DROP'),
        fc.array(packet, { minLength: 1, maxLength: 25 }),
        (forward, mangle, policy, pkts) => {
          const a = router(forward, mangle, policy);
          const b = router(forward, mangle, policy);
          for (const q of pkts) {
            // Replies come from the server to the router's masquerade address and the MASQUERADEd
            // port (kept: the client's source port), so they find the connection.
            const p: Pkt = q.fromServer
              ? {
                  proto: q.proto,
                  src: '10.0.2.2',
                  dst: '10.0.2.1',
                  sport: 80,
                  dport: q.sport,
                  flags: q.flags,
                }
              : {
                  proto: q.proto,
                  src: '10.0.1.2',
                  dst: q.dst,
                  sport: q.sport,
                  dport: q.dport,
                  flags: q.flags,
                };
            if (q.proto === 'icmp') {
              p.icmpType = q.fromServer ? 0 : 8;
              p.icmpCode = 0;
            }
            expectSame(traverse(b, p, q.fromServer, true), traverse(a, p, q.fromServer, false));
          }
          const save = (r: Router) => runCommandLine({ world: r.world, ns: r.ns }, 'iptables-save -c').stdout;
          expect(save(b)).toBe(save(a));
          const ct = (r: Router) => runCommandLine({ world: r.world, ns: r.ns }, 'conntrack -L').stdout;
          expect(ct(b)).toBe(ct(a));
        },
      ),
      { numRuns: 150 },
    );
  });
});
