// iptables(8), the nf_tables variant Debian installs by default (iptables v1.8.9 (nf_tables)): rule
// and chain commands on the namespace's tables. Parsing: ./iptables/parse.ts; execution and listings:
// ./iptables/exec.ts; the rule engine: src/netfilter/. Errors carry iptables' text and exit status
// (2 for usage, 1 for kernel refusals, 3 unknown table, 4 nf_tables batch failures).

import { netfilterOf } from '../netfilter/hooks.js';
import { XtError } from '../netfilter/module.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';
import { bindRules, execute, frameXtError, IptError } from './iptables/exec.js';
import { parseArgs } from './iptables/parse.js';

export function iptables(ctx: CommandContext, args: readonly string[]): CommandResult {
  try {
    const p = parseArgs(args);
    const nf = netfilterOf(ctx.ns);
    bindRules(nf, p.rules);
    return { stdout: execute(nf, p) };
  } catch (caught) {
    let e = caught;
    if (e instanceof XtError) e = frameXtError(e);
    if (e instanceof IptError) throw new CommandError(e.message, e.code);
    throw e;
  }
}

registerTool('iptables', iptables);
registerTool('iptables-nft', iptables);
