// Explanation rows for conntrack and NAT (traced frames only; see points.ts for the rules).
//
// Called by the conntrack adapter (src/netfilter/conntrack/hook.ts) right after the lookup, the NAT
// binding and the per-packet rewrite it performed, from the same values it acts on.

import { Drop } from '../net/drop-reason.js';
import type { Conntrack } from '../netfilter/conntrack/conntrack.js';
import { CtInfo, Dir, Ips } from '../netfilter/conntrack/tuple.js';
import type { PacketCtx } from '../netfilter/context.js';
import { CtState } from '../netfilter/context.js';
import { HOOK_NAMES } from '../netfilter/hook-id.js';
import { NatRowKind } from './explain.js';
import { ipText, traceConntrack, traceNat } from './points.js';

function stateName(s: number): string {
  if (s & CtState.New) return 'NEW';
  if (s & CtState.Established) return 'ESTABLISHED';
  if (s & CtState.Related) return 'RELATED';
  if (s & CtState.Untracked) return 'UNTRACKED';
  return 'INVALID';
}

function protoName(p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 1 ? 'icmp' : String(p);
}

function ep(addr: number, port: number, proto: number): string {
  return proto === 6 || proto === 17 ? `${ipText(addr)}:${port}` : ipText(addr);
}

function devOf(ctx: PacketCtx): number {
  return ctx.inDev >= 0 ? ctx.inDev : ctx.outDev;
}

/** nf_conntrack_in's result for the frame in `ctx` (`drop` = the Drop reason it returned, or 0). */
export function explainConntrack(ct: Conntrack, ctx: PacketCtx, drop: number): void {
  const w = ct.world;
  const h = ctx.h;
  const t = w.pool.traceId[h]!;
  const id = ctx.ctId;
  const state = stateName(ctx.ctState);
  let text: string;
  let row = -1;
  if (drop === Drop.CtTableFull) {
    // __nf_conntrack_alloc: "nf_conntrack: table full, dropping packet" (early_drop found nothing).
    text = `conntrack: table full, dropping packet (nf_conntrack_max ${ct.sys.max} entries, none could be early-dropped)`;
  } else if (id < 0) {
    text = `conntrack: no entry (ctstate INVALID)${drop !== 0 ? ': dropped' : ''}`;
  } else if ((id & 7) === CtInfo.Untracked) {
    text = 'conntrack: untracked (raw table NOTRACK / CT --notrack)';
  } else {
    row = id >> 3;
    const tb = ct.table;
    const dir = ctx.ctDir === 1 ? 'reply' : 'original';
    const o = `${protoName(tb.proto[row]!)} ${ep(tb.origSrc[row]!, tb.origSport[row]!, tb.proto[row]!)} → ${ep(tb.origDst[row]!, tb.origDport[row]!, tb.proto[row]!)}`;
    const info = id & 7;
    const fresh = info === CtInfo.New && (tb.status[row]! & Ips.CONFIRMED) === 0;
    text = `conntrack: ${state} (${dir} direction) entry #${row} ${o}${fresh ? ' (new entry, confirmed when the packet leaves the namespace or is delivered)' : ''}`;
  }
  traceConntrack(w, t, h, devOf(ctx), ctx.ctState, row, ctx.ctDir, text);
}

/** Kinds the adapter passes (NatKind order: SNAT 0, DNAT 1, MASQUERADE 2, REDIRECT 3). */
const KIND_NAMES = ['SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT'] as const;

/**
 * A NAT target bound connection `r` (`drop` = the Drop reason it returned, or 0): the tuple the
 * binding maps to, and whether the port was kept or searched.
 */
