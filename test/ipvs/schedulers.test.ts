import { describe, expect, it } from 'vitest';
import { Fwd, hash32, SF } from '../../src/ipvs/defs.js';
import { type MaglevHashing, MH_TAB_SIZE } from '../../src/ipvs/schedulers/mh.js';
import type { SourceHashing } from '../../src/ipvs/schedulers/sh.js';
import type { Service } from '../../src/ipvs/service.js';
import { destSpec, ip, ipStr, pick, service } from './helpers.js';

describe('wrr (ip_vs_wrr.c)', () => {
  it('weights 4,3,2 in list order A,B,C: one cycle is A A B A B C A B C', () => {
    // list_add puts the newest dest first, so adding C, B, A yields the list A, B, C. The service was
    // created empty (mw = cw = 0); adding C set cw = mw = 1 and later adds keep cw = 1
    // (ip_vs_wrr_dest_changed), so the first pass picks every dest with weight >= 1: A B C. Then cw
    // restarts at mw = 4 and the kernel's interleaved cycle repeats.
    const { svc } = service('wrr', [
      ['10.0.0.3', 2],
      ['10.0.0.2', 3],
      ['10.0.0.1', 4],
    ]);
    const names: Record<string, string> = { '10.0.0.1': 'A', '10.0.0.2': 'B', '10.0.0.3': 'C' };
    const seq = Array.from({ length: 18 }, () => names[pick(svc)]).join(' ');
    expect(seq).toBe('A B C' + ' A A B A B C A B C' + ' A A B A B C');
  });

  it('weights 4,2 (gcd 2, mw = 3): after the leftover cw = 1 pass, A A B repeats', () => {
    const { svc } = service('wrr', [
      ['10.0.0.2', 2],
      ['10.0.0.1', 4],
    ]);
    expect(Array.from({ length: 6 }, () => pick(svc)).join(' ')).toBe(
      '10.0.0.1 10.0.0.2 10.0.0.1 10.0.0.1 10.0.0.2 10.0.0.1',
    );
  });
});

describe('rr (ip_vs_rr.c)', () => {
  it('starts at the list head (the newest dest) and skips weight 0', () => {
    const { svc } = service('rr', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 0],
      ['10.0.0.3', 1],
    ]);
    expect([pick(svc), pick(svc), pick(svc), pick(svc)]).toEqual([
      '10.0.0.3',
      '10.0.0.1',
      '10.0.0.3',
      '10.0.0.1',
    ]);
  });
});

describe('lc / wlc / sed / nq / fo / ovf', () => {
  it('lc takes the first of equal overheads in list order; wlc cross-multiplies with weights', () => {
    const lc = service('lc', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 1],
    ]);
    expect(pick(lc.svc)).toBe('10.0.0.2'); // newest first
    const wlc = service('wlc', [
      ['10.0.0.1', 3],
      ['10.0.0.2', 1],
    ]);
    const [d2, d1] = wlc.svc.dests as [NonNullable<Service['dests'][0]>, NonNullable<Service['dests'][0]>];
    d1.activeConns = 2; // 512/3 < 256/1... 2*256=512 vs weight 3 → 170.7
    d2.activeConns = 1; // 256/1
    expect(pick(wlc.svc)).toBe('10.0.0.1');
  });

  it('nq prefers an idle server; fo the highest weight; ovf overflows past activeconns > weight', () => {
    const nq = service('nq', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 5],
    ]);
    nq.svc.dests[0]!.activeConns = 1; // 10.0.0.2 busy, 10.0.0.1 idle
    expect(pick(nq.svc)).toBe('10.0.0.1');
    const fo = service('fo', [
      ['10.0.0.1', 2],
      ['10.0.0.2', 7],
      ['10.0.0.3', 7],
    ]);
    expect(pick(fo.svc)).toBe('10.0.0.3');
    const ovf = service('ovf', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 3],
    ]);
    ovf.svc.dests[0]!.activeConns = 4; // 10.0.0.2: 4 > 3 overflows
    expect(pick(ovf.svc)).toBe('10.0.0.1');
  });
});

