// The rule model (what one `-A` line says) and its canonical texts: the `-S` / iptables-save form and
// the `-L` columns. Field names follow `struct ipt_ip` (include/uapi/linux/netfilter_ipv4/ip_tables.h);
// print order and widths follow iptables 1.8.9's nft_ipv4_save_rule / nft_ipv4_print_rule
// (iptables/nft-ipv4.c, iptables/xshared.c: save_ipv4_addr, save_rule_details, print_rule_details,
// print_ifaces, print_ipv4_addresses, save_matches_and_target, xtables_print_num).

import { ipv4ToString } from '../wire/ipv4-address.js';
import type { MatchModule, RuleView, TargetModule } from './module.js';
import { protoName } from './names.js';

export interface MatchEntry {
  // biome-ignore lint/suspicious/noExplicitAny: each module has its own info type
  mod: MatchModule<any>;
  info: unknown;
}

export type RuleTarget =
  | { kind: 'none' }
  | { kind: 'std'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { kind: 'chain'; chain: string; goto: boolean }
  // biome-ignore lint/suspicious/noExplicitAny: each module has its own info type
  | { kind: 'ext'; mod: TargetModule<any>; info: unknown };

export class Rule implements RuleView {
  src = 0;
  smsk = 0;
  dst = 0;
  dmsk = 0;
  invSrc = false;
  invDst = false;
  iniface = '';
  invIn = false;
  outiface = '';
  invOut = false;
  proto = 0;
  invProto = false;
  frag = false;
  invFrag = false;
  matches: MatchEntry[] = [];
  target: RuleTarget = { kind: 'none' };
  pkts = 0;
  bytes = 0;

  clone(): Rule {
    const r = new Rule();
    Object.assign(r, this);
    r.matches = this.matches.slice();
    return r;
  }
}

/** The name the target column shows ('' for a rule without target). */
export function targetName(r: Rule): string {
  const t = r.target;
  switch (t.kind) {
    case 'none':
      return '';
    case 'std':
      return t.verdict;
    case 'chain':
      return t.chain;
    case 'ext':
      return t.mod.name === 'NOTRACK' ? 'CT' : t.mod.name;
  }
}

/** xtables_ipmask_to_numeric: '' for /32, '/N' for a prefix, '/a.b.c.d' otherwise. */
function maskText(mask: number): string {
  if (mask === 0xffffffff) return '';
  let bits = 0;
  let m = mask >>> 0;
  while (m & 0x80000000) {
    bits++;
    m = (m << 1) >>> 0;
  }
  if (m !== 0) return `/${ipv4ToString(mask)}`;
  return `/${bits}`;
}

function addrSave(addr: number, mask: number): string {
  // save always shows the prefix, /32 included (save_ipv4_addr → xtables_ipmask_to_numeric with cidr)
  const mt = maskText(mask);
  return `${ipv4ToString(addr)}${mt === '' ? '/32' : mt}`;
}

/** Everything after `-A CHAIN` (leading space included); `counters` puts `-c P B` where -S -v does. */
export function ruleSaveText(r: Rule, counters = false): string {
  let s = '';
  if (r.smsk !== 0 || r.invSrc) s += `${r.invSrc ? ' !' : ''} -s ${addrSave(r.src, r.smsk)}`;
  if (r.dmsk !== 0 || r.invDst) s += `${r.invDst ? ' !' : ''} -d ${addrSave(r.dst, r.dmsk)}`;
  if (r.iniface !== '') s += `${r.invIn ? ' !' : ''} -i ${r.iniface}`;
  if (r.outiface !== '') s += `${r.invOut ? ' !' : ''} -o ${r.outiface}`;
  if (r.proto !== 0) s += `${r.invProto ? ' !' : ''} -p ${protoName(r.proto) ?? r.proto}`;
  if (r.frag) s += `${r.invFrag ? ' !' : ''} -f`;
  for (const m of r.matches) s += ` -m ${m.mod.name}${m.mod.save(m.info, r)}`;
  if (counters) s += ` -c ${r.pkts} ${r.bytes}`;
  const t = r.target;
  if (t.kind === 'std') s += ` -j ${t.verdict}`;
  else if (t.kind === 'chain') s += ` -${t.goto ? 'g' : 'j'} ${t.chain}`;
  else if (t.kind === 'ext') s += ` -j ${t.mod.name}${t.mod.save(t.info, r)}`;
  return s;
}

export interface ListFormat {
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
}

/** xtables_print_num: `%8llu `/`%5llu ` or the K/M/G/T scaled forms (NOTABLE: no padding). */
export function printNum(n: number, exact: boolean, table = true): string {
  if (exact) return table ? `${String(n).padStart(8)} ` : `${n} `;
  if (n <= 99999) return table ? `${String(n).padStart(5)} ` : `${n} `;
  const units = ['K', 'M', 'G', 'T'];
  let v = n;
  for (let i = 0; i < 4; i++) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999 || i === 3) return table ? `${String(v).padStart(4)}${units[i]} ` : `${v}${units[i]} `;
  }
  return '';
}

/** The `-L` header of a chain's rule table. */
export function listHeader(f: ListFormat): string {
  let s = '';
  if (f.lineNumbers) s += 'num  ';
  if (f.verbose) s += f.exact ? '    pkts      bytes ' : ' pkts bytes ';
  s += 'target    ';
  s += ' prot ';
  s += 'opt';
  if (f.verbose) s += ' in     out    ';
  s += ' source              ';
  s += ' destination         ';
  return s;
}

function addrList(addr: number, mask: number, inv: boolean, numeric: boolean): string {
  let t: string;
  if (mask === 0 && !numeric) t = 'anywhere';
  else t = `${ipv4ToString(addr)}${maskText(mask)}`;
  return `${inv ? '!' : ' '}${t.padEnd(19)} `;
}

/** One `-L` line (without the newline). `num` is the 1-based rule number. */
export function ruleListLine(r: Rule, num: number, f: ListFormat): string {
  let s = '';
  if (f.lineNumbers) s += `${String(num).padEnd(4)} `;
  // -x: both counters are %8llu (the header's bytes column is %10s: iptables' own misalignment)
  if (f.verbose) s += printNum(r.pkts, f.exact) + printNum(r.bytes, f.exact);
  s += `${targetName(r).padEnd(9)} `;
  s += r.invProto ? '!' : ' ';
  const pname = f.numeric ? null : protoName(r.proto);
  s += `${(pname ?? String(r.proto)).padEnd(4)} `;
  s += `${r.invFrag ? '!' : '-'}${r.frag ? 'f' : '-'} `;
  if (f.verbose) {
    const any = f.numeric ? '*' : 'any';
    s += ` ${`${r.invIn ? '!' : ''}${r.iniface || any}`.padEnd(6)} `;
    s += `${`${r.invOut ? '!' : ''}${r.outiface || any}`.padEnd(6)} `;
  }
  s += addrList(r.src, r.smsk, r.invSrc, f.numeric);
  s += addrList(r.dst, r.dmsk, r.invDst, f.numeric);
  if (r.target.kind === 'chain' && r.target.goto) s += '[goto] ';
  for (const m of r.matches) s += m.mod.print(m.info, r, f.numeric);
  if (r.target.kind === 'ext') s += r.target.mod.print(r.target.info, r, f.numeric);
  return s;
}
