// The `repeat` construct: large topologies in a few declarative lines.
//
//   - repeat: { b: 1..10, c: 1..50 }      # variables: an inclusive integer range or a list of values
//     each: { in: "c${b}-${c}", run: "ip addr add 10.${b}.0.${c + 1}/16 dev eth0" }
//   - repeat: { b: 1..10 }
//     items: [ …several items per iteration… ]
//
// A repeat block may appear as an item of any list in the scenario (hosts, links, steps, apps,
// traffic, expect) and is replaced in place by its expansion. Variables iterate in the order written,
// the first outermost; a later range may use earlier variables (`c: 1..${b}`). `${expr}` in any string
// or mapping key is replaced by the value of an integer expression over the variables (+ - * / % and
// parentheses; / is integer division); a string that is exactly one `${expr}` becomes a number, so
// `port: "${5000 + c}"` is an integer. `$${` writes a literal `${`. `{x}` alone is not used because a
// YAML value starting with `{` is a flow mapping.

import {
  type DecodeContext,
  isPlainObject,
  type JsonSchema,
  type ListExpander,
  type Path,
  setListExpander,
  show,
} from './codec.js';
import { suggest } from './suggest.js';

/** Upper bound on the items one repeat block may produce (a typo like 1..1000000000 fails fast). */
export const MAX_EXPANSION = 1_000_000;

type Value = number | string;
type Env = ReadonlyMap<string, Value>;

class ExprError extends Error {}

/** Evaluates an integer expression over the variables. */
export function evaluate(expr: string, env: Env): Value {
  let i = 0;
  const skip = () => {
    while (i < expr.length && (expr[i] === ' ' || expr[i] === '\t')) i++;
  };
  const primary = (): Value => {
    skip();
    const c = expr[i];
    if (c === '(') {
      i++;
      const v = sum();
      skip();
      if (expr[i] !== ')') throw new ExprError('missing ")"');
      i++;
      return v;
    }
    if (c === '-') {
      i++;
      return -num(primary());
    }
    const m = /^(\d+)|^([A-Za-z_][A-Za-z0-9_]*)/.exec(expr.slice(i));
    if (m === null)
      throw new ExprError(i >= expr.length ? 'unexpected end' : `unexpected "${expr.slice(i)}"`);
    i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    const v = env.get(m[2]!);
    if (v === undefined) {
      throw new ExprError(`unknown variable "${m[2]}"${suggest(m[2]!, env.keys())}`);
    }
    return v;
  };
  const num = (v: Value): number => {
    if (typeof v !== 'number') throw new ExprError(`"${v}" is not a number`);
    return v;
  };
  const product = (): Value => {
    let v = primary();
    for (;;) {
      skip();
      const op = expr[i];
      if (op !== '*' && op !== '/' && op !== '%') return v;
      i++;
      const r = num(primary());
      const l = num(v);
      if (op !== '*' && r === 0) throw new ExprError('division by zero');
      v = op === '*' ? l * r : op === '/' ? Math.floor(l / r) : ((l % r) + r) % r;
    }
  };
  const sum = (): Value => {
    let v = product();
    for (;;) {
      skip();
      const op = expr[i];
      if (op !== '+' && op !== '-') return v;
      i++;
      const r = num(product());
      v = op === '+' ? num(v) + r : num(v) - r;
    }
  };
  const v = sum();
  skip();
  if (i < expr.length) throw new ExprError(`unexpected "${expr.slice(i)}"`);
  return v;
}

/** Replaces every `${expr}` in `text`; a text that is exactly one `${expr}` keeps the value's type. */
export function substitute(text: string, env: Env): Value {
  if (!text.includes('${')) return text;
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole !== null) return evaluate(whole[1]!, env);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf('$', i);
    if (j < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, j);
    if (text.startsWith('$${', j)) {
      out += '${';
      i = j + 3;
    } else if (text[j + 1] === '{') {
      const end = text.indexOf('}', j);
      if (end < 0) throw new ExprError('missing "}"');
      out += String(evaluate(text.slice(j + 2, end), env));
      i = end + 1;
    } else {
      out += '$';
      i = j + 1;
    }
  }
  return out;
}

/** Substitutes in every string and key of a plain YAML/JSON value. */
function instantiate(raw: unknown, env: Env): unknown {
  if (typeof raw === 'string') return substitute(raw, env);
  if (Array.isArray(raw)) return raw.map((x) => instantiate(x, env));
  if (isPlainObject(raw)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) out[String(substitute(k, env))] = instantiate(v, env);
    return out;
  }
  return raw;
}

