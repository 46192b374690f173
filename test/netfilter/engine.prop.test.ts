// Properties of the rule engine and the command languages:
// - compiled traversal equals a naive recursive interpreter of the model on random rulesets/packets;
// - with ACCEPT policies and no rules every packet is accepted and left byte-for-byte unchanged;
// - iptables-save → iptables-restore → iptables-save is the identity;
// - -I n / -D n / -R n follow a list model.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { restoreText } from '../../src/control/iptables-restore.js';
import { saveText } from '../../src/control/iptables-save.js';
import { World } from '../../src/net/world.js';
import { Hook, netfilterOf } from '../../src/netfilter/hooks.js';
import type { Rule } from '../../src/netfilter/rule.js';
import type { Table } from '../../src/netfilter/table.js';
import { Verdict } from '../../src/netfilter/verdict.js';
import { ipv4ToString } from '../../src/wire/ipv4-address.js';
import { buildPacket, type Pkt } from './packets.js';

const addr = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1', '192.168.0.1');
const ruleArgs = (chains: number, self: number) =>
  fc
    .record({
      s: fc.option(fc.constantFrom('10.0.0.0/24', '10.0.0.1', '192.168.0.0/16'), { nil: undefined }),
      notS: fc.boolean(),
      d: fc.option(fc.constantFrom('10.0.0.2', '10.0.1.0/24'), { nil: undefined }),
      p: fc.option(fc.constantFrom('tcp', 'udp'), { nil: undefined }),
      dport: fc.option(fc.constantFrom('80', '1:100', '53'), { nil: undefined }),
      mark: fc.option(fc.constantFrom('0x1', '0x2/0x2'), { nil: undefined }),
      target: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'MARK1', 'MARK2', 'NONE', 'JUMP', 'GOTO'),
      jumpTo: fc.integer({ min: self + 1, max: chains }),
    })
    .map((r) => {
      let s = '';
      if (r.s) s += `${r.notS ? ' !' : ''} -s ${r.s}`;
      if (r.d) s += ` -d ${r.d}`;
      if (r.p) s += ` -p ${r.p}${r.dport ? ` --dport ${r.dport}` : ''}`;
      if (r.mark) s += ` -m mark --mark ${r.mark}`;
      const canJump = r.jumpTo < chains;
      if (r.target === 'MARK1') s += ' -j MARK --or-mark 1';
      else if (r.target === 'MARK2') s += ' -j MARK --set-xmark 0x2/0x2';
      else if (r.target === 'JUMP' && canJump) s += ` -j C${r.jumpTo}`;
      else if (r.target === 'GOTO' && canJump) s += ` -g C${r.jumpTo}`;
      else if (r.target === 'NONE' || r.target === 'JUMP' || r.target === 'GOTO') s += '';
      else s += ` -j ${r.target}`;
      return s;
    });

/** Chains C1..C3 form a DAG (a chain only calls higher-numbered ones); INPUT is chain 0. */
const ruleset = fc.record({
  policy: fc.constantFrom('ACCEPT', 'DROP'),
  chains: fc.tuple(
    fc.array(ruleArgs(4, 0), { maxLength: 6 }),
    fc.array(ruleArgs(4, 1), { maxLength: 4 }),
    fc.array(ruleArgs(4, 2), { maxLength: 4 }),
    fc.array(ruleArgs(4, 3), { maxLength: 4 }),
  ),
});
const packet: fc.Arbitrary<Pkt> = fc.record({
  src: addr,
  dst: addr,
  proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
  dport: fc.constantFrom(53, 80, 99, 443),
});

function commands(rs: { policy: string; chains: string[][] }): string[] {
  const out = ['iptables -N C1', 'iptables -N C2', 'iptables -N C3', `iptables -P INPUT ${rs.policy}`];
  rs.chains.forEach((rules, i) => {
    for (const r of rules) out.push(`iptables -A ${i === 0 ? 'INPUT' : `C${i}`}${r}`);
  });
  return out;
}

