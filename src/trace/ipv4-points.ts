// Explanation rows for the IPv4 layer: route decisions, hooks a packet reached with no rules there,
// neighbour resolution, local sockets, answers the stack makes. Traced frames only (the caller checked
// `pool.traceId[h] >= 0`); see points.ts.

import type { Device } from '../net/device.js';
import { ERR, RTN } from '../net/ipv4/fib.js';
import { NUD } from '../net/ipv4/neighbour.js';
import type { Ipv4Stack, OutRoute } from '../net/ipv4/stack.js';
import { NeighResult, NoteKind, RouteResult } from './explain.js';
import { ipText, traceHook, traceNeighbour, traceNote, traceRoute, traceSocket } from './points.js';

/** The hook rows when netfilter has nothing at `hook` in this namespace (run() records its own). */
export function explainIdleHook(stack: Ipv4Stack, hook: number, h: number, devId: number): void {
  const nf = stack.ns.nf;
  if (nf !== null && nf.active[hook] !== 0) return;
  const w = stack.world;
  traceHook(w, w.pool.traceId[h]!, h, devId, hook);
}

function devName(stack: Ipv4Stack, id: number): string {
  return stack.world.devices[id]?.name ?? `dev#${id}`;
}

/** Input routing chose local delivery (a local or broadcast address). */
export function explainLocal(stack: Ipv4Stack, h: number, dev: Device, broadcast: boolean): void {
  const w = stack.world;
  const text = broadcast ? 'broadcast: delivered to this host' : 'local address: delivered to this host';
  traceRoute(w, w.pool.traceId[h]!, h, dev.id, RouteResult.Local, -1, 0, text);
}

/** Input routing chose to forward through route `r`. */
export function explainForward(stack: Ipv4Stack, h: number, inDev: Device, r: number): void {
  const w = stack.world;
  const fib = stack.fib;
  const out = fib.devId[r]!;
  const gw = fib.gw[r]!;
  const via = gw !== 0 ? `via ${ipText(gw)} ` : '';
  traceRoute(
    w,
    w.pool.traceId[h]!,
    h,
    inDev.id,
    RouteResult.Forward,
    out,
    gw,
    `forward ${via}dev ${devName(stack, out)}`,
  );
}

/** `ip_error`: no usable route (or forwarding disabled). */
export function explainIpError(
  stack: Ipv4Stack,
  h: number,
  dev: Device,
  err: number,
  forwarding: boolean,
): void {
  const w = stack.world;
  let result: number = RouteResult.Unreachable;
  let text: string;
  if (!forwarding) text = 'not a local address and forwarding is disabled (net.ipv4.ip_forward=0): dropped';
  else if (err === ERR.ENETUNREACH) {
    result = RouteResult.NoRoute;
    text = 'no route to the destination: ICMP net unreachable';
  } else if (err === ERR.EHOSTUNREACH) text = 'unreachable route: ICMP host unreachable';
  else if (err === ERR.EACCES) text = 'prohibit route: ICMP packet filtered';
  else text = 'blackhole route: dropped silently';
  traceRoute(w, w.pool.traceId[h]!, h, dev.id, result, -1, 0, text);
}

/** Output routing of a locally generated packet (also echo replies and ICMP errors). */
export function explainOutput(stack: Ipv4Stack, h: number, out: OutRoute): void {
  const w = stack.world;
  const t = w.pool.traceId[h]!;
  if (out.type === RTN.Local) {
    traceRoute(
      w,
      t,
      h,
      out.devId,
      RouteResult.OutputLocal,
      out.devId,
      0,
      'output to a local address: via lo',
    );
    return;
  }
  const fib = stack.fib;
  const gw = out.routeId >= 0 && fib.gw[out.routeId] !== 0 ? fib.gw[out.routeId]! : 0;
  const via = gw !== 0 ? `via ${ipText(gw)} ` : '';
  traceRoute(
    w,
    t,
    h,
    out.devId,
    RouteResult.Output,
    out.devId,
    gw,
    `output ${via}dev ${devName(stack, out.devId)} src ${ipText(out.src)}`,
  );
}

/** Output routing failed (`err` a negative errno from routeOutput). */
export function explainOutputError(stack: Ipv4Stack, h: number, err: number): void {
  const w = stack.world;
  const dev = stack.ns.lo.id;
  const text =
    err === ERR.EINVAL
      ? 'output: blackhole route (or a source address that is not ours)'
      : err === ERR.EACCES
        ? 'output: prohibit route'
        : err === ERR.EHOSTUNREACH
          ? 'output: unreachable route'
          : 'output: no route to the destination (ENETUNREACH)';
  traceRoute(
    w,
    w.pool.traceId[h]!,
    h,
    dev,
    err === ERR.ENETUNREACH ? RouteResult.NoRoute : RouteResult.Unreachable,
    -1,
    0,
    text,
  );
}

/** Before neigh_event_send: what the entry's state means for this packet. */
export function explainNeighbour(stack: Ipv4Stack, h: number, dev: Device, n: number, nexthop: number): void {
  const w = stack.world;
  const st = stack.neigh.state[n]!;
  const usable = (st & (NUD.Reachable | NUD.Permanent | NUD.Noarp | NUD.Stale | NUD.Delay | NUD.Probe)) !== 0;
  traceNeighbour(
    w,
    w.pool.traceId[h]!,
    h,
    dev.id,
    usable ? NeighResult.Resolved : st & NUD.Failed ? NeighResult.Failed : NeighResult.Queued,
    st,
    nexthop,
  );
}

/** A packet that waited for ARP leaves now that the entry resolved. */
export function explainNeighbourResolved(stack: Ipv4Stack, h: number, n: number): void {
  const w = stack.world;
  const neigh = stack.neigh;
  traceNeighbour(
    w,
    w.pool.traceId[h]!,
    h,
    neigh.devId[n]!,
    NeighResult.ResolvedLater,
    neigh.state[n]!,
    neigh.addr[n]!,
  );
}

/** The echo request becomes the echo reply in place (`icmp_echo`): same frame, now going back. */
export function explainEcho(stack: Ipv4Stack, h: number, dev: Device): void {
  const w = stack.world;
  traceNote(
    w,
    w.pool.traceId[h]!,
    h,
    dev.id,
    NoteKind.Turnaround,
    -1,
    'ICMP echo request answered by the kernel: the frame becomes the echo reply',
  );
}

/** ICMP to a ping socket: delivered, or no socket with that identifier. */
export function explainPing(stack: Ipv4Stack, h: number, dev: Device, ident: number, found: boolean): void {
  const w = stack.world;
  traceSocket(
    w,
    w.pool.traceId[h]!,
    h,
    dev.id,
    1,
    ident,
    found,
    found ? `echo reply to the ping socket with id ${ident}` : `no ping socket with id ${ident}`,
  );
}

/** The packet is split into fragments; each fragment continues the trace. */
export function explainFragment(stack: Ipv4Stack, h: number, f: number, dev: Device): void {
  const w = stack.world;
  const t = w.pool.traceId[h]!;
  w.pool.traceId[f] = t;
  traceNote(w, t, f, dev.id, NoteKind.Fragment, h, `fragment for MTU ${dev.mtu} of ${dev.name}`);
}

export function explainFragmented(stack: Ipv4Stack, h: number, dev: Device): void {
  const w = stack.world;
  traceNote(
    w,
    w.pool.traceId[h]!,
    h,
    dev.id,
    NoteKind.Fragmented,
    -1,
    `larger than the MTU ${dev.mtu} of ${dev.name} and DF clear: fragmented`,
  );
}
