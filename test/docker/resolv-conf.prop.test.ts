// Properties of resolv.conf as libnetwork transforms it (src/docker/resolv-conf.ts) over generated
// host files: what the container's file keeps, replaces and records.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  DEFAULT_NAMESERVERS,
  generateResolvConf,
  overrideNameservers,
  parseResolvConf,
  transformForIntNS,
  transformForLegacyNw,
} from '../../src/docker/resolv-conf.js';

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const loopback = fc.tuple(octet, octet, octet).map((o) => `127.${o.join('.')}`);
const server = fc.oneof(v4, loopback);
const label = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const domain = fc.tuple(label, label).map(([a, b]) => `${a}.${b}`);
const option = fc.oneof(
  fc.constantFrom('edns0', 'trust-ad', 'rotate', 'single-request'),
  fc.integer({ min: 0, max: 15 }).map((n) => `ndots:${n}`),
  fc.constantFrom('ndots:', 'ndots:x', 'ndots:-1'),
  fc.integer({ min: 1, max: 30 }).map((n) => `timeout:${n}`),
);
const hostFile = fc.record({
  servers: fc.array(server, { maxLength: 5 }),
  search: fc.array(fc.array(domain, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  options: fc.array(fc.array(option, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  comments: fc.array(fc.constantFrom('# dhcp', '; old', ''), { maxLength: 2 }),
});

type HostFile = typeof hostFile extends fc.Arbitrary<infer T> ? T : never;

function text(h: HostFile): string {
  return [
    ...h.comments,
    ...h.servers.map((s) => `nameserver ${s}`),
    ...h.search.map((s) => `search ${s.join(' ')}`),
    ...h.options.map((o) => `options ${o.join(' ')}`),
  ].join('\n');
}

const lines = (t: string, key: string) =>
  t
    .split('\n')
    .filter((l) => l.startsWith(`${key} `))
    .map((l) => l.slice(key.length + 1));

test('internal resolver: only 127.0.0.11, every host server an external one queried from the host, search kept, only valid ndots', () => {
  fc.assert(
    fc.property(hostFile, fc.boolean(), (h, override) => {
      const rc = parseResolvConf(text(h));
      if (override) overrideNameservers(rc, ['192.0.2.1']);
      const { ext, warnings } = transformForIntNS(rc, '127.0.0.11', ['ndots:0']);
      const out = generateResolvConf(rc, 'internal resolver', warnings, ext);
      expect(lines(out, 'nameserver')).toEqual(['127.0.0.11']);
      const servers = override ? ['192.0.2.1'] : h.servers;
      expect(ext).toEqual(servers.map((addr) => ({ addr, hostLoopback: !override })));
      expect(warnings.length > 0).toBe(servers.length === 0);
      // Only the last search line counts (processLine).
      expect(lines(out, 'search')).toEqual(h.search.length > 0 ? [h.search.at(-1)!.join(' ')] : []);
      const opts = (lines(out, 'options')[0] ?? '').split(' ');
      const ndots = opts.filter((o) => o.startsWith('ndots'));
      // Host ndots values that are valid stay (the last one wins for the resolver); invalid ones go;
      // ndots:0 is added only when none is left.
      expect(ndots.length).toBeGreaterThan(0);
      for (const n of ndots) expect(n).toMatch(/^ndots:\d+$/);
      const hostValid = h.options.flat().filter((o) => /^ndots:\d+$/.test(o));
      expect(ndots).toEqual(hostValid.length > 0 ? hostValid : ['ndots:0']);
    }),
  );
});

test('legacy: no loopback server survives; none left means the defaults (unless overridden)', () => {
  fc.assert(
    fc.property(hostFile, (h) => {
      const rc = parseResolvConf(text(h));
      const warnings = transformForLegacyNw(rc);
      const out = generateResolvConf(rc, 'legacy', warnings, []);
      const kept = h.servers.filter((s) => !s.startsWith('127.'));
      expect(lines(out, 'nameserver')).toEqual(kept.length > 0 ? kept : DEFAULT_NAMESERVERS);
      expect(out.includes('# Used default nameservers.')).toBe(kept.length === 0);
    }),
  );
});
