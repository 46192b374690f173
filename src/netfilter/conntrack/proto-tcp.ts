// TCP connection tracking: the `tcp_conntracks` state table and window tracking of
// net/netfilter/nf_conntrack_proto_tcp.c (`tcp_error`, `tcp_new`, `tcp_in_window`,
// `nf_conntrack_tcp_packet`, `nf_tcp_handle_invalid`).
//
// Heads up: read that file before changing this one. What is implemented:
// - the full transition table (both directions, sIV/sIG), TIME_WAIT/CLOSE reopen (kill + look up
//   again, -NF_REPEAT), the ignored-SYN/SYN-ACK resync, simultaneous open, RFC 5961 challenge ACKs;
// - window tracking (`tcp_in_window`: td_end/td_maxend/td_maxwin/td_maxack/td_scale, SACK right edge,
//   window scale only when both sides offered it), with `nf_conntrack_tcp_be_liberal` (out-of-window
//   packets are accepted instead of INVALID) and `nf_conntrack_tcp_loose` (pick up mid-stream
//   connections; those are marked BE_LIBERAL as `tcp_new` does);
// - timeouts as the kernel picks them (retrans ≥ max_retrans, RST → close, unacknowledged data,
//   zero window), ASSURED on the ACK after SYN_RECV or on a reply to a picked-up connection, kill on a
//   RST that is the only reply.
// Not implemented: NAT sequence adjustment (no helpers), synproxy, the checksum check at PREROUTING
// (netsim's frames carry verified checksums, like CHECKSUM_UNNECESSARY from veth).

import { type Clock, type CtTable, RowUse } from './table.js';
import type { CtSysctls } from './timeouts.js';
import { TcpCt } from './timeouts.js';
import { Dir, Ips } from './tuple.js';

/** Tracker verdicts: > 0 accept, 0 drop, -1 INVALID (-NF_ACCEPT), -2 kill and look up again (-NF_REPEAT). */
export const CtVerdict = Object.freeze({ Drop: 0, Accept: 1, Invalid: -1, Repeat: -2 } as const);

// `enum tcp_bit_set`
const SYN_SET = 0;
const SYNACK_SET = 1;
const FIN_SET = 2;
const ACK_SET = 3;
const RST_SET = 4;
const NONE_SET = 5;

// `ip_ct_tcp_state.flags` (IP_CT_TCP_FLAG_*) and last_flags extras.
export const TcpCtFlag = Object.freeze({
  WINDOW_SCALE: 0x01,
  SACK_PERM: 0x02,
  CLOSE_INIT: 0x04,
  BE_LIBERAL: 0x08,
  DATA_UNACKNOWLEDGED: 0x10,
  MAXACK_SET: 0x20,
  EXP_CHALLENGE_ACK: 0x40,
  SIMULTANEOUS_OPEN: 0x80,
} as const);
const F = TcpCtFlag;

const sNO = TcpCt.None;
const sSS = TcpCt.SynSent;
const sSR = TcpCt.SynRecv;
const sES = TcpCt.Established;
const sFW = TcpCt.FinWait;
const sCW = TcpCt.CloseWait;
const sLA = TcpCt.LastAck;
const sTW = TcpCt.TimeWait;
const sCL = TcpCt.Close;
const sS2 = TcpCt.SynSent2;
const sIV = TcpCt.Max;
const sIG = TcpCt.Ignore;

