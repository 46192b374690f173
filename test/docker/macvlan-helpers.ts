// A Docker host whose eth0 is a veth to a `lan` namespace (another machine on the segment), for the
// macvlan/ipvlan driver tests; `ping` answers whether one echo request got its reply.
import type { Namespace } from '../../src/net/namespace.js';
import { Pinger } from '../net/ipv4/helpers.js';
import { dockerShell } from './docker-shell.js';

export function dockerHost(seed = 1, dockerd = '') {
  const { world, ns, run, fail, engine } = dockerShell(seed);
  const lan = world.addNamespace('lan');
  run('ip link set lo up');
  run('ip link add eth0 type veth peer name eth0 netns lan');
  run('ip addr add 192.168.50.10/24 dev eth0');
  run('ip link set eth0 up');
  run('ip link set lo up', lan);
  run('ip addr add 192.168.50.1/24 dev eth0', lan);
  run('ip link set eth0 up', lan);
  if (dockerd !== '') run(`dockerd ${dockerd}`);
  /** The sandbox namespace of a running container. */
  const sandbox = (name: string): Namespace => world.namespace(engine().container(name).nsName)!;
  let ident = 100;
  /** One echo request from `from` to `dst`: did the reply come back within 3 s? */
  const ping = (from: Namespace, dst: string): boolean => {
    const p = new Pinger(from, ident++);
    p.send(dst, 1, { df: false });
    world.sim.run({ until: world.sim.now + 3e9 });
    return p.heard.some((h) => h.kind === 'reply');
  };
  return { world, ns, lan, run, fail, engine, sandbox, ping };
}
