// End-to-end packets per wall-clock second through the whole emulator: a 64-byte UDP datagram (64-byte
// Ethernet frame, FCS not counted) handed to the sender's IPv4 stack (`sendLocal`: route lookup,
// header checksum, neighbour output, Ethernet header), across veth links and a bridge or a router,
// up the receiver's stack (input routing, local delivery) to an IPPROTO_UDP handler that consumes it.
// One operation = one datagram delivered; one call injects a burst of 256 datagrams at the current
// simulated instant and runs the simulator until they are all handled (every hop is an event).
//
// Topologies (bench/support/topology.ts, built with `ip`/`sysctl` commands; ARP resolved and the
// bridge's FDB learned during setup, the clock past 2^31 ns):
//   bridge   c1 —veth— docker0 (host) —veth— c2         two containers on a docker0-style bridge
//   veth     a —veth— b                                  one veth hop, no bridge
//   routed   a —veth— r (ip_forward=1) —veth— b          one IPv4 forwarding hop
//
// Reference: the Linux kernel on this machine class forwards 64-byte UDP over veth → bridge → veth at
// about 160 k packets/s (task card; not re-measured here). Target: 5× that.
import { type CaseFactory, defineSuite } from './harness/suite.js';
import { bridgePath, type Path, routedPath, vethPath } from './support/topology.js';

const BURST = 256;

function pathCase(build: () => Path): CaseFactory {
  return () => {
    const path = build();
    // Settle the JIT and any lazily grown tables before timing.
    for (let i = 0; i < 200; i++) path.burst(BURST);
    const expected = 1 + 200 * BURST;
    if (path.sink.received !== expected || path.inject.refused !== 0) {
      throw new Error(`path broken: ${path.sink.received} of ${expected} datagrams delivered`);
    }
    return {
      opsPerCall: BURST,
      fn: () => {
        path.burst(BURST);
      },
    };
  };
}

const KERNEL_BRIDGE_PPS = 160_000;

export default defineSuite(import.meta.url, {
  name: 'dataplane',
  unit: 'packets',
  groups: [
    {
      name: 'veth→bridge→veth',
      cases: { netsim: pathCase(() => bridgePath()) },
      references: {
        'Linux kernel (veth→bridge→veth)': KERNEL_BRIDGE_PPS,
        'target (5× kernel)': 5 * KERNEL_BRIDGE_PPS,
      },
    },
    { name: 'veth', cases: { netsim: pathCase(() => vethPath()) } },
    { name: 'veth→router→veth', cases: { netsim: pathCase(() => routedPath()) } },
  ],
});
