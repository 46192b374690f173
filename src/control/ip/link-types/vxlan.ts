// `ip link add NAME type vxlan …` (ip-link(8), iproute2 ip/iplink_vxlan.c) and its `ip -d link` output.
//
// Facts recorded on Linux 6.18 / iproute2 6.1 (test/fixtures/overlay/vxlan-add-variants.txt,
// vxlan-variants-d*.txt):
// - Without `dstport`, iproute2 prints a 4-line warning on stderr and the kernel uses 8472. netsim's
//   CommandResult has stdout only for the normal output, so `ip link add` returns the warning in an
//   extra `stderr` field (as the conntrack tool does); scenario runners may show or ignore it.
// - `id` ≥ 2^24: `Error: argument "N" is wrong: invalid id` (exit 255); no id: `vxlan: missing virtual
//   network identifier` (exit 1); `group` must be multicast, `remote` must not (`invalid group
//   address` / `invalid remote address`, exit 255); both: `vxlan: both group and remote cannot be
//   specified` (exit 1); the same VNI on the same port twice: `Error: A VXLAN device with the specified
//   VNI already exists.` (exit 2).
// - MTU: lower device MTU − 50 with `dev`, else 1500. `remote`/`group` make the all-zeros FDB entry.
// - `ip -d link` words: id, remote|group, local, dev, srcport, dstport, nolearning, proxy, l2miss,
//   l3miss, tos, ttl, df, ageing, [no]udpcsum, noudp6zerocsumtx, noudp6zerocsumrx.

import { type Device, DevKind } from '../../../net/device.js';
import { defaultVxlanConfig, VxlanDevice, VxlanDf } from '../../../net/devices/vxlan.js';
import { ipv4ToString, tryParseIpv4 } from '../../../wire/ipv4-address.js';
import { type CommandContext, CommandError } from '../../command.js';
import { registerLinkType } from '../link-types.js';

const DSTPORT_WARNING =
  'vxlan: destination port not specified\n' +
  'Will use Linux kernel default (non-standard value)\n' +
  "Use 'dstport 4789' to get the IANA assigned value\n" +
  "Use 'dstport 0' to get default and quiet this message\n";

function invarg(what: string, arg: string): never {
  throw new CommandError(`Error: argument "${arg}" is wrong: ${what}`, 255);
}

function next(args: readonly string[], i: number): string {
  const v = args[i];
  if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"', 255);
  return v;
}

function u32(text: string, max: number, what: string): number {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) invarg(what, text);
  const v = Number(text);
  if (v > max) invarg(what, text);
  return v;
}

const isMulticast = (a: number): boolean => a >>> 28 === 0xe;

