// Test helper: IPv4 frames (Ethernet + IPv4 + TCP/UDP/ICMP) built with src/wire emitters into a world's
// frame pool, for calling Netfilter.run on constructed packets.

import type { World } from '../../src/net/world.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv4 as ip } from '../../src/wire/ipv4-address.js';
import { emitTcp } from '../../src/wire/tcp.js';
import { emitUdp } from '../../src/wire/udp.js';

export interface Pkt {
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp' | 'icmp' | number;
  sport?: number;
  dport?: number;
  /** TcpFlag bits (SYN = 2). */
  flags?: number;
  icmpType?: number;
  icmpCode?: number;
  fragOffset?: number;
  /** Bytes of transport header actually present (truncation tests). */
  truncateL4?: number;
}

/** Returns [h, l3Off]. */
export function buildPacket(world: World, p: Pkt): [number, number] {
  const h = world.newFrame();
  const pool = world.pool;
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  const proto = p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : p.proto === 'icmp' ? 1 : (p.proto ?? 17);
  emitEthernet(
    { dst: { hi: 0x0200, lo: 1 }, src: { hi: 0x0200, lo: 2 }, ethertype: 0x0800, vlan: null } as never,
    u8,
    off,
  );
  const l3 = off + 14;
  const src = ip(p.src);
  const dst = ip(p.dst);
  const l4 = l3 + 20;
  let l4len = 0;
  if (proto === 6)
    l4len = emitTcp(
      {
        srcPort: p.sport ?? 1000,
        dstPort: p.dport ?? 80,
        seq: 1,
        ack: 0,
        flags: p.flags ?? 2,
        window: 1000,
        urgent: 0,
        options: {},
        payload: new Uint8Array(0),
      } as never,
      u8,
      l4,
      src,
      dst,
    );
  else if (proto === 17)
    l4len = emitUdp(
      { srcPort: p.sport ?? 1000, dstPort: p.dport ?? 53, payload: new Uint8Array(4) },
      u8,
      l4,
      src,
      dst,
    );
  else if (proto === 1) {
    u8[l4] = p.icmpType ?? 8;
    u8[l4 + 1] = p.icmpCode ?? 0;
    u8.fill(0, l4 + 2, l4 + 8);
    l4len = 8;
  } else l4len = 8;
  if (p.truncateL4 !== undefined) l4len = p.truncateL4;
  emitIpv4(
    {
      tos: 0,
      ident: 1,
      df: false,
      mf: false,
      fragOffset: p.fragOffset ?? 0,
      ttl: 64,
      proto,
      src,
      dst,
      options: new Uint8Array(0),
      payloadLen: l4len,
    },
    u8,
    l3,
  );
  pool.len[h] = 14 + 20 + l4len;
  return [h, l3];
}
