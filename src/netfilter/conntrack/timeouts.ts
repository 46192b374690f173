// Conntrack sysctls (net.netfilter.nf_conntrack_*), as Documentation/networking/nf_conntrack-sysctl.rst
// lists them, with the defaults read from /proc/sys/net/netfilter on Linux 6.18
// (test/netfilter/fixtures/conntrack-linux-6.18.txt).
//
// nf_conntrack_max: the kernel derives it from RAM (`nf_conntrack_init_start`: buckets = RAM/16384/
// sizeof(hlist_head), capped at 262144 for machines over 4 GB; max = buckets). netsim has no RAM size,
// so it uses the value of a >4 GB host, 262144, settable with sysctl like the real key.
//
// The hot path never reads the sysctl store: `CtSysctls` caches the numbers (in ns for timeouts) and
// is updated by `Sysctls.watch`.

import type { Namespace } from '../../net/namespace.js';
import { boolSysctl, defineSysctl, intSysctl } from '../../net/sysctl.js';

const NS_PER_S = 1_000_000_000;
const INT_MAX = 2147483647;

/** TCP conntrack states (`enum tcp_conntrack`); the order indexes `tcp_conntracks` and timeouts. */
export const TcpCt = Object.freeze({
  None: 0,
  SynSent: 1,
  SynRecv: 2,
  Established: 3,
  FinWait: 4,
  CloseWait: 5,
  LastAck: 6,
  TimeWait: 7,
  Close: 8,
  SynSent2: 9,
  /** TCP_CONNTRACK_MAX: "invalid" in the transition table (sIV). */
  Max: 10,
  /** TCP_CONNTRACK_IGNORE (sIG). */
  Ignore: 11,
  /** Timeout slots only: TCP_CONNTRACK_RETRANS and TCP_CONNTRACK_UNACK. */
  Retrans: 10,
  Unack: 11,
} as const);

/** Names as /proc/net/nf_conntrack and conntrack(8) print them (`tcp_conntrack_names`). */
export const TCP_CT_NAMES: readonly string[] = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
];

/** [key suffix, default seconds, TCP timeout slot or -1]. */
const TIMEOUT_KEYS: ReadonlyArray<readonly [string, number, number]> = [
  ['tcp_timeout_syn_sent', 120, TcpCt.SynSent],
  ['tcp_timeout_syn_recv', 60, TcpCt.SynRecv],
  ['tcp_timeout_established', 432000, TcpCt.Established],
  ['tcp_timeout_fin_wait', 120, TcpCt.FinWait],
  ['tcp_timeout_close_wait', 60, TcpCt.CloseWait],
  ['tcp_timeout_last_ack', 30, TcpCt.LastAck],
  ['tcp_timeout_time_wait', 120, TcpCt.TimeWait],
  ['tcp_timeout_close', 10, TcpCt.Close],
  ['tcp_timeout_max_retrans', 300, TcpCt.Retrans],
  ['tcp_timeout_unacknowledged', 300, TcpCt.Unack],
  ['udp_timeout', 30, -1],
  ['udp_timeout_stream', 120, -1],
  ['icmp_timeout', 30, -1],
  ['generic_timeout', 600, -1],
];

export const NF_CONNTRACK_MAX_DEFAULT = 262144;

