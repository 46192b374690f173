// ipset(8) 7.17 for the set types Docker uses: hash:net and hash:ip, family inet, in the namespace
// the command runs in (src/netfilter/ipset/).
//   ipset [-exist|-!] create NAME hash:net|hash:ip [family inet] [hashsize N] [maxelem N] [initval N]
//   ipset [-exist] add|del NAME ADDR[/CIDR]
//   ipset destroy|flush [NAME]            every set when NAME is absent
//   ipset list [-n|-name] [-t|-terse] [NAME]
//   ipset save [NAME]
// Texts and exit statuses are ipset 7.17's on Linux 6.18 (recorded with `ip netns exec`): usage
// problems exit 2 with "Try `ipset help'…", kernel refusals and syntax errors exit 1. The initval of a
// new set (the kernel's get_random_u32) comes from the seeded stream `ipset:<namespace>`.
// Not modelled: other set types, family inet6, FROM-TO ranges, test/rename/swap, timeouts/counters.

import { netfilterOf } from '../netfilter/hooks.js';
import { AdtResult, HashSet, REVISION, type SetTypeName } from '../netfilter/ipset/hash-set.js';
import { IpSet, ipsetsOf, MAX_NAME } from '../netfilter/ipset/registry.js';
import { ipv4ToString, tryParseIpv4 } from '../wire/ipv4-address.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

const PREFIX = 'ipset v7.17: ';
const TRY = "\nTry `ipset help' for more information.";

/** A refusal from the kernel (or libipset's session), exit 1. */
function kernel(msg: string): CommandError {
  return new CommandError(`${PREFIX}${msg}`, 1);
}

/** libipset's parser: `Syntax error: …`, exit 1. */
function syntax(msg: string): CommandError {
  return new CommandError(`${PREFIX}Syntax error: ${msg}`, 1);
}

function usage(msg: string): CommandError {
  return new CommandError(`${PREFIX}${msg}${TRY}`, 2);
}

const NO_SET = 'The set with the given name does not exist';

const COMMANDS: Readonly<Record<string, string>> = {
  create: 'create',
  n: 'create',
  '-N': 'create',
  add: 'add',
  '-A': 'add',
  del: 'del',
  '-D': 'del',
  destroy: 'destroy',
  x: 'destroy',
  '-X': 'destroy',
  flush: 'flush',
  '-F': 'flush',
  list: 'list',
  '-L': 'list',
  save: 'save',
  '-S': 'save',
  version: 'version',
  '-v': 'version',
  '-V': 'version',
};

interface Parsed {
  cmd: string;
  exist: boolean;
  names: boolean;
  terse: boolean;
  words: string[];
}

function parse(args: readonly string[]): Parsed {
  const p: Parsed = { cmd: '', exist: false, names: false, terse: false, words: [] };
  for (const a of args) {
    if (a === '-exist' || a === '-!') p.exist = true;
    else if (a === '-n' || a === '-name') p.names = true;
    else if (a === '-t' || a === '-terse') p.terse = true;
    else if (p.cmd === '') {
      const c = COMMANDS[a];
      if (c === undefined) throw usage(`No command specified: unknown argument ${a}`);
      p.cmd = c;
    } else p.words.push(a);
  }
  if (p.cmd === '') throw usage('No command specified.');
  return p;
}

function checkName(name: string): void {
  if (name.length > MAX_NAME) throw syntax(`setname '${name}' is longer than ${MAX_NAME} characters`);
}

/** ADDR[/CIDR] as ipset's parser reads it for an IPv4 set. */
function parseElem(text: string, type: SetTypeName): { ip: number; cidr: number } {
  if (text.includes(',')) throw syntax(`Elem separator in ${text}, but settype ${type} supports none.`);
  if (text.includes('-') && !text.startsWith('-'))
    throw new CommandError(`netsim: ipset FROM-TO ranges are not modelled (${text}); use ADDR/CIDR`, 1);
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = tryParseIpv4(addrText);
  if (ip < 0 || (slash >= 0 && slash === text.length - 1))
    throw syntax(`cannot parse ${text}: resolving to IPv4 address failed`);
  let cidr = 32;
  if (slash >= 0) {
    const c = text.slice(slash + 1);
    if (!/^\d+$/.test(c)) throw syntax(`cannot parse ${text}: resolving to IPv4 address failed`);
    cidr = Number(c);
    if (cidr > 32) throw syntax(`'${c}' is out of range 0-32`);
  }
  if (cidr === 0) throw kernel('The value of the CIDR parameter of the IP address is invalid');
  return { ip, cidr };
}

function memberText(set: HashSet, ip: number, cidr: number): string {
  return set.type === 'hash:net' && cidr !== 32 ? `${ipv4ToString(ip)}/${cidr}` : ipv4ToString(ip);
}

function headerText(d: HashSet): string {
  const iv = d.initval.toString(16).padStart(8, '0');
  return `family inet hashsize ${d.hashsize} maxelem ${d.maxelem} bucketsize ${d.bucketsize} initval 0x${iv}`;
}

function parseNumber(opt: string, v: string | undefined): number {
  if (v === undefined) throw usage(`Missing mandatory argument of option \`${opt}'`);
  const n = /^(0x[0-9a-fA-F]+|\d+)$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n > 0xffffffff) throw syntax(`'${v}' is invalid as number`);
  return n;
}

