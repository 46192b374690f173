// Per-packet explanations: the ordered stages a traced frame passed and how it ended.
//
// The data plane records a stage only for frames whose `pool.traceId[h]` is >= 0, so tracing costs one
// typed-array read per stage when it is off. Stages are rows of numbers in growable typed arrays (no
// object per stage); text is produced only when a report asks for it, from the numbers plus the
// `notes` strings a module attached at record time (rule text, a chain name), which only traced
// frames pay for.
//
// The disposition of a frame is recorded by the same calls that end it — `World.consume` and
// `World.drop` — so an explanation can never disagree with what happened to the frame.
//
// Clones made for flooding inherit the trace id (the pool copies metadata), so a flooded broadcast
// explains every copy; packets the stack makes in answer to a traced packet (echo replies, ICMP
// errors, RSTs) carry the same id when the module that makes them copies it.

import { DROP_REASON_NAMES, Drop } from '../net/drop-reason.js';

/**
 * What happened at one stage. `dev` is a device of the namespace the stage happened in (how the
 * renderer knows where it was); `a`, `b`, `c` are stage-specific numbers; `note` is text made at record
 * time for traced frames only.
 */
export const Stage = {
  /** a = frame length, b = EtherType; note = packet summary. */
  DevRx: 0,
  DevTx: 1,
  /** dev = bridge; a = BridgeDecision, b = egress port device id (or copies for a flood), c = ingress port or -1. */
  Bridge: 2,
  /**
   * a = hook (0..4), b = table id (-1 = the hook itself: one row when a packet reaches a hook, before
   * its tables), c = NfVerdict; note = the deciding rule as `iptables -S` prints it (+ source line),
   * the policy (`-P CHAIN ACCEPT`), or why the table was not consulted.
   */
  Netfilter: 3,
  /** a = CtState bit, b = conntrack row (-1 = none), c = direction (0 original, 1 reply); note = tuple. */
  Conntrack: 4,
  /** a = NatRowKind, b = new address, c = new port; note = tuple before → after and why this port. */
  Nat: 5,
  /** a = RouteResult, b = egress device id (-1 none), c = gateway u32 (0 = on-link). */
  Route: 6,
  /** a = NeighResult, b = NUD state bits, c = next hop u32. */
  Neighbour: 7,
  /** a = service index, b = real server u32, c = port; note = the scheduler's reason. */
  Ipvs: 8,
  /** a = 1 encap, 2 decap; b = VNI; c = remote (encap) or outer source (decap) u32. */
  Tunnel: 9,
  /** a = protocol, b = port, c = 1 delivered to a socket, 0 none. */
  Socket: 10,
  /** a = NoteKind, b = parent frame handle (Clone, Fragment) or -1; note = text. */
  Note: 11,
  /** Terminal: a = Disposition, b = drop reason (when dropped), c = device id or -1. */
  End: 12,
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

/** Netfilter row verdicts: the kernel's NF_DROP/NF_ACCEPT/NF_STOLEN plus REJECT (a DROP with a reply). */
export const NfVerdict = { None: -1, Drop: 0, Accept: 1, Stolen: 2, Reject: 3 } as const;
export const NF_VERDICT_NAMES = ['DROP', 'ACCEPT', 'STOLEN', 'REJECT'] as const;

/** Route rows. */
export const RouteResult = {
  /** Input route: a local address (or broadcast) — delivered to this host. */
  Local: 0,
  /** Input route: forwarded through `b` (gateway `c`). */
  Forward: 1,
  /** Output route of a locally generated packet through `b` (gateway `c`). */
  Output: 2,
  /** No route (ENETUNREACH). */
  NoRoute: 3,
  /** An unreachable / prohibit / blackhole route, or forwarding disabled (note says which). */
  Unreachable: 4,
  /** Output to a local address: through `lo`. */
  OutputLocal: 5,
} as const;

export const NeighResult = { Resolved: 0, Queued: 1, Failed: 2, ResolvedLater: 3 } as const;

/** Kinds of Nat rows. */
export const NatRowKind = { Rewrite: 0, SNAT: 1, DNAT: 2, MASQUERADE: 3, REDIRECT: 4 } as const;

/** Kinds of Note rows. */
export const NoteKind = {
  Text: 0,
  /** A new packet made in answer to the traced one (ICMP error, RST, REJECT reply): its first row. */
  Reply: 1,
  /** A copy of frame `b` (flooding): its first row. */
  Clone: 2,
  /** A fragment of frame `b`: its first row. */
  Fragment: 3,
  /** The frame was split into fragments: its End row is not an outcome. */
  Fragmented: 4,
  /** The frame turned into an answer in place (ICMP echo → echo reply). */
  Turnaround: 5,
  /** The application that owns the trace sent this frame: its first row. */
  Sent: 6,
} as const;

export const STAGE_NAMES = [
  'rx',
  'tx',
  'bridge',
  'netfilter',
  'conntrack',
  'nat',
  'route',
  'neighbour',
  'ipvs',
  'tunnel',
  'socket',
  'note',
  'end',
] as const;

/** The closed set of ways a traced frame ends (design.md §7). */
export const Disposition = {
  Delivered: 0,
  Dropped: 1,
  Rejected: 2,
  NoRoute: 3,
  NeighbourUnreachable: 4,
  MtuExceeded: 5,
  CtTableFull: 6,
  NoSocket: 7,
  TtlExpired: 8,
  /** Still in flight when the run ended. */
  InFlight: 9,
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

export const DISPOSITION_NAMES = [
  'DELIVERED',
  'DROPPED',
  'REJECTED',
  'NO_ROUTE',
  'NEIGHBOR_UNREACHABLE',
  'MTU_EXCEEDED',
  'CT_TABLE_FULL',
  'NO_SOCKET',
  'TTL_EXPIRED',
  'IN_FLIGHT',
] as const;

export const BridgeDecision = { Forward: 0, Flood: 1, Local: 2, Drop: 3 } as const;

export interface StageRecord {
  time: number;
  stage: (typeof STAGE_NAMES)[number];
  dev: number;
  a: number;
  b: number;
  c: number;
  /** Frame handle at record time (-1 unknown); `packet` numbers the packets of one trace. */
  frame: number;
  packet: number;
  note?: string;
}

/** One packet of a trace: a frame from its first row to its End (a handle can be reused later). */
export interface PacketRecord {
  index: number;
  /** How it came to be: sent by the app, a reply to packet `parent`, a copy/fragment of `parent`. */
  origin: 'sent' | 'reply' | 'clone' | 'fragment' | 'unknown';
  parent: number;
  /** Rows of this packet (indexes into TraceRecord.stages). */
  rows: number[];
  disposition: (typeof DISPOSITION_NAMES)[number] | null;
  reason: string | null;
}

export interface TraceRecord {
  id: number;
  label: string;
  stages: StageRecord[];
  packets: PacketRecord[];
  /**
   * The outcome of the packet the application sent first (with its copies and fragments: the best of
   * them), null while it is still in flight. Answers (replies, errors) have their own dispositions.
   */
  disposition: (typeof DISPOSITION_NAMES)[number] | null;
  reason: string | null;
}

export class Tracer {
  private cap = 1024;
  private n = 0;
  private traceOf = new Int32Array(this.cap);
  private time = new Float64Array(this.cap);
  private stage = new Uint8Array(this.cap);
  private dev = new Int32Array(this.cap);
  private a = new Float64Array(this.cap);
  private b = new Float64Array(this.cap);
  private c = new Float64Array(this.cap);
  private frame = new Int32Array(this.cap);
  /** Notes by row index (only traced frames pay for strings). */
  private readonly notes = new Map<number, string>();
  private readonly labels: string[] = [];

  /** Opens a trace and returns its id; store it in `pool.traceId[h]` of the frame(s) to follow. */
  open(label: string): number {
    this.labels.push(label);
    return this.labels.length - 1;
  }

  get traceCount(): number {
    return this.labels.length;
  }

  /** Rows recorded so far (benchmarks and tests). */
  get rowCount(): number {
    return this.n;
  }

  label(traceId: number): string {
    return this.labels[traceId] ?? '';
  }

  record(
    traceId: number,
    now: number,
    stage: Stage,
    dev: number,
    a: number,
    b: number,
    c: number,
    frame = -1,
  ): number {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.traceOf[i] = traceId;
    this.time[i] = now;
    this.stage[i] = stage;
    this.dev[i] = dev;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.frame[i] = frame;
    return i;
  }

  /** Forgets every row and trace (benchmarks that trace millions of packets). */
  clear(): void {
    this.n = 0;
    this.notes.clear();
    this.labels.length = 0;
  }

  /** Attaches text to the row `record` returned. */
  note(row: number, text: string): void {
    this.notes.set(row, text);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array>(x: T, make: (n: number) => T): T => {
      const y = make(cap);
      y.set(x);
      return y;
    };
    this.traceOf = g(this.traceOf, (k) => new Int32Array(k));
    this.time = g(this.time, (k) => new Float64Array(k));
    this.stage = g(this.stage, (k) => new Uint8Array(k));
    this.dev = g(this.dev, (k) => new Int32Array(k));
    this.a = g(this.a, (k) => new Float64Array(k));
    this.b = g(this.b, (k) => new Float64Array(k));
    this.c = g(this.c, (k) => new Float64Array(k));
    this.frame = g(this.frame, (k) => new Int32Array(k));
    this.cap = cap;
  }

  /** Every trace with its stages in order, split into packets (config-side; allocates freely). */
  traces(): TraceRecord[] {
    const out: TraceRecord[] = this.labels.map((label, id) => ({
      id,
      label,
      stages: [],
      packets: [],
      disposition: null,
      reason: null,
    }));
    // Per trace: frame handle → index of the packet it currently carries.
    const open = out.map(() => new Map<number, number>());
    for (let i = 0; i < this.n; i++) {
      const tid = this.traceOf[i]!;
      const t = out[tid]!;
      const st = this.stage[i]! as Stage;
      const h = this.frame[i]!;
      const openOf = open[tid]!;
      let pk = openOf.get(h);
      if (pk === undefined) {
        pk = t.packets.length;
        let origin: PacketRecord['origin'] = 'unknown';
        let parent = -1;
        if (st === Stage.Note) {
          const kind = this.a[i]!;
          if (kind === NoteKind.Reply || kind === NoteKind.Clone || kind === NoteKind.Fragment) {
            origin = kind === NoteKind.Reply ? 'reply' : kind === NoteKind.Clone ? 'clone' : 'fragment';
            parent = openOf.get(this.b[i]!) ?? -1;
          } else if (kind === NoteKind.Sent) origin = 'sent';
        }
        t.packets.push({ index: pk, origin, parent, rows: [], disposition: null, reason: null });
        if (h >= 0) openOf.set(h, pk);
      }
      const rec: StageRecord = {
        time: this.time[i]!,
        stage: STAGE_NAMES[st]!,
        dev: this.dev[i]!,
        a: this.a[i]!,
        b: this.b[i]!,
        c: this.c[i]!,
        frame: h,
        packet: pk,
      };
      const note = this.notes.get(i);
      if (note !== undefined) rec.note = note;
      const p = t.packets[pk]!;
      p.rows.push(t.stages.length);
      t.stages.push(rec);
      if (st === Stage.End) {
        openOf.delete(h);
        let disp = DISPOSITION_NAMES[this.a[i]!]!;
        // REJECT is a DROP whose rule also sent a reply: the row that decided says so.
        if (disp === 'DROPPED' && this.b[i] === Drop.NetfilterDrop && lastVerdict(t, p) === NfVerdict.Reject)
          disp = 'REJECTED';
        p.disposition = disp;
        p.reason = disp === 'DELIVERED' ? null : (DROP_REASON_NAMES[this.b[i]!] ?? null);
      }
    }
    for (const t of out) decide(t);
    return out;
  }
}

/** The verdict of the last netfilter row of packet `p` (NfVerdict.None when it crossed no table). */
function lastVerdict(t: TraceRecord, p: PacketRecord): number {
  for (let k = p.rows.length - 1; k >= 0; k--) {
    const r = t.stages[p.rows[k]!]!;
    if (r.stage === 'netfilter' && r.b >= 0) return r.c;
  }
  return NfVerdict.None;
}

/** Did packet `p` split into fragments (its End is then not an outcome)? */
function fragmented(t: TraceRecord, p: PacketRecord): boolean {
  return p.rows.some((k) => {
    const r = t.stages[k]!;
    return r.stage === 'note' && r.a === NoteKind.Fragmented;
  });
}

/**
 * The trace's disposition: that of its first packet together with its copies and fragments (a flood
 * is delivered when one copy is), ignoring answers the stack made (they are packets of their own).
 */
function decide(t: TraceRecord): void {
  if (t.packets.length === 0) return;
  const family = new Set<number>([0]);
  for (const p of t.packets)
    if ((p.origin === 'clone' || p.origin === 'fragment') && family.has(p.parent)) family.add(p.index);
  let best: PacketRecord | null = null;
  for (const i of family) {
    const p = t.packets[i]!;
    if (p.disposition === null || fragmented(t, p)) continue;
    if (best === null || (p.disposition === 'DELIVERED' && best.disposition !== 'DELIVERED')) best = p;
  }
  if (best === null) {
    // Nothing ended yet: in flight (a fragmented packet with no fragment ended also lands here).
    t.disposition = t.packets[0]!.rows.length > 0 ? 'IN_FLIGHT' : null;
    t.reason = null;
    return;
  }
  t.disposition = best.disposition;
  t.reason = best.reason;
}
