// Explanations for people and tools: text (one line per stage, grouped and indented per namespace,
// rule text verbatim) and JSON Lines (one object per stage with stable keys), plus the per-probe
// object the JSON report carries.
//
// Also derives which of the five netfilter hooks a packet did *not* traverse in each namespace it
// crossed, and why — from the hook rows recorded where the packet reached a hook (with or without
// rules there) and the route rows that say which path it took: a DNATed published port shows
// "INPUT not traversed (forwarded after DNAT in PREROUTING)".

import { DROP_REASON_NAMES } from '../net/drop-reason.js';
import { nudName } from '../net/ipv4/neighbour.js';
import type { World } from '../net/world.js';
import { HOOK_NAMES, TABLE_NAMES } from '../netfilter/hook-id.js';
import {
  NatRowKind,
  NeighResult,
  NF_VERDICT_NAMES,
  NoteKind,
  RouteResult,
  type StageRecord,
  type TraceRecord,
} from './explain.js';

const BRIDGE_NAMES = ['forward', 'flood', 'local', 'drop'] as const;
const ROUTE_NAMES = ['local', 'forward', 'output', 'no-route', 'unreachable', 'output-local'] as const;
const NEIGH_NAMES = ['resolved', 'queued', 'failed', 'resolved-later'] as const;
const NAT_NAMES = ['rewrite', 'SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT'] as const;
const NOTE_NAMES = ['text', 'reply', 'clone', 'fragment', 'fragmented', 'turnaround', 'sent'] as const;