/** Parses `type vxlan` words into a configuration (iplink_vxlan.c `vxlan_parse_opt`). */
export function parseVxlanArgs(
  ctx: CommandContext,
  args: readonly string[],
): ReturnType<typeof defaultVxlanConfig> {
  const c = defaultVxlanConfig(0);
  let vniSet = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'id' || a === 'vni') {
      const t = next(args, ++i);
      c.vni = u32(t, 0xffffff, 'invalid id');
      vniSet = true;
    } else if (a === 'group' || a === 'remote') {
      const t = next(args, ++i);
      const ip = tryParseIpv4(t);
      if (ip < 0) invarg(`invalid ${a} address`, t);
      if (a === 'group' ? !isMulticast(ip) : isMulticast(ip)) invarg(`invalid ${a} address`, t);
      if (a === 'group') c.group = ip;
      else c.remote = ip;
    } else if (a === 'local') {
      const t = next(args, ++i);
      const ip = tryParseIpv4(t);
      if (ip < 0) invarg('invalid local address', t);
      c.local = ip;
    } else if (a === 'dev') {
      const t = next(args, ++i);
      const d = ctx.ns.device(t);
      if (d === undefined) throw new CommandError(`Cannot find device "${t}"`, 255);
      c.lowerDevId = d.id;
    } else if (a === 'ttl' || a === 'hoplimit') {
      const t = next(args, ++i);
      if (t === 'inherit') c.ttlInherit = true;
      else if (t === 'auto') c.ttl = 0;
      else c.ttl = u32(t, 255, 'invalid TTL');
    } else if (a === 'tos' || a === 'dsfield') {
      const t = next(args, ++i);
      if (t === 'inherit') c.tos = 1;
      else {
        if (!/^(0x)?[0-9a-fA-F]{1,2}$/.test(t)) invarg('bad TOS value', t);
        c.tos = Number.parseInt(t.replace(/^0x/, ''), 16);
      }
    } else if (a === 'df') {
      const t = next(args, ++i);
      if (t === 'set') c.df = VxlanDf.Set;
      else if (t === 'unset') c.df = VxlanDf.Unset;
      else if (t === 'inherit') c.df = VxlanDf.Inherit;
      else invarg("DF must be 'set', 'unset' or 'inherit'", t);
    } else if (a === 'ageing') {
      c.ageingSec = u32(next(args, ++i), 0xffffffff, 'ageing');
    } else if (a === 'srcport' || a === 'port') {
      c.srcPortMin = u32(next(args, ++i), 65535, 'min port');
      c.srcPortMax = u32(next(args, ++i), 65535, 'max port');
    } else if (a === 'dstport') {
      const p = u32(next(args, ++i), 65535, 'dst port');
      c.dstPort = p === 0 ? 8472 : p;
    } else if (a === 'learning') c.learning = true;
    else if (a === 'nolearning') c.learning = false;
    else if (a === 'proxy') c.proxy = true;
    else if (a === 'noproxy') c.proxy = false;
    else if (a === 'l2miss') c.l2miss = true;
    else if (a === 'nol2miss') c.l2miss = false;
    else if (a === 'l3miss') c.l3miss = true;
    else if (a === 'nol3miss') c.l3miss = false;
    else if (a === 'udpcsum') c.udpCsum = true;
    else if (a === 'noudpcsum') c.udpCsum = false;
    else if (
      a === 'udp6zerocsumtx' ||
      a === 'udp6zerocsumrx' ||
      a === 'noudp6zerocsumtx' ||
      a === 'noudp6zerocsumrx'
    ) {
      // IPv6 underlay options: accepted, no effect on an IPv4 underlay.
    } else if (
      a === 'external' ||
      a === 'gbp' ||
      a === 'gpe' ||
      a === 'rsc' ||
      a === 'vnifilter' ||
      a === 'remcsumtx'
    ) {
      throw new CommandError(`netsim: "type vxlan … ${a}" is not emulated`, 255);
    } else if (a === 'help') {
      throw new CommandError(
        'Usage: ... vxlan id VNI [ { group | remote } IP_ADDRESS ] [ local ADDR ] …',
        255,
      );
    } else {
      throw new CommandError(`vxlan: unknown command "${a}"?`, 255);
    }
  }
  if (!vniSet) throw new CommandError('vxlan: missing virtual network identifier', 1);
  if (c.group !== 0 && c.remote !== 0)
    throw new CommandError('vxlan: both group and remote cannot be specified', 1);
  return c;
}

