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

import { DROP_REASON_NAMES } from '../net/drop-reason.js';

/** What happened at one stage. `a`, `b`, `c` are stage-specific numbers (see STAGE_DOC). */
export const Stage = {
  DevRx: 0,
  DevTx: 1,
  /** a = bridge device id, b = BridgeDecision, c = egress port device id or -1. */
  Bridge: 2,
  /** a = hook (0..4), b = table id, c = verdict; note = `chain rule-text (line)`. */
  Netfilter: 3,
  /** a = ct state, b = ct id, c = direction; note may say "nat table not consulted: not NEW". */
  Conntrack: 4,
  /** a = kind (1 SNAT, 2 DNAT), b = new address, c = new port; note = tuple before → after. */
  Nat: 5,
  /** a = RouteResult, b = egress device id, c = gateway u32 (0 = on-link). */
  Route: 6,
  /** a = neighbour state, b = device id, c = next hop u32. */
  Neighbour: 7,
  /** a = service id, b = real server u32, c = port; note = scheduler and why. */
  Ipvs: 8,
  /** a = 1 encap, 2 decap; b = VNI; c = device id. */
  Tunnel: 9,
  /** a = protocol, b = port, c = 1 delivered to a socket, 0 none. */
  Socket: 10,
  /** Free-form note (LOG target, application events). */
  Note: 11,
  /** Terminal: a = Disposition, b = drop reason (when dropped), c = device id or -1. */
  End: 12,
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

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
  note?: string;
}

export interface TraceRecord {
  id: number;
  label: string;
  stages: StageRecord[];
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

  record(traceId: number, now: number, stage: Stage, dev: number, a: number, b: number, c: number): number {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.traceOf[i] = traceId;
    this.time[i] = now;
    this.stage[i] = stage;
    this.dev[i] = dev;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    return i;
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
    this.cap = cap;
  }

  /** Every trace with its stages in order (config-side; allocates freely). */
  traces(): TraceRecord[] {
    const out: TraceRecord[] = this.labels.map((label, id) => ({
      id,
      label,
      stages: [],
      disposition: null,
      reason: null,
    }));
    for (let i = 0; i < this.n; i++) {
      const t = out[this.traceOf[i]!]!;
      const st = this.stage[i]! as Stage;
      const rec: StageRecord = {
        time: this.time[i]!,
        stage: STAGE_NAMES[st]!,
        dev: this.dev[i]!,
        a: this.a[i]!,
        b: this.b[i]!,
        c: this.c[i]!,
      };
      const note = this.notes.get(i);
      if (note !== undefined) rec.note = note;
      t.stages.push(rec);
      if (st === Stage.End) {
        // The last end wins: a flooded frame's copies each end; the trace reports the best outcome.
        const disp = DISPOSITION_NAMES[this.a[i]!]!;
        if (t.disposition === null || disp === 'DELIVERED') {
          t.disposition = disp;
          t.reason = disp === 'DELIVERED' ? null : (DROP_REASON_NAMES[this.b[i]!] ?? null);
        }
      }
    }
    return out;
  }
}