/** The naive interpreter: the model's rules, evaluated recursively with the iptables semantics. */
function naive(t: Table, p: Pkt, mark0: number): { v: number; mark: number } {
  const ip = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const src = ip(p.src);
  const dst = ip(p.dst);
  const proto = p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : 1;
  let mark = mark0;
  const matches = (r: Rule) => {
    if (((src & r.smsk) >>> 0 !== r.src) !== r.invSrc) return false;
    if (((dst & r.dmsk) >>> 0 !== r.dst) !== r.invDst) return false;
    if (r.proto !== 0 && r.proto !== proto) return false;
    for (const m of r.matches) {
      const info = m.info as { dpts?: [number, number]; mark?: number; mask?: number };
      if (m.mod.name === 'tcp' || m.mod.name === 'udp') {
        if (p.dport! < info.dpts![0] || p.dport! > info.dpts![1]) return false;
      } else if (m.mod.name === 'mark') {
        if ((mark & info.mask!) >>> 0 !== info.mark) return false;
      }
    }
    return true;
  };
  // returns 'RETURN' | 'FALL' | verdict number
  const runChain = (name: string): number | 'END' => {
    const c = t.chain(name)!;
    for (const r of c.rules) {
      if (!matches(r)) continue;
      const tg = r.target;
      if (tg.kind === 'std') {
        if (tg.verdict === 'RETURN') return 'END';
        return tg.verdict === 'ACCEPT' ? Verdict.Accept : Verdict.Drop;
      }
      if (tg.kind === 'ext') {
        const i = tg.info as { mark: number; mask: number };
        mark = ((mark & ~i.mask) ^ i.mark) >>> 0;
        continue;
      }
      if (tg.kind === 'chain') {
        const v = runChain(tg.chain);
        if (v !== 'END') return v;
        if (tg.goto) return 'END';
      }
    }
    return 'END';
  };
  const v = runChain('INPUT');
  return { v: v === 'END' ? t.chain('INPUT')!.policy : v, mark };
}

function fresh() {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('p');
  return { world, ns, nf: netfilterOf(ns), sh: (l: string) => runCommandLine({ world, ns }, l).stdout };
}

describe('netfilter properties', () => {
  it('compiled evaluation equals the naive interpreter', () => {
    fc.assert(
      fc.property(ruleset, fc.array(packet, { minLength: 1, maxLength: 8 }), (rs, pkts) => {
        const { world, nf, sh } = fresh();
        for (const c of commands(rs)) sh(c);
        for (const p of pkts) {
          const [h, l3] = buildPacket(world, p);
          const want = naive(nf.tables[2]!, p, 0);
          const v = nf.run(Hook.LocalIn, h, l3, -1, -1);
          expect({ v, mark: world.pool.mark[h] }).toEqual(want);
          world.consume(h);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('ACCEPT policies and no rules change no packet', () => {
    fc.assert(
      fc.property(packet, fc.constantFrom(0, 1, 2, 3, 4), (p, hook) => {
        const { world, nf, sh } = fresh();
        sh('iptables -t raw -A PREROUTING -j ACCEPT');
        sh('iptables -t raw -F');
        sh('iptables -t mangle -Z');
        sh('iptables -t nat -Z');
        sh('iptables -Z');
        const [h, l3] = buildPacket(world, p);
        const before = world.pool
          .bytesOf(h)
          .slice(world.pool.start[h]!, world.pool.start[h]! + world.pool.len[h]!);
        expect(nf.run(hook, h, l3, -1, -1)).toBe(Verdict.Accept);
        const after = world.pool
          .bytesOf(h)
          .slice(world.pool.start[h]!, world.pool.start[h]! + world.pool.len[h]!);
        expect(after).toEqual(before);
        expect(world.pool.mark[h]).toBe(0);
      }),
    );
  });

  it('save → restore → save is the identity', () => {
    fc.assert(
      fc.property(ruleset, fc.boolean(), (rs, counters) => {
        const a = fresh();
        for (const c of commands(rs)) a.sh(c);
        a.sh('iptables -t nat -A POSTROUTING -s 10.0.0.0/8 ! -o eth0 -j MASQUERADE');
        a.sh('iptables -t mangle -A PREROUTING -m comment --comment "a \\"b\\"" -j CONNMARK --restore-mark');
        const text = saveText(a.nf, { counters });
        const b = fresh();
        restoreText(b.nf, text, { counters });
        expect(saveText(b.nf, { counters })).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it('-I n / -D n / -R n follow a list model', () => {
    type Op = { op: 'A' | 'I' | 'D' | 'R'; n: number };
    const op = fc.record({
      op: fc.constantFrom('A', 'I', 'D', 'R'),
      n: fc.integer({ min: 1, max: 6 }),
    }) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        const { nf, sh } = fresh();
        const model: string[] = [];
        let k = 0;
        for (const o of ops) {
          const a = ipv4ToString(0x0a000000 + ++k);
          let ok = true;
          try {
            if (o.op === 'A') sh(`iptables -A INPUT -s ${a}`);
            else sh(`iptables -${o.op} INPUT ${o.n}${o.op === 'D' ? '' : ` -s ${a}`}`);
          } catch {
            ok = false;
          }
          const valid = o.op === 'A' || (o.op === 'I' ? o.n <= model.length + 1 : o.n <= model.length);
          expect(ok).toBe(valid);
          if (!valid) continue;
          if (o.op === 'A') model.push(a);
          else if (o.op === 'I') model.splice(o.n - 1, 0, a);
          else if (o.op === 'D') model.splice(o.n - 1, 1);
          else model[o.n - 1] = a;
        }
        const got = nf.tables[2]!.chain('INPUT')!.rules.map((r) => ipv4ToString(r.src));
        expect(got).toEqual(model);
      }),
    );
  });
});
