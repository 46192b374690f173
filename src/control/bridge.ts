// The `bridge` tool (iproute2's bridge(8)): `bridge fdb …` and `bridge link …`, plus the `bridge` and
// `bridge_slave` kinds of `ip link` (registered in the link-type registry).
//
// Outputs follow iproute2 6.1 on Linux 6.18, recorded in test/fixtures/bridge/ (record.sh). Left out on
// purpose, because netsim has no IPv6 and no multicast address lists: the `self permanent` entries the
// kernel derives from a device's multicast list (33:33:…, 01:00:5e:…); `bridge fdb show` prints the
// bridge's FDB and the unicast addresses added with `bridge fdb add … self`. Timers that only STP runs
// (`forward_delay_timer`, `hello_timer`, …) print 0.00, and times are not rounded to jiffies (the
// kernel shows `ageing_time 7` back as 6 with HZ=250).

import { type Device, DevKind } from '../net/device.js';
import {
  BridgeDevice,
  type BridgeOptions,
  BridgePort,
  CS_NS,
  PORT_STATE_NAMES,
  PortFlag,
  PortState,
} from '../net/devices/bridge.js';
import { FDB_PORT_BRIDGE, FdbFlag, Learn, type SelfFdbDevice } from '../net/devices/fdb.js';
import { PairedDevice } from '../net/devices/veth.js';
import type { Namespace } from '../net/namespace.js';
import { macToString, tryParseMac } from '../wire/mac.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';
import { registerLinkType, registerSlaveType } from './ip/link-types.js';

// ---------------------------------------------------------------- ip link … type bridge

const RANGE = 'RTNETLINK answers: Numerical result out of range';

/** Numeric `type bridge` options: name → [field or null (accepted, shown as default), max]. */
const BRIDGE_NUM_OPTS: Record<string, keyof BridgeOptions | null> = {
  ageing_time: 'ageingCs',
  forward_delay: 'forwardDelayCs',
  hello_time: 'helloTimeCs',
  max_age: 'maxAgeCs',
  priority: 'priority',
  stp_state: 'stpState',
  vlan_filtering: 'vlanFiltering',
  mcast_snooping: 'mcastSnooping',
  group_fwd_mask: 'groupFwdMask',
  no_linklocal_learn: 'noLinklocalLearn',
  nf_call_iptables: 'nfCallIptables',
  nf_call_ip6tables: 'nfCallIp6tables',
  nf_call_arptables: 'nfCallArptables',
};

function parseUint(text: string | undefined, what: string, max: number): number {
  if (text === undefined) throw new CommandError('Command line is not complete. Try option "help"');
  const v = /^(0x[0-9a-fA-F]+|\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!(v >= 0 && v <= max)) throw new CommandError(`Error: argument "${text}" is wrong: invalid ${what}`);
  return v;
}

/** Parses `type bridge` ARGS into option changes; validates like iproute2 and br_changelink. */
function parseBridgeArgs(args: readonly string[]): Partial<BridgeOptions> {
  const out: Partial<BridgeOptions> = {};
  for (let i = 0; i < args.length; i++) {
    const k = args[i]!;
    if (!(k in BRIDGE_NUM_OPTS)) {
      if (
        k.startsWith('mcast_') ||
        k === 'vlan_protocol' ||
        k === 'vlan_default_pvid' ||
        k === 'group_address'
      ) {
        // Accepted and ignored: multicast snooping internals and VLAN settings have no effect here.
        if (args[i + 1] === undefined)
          throw new CommandError('Command line is not complete. Try option "help"');
        i++;
        continue;
      }
      throw new CommandError(`bridge: unknown command "${k}"?`);
    }
    const max = k === 'priority' ? 0xffff : 0xffffffff;
    const v = parseUint(args[++i], k, max);
    const field = BRIDGE_NUM_OPTS[k]!;
    (out as Record<string, number>)[field] = v;
  }
  // br_set_hello_time / br_set_max_age ranges (seconds 1..10 and 6..40), checked whatever stp_state.
  if (out.helloTimeCs !== undefined && (out.helloTimeCs < 100 || out.helloTimeCs > 1000))
    throw new CommandError(RANGE, 2);
  if (out.maxAgeCs !== undefined && (out.maxAgeCs < 600 || out.maxAgeCs > 4000))
    throw new CommandError(RANGE, 2);
  if (out.stpState !== undefined && out.stpState !== 0) {
    throw new CommandError('netsim: STP is not emulated: only stp_state 0 is supported', 2);
  }
  if (out.vlanFiltering !== undefined && out.vlanFiltering !== 0) {
    throw new CommandError('netsim: VLAN filtering is not emulated: only vlan_filtering 0 is supported', 2);
  }
  if (out.mcastSnooping !== undefined) out.mcastSnooping = out.mcastSnooping ? 1 : 0;
  return out;
}

