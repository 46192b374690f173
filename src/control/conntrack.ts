// conntrack(8) from conntrack-tools 1.4.7: list, count, delete and flush the namespace's entries.
//   conntrack -L [-p PROTO] [-s|-d|-r|-q ADDR] [--sport|--dport|--reply-port-src|--reply-port-dst N]
//                [-m MARK[/MASK]] [--state TCPSTATE] [-n|--src-nat] [-g|--dst-nat] [-o extended]
//   conntrack -D [filters]      delete matching entries (printed on stdout)
//   conntrack -F                flush
//   conntrack -C                count
//   conntrack -S                per-cpu statistics (one cpu)
// Output is exactly conntrack-tools' (test/netfilter/fixtures/conntrack-linux-6.18.txt):
//   `tcp      6 431999 ESTABLISHED src=… dst=… sport=… dport=… src=… dst=… sport=… dport=… [ASSURED] mark=0 use=1`
// The summary ("N flow entries have been shown.") goes to stderr, as the real tool prints it. Entries
// are listed newest first (the kernel lists in hash order; for small tables newest-first is what one
// usually sees).

import { type Conntrack, conntrackOf } from '../netfilter/conntrack/conntrack.js';
import { RowUse } from '../netfilter/conntrack/table.js';
import { TCP_CT_NAMES } from '../netfilter/conntrack/timeouts.js';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ips } from '../netfilter/conntrack/tuple.js';
import { ipv4ToString, tryParseIpv4 } from '../wire/ipv4-address.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';

const PREFIX = 'conntrack v1.4.7 (conntrack-tools): ';
const TRY = "Try `conntrack -h' or 'conntrack --help' for more information.";

const PROTO_NAMES: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  132: 'sctp',
  47: 'gre',
  136: 'udplite',
  33: 'dccp',
};
const PROTO_BY_NAME: Record<string, number> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  sctp: 132,
  gre: 47,
  udplite: 136,
  dccp: 33,
};

function usage(msg: string): CommandError {
  return new CommandError(`${PREFIX}${msg}\n${TRY}`, 2);
}

interface Filter {
  proto: number;
  origSrc: number;
  origDst: number;
  replySrc: number;
  replyDst: number;
  sport: number;
  dport: number;
  rsport: number;
  rdport: number;
  mark: number;
  markMask: number;
  tcpState: number;
  srcNat: boolean;
  dstNat: boolean;
}

function addrArg(v: string | undefined, opt: string): number {
  if (v === undefined) throw usage(`option \`${opt}' requires an argument`);
  const a = tryParseIpv4(v);
  if (a < 0) throw new CommandError(`${PREFIX}can't parse ${v}`, 2);
  return a >>> 0;
}

function portArg(v: string | undefined, opt: string): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535)
    throw usage(`option \`${opt}' requires an argument`);
  return Number(v);
}

/** One entry in conntrack-tools' default output format. */
export function formatEntry(ct: Conntrack, r: number, extended = false): string {
  const tb = ct.table;
  const proto = tb.proto[r]!;
  const name = PROTO_NAMES[proto] ?? 'unknown';
  const remain = tb.expires[r]! - ct.now;
  let s = extended ? 'ipv4     2 ' : '';
  s += `${name.padEnd(8)} ${proto} ${remain > 0 ? Math.floor(remain / 1e9) : 0} `;
  if (proto === IPPROTO_TCP) s += `${TCP_CT_NAMES[tb.tcpState[r]!]} `;
  const part = (src: number, dst: number, sp: number, dp: number): string => {
    let p = `src=${ipv4ToString(src)} dst=${ipv4ToString(dst)} `;
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) p += `sport=${sp} dport=${dp} `;
    else if (proto === IPPROTO_ICMP) p += `type=${dp >>> 8} code=${dp & 0xff} id=${sp} `;
    return p;
  };
  const st = tb.status[r]!;
  s += part(tb.origSrc[r]!, tb.origDst[r]!, tb.origSport[r]!, tb.origDport[r]!);
  if (!(st & Ips.SEEN_REPLY)) s += '[UNREPLIED] ';
  s += part(tb.replySrc[r]!, tb.replyDst[r]!, tb.replySport[r]!, tb.replyDport[r]!);
  if (st & Ips.ASSURED) s += '[ASSURED] ';
  s += `mark=${tb.mark[r]!} use=1`;
  return s;
}

function matches(ct: Conntrack, r: number, f: Filter): boolean {
  const tb = ct.table;
  if (f.proto >= 0 && tb.proto[r] !== f.proto) return false;
  if (f.origSrc >= 0 && tb.origSrc[r] !== f.origSrc) return false;
  if (f.origDst >= 0 && tb.origDst[r] !== f.origDst) return false;
  if (f.replySrc >= 0 && tb.replySrc[r] !== f.replySrc) return false;
  if (f.replyDst >= 0 && tb.replyDst[r] !== f.replyDst) return false;
  if (f.sport >= 0 && tb.origSport[r] !== f.sport) return false;
  if (f.dport >= 0 && tb.origDport[r] !== f.dport) return false;
  if (f.rsport >= 0 && tb.replySport[r] !== f.rsport) return false;
  if (f.rdport >= 0 && tb.replyDport[r] !== f.rdport) return false;
  if (f.mark >= 0 && (tb.mark[r]! & f.markMask) >>> 0 !== f.mark) return false;
  if (f.tcpState >= 0 && tb.tcpState[r] !== f.tcpState) return false;
  if (f.srcNat && !(tb.status[r]! & Ips.SRC_NAT)) return false;
  if (f.dstNat && !(tb.status[r]! & Ips.DST_NAT)) return false;
  return true;
}