/** `tcp_conntracks[dir][index][state]`, flattened: [(dir * 6 + index) * 10 + state]. */
const TABLE = Uint8Array.from([
  // ORIGINAL:  sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /* syn    */ sSS,
  sSS,
  sIG,
  sIG,
  sIG,
  sIG,
  sIG,
  sSS,
  sSS,
  sS2,
  /* synack */ sIV,
  sIV,
  sSR,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sSR,
  /* fin    */ sIV,
  sIV,
  sFW,
  sFW,
  sLA,
  sLA,
  sLA,
  sTW,
  sCL,
  sIV,
  /* ack    */ sES,
  sIV,
  sES,
  sES,
  sCW,
  sCW,
  sTW,
  sTW,
  sCL,
  sIV,
  /* rst    */ sIV,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  /* none   */ sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  // REPLY:     sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
  /* syn    */ sIV,
  sS2,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sSS,
  sIV,
  sS2,
  /* synack */ sIV,
  sSR,
  sIG,
  sIG,
  sIG,
  sIG,
  sIG,
  sIG,
  sIG,
  sSR,
  /* fin    */ sIV,
  sIV,
  sFW,
  sFW,
  sLA,
  sLA,
  sLA,
  sTW,
  sCL,
  sIV,
  /* ack    */ sIV,
  sIG,
  sSR,
  sES,
  sCW,
  sCW,
  sTW,
  sTW,
  sCL,
  sIG,
  /* rst    */ sIV,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  sCL,
  /* none   */ sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
  sIV,
]);

/** The state the table gives for (dir, flag index, old state); exported for tests. */
export function tcpTransition(dir: number, index: number, state: number): number {
  return TABLE[(dir * 6 + index) * 10 + state]!;
}

/** `tcp_valid_flags`: FIN/SYN/RST/ACK/URG combinations accepted (PSH, ECE, CWR masked off). */
const VALID_FLAGS = new Uint8Array(64);
for (const f of [0x02, 0x22, 0x12, 0x04, 0x14, 0x11, 0x31, 0x10, 0x30]) VALID_FLAGS[f] = 1;

/** `get_conntrack_index`. */
export function tcpFlagIndex(flags: number): number {
  if (flags & 0x04) return RST_SET;
  if (flags & 0x02) return flags & 0x10 ? SYNACK_SET : SYN_SET;
  if (flags & 0x01) return FIN_SET;
  if (flags & 0x10) return ACK_SET;
  return NONE_SET;
}

function rd16(u8: Uint8Array, o: number): number {
  return (u8[o]! << 8) | u8[o + 1]!;
}
function rd32(u8: Uint8Array, o: number): number {
  return ((u8[o]! << 24) | (u8[o + 1]! << 16) | (u8[o + 2]! << 8) | u8[o + 3]!) >>> 0;
}
/** Sequence-space comparisons (`before`/`after` in include/net/tcp.h). */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** `tcp_error`: truncated header or an invalid flag combination. */
export function tcpError(u8: Uint8Array, l4: number, end: number): boolean {
  if (end - l4 < 20) return true;
  const doff = (u8[l4 + 12]! >>> 4) << 2;
  if (doff < 20 || end - l4 < doff) return true;
  return VALID_FLAGS[u8[l4 + 13]! & 0x37]! === 0;
}

/** `segment_seq_plus_len`. */
function segEnd(u8: Uint8Array, l4: number, end: number): number {
  const flags = u8[l4 + 13]!;
  const doff = (u8[l4 + 12]! >>> 4) << 2;
  return (rd32(u8, l4 + 4) + (end - l4 - doff) + (flags & 0x02 ? 1 : 0) + (flags & 0x01 ? 1 : 0)) >>> 0;
}

/** `tcp_options`: window scale and SACK-permitted of a SYN into seen[i]. */
function tcpOptions(tb: CtTable, i: number, u8: Uint8Array, l4: number): void {
  const doff = (u8[l4 + 12]! >>> 4) << 2;
  let len = doff - 20;
  if (len <= 0) return;
  tb.tdScale[i] = 0;
  tb.tdFlags[i]! &= F.BE_LIBERAL;
  let p = l4 + 20;
  while (len > 0) {
    const op = u8[p++]!;
    if (op === 0) return;
    if (op === 1) {
      len--;
      continue;
    }
    if (len < 2) return;
    const size = u8[p++]!;
    if (size < 2 || size > len) return;
    if (op === 4 && size === 2) tb.tdFlags[i]! |= F.SACK_PERM;
    else if (op === 3 && size === 3) {
      tb.tdScale[i] = Math.min(u8[p]!, 14);
      tb.tdFlags[i]! |= F.WINDOW_SCALE;
    }
    p += size - 2;
    len -= size;
  }
}

