// The match modules iptables can load with `-m NAME` (and tcp/udp/icmp implicitly after `-p`).

import type { MatchModule } from '../module.js';
import { addrtypeModule } from './addrtype.js';
import { commentModule } from './comment.js';
import { connmarkModule } from './connmark.js';
import { conntrackModule, stateModule } from './conntrack.js';
import { icmpModule } from './icmp.js';
import { iprangeModule } from './iprange.js';
import { ipvsModule } from './ipvs.js';
import { markModule } from './mark.js';
import { multiportModule } from './multiport.js';
import { physdevModule } from './physdev.js';
import { setModule } from './set.js';
import { tcpModule } from './tcp.js';
import { udpModule } from './udp.js';

// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry
export const MATCHES = new Map<string, MatchModule<any>>(
  [
    tcpModule,
    udpModule,
    icmpModule,
    multiportModule,
    markModule,
    iprangeModule,
    commentModule,
    addrtypeModule,
    physdevModule,
    conntrackModule,
    stateModule,
    connmarkModule,
    ipvsModule,
    setModule,
  ].map((m) => [m.name, m]),
);