describe('sh / dh (256 buckets, hash_32)', () => {
  it('hash_32 is the golden-ratio multiplicative hash (hand-computed values)', () => {
    expect(hash32(1, 8)).toBe(0x61);
    expect(hash32(0x0a000001, 8)).toBe(0x27);
  });

  it('ip_vs_sh_reassign gives each dest `weight` consecutive buckets in list order', () => {
    const { svc } = service('sh', [
      ['10.0.0.2', 1],
      ['10.0.0.1', 2],
    ]);
    const t = (svc.sched as SourceHashing).buckets.slice(0, 7).map((x) => (x === null ? '-' : ipStr(x.addr)));
    expect(t).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1']);
    // 10.0.0.1 as a source → bucket 39 = 3*13: 39 % 3 == 0 → 10.0.0.1
    expect(pick(svc, '10.0.0.1')).toBe('10.0.0.1');
  });

  it('sh-fallback walks to the next available bucket; without it an unavailable bucket fails', () => {
    const { d, spec, svc } = service('sh', [
      ['10.0.0.2', 1],
      ['10.0.0.1', 1],
    ]);
    d.ipvs.editDest(spec, destSpec('10.0.0.1:80', 0, Fwd.Masq)); // quiesce (upd_dest reassigns)
    const t = (svc.sched as SourceHashing).buckets;
    let src = '';
    for (let i = 1; i < 255 && src === ''; i++) {
      const a = `9.9.9.${i}`;
      if (ipStr(t[hash32(ip(a), 8)]!.addr) === '10.0.0.1') src = a;
    }
    expect(pick(svc, src)).toBe('-'); // weight 0 → unavailable, no fallback
    const fb = service(
      'sh',
      [
        ['10.0.0.2', 1],
        ['10.0.0.1', 1],
      ],
      SF.SCHED1,
    );
    fb.d.ipvs.editDest(fb.spec, destSpec('10.0.0.1:80', 0, Fwd.Masq));
    expect(pick(fb.svc, src)).toBe('10.0.0.2');
  });

  it('dh maps the destination address; weight is ignored for the table', () => {
    const { svc } = service('dh', [
      ['10.0.0.2', 1],
      ['10.0.0.1', 9],
    ]);
    const b = hash32(ip('10.0.0.1'), 8); // 39: odd bucket → second dest in list (10.0.0.2)
    expect(b % 2).toBe(1);
    expect(pick(svc, '1.1.1.1', 1, '10.0.0.1')).toBe('10.0.0.2');
  });
});

describe('mh (Maglev, M = 4093)', () => {
  it('fills the 4093-entry table and shares it by weight', () => {
    const { svc } = service('mh', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 1],
      ['10.0.0.3', 2],
    ]);
    const t = (svc.sched as MaglevHashing).lookup;
    expect(MH_TAB_SIZE).toBe(4093);
    const count: Record<string, number> = {};
    for (const x of t) count[ipStr(x!.addr)] = (count[ipStr(x!.addr)] ?? 0) + 1;
    expect(count['10.0.0.1']! + count['10.0.0.2']! + count['10.0.0.3']!).toBe(4093);
    expect(Math.abs(count['10.0.0.3']! - 2 * count['10.0.0.1']!)).toBeLessThan(8);
  });
});

describe('lblc / lblcr', () => {
  it('lblc keeps a destination address on its server until that server is overloaded', () => {
    const { svc } = service('lblc', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 1],
    ]);
    const first = pick(svc, '1.1.1.1', 1, '20.0.0.1');
    const s1 = svc.dests.find((x) => ipStr(x.addr) === first)!;
    s1.activeConns = 1; // wlc would now prefer the other one
    expect(pick(svc, '1.1.1.2', 2, '20.0.0.1')).toBe(first); // cached
    s1.activeConns = 2; // > weight 1, and the other has 0*2 < 1: lblc-overloaded
    expect(pick(svc, '1.1.1.2', 3, '20.0.0.1')).not.toBe(first);
  });

  it('lblcr replicates: an overloaded set gains a second server', () => {
    const { svc } = service('lblcr', [
      ['10.0.0.1', 1],
      ['10.0.0.2', 1],
    ]);
    const first = pick(svc, '1.1.1.1', 1, '20.0.0.9');
    svc.dests.find((x) => ipStr(x.addr) === first)!.activeConns = 2;
    const second = pick(svc, '1.1.1.1', 2, '20.0.0.9');
    expect(second).not.toBe(first);
    expect(pick(svc, '1.1.1.1', 3, '20.0.0.9')).toBe(second); // least loaded member of the set
  });
});