function asVxlan(dev: Device): VxlanDevice {
  if (!(dev instanceof VxlanDevice)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

/** `ip -d link show` words for a vxlan device (iplink_vxlan.c `vxlan_print_opt`). */
export function vxlanDetails(dev: Device): string {
  const v = asVxlan(dev);
  const c = v.cfg;
  const w: string[] = ['vxlan', 'id', String(c.vni)];
  if (c.group !== 0) w.push('group', ipv4ToString(c.group));
  else if (c.remote !== 0) w.push('remote', ipv4ToString(c.remote));
  if (c.local !== 0) w.push('local', ipv4ToString(c.local));
  if (c.lowerDevId >= 0) w.push('dev', v.world.devices[c.lowerDevId]!.name);
  w.push('srcport', String(c.srcPortMin), String(c.srcPortMax), 'dstport', String(c.dstPort));
  if (!c.learning) w.push('nolearning');
  if (c.proxy) w.push('proxy');
  if (c.l2miss) w.push('l2miss');
  if (c.l3miss) w.push('l3miss');
  if (c.tos === 1) w.push('tos', 'inherit');
  else if (c.tos !== 0) w.push('tos', `0x${c.tos.toString(16)}`);
  if (c.ttlInherit) w.push('ttl', 'inherit');
  else w.push('ttl', c.ttl === 0 ? 'auto' : String(c.ttl));
  if (c.df === VxlanDf.Set) w.push('df', 'set');
  else if (c.df === VxlanDf.Inherit) w.push('df', 'inherit');
  w.push(
    'ageing',
    String(c.ageingSec),
    c.udpCsum ? 'udpcsum' : 'noudpcsum',
    'noudp6zerocsumtx',
    'noudp6zerocsumrx',
  );
  return w.join(' ');
}

/** `ip -d -j link show`: linkinfo.info_data. */
export function vxlanDetailsJson(dev: Device): Record<string, unknown> {
  const v = asVxlan(dev);
  const c = v.cfg;
  const o: Record<string, unknown> = { id: c.vni };
  if (c.group !== 0) o.group = ipv4ToString(c.group);
  else if (c.remote !== 0) o.remote = ipv4ToString(c.remote);
  if (c.local !== 0) o.local = ipv4ToString(c.local);
  if (c.lowerDevId >= 0) o.link = v.world.devices[c.lowerDevId]!.name;
  o.port_range = { low: c.srcPortMin, high: c.srcPortMax };
  o.port = c.dstPort;
  o.learning = c.learning;
  if (c.proxy) o.proxy = true;
  if (c.l2miss) o.l2miss = true;
  if (c.l3miss) o.l3miss = true;
  if (c.tos !== 0) o.tos = `0x${c.tos.toString(16)}`;
  if (!c.ttlInherit) o.ttl = c.ttl;
  o.df = c.df === VxlanDf.Set ? 'set' : c.df === VxlanDf.Inherit ? 'inherit' : 'unset';
  o.ageing = c.ageingSec;
  o.udp_csum = c.udpCsum;
  o.udp_zero_csum6_tx = false;
  o.udp_zero_csum6_rx = false;
  return o;
}

registerLinkType('vxlan', {
  addWarning(args) {
    return args.includes('dstport') ? '' : DSTPORT_WARNING;
  },
  create(ctx, name, args) {
    const cfg = parseVxlanArgs(ctx, args);
    // vxlan_vni_in_use: the same VNI on the same port (and local address / link) in this namespace.
    for (const d of ctx.ns.devices) {
      if (d.kind !== DevKind.Vxlan) continue;
      const o = (d as VxlanDevice).cfg;
      if (
        o.vni === cfg.vni &&
        o.dstPort === cfg.dstPort &&
        o.local === cfg.local &&
        o.lowerDevId === cfg.lowerDevId
      ) {
        throw new CommandError('Error: A VXLAN device with the specified VNI already exists.', 2);
      }
    }
    const dev = new VxlanDevice(ctx.world, ctx.ns, name, cfg);
    const mac = ctx.ns.randomMac();
    dev.macHi = mac.hi;
    dev.macLo = mac.lo;
    ctx.ns.attach(dev);
    return dev;
  },
  upChanged(dev) {
    const v = asVxlan(dev);
    if (!dev.adminUp) {
      v.close();
      return;
    }
    const err = v.open();
    if (err !== null) {
      dev.adminUp = false;
      throw new CommandError(`RTNETLINK answers: ${err}`, 2);
    }
  },
  destroy(_ctx, dev) {
    asVxlan(dev).close();
  },
  details: vxlanDetails,
  detailsJson: vxlanDetailsJson,
});
