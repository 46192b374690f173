// ipvsadm(8), version 1.31 (Debian bookworm): configure and list IPVS in the command's namespace.
//
// Fidelity sources: ipvsadm.c / libipvs.c of ipvsadm 1.26 (print_service_entry, print_conn,
// list_conn, print_largenum, ipvs_cmp_services/dests, ipvs_strerror, parse_service, generic_opt_check)
// and the 1.31 binary's format strings and command/option table (`commands_v_options`, decoded from
// /usr/sbin/ipvsadm of the Debian package; the kernel on the recording machine had no IPVS, so no
// live recordings exist). Differences from the real tool, by necessity:
// - no DNS: without -n, addresses print numerically (gethostbyaddr has nothing to ask) while ports use
//   the /etc/services names below (80 → http), as getservbyport would;
// - IPv6 and SCTP services, --pe, sync daemons, tunnel types other than ipip are refused with the
//   message the kernel would give for an unsupported operation;
// - `-R` reads the text in `ctx.stdin` (the scenario runner passes a heredoc there);
// - `-lc` lists entries in table order, not the kernel's hash-bucket order.
// Errors: parse errors exit 2 with ipvsadm's wording; kernel errors print `ipvs_strerror` and exit 255
// (process_options returns -1).

import {
  DEFAULT_PERSISTENT_TIMEOUT_S,
  FWD_NAMES,
  FWD_SWITCHES,
  Fwd,
  MAX_TIMEOUT_S,
  PROTO_TCP,
  PROTO_UDP,
  SCHED_FLAGS_MASK,
  SF,
} from '../ipvs/defs.js';
import type { Dest } from '../ipvs/dest.js';
import { type DestSpec, Errno, Ipvs, type ServiceSpec } from '../ipvs/ipvs.js';
import type { Service } from '../ipvs/service.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

const IPVS_VERSION = '1.2.1';
/** ip_vs_conn_tab_size with the default CONFIG_IP_VS_TAB_BITS=12. */
const CONN_TAB_SIZE = 4096;
const DEF_SCHED = 'wlc';
const VERSION_LINE = `ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v${IPVS_VERSION})`;

// ---- commands and options (ipvsadm.c) ----

const CMD = {
  NONE: 0,
  ADD: 1,
  EDIT: 2,
  DEL: 3,
  FLUSH: 4,
  LIST: 5,
  ADDDEST: 6,
  DELDEST: 7,
  EDITDEST: 8,
  TIMEOUT: 9,
  STARTDAEMON: 10,
  STOPDAEMON: 11,
  RESTORE: 12,
  SAVE: 13,
  ZERO: 14,
} as const;

const CMD_NAMES = [
  'add-service',
  'edit-service',
  'delete-service',
  'flush',
  'list',
  'add-server',
  'delete-server',
  'edit-server',
  'set',
  'start-daemon',
  'stop-daemon',
  'restore',
  'save',
  'zero',
];

const OPT_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
];
const O = Object.fromEntries(OPT_NAMES.map((n, i) => [n, i])) as Record<string, number>;

/**
 * `commands_v_options` of ipvsadm 1.31 ('+' compulsory, 'x' illegal, '1' exclusive, ' ' optional),
 * one row per command in CMD order, one column per option in OPT_NAMES order.
 */
const TABLE = [
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
];

