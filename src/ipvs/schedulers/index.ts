// The scheduler registry (`ip_vs_scheduler_get` by name): ipvsadm's list
// rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh.

import type { Service } from '../service.js';
import { createDh } from './dh.js';
import { createFo } from './fo.js';
import { createLblc } from './lblc.js';
import { createLblcr } from './lblcr.js';
import { createLc } from './lc.js';
import { createMh } from './mh.js';
import { createNq } from './nq.js';
import { createOvf } from './ovf.js';
import { createRr } from './rr.js';
import type { Scheduler } from './scheduler.js';
import { createSed } from './sed.js';
import { createSh } from './sh.js';
import { createWlc } from './wlc.js';
import { createWrr } from './wrr.js';

const FACTORIES: Readonly<Record<string, (svc: Service) => Scheduler>> = {
  rr: createRr,
  wrr: createWrr,
  lc: createLc,
  wlc: createWlc,
  lblc: createLblc,
  lblcr: createLblcr,
  dh: createDh,
  sh: createSh,
  sed: createSed,
  nq: createNq,
  fo: createFo,
  ovf: createOvf,
  mh: createMh,
};

export const SCHEDULER_NAMES: readonly string[] = Object.keys(FACTORIES);

/** A new scheduler instance for `svc`, or null for an unknown name (the kernel's ENOENT). */
export function createScheduler(name: string, svc: Service): Scheduler | null {
  const f = FACTORIES[name];
  return f === undefined ? null : f(svc);
}

export type { Decision, SchedPacket, Scheduler } from './scheduler.js';
