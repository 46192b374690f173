// IPVS: per-namespace virtual services, real servers, connection table and the packet-path entry
// points (net/netfilter/ipvs/ip_vs_core.c, ip_vs_conn.c, ip_vs_ctl.c).
//
// ENTRY API (for the IPv4 layer; the kernel's hooks are ip_vs_in_hook / ip_vs_out_hook):
//
//   const ipvs = Ipvs.of(ns);          // created on first use; `ipvs.active` is false until a service exists
//   const ctx = new IpvsCtx();         // one per caller, reused for every packet
//
//   LOCAL_IN (priority NF_IP_PRI_NAT_SRC - 1, i.e. after the filter table), for a packet addressed to
//   a local address (the VIP), `h` starting at the IPv4 header at `l3Off` (= pool.start[h]):
//     switch (ipvs.schedule(h, l3Off, ctx)) {
//       case IpvsVerdict.Accept:  continue local delivery (no service, or not to be scheduled: e.g. a
//                                 TCP segment without SYN and no entry goes to the local stack, which
//                                 answers RST when nothing listens)
//       case IpvsVerdict.Drop:    world.drop(h, Drop.NetfilterDrop, dev)
//       case IpvsVerdict.DropIcmpPortUnreach: icmp_send(DEST_UNREACH, PORT_UNREACH) then drop
//       case IpvsVerdict.DropIcmpTtl:         icmp_send(TIME_EXCEEDED, EXC_TTL) then drop
//       case IpvsVerdict.Xmit:    the frame was rewritten (masq DNAT / DR untouched / tunnel encap, TTL-1)
//                                 and now starts at ctx.l3Off: route to ctx.routeDst and send it through
//                                 LOCAL_OUT → POSTROUTING → neighbour output (ip_vs_send_or_cont); skip
//                                 IPVS on that path (skb->ipvs_property). If ctx.notrack, mark the frame
//                                 untracked (sysctl conntrack=0: ip_vs_notrack).
//     }
//   LOCAL_OUT (ip_vs_local_request4) uses the same call with ctx.localOut = true.
//
//   FORWARD (priority 100) and LOCAL_IN/LOCAL_OUT before the above, for masq replies from a real
//   server:  ipvs.replyOut(h, l3Off, ctx) → Accept (not ours) | Rewritten (source is now VIP:vport;
//   continue) | DropIcmpPortUnreach (nat_icmp_send).
//
//   Inputs on ctx: `localOut`, `ctConfirmed` (the frame's conntrack entry is confirmed: an old entry
//   for a reused tuple, read by conn_reuse_mode / expire_nodest_conn with conntrack=1).
//   Outputs on ctx: `routeDst`, `l3Off`, `notrack`, `conn` (row), `fwd`.
//   `ipvs.routeSource = (dst) => addr` must be set for tunnelling (the source address of the route to
//   a real server; cached per dest like `dest_dst`; call `ipvs.invalidateRoutes()` after FIB changes).
//   Explanations: `ipvs.explain()` formats the last decision (call it only for traced packets).
//
// The hot path allocates nothing: numbers, typed-array rows, reused scratch objects. Timers are
// simulator events (one pending event per connection, re-armed lazily; cancelled on early expiry).
// ICMP errors: `replyIcmp` is ip_vs_out_icmp (errors from the real server's side about masq
// connections). Not modelled: ip_vs_in_icmp (errors from the client's side, schedule_icmp),
// fragments (IPVS defragments first; here a fragment is accepted unchanged), SCTP, IPv6, sync
// daemons, application helpers (FTP), persistence engines (--pe sip), the rate estimator (--rate
// shows zeros), the defense strategies (drop_entry, drop_packet, am_droprate).

import type { Namespace } from '../net/namespace.js';
import { defineSysctl, intSysctl } from '../net/sysctl.js';
import type { World } from '../net/world.js';
import { Stage } from '../trace/explain.js';
import { rd16, rd32 } from '../wire/bytes.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { ConnTable, TPL_KEY } from './connection.js';
import {
  CF,
  CTPL,
  DF,
  FTPDATA,
  FTPPORT,
  Fwd,
  IpvsVerdict,
  NS_PER_S,
  PROTO_TCP,
  PROTO_UDP,
  SF,
} from './defs.js';
import { Dest } from './dest.js';
import { createScheduler } from './schedulers/index.js';
import { Decision, SchedPacket } from './schedulers/scheduler.js';
import { type SchedulerHost, Service, ServiceTable } from './service.js';
import {
  Dir,
  NEW_CONN_TIMEOUT_S,
  TCP_STATE_ACTIVE,
  TCP_STATE_NAMES,
  TcpS,
  TimeoutTable,
  tcpNextState,
  UDP_STATE_NAME,
} from './timeouts.js';
import { IPIP_HLEN, ipipEncap, ipvsDecrementTtl, natIcmpOut, natRewriteIn, natRewriteOut } from './xmit.js';

// ---- sysctls (Documentation/networking/ipvs-sysctl.rst) ----

const INT = intSysctl(-2147483648, 2147483647);
const SYSCTLS: Array<[string, string, (t: string) => string | null]> = [
  ['am_droprate', '10', INT],
  ['amemthresh', '1024', INT],
  ['backup_only', '0', INT],
  ['cache_bypass', '0', INT],
  ['conn_reuse_mode', '1', INT],
  ['conntrack', '0', INT],
  ['drop_entry', '0', intSysctl(0, 3)],
  ['drop_packet', '0', intSysctl(0, 3)],
  ['expire_nodest_conn', '0', INT],
  ['expire_quiescent_template', '0', INT],
  ['ignore_tunneled', '0', INT],
  ['lblc_expiration', '86400', INT],
  ['lblcr_expiration', '86400', INT],
  ['nat_icmp_send', '0', INT],
  ['pmtu_disc', '1', INT],
  ['run_estimation', '1', INT],
  ['schedule_icmp', '0', INT],
  ['secure_tcp', '0', intSysctl(0, 3)],
  ['sloppy_sctp', '0', INT],
  ['sloppy_tcp', '0', INT],
  ['snat_reroute', '1', INT],
  ['sync_version', '1', intSysctl(0, 1)],
];
for (const [name, initial, parse] of SYSCTLS) defineSysctl({ key: `net.ipv4.vs.${name}`, initial, parse });

/** Kernel errno values the control operations return (ipvsadm maps them to messages). */
export const Errno = Object.freeze({
  OK: 0,
  ENOENT: 2,
  ESRCH: 3,
  EEXIST: 17,
  EINVAL: 22,
  ERANGE: 34,
} as const);

/** What happened to the last packet `schedule` saw (for `explain`). */
const Why = Object.freeze({
  None: 0,
  NoService: 1,
  NotSyn: 2,
  Existing: 3,
  Scheduled: 4,
  PersistHit: 5,
  NoDest: 6,
  DestGone: 7,
  FtpData: 9,
  PortMismatch: 10,
  Malformed: 11,
  OldConntrack: 12,
} as const);

