// Default IPAM (src/docker/ipam.ts) against the facts read in moby's defaultipam/ipamutils.
import { produce } from 'immer';
import { describe, expect, test } from 'vitest';
import {
  emptyIpam,
  type IpamDraft,
  LOCAL_DEFAULT_POOLS,
  releaseAddress,
  releasePool,
  requestAddress,
  requestPool,
} from '../../src/docker/ipam.js';
import type { IpamState } from '../../src/docker/types.js';
import { parseCidr } from '../../src/wire/ipv4-address.js';

function run<T>(s: IpamState, f: (d: IpamDraft) => T): [IpamState, T] {
  let out!: T;
  const next = produce(s, (d) => {
    out = f(d as unknown as IpamDraft);
  });
  return [next, out];
}

describe('predefined pools', () => {
  test("Docker's local order: 172.17 … 172.31 as /16, then 192.168.x.0/20", () => {
    let s = emptyIpam();
    const got: string[] = [];
    for (let i = 0; i < 31; i++) {
      const [n, p] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
      s = n;
      got.push(p);
    }
    expect(got.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`));
    expect(got.slice(15, 31)).toEqual(Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`));
    expect(() => run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []))).toThrow(
      'all predefined address pools have been fully subnetted',
    );
  });

  test('skips subnets overlapping a reserved on-link route and fills gaps first', () => {
    let s = emptyIpam();
    let p: string;
    [s, p] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, [parseCidr('172.17.5.0/24')]));
    expect(p).toBe('172.18.0.0/16');
    [s, p] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
    expect(p).toBe('172.17.0.0/16');
    [s] = run(s, (d) => releasePool(d, '172.18.0.0/16'));
    [s, p] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
    expect(p).toBe('172.18.0.0/16');
  });

  test('a user subnet overlapping an allocated one is refused with the daemon wording', () => {
    let s = emptyIpam();
    [s] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
    expect(() => run(s, (d) => requestPool(d, { pool: '172.17.1.0/24' }, LOCAL_DEFAULT_POOLS, []))).toThrow(
      'invalid pool request: Pool overlaps with other one on this address space',
    );
    // A predefined request then skips the user's subnet.
    [s] = run(s, (d) => requestPool(d, { pool: '172.18.0.0/24' }, LOCAL_DEFAULT_POOLS, []));
    const [, p] = run(s, (d) => requestPool(d, {}, LOCAL_DEFAULT_POOLS, []));
    expect(p).toBe('172.19.0.0/16');
  });

  test('--default-address-pool base=10.10.0.0/16,size=24', () => {
    const pools = [{ base: '10.10.0.0/16', size: 24 }];
    let s = emptyIpam();
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [n, p] = run(s, (d) => requestPool(d, {}, pools, []));
      s = n;
      got.push(p);
    }
    expect(got).toEqual(['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24']);
  });
});

describe('addresses', () => {
  test('gateway first, then sequential; a released address is reused at once (serial=false)', () => {
    let s = emptyIpam();
    let a: string;
    [s] = run(s, (d) => requestPool(d, { pool: '10.0.0.0/29' }, LOCAL_DEFAULT_POOLS, []));
    const seq: string[] = [];
    for (let i = 0; i < 6; i++) {
      [s, a] = run(s, (d) => requestAddress(d, '10.0.0.0/29', undefined));
      seq.push(a);
    }
    expect(seq).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(() => run(s, (d) => requestAddress(d, '10.0.0.0/29', undefined))).toThrow(
      'no available addresses on this pool',
    );
    [s] = run(s, (d) => releaseAddress(d, '10.0.0.0/29', '10.0.0.3'));
    [s, a] = run(s, (d) => requestAddress(d, '10.0.0.0/29', undefined));
    expect(a).toBe('10.0.0.3');
  });

  test('ip-range: gateway and containers from the range; preferred addresses anywhere in the subnet', () => {
    let s = emptyIpam();
    let a: string;
    [s] = run(s, (d) =>
      requestPool(d, { pool: '172.28.0.0/16', subPool: '172.28.5.0/24' }, LOCAL_DEFAULT_POOLS, []),
    );
    [s, a] = run(s, (d) => requestAddress(d, '172.28.0.0/16', '172.28.5.0/24'));
    expect(a).toBe('172.28.5.0');
    [s, a] = run(s, (d) => requestAddress(d, '172.28.0.0/16', undefined, '172.28.0.10'));
    expect(a).toBe('172.28.0.10');
    expect(() => run(s, (d) => requestAddress(d, '172.28.0.0/16', undefined, '172.28.0.10'))).toThrow(
      'Address already in use',
    );
    expect(() => run(s, (d) => requestAddress(d, '172.28.0.0/16', undefined, '10.0.0.1'))).toThrow(
      'requested address is out of range',
    );
  });

  test('/31 has no reserved network or broadcast address (RFC 3021)', () => {
    let s = emptyIpam();
    let a: string;
    [s] = run(s, (d) => requestPool(d, { pool: '10.9.0.0/31' }, LOCAL_DEFAULT_POOLS, []));
    [s, a] = run(s, (d) => requestAddress(d, '10.9.0.0/31', undefined));
    expect(a).toBe('10.9.0.0');
  });
});
