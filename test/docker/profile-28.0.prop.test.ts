// Invariants of the 28.0 profile over generated sets of bridge networks and containers:
// - docker-ext-bridges-v4 holds exactly the subnets of the non-internal bridges (docker0 included),
//   and both FORWARD rules reference it;
// - removing every container and network restores the fresh daemon's rules and set, whatever the
//   order of creation and options (icc, internal, gateway mode, masquerade, published ports).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { World } from '../../src/net/world.js';

const netArb = fc.record({
  internal: fc.boolean(),
  icc: fc.boolean(),
  masq: fc.boolean(),
  gwm: fc.constantFrom('nat', 'nat-unprotected', 'routed'),
  containers: fc.array(
    fc.record({ publish: fc.constantFrom('', '-p 8080:80', '-p 127.0.0.1:9090:90/udp', '-p 80') }),
    { maxLength: 2 },
  ),
});

describe('profile 28.0 invariants', () => {
  it('the set holds the external bridges; removal restores the fresh daemon', () => {
    fc.assert(
      fc.property(fc.array(netArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (nets, proxy) => {
        const world = new World({ seed: 5 });
        const ns = world.addNamespace('host');
        const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
        const state = () =>
          ['raw', 'filter', 'nat'].map((t) => run(`iptables -S -t ${t}`)).join('') + run('ipset save');
        run('sysctl -w net.ipv4.ip_forward=1');
        run(`dockerd --netsim-profile=28.0 --userland-proxy=${proxy}`);
        const fresh = state();
        const want = ['172.17.0.0/16'];
        let port = 8000;
        nets.forEach((n, i) => {
          const subnet = `10.${i}.0.0/24`;
          const opts = [`--subnet ${subnet}`, `-o com.docker.network.bridge.enable_icc=${n.icc}`];
          if (n.internal) opts.push('--internal');
          else {
            opts.push(`-o com.docker.network.bridge.enable_ip_masquerade=${n.masq}`);
            opts.push(`-o com.docker.network.bridge.gateway_mode_ipv4=${n.gwm}`);
            want.push(subnet);
          }
          run(`docker network create ${opts.join(' ')} n${i}`);
          n.containers.forEach((c, j) => {
            // distinct host ports so that no publication collides
            const pub = c.publish.replace('8080', `${port++}`).replace('9090', `${port++}`);
            run(`docker run -d --name c${i}x${j} --network n${i} ${pub} img`);
          });
        });
        const members = run('ipset save docker-ext-bridges-v4')
          .split('\n')
          .filter((l) => l.startsWith('add '))
          .map((l) => l.split(' ')[2]!);
        expect(members.sort()).toEqual(want.sort());
        expect(run('ipset list -t docker-ext-bridges-v4')).toContain('References: 2\n');
        nets.forEach((n, i) => {
          n.containers.forEach((_, j) => {
            run(`docker rm -f c${i}x${j}`);
          });
          run(`docker network rm n${i}`);
        });
        expect(state()).toBe(fresh);
      }),
      { numRuns: 30 },
    );
  });
});