export function explainNatBinding(
  ct: Conntrack,
  ctx: PacketCtx,
  kind: number,
  r: number,
  drop: number,
): void {
  const w = ct.world;
  const h = ctx.h;
  const t = w.pool.traceId[h]!;
  const tb = ct.table;
  const name = KIND_NAMES[kind] ?? 'NAT';
  const proto = tb.proto[r]!;
  const ports = proto === 6 || proto === 17;
  // The packet will look like the inverse of the reply tuple.
  const newSrc = tb.replyDst[r]!;
  const newDst = tb.replySrc[r]!;
  const newSport = tb.replyDport[r]!;
  const newDport = tb.replySport[r]!;
  const oSrc = tb.origSrc[r]!;
  const oDst = tb.origDst[r]!;
  const oSport = tb.origSport[r]!;
  const oDport = tb.origDport[r]!;
  const before = `${ep(oSrc, oSport, proto)} → ${ep(oDst, oDport, proto)}`;
  const after = `${ep(newSrc, newSport, proto)} → ${ep(newDst, newDport, proto)}`;
  const src = kind === 0 || kind === 2;
  let why = '';
  if (drop !== 0) why = ': no binding possible, dropped';
  else if (ports && src) {
    why =
      newSport === oSport
        ? `; source port ${oSport} kept (the resulting tuple is unique)`
        : `; source port ${oSport} would clash with an existing connection: searched its port class and chose ${newSport}`;
  } else if (ports && !src) {
    why =
      newDport === oDport
        ? `; destination port ${oDport} kept`
        : `; destination port ${oDport} → ${newDport} (rule's port)`;
  }
  const kindRow =
    kind === 0
      ? NatRowKind.SNAT
      : kind === 1
        ? NatRowKind.DNAT
        : kind === 2
          ? NatRowKind.MASQUERADE
          : NatRowKind.REDIRECT;
  traceNat(
    w,
    t,
    h,
    devOf(ctx),
    kindRow,
    src ? newSrc : newDst,
    src ? newSport : newDport,
    `${name} binding at ${HOOK_NAMES[ctx.hook]}: ${before} becomes ${after}${why}`,
  );
}

/**
 * After the NAT hook's rewrite: when the packet's addresses or ports changed, a row with the tuple
 * before and after (`ctx` still holds the values parsed when the hook started).
 */
export function explainNatRewrite(ct: Conntrack, ctx: PacketCtx, hook: number): void {
  const w = ct.world;
  const h = ctx.h;
  const u8 = w.pool.bytesOf(h);
  const o = ctx.l3Off;
  const src = ((u8[o + 12]! << 24) | (u8[o + 13]! << 16) | (u8[o + 14]! << 8) | u8[o + 15]!) >>> 0;
  const dst = ((u8[o + 16]! << 24) | (u8[o + 17]! << 16) | (u8[o + 18]! << 8) | u8[o + 19]!) >>> 0;
  const l4 = ctx.l4Off;
  const hasPorts = (ctx.proto === 6 || ctx.proto === 17) && ctx.l4Avail >= 4;
  const sport = hasPorts ? (u8[l4]! << 8) | u8[l4 + 1]! : 0;
  const dport = hasPorts ? (u8[l4 + 2]! << 8) | u8[l4 + 3]! : 0;
  if (src === ctx.src && dst === ctx.dst && sport === ctx.sport && dport === ctx.dport) return;
  const p = ctx.proto;
  const before = `${ep(ctx.src, ctx.sport, p)} → ${ep(ctx.dst, ctx.dport, p)}`;
  const after = `${ep(src, sport, p)} → ${ep(dst, dport, p)}`;
  const id = ctx.ctId;
  const reply = id >= 0 && (id & 7) >= CtInfo.EstablishedReply && (id & 7) !== CtInfo.Untracked;
  const how = `${src !== ctx.src || sport !== ctx.sport ? 'source' : 'destination'} rewritten`;
  const existing = id >= 0 && (id & 7) !== CtInfo.New ? ' by the connection’s existing binding' : '';
  const dir = reply ? ' (reply direction: the NAT undone)' : '';
  traceNat(
    w,
    w.pool.traceId[h]!,
    h,
    devOf(ctx),
    NatRowKind.Rewrite,
    src !== ctx.src ? src : dst,
    src !== ctx.src ? sport : dport,
    `${HOOK_NAMES[hook]} ${how}${existing}${dir}: ${before} becomes ${after}`,
  );
}

export { Dir };
