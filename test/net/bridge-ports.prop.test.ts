// Port numbers and the bridge id under any sequence of port additions, removals and port address
// changes (src/net/devices/bridge.ts keeps a lowest-free hint and updates the id incrementally on
// add): a new port takes the lowest free number (find_portno), and the bridge id is the lowest port
// address (br_stp_recalculate_bridge_id) — checked against a plain model after every step.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BridgeDevice, type BridgePort } from '../../src/net/devices/bridge.js';
import { createPair, type PairedDevice } from '../../src/net/devices/veth.js';
import { World } from '../../src/net/world.js';

type Op = { op: 'add' | 'remove'; dev: number } | { op: 'mac'; dev: number; hi: number; lo: number };

const N = 5;
const mac = {
  hi: fc.constantFrom(0x0200, 0x0201, 0x0a00),
  lo: fc.constantFrom(1, 2, 0x80000000, 0xffffffff),
};
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('add' as const), dev: fc.nat(N - 1) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), dev: fc.nat(N - 1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('mac' as const), dev: fc.nat(N - 1), ...mac }), weight: 1 },
);

describe('bridge ports', () => {
  it('take the lowest free number, and the bridge id is the lowest port address', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record(mac), { minLength: N, maxLength: N }),
        fc.array(opArb, { maxLength: 80 }),
        (macs, ops) => {
          const world = new World({ seed: 1 });
          const host = world.addNamespace('host');
          const c = world.addNamespace('c');
          const br = new BridgeDevice(world, host, 'br0');
          host.attach(br);
          const devs: PairedDevice[] = [];
          for (let i = 0; i < N; i++) {
            const [, v] = createPair(world, c, `e${i}`, host, `v${i}`);
            v.macHi = macs[i]!.hi;
            v.macLo = macs[i]!.lo;
            host.attach(v);
            devs.push(v);
          }
          const numberOf = new Map<number, number>();
          for (const o of ops) {
            const d = devs[o.dev]!;
            const member = d.master === br;
            if (o.op === 'add' && !member) {
              expect(br.addPort(d)).toBeNull();
              let no = 1;
              while ([...numberOf.values()].includes(no)) no++;
              numberOf.set(o.dev, no);
            } else if (o.op === 'remove' && member) {
              br.removePort(d);
              numberOf.delete(o.dev);
            } else if (o.op === 'mac') {
              d.macHi = o.hi;
              d.macLo = o.lo;
              if (member) br.portAddressChanged(d);
            }
            for (const [i, no] of numberOf) expect((devs[i]!.rxHandler as BridgePort).portNo).toBe(no);
            const ports = br.ports;
            if (ports.length > 0) {
              let best = ports[0]!;
              for (const p of ports) {
                if (p.macHi < best.macHi || (p.macHi === best.macHi && p.macLo < best.macLo)) best = p;
              }
              expect([br.idHi, br.idLo]).toEqual([best.macHi, best.macLo]);
              expect([br.macHi, br.macLo]).toEqual([best.macHi, best.macLo]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