/** Per-call scratch shared with the caller: inputs and outputs of `schedule` / `replyOut`. */
export class IpvsCtx {
  /** Input: the packet comes from a local socket (LOCAL_OUT hook). */
  localOut = false;
  /** Input: the frame's conntrack entry is confirmed (exists from before this packet). */
  ctConfirmed = false;
  /** Output (Xmit): address to route the rewritten frame to (the real server). */
  routeDst = 0;
  /** Output: where the (possibly re-encapsulated) IPv4 header now starts. */
  l3Off = 0;
  /** Output: mark the frame untracked (IPVS handled it and sysctl conntrack=0). */
  notrack = false;
  /** Output: connection row used, -1 when none. */
  conn = -1;
  /** Output: forwarding method of that connection (Fwd), -1 when none. */
  fwd = -1;
}

/** Service parameters (struct ip_vs_service_user). */
export interface ServiceSpec {
  proto: number;
  addr: number;
  port: number;
  fwmark: number;
  sched: string;
  /** SF.* bits. */
  flags: number;
  /** Persistence timeout, seconds. */
  timeoutS: number;
  netmask: number;
}

/** Real server parameters (struct ip_vs_dest_user). */
export interface DestSpec {
  addr: number;
  port: number;
  fwd: Fwd;
  weight: number;
  uThreshold: number;
  lThreshold: number;
}

/** A row of `ipvsadm -lc` / /proc/net/ip_vs_conn. */
export interface ConnInfo {
  proto: number;
  caddr: number;
  cport: number;
  vaddr: number;
  vport: number;
  daddr: number;
  dport: number;
  state: string;
  /** Seconds until expiry (floor), as /proc shows. */
  expiresS: number;
  template: boolean;
}

interface WorldKinds {
  expire: number;
  sched: number;
  flush: number;
  list: Ipvs[];
}
const worldKinds = new WeakMap<World, WorldKinds>();
const perNs = new WeakMap<Namespace, Ipvs>();

function kindsOf(world: World): WorldKinds {
  let k = worldKinds.get(world);
  if (k === undefined) {
    const list: Ipvs[] = [];
    k = {
      list,
      expire: world.sim.registerKind('ipvs-conn-expire', (t, row, now) => list[t]!.onConnTimer(row, now)),
      sched: world.sim.registerKind('ipvs-sched-timer', (t, svc, now) => list[t]!.onSchedTimer(svc, now)),
      flush: world.sim.registerKind('ipvs-nodest-flush', (t) => list[t]!.expireNodestFlush()),
    };
    worldKinds.set(world, k);
  }
  return k;
}

/** One jiffy at CONFIG_HZ=250 (Debian's default): the delay of the expire_nodest_conn work. */
const JIFFY_NS = 4_000_000;

const TH_SYN = 0x02;
const TH_RST = 0x04;

export class Ipvs implements SchedulerHost {
  readonly world: World;
  readonly ns: Namespace;
  private readonly index: number;
  private readonly kinds: WorldKinds;
  readonly services: Array<Service | null> = [];
  readonly svcTable = new ServiceTable();
  /** Dests by id (the connection table's `dest` column); null once freed. */
  readonly dests: Array<Dest | null> = [];
  private readonly freeDestIds: number[] = [];
  readonly conns = new ConnTable(256);
  /** Timer time of each row's pending event (the event fires at this time). */
  private timerAt = new Float64Array(256);
  readonly timeouts = new TimeoutTable();
  private nServices = 0;
  private nodestFlushPending = false;
  /** Source address of the route to `dst` (tunnelling); set by the IPv4 wiring. 0 = unknown. */
  routeSource: (dst: number) => number = () => 0;
  /** Optional: called when a connection that kept its conntrack entry (NFCT) dies. */
  onDropConntrack:
    | ((proto: number, caddr: number, cport: number, vaddr: number, vport: number) => void)
    | null = null;
  private ipId = 0;
  // Cached sysctls.
  connReuseMode = 1;
  conntrack = 0;
  expireNodestConn = 0;
  expireQuiescentTemplate = 0;
  sloppyTcp = 0;
  secureTcp = 0;
  backupOnly = 0;
  natIcmpSend = 0;
  lblcExpirationNs = 86400 * NS_PER_S;
  lblcrExpirationNs = 86400 * NS_PER_S;
  // Totals (ipvs->tot_stats).
  totConns = 0;
  totInPkts = 0;
  totOutPkts = 0;
  totInBytes = 0;
  totOutBytes = 0;
  // Scratch and the last decision.
  private readonly pkt = new SchedPacket();
  private readonly why = new Decision();
  private lastWhy: number = Why.None;
  private lastResched = false;
  private lastSvc = -1;
  private lastDest = -1;
  private lastSched = '';
  private lastProto = 0;
  private lastSaddr = 0;
  private lastSport = 0;
  private lastDaddr = 0;
  private lastDport = 0;

  private constructor(ns: Namespace) {
    this.world = ns.world;
    this.ns = ns;
    this.kinds = kindsOf(ns.world);
    this.index = this.kinds.list.length;
    this.kinds.list.push(this);
    this.ipId = ns.world.sim.rng.stream(`ipvs/ipid/${ns.name}`).u32() & 0xffff;
    const s = ns.sysctl;
    const w = (name: string, set: (v: number) => void): void => {
      set(s.getInt(`net.ipv4.vs.${name}`));
      s.watch(`net.ipv4.vs.${name}`, (v) => set(Number(v)));
    };
    w('conn_reuse_mode', (v) => {
      this.connReuseMode = v;
    });
    w('conntrack', (v) => {
      this.conntrack = v;
    });
    w('expire_nodest_conn', (v) => {
      this.expireNodestConn = v;
    });
    w('expire_quiescent_template', (v) => {
      this.expireQuiescentTemplate = v;
    });
    w('sloppy_tcp', (v) => {
      this.sloppyTcp = v;
    });
    w('secure_tcp', (v) => {
      this.secureTcp = v;
    });
    w('backup_only', (v) => {
      this.backupOnly = v;
    });
    w('nat_icmp_send', (v) => {
      this.natIcmpSend = v;
    });
    w('lblc_expiration', (v) => {
      this.lblcExpirationNs = v * NS_PER_S;
    });
    w('lblcr_expiration', (v) => {
      this.lblcrExpirationNs = v * NS_PER_S;
    });
  }

  /** The namespace's IPVS state (`net_ipvs(net)`), created on first use. */
  static of(ns: Namespace): Ipvs {
    let v = perNs.get(ns);
    if (v === undefined) {
      v = new Ipvs(ns);
      perNs.set(ns, v);
    }
    return v;
  }

  /**
   * Called when a namespace gets its first virtual service (`ip_vs_register_hooks`): the IPv4 layer
   * (src/net/ipv4/ipvs-glue.ts) installs the netfilter hooks then.
   */
  static onEnable: ((ipvs: Ipvs) => void) | null = null;
  private hooked = false;

  /** The namespace's IPVS state if it was ever created (no side effects). */
  static peek(ns: Namespace): Ipvs | undefined {
    return perNs.get(ns);
  }

  get nowNs(): number {
    return this.world.sim.now;
  }

  /** True once a service exists or connections remain (the kernel registers its hooks then). */
  get active(): boolean {
    return this.nServices > 0 || this.conns.count > 0;
  }