let defined = false;
/** Registers the keys once per process (idempotent). */
export function defineConntrackSysctls(): void {
  if (defined) return;
  defined = true;
  const p = 'net.netfilter.nf_conntrack_';
  for (const [k, v] of TIMEOUT_KEYS)
    defineSysctl({ key: p + k, initial: String(v), parse: intSysctl(0, INT_MAX) });
  defineSysctl({ key: `${p}max`, initial: String(NF_CONNTRACK_MAX_DEFAULT), parse: intSysctl(0, INT_MAX) });
  defineSysctl({
    key: 'net.nf_conntrack_max',
    initial: String(NF_CONNTRACK_MAX_DEFAULT),
    parse: intSysctl(0, INT_MAX),
  });
  defineSysctl({ key: `${p}tcp_loose`, initial: '1', parse: boolSysctl });
  defineSysctl({ key: `${p}tcp_be_liberal`, initial: '0', parse: boolSysctl });
  defineSysctl({ key: `${p}tcp_ignore_invalid_rst`, initial: '0', parse: boolSysctl });
  defineSysctl({ key: `${p}tcp_max_retrans`, initial: '3', parse: intSysctl(0, 255) });
  defineSysctl({ key: `${p}checksum`, initial: '1', parse: boolSysctl });
  defineSysctl({ key: `${p}acct`, initial: '0', parse: boolSysctl });
  // Read-only in the kernel; writable here only as far as the store goes (count is computed).
  defineSysctl({
    key: `${p}buckets`,
    initial: String(NF_CONNTRACK_MAX_DEFAULT),
    parse: intSysctl(1, INT_MAX),
  });
}
defineConntrackSysctls();

/** The numbers the trackers read per packet, kept in sync with the namespace's sysctl store. */
export class CtSysctls {
  /** TCP timeouts in ns, indexed by TcpCt (states 1..9, then Retrans = 10, Unack = 11). */
  readonly tcp = new Float64Array(12);
  udpNs = 30 * NS_PER_S;
  udpStreamNs = 120 * NS_PER_S;
  icmpNs = 30 * NS_PER_S;
  genericNs = 600 * NS_PER_S;
  max = NF_CONNTRACK_MAX_DEFAULT;
  tcpLoose = 1;
  tcpBeLiberal = 0;
  tcpIgnoreInvalidRst = 0;
  tcpMaxRetrans = 3;

  constructor(ns: Namespace | null) {
    for (const [k, v, _slot] of TIMEOUT_KEYS) this.apply(k, v);
    this.tcp[TcpCt.SynSent2] = this.tcp[TcpCt.SynSent]!; // SYN_SENT2 shares syn_sent's timeout
    if (ns === null) return;
    const p = 'net.netfilter.nf_conntrack_';
    for (const [k] of TIMEOUT_KEYS) {
      this.apply(k, ns.sysctl.getInt(p + k));
      ns.sysctl.watch(p + k, (v) => this.apply(k, Number(v)));
    }
    const ints: ReadonlyArray<readonly [string, (v: number) => void]> = [
      ['max', (v) => (this.max = v)],
      ['tcp_loose', (v) => (this.tcpLoose = v)],
      ['tcp_be_liberal', (v) => (this.tcpBeLiberal = v)],
      ['tcp_ignore_invalid_rst', (v) => (this.tcpIgnoreInvalidRst = v)],
      ['tcp_max_retrans', (v) => (this.tcpMaxRetrans = v)],
    ];
    for (const [k, fn] of ints) {
      fn(ns.sysctl.getInt(p + k));
      ns.sysctl.watch(p + k, (v) => fn(Number(v)));
    }
    // net.nf_conntrack_max is the same variable as net.netfilter.nf_conntrack_max.
    ns.sysctl.watch('net.nf_conntrack_max', (v) => {
      if (ns.sysctl.get(`${p}max`) !== v) ns.sysctl.set(`${p}max`, v);
    });
    ns.sysctl.watch(`${p}max`, (v) => {
      if (ns.sysctl.get('net.nf_conntrack_max') !== v) ns.sysctl.set('net.nf_conntrack_max', v);
    });
  }

  private apply(key: string, seconds: number): void {
    const ns = seconds * NS_PER_S;
    for (const [k, , slot] of TIMEOUT_KEYS) {
      if (k !== key) continue;
      if (slot >= 0) {
        this.tcp[slot] = ns;
        if (slot === TcpCt.SynSent) this.tcp[TcpCt.SynSent2] = ns;
      }
    }
    if (key === 'udp_timeout') this.udpNs = ns;
    else if (key === 'udp_timeout_stream') this.udpStreamNs = ns;
    else if (key === 'icmp_timeout') this.icmpNs = ns;
    else if (key === 'generic_timeout') this.genericNs = ns;
  }
}