function applyBridgeOptions(br: BridgeDevice, o: Partial<BridgeOptions>): void {
  for (const [k, v] of Object.entries(o)) {
    if (k === 'ageingCs') br.setAgeing(v as number);
    else (br.opts as unknown as Record<string, number>)[k] = v as number;
  }
  br.groupFwdMask = br.opts.groupFwdMask;
  br.noLinklocalLearn = br.opts.noLinklocalLearn;
}

function asBridge(dev: Device): BridgeDevice {
  if (!(dev instanceof BridgeDevice)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

/** bridge_id / designated_root as iproute2 prints them: `8000.2:0:0:0:1:a`. */
function bridgeIdText(br: BridgeDevice): string {
  const p = br.opts.priority;
  const o = [
    br.idHi >>> 8,
    br.idHi & 0xff,
    br.idLo >>> 24,
    (br.idLo >>> 16) & 0xff,
    (br.idLo >>> 8) & 0xff,
    br.idLo & 0xff,
  ];
  return `${hex2(p >>> 8)}${hex2(p & 0xff)}.${o.map((x) => x.toString(16)).join(':')}`;
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, '0');
}

/** iproute2's timer format: `%4i.%.2i` of seconds and hundredths. */
function timerText(ns: number): string {
  const cs = Math.max(0, Math.floor(ns / CS_NS));
  return `${String(Math.floor(cs / 100)).padStart(4)}.${String(cs % 100).padStart(2, '0')}`;
}

function gcRemaining(br: BridgeDevice): number {
  const at = br.gcPendingAt;
  return at === Number.POSITIVE_INFINITY ? 0 : at - br.world.sim.now;
}

function bridgeDetails(dev: Device): string {
  const br = asBridge(dev);
  const o = br.opts;
  const id = bridgeIdText(br);
  return [
    `bridge forward_delay ${o.forwardDelayCs} hello_time ${o.helloTimeCs} max_age ${o.maxAgeCs}`,
    `ageing_time ${o.ageingCs} stp_state ${o.stpState} priority ${o.priority} vlan_filtering ${o.vlanFiltering}`,
    `bridge_id ${id} designated_root ${id} root_port 0 root_path_cost 0 topology_change 0`,
    `topology_change_detected 0 hello_timer ${timerText(0)} tcn_timer ${timerText(0)}`,
    `topology_change_timer ${timerText(0)} gc_timer ${timerText(gcRemaining(br))}`,
    `group_fwd_mask ${o.groupFwdMask} group_address 01:80:c2:00:00:00 mcast_snooping ${o.mcastSnooping}`,
    `no_linklocal_learn ${o.noLinklocalLearn} mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0`,
    'mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2',
    'mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000',
    'mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000',
    'mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1',
    `nf_call_iptables ${o.nfCallIptables} nf_call_ip6tables ${o.nfCallIp6tables} nf_call_arptables ${o.nfCallArptables}`,
  ].join(' ');
}

function bridgeDetailsJson(dev: Device): Record<string, unknown> {
  const br = asBridge(dev);
  const o = br.opts;
  const id = bridgeIdText(br);
  return {
    forward_delay: o.forwardDelayCs,
    hello_time: o.helloTimeCs,
    max_age: o.maxAgeCs,
    ageing_time: o.ageingCs,
    stp_state: o.stpState,
    priority: o.priority,
    vlan_filtering: o.vlanFiltering,
    bridge_id: id,
    root_id: id,
    root_port: 0,
    root_path_cost: 0,
    topology_change: 0,
    topology_change_detected: 0,
    hello_timer: 0,
    tcn_timer: 0,
    topology_change_timer: 0,
    gc_timer: Math.floor(gcRemaining(br) / CS_NS) / 100,
    group_fwd_mask: o.groupFwdMask,
    group_addr: '01:80:c2:00:00:00',
    mcast_snooping: o.mcastSnooping,
    no_linklocal_learn: o.noLinklocalLearn,
    nf_call_iptables: o.nfCallIptables,
    nf_call_ip6tables: o.nfCallIp6tables,
    nf_call_arptables: o.nfCallArptables,
  };
}

registerLinkType('bridge', {
  create(ctx, name, args) {
    const o = parseBridgeArgs(args);
    const br = new BridgeDevice(ctx.world, ctx.ns, name, o);
    // br_dev_setup: eth_hw_addr_random.
    const mac = ctx.ns.randomMac();
    br.macHi = mac.hi;
    br.macLo = mac.lo;
    ctx.ns.attach(br);
    return br;
  },
  change(_ctx, dev, args) {
    const br = asBridge(dev);
    applyBridgeOptions(br, parseBridgeArgs(args));
  },
  details: bridgeDetails,
  detailsJson: bridgeDetailsJson,
  slaveKind: 'bridge_slave',
  enslave(_ctx, master, port) {
    const err = asBridge(master).addPort(port);
    if (err !== null) throw new CommandError(`RTNETLINK answers: ${err}`, 2);
  },
  release(_ctx, master, port) {
    asBridge(master).removePort(port);
  },
  setAddress(dev, hi, lo) {
    asBridge(dev).setUserAddress(hi, lo);
  },
  portAddressChanged(master, port) {
    asBridge(master).portAddressChanged(port);
  },
  destroy(_ctx, dev) {
    asBridge(dev).removeAllPorts();
  },
});

// ---------------------------------------------------------------- port options (both tools)

/** Boolean port options: word → flag with an effect, or null (stored for display). */
const PORT_BOOL: Record<string, number | null> = {
  hairpin: PortFlag.Hairpin,
  learning: PortFlag.Learning,
  flood: PortFlag.Flood,
  mcast_flood: PortFlag.McastFlood,
  bcast_flood: PortFlag.BcastFlood,
  isolated: PortFlag.Isolated,
  neigh_suppress: PortFlag.NeighSuppress,
  guard: null,
  root_block: null,
  fastleave: null,
  mcast_fast_leave: null,
  proxy_arp: null,
  proxy_arp_wifi: null,
  mcast_to_unicast: null,
  vlan_tunnel: null,
  locked: null,
};

function portOf(dev: Device): BridgePort {
  const h = dev.rxHandler;
  if (!(h instanceof BridgePort)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return h;
}

function onOff(key: string, v: string | undefined, exitCode: number): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"');
  throw new CommandError(`Error: argument of "${key}" must be one of "off", "on", not "${v}"`, exitCode);
}

function parseState(v: string | undefined): PortState {
  if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"');
  const byName = PORT_STATE_NAMES.indexOf(v);
  const n = byName >= 0 ? byName : /^\d+$/.test(v) ? Number(v) : -1;
  if (n < 0 || n > 4) throw new CommandError('RTNETLINK answers: Invalid argument', 2);
  return n as PortState;
}

/** br_set_port_state: only while the bridge is up and the port has carrier (or to disable it). */
function setPortState(p: BridgePort, s: PortState): void {
  if (!p.br.adminUp || (!p.dev.operUp && s !== PortState.Disabled)) {
    throw new CommandError('RTNETLINK answers: Network is down', 2);
  }
  p.userState = s;
}

/** Applies `KEY VALUE` port options (`bridge link set` and `ip link set … type bridge_slave`). */
function applyPortArgs(p: BridgePort, args: readonly string[], exitCode: number): void {
  // Validate everything first, then apply, as a single netlink request would.
  const ops: Array<() => void> = [];
  for (let i = 0; i < args.length; i++) {
    const k = args[i]!;
    if (k in PORT_BOOL) {
      const on = onOff(k, args[++i], exitCode);
      const f = PORT_BOOL[k]!;
      const name = k === 'mcast_fast_leave' ? 'fastleave' : k;
      ops.push(() => {
        if (f === null) p.shown.set(name, on ? 1 : 0);
        else p.flags = on ? p.flags | f : p.flags & ~f;
      });
    } else if (k === 'state') {
      const s = parseState(args[++i]);
      ops.push(() => setPortState(p, s));
    } else if (k === 'priority' || k === 'cost') {
      const v = parseUint(args[++i], k, k === 'priority' ? 63 : 65535);
      ops.push(() => {
        if (k === 'priority') p.priority = v;
        else p.cost = v;
      });
    } else if (k === 'mcast_router' || k === 'group_fwd_mask') {
      const v = parseUint(args[++i], k, 0xffff);
      ops.push(() => p.shown.set(k, v));
    } else {
      throw new CommandError(`bridge: unknown option "${k}"?`, exitCode);
    }
  }
  for (const op of ops) op();
}

function flagText(p: BridgePort, key: string): string {
  const f = PORT_BOOL[key];
  const on = f === null || f === undefined ? (p.shown.get(key) ?? 0) !== 0 : (p.flags & f) !== 0;
  return on ? 'on' : 'off';
}

function flagBool(p: BridgePort, key: string): boolean {
  return flagText(p, key) === 'on';
}

registerSlaveType('bridge_slave', {
  change(_ctx, dev, args) {
    applyPortArgs(portOf(dev), args, 255);
  },
  details(dev) {
    const p = portOf(dev);
    const id = bridgeIdText(p.br);
    const portId = ((p.priority << 10) | p.portNo) >>> 0;
    return [
      `bridge_slave state ${PORT_STATE_NAMES[p.state]} priority ${p.priority} cost ${p.cost}`,
      `hairpin ${flagText(p, 'hairpin')} guard ${flagText(p, 'guard')} root_block ${flagText(p, 'root_block')}`,
      `fastleave ${flagText(p, 'fastleave')} learning ${flagText(p, 'learning')} flood ${flagText(p, 'flood')}`,
      `port_id 0x${portId.toString(16)} port_no 0x${p.portNo.toString(16)} designated_port ${portId}`,
      `designated_cost 0 designated_bridge ${id} designated_root ${id} hold_timer ${timerText(0)}`,
      `message_age_timer ${timerText(0)} forward_delay_timer ${timerText(0)} topology_change_ack 0`,
      `config_pending 0 proxy_arp ${flagText(p, 'proxy_arp')} proxy_arp_wifi ${flagText(p, 'proxy_arp_wifi')}`,
      `mcast_router ${p.shown.get('mcast_router') ?? 1} mcast_fast_leave ${flagText(p, 'fastleave')}`,
      `mcast_flood ${flagText(p, 'mcast_flood')} bcast_flood ${flagText(p, 'bcast_flood')}`,
      `mcast_to_unicast ${flagText(p, 'mcast_to_unicast')} neigh_suppress ${flagText(p, 'neigh_suppress')}`,
      `group_fwd_mask ${p.shown.get('group_fwd_mask') ?? 0} group_fwd_mask_str 0x${(p.shown.get('group_fwd_mask') ?? 0).toString(16)}`,
      `vlan_tunnel ${flagText(p, 'vlan_tunnel')} isolated ${flagText(p, 'isolated')} locked ${flagText(p, 'locked')}`,
    ].join(' ');
  },
  detailsJson(dev) {
    const p = portOf(dev);
    return {
      state: PORT_STATE_NAMES[p.state],
      priority: p.priority,
      cost: p.cost,
      hairpin: flagBool(p, 'hairpin'),
      guard: flagBool(p, 'guard'),
      root_block: flagBool(p, 'root_block'),
      fastleave: flagBool(p, 'fastleave'),
      learning: flagBool(p, 'learning'),
      flood: flagBool(p, 'flood'),
      port_no: `0x${p.portNo.toString(16)}`,
      mcast_flood: flagBool(p, 'mcast_flood'),
      bcast_flood: flagBool(p, 'bcast_flood'),
      neigh_suppress: flagBool(p, 'neigh_suppress'),
      isolated: flagBool(p, 'isolated'),
    };
  },
});

// ---------------------------------------------------------------- the bridge tool

interface BrOpts {
  stats: boolean;
  details: boolean;
  json: boolean;
  pretty: boolean;
}

const USAGE =
  'Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n' +
  'where  OBJECT := { link | fdb | mdb | vlan | vni | monitor }';

function matches(arg: string, full: string): boolean {
  return arg.length > 0 && arg.length <= full.length && full.startsWith(arg);
}

function bridgeTool(ctx: CommandContext, argv: readonly string[]): CommandResult {
  const o: BrOpts = { stats: false, details: false, json: false, pretty: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const opt = a.replace(/^--?/, '');
    if (matches(opt, 'stats') || matches(opt, 'statistics')) o.stats = true;
    else if (matches(opt, 'details')) o.details = true;
    else if (matches(opt, 'json')) o.json = true;
    else if (matches(opt, 'pretty')) o.pretty = true;
    else if (matches(opt, 'color') || matches(opt, 'oneline') || opt === 'c') continue;
    else if (matches(opt, 'help')) throw new CommandError(USAGE, 255);
    else throw new CommandError(`Option "${a}" is unknown, try "bridge help".`, 255);
  }
  const obj = argv[i];
  const rest = argv.slice(i + 1);
  if (obj === undefined) throw new CommandError(USAGE, 255);
  if (matches(obj, 'fdb')) return fdbCmd(ctx, rest, o);
  if (matches(obj, 'link')) return linkCmd(ctx, rest, o);
  if (matches(obj, 'mdb') || matches(obj, 'vlan') || matches(obj, 'vni') || matches(obj, 'monitor')) {
    throw new CommandError(`netsim: "bridge ${obj}" is not emulated`, 255);
  }
  throw new CommandError(`Object "${obj}" is unknown, try "bridge help".`, 255);
}

registerTool('bridge', bridgeTool);

function jsonOut(v: unknown, o: BrOpts): string {
  return o.pretty ? `${JSON.stringify(v, null, 4)}\n` : `${JSON.stringify(v)}\n`;
}

function byIfindex(ns: Namespace): Device[] {
  return [...ns.devices].sort((a, b) => a.ifindex - b.ifindex);
}

function findDev(ns: Namespace, name: string): Device {
  const d = ns.device(name);
  if (d === undefined) throw new CommandError(`Cannot find device "${name}"`, 255);
  return d;
}

// ---- bridge link

function ifFlags(dev: Device): string[] {
  const list: string[] = [];
  if (!dev.adminUp || dev.carrier) {
    /* no NO-CARRIER */
  } else list.push('NO-CARRIER');
  list.push('BROADCAST');
  list.push(dev.kind === DevKind.Dummy ? 'NOARP' : 'MULTICAST');
  if (dev.promisc) list.push('PROMISC');
  if (dev.adminUp) {
    list.push('UP');
    if (dev.carrier) list.push('LOWER_UP');
  }
  if (dev instanceof PairedDevice && dev.peer !== null && dev.peer.ns === dev.ns && !dev.peer.adminUp)
    list.push('M-DOWN');
  return list;
}

/** IFLA_LINK as `bridge` resolves it: the peer's ifindex looked up in *this* namespace (iproute2 6.1). */
function linkName(dev: Device): string | null {
  if (!(dev instanceof PairedDevice) || dev.peer === null) return null;
  const idx = dev.peer.ifindex;
  for (const d of dev.ns.devices) if (d.ifindex === idx) return d.name;
  return `if${idx}`;
}

function linkCmd(ctx: CommandContext, args: readonly string[], o: BrOpts): CommandResult {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    return linkShow(ctx, args.slice(1), o);
  }
  if (matches(cmd, 'set') || matches(cmd, 'change')) return linkSet(ctx, args.slice(1));
  throw new CommandError(`Command "${cmd}" is unknown, try "bridge link help".`, 255);
}