type ArgKind = 0 | 1 | 2; // none, required, optional
interface OptDef {
  long: string;
  short: string;
  arg: ArgKind;
}
const OPTS: OptDef[] = [
  { long: 'add-service', short: 'A', arg: 0 },
  { long: 'edit-service', short: 'E', arg: 0 },
  { long: 'delete-service', short: 'D', arg: 0 },
  { long: 'clear', short: 'C', arg: 0 },
  { long: 'list', short: 'L', arg: 0 },
  { long: 'list', short: 'l', arg: 0 },
  { long: 'zero', short: 'Z', arg: 0 },
  { long: 'add-server', short: 'a', arg: 0 },
  { long: 'edit-server', short: 'e', arg: 0 },
  { long: 'delete-server', short: 'd', arg: 0 },
  { long: 'set', short: '', arg: 0 },
  { long: 'help', short: 'h', arg: 0 },
  { long: 'version', short: 'v', arg: 0 },
  { long: 'restore', short: 'R', arg: 0 },
  { long: 'save', short: 'S', arg: 0 },
  { long: 'start-daemon', short: '', arg: 1 },
  { long: 'stop-daemon', short: '', arg: 1 },
  { long: 'tcp-service', short: 't', arg: 1 },
  { long: 'udp-service', short: 'u', arg: 1 },
  { long: 'sctp-service', short: '', arg: 1 },
  { long: 'fwmark-service', short: 'f', arg: 1 },
  { long: 'scheduler', short: 's', arg: 1 },
  { long: 'persistent', short: 'p', arg: 2 },
  { long: 'netmask', short: 'M', arg: 1 },
  { long: 'real-server', short: 'r', arg: 1 },
  { long: 'masquerading', short: 'm', arg: 0 },
  { long: 'ipip', short: 'i', arg: 0 },
  { long: 'gatewaying', short: 'g', arg: 0 },
  { long: 'weight', short: 'w', arg: 1 },
  { long: 'u-threshold', short: 'x', arg: 1 },
  { long: 'l-threshold', short: 'y', arg: 1 },
  { long: 'numeric', short: 'n', arg: 0 },
  { long: 'connection', short: 'c', arg: 0 },
  { long: 'mcast-interface', short: '', arg: 1 },
  { long: 'syncid', short: '', arg: 1 },
  { long: 'timeout', short: '', arg: 0 },
  { long: 'daemon', short: '', arg: 0 },
  { long: 'stats', short: '', arg: 0 },
  { long: 'rate', short: '', arg: 0 },
  { long: 'thresholds', short: '', arg: 0 },
  { long: 'persistent-conn', short: '', arg: 0 },
  { long: 'nosort', short: '', arg: 0 },
  { long: 'sort', short: '', arg: 0 },
  { long: 'exact', short: '', arg: 0 },
  { long: 'ipv6', short: '6', arg: 0 },
  { long: 'ops', short: 'o', arg: 0 },
  { long: 'pe', short: '', arg: 1 },
  { long: 'sched-flags', short: 'b', arg: 1 },
  { long: 'mcast-group', short: '', arg: 1 },
  { long: 'mcast-port', short: '', arg: 1 },
  { long: 'mcast-ttl', short: '', arg: 1 },
  { long: 'sync-maxlen', short: '', arg: 1 },
  { long: 'tun-type', short: '', arg: 1 },
  { long: 'tun-port', short: '', arg: 1 },
  { long: 'tun-nocsum', short: '', arg: 0 },
  { long: 'tun-csum', short: '', arg: 0 },
  { long: 'tun-remcsum', short: '', arg: 0 },
  { long: 'tun-info', short: '', arg: 0 },
];

// /etc/services names (Debian netbase) for getservbyname / getservbyport.
const TCP_SERVICES: Record<string, number> = {
  'ftp-data': 20,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  www: 80,
  kerberos: 88,
  pop3: 110,
  sunrpc: 111,
  imap2: 143,
  imap: 143,
  bgp: 179,
  ldap: 389,
  https: 443,
  'microsoft-ds': 445,
  rsync: 873,
  imaps: 993,
  pop3s: 995,
  openvpn: 1194,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};
const UDP_SERVICES: Record<string, number> = {
  domain: 53,
  tftp: 69,
  kerberos: 88,
  sunrpc: 111,
  ntp: 123,
  'netbios-ns': 137,
  snmp: 161,
  ldap: 389,
  https: 443,
  isakmp: 500,
  syslog: 514,
  openvpn: 1194,
};
const ALIASES = new Set(['www', 'imap']);
function portName(port: number, proto: number): string {
  const table = proto === PROTO_TCP ? TCP_SERVICES : proto === PROTO_UDP ? UDP_SERVICES : null;
  if (table !== null) {
    for (const [name, p] of Object.entries(table)) if (p === port && !ALIASES.has(name)) return name;
  }
  return String(port);
}

// ---- helpers ----

class Fail extends CommandError {}
function fail(msg: string): never {
  throw new Fail(msg, 2);
}

/** inet_aton: a, a.b, a.b.c, a.b.c.d with C strtoul base-0 parts; -1 when invalid. */
export function inetAton(text: string): number {
  if (text.length === 0) return -1;
  const parts = text.split('.');
  if (parts.length > 4) return -1;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = Number.parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = Number(p);
    else return -1;
    nums.push(v);
  }
  const last = nums[nums.length - 1]!;
  for (let i = 0; i < nums.length - 1; i++) if (nums[i]! > 255) return -1;
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][nums.length - 1]!;
  if (last > lastMax) return -1;
  let v = 0;
  for (let i = 0; i < nums.length - 1; i++) v = v * 256 + nums[i]!;
  return (v * 2 ** (8 * (5 - nums.length)) + last) >>> 0;
}

function strIsDigit(s: string): boolean {
  return /^[0-9]*$/.test(s);
}

/** string_to_number: a decimal number in [min, max] with nothing after it, else -1. */
function stringToNumber(s: string, min: number, max: number): number {
  const m = /^\s*([+-]?\d+)$/.exec(s);
  if (m === null) return -1;
  const n = Number(m[1]);
  return n >= min && n <= max ? n : -1;
}