/** `tcp_sack`: the highest right edge of the SACK blocks, or `sack` unchanged. */
function tcpSack(u8: Uint8Array, l4: number, sack0: number): number {
  const doff = (u8[l4 + 12]! >>> 4) << 2;
  let len = doff - 20;
  let sack = sack0;
  if (len <= 0) return sack;
  let p = l4 + 20;
  // Fast path: NOP NOP TIMESTAMP only.
  if (len === 12 && u8[p] === 1 && u8[p + 1] === 1 && u8[p + 2] === 8 && u8[p + 3] === 10) return sack;
  while (len > 0) {
    const op = u8[p++]!;
    if (op === 0) return sack;
    if (op === 1) {
      len--;
      continue;
    }
    if (len < 2) return sack;
    const size = u8[p++]!;
    if (size < 2 || size > len) return sack;
    if (op === 5 && size >= 10 && (size - 2) % 8 === 0) {
      for (let i = 0; i < size - 2; i += 8) {
        const right = rd32(u8, p + i + 4);
        if (after(right, sack)) sack = right;
      }
      return sack;
    }
    p += size - 2;
    len -= size;
  }
  return sack;
}

/** `tcp_init_sender`. */
function initSender(
  tb: CtTable,
  r: number,
  dir: number,
  u8: Uint8Array,
  l4: number,
  end: number,
  win: number,
): void {
  const s = r * 2 + dir;
  const rc = r * 2 + (dir ^ 1);
  tb.tdEnd[s] = end;
  tb.tdMaxend[s] = end;
  tb.tdMaxwin[s] = win === 0 ? 1 : win;
  tcpOptions(tb, s, u8, l4);
  // RFC 1323: both sides must offer window scaling for either to use it.
  if (dir === Dir.Reply && !(tb.tdFlags[s]! & F.WINDOW_SCALE && tb.tdFlags[rc]! & F.WINDOW_SCALE)) {
    tb.tdScale[s] = 0;
    tb.tdScale[rc] = 0;
  }
}

/** `tcp_new`: may this segment start a connection? Initialises seen[0]. */
export function tcpNew(
  tb: CtTable,
  r: number,
  u8: Uint8Array,
  l4: number,
  end: number,
  sys: CtSysctls,
): boolean {
  const flags = u8[l4 + 13]!;
  const ns = tcpTransition(Dir.Original, tcpFlagIndex(flags), sNO);
  if (ns >= sIV) return false;
  const s = r * 2;
  const e = segEnd(u8, l4, end);
  let win = rd16(u8, l4 + 14);
  if (win === 0) win = 1;
  if (ns === sSS) {
    tb.tdEnd[s] = e;
    tb.tdMaxwin[s] = win;
    tb.tdMaxend[s] = e;
    tcpOptions(tb, s, u8, l4);
  } else {
    if (sys.tcpLoose === 0) return false; // don't pick up connections
    tb.tdEnd[s] = e;
    tb.tdMaxwin[s] = win;
    tb.tdMaxend[s] = (e + win) >>> 0;
    // Mid-stream pickup: assume SACK and be liberal (window scale unknown).
    tb.tdFlags[s] = F.SACK_PERM | F.BE_LIBERAL;
    tb.tdFlags[s + 1] = F.SACK_PERM | F.BE_LIBERAL;
  }
  tb.lastIndex[r] = NONE_SET;
  return true;
}

const MAXACKWINCONST = 66000;