function linkSet(ctx: CommandContext, args: readonly string[]): CommandResult {
  let devName: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'master' || a === 'self') continue;
    else rest.push(a);
  }
  if (devName === undefined) throw new CommandError('Device is a required argument.', 255);
  const dev = ctx.ns.device(devName);
  if (dev === undefined) throw new CommandError(`Cannot find bridge device "${devName}"`, 255);
  // iproute2 parses every option before sending; errors in values come first.
  const h = dev.rxHandler;
  if (!(h instanceof BridgePort)) {
    validatePortArgs(rest);
    throw new CommandError('RTNETLINK answers: Operation not supported', 255);
  }
  applyPortArgs(h, rest, 234);
  return { stdout: '' };
}

function validatePortArgs(args: readonly string[]): void {
  for (let i = 0; i < args.length; i++) {
    const k = args[i]!;
    if (k in PORT_BOOL) onOff(k, args[++i], 234);
    else if (k === 'state') parseState(args[++i]);
    else i++;
  }
}

function linkShow(ctx: CommandContext, args: readonly string[], o: BrOpts): CommandResult {
  let filterDev: Device | null = null;
  let filterMaster: Device | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') filterDev = findDev(ctx.ns, args[++i] ?? '');
    else if (a === 'master') filterMaster = findDev(ctx.ns, args[++i] ?? '');
    else throw new CommandError(`Garbage instead of arguments "${a} ...". Try "bridge link help".`, 255);
  }
  const rows: Record<string, unknown>[] = [];
  let text = '';
  for (const dev of byIfindex(ctx.ns)) {
    const h = dev.rxHandler;
    if (!(h instanceof BridgePort)) continue;
    if (filterDev !== null && dev !== filterDev) continue;
    if (filterMaster !== null && h.br !== filterMaster) continue;
    const link = linkName(dev);
    const flags = ifFlags(dev);
    const state = PORT_STATE_NAMES[h.state]!;
    text += `${dev.ifindex}: ${dev.name}${link === null ? '' : `@${link}`}: <${flags.join(',')}> mtu ${dev.mtu} master ${h.br.name} state ${state} priority ${h.priority} cost ${h.cost} \n`;
    const row: Record<string, unknown> = { ifindex: dev.ifindex };
    if (link !== null) row.link = link;
    Object.assign(row, {
      ifname: dev.name,
      flags,
      mtu: dev.mtu,
      master: h.br.name,
      state,
      priority: h.priority,
      cost: h.cost,
    });
    if (o.details) {
      const keys = [
        'hairpin',
        'guard',
        'root_block',
        'fastleave',
        'learning',
        'flood',
        'mcast_flood',
        'bcast_flood',
      ];
      const keys2 = ['mcast_to_unicast', 'neigh_suppress', 'vlan_tunnel', 'isolated', 'locked'];
      const mr = h.shown.get('mcast_router') ?? 1;
      text += `    ${keys.map((k) => `${k} ${flagText(h, k)}`).join(' ')} mcast_router ${mr} ${keys2.map((k) => `${k} ${flagText(h, k)}`).join(' ')} \n`;
      for (const k of keys) row[k] = flagBool(h, k);
      row.mcast_router = mr;
      for (const k of keys2) row[k] = flagBool(h, k);
    }
    rows.push(row);
  }
  return { stdout: o.json ? jsonOut(rows, o) : text };
}