interface ParsedService {
  ok: boolean;
  addr: number;
  port: number;
  hasPort: boolean;
}

/** parse_service: host[:port] (IPv4 only here). */
function parseService(buf: string, proto: number): ParsedService {
  const none = { ok: false, addr: 0, port: 0, hasPort: false };
  if (strIsDigit(buf) || buf.startsWith('[')) return none;
  const colon = buf.lastIndexOf(':');
  const host = colon >= 0 ? buf.slice(0, colon) : buf;
  const addr = inetAton(host);
  if (addr < 0) return none;
  if (colon < 0) return { ok: true, addr, port: 0, hasPort: false };
  const ps = buf.slice(colon + 1);
  let port = stringToNumber(ps, 0, 65535);
  if (port < 0) {
    const t = proto === PROTO_TCP ? TCP_SERVICES : proto === PROTO_UDP ? UDP_SERVICES : {};
    port = t[ps] ?? -1;
  }
  if (port < 0) return none;
  return { ok: true, addr, port, hasPort: true };
}

function parseTimeout(buf: string | null, min: number, max: number): number {
  if (buf === null) return DEFAULT_PERSISTENT_TIMEOUT_S;
  const i = stringToNumber(buf, min, max);
  if (i === -1) fail(`invalid timeout value \`${buf}' specified`);
  return i;
}

function parseSchedFlags(sched: string | null, text: string): number {
  let flags = 0;
  for (const flag of text.split(',')) {
    if (flag === 'flag-1') flags |= SF.SCHED1;
    else if (flag === 'flag-2') flags |= SF.SCHED2;
    else if (flag === 'flag-3') flags |= SF.SCHED3;
    else if (flag === 'sh-fallback' || flag === 'sh-port') {
      flags |= flag === 'sh-fallback' ? SF.SCHED1 : SF.SCHED2;
      if (sched !== null && sched !== 'sh') fail(`incompatible scheduler flag \`${flag}'`);
    } else if (flag === 'mh-fallback' || flag === 'mh-port') {
      flags |= flag === 'mh-fallback' ? SF.SCHED1 : SF.SCHED2;
      if (sched !== null && sched !== 'mh') fail(`incompatible scheduler flag \`${flag}'`);
    } else fail(`invalid scheduler flag \`${flag}'`);
  }
  return flags;
}

function schedFlagsText(svc: Service): string {
  const f = svc.flags;
  const out: string[] = [];
  const [a, b] =
    svc.schedName === 'sh'
      ? ['sh-fallback', 'sh-port']
      : svc.schedName === 'mh'
        ? ['mh-fallback', 'mh-port']
        : ['flag-1', 'flag-2'];
  if (f & SF.SCHED1) out.push(a);
  if (f & SF.SCHED2) out.push(b);
  if (f & SF.SCHED3) out.push('flag-3');
  return out.join(',');
}

// ---- the command line ----

interface Entry {
  cmd: number;
  options: number[]; // option indexes set
  svc: ServiceSpec;
  svcSet: boolean;
  dest: DestSpec;
  destHasPort: boolean;
  timeouts: [string, string, string] | null;
  numeric: boolean;
  fmt: {
    stats: boolean;
    rate: boolean;
    thresholds: boolean;
    pconn: boolean;
    nosort: boolean;
    exact: boolean;
  };
  schedGiven: string | null;
}

function setCommand(e: Entry, cmd: number): void {
  if (e.cmd !== CMD.NONE) fail('multiple commands specified');
  e.cmd = cmd;
}

function setOption(e: Entry, opt: number): void {
  if (e.options.includes(opt)) fail(`multiple '${OPT_NAMES[opt]}' options specified`);
  e.options.push(opt);
}

