// What explanations cost. The same routed path as bench/dataplane.bench.ts (a —veth— r —veth— b, 64-byte
// UDP, bursts of 256 datagrams, one op = one datagram delivered), three ways:
//   off         tracing off: every recording site is one typed-array read of pool.traceId and a
//               branch not taken (this is the production configuration)
//   off+rules   the same with 20 non-matching FORWARD rules and a conntrack rule on r (the netfilter
//               recording sites are on the path too)
//   on          every datagram traced (rows, notes, rule text): the price of `netsim explain`
// Compare `off` here with `veth→router→veth` in bench/dataplane.bench.ts at the commit before the
// tracing points (6013106^) to see the cost of the sites themselves (ratio ~1.0 expected).
import { runCommandLine } from '../src/control/command.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';
import { type Path, routedPath } from './support/topology.js';

const BURST = 256;

function pathCase(traced: boolean, rules: boolean): CaseFactory {
  return () => {
    const path: Path = routedPath();
    const w = path.world;
    if (rules) {
      const r = path.hops[1]!;
      for (let i = 0; i < 20; i++)
        runCommandLine({ world: w, ns: r }, `iptables -A FORWARD -s 192.0.2.${i} -j DROP`);
      runCommandLine({ world: w, ns: r }, 'iptables -A FORWARD -m conntrack --ctstate INVALID -j DROP');
    }
    if (traced) {
      // Trace every frame the sender makes: newFrame is where the injector gets its frames.
      const tid = w.tracer.open('bench');
      const orig = w.newFrame.bind(w);
      w.newFrame = () => {
        const h = orig();
        w.pool.traceId[h] = tid;
        return h;
      };
    }
    for (let i = 0; i < 200; i++) path.burst(BURST);
    const expected = 1 + 200 * BURST;
    if (path.sink.received !== expected || path.inject.refused !== 0) {
      throw new Error(`path broken: ${path.sink.received} of ${expected} datagrams delivered`);
    }
    return {
      opsPerCall: BURST,
      fn: () => {
        path.burst(BURST);
        // Keep the row store from growing without bound; the trace id stays valid.
        if (traced && w.tracer.rowCount > 1 << 20) {
          w.tracer.clear();
          w.tracer.open('bench');
        }
      },
    };
  };
}

export default defineSuite(import.meta.url, {
  name: 'explain',
  unit: 'packets',
  groups: [
    {
      name: 'veth→router→veth',
      baseline: 'off',
      cases: {
        off: pathCase(false, false),
        on: pathCase(true, false),
      },
    },
    {
      name: 'router with 21 FORWARD rules',
      baseline: 'off+rules',
      cases: {
        'off+rules': pathCase(false, true),
        'on+rules': pathCase(true, true),
      },
    },
  ],
});
