// sysctl(8) from procps: read and write the namespace's /proc/sys/net keys.
//   sysctl [-n] [-e] [-q] KEY…        print `KEY = VALUE` (or VALUE with -n)
//   sysctl [-q] -w KEY=VALUE…         write, then print `KEY = VALUE` unless -q
//   sysctl -a                         every key
// Keys may be written with dots or slashes (`net/ipv4/ip_forward`), as procps accepts.

import { SysctlError } from '../net/sysctl.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

function normaliseKey(key: string): string {
  return key.replace(/\//g, '.');
}

export function sysctl(ctx: CommandContext, args: readonly string[]): CommandResult {
  let write = false;
  let valuesOnly = false;
  let quiet = false;
  let ignoreUnknown = false;
  let all = false;
  const items: string[] = [];
  for (const a of args) {
    if (a.startsWith('-') && items.length === 0 && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 'w') write = true;
        else if (f === 'n') valuesOnly = true;
        else if (f === 'q') quiet = true;
        else if (f === 'e') ignoreUnknown = true;
        else if (f === 'a' || f === 'A' || f === 'X') all = true;
        else throw new CommandError(`sysctl: invalid option -- '${f}'`, 255);
      }
      continue;
    }
    items.push(a);
  }
  const sys = ctx.ns.sysctl;
  const line = (k: string, v: string) => (valuesOnly ? `${v}\n` : `${k} = ${v}\n`);
  let out = '';
  if (all) {
    for (const [k, v] of sys.list()) out += line(k, v);
    return { stdout: out };
  }
  if (items.length === 0) throw new CommandError('sysctl: no variables specified', 255);
  try {
    for (const item of items) {
      const eq = item.indexOf('=');
      if (eq >= 0) {
        // procps writes `KEY=VALUE` even without -w (it treats an `=` as an assignment).
        const key = normaliseKey(item.slice(0, eq).trim());
        const value = item.slice(eq + 1).trim();
        if (!sys.has(key) && ignoreUnknown) continue;
        const stored = sys.set(key, value);
        if (!quiet) out += line(key, stored);
      } else {
        if (write) throw new CommandError(`sysctl: "${item}" must be of the form name=value`, 255);
        const key = normaliseKey(item);
        if (!sys.has(key) && ignoreUnknown) continue;
        out += line(key, sys.get(key));
      }
    }
  } catch (e) {
    if (e instanceof SysctlError) throw new CommandError(e.message, 255);
    throw e;
  }
  return { stdout: out };
}

registerTool('sysctl', sysctl);
