// pcapng writer. Heads up: read draft-ietf-opsawg-pcapng ("PCAP Next Generation (pcapng) Capture File
// Format") before changing a byte here:
//   §3.1 General Block Structure   type, total length, body padded to 32 bits, total length again
//   §3.5 Options                   code u16, length u16 (unpadded), value padded to 32 bits; opt_endofopt
//                                  (0) ends the list; opt_comment (1) is valid in every block
//   §3.6 Data format               fields in the byte order of the section's SHB (we write little-endian)
//   §4.1 Section Header Block      0x0A0D0D0A, byte-order magic 0x1A2B3C4D, version 1.0, section
//                                  length -1 ("not specified", we stream); shb_userappl (4)
//   §4.2 Interface Description     type 1, LinkType (1 = ETHERNET), reserved, SnapLen; if_name (2),
//                                  if_description (3), if_tsresol (9): value 9 means units of 10^-9 s
//   §4.3 Enhanced Packet Block     type 6, interface id, timestamp as upper and lower 32 bits in
//                                  if_tsresol units, captured length, original length, data padded
//
// The capture is a trace facility wrapped around a port (style.md §10); the data plane never calls
// this directly. Output is deterministic: nothing here reads the wall clock, the host or the
// environment, so the same run gives byte-identical files. Timestamps are simulated nanoseconds since
// the start of the run, which readers show as an offset from 1970-01-01.
//
// Per packet nothing is allocated (a comment string is encoded into the output buffer): blocks are
// written into one reusable buffer that is handed to the sink in large chunks.
import { closeSync, openSync, writeSync } from 'node:fs';

/** Receives the file's bytes in order. The chunk is valid only during the call: copy it to keep it. */
export interface PcapngSink {
  write(chunk: Uint8Array): void;
  close(): void;
}

/** Keeps the file in memory (tests, tools). */
export class MemorySink implements PcapngSink {
  private readonly parts: Uint8Array[] = [];
  private total = 0;
  closed = false;
  write(chunk: Uint8Array): void {
    this.parts.push(chunk.slice());
    this.total += chunk.length;
  }
  close(): void {
    this.closed = true;
  }
  /** The bytes written so far, as one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.total);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

/** Writes to a file with synchronous fs calls; the writer already batches into large chunks. */
export class FileSink implements PcapngSink {
  private fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Block type codes (§11.1 of the draft). */
export const BlockType = {
  SectionHeader: 0x0a0d0d0a,
  InterfaceDescription: 0x00000001,
  EnhancedPacket: 0x00000006,
} as const;

/** The SHB byte-order magic (§4.1); read back as 0x4D3C2B1A it means the other byte order. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes used here (§3.5, §4.1, §4.2). */
export const OptionCode = {
  EndOfOpt: 0,
  Comment: 1,
  ShbHardware: 2,
  ShbOs: 3,
  ShbUserAppl: 4,
  IfName: 2,
  IfDescription: 3,
  IfTsresol: 9,
  IfTsoffset: 14,
  EpbFlags: 2,
} as const;

/** LINKTYPE_ETHERNET from the tcpdump.org link-layer header types registry. */
export const LINKTYPE_ETHERNET = 1;
/** tcpdump's default snapshot length; our frames never reach it, so nothing is cut. */
export const DEFAULT_SNAPLEN = 262144;
/** if_tsresol value: 10^-9 s, so integer simulated nanoseconds are stored exactly. */
export const TSRESOL_NS = 9;

const TWO_32 = 0x1_0000_0000;
/** Longest option value we write: the u16 length field's maximum, rounded down to 32 bits. */
const MAX_OPT_VALUE = 0xfffc;

export interface InterfaceOptions {
  linkType?: number;
  snapLen?: number;
  description?: string;
}

export interface PcapngWriterOptions {
  /** shb_userappl; default "netsim". */
  userAppl?: string;
  /** An opt_comment on the SHB, e.g. the scenario file and seed. */
  comment?: string;
  /** Hand the sink a chunk once this many bytes are buffered. Default 1 MiB. */
  flushBytes?: number;
}

const encoder = new TextEncoder();

export class PcapngWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;
  private readonly flushBytes: number;
  private readonly snapLens: number[] = [];
  private closed = false;
  /** Packets written so far. */
  packets = 0;

  constructor(
    private readonly sink: PcapngSink,
    opts: PcapngWriterOptions = {},
  ) {
    this.flushBytes = opts.flushBytes ?? 1 << 20;
    this.buf = new Uint8Array(Math.max(4096, this.flushBytes + 65536));
    this.dv = new DataView(this.buf.buffer);
    this.writeSectionHeader(opts.userAppl ?? 'netsim', opts.comment);
  }

  /** Number of interfaces described so far; ids are 0 .. count-1 in the order they were added. */
  get interfaceCount(): number {
    return this.snapLens.length;
  }