// ---- bridge fdb

/** Default `self` behaviour for devices without their own table (ndo_dflt_fdb_add: the uc list). */
const ucLists = new WeakMap<Device, Array<{ hi: number; lo: number }>>();

function isSelfFdb(dev: Device): dev is Device & SelfFdbDevice {
  return typeof (dev as Partial<SelfFdbDevice>).fdbSelfAdd === 'function';
}

interface FdbArgs {
  mac: { hi: number; lo: number };
  dev: Device;
  master: boolean;
  self: boolean;
  state: 'permanent' | 'static' | 'dynamic';
  sticky: boolean;
  vlan: number;
  dst: string | null;
}

function parseFdbArgs(ctx: CommandContext, args: readonly string[]): FdbArgs {
  let macText: string | undefined;
  let devName: string | undefined;
  let master = false;
  let self = false;
  let state: FdbArgs['state'] = 'permanent';
  let sticky = false;
  let vlan = 0;
  let dst: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'master') master = true;
    else if (a === 'self') self = true;
    else if (a === 'local' || a === 'permanent') state = 'permanent';
    else if (a === 'static' || a === 'temp') state = 'static';
    else if (a === 'dynamic') state = 'dynamic';
    else if (a === 'sticky') sticky = true;
    else if (a === 'vlan') vlan = parseUint(args[++i], 'vlan', 4095);
    else if (a === 'dst') {
      dst = args[++i] ?? null;
      if (dst === null) throw new CommandError('Command line is not complete. Try option "help"', 255);
    } else if (a === 'port' || a === 'vni' || a === 'via' || a === 'src_vni' || a === 'nhid') {
      throw new CommandError(`netsim: "bridge fdb … ${a}" is not emulated`, 255);
    } else if (a === 'router' || a === 'use' || a === 'extern_learn' || a === 'norouter') {
      throw new CommandError(`netsim: "bridge fdb … ${a}" is not emulated`, 255);
    } else if (macText === undefined) macText = a;
    else throw new CommandError(`Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255);
  }
  if (macText === undefined || devName === undefined) {
    throw new CommandError('Device and address are required arguments.', 255);
  }
  const mac = tryParseMac(macText);
  if (mac === null) throw new CommandError(`Invalid mac address ${macText}`, 255);
  const dev = findDev(ctx.ns, devName);
  // "Assume self" when neither master nor self is given.
  if (!master && !self) self = true;
  return { mac, dev, master, self, state, sticky, vlan, dst };
}

const EINVAL = 'RTNETLINK answers: Invalid argument';
const EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';
const ENOENT = 'RTNETLINK answers: No such file or directory';
const EEXIST = 'RTNETLINK answers: File exists';

type FdbOp = 'add' | 'append' | 'replace' | 'del';

function fdbCmd(ctx: CommandContext, args: readonly string[], o: BrOpts): CommandResult {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    return fdbShow(ctx, args.slice(1), o);
  }
  let op: FdbOp;
  if (cmd === 'add' || cmd === 'a') op = 'add';
  else if (matches(cmd, 'append')) op = 'append';
  else if (matches(cmd, 'replace')) op = 'replace';
  else if (matches(cmd, 'delete')) op = 'del';
  else throw new CommandError(`Command "${cmd}" is unknown, try "bridge fdb help".`, 255);
  const a = parseFdbArgs(ctx, args.slice(1));
  const dev = a.dev;
  // rtnl_fdb_add / rtnl_fdb_del checks.
  if (dev.kind === DevKind.Loopback)
    throw new CommandError('Error: FDB add only supported for Ethernet devices.', 255);
  // The all-zeros MAC is refused except as a vxlan default entry (vxlan_fdb_add accepts it).
  if (a.mac.hi === 0 && a.mac.lo === 0 && (a.master || !isSelfFdb(dev))) throw new CommandError(EINVAL, 255);
  if (a.master) {
    const p = dev.rxHandler;
    if (!(p instanceof BridgePort)) throw new CommandError(EOPNOTSUPP, 255);
    fdbBridgeOp(p.br, p.portNo, a, op);
  }
  if (a.self) {
    if (dev instanceof BridgeDevice) fdbBridgeOp(dev, FDB_PORT_BRIDGE, a, op);
    else if (isSelfFdb(dev)) {
      const err =
        op === 'del'
          ? dev.fdbSelfDel(a.mac, { dst: a.dst, vlan: a.vlan })
          : dev.fdbSelfAdd(a.mac, { op, dst: a.dst, vlan: a.vlan, state: a.state });
      if (err !== null) throw new CommandError(`RTNETLINK answers: ${err}`, 255);
    } else fdbDefaultSelf(dev, a, op);
  }
  return { stdout: '' };
}

/** br_fdb_add / br_fdb_delete → fdb_add_entry / fdb_delete_by_addr_and_port. */
function fdbBridgeOp(br: BridgeDevice, portNo: number, a: FdbArgs, op: FdbOp): void {
  const fdb = br.fdb;
  const now = br.world.sim.now;
  // No VLAN is configured on any port (vlan_filtering is not emulated): "unconfigured vlan".
  if (a.vlan !== 0) throw new CommandError(EINVAL, 255);
  const { hi, lo } = a.mac;
  const slot = fdb.find(hi, lo, 0);
  if (op === 'del') {
    if (slot < 0 || fdb.port[slot] !== portNo) throw new CommandError(ENOENT, 255);
    fdb.deleteSlot(slot);
    return;
  }
  if (portNo === FDB_PORT_BRIDGE && a.state !== 'permanent') throw new CommandError(EINVAL, 255);
  if (a.sticky && a.state === 'permanent') throw new CommandError(EINVAL, 255);
  let i = slot;
  let modified = false;
  if (i < 0) {
    i = fdb.insert(hi, lo, 0, portNo, 0, now);
    if (i < 0) throw new CommandError('RTNETLINK answers: No space left on device', 255);
    modified = true;
  } else {
    if (op === 'add') throw new CommandError(EEXIST, 255);
    if (fdb.port[i] !== portNo) {
      fdb.port[i] = portNo;
      modified = true;
    }
  }
  let f = fdb.flags[i]!;
  const want =
    a.state === 'permanent' ? FdbFlag.Local | FdbFlag.Static : a.state === 'static' ? FdbFlag.Static : 0;
  if ((f & (FdbFlag.Local | FdbFlag.Static)) !== want) {
    f = (f & ~(FdbFlag.Local | FdbFlag.Static)) | want;
    modified = true;
  }
  if (((f & FdbFlag.Sticky) !== 0) !== a.sticky) {
    f ^= FdbFlag.Sticky;
    modified = true;
  }
  fdb.flags[i] = f | FdbFlag.User;
  fdb.used[i] = now;
  if (modified) fdb.updated[i] = now;
  if (want === 0) br.learned(Learn.Created, now); // a dynamic entry exists: the collector must run
}

/** ndo_dflt_fdb_add / ndo_dflt_fdb_del: permanent addresses in the device's unicast list. */
function fdbDefaultSelf(dev: Device, a: FdbArgs, op: FdbOp): void {
  let list = ucLists.get(dev);
  const idx = list === undefined ? -1 : list.findIndex((m) => m.hi === a.mac.hi && m.lo === a.mac.lo);
  if (op === 'del') {
    if (idx < 0) throw new CommandError(ENOENT, 255);
    list!.splice(idx, 1);
    return;
  }
  if (a.state !== 'permanent') throw new CommandError(EINVAL, 255);
  if (idx >= 0) {
    if (op === 'add') throw new CommandError(EEXIST, 255);
    return;
  }
  if (list === undefined) {
    list = [];
    ucLists.set(dev, list);
  }
  list.push({ hi: a.mac.hi, lo: a.mac.lo });
}

interface FdbRow {
  text: string;
  json: Record<string, unknown>;
}

function bridgeEntryRow(br: BridgeDevice, slot: number, dev: Device, showDev: boolean, o: BrOpts): FdbRow {
  const fdb = br.fdb;
  const now = br.world.sim.now;
  const mac = macToString(fdb.macHi[slot]!, fdb.macLo[slot]!);
  const f = fdb.flags[slot]!;
  const state =
    f & FdbFlag.Local ? 'permanent' : f & FdbFlag.Static ? 'static' : fdb.expired(slot, now) ? 'stale' : '';
  const flags: string[] = [];
  if (f & FdbFlag.Sticky) flags.push('sticky');
  let text = `${mac} `;
  const json: Record<string, unknown> = { mac };
  if (showDev) {
    text += `dev ${dev.name} `;
    json.ifname = dev.name;
  }
  const vid = fdb.vlan[slot]!;
  if (vid !== 0) {
    text += `vlan ${vid} `;
    json.vlan = vid;
  }
  if (o.stats) {
    // ndm_used / ndm_updated in clock_t, printed divided by USER_HZ: whole seconds.
    const used = Math.floor((now - fdb.used[slot]!) / 1e9);
    const updated = Math.floor((now - fdb.updated[slot]!) / 1e9);
    text += `used ${used}/${updated} `;
    json.used = used;
    json.updated = updated;
  }
  for (const fl of flags) text += `${fl} `;
  json.flags = flags;
  text += `master ${br.name} ${state}\n`;
  json.master = br.name;
  json.state = state;
  return { text, json };
}

function selfRows(dev: Device, showDev: boolean): FdbRow[] {
  const rows: FdbRow[] = [];
  const prefix = showDev ? `dev ${dev.name} ` : '';
  if (isSelfFdb(dev)) {
    for (const e of dev.fdbSelfDump()) {
      const mac = macToString(e.hi, e.lo);
      const json: Record<string, unknown> = { mac };
      if (showDev) json.ifname = dev.name;
      rows.push({ text: `${mac} ${prefix}${e.text}\n`, json: { ...json, ...e.json } });
    }
    return rows;
  }
  for (const m of ucLists.get(dev) ?? []) {
    const mac = macToString(m.hi, m.lo);
    const json: Record<string, unknown> = { mac };
    if (showDev) json.ifname = dev.name;
    json.flags = ['self'];
    json.state = 'permanent';
    rows.push({ text: `${mac} ${prefix}self permanent\n`, json });
  }
  return rows;
}

/** rtnl_fdb_dump: devices in ifindex order; a port's bridge entries, then each device's own. */
function fdbShow(ctx: CommandContext, args: readonly string[], o: BrOpts): CommandResult {
  let filterBr: BridgeDevice | null = null;
  let filterDev: Device | null = null;
  let onlyDynamic = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'br') {
      const d = findDev(ctx.ns, args[++i] ?? '');
      if (!(d instanceof BridgeDevice)) throw new CommandError(`Cannot find bridge device "${d.name}"`, 255);
      filterBr = d;
    } else if (a === 'dev' || a === 'brport') filterDev = findDev(ctx.ns, args[++i] ?? '');
    else if (a === 'dynamic') onlyDynamic = true;
    else throw new CommandError(`Garbage instead of arguments "${a} ...". Try "bridge fdb help".`, 255);
  }
  const showDev = filterDev === null;
  const rows: FdbRow[] = [];
  for (const dev of byIfindex(ctx.ns)) {
    if (filterDev !== null && dev !== filterDev) continue;
    const port = dev.rxHandler instanceof BridgePort ? dev.rxHandler : null;
    const own = dev instanceof BridgeDevice ? dev : null;
    if (filterBr !== null && own !== filterBr && port?.br !== filterBr) continue;
    if (port !== null) {
      const br = port.br;
      for (const s of br.fdb.slots())
        if (br.fdb.port[s] === port.portNo) rows.push(bridgeEntryRow(br, s, dev, showDev, o));
    }
    if (!onlyDynamic) rows.push(...selfRows(dev, showDev));
    if (own !== null) {
      for (const s of own.fdb.slots()) {
        if (own.fdb.port[s] === FDB_PORT_BRIDGE) rows.push(bridgeEntryRow(own, s, dev, showDev, o));
      }
    }
  }
  const kept = onlyDynamic ? rows.filter((r) => r.json.state === '' || r.json.state === 'stale') : rows;
  return {
    stdout: o.json
      ? jsonOut(
          kept.map((r) => r.json),
          o,
        )
      : kept.map((r) => r.text).join(''),
  };
}
