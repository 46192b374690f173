// The contract of a match or target extension (one file each under matches/ and targets/), modelled on
// libxtables' `struct xtables_match` / `xtables_target` (parse, final_check, print, save) plus the
// kernel side (`struct xt_match` / `xt_target`: table and hook restrictions, checkentry, the per-packet
// function). `info` is the extension's parsed options — plain data, like xt_*_info structs.
//
// Per packet only `Match.match(ctx)` and `Target.exec(ctx)` run: `compile(info)` turns the info into a
// monomorphic object once per (re)compilation of a table.

import type { PacketCtx } from './context.js';
import type { Netfilter } from './hooks.js';

/** Hook bits (1 << Hook.X) as in xt_match.hooks. */
export type HookMask = number;

/** A user-facing error in iptables' wording. `kind` decides the exit status and message framing. */
export class XtError extends Error {
  constructor(
    message: string,
    /** 'param': `iptables vX: MSG` + try-help, exit 2. 'kernel': EINVAL/ELOOP style, exit 1 or 4. */
    readonly kind: 'param' | 'param-nl' | 'plain' = 'param',
  ) {
    super(message);
  }
}

/** The words after an option, consumed as getopt_long would (one for required_argument). */
export interface ArgReader {
  /** The option's argument; throws `option "X" requires an argument` when missing. */
  arg(): string;
  /** The next word if it does not start with '-' (for --tcp-flags' second argument), else null. */
  peekExtra(): string | null;
  /** Consumes the word `peekExtra` returned. */
  takeExtra(): string;
}

/** The parts of the rule an extension may consult while parsing (protocol for ports, …). */
export interface RuleView {
  proto: number;
  invProto: boolean;
}

/** What `validate` may look at: the table and the hooks that can reach the rule's chain. */
export interface ValidateEnv {
  table: string;
  hooks: HookMask;
}

export interface Match {
  match(ctx: PacketCtx): boolean;
}

export interface Target {
  /** A Verdict, XT_CONTINUE or XT_RETURN. */
  exec(ctx: PacketCtx): number;
}

export interface MatchModule<I = unknown> {
  readonly name: string;
  /** Long options this module owns, e.g. ['--sport', '--source-port', '--dport', …]. */
  readonly options: readonly string[];
  create(rule: RuleView): I;
  parse(info: I, opt: string, args: ArgReader, invert: boolean, rule: RuleView): void;
  finalCheck?(info: I, rule: RuleView): void;
  /** `-L` text, each item with its leading space. */
  print(info: I, rule: RuleView, numeric: boolean): string;
  /** `-S` / iptables-save text after `-m NAME`, each item with its leading space. */
  save(info: I, rule: RuleView): string;
  /** Name printed after `-m` (state is an alias of conntrack in the kernel; both print their own). */
  /** The per-packet evaluator, or null when the module never filters (comment). */
  compile(info: I, rule: RuleView): Match | null;
  /** checkentry: null when fine, else 'EINVAL'. */
  validate?(info: I, env: ValidateEnv, rule: RuleView): 'EINVAL' | null;
  /** Warning printed on stderr when the rule is parsed (xt_iprange's reversed range). */
  warn?(info: I): string | null;
  /**
   * Resolves names that live in the namespace (libxt_set's set lookup) once the rule is parsed, before
   * it is added, checked or deleted; throws an XtError in the tool's words when the name is unknown.
   */
  bind?(info: I, nf: Netfilter): void;
}

export interface TargetModule<I = unknown> {
  readonly name: string;
  readonly options: readonly string[];
  create(rule: RuleView): I;
  parse(info: I, opt: string, args: ArgReader, invert: boolean, rule: RuleView): void;
  finalCheck?(info: I, rule: RuleView): void;
  print(info: I, rule: RuleView, numeric: boolean): string;
  save(info: I, rule: RuleView): string;
  compile(info: I, rule: RuleView): Target;
  /** Kernel restrictions (xt_target.table / .hooks / checkentry). */
  readonly table?: string;
  readonly hooks?: HookMask;
  validate?(info: I, env: ValidateEnv, rule: RuleView): 'EINVAL' | null;
}

/** Bad value for an option: xtables' wording helpers. */
export function paramError(msg: string): XtError {
  return new XtError(msg, 'param');
}

/** Parses an unsigned 32-bit number as strtoul(…, 0) does (0x.., 0.., decimal), or -1. */
export function parseU32(text: string): number {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text)) return -1;
  const v =
    text.length > 1 && text[0] === '0' && text[1] !== 'x' && text[1] !== 'X'
      ? Number.parseInt(text, 8)
      : Number(text);
  return v > 0xffffffff ? -1 : v;
}

/** `value[/mask]` as xtables_parse_mark_mask; mask defaults to 0xffffffff. Null when malformed. */
export function parseMarkMask(text: string): { value: number; mask: number } | null {
  const slash = text.indexOf('/');
  const v = parseU32(slash < 0 ? text : text.slice(0, slash));
  if (v < 0) return null;
  if (slash < 0) return { value: v, mask: 0xffffffff };
  const m = parseU32(text.slice(slash + 1));
  if (m < 0) return null;
  return { value: v, mask: m };
}

export function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** xtables_save_string: bare when only [_-0-9a-zA-Z], else double-quoted with \" \\ \' escaped. */
export function saveString(s: string): string {
  if (/^[_\-0-9a-zA-Z]+$/.test(s)) return ` ${s}`;
  return ` "${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}
