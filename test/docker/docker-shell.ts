// A world with one `host` namespace and a shell in it, for the Docker engine tests: `run` a command
// line (in `host` or another namespace), `fail` for one that must fail (its error text), `engine`
// for the host's Docker engine as the commands left it.
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';

export function dockerShell(seed = 1) {
  const world = new World({ seed });
  const ns = world.addNamespace('host');
  const run = (l: string, where: Namespace = ns) => runCommandLine({ world, ns: where }, l).stdout;
  /** The error text of a command that must fail. */
  const fail = (l: string): string => {
    try {
      run(l);
    } catch (e) {
      if (e instanceof CommandError) return e.message;
      throw e;
    }
    throw new Error(`expected "${l}" to fail`);
  };
  const engine = () => engineOf(world, ns);
  return { world, ns, run, fail, engine };
}
