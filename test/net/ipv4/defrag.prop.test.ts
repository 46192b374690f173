// Property: for any fragmentation of a datagram — random MTUs >= 68 along a path of routers, each
// refragmenting what it forwards — and any delivery order of the fragments within the reassembly time,
// the destination reassembles exactly the original datagram, once, and every frame is accounted for.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { type Device, RxResult } from '../../../src/net/device.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import type { Namespace } from '../../../src/net/namespace.js';
import { rd16, rd32, wr16, wr32 } from '../../../src/wire/bytes.js';
import { addAddr, addRoute, expectConserved, ip, run, S, up, world } from './helpers.js';
import { advance, link } from './routed.js';

const PROTO = 253;

function path(mtus: number[]) {
  const w = world(7);
  const nss: Namespace[] = [];
  const k = mtus.length - 1; // routers
  for (let i = 0; i <= k + 1; i++) {
    const ns = w.addNamespace(i === 0 ? 'src' : i === k + 1 ? 'dst' : `r${i}`);
    up(ns.lo);
    nss.push(ns);
  }
  let last: Device | null = null;
  for (let i = 0; i <= k; i++) {
    const [x, y] = link(w, nss[i]!, 'eth-r', nss[i + 1]!, 'eth-l');
    x.mtu = mtus[i]!;
    y.mtu = mtus[i]!;
    addAddr(x, `10.${i + 1}.0.1/24`);
    addAddr(y, `10.${i + 1}.0.2/24`);
    last = y;
  }
  for (let i = 0; i <= k + 1; i++) {
    const ns = nss[i]!;
    if (i >= 1 && i <= k) ns.sysctl.set('net.ipv4.ip_forward', '1');
    if (i <= k) addRoute(ns, 'default', `10.${i + 1}.0.2`, null);
    for (let j = 1; j < i; j++) addRoute(ns, `10.${j}.0.0/24`, `10.${i}.0.1`, null);
  }
  return { w, src: nss[0]!, dst: nss[k + 1]!, dstDev: last!, hops: k };
}

describe('reassembly property', () => {
  it('any path fragmentation and any arrival order reassemble the original byte for byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6000 }),
        fc.array(fc.integer({ min: 68, max: 1500 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (size, mtus, seed) => {
          const { w, src, dst, dstDev, hops } = path(mtus);
          const got: Uint8Array[] = [];
          const meta: number[][] = [];
          stackOf(dst).registerProtocol(PROTO, {
            receive(h, _dev, l4Off) {
              const u8 = w.pool.bytesOf(h);
              const o = w.pool.start[h]!;
              meta.push([rd16(u8, o + 2), rd16(u8, o + 6), u8[o + 8]!, rd32(u8, o + 12), rd32(u8, o + 16)]);
              got.push(u8.slice(l4Off, o + w.pool.len[h]!));
              w.consume(h);
            },
            error() {},
          });
          const held: number[] = [];
          dstDev.rxHandler = {
            handleFrame(_d, h) {
              if (rd16(w.pool.bytesOf(h), w.pool.start[h]! + 12) !== 0x0800) return RxResult.Pass;
              held.push(h);
              return RxResult.Consumed;
            },
          };
          const rng = Rng.fromSeed(seed);
          const data = new Uint8Array(size);
          for (let i = 0; i < size; i++) data[i] = rng.u32() & 0xff;
          const h = w.newFrameFor(20 + size);
          w.pool.setLength(h, 20 + size);
          const u8 = w.pool.bytesOf(h);
          const o = w.pool.start[h]!;
          u8.fill(0, o, o + 20);
          u8[o] = 0x45;
          wr16(u8, o + 2, 20 + size);
          u8[o + 8] = 64;
          u8[o + 9] = PROTO;
          wr32(u8, o + 16, ip(`10.${mtus.length}.0.2`));
          u8.set(data, o + 20);
          expect(stackOf(src).sendLocal(h)).toBe(0);
          run(w);
          dstDev.rxHandler = null;
          // Shuffle (Fisher–Yates) and deliver within 25 s of simulated time.
          for (let i = held.length - 1; i > 0; i--) {
            const j = rng.int(0, i);
            const t = held[i]!;
            held[i] = held[j]!;
            held[j] = t;
          }
          const gap = Math.floor((25 * S) / held.length);
          for (const f of held) {
            advance(w, rng.int(0, gap));
            dstDev.receive(f);
          }
          run(w);
          expect(got.length).toBe(1);
          expect(got[0]).toEqual(data);
          expect(meta[0]).toEqual([20 + size, 0, 64 - hops, ip('10.1.0.1'), ip(`10.${mtus.length}.0.2`)]);
          expect(stackOf(dst).defrag.queues).toBe(0);
          expectConserved(w);
        },
      ),
      { numRuns: 60 },
    );
  });
});
