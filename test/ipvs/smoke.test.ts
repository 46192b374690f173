import { describe, expect, it } from 'vitest';
import { Fwd, IpvsVerdict } from '../../src/ipvs/defs.js';
import { destSpec, director, SYN, send, svcSpec, tcpFrame } from './helpers.js';

describe('ipvs smoke', () => {
  it('schedules a SYN to a masq real server', () => {
    const d = director();
    expect(d.ipvs.addService(svcSpec('TCP 10.0.0.1:80', 'rr'))).toBe(0);
    expect(d.ipvs.addDest(svcSpec('TCP 10.0.0.1:80'), destSpec('10.0.0.2:8080', 1, Fwd.Masq))).toBe(0);
    const r = send(d, tcpFrame(d.world, '1.2.3.4:40000', '10.0.0.1:80', SYN));
    expect(r.verdict).toBe(IpvsVerdict.Xmit);
    expect(r.to).toBe('10.0.0.2:8080');
    expect(d.ipvs.explain()).toMatch(/rr: 10.0.0.2:8080/);
  });
});