/** `tcp_in_window`: 1 accept, 0 ignore (accept without state change), -1 invalid. */
function inWindow(
  tb: CtTable,
  r: number,
  dir: number,
  index: number,
  u8: Uint8Array,
  l4: number,
  end: number,
  sys: CtSysctls,
): number {
  const s = r * 2 + dir;
  const rc = r * 2 + (dir ^ 1);
  const flags = u8[l4 + 13]!;
  const syn = flags & 0x02;
  const hasAck = flags & 0x10;
  let seq = rd32(u8, l4 + 4);
  let ack = rd32(u8, l4 + 8);
  let sack = ack;
  const winRaw = rd16(u8, l4 + 14);
  let win = winRaw;
  let e = segEnd(u8, l4, end);
  if (tb.tdFlags[rc]! & F.SACK_PERM) sack = tcpSack(u8, l4, sack);

  if (tb.tdMaxwin[s] === 0) {
    // Initialise sender data.
    if (syn) {
      initSender(tb, r, dir, u8, l4, e, win);
      if (!hasAck) return 1; // simultaneous open
    } else {
      // Mid-connection: the history is lost, use the packet's data.
      tb.tdEnd[s] = e;
      const swin = (win << tb.tdScale[s]!) >>> 0;
      tb.tdMaxwin[s] = swin === 0 ? 1 : swin;
      tb.tdMaxend[s] = (e + tb.tdMaxwin[s]!) >>> 0;
      if (tb.tdMaxwin[rc] === 0) {
        tb.tdEnd[rc] = sack;
        tb.tdMaxend[rc] = sack;
      } else if (sack === (tb.tdEnd[rc]! + 1) >>> 0) {
        tb.tdEnd[rc] = sack; // likely a reply to a keepalive
      }
    }
  } else if (syn && after(e, tb.tdEnd[s]!) && (tb.tcpState[r] === sSS || tb.tcpState[r] === sSR)) {
    // RFC 793: a reinitialised TCP uses larger sequence numbers; re-init this direction.
    initSender(tb, r, dir, u8, l4, e, win);
    if (dir === Dir.Reply && !hasAck) return 1;
  }

  if (!hasAck) {
    ack = sack = tb.tdEnd[rc]!;
  } else if ((flags & 0x14) === 0x14 && ack === 0) {
    ack = sack = tb.tdEnd[rc]!; // broken stacks: ACK set in RST with zero ack
  }
  if (flags & 0x04 && seq === 0 && tb.tcpState[r] === sSS) {
    seq = e = tb.tdEnd[s]!; // RST answering a SYN
  }

  const liberal = (tb.tdFlags[s]! & F.BE_LIBERAL) !== 0 || sys.tcpBeLiberal !== 0;
  const maxAckWin = Math.max(tb.tdMaxwin[s]!, MAXACKWINCONST);
  const seqOk = before(seq, (tb.tdMaxend[s]! + 1) >>> 0);
  if (!seqOk) {
    const overshot = (e - tb.tdMaxend[s]! + 1) >>> 0;
    const ackOk = after(sack, (tb.tdEnd[rc]! - maxAckWin - 1) >>> 0);
    const inRecv = tb.tdMaxwin[rc] !== 0 && after(e, (tb.tdEnd[s]! - tb.tdMaxwin[rc]! - 1) >>> 0);
    if (inRecv && ackOk && overshot <= tb.tdMaxwin[rc]! && before(sack, (tb.tdEnd[rc]! + 1) >>> 0)) {
      tb.tdEnd[s] = e;
      tb.tdFlags[s]! |= F.DATA_UNACKNOWLEDGED;
      return liberal ? 1 : 0; // "bytes more than expected": ignored
    }
    return liberal ? 1 : -1; // "SEQ is over upper bound"
  }
  if (!before(sack, (tb.tdEnd[rc]! + 1) >>> 0)) return liberal ? 1 : -1; // "ACK is over upper bound"
  const inRecv = tb.tdMaxwin[rc] === 0 || after(e, (tb.tdEnd[s]! - tb.tdMaxwin[rc]! - 1) >>> 0);
  if (!inRecv) return liberal ? 1 : 0; // "SEQ is under lower bound": ignored
  if (!after(sack, (tb.tdEnd[rc]! - maxAckWin - 1) >>> 0)) return liberal ? 1 : 0; // "ACK under lower bound"

  if (!syn) win = (win << tb.tdScale[s]!) >>> 0;
  // Update sender data.
  const swin = (win + ((sack - ack) >>> 0)) >>> 0;
  if (tb.tdMaxwin[s]! < swin) tb.tdMaxwin[s] = swin;
  if (after(e, tb.tdEnd[s]!)) {
    tb.tdEnd[s] = e;
    tb.tdFlags[s]! |= F.DATA_UNACKNOWLEDGED;
  }
  if (hasAck) {
    if (!(tb.tdFlags[s]! & F.MAXACK_SET)) {
      tb.tdMaxack[s] = ack;
      tb.tdFlags[s]! |= F.MAXACK_SET;
    } else if (after(ack, tb.tdMaxack[s]!)) tb.tdMaxack[s] = ack;
  }
  // Update receiver data.
  if (tb.tdMaxwin[rc] !== 0 && after(e, tb.tdMaxend[s]!))
    tb.tdMaxwin[rc] = (tb.tdMaxwin[rc]! + e - tb.tdMaxend[s]!) >>> 0;
  if (after((sack + win) >>> 0, (tb.tdMaxend[rc]! - 1) >>> 0)) {
    tb.tdMaxend[rc] = (sack + win) >>> 0;
    if (win === 0) tb.tdMaxend[rc] = (tb.tdMaxend[rc]! + 1) >>> 0;
  }
  if (ack === tb.tdEnd[rc]) tb.tdFlags[rc]! &= ~F.DATA_UNACKNOWLEDGED;
  // Retransmissions.
  if (index === ACK_SET) {
    if (
      tb.lastDir[r] === dir &&
      tb.lastSeq[r] === seq &&
      tb.lastAck[r] === ack &&
      tb.lastEnd[r] === e &&
      tb.lastWin[r] === winRaw
    ) {
      if (tb.retrans[r]! < 255) tb.retrans[r]!++;
    } else {
      tb.lastDir[r] = dir;
      tb.lastSeq[r] = seq;
      tb.lastAck[r] = ack;
      tb.lastEnd[r] = e;
      tb.lastWin[r] = winRaw;
      tb.retrans[r] = 0;
    }
  }
  return 1;
}

