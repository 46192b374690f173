// Shared by the explanation tests: a router topology a1 (10.1.0.2) — r1 — b1 (10.2.0.2) with extra
// commands for r1, run with every probe traced.

import '../../src/apps/all.js';
import '../../src/control/all.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { type RunOutcome, runScenario } from '../../src/scenario/run.js';
import type { TraceRecord } from '../../src/trace/explain.js';

export function routerScenario(r1Extra: string[], traffic: string[], seed = 1): string {
  return `netsim: 1
seed: ${seed}
hosts: [a1, r1, b1]
steps:
  - in: r1
    run: |
      ip link set lo up
      ip link add eth-a type veth peer name eth0 netns a1
      ip link add eth-b type veth peer name eth0 netns b1
      ip addr add 10.1.0.1/24 dev eth-a
      ip addr add 10.2.0.1/24 dev eth-b
      ip link set eth-a up
      ip link set eth-b up
      sysctl -w net.ipv4.ip_forward=1
${r1Extra.map((l) => `      ${l}`).join('\n')}
  - in: a1
    run: |
      ip link set lo up
      ip addr add 10.1.0.2/24 dev eth0
      ip link set eth0 up
      ip route add default via 10.1.0.1
  - in: b1
    run: |
      ip link set lo up
      ip addr add 10.2.0.2/24 dev eth0
      ip link set eth0 up
      ip route add default via 10.2.0.1
apps:
  - { in: b1, serve: udp-echo-peer, port: 5000 }
  - { in: b1, serve: tcp-echo-peer, port: 80 }
traffic:
${traffic.map((t) => `  - ${t}`).join('\n')}
`;
}

export function runTraced(text: string, file = 'explain-test.yaml'): RunOutcome {
  return runScenario(loadScenarioText(text, file), { trace: 'all', check: true });
}

/** The traces of one probe. */
export function tracesOf(out: RunOutcome, probe: string): TraceRecord[] {
  const all = out.world.tracer.traces();
  return (out.traces[probe] ?? []).map((id) => all[id]!);
}
