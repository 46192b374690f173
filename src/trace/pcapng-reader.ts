// A small pcapng reader for tests and tools (not the data plane). It understands the blocks our writer
// emits — Section Header (§4.1), Interface Description (§4.2), Enhanced Packet (§4.3) of
// draft-ietf-opsawg-pcapng — in either byte order, and skips every other block by its length (§3.1).
// Malformed input is reported as a value naming the byte offset of the problem; it never throws.
import { BlockType, BYTE_ORDER_MAGIC, OptionCode } from './pcapng.js';

export interface PcapngInterface {
  /** Index of the section (SHB) the interface belongs to. */
  section: number;
  linkType: number;
  snapLen: number;
  name: string | undefined;
  description: string | undefined;
  /** Raw if_tsresol byte (default 6, microseconds, when the option is absent). */
  tsresol: number;
  /** if_tsoffset in seconds (default 0). */
  tsoffset: number;
}

export interface PcapngPacket {
  /** Index into `interfaces` of the result (equals the block's interface id in a one-section file). */
  ifId: number;
  /** Timestamp in nanoseconds; exact for nanosecond resolution below 2^53. */
  timeNs: number;
  /** The timestamp's raw 32-bit words, in the interface's units. */
  tsHigh: number;
  tsLow: number;
  originalLength: number;
  bytes: Uint8Array;
  comment: string | undefined;
}

export interface PcapngSection {
  major: number;
  minor: number;
  littleEndian: boolean;
  userAppl: string | undefined;
  hardware: string | undefined;
  os: string | undefined;
  comment: string | undefined;
}

export interface PcapngFile {
  sections: PcapngSection[];
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
  /** Blocks of other types, skipped. */
  skippedBlocks: number;
}

export type ReadResult = { ok: true; file: PcapngFile } | { ok: false; offset: number; reason: string };

const decoder = new TextDecoder('utf-8', { fatal: false });

interface Option {
  code: number;
  value: Uint8Array;
}