/** `nf_tcp_handle_invalid`: shrink an assured connection's timeout after out-of-window FIN/RST pairs. */
function handleInvalid(
  tb: CtTable,
  r: number,
  dir: number,
  index: number,
  now: number,
  sys: CtSysctls,
): void {
  if (!(tb.status[r]! & Ips.ASSURED) || tb.status[r]! & Ips.FIXED_TIMEOUT) return;
  if (index !== RST_SET && index !== FIN_SET) return;
  if (tb.lastDir[r] !== dir && (tb.lastIndex[r] === FIN_SET || tb.lastIndex[r] === RST_SET)) {
    const remaining = tb.expires[r]! - now;
    if (remaining < 120e9) return;
    const unack = sys.tcp[TcpCt.Unack]!;
    if (remaining > unack) tb.expires[r] = now + unack;
  } else {
    tb.lastIndex[r] = index;
    tb.lastDir[r] = dir;
  }
}

/** `tcp_can_early_drop`. */
export function tcpCanEarlyDrop(state: number): boolean {
  return state === sFW || state === sLA || state === sTW || state === sCL || state === sCW;
}

/**
 * `nf_conntrack_tcp_packet` for row `r` (already passed `tcpNew` when unconfirmed). Returns a
 * CtVerdict; on accept, refreshes the timeout and may set ASSURED or kill the row.
 */
