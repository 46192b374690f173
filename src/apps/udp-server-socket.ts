// The listening socket of a UDP server app (dns-server, udp-echo-peer): opened in the app's
// namespace and bound to `addr:port` (0 = every address), as a server process does at start-up.

import { ensureTransports, transportOf } from '../net/transport/transport.js';
import type { UdpHandler, UdpSocket } from '../net/transport/udp.js';
import type { AppContext } from '../scenario/app-registry.js';

/** The bound socket, or the errno of a failed bind (the socket is closed again, as the app exits). */
export function openUdpServer(
  ctx: AppContext,
  handler: UdpHandler,
  addr: number,
  port: number,
): UdpSocket | number {
  ensureTransports(ctx.world);
  const s = transportOf(ctx.ns).udp.open(handler);
  const e = s.bind(addr, port);
  if (e !== 0) {
    s.close();
    return e;
  }
  return s;
}