export function ipset(ctx: CommandContext, args: readonly string[]): CommandResult {
  const p = parse(args);
  const nf = netfilterOf(ctx.ns);
  const sets = ipsetsOf(nf);
  const find = (name: string): IpSet => {
    const s = sets.get(name);
    if (s === undefined) throw kernel(NO_SET);
    return s;
  };
  const w = p.words;
  switch (p.cmd) {
    case 'version':
      return { stdout: 'ipset v7.17, protocol version: 7\n' };
    case 'create': {
      if (w.length < 2)
        throw usage(`Missing ${w.length === 0 ? '' : 'second '}mandatory argument to command create`);
      const [name, typeName] = w as [string, string];
      checkName(name);
      if (typeName !== 'hash:net' && typeName !== 'hash:ip')
        throw syntax(`typename '${typeName}' is unknown`);
      const opts = { hashsize: 1024, maxelem: 65536, initval: -1 };
      for (let i = 2; i < w.length; i++) {
        const o = w[i]!;
        const v = w[i + 1];
        if (o === 'family') {
          if (v === undefined) throw usage("Missing mandatory argument of option `family'");
          if (v === 'inet6')
            throw new CommandError('netsim: ipset models family inet only (IPv6 sets are not modelled)', 1);
          if (v !== 'inet') throw syntax(`unknown inet family ${v}`);
        } else if (o === 'hashsize' || o === 'maxelem' || o === 'initval') opts[o] = parseNumber(o, v);
        else throw usage(`Unknown argument: \`${o}'`);
        i++;
      }
      const old = sets.get(name);
      if (old !== undefined) {
        // IPSET_FLAG_EXIST: an existing set of the same type is fine (ip_set_create's clash check).
        if (p.exist && old.data.type === typeName) return { stdout: '' };
        throw kernel('Set cannot be created: set with the same name already exists');
      }
      if (opts.initval < 0) opts.initval = sets.initvalSource(ctx).u32();
      sets.add(new IpSet(name, new HashSet(typeName, opts)));
      return { stdout: '' };
    }
    case 'add':
    case 'del': {
      if (w.length < 2)
        throw usage(`Missing ${w.length === 0 ? '' : 'second '}mandatory argument to command ${p.cmd}`);
      if (w.length > 2) throw usage(`Unknown argument: \`${w[2]}'`);
      checkName(w[0]!);
      const set = find(w[0]!);
      const e = parseElem(w[1]!, set.data.type);
      const r =
        p.cmd === 'add' ? addElem(set.data, e.ip, e.cidr, p.exist) : set.data.del(e.ip, e.cidr, p.exist);
      if (r === AdtResult.Exist) throw kernel("Element cannot be added to the set: it's already added");
      if (r === AdtResult.Missing) throw kernel("Element cannot be deleted from the set: it's not added");
      if (r === AdtResult.Full) throw kernel('Hash is full, cannot add more elements');
      return { stdout: '' };
    }
    case 'destroy': {
      if (w.length > 1) throw usage(`Unknown argument: \`${w[1]}'`);
      const victims = w.length === 0 ? sets.all() : [find(w[0]!)];
      for (const s of victims)
        if (sets.references(s) > 0)
          throw kernel('Set cannot be destroyed: it is in use by a kernel component');
      for (const s of victims) sets.remove(s);
      return { stdout: '' };
    }
    case 'flush': {
      if (w.length > 1) throw usage(`Unknown argument: \`${w[1]}'`);
      for (const s of w.length === 0 ? sets.all() : [find(w[0]!)]) s.data.flush();
      return { stdout: '' };
    }
    case 'list':
    case 'save': {
      if (w.length > 1) throw usage(`Unknown argument: \`${w[1]}'`);
      const chosen = w.length === 0 ? sets.all() : [find(w[0]!)];
      if (p.cmd === 'save') return { stdout: chosen.map((s) => saveText(s)).join('') };
      if (p.names) return { stdout: chosen.map((s) => `${s.name}\n`).join('') };
      return { stdout: chosen.map((s) => listText(s, sets.references(s), p.terse)).join('\n') };
    }
  }
  throw usage(`No command specified: unknown argument ${p.cmd}`);
}

/** hash:ip adds every address of ADDR/CIDR (hash_ip4_uadt), stopping at the first refusal. */
function addElem(d: HashSet, ip: number, cidr: number, exist: boolean): AdtResult {
  if (d.type === 'hash:net') return d.add(ip, cidr, exist);
  const count = 2 ** (32 - cidr);
  const first = (ip & (cidr === 0 ? 0 : (0xffffffff << (32 - cidr)) >>> 0)) >>> 0;
  for (let k = 0; k < count; k++) {
    const r = d.add((first + k) >>> 0, 32, exist);
    if (r !== AdtResult.Ok) return r;
  }
  return AdtResult.Ok;
}

function listText(s: IpSet, refs: number, terse: boolean): string {
  const d = s.data;
  let out = `Name: ${s.name}\nType: ${d.type}\nRevision: ${REVISION[d.type]}\nHeader: ${headerText(d)}\n`;
  out += `Size in memory: ${d.memSize()}\nReferences: ${refs}\nNumber of entries: ${d.elements}\n`;
  if (terse) return out;
  out += 'Members:\n';
  for (const [ip, c] of d.members()) out += `${memberText(d, ip, c)}\n`;
  return out;
}

function saveText(s: IpSet): string {
  const d = s.data;
  let out = `create ${s.name} ${d.type} ${headerText(d)}\n`;
  for (const [ip, c] of d.members()) out += `add ${s.name} ${memberText(d, ip, c)}\n`;
  return out;
}

registerTool('ipset', ipset);
