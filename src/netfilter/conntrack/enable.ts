// When a namespace starts tracking connections.
//
// Linux registers the conntrack hooks in a network namespace on demand (`nf_ct_netns_get`): when a
// nat table is registered there, or when a rule uses a match or target that needs connection state
// (conntrack, state, connmark, CONNMARK, CT, NOTRACK). Before that, packets carry no conntrack
// entry and `conntrack -L` in that namespace lists nothing. Once registered it stays registered.

import { TableId } from '../hook-id.js';
import { type Netfilter, onNetfilterCreated } from '../hooks.js';
import { installConntrack } from './hook.js';

const CT_MATCHES = new Set(['conntrack', 'state', 'connmark']);
const CT_TARGETS = new Set(['CONNMARK', 'CT', 'NOTRACK']);

function needsConntrack(nf: Netfilter): boolean {
  if (nf.tables[TableId.Nat]!.exists) return true;
  for (const t of nf.tables) {
    if (!t.exists) continue;
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const m of r.matches) if (CT_MATCHES.has(m.mod.name)) return true;
        if (r.target.kind === 'ext' && CT_TARGETS.has(r.target.mod.name)) return true;
      }
    }
  }
  return false;
}

onNetfilterCreated((nf) => {
  nf.changeListeners.push(() => {
    if (nf.conntrack === null && needsConntrack(nf)) installConntrack(nf);
  });
});
