// IPVS protocol state machines and timeouts, as the director sees a connection.
//
// Heads up: these tables are net/netfilter/ipvs/ip_vs_proto_tcp.c (`tcp_timeouts`, `tcp_states`,
// `tcp_states_dos`, `tcp_state_active_table`, `set_tcp_state`) and ip_vs_proto_udp.c
// (`udp_timeouts`, `udp_state_transition`). They are not the endpoint TCP state machine: the director
// sees only the client→server half in DR/TUN (INPUT-ONLY rows) and both halves in masq (INPUT and
// OUTPUT rows). Keep the row order and numbers identical to the kernel's.

/** IPVS TCP states (IP_VS_TCP_S_*). */
export const TcpS = Object.freeze({
  NONE: 0,
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT: 4,
  TIME_WAIT: 5,
  CLOSE: 6,
  CLOSE_WAIT: 7,
  LAST_ACK: 8,
  LISTEN: 9,
  SYNACK: 10,
} as const);
export const TCP_S_LAST = 11;

/** State names as /proc/net/ip_vs_conn and `ipvsadm -lc` print them (`tcp_state_name_table`). */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'SYNACK',
];

/**
 * `tcp_state_active_table`: states counted in the dest's activeconns. Current kernels count SYN_SENT,
 * SYN_RECV and SYNACK as active too (older kernels counted ESTABLISHED only).
 */
export const TCP_STATE_ACTIVE = Uint8Array.from([0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]);

/** `tcp_timeouts`, seconds (HZ units in the kernel). `ipvsadm --set` changes ESTABLISHED and FIN_WAIT. */
export const TCP_TIMEOUTS_S: readonly number[] = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];

/** `udp_timeouts[IP_VS_UDP_S_NORMAL]`, seconds. `ipvsadm --set` changes it. */
export const UDP_TIMEOUT_S = 300;
/** State name of every UDP entry (`udp_state_name_table[IP_VS_UDP_S_NORMAL]`). */
export const UDP_STATE_NAME = 'UDP';

/** Timeout of a freshly created connection before its first state transition (`ip_vs_conn_new`). */
export const NEW_CONN_TIMEOUT_S = 3;

/** Directions (IP_VS_DIR_*), used as row-block offsets below (`tcp_state_off`). */
export const Dir = Object.freeze({ INPUT: 0, OUTPUT: 4, INPUT_ONLY: 8 } as const);

const sES = TcpS.ESTABLISHED;
const sSS = TcpS.SYN_SENT;
const sSR = TcpS.SYN_RECV;
const sFW = TcpS.FIN_WAIT;
const sTW = TcpS.TIME_WAIT;
const sCL = TcpS.CLOSE;
const sCW = TcpS.CLOSE_WAIT;
const sLA = TcpS.LAST_ACK;
const sLI = TcpS.LISTEN;
const sSA = TcpS.SYNACK;

// Rows: [dir block + event] where event is syn 0, fin 1, ack 2, rst 3; columns: current state.
// biome-ignore format: the kernel's table layout
const TCP_STATES = Uint8Array.from([
  /* INPUT */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  /*fin*/ sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR,
  /* OUTPUT */
  /*syn*/ sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR,
  /*fin*/ sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES,
  /*rst*/ sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL,
  /* INPUT-ONLY */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  /*fin*/ sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
]);

// `tcp_states_dos`, selected by the secure_tcp defense.
// biome-ignore format: the kernel's table layout
const TCP_STATES_DOS = Uint8Array.from([
  /* INPUT */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSA,
  /*fin*/ sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sSA,
  /*ack*/ sES, sES, sSS, sSR, sFW, sTW, sCL, sCW, sCL, sLI, sSA,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
  /* OUTPUT */
  /*syn*/ sSS, sES, sSS, sSA, sSS, sSS, sSS, sSS, sSS, sLI, sSA,
  /*fin*/ sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES,
  /*rst*/ sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL,
  /* INPUT-ONLY */
  /*syn*/ sSA, sES, sES, sSR, sSA, sSA, sSA, sSA, sSA, sSA, sSA,
  /*fin*/ sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
]);

const TH_FIN = 0x01;
const TH_SYN = 0x02;
const TH_RST = 0x04;
const TH_ACK = 0x10;

/** `tcp_state_idx`: rst 3 beats syn 0 beats fin 1 beats ack 2; -1 with none of them. */
export function tcpStateIdx(tcpFlags: number): number {
  if (tcpFlags & TH_RST) return 3;
  if (tcpFlags & TH_SYN) return 0;
  if (tcpFlags & TH_FIN) return 1;
  if (tcpFlags & TH_ACK) return 2;
  return -1;
}

/**
 * Next TCP state per `set_tcp_state`: `stateOff` is a `Dir` block; a segment with none of
 * SYN/FIN/ACK/RST moves the entry to CLOSE (the kernel's `new_state = IP_VS_TCP_S_CLOSE` default).
 */
export function tcpNextState(secure: boolean, stateOff: number, tcpFlags: number, state: number): number {
  const idx = tcpStateIdx(tcpFlags);
  if (idx < 0) return TcpS.CLOSE;
  return (secure ? TCP_STATES_DOS : TCP_STATES)[(stateOff + idx) * TCP_S_LAST + state]!;
}

/**
 * Per-namespace timeout table (`pd->timeout_table`), seconds. `ipvsadm --set tcp tcpfin udp` writes
 * ESTABLISHED, FIN_WAIT and the UDP timeout; a value of 0 leaves that one unchanged (`ip_vs_set_timeout`).
 */
export class TimeoutTable {
  readonly tcpNs = new Float64Array(TCP_S_LAST);
  udpNs = UDP_TIMEOUT_S * 1e9;

  constructor() {
    for (let i = 0; i < TCP_S_LAST; i++) this.tcpNs[i] = TCP_TIMEOUTS_S[i]! * 1e9;
  }

  /** `ip_vs_set_timeout`: zero means "keep". */
  set(tcpS: number, tcpFinS: number, udpS: number): void {
    if (tcpS) this.tcpNs[TcpS.ESTABLISHED] = tcpS * 1e9;
    if (tcpFinS) this.tcpNs[TcpS.FIN_WAIT] = tcpFinS * 1e9;
    if (udpS) this.udpNs = udpS * 1e9;
  }

  /** `__ip_vs_get_timeouts`: (tcp, tcpfin, udp) in whole seconds. */
  get(): [number, number, number] {
    return [
      Math.floor(this.tcpNs[TcpS.ESTABLISHED]! / 1e9),
      Math.floor(this.tcpNs[TcpS.FIN_WAIT]! / 1e9),
      Math.floor(this.udpNs / 1e9),
    ];
  }
}