function parseOptions(args: readonly string[]): Entry {
  const e: Entry = {
    cmd: CMD.NONE,
    options: [],
    svc: { proto: 0, addr: 0, port: 0, fwmark: 0, sched: '', flags: 0, timeoutS: 0, netmask: 0xffffffff },
    svcSet: false,
    // Default weight 1, direct routing (process_options).
    dest: { addr: 0, port: 0, fwd: Fwd.Route, weight: 1, uThreshold: 0, lThreshold: 0 },
    destHasPort: false,
    timeouts: null,
    numeric: false,
    fmt: { stats: false, rate: false, thresholds: false, pconn: false, nosort: false, exact: false },
    schedGiven: null,
  };
  const leftovers: string[] = [];
  let i = 0;
  const handle = (def: OptDef, arg: string | null, shown: string): void => {
    switch (def.long) {
      case 'add-service':
        setCommand(e, CMD.ADD);
        return;
      case 'edit-service':
        setCommand(e, CMD.EDIT);
        return;
      case 'delete-service':
        setCommand(e, CMD.DEL);
        return;
      case 'clear':
        setCommand(e, CMD.FLUSH);
        return;
      case 'list':
        setCommand(e, CMD.LIST);
        return;
      case 'zero':
        setCommand(e, CMD.ZERO);
        return;
      case 'add-server':
        setCommand(e, CMD.ADDDEST);
        return;
      case 'edit-server':
        setCommand(e, CMD.EDITDEST);
        return;
      case 'delete-server':
        setCommand(e, CMD.DELDEST);
        return;
      case 'set':
        setCommand(e, CMD.TIMEOUT);
        return;
      case 'restore':
        setCommand(e, CMD.RESTORE);
        return;
      case 'save':
        setCommand(e, CMD.SAVE);
        return;
      case 'help':
        throw new HelpExit();
      case 'version':
        throw new VersionExit();
      case 'start-daemon':
      case 'stop-daemon':
        fail('Protocol not available'); // no sync daemons in netsim
        break;
      case 'tcp-service':
      case 'udp-service': {
        setOption(e, O['service-address']!);
        e.svc.proto = def.long === 'tcp-service' ? PROTO_TCP : PROTO_UDP;
        const p = parseService(arg!, e.svc.proto);
        if (!p.ok) fail('illegal virtual server address[:port] specified');
        e.svc.addr = p.addr;
        e.svc.port = p.port;
        e.svcSet = true;
        return;
      }
      case 'sctp-service':
        fail('Protocol not available');
        break;
      case 'fwmark-service': {
        setOption(e, O['service-address']!);
        e.svc.proto = PROTO_TCP; // "set protocol to a sane value, even though it is not used"
        const m = /^\d+$/.test(arg!) ? Number(arg) : -1;
        if (!(m > 0 && m <= 0xffffffff)) fail(`invalid fwmark value \`${arg}' specified`);
        e.svc.fwmark = m;
        e.svcSet = true;
        return;
      }
      case 'scheduler':
        setOption(e, O.scheduler!);
        e.svc.sched = arg!;
        e.schedGiven = arg!;
        return;
      case 'persistent':
        setOption(e, O.persistent!);
        e.svc.flags |= SF.PERSISTENT;
        e.svc.timeoutS = parseTimeout(arg, 1, MAX_TIMEOUT_S);
        return;
      case 'netmask': {
        setOption(e, O.netmask!);
        const m = inetAton(arg!);
        if (m < 0) fail('illegal virtual server persistent mask specified');
        e.svc.netmask = m;
        return;
      }
      case 'real-server': {
        setOption(e, O['real-server']!);
        const p = parseService(arg!, e.svc.proto);
        if (!p.ok) fail('illegal real server address[:port] specified');
        e.dest.addr = p.addr;
        e.dest.port = p.hasPort ? p.port : e.svc.port; // copy vport when not given
        e.destHasPort = p.hasPort;
        return;
      }
      case 'masquerading':
      case 'ipip':
      case 'gatewaying':
        setOption(e, O['forwarding-method']!);
        e.dest.fwd = def.long === 'masquerading' ? Fwd.Masq : def.long === 'ipip' ? Fwd.Tunnel : Fwd.Route;
        return;
      case 'weight': {
        setOption(e, O.weight!);
        const w = stringToNumber(arg!, 0, 65535);
        if (w === -1) fail('illegal weight specified');
        e.dest.weight = w;
        return;
      }
      case 'u-threshold':
      case 'l-threshold': {
        const up = def.long === 'u-threshold';
        setOption(e, O[def.long]!);
        const v = stringToNumber(arg!, 0, 2147483647);
        if (v === -1) fail(`illegal ${up ? 'u' : 'l'}_threshold specified`);
        if (up) e.dest.uThreshold = v;
        else e.dest.lThreshold = v;
        return;
      }
      case 'numeric':
        setOption(e, O.numeric!);
        e.numeric = true;
        return;
      case 'connection':
        setOption(e, O.connection!);
        return;
      case 'timeout':
        setOption(e, O.timeout!);
        return;
      case 'daemon':
        setOption(e, O.daemon!);
        return;
      case 'stats':
        setOption(e, O.stats!);
        e.fmt.stats = true;
        return;
      case 'rate':
        setOption(e, O.rate!);
        e.fmt.rate = true;
        return;
      case 'thresholds':
        setOption(e, O.thresholds!);
        e.fmt.thresholds = true;
        return;
      case 'persistent-conn':
        setOption(e, O['persistent-conn']!);
        e.fmt.pconn = true;
        return;
      case 'nosort':
        setOption(e, O.nosort!);
        e.fmt.nosort = true;
        return;
      case 'sort':
        return; // "does nothing, for backwards compatibility"
      case 'exact':
        setOption(e, O.exact!);
        e.fmt.exact = true;
        return;
      case 'ipv6':
        fail('Operation not supported with IPv6');
        break;
      case 'ops':
        setOption(e, O.ops!);
        e.svc.flags |= SF.ONEPACKET;
        return;
      case 'sched-flags':
        setOption(e, O['sched-flags']!);
        e.svc.flags |= parseSchedFlags(e.schedGiven, arg!);
        return;
      case 'pe':
        setOption(e, O.pe!);
        return; // the kernel answers ENOENT for the engine (see runEntry)
      case 'tun-type':
        setOption(e, O['tun-type']!);
        if (arg !== 'ipip' && arg !== 'gue' && arg !== 'gre') fail('illegal tunnel type specified');
        if (arg !== 'ipip') fail('Operation not supported with specified address family');
        return;
      case 'tun-info':
        setOption(e, O['tun-info']!);
        return;
      default:
        // sync-daemon options and tunnel encapsulation flags
        setOption(e, O[def.long] ?? O['mcast-interface']!);
        void shown;
    }
  };
  while (i < args.length) {
    const a = args[i++]!;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const def = OPTS.find((o) => o.long === name);
      if (def === undefined) fail(`${a}: unknown option`);
      let arg: string | null = eq >= 0 ? a.slice(eq + 1) : null;
      if (def.arg === 1 && arg === null) {
        if (i >= args.length) fail(`${a}: missing argument`);
        arg = args[i++]!;
      } else if (def.arg === 2 && arg === null && i < args.length && !args[i]!.startsWith('-')) {
        arg = args[i++]!;
      }
      handle(def, arg, a);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const ch = a[k]!;
        const def = OPTS.find((o) => o.short === ch);
        if (def === undefined) fail(`-${ch}: unknown option`);
        let arg: string | null = null;
        if (def.arg !== 0) {
          const rest = a.slice(k + 1);
          if (rest.length > 0) arg = rest;
          else if (def.arg === 1) {
            if (i >= args.length) fail(`-${ch}: missing argument`);
            arg = args[i++]!;
          } else if (i < args.length && !args[i]!.startsWith('-')) arg = args[i++]!;
          handle(def, arg, `-${ch}`);
          break;
        }
        handle(def, null, `-${ch}`);
      }
    } else {
      leftovers.push(a);
    }
  }
  if (e.cmd === CMD.TIMEOUT) {
    if (leftovers.length < 3) fail('--set option requires 3 timeout values');
    e.timeouts = [leftovers.shift()!, leftovers.shift()!, leftovers.shift()!];
  }
  if (leftovers.length > 0) fail(`unexpected argument ${leftovers[0]}`);
  if (e.cmd === CMD.NONE) throw new Fail("Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255);
  return e;
}

