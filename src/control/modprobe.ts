// modprobe(8) (kmod), for the modules a network scenario loads. netsim's world is one kernel, so a
// module loaded from any namespace is loaded for all of them.
//   modprobe [-a] [-v] [-q] [-n] MODULE…      without -a only the first word is a module name
//                                              (the rest are module parameters, ignored here)
// br_netfilter has an effect (src/net/devices/br-netfilter.ts: the net.bridge.* sysctls appear and
// bridged IPv4 crosses iptables), and so has ipip (src/net/devices/ipip.ts: tunl0 appears in every
// namespace); the other known modules are already "built in" to netsim and load as no-ops. An unknown
// name fails like kmod: `modprobe: FATAL: Module X not found in directory /lib/modules/RELEASE`,
// exit status 1. Removal (-r) is not modelled.

import { loadBrNetfilter } from '../net/devices/br-netfilter.js';
import { loadIpip } from '../net/devices/ipip.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

/** The kernel release netsim reports (the one its fixtures were recorded on). */
export const KERNEL_RELEASE = '6.18.44';

/** Modules netsim knows; loading one that has no switch here changes nothing. */
const KNOWN = new Set([
  'br_netfilter',
  'bridge',
  'overlay',
  'veth',
  'vxlan',
  'macvlan',
  'ipvlan',
  'ipip',
  'tunnel4',
  'ip_tunnel',
  'dummy',
  'ip_vs',
  'ip_vs_rr',
  'ip_vs_wrr',
  'ip_vs_lc',
  'ip_vs_wlc',
  'ip_vs_sh',
  'ip_vs_dh',
  'ip_vs_mh',
  'ip_vs_sed',
  'ip_vs_nq',
  'ip_vs_lblc',
  'ip_vs_lblcr',
  'nf_conntrack',
  'nf_nat',
  'nf_conntrack_netlink',
  'nf_defrag_ipv4',
  'nf_tables',
  'nft_compat',
  'nft_chain_nat',
  'ip_tables',
  'iptable_filter',
  'iptable_nat',
  'iptable_mangle',
  'iptable_raw',
  'x_tables',
  'xt_conntrack',
  'xt_MASQUERADE',
  'xt_addrtype',
  'xt_physdev',
  'xt_nat',
  'xt_mark',
  'xt_comment',
  'xt_multiport',
  'xt_tcpudp',
  'ipt_REJECT',
]);

export function modprobe(ctx: CommandContext, args: readonly string[]): CommandResult {
  let all = false;
  let verbose = false;
  let quiet = false;
  let dryRun = false;
  const names: string[] = [];
  for (const a of args) {
    if (names.length > 0 && !all) break; // module parameters follow the name
    if (a.startsWith('--')) {
      if (a === '--all') all = true;
      else if (a === '--verbose') verbose = true;
      else if (a === '--quiet') quiet = true;
      else if (a === '--dry-run' || a === '--show') dryRun = true;
      else if (a === '--remove')
        throw new CommandError('modprobe: removing modules is not modelled by netsim');
      else throw new CommandError(`modprobe: unrecognized option '${a}'`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 'a') all = true;
        else if (f === 'v') verbose = true;
        else if (f === 'q') quiet = true;
        else if (f === 'n') dryRun = true;
        else if (f === 'r') throw new CommandError('modprobe: removing modules is not modelled by netsim');
        else throw new CommandError(`modprobe: invalid option -- '${f}'`);
      }
      continue;
    }
    names.push(a.replace(/-/g, '_'));
  }
  if (names.length === 0) throw new CommandError('modprobe: ERROR: missing parameters. See -h.');
  let out = '';
  for (const name of names) {
    if (!KNOWN.has(name)) {
      if (quiet) throw new CommandError('', 1);
      throw new CommandError(
        `modprobe: FATAL: Module ${name} not found in directory /lib/modules/${KERNEL_RELEASE}`,
      );
    }
    if (verbose) out += `insmod /lib/modules/${KERNEL_RELEASE}/kernel/${name}.ko\n`;
    if (dryRun) continue;
    if (name === 'br_netfilter') loadBrNetfilter(ctx.world);
    // ipip: the fallback tunl0 appears in every namespace (src/net/devices/ipip.ts).
    else if (name === 'ipip') loadIpip(ctx.world);
  }
  return { stdout: out };
}

registerTool('modprobe', modprobe);