export function tcpPacket(
  tb: CtTable,
  r: number,
  dir: number,
  u8: Uint8Array,
  l4: number,
  end: number,
  clock: Clock,
  sys: CtSysctls,
): number {
  const now = clock.now;
  const flags = u8[l4 + 13]!;
  const oldState = tb.tcpState[r]!;
  const index = tcpFlagIndex(flags);
  let newState = tcpTransition(dir, index, oldState);
  let oldS = oldState;
  let skipWindow = false;

  switch (newState) {
    case sSS: {
      if (oldState < sTW) break;
      // RFC 1122 reopen from TIME_WAIT/CLOSE, or after our RST: kill and look up again.
      const fl = tb.tdFlags[r * 2 + dir]! | tb.tdFlags[r * 2 + (dir ^ 1)]!;
      if (fl & F.CLOSE_INIT || (tb.lastDir[r] === dir && tb.lastIndex[r] === RST_SET))
        return CtVerdict.Repeat;
      return ignored(tb, r, dir, index, oldState, u8, l4, end);
    }
    case sIG:
      if (
        index === SYNACK_SET &&
        tb.lastIndex[r] === SYN_SET &&
        tb.lastDir[r] !== dir &&
        rd32(u8, l4 + 8) === tb.lastEnd[r]
      ) {
        // This SYN/ACK acknowledges a SYN we ignored: get in sync from the annotated values.
        oldS = sSS;
        newState = sSR;
        const ld = r * 2 + tb.lastDir[r]!;
        tb.tdEnd[ld] = tb.lastEnd[r]!;
        tb.tdMaxend[ld] = tb.lastEnd[r]!;
        tb.tdMaxwin[ld] = tb.lastWin[r] === 0 ? 1 : tb.lastWin[r]!;
        tb.tdScale[ld] = tb.lastWscale[r]!;
        tb.lastFlags[r]! &= ~F.EXP_CHALLENGE_ACK;
        tb.tdFlags[ld] = tb.lastFlags[r]! & 0x3f;
        const cur = r * 2 + dir;
        tb.tdEnd[cur] = 0;
        tb.tdMaxend[cur] = 0;
        tb.tdMaxwin[cur] = 0;
        tb.tdMaxack[cur] = 0;
        tb.tdScale[cur] = 0;
        tb.tdFlags[cur]! &= F.BE_LIBERAL;
        break;
      }
      return ignored(tb, r, dir, index, oldState, u8, l4, end);
    case sIV:
      return CtVerdict.Invalid;
    case sTW:
      if (
        oldState === sLA &&
        index === ACK_SET &&
        tb.lastDir[r] !== dir &&
        tb.lastIndex[r] === SYN_SET &&
        tb.lastFlags[r]! & F.EXP_CHALLENGE_ACK
      ) {
        tb.lastFlags[r]! &= ~F.EXP_CHALLENGE_ACK; // RFC 5961 challenge ACK: don't change state
        return CtVerdict.Accept;
      }
      break;
    case sS2:
      tb.lastFlags[r]! |= F.SIMULTANEOUS_OPEN;
      break;
    case sSR:
      if (dir === Dir.Reply && index === ACK_SET && tb.lastFlags[r]! & F.SIMULTANEOUS_OPEN) newState = sES;
      break;
    case sCL: {
      if (index !== RST_SET) break;
      if (tcpCanEarlyDrop(oldState)) {
        skipWindow = true;
        break;
      }
      const rc = r * 2 + (dir ^ 1);
      const seq = rd32(u8, l4 + 4);
      if (tb.tdFlags[rc]! & F.MAXACK_SET && tb.lastIndex[r] !== SYN_SET) {
        const established = oldState === sES;
        if (!(seq === 0 && !established)) {
          if (before(seq, tb.tdMaxack[rc]!) && sys.tcpIgnoreInvalidRst === 0) return CtVerdict.Invalid;
          if (established && seq !== tb.tdMaxack[rc]) {
            if (!(tb.lastIndex[r] === ACK_SET && tb.lastDir[r] === dir && seq === tb.lastEnd[r])) {
              newState = oldState; // keep state to allow a challenge ACK
            }
          }
        }
      }
      const ackSeq = rd32(u8, l4 + 8);
      if (
        ((tb.status[r]! & Ips.SEEN_REPLY && tb.lastIndex[r] === SYN_SET) ||
          (!(tb.status[r]! & Ips.ASSURED) && tb.lastIndex[r] === ACK_SET)) &&
        ackSeq === tb.lastEnd[r]
      ) {
        skipWindow = true; // RST to an invalid SYN or ACK we let through
      } else if (
        oldState === sSS &&
        tb.lastIndex[r] === ACK_SET &&
        tb.lastDir[r] === Dir.Reply &&
        seq === tb.lastAck[r]
      ) {
        skipWindow = true; // reset answering a challenge ACK
      }
      break;
    }
  }

  if (!skipWindow) {
    const res = inWindow(tb, r, dir, index, u8, l4, end, sys);
    if (res === 0) return CtVerdict.Accept; // NFCT_TCP_IGNORE
    if (res < 0) {
      handleInvalid(tb, r, dir, index, now, sys);
      return CtVerdict.Invalid;
    }
  }
  // In-window packet.
  tb.lastIndex[r] = index;
  tb.lastDir[r] = dir;
  tb.tcpState[r] = newState;
  if (oldS !== newState && newState === sFW) tb.tdFlags[r * 2 + dir]! |= F.CLOSE_INIT;

  const to = sys.tcp;
  let timeout: number;
  if (tb.retrans[r]! >= sys.tcpMaxRetrans && to[newState]! > to[TcpCt.Retrans]!) timeout = to[TcpCt.Retrans]!;
  else if (index === RST_SET) timeout = to[sCL]!;
  else if (
    (tb.tdFlags[r * 2]! | tb.tdFlags[r * 2 + 1]!) & F.DATA_UNACKNOWLEDGED &&
    to[newState]! > to[TcpCt.Unack]!
  )
    timeout = to[TcpCt.Unack]!;
  else if (tb.lastWin[r] === 0 && to[newState]! > to[TcpCt.Retrans]!) timeout = to[TcpCt.Retrans]!;
  else timeout = to[newState]!;

  if (!(tb.status[r]! & Ips.SEEN_REPLY)) {
    if (flags & 0x04) {
      // Only reply is a RST: not an established connection, delete it now (nf_ct_kill_acct).
      if (tb.inUse[r] === RowUse.Confirmed) tb.freeRow(r);
      return CtVerdict.Accept;
    }
    if (index === SYN_SET && oldS === sSS) return CtVerdict.Accept; // SYN retransmit: no renewal
    if (newState === sES && timeout > to[TcpCt.Unack]!) timeout = to[TcpCt.Unack]!; // loose pickup
  } else if (!(tb.status[r]! & Ips.ASSURED) && (oldS === sSR || oldS === sES) && newState === sES) {
    tb.status[r]! |= Ips.ASSURED;
  }
  tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? now + timeout : timeout; // nf_ct_refresh
  return CtVerdict.Accept;
}