class HelpExit extends Error {}
class VersionExit extends Error {}

/** generic_opt_check. */
function optCheck(e: Entry): void {
  const row = TABLE[e.cmd - 1]!;
  let last = -1;
  for (let j = 0; j < OPT_NAMES.length; j++) {
    const has = e.options.includes(j);
    const k = row[j];
    if (!has) {
      if (k === '+')
        fail(`You need to supply the '${OPT_NAMES[j]}' option for the '${CMD_NAMES[e.cmd - 1]}' command`);
    } else {
      if (k === 'x') fail(`Illegal '${OPT_NAMES[j]}' option with the '${CMD_NAMES[e.cmd - 1]}' command`);
      if (k === '1') {
        if (last < 0) {
          last = j;
          continue;
        }
        fail(
          `The option '${OPT_NAMES[j]}' conflicts with the '${OPT_NAMES[last]}' option in the '${CMD_NAMES[e.cmd - 1]}' command`,
        );
      }
    }
  }
}

/** ipvs_strerror for the operation that failed. */
function strerror(
  op: 'add' | 'edit' | 'del' | 'zero' | 'adddest' | 'editdest' | 'deldest' | 'get',
  err: number,
): string {
  if (err === Errno.EEXIST && op === 'add') return 'Service already exists';
  if (err === Errno.ENOENT && (op === 'add' || op === 'edit'))
    return 'Scheduler or persistence engine not found';
  if (err === Errno.ESRCH && (op === 'edit' || op === 'del' || op === 'zero' || op === 'get'))
    return 'No such service';
  if (err === Errno.ESRCH && (op === 'adddest' || op === 'editdest' || op === 'deldest'))
    return 'Service not defined';
  if (err === Errno.EEXIST && op === 'adddest') return 'Destination already exists';
  if (err === Errno.ENOENT && (op === 'editdest' || op === 'deldest')) return 'No such destination';
  if (err === Errno.EINVAL)
    return 'Invalid operation.  Possibly wrong module version, address not unicast, ...';
  if (err === Errno.ERANGE) return 'Numerical result out of range';
  if (err === Errno.ENOENT) return 'No such file or directory';
  return `Unknown error ${err}`;
}

