// The `docker` CLI and `dockerd` as command tools. Each host namespace has its own engine
// (src/docker/engine.ts); `docker …` in a namespace talks to that namespace's daemon, which starts
// with default options on first use unless `dockerd [OPTIONS]` started it first.
//
//   dockerd [--icc=false] [--ip-masq=false] [--userland-proxy=false] [--iptables=false]
//           [--ip-forward=false] [--ip ADDR] [--mtu N] [--bip CIDR]
//           [--default-address-pool base=CIDR,size=N]… [--netsim-profile 27|28.0|current]
//   docker network create|rm|ls|inspect|connect|disconnect …
//   docker run|create [OPTIONS] IMAGE [CMD…]; docker start|stop|restart|kill|rm|ps|port|exec|inspect
//
// Errors print as the docker CLI prints them: `Error response from daemon: …` for daemon errors
// (`docker: Error response from daemon: …` for run/create), exit status 1 (125 for run/create).

import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { flagList, flagString, parseFlags } from '../docker/cli/args.js';
import {
  dockerContainerVerb,
  dockerExec,
  dockerPort,
  dockerPs,
  inspectContainer,
} from '../docker/cli/docker-container.js';
import { dockerNetwork, inspectNetwork } from '../docker/cli/docker-network.js';
import { dockerRun } from '../docker/cli/docker-run.js';
import {
  composeDown,
  composeUp,
  normaliseProjectName,
  parseComposeText,
  planCompose,
} from '../docker/compose.js';
import '../docker/drivers/bridge.js';
import { type DockerEngine, engineOf, imageOf, worldFileBaseOf } from '../docker/engine.js';
import { CliError, DaemonError } from '../docker/errors.js';
import { isProfileId, UNMODELLED_PROFILES } from '../docker/profiles.js';
import type { AddressPoolSpec, DaemonConfig } from '../docker/types.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

function parseBoolFlag(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new CliError(
    `invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`,
  );
}

export function dockerd(ctx: CommandContext, args: readonly string[]): CommandResult {
  const bools = ['icc', 'ip-masq', 'userland-proxy', 'iptables', 'ip-forward'] as const;
  const specs: Record<string, { kind: 'bool' | 'string' | 'list' }> = {
    ip: { kind: 'string' },
    mtu: { kind: 'string' },
    bip: { kind: 'string' },
    'default-address-pool': { kind: 'list' },
    dns: { kind: 'list' },
    'netsim-profile': { kind: 'string' },
  };
  for (const b of bools) specs[b] = { kind: 'bool' };
  try {
    const p = parseFlags('dockerd', specs, args);
    const pools: AddressPoolSpec[] = flagList(p, 'default-address-pool').map((s) => {
      const kv = Object.fromEntries(s.split(',').map((x) => x.split('=') as [string, string]));
      if (kv.base === undefined || kv.size === undefined)
        throw new CliError(`invalid default address pool: ${s}`);
      return { base: kv.base, size: Number(kv.size) };
    });
    const prof = flagString(p, 'netsim-profile') ?? 'current';
    const unmodelled = UNMODELLED_PROFILES[prof];
    if (unmodelled !== undefined) throw new CliError(unmodelled);
    if (!isProfileId(prof)) throw new CliError(`unknown netsim profile ${prof} (27, 28.0, current)`);
    const bip = flagString(p, 'bip');
    const cfg: Partial<DaemonConfig> = {
      profile: prof,
      icc: parseBoolFlag('icc', flagString(p, 'icc'), true),
      ipMasq: parseBoolFlag('ip-masq', flagString(p, 'ip-masq'), true),
      userlandProxy: parseBoolFlag('userland-proxy', flagString(p, 'userland-proxy'), true),
      iptables: parseBoolFlag('iptables', flagString(p, 'iptables'), true),
      ipForward: parseBoolFlag('ip-forward', flagString(p, 'ip-forward'), true),
      ip: flagString(p, 'ip') ?? '0.0.0.0',
      mtu: Number(flagString(p, 'mtu') ?? '0'),
      ...(bip !== undefined ? { bip } : {}),
      defaultAddressPools: pools,
      ...(flagList(p, 'dns').length > 0 ? { dns: flagList(p, 'dns') } : {}),
    };
    engineOf(ctx.world, ctx.ns).startDaemon(cfg);
  } catch (e) {
    if (e instanceof CliError || e instanceof DaemonError) throw new CommandError(e.message, 1);
    throw e;
  }
  return { stdout: '' };
}

/** `docker compose [-f FILE] [-p NAME] up [-d] | down | ps` (src/docker/compose.ts). */
function dockerCompose(e: DockerEngine, args: readonly string[]): string {
  const p = parseFlags(
    'compose',
    {
      file: { short: 'f', kind: 'list' },
      'project-name': { short: 'p', kind: 'string' },
      detach: { short: 'd', kind: 'bool' },
    },
    args,
  );
  const verb = p.args[0];
  const file = flagList(p, 'file')[0] ?? 'compose.yaml';
  const base = worldFileBaseOf(e.world) ?? process.cwd();
  const path = resolve(base, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`open ${path}: no such file or directory`);
  }
  const project = flagString(p, 'project-name') ?? normaliseProjectName(basename(dirname(path)));
  const plan = planCompose(parseComposeText(text), project);
  switch (verb) {
    case 'up':
      return composeUp(e, plan);
    case 'down':
      return composeDown(e, plan);
    case 'ps':
      return dockerPs(e, ['-a']);
    default:
      throw new CliError(`unknown docker command: "compose ${verb ?? ''}"`);
  }
}

function dispatch(e: DockerEngine, args: readonly string[]): string {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'network':
      return dockerNetwork(e, rest);
    case 'run':
    case 'create':
      return dockerRun(e, verb, rest, { get: (name: string) => imageOf(e, name) });
    case 'container':
      return dispatch(e, rest);
    case 'start':
    case 'stop':
    case 'restart':
    case 'kill':
    case 'rm':
      return dockerContainerVerb(e, verb, rest);
    case 'ps':
      return dockerPs(e, rest);
    case 'port':
      return dockerPort(e, rest);
    case 'exec':
      return dockerExec(e, rest);
    case 'compose':
      return dockerCompose(e, rest);
    case 'inspect': {
      const p = parseFlags(
        'inspect',
        { format: { short: 'f', kind: 'string' }, type: { kind: 'string' } },
        rest,
      );
      const list = p.args.map((ref) => {
        const c = e.findContainer(ref);
        if (c !== undefined) return inspectContainer(e, c);
        const n = e.findNetwork(ref);
        if (n !== undefined) return inspectNetwork(e, n);
        throw new DaemonError(`No such object: ${ref}`);
      });
      return `${JSON.stringify(list, null, 4)}\n`;
    }
    case undefined:
      throw new CliError('Usage:  docker [OPTIONS] COMMAND');
    default:
      throw new CliError(
        `docker: unknown command: docker ${verb}\n\nRun 'docker --help' for more information`,
      );
  }
}

export function docker(ctx: CommandContext, args: readonly string[]): CommandResult {
  const e = engineOf(ctx.world, ctx.ns);
  const isRun = args[0] === 'run' || args[0] === 'create';
  try {
    return { stdout: dispatch(e, args) };
  } catch (err) {
    if (err instanceof DaemonError) {
      throw new CommandError(
        `${isRun ? 'docker: ' : ''}Error response from daemon: ${err.message}`,
        isRun ? 125 : 1,
      );
    }
    if (err instanceof CliError) throw new CommandError(err.message, isRun ? 125 : 1);
    throw err;
  }
}

registerTool('docker', docker);
registerTool('dockerd', dockerd);
