// A small pflag-style parser for the docker CLI: `--flag value`, `--flag=value`, `-f value`,
// combined boolean shorthands (`-dit`), repeated flags for lists, `--` to end flags. Commands that
// take a command line (`run IMAGE CMD…`, `exec C CMD…`) stop at the first positional argument
// (cobra's SetInterspersed(false)). Errors use pflag's wording.

import { CliError } from '../errors.js';

export interface FlagSpec {
  readonly short?: string;
  readonly kind: 'bool' | 'string' | 'list';
}

export interface Parsed {
  readonly flags: Map<string, string[]>;
  readonly args: string[];
}

export function parseFlags(
  cmd: string,
  specs: Readonly<Record<string, FlagSpec>>,
  argv: readonly string[],
  interspersed = true,
): Parsed {
  const flags = new Map<string, string[]>();
  const args: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.short !== undefined) byShort.set(s.short, name);
  const usage = `\nSee 'docker ${cmd} --help'.`;
  const put = (name: string, v: string) => {
    const l = flags.get(name);
    if (l === undefined) flags.set(name, [v]);
    else l.push(v);
  };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const s = specs[name];
      if (s === undefined) throw new CliError(`unknown flag: --${name}${usage}`);
      if (s.kind === 'bool') put(name, eq < 0 ? 'true' : a.slice(eq + 1));
      else if (eq >= 0) put(name, a.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) throw new CliError(`flag needs an argument: --${name}${usage}`);
        put(name, v);
      }
      i++;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      while (j < a.length) {
        const c = a[j]!;
        const name = byShort.get(c);
        if (name === undefined) throw new CliError(`unknown shorthand flag: '${c}' in ${a}${usage}`);
        const s = specs[name]!;
        if (s.kind === 'bool') {
          put(name, 'true');
          j++;
          continue;
        }
        let v = a.slice(j + 1);
        if (v.startsWith('=')) v = v.slice(1);
        if (v === '') {
          const n = argv[++i];
          if (n === undefined) throw new CliError(`flag needs an argument: '${c}' in -${c}${usage}`);
          v = n;
        }
        put(name, v);
        break;
      }
      i++;
      continue;
    }
    if (!interspersed) {
      args.push(...argv.slice(i));
      break;
    }
    args.push(a);
    i++;
  }
  return { flags, args };
}

export function flagBool(p: Parsed, name: string): boolean {
  const v = p.flags.get(name);
  return v !== undefined && v[v.length - 1] !== 'false';
}

export function flagString(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function flagList(p: Parsed, name: string): string[] {
  return p.flags.get(name) ?? [];
}

/** `key=value` list flags (`-o`, `--label`). */
export function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
