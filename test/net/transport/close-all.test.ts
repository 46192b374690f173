// closeAllSockets: every process of a namespace exits (a container stopping). Its established TCP
// connections close as close(2) does (the peer reads EOF), its listeners stop (a new SYN is refused),
// its UDP sockets close (a datagram to the port gets port unreachable).
import { expect, it } from 'vitest';
import type { TcpConn } from '../../../src/net/transport/tcp.js';
import { closeAllSockets, transportOf } from '../../../src/net/transport/transport.js';
import { vethPair } from './helpers.js';

it('closes connections with FIN, stops listeners, closes UDP sockets', () => {
  const { world, a, b, B } = vethPair();
  const tb = transportOf(b);
  let served: TcpConn | null = null;
  const l = tb.tcp.listen(0, 80, 16, (c) => {
    served = c;
    return {};
  });
  expect(typeof l).not.toBe('number');
  const u = tb.udp.open({ onDatagram() {} });
  expect(u.bind(0, 53)).toBe(0);
  let eof = 0;
  let refused = 0;
  const c = transportOf(a).tcp.connect(B, 80, { onPeerClosed: () => eof++ });
  expect(typeof c).not.toBe('number');
  world.sim.run({ until: 1_000_000_000 });
  expect(served).not.toBeNull();
  closeAllSockets(b);
  world.sim.run({ until: 2_000_000_000 });
  expect(eof).toBe(1);
  // The listener is gone: a new connection is refused (RST).
  transportOf(a).tcp.connect(B, 80, { onError: () => refused++ });
  world.sim.run({ until: 3_000_000_000 });
  expect(refused).toBe(1);
  // The UDP port is closed: b answers port unreachable, which a connected socket reports.
  let udpErr = 0;
  const s = transportOf(a).udp.open({ onDatagram() {}, onError: () => udpErr++ });
  expect(s.connect(B, 53)).toBe(0);
  s.send(new Uint8Array([1]), 0, 1);
  world.sim.run({ until: 4_000_000_000 });
  expect(udpErr).toBe(1);
  expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
});