  // =====================================================================================
  // Packet path
  // =====================================================================================

  /**
   * `ip_vs_in_hook` for a packet at LOCAL_IN (or LOCAL_OUT with ctx.localOut): find or create the
   * connection entry, update its state and transmit it by its forwarding method. See the file
   * header for the verdicts.
   */
  schedule(h: number, l3: number, ctx: IpvsCtx): IpvsVerdict {
    const v = this.scheduleIn(h, l3, ctx);
    const t = this.world.pool.traceId[h]!;
    if (t >= 0 && this.lastWhy !== Why.None) this.traceStage(t, h, ctx);
    return v;
  }

  /** Records the Ipvs stage of a traced frame: a = service, b = real server, c = its port; note = why. */
  private traceStage(t: number, h: number, ctx: IpvsCtx): void {
    const c = this.conns;
    const cp = ctx.conn;
    const live = cp >= 0 && (c.live[cp]! & 1) !== 0;
    const tr = this.world.tracer;
    const row = tr.record(
      t,
      this.world.sim.now,
      Stage.Ipvs,
      this.ns.lo.id,
      this.lastSvc,
      live ? c.daddr[cp]! >>> 0 : 0,
      live ? c.dport[cp]! : 0,
      h,
    );
    tr.note(row, this.explain());
  }

  private scheduleIn(h: number, l3: number, ctx: IpvsCtx): IpvsVerdict {
    ctx.conn = -1;
    ctx.fwd = -1;
    ctx.notrack = false;
    ctx.l3Off = l3;
    this.lastWhy = Why.None;
    this.lastResched = false;
    this.lastSvc = -1;
    this.lastDest = -1;
    if ((this.nServices === 0 && this.conns.count === 0) || this.backupOnly !== 0) return IpvsVerdict.Accept;
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const proto = u8[l3 + 9]!;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) return IpvsVerdict.Accept;
    if ((rd16(u8, l3 + 6) & 0x3fff) !== 0) return IpvsVerdict.Accept; // fragment: not modelled
    const ihl = (u8[l3]! & 0x0f) << 2;
    const totLen = rd16(u8, l3 + 2);
    const l4 = l3 + ihl;
    if (totLen < ihl + (proto === PROTO_TCP ? 20 : 4)) {
      // skb_header_pointer fails in tcp/udp_conn_schedule: NF_DROP
      this.lastWhy = Why.Malformed;
      return IpvsVerdict.Drop;
    }
    const saddr = rd32(u8, l3 + 12) | 0; // int32 inside the hot path (see connection.ts)
    const daddr = rd32(u8, l3 + 16) | 0;
    const sport = rd16(u8, l4);
    const dport = rd16(u8, l4 + 2);
    const tcpFlags = proto === PROTO_TCP ? u8[l4 + 13]! : 0;
    const now = this.world.sim.now;
    const c = this.conns;
    this.lastProto = proto;
    this.lastSaddr = saddr;
    this.lastSport = sport;
    this.lastDaddr = daddr;
    this.lastDport = dport;

    let cp = c.findIn(proto, saddr, sport, daddr, dport);

    // Reuse of an entry by a new connection (conn_reuse_mode / expire_nodest_conn).
    if (cp >= 0 && proto === PROTO_TCP && (tcpFlags & TH_SYN) !== 0) {
      const d = this.dests[c.dest[cp]!] ?? null;
      let resched = false;
      let oldCt = false;
      if (this.expireNodestConn !== 0 && d !== null && d.weight === 0) {
        resched = true;
        oldCt = this.usesOldConntrack(cp, ctx);
      } else if (this.connReuseMode !== 0 && this.newConnExpected(cp)) {
        oldCt = this.usesOldConntrack(cp, ctx);
        resched = c.nControl[cp] === 0 ? true : !oldCt;
      }
      if (resched) {
        if (!oldCt) c.flags[cp] = c.flags[cp]! & ~CF.NFCT;
        if (c.nControl[cp] === 0) this.expireNow(cp);
        if (oldCt) {
          this.lastWhy = Why.OldConntrack;
          return IpvsVerdict.Drop;
        }
        this.lastResched = true;
        cp = -1;
      }
    }

    // Check the server status.
    if (cp >= 0) {
      const d = this.dests[c.dest[cp]!] ?? null;
      if (d !== null && (d.flags & DF.AVAILABLE) === 0) {
        if (this.expireNodestConn !== 0) {
          const oldCt = this.usesOldConntrack(cp, ctx);
          if (!oldCt) c.flags[cp] = c.flags[cp]! & ~CF.NFCT;
          this.expireNow(cp);
          if (oldCt) return IpvsVerdict.Drop;
          cp = -1;
        } else {
          this.lastWhy = Why.DestGone;
          this.lastDest = d.id;
          return IpvsVerdict.Drop;
        }
      }
    }

    let svc: Service | null = null;
    if (cp < 0) {
      // ip_vs_try_to_schedule → tcp_conn_schedule / udp_conn_schedule
      if (
        proto === PROTO_TCP &&
        ((tcpFlags & TH_RST) !== 0 || (this.sloppyTcp === 0 && (tcpFlags & TH_SYN) === 0))
      ) {
        if (this.lastWhy === Why.None) this.lastWhy = Why.NotSyn;
        return IpvsVerdict.Accept;
      }
      const sid = this.svcTable.lookup(pool.mark[h]!, proto, daddr, dport);
      if (sid < 0) {
        this.lastWhy = Why.NoService;
        return IpvsVerdict.Accept;
      }
      svc = this.services[sid]!;
      this.lastSvc = sid;
      const r = this.ipvsSchedule(svc, proto, saddr, sport, daddr, dport, pool.mark[h]!, ctx, now);
      if (r === SCHED_IGNORED) return IpvsVerdict.Accept;
      if (r === SCHED_LEAVE) {
        // ip_vs_leave (cache_bypass not modelled)
        if (svc.port === FTPPORT && dport !== FTPPORT) return IpvsVerdict.Accept;
        return IpvsVerdict.DropIcmpPortUnreach;
      }
      if (r < 0) return IpvsVerdict.Drop;
      cp = r;
    } else {
      this.lastWhy = Why.Existing;
    }