/** The "ignored" branch (sIG / unconditional SYN in TIME_WAIT): annotate and accept unchanged. */
function ignored(
  tb: CtTable,
  r: number,
  dir: number,
  index: number,
  oldState: number,
  u8: Uint8Array,
  l4: number,
  end: number,
): number {
  tb.lastIndex[r] = index;
  tb.lastDir[r] = dir;
  tb.lastSeq[r] = rd32(u8, l4 + 4);
  tb.lastEnd[r] = segEnd(u8, l4, end);
  tb.lastWin[r] = rd16(u8, l4 + 14);
  if (index === SYN_SET && dir === Dir.Original) {
    // Remember the SYN's options in case the server answers it.
    const tmp = r * 2 + 0;
    const savedScale = tb.tdScale[tmp]!;
    const savedFlags = tb.tdFlags[tmp]!;
    tcpOptions(tb, tmp, u8, l4);
    let lf = 0;
    let ws = 0;
    if (tb.tdFlags[tmp]! & F.WINDOW_SCALE) {
      lf |= F.WINDOW_SCALE;
      ws = tb.tdScale[tmp]!;
    }
    if (tb.tdFlags[tmp]! & F.SACK_PERM) lf |= F.SACK_PERM;
    tb.tdScale[tmp] = savedScale;
    tb.tdFlags[tmp] = savedFlags;
    if (oldState === sLA) lf |= F.EXP_CHALLENGE_ACK;
    tb.lastFlags[r] = lf;
    tb.lastWscale[r] = ws;
  }
  if (oldState === sSS && index === ACK_SET && dir === Dir.Reply) tb.lastAck[r] = rd32(u8, l4 + 8);
  return CtVerdict.Accept;
}