function ipText(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** The namespace name of each row: the device's namespace, or the previous row's (rows without a device). */
function namespacesOf(world: World, t: TraceRecord): string[] {
  const out: string[] = [];
  const byPacket = new Map<number, string>();
  for (const r of t.stages) {
    const d = r.dev >= 0 ? world.devices[r.dev] : undefined;
    let ns = d?.ns.name;
    if (ns === undefined) {
      // Rows recorded without a device (an app's send, the End of a delivered frame) belong where the
      // packet was: the next row of the same packet for a first row, else the previous one.
      ns = byPacket.get(r.packet);
      if (ns === undefined) {
        const next = t.stages.find(
          (x, k) =>
            k > out.length && x.packet === r.packet && x.dev >= 0 && world.devices[x.dev] !== undefined,
        );
        ns = next !== undefined ? world.devices[next.dev]!.ns.name : '?';
      }
    }
    byPacket.set(r.packet, ns);
    out.push(ns);
  }
  return out;
}

function devName(world: World, id: number): string {
  return world.devices[id]?.name ?? `dev#${id}`;
}

/** One stage as a line of text (without indentation). */
export function stageText(world: World, r: StageRecord): string {
  const note = r.note ?? '';
  switch (r.stage) {
    case 'rx':
      return `rx ${devName(world, r.dev)}: ${note}`;
    case 'tx':
      return `tx ${devName(world, r.dev)}: ${note}`;
    case 'bridge':
      return `bridge ${devName(world, r.dev)}: ${BRIDGE_NAMES[r.a] ?? r.a}${note ? ` — ${note}` : ''}`;
    case 'netfilter': {
      if (r.b < 0) return `${HOOK_NAMES[r.a] ?? r.a}`;
      const v = NF_VERDICT_NAMES[r.c] ?? '';
      return `${TABLE_NAMES[r.b] ?? r.b}: ${note}${v !== '' && !note.startsWith('nat table not consulted') ? ` → ${v}` : ''}`;
    }
    case 'conntrack':
    case 'nat':
    case 'ipvs':
    case 'socket':
      return note;
    case 'route':
      return `route: ${note || ROUTE_NAMES[r.a]}`;
    case 'neighbour': {
      const nh = `${ipText(r.c)} dev ${devName(world, r.dev)}`;
      if (r.a === NeighResult.Resolved) return `neighbour ${nh}: resolved (${nudName(r.b)})`;
      if (r.a === NeighResult.Queued)
        return `neighbour ${nh}: not resolved yet: packet queued, ARP request sent (INCOMPLETE)`;
      if (r.a === NeighResult.Failed) return `neighbour ${nh}: FAILED`;
      return `neighbour ${nh}: resolved by ARP (${nudName(r.b)}): queued packet sent`;
    }
    case 'tunnel':
      return r.a === 1
        ? `vxlan ${devName(world, r.dev)}: encapsulated, VNI ${r.b}, remote ${ipText(r.c)}`
        : `vxlan ${devName(world, r.dev)}: decapsulated, VNI ${r.b}, from ${ipText(r.c)}`;
    case 'note':
      return note;
    case 'end': {
      return '';
    }
  }
  return note;
}

/** Why a hook was not traversed in a namespace segment (null: it was). */
interface Segment {
  ns: string;
  rows: number[];
}

function segmentsOf(t: TraceRecord, nsOf: string[], packet: number): Segment[] {
  const segs: Segment[] = [];
  for (const k of t.packets[packet]!.rows) {
    const ns = nsOf[k]!;
    const last = segs[segs.length - 1];
    if (last !== undefined && last.ns === ns) last.rows.push(k);
    else segs.push({ ns, rows: [k] });
  }
  return segs;
}

/**
 * The hooks of the five a packet did not traverse in one namespace segment, with the reason. Empty
 * when the segment has no IPv4 processing at all (a frame only passing a device) unless it was bridged.
 */
export function hooksNotTraversed(t: TraceRecord, seg: Segment): { hook: string; why: string }[] {
  const rows = seg.rows.map((k) => t.stages[k]!);
  const crossed = new Set<number>();
  let forwarded = false;
  let local = false;
  let output = false;
  let bridged = false;
  let dnatAt = -1;
  let endedAt: string | null = null;
  let lastHook = -1;
  for (const r of rows) {
    if (r.stage === 'netfilter' && r.b < 0) {
      crossed.add(r.a);
      lastHook = r.a;
    }
    if (r.stage === 'route') {
      if (r.a === RouteResult.Forward) forwarded = true;
      else if (r.a === RouteResult.Local) local = true;
      else if (r.a === RouteResult.Output || r.a === RouteResult.OutputLocal) output = true;
    }
    if (r.stage === 'note' && (r.a === NoteKind.Sent || r.a === NoteKind.Reply)) output = true;
    if (r.stage === 'bridge') bridged = true;
    if (
      r.stage === 'nat' &&
      (r.a === NatRowKind.DNAT || r.a === NatRowKind.REDIRECT || r.a === NatRowKind.Rewrite)
    ) {
      if (r.a !== NatRowKind.Rewrite || (r.note ?? '').includes('destination')) dnatAt = lastHook;
    }
    if (r.stage === 'end' && r.a !== 0) endedAt = lastHook >= 0 ? (HOOK_NAMES[lastHook] ?? '') : '';
  }
  const ipv4 = forwarded || local || output || crossed.size > 0;
  if (!ipv4) {
    if (bridged) return [{ hook: 'all', why: 'bridged at layer 2: the IPv4 hooks are not on this path' }];
    return [];
  }
  const out: { hook: string; why: string }[] = [];
  const afterDnat = dnatAt >= 0 ? ` after DNAT in ${HOOK_NAMES[dnatAt]}` : '';
  const routed = forwarded || local || output;
  // Hooks this path would have crossed had the packet not ended first.
  const expected = new Set<number>();
  if (forwarded) for (const k of [0, 2, 4]) expected.add(k);
  if (local) for (const k of [0, 1]) expected.add(k);
  if (output) for (const k of [3, 4]) expected.add(k);
  for (let hook = 0; hook < 5; hook++) {
    if (crossed.has(hook)) continue;
    let why: string;
    if (endedAt !== null && (expected.has(hook) || (!routed && hook !== 3)))
      why = `not reached: the packet ended${endedAt !== '' ? ` after ${endedAt}` : ''}`;
    else if (hook === 1)
      why = forwarded
        ? `forwarded${afterDnat}`
        : output
          ? 'locally generated, not addressed to this host'
          : 'not addressed to this host';
    else if (hook === 2) why = local ? 'delivered locally' : output ? 'locally generated' : 'not forwarded';
    else if (hook === 3) why = 'not locally generated';
    else if (hook === 0) why = 'locally generated';
    else why = 'delivered locally';
    out.push({ hook: HOOK_NAMES[hook]!, why });
  }
  return out;
}

function endText(world: World, r: StageRecord, disp: string | null): string {
  const name = disp ?? 'DELIVERED';
  if (name === 'DELIVERED') return '⇒ DELIVERED';
  const reason = DROP_REASON_NAMES[r.b] ?? String(r.b);
  const where = r.dev >= 0 ? ` at ${devName(world, r.dev)}` : '';
  return `⇒ ${name} (${reason})${where}`;
}

function originText(t: TraceRecord, p: TraceRecord['packets'][number]): string {
  switch (p.origin) {
    case 'sent':
      return p.index === 0 ? 'sent by the probe' : 'sent by a socket of the traced connection';
    case 'reply':
      return `answer to packet ${p.parent + 1}`;
    case 'clone':
      return `copy of packet ${p.parent + 1}`;
    case 'fragment':
      return `fragment of packet ${p.parent + 1}`;
    default:
      return t.packets.length === 1 ? 'traced' : 'traced packet';
  }
}

/** The explanation as text for people. */
export function explainText(world: World, t: TraceRecord): string {
  const nsOf = namespacesOf(world, t);
  const lines: string[] = [];
  const t0 = t.stages[0]?.time ?? 0;
  const headReason = t.reason !== null && t.disposition !== 'DELIVERED' ? ` (${t.reason})` : '';
  lines.push(`${t.label}: ${t.disposition ?? 'NOT SENT'}${headReason}`);
  for (const p of t.packets) {
    lines.push(`packet ${p.index + 1} (${originText(t, p)}): ${p.disposition ?? 'IN_FLIGHT'}`);
    for (const seg of segmentsOf(t, nsOf, p.index)) {
      const first = t.stages[seg.rows[0]!]!;
      lines.push(`  ${seg.ns} (+${fmtUs(first.time - t0)}):`);
      let inHook = false;
      for (let j = 0; j < seg.rows.length; j++) {
        const k = seg.rows[j]!;
        const r = t.stages[k]!;
        if (r.stage === 'end') {
          lines.push(`    ${endText(world, r, p.disposition)}`);
          continue;
        }
        const hookPart =
          r.stage === 'conntrack' || r.stage === 'nat' || (r.stage === 'netfilter' && r.b >= 0);
        if (r.stage === 'netfilter' && r.b < 0) {
          // A hook with nothing under it had no rules (and no conntrack) in this namespace.
          const next = seg.rows[j + 1] !== undefined ? t.stages[seg.rows[j + 1]!]! : undefined;
          const empty =
            next === undefined ||
            !(
              next.stage === 'conntrack' ||
              next.stage === 'nat' ||
              (next.stage === 'netfilter' && next.b >= 0)
            );
          lines.push(`    ${stageText(world, r)}${empty ? ': no rules' : ''}`);
          inHook = !empty;
          continue;
        }
        if (!hookPart) inHook = false;
        lines.push(`${inHook && hookPart ? '      ' : '    '}${stageText(world, r)}`);
      }
      const missing = hooksNotTraversed(t, seg);
      if (missing.length > 0) {
        lines.push(
          `    not traversed: ${missing.map((m) => (m.hook === 'all' ? m.why : `${m.hook} (${m.why})`)).join(', ')}`,
        );
      }
    }
  }
  return lines.join('\n');
}

function fmtUs(ns: number): string {
  const us = ns / 1000;
  return `${Number.isInteger(us) ? us : us.toFixed(3)}µs`;
}

/** Stage-specific fields for JSON (stable names). */
function fields(world: World, r: StageRecord): Record<string, unknown> {
  switch (r.stage) {
    case 'rx':
    case 'tx':
      return { len: r.a };
    case 'bridge':
      return {
        decision: BRIDGE_NAMES[r.a] ?? r.a,
        egress: r.b >= 0 ? devName(world, r.b) : null,
        ingress: r.c >= 0 ? devName(world, r.c) : null,
      };
    case 'netfilter':
      return r.b < 0
        ? { hook: HOOK_NAMES[r.a], table: null, verdict: null }
        : { hook: HOOK_NAMES[r.a], table: TABLE_NAMES[r.b], verdict: NF_VERDICT_NAMES[r.c] ?? null };
    case 'conntrack':
      return { ctEntry: r.b, direction: r.c === 1 ? 'reply' : 'original' };
    case 'nat':
      return { kind: NAT_NAMES[r.a] ?? r.a, addr: ipText(r.b), port: r.c };
    case 'route':
      return {
        result: ROUTE_NAMES[r.a] ?? r.a,
        out: r.b >= 0 ? devName(world, r.b) : null,
        gateway: r.c !== 0 ? ipText(r.c) : null,
      };
    case 'neighbour':
      return { result: NEIGH_NAMES[r.a] ?? r.a, state: nudName(r.b), nexthop: ipText(r.c) };
    case 'socket':
      return { proto: r.a, port: r.b, delivered: r.c === 1 };
    case 'tunnel':
      return { op: r.a === 1 ? 'encap' : 'decap', vni: r.b, addr: ipText(r.c) };
    case 'ipvs':
      return { service: r.a, server: ipText(r.b), port: r.c };
    case 'note':
      return { kind: NOTE_NAMES[r.a] ?? r.a };
    case 'end':
      return {};
  }
  return {};
}

/** One JSON object per stage (JSON Lines for tools). Keys: trace, label, i, packet, t, ns, dev, stage, …, text. */
export function explainJsonl(world: World, t: TraceRecord): string[] {
  const nsOf = namespacesOf(world, t);
  return t.stages.map((r, i) => {
    const p = t.packets[r.packet]!;
    const base: Record<string, unknown> = {
      trace: t.id,
      label: t.label,
      i,
      packet: r.packet + 1,
      t: r.time,
      ns: nsOf[i],
      dev: r.dev >= 0 ? devName(world, r.dev) : null,
      stage: r.stage,
      ...fields(world, r),
    };
    if (r.stage === 'end') {
      base.disposition = p.disposition;
      base.reason = p.disposition === 'DELIVERED' ? null : (DROP_REASON_NAMES[r.b] ?? null);
    }
    base.text = r.stage === 'end' ? endText(world, r, p.disposition) : stageText(world, r);
    return JSON.stringify(base);
  });
}

/** The JSON report's entry for one trace. */
export function explanationJson(world: World, t: TraceRecord): Record<string, unknown> {
  const nsOf = namespacesOf(world, t);
  return {
    label: t.label,
    disposition: t.disposition,
    reason: t.disposition === 'DELIVERED' ? null : t.reason,
    packets: t.packets.map((p) => ({
      packet: p.index + 1,
      origin: p.origin,
      parent: p.parent >= 0 ? p.parent + 1 : null,
      disposition: p.disposition,
      reason: p.disposition === 'DELIVERED' ? null : p.reason,
      namespaces: segmentsOf(t, nsOf, p.index).map((s) => ({
        ns: s.ns,
        notTraversed: hooksNotTraversed(t, s),
      })),
    })),
    text: explainText(world, t).split('\n'),
  };
}
