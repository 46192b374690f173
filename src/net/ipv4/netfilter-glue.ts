// What netfilter asks of the IPv4 layer: REJECT's replies and `-m addrtype`'s address types.
//
// REJECT (net/ipv4/netfilter/nf_reject_ipv4.c): the ICMP variants call `icmp_send` about the
// offending packet (`nf_send_unreach`); `tcp-reset` builds a new segment (`nf_send_reset`): addresses
// and ports swapped, RST (+ACK when the offending segment had no ACK), seq = its ack_seq when it had
// ACK, else ack_seq = seq + SYN + FIN + payload; window 0; IPv4 with DF, ID 0 and the default TTL,
// sent with ip_local_out (so it crosses OUTPUT/POSTROUTING like any local packet). No RST answers a
// RST (`nf_reject_verify_csum`… `oth->rst` check).

import type { PacketCtx } from '../../netfilter/context.js';
import { onNetfilterCreated } from '../../netfilter/hooks.js';
import { RejectWith } from '../../netfilter/targets/reject.js';
import { traceReply } from '../../trace/points.js';
import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { csumFull } from '../../wire/checksum.js';
import { tcpChecksum } from '../../wire/tcp.js';
import { RTN } from './fib.js';
import type { Ipv4Stack } from './stack.js';

const ICMP_DEST_UNREACH = 3;
const IPPROTO_TCP = 6;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** ICMP code for each REJECT kind (ipt_REJECT's `reject_tg` switch). */
function icmpCode(kind: number): number {
  switch (kind) {
    case RejectWith.NetUnreachable:
      return 0;
    case RejectWith.HostUnreachable:
      return 1;
    case RejectWith.ProtoUnreachable:
      return 2;
    case RejectWith.PortUnreachable:
      return 3;
    case RejectWith.NetProhibited:
      return 9;
    case RejectWith.HostProhibited:
      return 10;
    default:
      return 13; // admin prohibited (ICMP_PKT_FILTERED)
  }
}

function sendReset(stack: Ipv4Stack, ctx: PacketCtx): void {
  const w = stack.world;
  const pool = w.pool;
  const ou8 = ctx.u8;
  const ooff = ctx.l3Off;
  if (ctx.proto !== IPPROTO_TCP || ctx.fragOff !== 0) return;
  const ihl = (ou8[ooff]! & 0x0f) << 2;
  const t = ooff + ihl;
  if (t + 20 > ctx.end) return;
  const flags = ou8[t + 13]!;
  if (flags & TCP_RST) return;
  const doff = (ou8[t + 12]! >>> 4) << 2;
  const payload = ctx.end - t - doff;
  const h = w.newFrame();
  const u8 = pool.bytesOf(h);
  const off = pool.start[h]!;
  pool.setLength(h, 40);
  // IPv4 header (nf_reject_iphdr_put).
  u8[off] = 0x45;
  u8[off + 1] = 0;
  wr16(u8, off + 2, 40);
  wr16(u8, off + 4, 0);
  wr16(u8, off + 6, 0x4000);
  u8[off + 8] = stack.defaultTtl;
  u8[off + 9] = IPPROTO_TCP;
  wr16(u8, off + 10, 0);
  wr32(u8, off + 12, rd32(ou8, ooff + 16));
  wr32(u8, off + 16, rd32(ou8, ooff + 12));
  wr16(u8, off + 10, csumFull(u8, off, 20));
  // TCP header (nf_reject_ip_tcphdr_put).
  const tt = off + 20;
  wr16(u8, tt, rd16(ou8, t + 2));
  wr16(u8, tt + 2, rd16(ou8, t));
  let f = TCP_RST;
  if (flags & TCP_ACK) {
    wr32(u8, tt + 4, rd32(ou8, t + 8));
    wr32(u8, tt + 8, 0);
  } else {
    wr32(u8, tt + 4, 0);
    const seq = rd32(ou8, t + 4);
    const inc = payload + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    wr32(u8, tt + 8, (seq + inc) >>> 0);
    f |= TCP_ACK;
  }
  u8[tt + 12] = 5 << 4;
  u8[tt + 13] = f;
  wr16(u8, tt + 14, 0);
  wr16(u8, tt + 16, 0);
  wr16(u8, tt + 18, 0);
  wr16(u8, tt + 16, tcpChecksum(u8, tt, 20, rd32(u8, off + 12), rd32(u8, off + 16)));
  // The RST answers a traced packet: it joins the trace, marked as REJECT's reply.
  if (pool.traceId[ctx.h]! >= 0)
    traceReply(w, ctx.h, h, ctx.inDev >= 0 ? ctx.inDev : ctx.outDev, 'REJECT --reject-with tcp-reset');
  stack.sendLocalAnySrc(h);
}

onNetfilterCreated((nf) => {
  const ns = nf.ns;
  if (ns === null) return;
  const stack = ns.ipv4 as Ipv4Stack;
  nf.rejecter = {
    reject(ctx: PacketCtx, kind: number): void {
      if (kind === RejectWith.TcpReset) sendReset(stack, ctx);
      else stack.icmpSend(ctx.h, ICMP_DEST_UNREACH, icmpCode(kind), 0);
    },
  };
  nf.addrTypes = {
    // inet_addr_type / inet_dev_addr_type: the type of the local-table (then main) route for addr.
    localType(addr: number, devId: number): number {
      if (addr === 0xffffffff) return RTN.Broadcast;
      if (addr >>> 28 === 14) return RTN.Multicast;
      const fib = stack.fib;
      const r = fib.lookup(addr);
      if (r < 0) return RTN.Unicast;
      const type = fib.type[r]!;
      if (type !== RTN.Local && type !== RTN.Broadcast) return RTN.Unicast;
      if (devId >= 0 && fib.devId[r] !== devId) return RTN.Unicast;
      return type;
    },
  };
});
