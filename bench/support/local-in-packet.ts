// The packet of the INPUT-chain benchmarks (netfilter, ipset): one UDP datagram 192.168.0.1:1000 →
// 192.168.0.2:53 with an 18-byte payload (46 bytes of IPv4) in a frame of the world's pool, passed
// once through LOCAL_IN so that the namespace's rules are compiled before timing starts.
import type { World } from '../../src/net/world.js';
import { Hook, type Netfilter } from '../../src/netfilter/hooks.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitUdp } from '../../src/wire/udp.js';

export const LOCAL_IN_SRC = 0xc0a80001;

/** The frame handle and its IPv4 header offset, ready for `nf.run(Hook.LocalIn, h, l3, -1, -1)`. */
export function localInPacket(world: World, nf: Netfilter): { h: number; l3: number } {
  const h = world.newFrame();
  const u8 = world.pool.bytesOf(h);
  const l3 = world.pool.start[h]! + 14;
  const src = LOCAL_IN_SRC;
  const dst = 0xc0a80002; // 192.168.0.2
  emitUdp({ srcPort: 1000, dstPort: 53, payload: new Uint8Array(18) }, u8, l3 + 20, src, dst);
  emitIpv4(
    {
      tos: 0,
      ident: 1,
      df: false,
      mf: false,
      fragOffset: 0,
      ttl: 64,
      proto: 17,
      src,
      dst,
      options: new Uint8Array(0),
      payloadLen: 26,
    },
    u8,
    l3,
  );
  world.pool.len[h] = 14 + 46;
  nf.run(Hook.LocalIn, h, l3, -1, -1); // compile
  return { h, l3 };
}