/** The values of one variable: `1..10`, a list, or a single value. */
function valuesOf(raw: unknown, env: Env): Value[] {
  if (Array.isArray(raw)) {
    return raw.map((x) => {
      if (typeof x === 'number' || typeof x === 'string')
        return typeof x === 'string' ? substitute(x, env) : x;
      throw new ExprError(`expected numbers or strings in the list, got ${show(x)}`);
    });
  }
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return [raw];
  if (typeof raw === 'string') {
    const m = /^(.+?)\.\.(.+)$/.exec(raw);
    if (m === null) throw new ExprError(`expected a range like 1..10 or a list, got ${show(raw)}`);
    const lo = evaluate(m[1]!.replace(/^\$\{(.*)\}$/, '$1'), env);
    const hi = evaluate(m[2]!.replace(/^\$\{(.*)\}$/, '$1'), env);
    if (typeof lo !== 'number' || typeof hi !== 'number')
      throw new ExprError('range bounds must be integers');
    if (hi - lo + 1 > MAX_EXPANSION)
      throw new ExprError(`range ${lo}..${hi} is larger than ${MAX_EXPANSION}`);
    const out: number[] = [];
    for (let v = lo; v <= hi; v++) out.push(v);
    return out;
  }
  throw new ExprError(`expected a range like 1..10 or a list, got ${show(raw)}`);
}

const BLOCK_KEYS = ['repeat', 'each', 'items'];

/** Expands a repeat block in a list; returns false when `raw` is not one. */
export const expandRepeat: ListExpander = (raw, path, ctx, decodeItem) => {
  if (!isPlainObject(raw) || raw.repeat === undefined) return false;
  for (const k of Object.keys(raw)) {
    if (!BLOCK_KEYS.includes(k))
      ctx.issue([...path, k], `unknown key "${k}" in repeat${suggest(k, BLOCK_KEYS)}`, true);
  }
  const vars = raw.repeat;
  if (!isPlainObject(vars) || Object.keys(vars).length === 0) {
    ctx.issue(
      [...path, 'repeat'],
      `expected a mapping of variables to ranges like {i: 1..10}, got ${show(vars)}`,
    );
    return true;
  }
  for (const k of Object.keys(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      ctx.issue([...path, 'repeat', k], `bad variable name "${k}"`, true);
  }
  const hasEach = raw.each !== undefined;
  const hasItems = raw.items !== undefined;
  if (hasEach === hasItems) {
    ctx.issue(
      path,
      hasEach
        ? '"each" and "items" cannot both be given'
        : 'a repeat needs "each" (one item) or "items" (a list)',
    );
    return true;
  }
  if (hasItems && !Array.isArray(raw.items)) {
    ctx.issue([...path, 'items'], `expected a list, got ${show(raw.items)}`);
    return true;
  }
  const templates: [unknown, Path][] = hasEach
    ? [[raw.each, [...path, 'each']]]
    : (raw.items as unknown[]).map((t, k) => [t, [...path, 'items', k]]);
  const names = Object.keys(vars);
  const outerNote = ctx.note;
  let produced = 0;
  let failed = false;
  const loop = (depth: number, env: Map<string, Value>): void => {
    if (failed) return;
    if (depth === names.length) {
      const note = `(repeat ${[...env].map(([k, v]) => `${k}=${v}`).join(' ')})`;
      ctx.note = outerNote === '' ? note : `${outerNote} ${note}`;
      const before = ctx.issues.length;
      for (const [t, p] of templates) {
        let inst: unknown;
        try {
          inst = instantiate(t, env);
        } catch (e) {
          if (!(e instanceof ExprError)) throw e;
          ctx.issue(p, `in \${…}: ${e.message}`);
          continue;
        }
        if (++produced > MAX_EXPANSION) {
          ctx.issue(path, `repeat produces more than ${MAX_EXPANSION} items`);
          failed = true;
          return;
        }
        // A nested repeat block expands in turn.
        if (!expandRepeat(inst, p, ctx, decodeItem)) decodeItem(inst, p);
      }
      // Report a broken template once, not once per iteration.
      if (ctx.issues.length > before) failed = true;
      ctx.note = outerNote;
      return;
    }
    const name = names[depth]!;
    let values: Value[];
    try {
      values = valuesOf(vars[name], env);
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      ctx.issue([...path, 'repeat', name], e.message);
      failed = true;
      return;
    }
    for (const v of values) {
      env.set(name, v);
      loop(depth + 1, env);
      if (failed) break;
    }
    env.delete(name);
  };
  loop(0, new Map());
  ctx.note = outerNote;
  return true;
};

setListExpander(expandRepeat);

export function repeatJsonSchema(): JsonSchema {
  return {
    type: 'object',
    description:
      'Repeats "each" (or every item of "items") for every combination of the variables; \u0024{expr} substitutes',
    properties: {
      repeat: {
        type: 'object',
        additionalProperties: {
          anyOf: [
            { type: 'string', pattern: '^.+\\.\\..+$' },
            { type: 'integer' },
            { type: 'array', items: { type: ['string', 'number'] } },
          ],
        },
      },
      each: {},
      items: { type: 'array' },
    },
    required: ['repeat'],
    additionalProperties: false,
  };
}

/** Marks this module as needed (the expander registers itself on import). */
export function useRepeat(_ctx?: DecodeContext): void {}