export function conntrack(ctx: CommandContext, args: readonly string[]): CommandResult & { stderr: string } {
  const ct = conntrackOf(ctx.ns);
  let cmd = '';
  let extended = false;
  const f: Filter = {
    proto: -1,
    origSrc: -1,
    origDst: -1,
    replySrc: -1,
    replyDst: -1,
    sport: -1,
    dport: -1,
    rsport: -1,
    rdport: -1,
    mark: -1,
    markMask: 0xffffffff,
    tcpState: -1,
    srcNat: false,
    dstNat: false,
  };
  const setCmd = (c: string) => {
    if (cmd !== '' && cmd !== c) throw usage('Invalid parameters');
    cmd = c;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = () => args[++i];
    switch (a) {
      case '-L':
      case '--dump':
        setCmd('L');
        break;
      case '-D':
      case '--delete':
        setCmd('D');
        break;
      case '-F':
      case '--flush':
        setCmd('F');
        break;
      case '-C':
      case '--count':
        setCmd('C');
        break;
      case '-S':
      case '--stats':
        setCmd('S');
        break;
      case '-p':
      case '--proto': {
        const v = next();
        if (v === undefined) throw usage(`option \`${a}' requires an argument`);
        const p = PROTO_BY_NAME[v] ?? (/^\d+$/.test(v) && Number(v) < 256 ? Number(v) : -1);
        if (p < 0) throw usage(`\`${v}' unsupported protocol`);
        f.proto = p;
        break;
      }
      case '-s':
      case '--src':
      case '--orig-src':
        f.origSrc = addrArg(next(), a);
        break;
      case '-d':
      case '--dst':
      case '--orig-dst':
        f.origDst = addrArg(next(), a);
        break;
      case '-r':
      case '--reply-src':
        f.replySrc = addrArg(next(), a);
        break;
      case '-q':
      case '--reply-dst':
        f.replyDst = addrArg(next(), a);
        break;
      case '--sport':
      case '--orig-port-src':
        f.sport = portArg(next(), a);
        break;
      case '--dport':
      case '--orig-port-dst':
        f.dport = portArg(next(), a);
        break;
      case '--reply-port-src':
        f.rsport = portArg(next(), a);
        break;
      case '--reply-port-dst':
        f.rdport = portArg(next(), a);
        break;
      case '-m':
      case '--mark': {
        const v = next();
        const m = v === undefined ? null : /^(\d+|0x[0-9a-fA-F]+)(?:\/(\d+|0x[0-9a-fA-F]+))?$/.exec(v);
        if (m === null) throw usage(`option \`${a}' requires an argument`);
        f.mark = Number(m[1]) >>> 0;
        if (m[2] !== undefined) f.markMask = Number(m[2]) >>> 0;
        break;
      }
      case '--state': {
        const v = next() ?? '';
        const s = TCP_CT_NAMES.indexOf(v.toUpperCase());
        if (s <= 0) throw usage(`unknown state \`${v}'`);
        f.tcpState = s;
        break;
      }
      case '-n':
      case '--src-nat':
        f.srcNat = true;
        break;
      case '-g':
      case '--dst-nat':
        f.dstNat = true;
        break;
      case '-o':
      case '--output': {
        const v = next() ?? '';
        for (const o of v.split(',')) {
          if (o === 'extended') extended = true;
          else if (
            o !== 'id' &&
            o !== 'timestamp' &&
            o !== 'ktimestamp' &&
            o !== 'labels' &&
            o !== 'userspace'
          )
            throw usage(`Bad output option \`${o}'`);
        }
        break;
      }
      default:
        throw usage(`unknown option \`${a}'`);
    }
  }
  if (cmd === '') throw usage('no command specified');
  if (cmd === 'C') return { stdout: `${ct.liveRows().length}\n`, stderr: '' };
  if (cmd === 'S') {
    const s = ct.stats;
    return {
      stdout: `cpu=0   \tfound=${s.found} invalid=${s.invalid} insert=0 insert_failed=${s.insertFailed} drop=${s.drop} early_drop=${s.earlyDrop} error=${s.error} search_restart=${s.searchRestart} clash_resolve=${s.clashResolve} chaintoolong=${s.chaintoolong} \n`,
      stderr: '',
    };
  }
  if (cmd === 'F') {
    ct.flush();
    return { stdout: '', stderr: `${PREFIX}connection tracking table has been emptied.\n` };
  }
  const rows = ct.liveRows().filter((r) => matches(ct, r, f));
  let out = '';
  for (const r of rows) out += `${formatEntry(ct, r, extended)}\n`;
  if (cmd === 'L') return { stdout: out, stderr: `${PREFIX}${rows.length} flow entries have been shown.\n` };
  // -D
  for (const r of rows) if (ct.table.inUse[r] === RowUse.Confirmed) ct.destroy(r);
  const msg = `${PREFIX}${rows.length} flow entries have been deleted.`;
  if (rows.length === 0) throw new CommandError(msg, 1);
  return { stdout: out, stderr: `${msg}\n` };
}

registerTool('conntrack', conntrack);