function check(op: Parameters<typeof strerror>[0], err: number): void {
  if (err !== Errno.OK) throw new CommandError(strerror(op, err), 255);
}

// ---- printing ----

interface Fmt {
  numeric: boolean;
  rule: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  pconn: boolean;
  nosort: boolean;
  exact: boolean;
}

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}
function padL(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

function addrPort(addr: number, port: number, proto: number, f: Fmt): string {
  return `${ipv4ToString(addr)}:${f.numeric ? String(port) : portName(port, proto)}`;
}

/** print_largenum. */
function largenum(n: number, f: Fmt): string {
  const i = Math.trunc(n);
  if (f.exact) {
    const s = String(i);
    return padL(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000) return padL(String(i), 9);
  if (i < 1000000000) return `${padL(String(Math.trunc(i / 1000)), 8)}K`;
  if (i < 100000000000) return `${padL(String(Math.trunc(i / 1000000)), 8)}M`;
  if (i < 100000000000000) return `${padL(String(Math.trunc(i / 1000000000)), 8)}G`;
  return `${padL(String(Math.trunc(i / 1000000000000)), 8)}T`;
}

function title(f: Fmt): string {
  if (f.stats) {
    return `${pad('Prot LocalAddress:Port', 33)} ${padL('Conns', 8)} ${padL('InPkts', 8)} ${padL('OutPkts', 8)} ${padL('InBytes', 8)} ${padL('OutBytes', 8)}\n  -> RemoteAddress:Port\n`;
  }
  if (f.rate) {
    return `${pad('Prot LocalAddress:Port', 33)} ${padL('CPS', 8)} ${padL('InPPS', 8)} ${padL('OutPPS', 8)} ${padL('InBPS', 8)} ${padL('OutBPS', 8)}\n  -> RemoteAddress:Port\n`;
  }
  if (f.thresholds) {
    return `${pad('Prot LocalAddress:Port', 33)} ${pad('Uthreshold', 10)} ${pad('Lthreshold', 10)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  }
  if (f.pconn) {
    return `${pad('Prot LocalAddress:Port', 33)} ${pad('Weight', 9)} ${pad('PersistConn', 11)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  }
  if (!f.rule) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  }
  return '';
}

/** ipvs_cmp_dests (int subtraction, as the C code: differences wrap to 32 bits). */
function cmpDests(a: Dest, b: Dest): number {
  const r = (a.addr - b.addr) | 0;
  if (r !== 0) return r;
  return a.port - b.port;
}

/** ipvs_cmp_services. */
function cmpServices(a: Service, b: Service): number {
  let r = (a.fwmark - b.fwmark) | 0;
  if (r !== 0) return r;
  r = a.proto - b.proto;
  if (r !== 0) return r;
  r = (a.addr - b.addr) | 0;
  if (r !== 0) return r;
  return a.port - b.port;
}

function serviceEntry(svc: Service, f: Fmt): string {
  let name: string;
  if (svc.fwmark) name = f.rule ? `-f ${svc.fwmark}` : `FWM  ${svc.fwmark}`;
  else {
    const v = addrPort(svc.addr, svc.port, svc.proto, f);
    if (f.rule) name = `${svc.proto === PROTO_TCP ? '-t' : '-u'} ${v}`;
    else name = `${pad(svc.proto === PROTO_TCP ? 'TCP' : 'UDP', 4)} ${v}`.slice(0, 33);
  }
  let out = '';
  const persistent = (svc.flags & SF.PERSISTENT) !== 0;
  if (f.rule) {
    out += `-A ${name} -s ${svc.schedName}`;
    if (persistent) {
      out += ` -p ${svc.timeoutS}`;
      if (svc.netmask !== 0xffffffff) out += ` -M ${ipv4ToString(svc.netmask)}`;
    }
    if (svc.flags & SF.ONEPACKET) out += ' -o';
    if (svc.flags & SCHED_FLAGS_MASK) out += ` -b ${schedFlagsText(svc)}`;
  } else if (f.stats) {
    out += pad(name, 33) + largenum(svc.conns, f) + largenum(svc.inPkts, f) + largenum(svc.outPkts, f);
    out += largenum(svc.inBytes, f) + largenum(svc.outBytes, f);
  } else if (f.rate) {
    out += pad(name, 33) + largenum(0, f) + largenum(0, f) + largenum(0, f) + largenum(0, f) + largenum(0, f);
  } else {
    out += `${name} ${svc.schedName}`;
    if (svc.flags & SCHED_FLAGS_MASK) out += ` (${schedFlagsText(svc)})`;
    if (persistent) {
      out += ` persistent ${svc.timeoutS}`;
      if (svc.netmask !== 0xffffffff) out += ` mask ${ipv4ToString(svc.netmask)}`;
    }
    if (svc.flags & SF.ONEPACKET) out += ' ops';
  }
  out += '\n';
  const dests = [...svc.dests];
  if (!f.nosort) dests.sort(cmpDests);
  for (const d of dests) {
    let dn = addrPort(d.addr, d.port, svc.proto, f);
    if (!f.rule) dn = dn.slice(0, 28);
    if (f.rule) out += `-a ${name} -r ${dn} ${FWD_SWITCHES[d.fwd]} -w ${d.weight}\n`;
    else if (f.stats) {
      out += `  -> ${pad(dn, 28)}${largenum(d.conns, f)}${largenum(d.inPkts, f)}${largenum(d.outPkts, f)}`;
      out += `${largenum(d.inBytes, f)}${largenum(d.outBytes, f)}\n`;
    } else if (f.rate) {
      out += `  -> ${pad(dn, 28)} ${padL('0', 8)} ${padL('0', 8)} ${padL('0', 8)}${largenum(0, f)}${largenum(0, f)}\n`;
    } else if (f.thresholds) {
      out += `  -> ${pad(dn, 28)} ${pad(String(d.uThreshold), 10)} ${pad(String(d.lThreshold), 10)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    } else if (f.pconn) {
      out += `  -> ${pad(dn, 28)} ${pad(String(d.weight), 9)} ${pad(String(d.persistConns), 11)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    } else {
      out += `  -> ${pad(dn, 28)} ${pad(FWD_NAMES[d.fwd]!, 7)} ${pad(String(d.weight), 6)} ${pad(String(d.activeConns), 10)} ${pad(String(d.inactConns), 10)}\n`;
    }
  }
  return out;
}

function listAll(ipvs: Ipvs, f: Fmt): string {
  let out = f.rule ? '' : `IP Virtual Server version ${IPVS_VERSION} (size=${CONN_TAB_SIZE})\n`;
  const svcs = ipvs.listServices();
  if (!f.nosort) svcs.sort(cmpServices);
  out += title(f);
  for (const s of svcs) out += serviceEntry(s, f);
  return out;
}

function listConn(ipvs: Ipvs, f: Fmt): string {
  let out = 'IPVS connection entries\n';
  out += `pro expire ${pad('state', 11)} ${pad('source', 18)} ${pad('virtual', 18)} destination\n`;
  for (const c of ipvs.listConns()) {
    const proto = c.proto === PROTO_TCP ? 'TCP' : c.proto === PROTO_UDP ? 'UDP' : 'IP';
    const mm = String(Math.floor(c.expiresS / 60)).padStart(2, '0');
    const ss = String(c.expiresS % 60).padStart(2, '0');
    const cn = addrPort(c.caddr, c.cport, c.proto, f);
    const vn = addrPort(c.vaddr, c.vport, c.proto, f);
    const dn = addrPort(c.daddr, c.dport, c.proto, f);
    out += `${pad(proto, 3)} ${pad(`${mm}:${ss}`, 6)} ${pad(c.state, 11)} ${pad(cn, 18)} ${pad(vn, 18)} ${dn}\n`;
  }
  return out;
}

function usage(): string {
  return `${VERSION_LINE}
Usage:
  ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  ipvsadm -D virtual-service
  ipvsadm -C
  ipvsadm -R
  ipvsadm -S [-n]
  ipvsadm -a|e virtual-service -r server-address [options]
  ipvsadm -d virtual-service -r server-address
  ipvsadm -L|l [virtual-service] [options]
  ipvsadm -Z [virtual-service]
  ipvsadm --set tcp tcpfin udp
  ipvsadm --start-daemon {master|backup} [daemon-options]
  ipvsadm --stop-daemon {master|backup}
  ipvsadm -h
`;
}

// ---- running ----

function svcKey(e: Entry): Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'> {
  return { proto: e.svc.proto, addr: e.svc.addr, port: e.svc.port, fwmark: e.svc.fwmark };
}

function run(ctx: CommandContext, args: readonly string[], readingStdin: boolean): string {
  let e: Entry;
  try {
    e = parseOptions(args);
  } catch (err) {
    if (err instanceof HelpExit) return usage();
    if (err instanceof VersionExit) return `${VERSION_LINE}\n`;
    throw err;
  }
  optCheck(e);
  if (e.cmd === CMD.ADD || e.cmd === CMD.EDIT) {
    if (!e.svc.fwmark && !e.svc.port && !(e.svc.flags & SF.PERSISTENT))
      fail('Zero port specified for non-persistent service');
    if (e.svc.flags & SF.ONEPACKET && !e.svc.fwmark && e.svc.proto !== PROTO_UDP) {
      fail('One-Packet Scheduling is only for UDP virtual services');
    }
    if (e.svc.sched === '') e.svc.sched = DEF_SCHED;
  }
  if ((e.cmd === CMD.ADDDEST || e.cmd === CMD.EDITDEST) && !e.svc.fwmark) {
    // The destination port must equal the service port for tunnelling and direct routing.
    if (e.dest.fwd === Fwd.Tunnel || e.dest.fwd === Fwd.Route) e.dest.port = e.svc.port;
  }
  const ipvs = Ipvs.of(ctx.ns);
  const f: Fmt = { numeric: e.numeric, rule: false, ...e.fmt };
  switch (e.cmd) {
    case CMD.LIST: {
      const has = (n: string) => e.options.includes(O[n]!);
      if (
        ((has('connection') || has('timeout') || has('daemon')) &&
          (has('stats') || has('rate') || has('thresholds'))) ||
        ((has('timeout') || has('daemon')) && has('persistent-conn'))
      ) {
        fail('options conflicts in the list command');
      }
      if (has('connection')) return listConn(ipvs, f);
      if (has('service-address')) {
        const svc = ipvs.findService(svcKey(e));
        if (svc === null) throw new CommandError('No such service', 1);
        return title(f) + serviceEntry(svc, f);
      }
      if (has('timeout')) {
        const [t, tf, u] = ipvs.timeouts.get();
        return `Timeout (tcp tcpfin udp): ${t} ${tf} ${u}\n`;
      }
      if (has('daemon')) return '';
      return listAll(ipvs, f);
    }
    case CMD.SAVE:
      return listAll(ipvs, { ...f, rule: true });
    case CMD.RESTORE: {
      if (readingStdin) throw new Fail("Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255);
      const text = (ctx as CommandContext & { stdin?: string }).stdin ?? '';
      let out = '';
      for (const line of text.split('\n')) {
        const words = line
          .trim()
          .split(/\s+/)
          .filter((w) => w.length > 0);
        if (words.length === 0) continue;
        out += run(ctx, words, true);
      }
      return out;
    }
    case CMD.FLUSH:
      check('del', ipvs.flush());
      return '';
    case CMD.ADD:
      if (e.options.includes(O.pe!)) check('add', Errno.ENOENT);
      check('add', ipvs.addService(e.svc));
      return '';
    case CMD.EDIT:
      if (e.options.includes(O.pe!)) check('edit', Errno.ENOENT);
      check('edit', ipvs.editService(e.svc));
      return '';
    case CMD.DEL:
      check('del', ipvs.delService(svcKey(e)));
      return '';
    case CMD.ZERO:
      check('zero', ipvs.zero(e.svcSet ? svcKey(e) : null));
      return '';
    case CMD.ADDDEST:
      check('adddest', ipvs.addDest(svcKey(e), e.dest));
      return '';
    case CMD.EDITDEST:
      check('editdest', ipvs.editDest(svcKey(e), e.dest));
      return '';
    case CMD.DELDEST:
      check('deldest', ipvs.delDest(svcKey(e), e.dest.addr, e.dest.port));
      return '';
    case CMD.TIMEOUT: {
      const [a, b, c] = e.timeouts!;
      const t = parseTimeout(a, 0, MAX_TIMEOUT_S);
      const tf = parseTimeout(b, 0, MAX_TIMEOUT_S);
      const u = parseTimeout(c, 0, MAX_TIMEOUT_S);
      check('add', ipvs.setTimeouts(t, tf, u));
      return '';
    }
    default:
      return '';
  }
}

export function ipvsadm(ctx: CommandContext, args: readonly string[]): CommandResult {
  return { stdout: run(ctx, args, false) };
}

/** `ipvsadm-save -n` text for the namespace (restore(save()) is the identity on configuration). */
export function ipvsadmSave(ctx: CommandContext, numeric = true): string {
  return run(ctx, numeric ? ['-S', '-n'] : ['-S'], false);
}

/** `ipvsadm -R` with `text` on stdin. */
export function ipvsadmRestore(ctx: CommandContext, text: string): void {
  run({ ...ctx, stdin: text } as CommandContext, ['-R'], false);
}

registerTool('ipvsadm', ipvsadm);
