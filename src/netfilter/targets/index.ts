// The extension targets `-j NAME` can load (ACCEPT, DROP, RETURN and chain names are built in).

import type { TargetModule } from '../module.js';
import { connmarkTargetModule } from './connmark.js';
import { ctModule, notrackModule } from './ct.js';
import { logModule } from './log.js';
import { markTargetModule } from './mark.js';
import { dnatModule, masqueradeModule, redirectModule, snatModule } from './nat.js';
import { rejectModule } from './reject.js';
import { traceModule } from './trace.js';

// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry
export const TARGETS = new Map<string, TargetModule<any>>(
  [
    rejectModule,
    markTargetModule,
    logModule,
    traceModule,
    ctModule,
    notrackModule,
    snatModule,
    dnatModule,
    masqueradeModule,
    redirectModule,
    connmarkTargetModule,
  ].map((t) => [t.name, t]),
);