    // ip_vs_in_stats
    const dest = this.dests[c.dest[cp]!] ?? null;
    this.lastDest = dest === null ? -1 : dest.id;
    if (this.lastSvc < 0 && dest !== null && dest.svc !== null) this.lastSvc = dest.svc.id;
    if (dest !== null && (dest.flags & DF.AVAILABLE) !== 0) {
      dest.inPkts++;
      dest.inBytes += totLen;
      const s = dest.svc;
      if (s !== null) {
        s.inPkts++;
        s.inBytes += totLen;
      }
      this.totInPkts++;
      this.totInBytes += totLen;
    }
    this.setState(cp, Dir.INPUT, tcpFlags);
    const v = this.xmit(h, l3, cp, ctx);
    c.inPkts[cp] = c.inPkts[cp]! + 1;
    this.connPut(cp, now);
    return v;
  }

  /**
   * `ip_vs_out_hook` for replies of masq connections (FORWARD, LOCAL_IN, LOCAL_OUT): rewrites the
   * source back to VIP:vport and moves the TCP state by the OUTPUT rows.
   */
  replyOut(h: number, l3: number, ctx: IpvsCtx): IpvsVerdict {
    ctx.conn = -1;
    ctx.fwd = -1;
    ctx.notrack = false;
    ctx.l3Off = l3;
    if (this.conns.count === 0 && this.natIcmpSend === 0) return IpvsVerdict.Accept;
    const u8 = this.world.pool.bytesOf(h);
    const proto = u8[l3 + 9]!;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) return IpvsVerdict.Accept;
    if ((rd16(u8, l3 + 6) & 0x3fff) !== 0) return IpvsVerdict.Accept;
    const ihl = (u8[l3]! & 0x0f) << 2;
    const totLen = rd16(u8, l3 + 2);
    if (totLen < ihl + (proto === PROTO_TCP ? 20 : 4)) return IpvsVerdict.Accept;
    const l4 = l3 + ihl;
    const saddr = rd32(u8, l3 + 12) | 0;
    const daddr = rd32(u8, l3 + 16) | 0;
    const sport = rd16(u8, l4);
    const dport = rd16(u8, l4 + 2);
    const c = this.conns;
    const cp = c.findOut(proto, saddr, sport, daddr, dport);
    if (cp < 0) {
      if (this.natIcmpSend !== 0 && this.hasRealService(proto, saddr, sport)) {
        const rst = proto === PROTO_TCP && (u8[l4 + 13]! & TH_RST) !== 0;
        if (!rst) return IpvsVerdict.DropIcmpPortUnreach;
      }
      return IpvsVerdict.Accept;
    }
    // handle_response: masq only (the out index holds masq entries only)
    natRewriteOut(u8, l3, c.vaddr[cp]! | 0, c.vport[cp]!);
    const dest = this.dests[c.dest[cp]!] ?? null;
    if (dest !== null && (dest.flags & DF.AVAILABLE) !== 0) {
      dest.outPkts++;
      dest.outBytes += totLen;
      const s = dest.svc;
      if (s !== null) {
        s.outPkts++;
        s.outBytes += totLen;
      }
      this.totOutPkts++;
      this.totOutBytes += totLen;
    }
    this.setState(cp, Dir.OUTPUT, proto === PROTO_TCP ? u8[l4 + 13]! : 0);
    ctx.conn = cp;
    ctx.fwd = c.flags[cp]! & CF.FWD_MASK;
    ctx.notrack = (c.flags[cp]! & CF.NFCT) === 0;
    this.connPut(cp, this.world.sim.now);
    return IpvsVerdict.Rewritten;
  }

  /**
   * `ip_vs_out_icmp` + `handle_response_icmp` for an ICMP packet at `l3` (FORWARD, LOCAL_IN,
   * LOCAL_OUT): an error (destination unreachable, source quench, time exceeded) quoting a client →
   * real server packet of a masq connection is rewritten to come from the VIP and quote VIP:vport
   * (Rewritten); anything else is not related (Accept). Fills ctx.conn / fwd / notrack like replyOut.
   */
  replyIcmp(h: number, l3: number, ctx: IpvsCtx): IpvsVerdict {
    ctx.conn = -1;
    ctx.fwd = -1;
    ctx.notrack = false;
    ctx.l3Off = l3;
    if (this.conns.count === 0) return IpvsVerdict.Accept;
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    if ((rd16(u8, l3 + 6) & 0x3fff) !== 0) return IpvsVerdict.Accept; // fragments: not modelled
    const end = l3 + rd16(u8, l3 + 2);
    const ic = l3 + ((u8[l3]! & 0x0f) << 2);
    if (ic + 8 > end) return IpvsVerdict.Drop; // no ICMP header: NF_DROP
    const type = u8[ic]!;
    if (type !== 3 && type !== 4 && type !== 11) return IpvsVerdict.Accept;
    const q = ic + 8;
    if (q + 20 > end) return IpvsVerdict.Accept; // "The packet looks wrong, ignore"
    const qp = u8[q + 9]!;
    if (qp !== PROTO_TCP && qp !== PROTO_UDP) return IpvsVerdict.Accept;
    if ((rd16(u8, q + 6) & 0x1fff) !== 0) return IpvsVerdict.Accept;
    const ql4 = q + ((u8[q]! & 0x0f) << 2);
    if (ql4 + 4 > end) return IpvsVerdict.Accept;
    // The quoted header is the client → real server packet: conn_out_get with the header inverted.
    const c = this.conns;
    const cp = c.findOut(qp, rd32(u8, q + 16) | 0, rd16(u8, ql4 + 2), rd32(u8, q + 12) | 0, rd16(u8, ql4));
    if (cp < 0) return IpvsVerdict.Accept;
    natIcmpOut(u8, l3, q, end, c.vaddr[cp]! | 0, c.vport[cp]!);
    // ip_vs_out_stats
    const dest = this.dests[c.dest[cp]!] ?? null;
    const len = end - l3;
    if (dest !== null && (dest.flags & DF.AVAILABLE) !== 0) {
      dest.outPkts++;
      dest.outBytes += len;
      const s = dest.svc;
      if (s !== null) {
        s.outPkts++;
        s.outBytes += len;
      }
      this.totOutPkts++;
      this.totOutBytes += len;
    }
    ctx.conn = cp;
    ctx.fwd = c.flags[cp]! & CF.FWD_MASK;
    ctx.notrack = (c.flags[cp]! & CF.NFCT) === 0;
    return IpvsVerdict.Rewritten;
  }

  /** `ip_vs_has_real_service`: a masq real server at addr:port exists. */
  private hasRealService(proto: number, addr: number, port: number): boolean {
    for (const s of this.services) {
      if (s === null || (s.proto !== proto && s.fwmark === 0)) continue;
      for (const d of s.dests)
        if ((d.addr | 0) === addr && d.port === port && d.fwd === Fwd.Masq) return true;
    }
    return false;
  }

  /** `is_new_conn_expected`. */
  private newConnExpected(cp: number): boolean {
    const c = this.conns;
    if (c.control[cp]! >= 0) return false;
    if ((c.proto[cp]! & 0xff) !== PROTO_TCP) return false;
    const st = c.state[cp]!;
    return (
      st === TcpS.TIME_WAIT ||
      st === TcpS.CLOSE ||
      ((this.connReuseMode & 2) !== 0 && st === TcpS.FIN_WAIT && (c.flags[cp]! & CF.NOOUTPUT) !== 0)
    );
  }

  /** `ip_vs_conn_uses_old_conntrack`: NFCT entry and a confirmed conntrack on the frame. */
  private usesOldConntrack(cp: number, ctx: IpvsCtx): boolean {
    return (this.conns.flags[cp]! & CF.NFCT) !== 0 && ctx.ctConfirmed;
  }

  /** `ip_vs_schedule` / `ip_vs_sched_persist`: returns a row or one of the SCHED_* codes. */
  private ipvsSchedule(
    svc: Service,
    proto: number,
    saddr: number,
    sport: number,
    daddr: number,
    dport: number,
    mark: number,
    ctx: IpvsCtx,
    now: number,
  ): number {
    const c = this.conns;
    if (sport === FTPDATA) {
      this.lastWhy = Why.FtpData;
      return SCHED_IGNORED;
    }
    if (ctx.localOut && c.findIn(proto, daddr, dport, saddr, sport) >= 0) {
      // "Do not schedule replies from local real server"
      return SCHED_IGNORED;
    }
    const p = this.pkt;
    p.proto = proto;
    p.saddr = saddr;
    p.daddr = daddr;
    p.sport = sport;
    p.dport = dport;
    p.now = now;
    const why = this.why;
    why.reset();
    const sched = svc.sched!;
    this.lastSched = sched.name;
    const onePacket = (svc.flags & SF.ONEPACKET) !== 0 && proto === PROTO_UDP ? CF.ONE_PACKET : 0;

    if ((svc.flags & SF.PERSISTENT) !== 0) {
      // ip_vs_sched_persist
      const snet = saddr & svc.netmask;
      let tplProto = proto;
      let vaddr = daddr;
      let vport = 0;
      if (dport === svc.port) {
        if (svc.port !== FTPPORT) vport = dport;
      } else if (svc.fwmark !== 0) {
        tplProto = 0; // IPPROTO_IP
        vaddr = svc.fwmark | 0;
      }
      let ct = c.findIn(tplProto | TPL_KEY, snet, 0, vaddr, vport);
      let dest: Dest | null;
      if (ct < 0 || !this.checkTemplate(ct)) {
        dest = sched.schedule(svc, p, why);
        if (dest === null) {
          this.lastWhy = Why.NoDest;
          return SCHED_LEAVE;
        }
        why.act = dest.activeConns;
        why.inact = dest.inactConns;
        why.weight = dest.weight;
        const tdport = dport === svc.port && svc.port !== FTPPORT ? dest.port : 0;
        ct = this.connNew(tplProto, snet, 0, vaddr, vport, dest.addr | 0, tdport, CF.TEMPLATE, dest, mark);
        c.timeoutNs[ct] = svc.timeoutS * NS_PER_S;
        this.lastWhy = Why.Scheduled;
      } else {
        dest = this.dests[c.dest[ct]!]!;
        this.lastWhy = Why.PersistHit;
      }
      let ndport = dport;
      if (ndport === svc.port && dest.port !== 0) ndport = dest.port;
      const cp = this.connNew(
        proto,
        saddr,
        sport,
        daddr,
        dport,
        dest.addr | 0,
        ndport,
        onePacket,
        dest,
        mark,
      );
      c.control[cp] = ct;
      c.nControl[ct] = c.nControl[ct]! + 1;
      this.connPut(ct, now);
      this.connStats(dest, svc);
      this.lastDest = dest.id;
      return cp;
    }

    if (svc.fwmark === 0 && dport !== svc.port) {
      this.lastWhy = Why.PortMismatch;
      return SCHED_LEAVE;
    }
    const dest = sched.schedule(svc, p, why);
    if (dest === null) {
      this.lastWhy = Why.NoDest;
      return SCHED_LEAVE;
    }
    why.act = dest.activeConns;
    why.inact = dest.inactConns;
    why.weight = dest.weight;
    const cp = this.connNew(
      proto,
      saddr,
      sport,
      daddr,
      dport,
      dest.addr | 0,
      dest.port !== 0 ? dest.port : dport,
      onePacket,
      dest,
      mark,
    );
    this.connStats(dest, svc);
    this.lastWhy = Why.Scheduled;
    this.lastDest = dest.id;
    return cp;
  }

  private connStats(dest: Dest, svc: Service): void {
    dest.conns++;
    svc.conns++;
    this.totConns++;
  }

  /**
   * `ip_vs_check_template`: the template's dest must be available and, with
   * expire_quiescent_template, not quiesced; otherwise the template is invalidated (dport 65535, no
   * longer found by lookups) and left to its timer.
   */
  private checkTemplate(ct: number): boolean {
    const c = this.conns;
    const d = this.dests[c.dest[ct]!] ?? null;
    if (
      d === null ||
      (d.flags & DF.AVAILABLE) === 0 ||
      (this.expireQuiescentTemplate !== 0 && d.weight === 0)
    ) {
      c.dport[ct] = 0xffff;
      c.unhashIn(ct);
      return false;
    }
    return true;
  }

  /** `ip_vs_conn_new` + `ip_vs_bind_dest` + hashing. The timer is armed by the caller's connPut. */
  private connNew(
    proto: number,
    caddr: number,
    cport: number,
    vaddr: number,
    vport: number,
    daddr: number,
    dport: number,
    flags0: number,
    dest: Dest,
    mark: number,
  ): number {
    const c = this.conns;
    const r = c.alloc();
    if (r >= this.timerAt.length) {
      const t = new Float64Array(c.capacity);
      t.set(this.timerAt);
      this.timerAt = t;
    }
    const tpl = (flags0 & CF.TEMPLATE) !== 0;
    c.proto[r] = tpl ? proto | TPL_KEY : proto;
    c.caddr[r] = caddr;
    c.cport[r] = cport;
    c.vaddr[r] = vaddr;
    c.vport[r] = vport;
    c.daddr[r] = daddr;
    c.dport[r] = dport;
    c.fwmark[r] = mark;
    c.state[r] = 0;
    c.timeoutNs[r] = NEW_CONN_TIMEOUT_S * NS_PER_S;
    c.expires[r] = this.world.sim.now + c.timeoutNs[r]!;
    let flags = flags0;
    if (!tpl && this.conntrack !== 0) flags |= CF.NFCT;
    // ip_vs_bind_dest: the dest's conn_flags (forwarding method, INACTIVE, NOOUTPUT for non-masq).
    flags |= dest.fwd | CF.INACTIVE | (dest.fwd !== Fwd.Masq ? CF.NOOUTPUT : 0);
    if (proto !== PROTO_UDP) flags &= ~CF.ONE_PACKET;
    c.flags[r] = flags;
    c.dest[r] = dest.id;
    dest.refs++;
    if (!tpl) {
      if (flags & CF.INACTIVE) dest.inactConns++;
      else dest.activeConns++;
    } else {
      dest.persistConns++;
    }
    if (dest.uThreshold !== 0 && dest.totalConns >= dest.uThreshold) dest.flags |= DF.OVERLOAD;
    if ((flags & CF.ONE_PACKET) === 0) {
      c.hashIn(r);
      if (!tpl && dest.fwd === Fwd.Masq) c.hashOut(r);
    }
    return r;
  }

  /** `ip_vs_unbind_dest`. */
  private unbindDest(r: number): void {
    const c = this.conns;
    const d = this.dests[c.dest[r]!] ?? null;
    if (d === null) return;
    const f = c.flags[r]!;
    if ((f & CF.TEMPLATE) === 0) {
      if (f & CF.INACTIVE) d.inactConns--;
      else d.activeConns--;
    } else {
      d.persistConns--;
    }
    if (d.lThreshold !== 0) {
      if (d.totalConns < d.lThreshold) d.flags &= ~DF.OVERLOAD;
    } else if (d.uThreshold !== 0) {
      if (d.totalConns * 4 < d.uThreshold * 3) d.flags &= ~DF.OVERLOAD;
    } else {
      d.flags &= ~DF.OVERLOAD;
    }
    c.dest[r] = -1;
    this.destPut(d);
  }

  private destPut(d: Dest): void {
    d.refs--;
    if (d.refs === 0) {
      // Released from the trash (the kernel frees it after IP_VS_DEST_TRASH_PERIOD idle; see notes).
      const s = d.svc;
      if (s !== null) {
        const i = s.trash.indexOf(d);
        if (i >= 0) s.trash.splice(i, 1);
      }
      this.dests[d.id] = null;
      this.freeDestIds.push(d.id);
    }
  }

  /** `set_tcp_state` / `udp_state_transition`. */
  private setState(cp: number, dir: number, tcpFlags: number): void {
    const c = this.conns;
    const f = c.flags[cp]!;
    if (f & CF.TEMPLATE) return;
    const proto = c.proto[cp]!;
    if (proto === PROTO_UDP) {
      c.timeoutNs[cp] = this.timeouts.udpNs;
      if (dir === Dir.OUTPUT) this.assureTemplate(cp);
      return;
    }
    let off = dir;
    if (f & CF.NOOUTPUT) {
      if (off === Dir.OUTPUT) c.flags[cp] = f & ~CF.NOOUTPUT;
      else off = Dir.INPUT_ONLY;
    }
    const old = c.state[cp]!;
    const ns = tcpNextState(this.secureTcp !== 0, off, tcpFlags, old);
    if (ns !== old) {
      const d = this.dests[c.dest[cp]!] ?? null;
      if (d !== null) {
        const fl = c.flags[cp]!;
        if ((fl & CF.INACTIVE) === 0 && TCP_STATE_ACTIVE[ns] === 0) {
          d.activeConns--;
          d.inactConns++;
          c.flags[cp] = fl | CF.INACTIVE;
        } else if ((fl & CF.INACTIVE) !== 0 && TCP_STATE_ACTIVE[ns] === 1) {
          d.activeConns++;
          d.inactConns--;
          c.flags[cp] = fl & ~CF.INACTIVE;
        }
      }
      if (ns === TcpS.ESTABLISHED) this.assureTemplate(cp);
    }
    c.state[cp] = ns;
    c.timeoutNs[cp] = this.timeouts.tcpNs[ns]!;
  }

  /** `ip_vs_control_assure_ct`. */
  private assureTemplate(cp: number): void {
    const ct = this.conns.control[cp]!;
    if (ct >= 0 && this.conns.flags[ct]! & CF.TEMPLATE) this.conns.state[ct] = CTPL.ASSURED;
  }

  /** Transmission by forwarding method (`cp->packet_xmit`). */
  private xmit(h: number, l3: number, cp: number, ctx: IpvsCtx): IpvsVerdict {
    const c = this.conns;
    const fwd = c.flags[cp]! & CF.FWD_MASK;
    const u8 = this.world.pool.bytesOf(h);
    ctx.conn = cp;
    ctx.fwd = fwd;
    ctx.routeDst = c.daddr[cp]! >>> 0;
    ctx.notrack = (c.flags[cp]! & CF.NFCT) === 0;
    if (fwd === Fwd.Local) return IpvsVerdict.Accept;
    if (!ipvsDecrementTtl(u8, l3)) return IpvsVerdict.DropIcmpTtl;
    if (fwd === Fwd.Masq) {
      natRewriteIn(u8, l3, c.daddr[cp]! | 0, c.dport[cp]!);
      return IpvsVerdict.Xmit;
    }
    if (fwd === Fwd.Tunnel) {
      const pool = this.world.pool;
      if (pool.start[h] !== l3 || !pool.prepend(h, IPIP_HLEN)) return IpvsVerdict.Drop;
      const d = this.dests[c.dest[cp]!]!;
      if (d.tunSrc < 0) d.tunSrc = this.routeSource(d.addr) >>> 0;
      const src = d.tunSrc | 0;
      let id = 0;
      if ((u8[l3 + 6]! & 0x40) === 0) {
        id = this.ipId;
        this.ipId = (this.ipId + 1) & 0xffff;
      }
      ctx.l3Off = ipipEncap(u8, l3, src, c.daddr[cp]! | 0, id);
      return IpvsVerdict.Xmit;
    }
    return IpvsVerdict.Xmit; // direct routing: route to the real server as is
  }

  // ---- timers ----

  /** `ip_vs_conn_put`: restart the timer with the current timeout (one-packet entries die now). */
  private connPut(cp: number, now: number): void {
    const c = this.conns;
    if ((c.flags[cp]! & CF.ONE_PACKET) !== 0) {
      this.connExpire(cp, now);
      return;
    }
    const exp = now + c.timeoutNs[cp]!;
    c.expires[cp] = exp;
    const t = c.timer[cp]!;
    if (t >= 0) {
      if (this.timerAt[cp]! <= exp) return; // fires earlier and re-arms lazily
      this.world.sim.cancel(t);
    }
    this.armTimer(cp, exp);
  }

  private armTimer(cp: number, at: number): void {
    this.conns.timer[cp] = this.world.sim.at(at, this.kinds.expire, this.index, cp);
    this.timerAt[cp] = at;
  }

  /** `ip_vs_conn_expire_now`: unlink at once (lookups must miss it) and expire at this instant. */
  private expireNow(cp: number): void {
    const c = this.conns;
    c.unhashIn(cp);
    c.unhashOut(cp);
    const now = this.world.sim.now;
    c.expires[cp] = now;
    const t = c.timer[cp]!;
    if (t >= 0) this.world.sim.cancel(t);
    this.armTimer(cp, now);
  }

  /** Timer event for row `cp`. */
  onConnTimer(cp: number, now: number): void {
    const c = this.conns;
    if ((c.live[cp]! & 1) === 0) return;
    c.timer[cp] = -1;
    if (c.expires[cp]! > now) {
      this.armTimer(cp, c.expires[cp]!);
      return;
    }
    this.connExpire(cp, now);
  }

  /** `ip_vs_conn_expire`. */
  private connExpire(cp: number, now: number): void {
    const c = this.conns;
    if (c.nControl[cp]! > 0) {
      // "do I control anybody?" → expire later
      const exp = now + c.timeoutNs[cp]!;
      c.expires[cp] = exp;
      if (c.timer[cp]! < 0) this.armTimer(cp, exp);
      return;
    }
    c.unhashIn(cp);
    c.unhashOut(cp);
    const t = c.timer[cp]!;
    if (t >= 0) {
      this.world.sim.cancel(t);
      c.timer[cp] = -1;
    }
    const ct = c.control[cp]!;
    if (ct >= 0) {
      c.nControl[ct] = c.nControl[ct]! - 1;
      c.control[cp] = -1;
    }
    const f = c.flags[cp]!;
    if ((f & CF.NFCT) !== 0 && (f & CF.ONE_PACKET) === 0 && this.onDropConntrack !== null) {
      this.onDropConntrack(c.proto[cp]!, c.caddr[cp]! >>> 0, c.cport[cp]!, c.vaddr[cp]! >>> 0, c.vport[cp]!);
    }
    this.unbindDest(cp);
    c.release(cp);
  }

  /** `ip_vs_expire_nodest_conn_flush` (queued when a dest is deleted with expire_nodest_conn=1). */
  expireNodestFlush(): void {
    this.nodestFlushPending = false;
    const c = this.conns;
    for (const r of c.rows()) {
      if ((c.live[r]! & 1) === 0) continue;
      const d = this.dests[c.dest[r]!] ?? null;
      if (d === null || (d.flags & DF.AVAILABLE) !== 0) continue;
      if (c.nControl[r]! > 0) continue;
      const ct = c.control[r]!;
      this.connExpire(r, this.world.sim.now);
      if (ct >= 0 && (c.live[ct]! & 1) !== 0 && c.nControl[ct] === 0) this.connExpire(ct, this.world.sim.now);
    }
  }

  /** Scheduler timer (lblc/lblcr periodic expiry). */
  armSchedTimer(svc: Service, tNs: number): void {
    svc.schedTimer = this.world.sim.at(tNs, this.kinds.sched, this.index, svc.id);
  }

  onSchedTimer(svcId: number, now: number): void {
    const svc = this.services[svcId];
    if (svc === null || svc === undefined) return;
    svc.schedTimer = -1;
    const s = svc.sched as unknown as { onTimer?: (svc: Service, now: number) => void };
    if (s.onTimer !== undefined) s.onTimer(svc, now);
  }

  /** Forget cached route sources (call after FIB changes). */
  invalidateRoutes(): void {
    for (const d of this.dests) if (d !== null) d.tunSrc = -1;
  }

  // =====================================================================================
  // Control (ip_vs_ctl.c): the operations ipvsadm performs; errno results
  // =====================================================================================

  findService(spec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'>): Service | null {
    const id = spec.fwmark
      ? this.svcTable.byMark(spec.fwmark)
      : this.svcTable.byAddr(spec.proto, spec.addr, spec.port);
    return id < 0 ? null : this.services[id]!;
  }

  /** IP_VS_SO_SET_ADD (`ip_vs_add_service`). */
  addService(spec: ServiceSpec): number {
    if (this.findService(spec) !== null) return Errno.EEXIST;
    let id = this.services.indexOf(null);
    if (id < 0) id = this.services.length;
    const svc = new Service(id, this, spec.proto, spec.addr, spec.port, spec.fwmark);
    const sched = createScheduler(spec.sched, svc);
    if (sched === null) return Errno.ENOENT;
    svc.schedName = spec.sched;
    svc.sched = sched;
    svc.flags = (spec.flags | SF.HASHED) >>> 0;
    svc.timeoutS = spec.timeoutS;
    svc.netmask = spec.netmask >>> 0;
    this.services[id] = svc;
    this.svcTable.add(svc);
    this.nServices++;
    sched.destsChanged(svc, null, 'init');
    if (!this.hooked && Ipvs.onEnable !== null) {
      this.hooked = true;
      Ipvs.onEnable(this);
    }
    return Errno.OK;
  }

  /** IP_VS_SO_SET_EDIT (`ip_vs_edit_service`). */
  editService(spec: ServiceSpec): number {
    const svc = this.findService(spec);
    if (svc === null) return Errno.ESRCH;
    if (spec.sched !== svc.schedName) {
      const sched = createScheduler(spec.sched, svc);
      if (sched === null) return Errno.ENOENT;
      this.stopSched(svc);
      svc.sched = sched;
      svc.schedName = spec.sched;
      sched.destsChanged(svc, null, 'init');
    }
    svc.flags = (spec.flags | SF.HASHED) >>> 0;
    svc.timeoutS = spec.timeoutS;
    svc.netmask = spec.netmask >>> 0;
    return Errno.OK;
  }

  private stopSched(svc: Service): void {
    svc.sched?.done(svc);
    if (svc.schedTimer >= 0) {
      this.world.sim.cancel(svc.schedTimer);
      svc.schedTimer = -1;
    }
  }

  /** IP_VS_SO_SET_DEL (`ip_vs_del_service`): dests go to the trash; connections live on. */
  delService(spec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'>): number {
    const svc = this.findService(spec);
    if (svc === null) return Errno.ESRCH;
    this.unlinkService(svc);
    return Errno.OK;
  }

  private unlinkService(svc: Service): void {
    this.stopSched(svc);
    for (const d of [...svc.dests]) this.unlinkDest(svc, d, false);
    this.svcTable.remove(svc);
    this.services[svc.id] = null;
    this.nServices--;
  }

  /** IP_VS_SO_SET_FLUSH (`ip_vs_flush`). */
  flush(): number {
    for (const s of this.services) if (s !== null) this.unlinkService(s);
    return Errno.OK;
  }

  /** IP_VS_SO_SET_ADDDEST (`ip_vs_add_dest`). */
  addDest(svcSpec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'>, ds: DestSpec): number {
    const svc = this.findService(svcSpec);
    if (svc === null) return Errno.ESRCH;
    if (ds.weight < 0) return Errno.EINVAL;
    if (ds.lThreshold > ds.uThreshold) return Errno.ERANGE;
    if (!unicastish(ds.addr)) return Errno.EINVAL;
    if (svc.findDest(ds.addr, ds.port) !== null) return Errno.EEXIST;
    // ip_vs_trash_get_dest: a removed dest still referenced comes back with its counters.
    let d: Dest | null = null;
    const ti = svc.trash.findIndex((t) => t.addr === ds.addr >>> 0 && t.port === ds.port);
    if (ti >= 0) {
      d = svc.trash[ti]!;
      svc.trash.splice(ti, 1);
      d.zeroStats();
    } else {
      const id = this.freeDestIds.length > 0 ? this.freeDestIds.pop()! : this.dests.length;
      d = new Dest(id, svc, ds.addr, ds.port);
      this.dests[id] = d;
    }
    d.refs++;
    d.svc = svc;
    this.updateDest(svc, d, ds, true);
    return Errno.OK;
  }

  /** `__ip_vs_update_dest`. */
  private updateDest(svc: Service, d: Dest, ds: DestSpec, add: boolean): void {
    const oldWeight = d.weight;
    d.weight = ds.weight;
    if (ds.weight > 0 && (add || oldWeight !== ds.weight)) d.lastWeight = ds.weight;
    d.fwd = ds.fwd;
    d.flags |= DF.AVAILABLE;
    if (ds.uThreshold === 0 || ds.uThreshold > d.totalConns) d.flags &= ~DF.OVERLOAD;
    d.uThreshold = ds.uThreshold;
    d.lThreshold = ds.lThreshold;
    d.tunSrc = -1;
    if (add) {
      svc.dests.unshift(d); // list_add_rcu: at the head
      svc.sched!.destsChanged(svc, d, 'add');
    } else {
      svc.sched!.destsChanged(svc, d, 'upd');
    }
  }

  /** IP_VS_SO_SET_EDITDEST (`ip_vs_edit_dest`). */
  editDest(svcSpec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'>, ds: DestSpec): number {
    const svc = this.findService(svcSpec);
    if (svc === null) return Errno.ESRCH;
    if (ds.weight < 0) return Errno.EINVAL;
    if (ds.lThreshold > ds.uThreshold) return Errno.ERANGE;
    const d = svc.findDest(ds.addr, ds.port);
    if (d === null) return Errno.ENOENT;
    this.updateDest(svc, d, ds, false);
    return Errno.OK;
  }

  /** IP_VS_SO_SET_DELDEST (`ip_vs_del_dest`). */
  delDest(
    svcSpec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'>,
    addr: number,
    port: number,
  ): number {
    const svc = this.findService(svcSpec);
    if (svc === null) return Errno.ESRCH;
    const d = svc.findDest(addr, port);
    if (d === null) return Errno.ENOENT;
    this.unlinkDest(svc, d, true);
    return Errno.OK;
  }

  /** `__ip_vs_unlink_dest` + `__ip_vs_del_dest`. */
  private unlinkDest(svc: Service, d: Dest, svcUpd: boolean): void {
    const i = svc.dests.indexOf(d);
    svc.dests.splice(i, 1);
    d.flags &= ~DF.AVAILABLE;
    if (svcUpd) {
      svc.removedIndex = i;
      svc.sched!.destsChanged(svc, d, 'del');
    }
    svc.trash.push(d);
    this.destPut(d);
    if (this.expireNodestConn !== 0 && !this.nodestFlushPending) {
      this.nodestFlushPending = true;
      this.world.sim.after(JIFFY_NS, this.kinds.flush, this.index, 0);
    }
  }

  /** IP_VS_SO_SET_TIMEOUT (`ip_vs_set_timeout`); negative → EINVAL. */
  setTimeouts(tcpS: number, tcpFinS: number, udpS: number): number {
    if (tcpS < 0 || tcpFinS < 0 || udpS < 0) return Errno.EINVAL;
    this.timeouts.set(tcpS, tcpFinS, udpS);
    return Errno.OK;
  }

  /** IP_VS_SO_SET_ZERO: one service (and its dests) or, with null, everything. */
  zero(svcSpec: Pick<ServiceSpec, 'proto' | 'addr' | 'port' | 'fwmark'> | null): number {
    if (svcSpec === null) {
      for (const s of this.services) {
        if (s === null) continue;
        s.zeroStats();
        for (const d of s.dests) d.zeroStats();
      }
      this.totConns = 0;
      this.totInPkts = 0;
      this.totOutPkts = 0;
      this.totInBytes = 0;
      this.totOutBytes = 0;
      return Errno.OK;
    }
    const svc = this.findService(svcSpec);
    if (svc === null) return Errno.ESRCH;
    svc.zeroStats();
    for (const d of svc.dests) d.zeroStats();
    return Errno.OK;
  }

  /** Live services in creation-slot order. */
  listServices(): Service[] {
    return this.services.filter((s): s is Service => s !== null);
  }

  /** /proc/net/ip_vs_conn rows (table order). */
  listConns(): ConnInfo[] {
    const c = this.conns;
    const now = this.world.sim.now;
    return c.rows().map((r) => {
      const tpl = (c.flags[r]! & CF.TEMPLATE) !== 0;
      const proto = c.proto[r]! & 0xff;
      let state: string;
      if (tpl) state = c.state[r] === CTPL.ASSURED ? 'ASSURED' : 'NONE';
      else state = proto === PROTO_TCP ? TCP_STATE_NAMES[c.state[r]!]! : UDP_STATE_NAME;
      return {
        proto,
        caddr: c.caddr[r]! >>> 0,
        cport: c.cport[r]!,
        vaddr: c.vaddr[r]! >>> 0,
        vport: c.vport[r]!,
        daddr: c.daddr[r]! >>> 0,
        dport: c.dport[r]!,
        state,
        expiresS: Math.max(0, Math.floor((c.expires[r]! - now) / NS_PER_S)),
        template: tpl,
      };
    });
  }

  // =====================================================================================
  // Explanation
  // =====================================================================================

  /** One line describing the last `schedule` decision (allocates: call only for traced packets). */
  explain(): string {
    const flow = `${this.lastProto === PROTO_UDP ? 'UDP' : 'TCP'} ${ipv4ToString(this.lastSaddr)}:${this.lastSport} -> ${ipv4ToString(this.lastDaddr)}:${this.lastDport}`;
    const svc = this.lastSvc >= 0 ? (this.services[this.lastSvc] ?? null) : null;
    const dest = this.lastDest >= 0 ? (this.dests[this.lastDest] ?? null) : null;
    switch (this.lastWhy) {
      case Why.NoService:
        return `ipvs: ${flow}: no virtual service, passed to the local stack`;
      case Why.NotSyn:
        return `ipvs: ${flow}: no connection entry and not a SYN: not scheduled, passed to the local stack`;
      case Why.Existing:
        return `ipvs: ${flow}: existing connection to ${dest ?? 'a removed server'}`;
      case Why.DestGone:
        return `ipvs: ${flow}: real server ${dest ?? ''} was removed (expire_nodest_conn=0): dropped`;
      case Why.OldConntrack:
        return `ipvs: ${flow}: connection reuse with an old conntrack entry: first SYN dropped`;
      case Why.FtpData:
        return `ipvs: ${flow}: FTP data from port 20 is never scheduled`;
      case Why.PortMismatch:
        return `ipvs: ${flow}: port-zero service without persistence cannot schedule`;
      case Why.Malformed:
        return `ipvs: ${flow}: truncated transport header: dropped`;
      case Why.NoDest:
        return `ipvs: ${flow}: ${svc ?? 'service'}: ${this.lastSched}: no destination available, ICMP port unreachable`;
      case Why.PersistHit:
        return `ipvs: ${flow}: ${svc ?? 'service'} persistence template -> ${dest}`;
      case Why.Scheduled: {
        const s = svc?.sched;
        const line = s !== undefined && s !== null ? s.explain(this.why, dest) : `${this.lastSched}: ${dest}`;
        return `ipvs: ${flow}: ${svc ?? 'service'}${this.lastResched ? ' (old entry reused: rescheduled)' : ''}: ${line}`;
      }
      default:
        return 'ipvs: no decision';
    }
  }

  /** The scheduler's one-line reason for the last pick (e.g. "wlc: 10.0.0.5:80 has 2 active / weight 1"). */
  explainPick(): string {
    const svc = this.lastSvc >= 0 ? (this.services[this.lastSvc] ?? null) : null;
    const dest = this.lastDest >= 0 ? (this.dests[this.lastDest] ?? null) : null;
    if (svc === null || svc.sched === null) return '';
    return svc.sched.explain(this.why, dest);
  }
}

const SCHED_IGNORED = -1;
const SCHED_LEAVE = -2;

/** What `inet_addr_type` would call RTN_UNICAST or RTN_LOCAL for a real server address. */
function unicastish(a: number): boolean {
  const x = a >>> 0;
  if (x === 0 || x === 0xffffffff) return false;
  if (x >>> 28 === 0xe) return false; // multicast
  return true;
}

export { CF, Fwd, IpvsVerdict, SF } from './defs.js';
export type { Dest } from './dest.js';
export type { Service } from './service.js';
