// Property: any valid scenario document loads, prints, and loads again to an equal scenario.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatDuration } from '../../src/core/time.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { printScenario } from '../../src/scenario/print.js';

const name = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
const durationText = fc.integer({ min: 0, max: 10_000_000_000 }).map(formatDuration);
const ip = fc
  .tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 }))
  .map(([a, b]) => `10.${a}.${b}.1`);
const command = fc.stringMatching(/^[a-z][a-z0-9 ]{0,20}$/).map((s) => s.trim() || 'ip');

const doc = fc.uniqueArray(name, { minLength: 1, maxLength: 5 }).chain((hosts) => {
  const host = fc.constantFrom(...hosts);
  const step = fc.record(
    {
      at: durationText,
      in: fc.oneof(host, fc.uniqueArray(host, { minLength: 1, maxLength: 3 })),
      run: fc.oneof(
        fc.array(command, { minLength: 1, maxLength: 4 }).map((l) => l.join('\n')),
        fc.array(command, { minLength: 1, maxLength: 3 }),
      ),
    },
    { requiredKeys: ['in', 'run'] },
  );
  const probe = (i: number) =>
    fc.oneof(
      fc.record(
        {
          name: fc.constant(`p${i}`),
          from: host,
          at: durationText,
          ping: ip,
          count: fc.integer({ min: 1, max: 5 }),
        },
        {
          requiredKeys: ['name', 'from', 'ping'],
        },
      ),
      fc.record(
        {
          name: fc.constant(`p${i}`),
          from: host,
          udp: ip.map((a) => `${a}:5000`),
          sport: fc.integer({ min: 1, max: 65535 }),
          payload: fc.string(),
        },
        {
          requiredKeys: ['name', 'from', 'udp'],
        },
      ),
      fc.record(
        { name: fc.constant(`p${i}`), from: host, tcp: ip.map((a) => `${a}:80`), timeout: durationText },
        {
          requiredKeys: ['name', 'from', 'tcp'],
        },
      ),
    );
  return fc.record({
    netsim: fc.constant(1),
    seed: fc.oneof(fc.integer(), name),
    hosts: fc.oneof(fc.constant(hosts), fc.constant(Object.fromEntries(hosts.map((h) => [h, null])))),
    links: fc.constant(
      hosts.length >= 2
        ? [{ a: `${hosts[0]}:eth9`, b: `${hosts[1]}:eth9`, delay: '1ms', rate: '1Gbit', queue: 100 }]
        : [],
    ),
    steps: fc.array(step, { maxLength: 4 }),
    apps: fc.array(
      fc.record({ in: fc.constant(hosts[0]!), serve: fc.constant('udp-echo-peer'), port: fc.constant(5000) }),
      { maxLength: 1 },
    ),
    traffic: fc
      .integer({ min: 0, max: 3 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => probe(i)))),
    expect: fc.array(
      fc.oneof(
        fc.record({ in: host, run: command, 'output-contains': fc.string({ maxLength: 8 }) }),
        fc.record({ drops: fc.constantFrom('TtlExpired', 'NoRoute'), min: fc.integer({ min: 0, max: 3 }) }),
      ),
      { maxLength: 3 },
    ),
  });
});

describe('scenario printer', () => {
  it('load → print → load is the identity on valid documents (JSON and YAML input)', () => {
    fc.assert(
      fc.property(doc, fc.boolean(), (d, asJson) => {
        const text = asJson ? JSON.stringify(d) : printYamlish(d);
        const first = loadScenarioText(text, 'gen.yaml').scenario;
        const printed = printScenario(first);
        const second = loadScenarioText(printed, 'printed.yaml').scenario;
        expect(second).toEqual(first);
      }),
      { numRuns: 150 },
    );
  });
});

/** The generated document as block-style YAML. */
function printYamlish(d: unknown): string {
  return stringify(d);
}
