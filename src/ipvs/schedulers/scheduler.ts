// The interface every IPVS scheduler implements (struct ip_vs_scheduler), plus the per-packet scratch
// it reads and the decision record it fills.
//
// A scheduler instance belongs to one service (its `sched_data`). `schedule` runs on the first packet
// of a connection (or of a persistence template) and must not allocate. It fills `Decision` with the
// numbers that justify the pick; `explain` turns them into one line, only when a traced packet asks.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';

/** What a scheduler may look at (`struct ip_vs_iphdr` plus ports; addresses as int32). Reused. */
export class SchedPacket {
  proto = 0;
  saddr = 0;
  daddr = 0;
  sport = 0;
  dport = 0;
  /** Simulated time, ns (lblc/lblcr timestamps). */
  now = 0;
}

/** Numbers behind the last pick; meaning per scheduler (see each `explain`). */
export class Decision {
  /** Scheduler-specific reason code; 0 = plain pick. */
  code = 0;
  a = 0;
  b = 0;
  c = 0;
  d = 0;
  /** The chosen dest's counters and weight when it was picked (filled by Ipvs, read by explain). */
  act = 0;
  inact = 0;
  weight = 0;

  reset(): void {
    this.code = 0;
    this.a = 0;
    this.b = 0;
    this.c = 0;
    this.d = 0;
  }
}

export interface Scheduler {
  readonly name: string;
  /** add_dest / del_dest / upd_dest (and init_service): the service's dest list or a weight changed. */
  destsChanged(svc: Service, dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void;
  /** Picks a real server or returns null ("no destination available"). */
  schedule(svc: Service, p: SchedPacket, why: Decision): Dest | null;
  /** done_service: release state (timers). */
  done(svc: Service): void;
  /** One line for a traced packet, e.g. "wlc: 10.0.0.5:80 has 2 active / weight 1". */
  explain(why: Decision, dest: Dest | null): string;
}

export type SchedulerFactory = (svc: Service) => Scheduler;

/** Shared phrase for a null pick. */
export function noDest(name: string): string {
  return `${name}: no destination available`;
}