/** Parses a whole pcapng file held in memory. */
export function readPcapng(data: Uint8Array): ReadResult {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const file: PcapngFile = { sections: [], interfaces: [], packets: [], skippedBlocks: 0 };
  let le = true;
  let sectionIfBase = 0; // index in file.interfaces of the current section's interface 0
  let off = 0;
  const fail = (at: number, reason: string): ReadResult => ({ ok: false, offset: at, reason });

  while (off < data.length) {
    if (data.length - off < 12) return fail(off, `truncated block header (${data.length - off} bytes left)`);
    let type = dv.getUint32(off, le);
    if (dv.getUint32(off, true) === BlockType.SectionHeader) {
      // The SHB type is a palindrome; its byte-order magic decides how to read everything after it.
      if (data.length - off < 28) return fail(off, 'truncated Section Header Block');
      const magicLe = dv.getUint32(off + 8, true);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else return fail(off + 8, `bad byte-order magic 0x${magicLe.toString(16)}`);
      type = BlockType.SectionHeader;
    } else if (file.sections.length === 0) {
      return fail(off, `file does not start with a Section Header Block (type 0x${type.toString(16)})`);
    }
    const total = dv.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0) return fail(off + 4, `bad block total length ${total}`);
    if (off + total > data.length)
      return fail(off + 4, `block length ${total} runs past the end of the file`);
    const trailer = dv.getUint32(off + total - 4, le);
    if (trailer !== total) return fail(off + total - 4, `trailing block length ${trailer} != ${total}`);
    const bodyEnd = off + total - 4;

    if (type === BlockType.SectionHeader) {
      const major = dv.getUint16(off + 12, le);
      const minor = dv.getUint16(off + 14, le);
      if (major !== 1) return fail(off + 12, `unsupported pcapng version ${major}.${minor}`);
      const opts = readOptions(data, dv, le, off + 24, bodyEnd);
      if (typeof opts === 'number') return fail(opts, 'malformed option in Section Header Block');
      file.sections.push({
        major,
        minor,
        littleEndian: le,
        userAppl: str(opts, OptionCode.ShbUserAppl),
        hardware: str(opts, OptionCode.ShbHardware),
        os: str(opts, OptionCode.ShbOs),
        comment: str(opts, OptionCode.Comment),
      });
      sectionIfBase = file.interfaces.length;
    } else if (type === BlockType.InterfaceDescription) {
      if (total < 20) return fail(off, 'truncated Interface Description Block');
      const opts = readOptions(data, dv, le, off + 16, bodyEnd);
      if (typeof opts === 'number') return fail(opts, 'malformed option in Interface Description Block');
      const res = opts.find((o) => o.code === OptionCode.IfTsresol);
      const tso = opts.find((o) => o.code === OptionCode.IfTsoffset);
      let tsoffset = 0;
      if (tso && tso.value.length === 8) {
        const v = new DataView(tso.value.buffer, tso.value.byteOffset, 8);
        tsoffset = v.getInt32(le ? 4 : 0, le) * 0x1_0000_0000 + v.getUint32(le ? 0 : 4, le);
      }
      file.interfaces.push({
        section: file.sections.length - 1,
        linkType: dv.getUint16(off + 8, le),
        snapLen: dv.getUint32(off + 12, le),
        name: str(opts, OptionCode.IfName),
        description: str(opts, OptionCode.IfDescription),
        tsresol: res && res.value.length >= 1 ? res.value[0]! : 6,
        tsoffset,
      });
    } else if (type === BlockType.EnhancedPacket) {
      if (total < 32) return fail(off, 'truncated Enhanced Packet Block');
      const localId = dv.getUint32(off + 8, le);
      const ifId = sectionIfBase + localId;
      const iface = file.interfaces[ifId];
      if (!iface || iface.section !== file.sections.length - 1) {
        return fail(off + 8, `packet names interface ${localId}, which this section has not described`);
      }
      const tsHigh = dv.getUint32(off + 12, le);
      const tsLow = dv.getUint32(off + 16, le);
      const capLen = dv.getUint32(off + 20, le);
      const origLen = dv.getUint32(off + 24, le);
      const dataAt = off + 28;
      const optsAt = dataAt + ((capLen + 3) & ~3);
      if (optsAt > bodyEnd) return fail(off + 20, `captured length ${capLen} runs past the block`);
      const opts = readOptions(data, dv, le, optsAt, bodyEnd);
      if (typeof opts === 'number') return fail(opts, 'malformed option in Enhanced Packet Block');
      file.packets.push({
        ifId,
        timeNs: toNs(tsHigh, tsLow, iface.tsresol) + iface.tsoffset * 1e9,
        tsHigh,
        tsLow,
        originalLength: origLen,
        bytes: data.slice(dataAt, dataAt + capLen),
        comment: str(opts, OptionCode.Comment),
      });
    } else {
      file.skippedBlocks++;
    }
    off += total;
  }
  if (file.sections.length === 0) return fail(0, 'empty file: no Section Header Block');
  return { ok: true, file };
}

/** Reads an option list (§3.5) from `at` to `end`; returns the offending offset when malformed. */
function readOptions(
  data: Uint8Array,
  dv: DataView,
  le: boolean,
  at: number,
  end: number,
): Option[] | number {
  const out: Option[] = [];
  let p = at;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === OptionCode.EndOfOpt) return out;
    const next = p + 4 + ((len + 3) & ~3);
    if (next > end) return p;
    out.push({ code, value: data.subarray(p + 4, p + 4 + len) });
    p = next;
  }
  return p === end ? out : p;
}

function str(opts: Option[], code: number): string | undefined {
  const o = opts.find((x) => x.code === code);
  return o ? decoder.decode(o.value) : undefined;
}

/** Converts a timestamp in if_tsresol units to nanoseconds (§4.2: MSB 0 → 10^-n s, MSB 1 → 2^-n s). */
function toNs(hi: number, lo: number, tsresol: number): number {
  const units = hi * 0x1_0000_0000 + lo;
  if (tsresol & 0x80) return Math.round((units * 1e9) / 2 ** (tsresol & 0x7f));
  const exp = tsresol;
  if (exp === 9) return units;
  if (exp < 9) return units * 10 ** (9 - exp);
  return Math.round(units / 10 ** (exp - 9));
}