  /**
   * Writes an Interface Description Block and returns its interface id. May be called between
   * packets: an IDB only has to precede the packets that name it (§3.2).
   */
  addInterface(name: string, opts: InterfaceOptions = {}): number {
    const nameBytes = encoder.encode(name);
    const descBytes = opts.description === undefined ? undefined : encoder.encode(opts.description);
    const snapLen = opts.snapLen ?? DEFAULT_SNAPLEN;
    const total =
      8 + 8 + optLen(nameBytes.length) + (descBytes ? optLen(descBytes.length) : 0) + optLen(1) + 4 + 4;
    this.ensure(total);
    const start = this.pos;
    this.u32(BlockType.InterfaceDescription);
    this.u32(total);
    this.u16(opts.linkType ?? LINKTYPE_ETHERNET);
    this.u16(0); // reserved
    this.u32(snapLen);
    this.optBytes(OptionCode.IfName, nameBytes);
    if (descBytes) this.optBytes(OptionCode.IfDescription, descBytes);
    this.optHead(OptionCode.IfTsresol, 1);
    this.buf[this.pos] = TSRESOL_NS;
    this.zero(this.pos + 1, 3);
    this.pos += 4;
    this.u32(0); // opt_endofopt, length 0
    this.u32(total);
    this.check(start, total);
    this.snapLens.push(snapLen === 0 ? 0x7fffffff : snapLen);
    this.maybeFlush();
    return this.snapLens.length - 1;
  }

  /**
   * Writes one Enhanced Packet Block: `len` bytes of `u8` from `off`, seen on interface `ifId` at
   * `timeNs` simulated nanoseconds (an integer below 2^53). Bytes past the interface's snaplen are
   * not stored; the original length records the full frame.
   */
  writePacket(
    ifId: number,
    timeNs: number,
    u8: Uint8Array,
    off: number,
    len: number,
    comment?: string,
  ): void {
    if (ifId < 0 || ifId >= this.snapLens.length) {
      throw new RangeError(`pcapng: interface ${ifId} was not added (have ${this.snapLens.length})`);
    }
    const capLen = Math.min(len, this.snapLens[ifId]!);
    const padded = (capLen + 3) & ~3;
    // A comment's UTF-8 is at most 3 bytes per UTF-16 unit; reserve that (capped at the option's u16
    // length: a longer comment is cut at a character boundary), encode in place, then fix lengths.
    const commentMax = comment === undefined ? 0 : optLen(Math.min(comment.length * 3, MAX_OPT_VALUE)) + 4;
    this.ensure(28 + padded + commentMax + 4);
    const start = this.pos;
    this.u32(BlockType.EnhancedPacket);
    this.u32(0); // total length, patched below
    this.u32(ifId);
    const hi = Math.floor(timeNs / TWO_32);
    this.u32(hi);
    this.u32(timeNs - hi * TWO_32);
    this.u32(capLen);
    this.u32(len);
    const buf = this.buf;
    const at = this.pos;
    // A byte loop rather than `set(u8.subarray(...))`, which would allocate a view per packet.
    for (let i = 0; i < capLen; i++) buf[at + i] = u8[off + i]!;
    this.zero(at + capLen, padded - capLen);
    this.pos += padded;
    if (comment !== undefined && comment.length > 0) {
      const valueAt = this.pos + 4;
      const { written } = encoder.encodeInto(
        comment,
        this.buf.subarray(valueAt, valueAt + Math.min(comment.length * 3, MAX_OPT_VALUE)),
      );
      this.optHead(OptionCode.Comment, written);
      const p = (written + 3) & ~3;
      this.zero(valueAt + written, p - written);
      this.pos += p;
      this.u32(0); // opt_endofopt
    }
    const total = this.pos + 4 - start;
    this.dv.setUint32(start + 4, total, true);
    this.u32(total);
    this.packets++;
    this.maybeFlush();
  }

  /** Hands every buffered byte to the sink. */
  flush(): void {
    if (this.pos > 0) this.sink.write(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** Flushes and closes the sink. Further writes are a bug. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.sink.close();
    this.closed = true;
  }

  private writeSectionHeader(userAppl: string, comment: string | undefined): void {
    const app = encoder.encode(userAppl);
    const com = comment === undefined ? undefined : encoder.encode(comment);
    const total = 8 + 16 + (com ? optLen(com.length) : 0) + optLen(app.length) + 4 + 4;
    this.ensure(total);
    const start = this.pos;
    this.u32(BlockType.SectionHeader);
    this.u32(total);
    this.u32(BYTE_ORDER_MAGIC);
    this.u16(1); // major version
    this.u16(0); // minor version
    this.u32(0xffffffff); // section length -1: not specified
    this.u32(0xffffffff);
    if (com) this.optBytes(OptionCode.Comment, com);
    this.optBytes(OptionCode.ShbUserAppl, app);
    this.u32(0); // opt_endofopt
    this.u32(total);
    this.check(start, total);
  }

  private ensure(n: number): void {
    if (this.closed) throw new Error('pcapng: write after close');
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n * 2);
      this.dv = new DataView(this.buf.buffer);
    }
  }

  private maybeFlush(): void {
    if (this.pos >= this.flushBytes) this.flush();
  }

  private check(start: number, total: number): void {
    if (this.pos - start !== total) throw new Error(`pcapng: block length ${this.pos - start} != ${total}`);
  }

  private u16(v: number): void {
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  private u32(v: number): void {
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  private zero(at: number, n: number): void {
    for (let i = 0; i < n; i++) this.buf[at + i] = 0;
  }

  private optHead(code: number, len: number): void {
    this.u16(code);
    this.u16(len);
  }

  private optBytes(code: number, value: Uint8Array): void {
    this.optHead(code, value.length);
    this.buf.set(value, this.pos);
    const p = (value.length + 3) & ~3;
    this.zero(this.pos + value.length, p - value.length);
    this.pos += p;
  }
}

/** Bytes one option takes: 4-byte header plus the value padded to 32 bits. */
function optLen(valueLen: number): number {
  return 4 + ((valueLen + 3) & ~3);
}
