// Netfilter traversal: one UDP packet through INPUT (filter) with chains of 0, 100 and 10 000 rules that
// do not match (`-s 10.X.Y.Z/32 -p tcp -j DROP` style; the policy decides), and a 100-rule chain whose
// rules all carry a tcp match (extension objects on the path). Baselines measured in the same run:
// `parse-only` (loading the packet context: the floor of any hook call) and, per size, a plain loop
// over the same number of address compares in typed arrays (what the base match costs at best).
import { restoreText } from '../src/control/iptables-restore.js';
import { World } from '../src/net/world.js';
import { Hook, netfilterOf } from '../src/netfilter/hooks.js';
import { defineSuite } from './harness/suite.js';
import { LOCAL_IN_SRC, localInPacket } from './support/local-in-packet.js';

let sink = 0;
/** Read by nobody; keeps results observable so the JIT cannot drop the work. */
export const observe = (): number => sink;

function setup(rules: number, withTcp: boolean) {
  const world = new World({ seed: 1 });
  const ns = world.addNamespace('b');
  const nf = netfilterOf(ns);
  let text = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  for (let i = 0; i < rules; i++) {
    const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    text += withTcp
      ? `-A INPUT -p tcp -m tcp --dport ${1 + (i % 60000)} -j DROP\n`
      : `-A INPUT -s ${a}/32 -j DROP\n`;
  }
  text += 'COMMIT\n';
  restoreText(nf, text);
  const { h, l3 } = localInPacket(world, nf);
  return { nf, h, l3 };
}

const BATCH = 256;

function runCase(rules: number, withTcp = false) {
  return () => {
    const { nf, h, l3 } = setup(rules, withTcp);
    const batch = rules >= 10000 ? 4 : BATCH;
    return {
      opsPerCall: batch,
      fn: () => {
        for (let i = 0; i < batch; i++) sink ^= nf.run(Hook.LocalIn, h, l3, -1, -1);
      },
    };
  };
}

function loopCase(rules: number) {
  return () => {
    const src = new Uint32Array(rules);
    const msk = new Uint32Array(rules).fill(0xffffffff);
    for (let i = 0; i < rules; i++) src[i] = (0x0a000000 + i) >>> 0;
    const a = LOCAL_IN_SRC; // the packet's source
    const batch = rules >= 10000 ? 4 : BATCH;
    return {
      opsPerCall: batch,
      fn: () => {
        for (let k = 0; k < batch; k++) {
          let hit = -1;
          for (let i = 0; i < rules; i++) {
            if ((a & msk[i]!) >>> 0 === src[i]) {
              hit = i;
              break;
            }
          }
          sink ^= hit;
        }
      },
    };
  };
}

export default defineSuite(import.meta.url, {
  name: 'netfilter',
  groups: [
    {
      name: 'rules=0',
      baseline: 'parse-only',
      cases: {
        'parse-only': () => {
          const { nf, l3 } = setup(0, false);
          const ctx = nf.ctx;
          return {
            opsPerCall: BATCH,
            fn: () => {
              for (let i = 0; i < BATCH; i++) {
                ctx.end = 1 << 20;
                nf.parse(ctx, l3);
                sink ^= ctx.dport;
              }
            },
          };
        },
        run: runCase(0),
      },
    },
    { name: 'rules=100', baseline: 'array-loop', cases: { 'array-loop': loopCase(100), run: runCase(100) } },
    {
      name: 'rules=100 tcp',
      baseline: 'array-loop',
      cases: { 'array-loop': loopCase(100), run: runCase(100, true) },
    },
    {
      name: 'rules=10000',
      baseline: 'array-loop',
      cases: { 'array-loop': loopCase(10000), run: runCase(10000) },
    },
  ],
});
