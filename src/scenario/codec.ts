// A small codec library: one definition of the scenario format gives the validator (raw document →
// typed tree, with every problem reported at its path), the printer (typed tree → plain document, for
// round trips and shrunk regression cases) and the JSON Schema editors use.
//
// Contract:
// - `decode(raw, path, ctx)` never throws on bad input: it records an `Issue` (path + message saying
//   what was expected and what was found) and returns `INVALID`. The loader turns paths into
//   file:line:col.
// - `encode(decode(x))` is a document that decodes to the same value (the property test relies on it).
// - Object keys are written as in the document (`server-saw-source`) and may be renamed for the typed
//   tree (`serverSawSource`); unknown keys are errors with a did-you-mean suggestion.

import { suggest } from './suggest.js';

export type PathItem = string | number;
export type Path = readonly PathItem[];

export interface Issue {
  path: Path;
  message: string;
  /** The problem is the key itself (unknown key), not its value. */
  atKey?: boolean;
}

/** Collects issues while decoding. `note` is appended to messages (e.g. the repeat variables). */
export class DecodeContext {
  readonly issues: Issue[] = [];
  note = '';
  issue(path: Path, message: string, atKey = false): typeof INVALID {
    this.issues.push({ path, message: this.note === '' ? message : `${message} ${this.note}`, atKey });
    return INVALID;
  }
}

export const INVALID: unique symbol = Symbol('invalid');
export type Decoded<T> = T | typeof INVALID;

export type JsonSchema = { [key: string]: unknown };

export interface Codec<T> {
  /** What a valid value looks like, for messages: "a duration like 1.5ms". */
  readonly expected: string;
  decode(raw: unknown, path: Path, ctx: DecodeContext): Decoded<T>;
  encode(value: T): unknown;
  jsonSchema(): JsonSchema;
}

export type Infer<C> = C extends Codec<infer T> ? T : never;

/** How a value is shown in "got …" messages. */
export function show(raw: unknown): string {
  if (raw === null || raw === undefined) return 'nothing';
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  return String(raw);
}

function mismatch(ctx: DecodeContext, path: Path, expected: string, raw: unknown): typeof INVALID {
  return ctx.issue(path, `expected ${expected}, got ${show(raw)}`);
}

// ---------------------------------------------------------------------------------------------------
// Scalars

export function string(
  opts: { expected?: string; pattern?: RegExp; description?: string } = {},
): Codec<string> {
  const expected = opts.expected ?? 'a string';
  return {
    expected,
    decode(raw, path, ctx) {
      if (typeof raw !== 'string') return mismatch(ctx, path, expected, raw);
      if (opts.pattern && !opts.pattern.test(raw)) return mismatch(ctx, path, expected, raw);
      return raw;
    },
    encode: (v) => v,
    jsonSchema: () => ({
      type: 'string',
      ...(opts.pattern ? { pattern: opts.pattern.source } : {}),
      ...(opts.description ? { description: opts.description } : {}),
    }),
  };
}

export function integer(opts: { min?: number; max?: number; description?: string } = {}): Codec<number> {
  const { min, max } = opts;
  const expected =
    min !== undefined && max !== undefined
      ? `an integer from ${min} to ${max}`
      : min !== undefined
        ? `an integer >= ${min}`
        : 'an integer';
  return {
    expected,
    decode(raw, path, ctx) {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return mismatch(ctx, path, expected, raw);
      if ((min !== undefined && raw < min) || (max !== undefined && raw > max)) {
        return mismatch(ctx, path, expected, raw);
      }
      return raw;
    },
    encode: (v) => v,
    jsonSchema: () => ({
      type: 'integer',
      ...(min !== undefined ? { minimum: min } : {}),
      ...(max !== undefined ? { maximum: max } : {}),
      ...(opts.description ? { description: opts.description } : {}),
    }),
  };
}

export function boolean(): Codec<boolean> {
  return {
    expected: 'true or false',
    decode: (raw, path, ctx) => (typeof raw === 'boolean' ? raw : mismatch(ctx, path, 'true or false', raw)),
    encode: (v) => v,
    jsonSchema: () => ({ type: 'boolean' }),
  };
}

export function literal<const T extends string | number>(value: T): Codec<T> {
  const expected = JSON.stringify(value);
  return {
    expected,
    decode: (raw, path, ctx) => (raw === value ? value : mismatch(ctx, path, expected, raw)),
    encode: (v) => v,
    jsonSchema: () => ({ const: value }),
  };
}

export function oneOfStrings<const T extends string>(values: readonly T[], description?: string): Codec<T> {
  const expected = `one of ${values.join(', ')}`;
  return {
    expected,
    decode(raw, path, ctx) {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as T;
      const hint = typeof raw === 'string' ? suggest(raw, values) : '';
      return ctx.issue(path, `expected ${expected}, got ${show(raw)}${hint}`);
    },
    encode: (v) => v,
    jsonSchema: () => ({ enum: [...values], ...(description ? { description } : {}) }),
  };
}

/**
 * A string parsed into another type (durations, rates, addresses). `parse` returns the value or an
 * error detail; `format` prints it back so that parse(format(v)) equals v.
 */
export function textual<T>(opts: {
  expected: string;
  parse: (text: string) => { ok: true; value: T } | { ok: false; detail?: string };
  format: (v: T) => string | number;
  pattern?: string;
  description?: string;
  /** Also accept a YAML number (`queue: 1000`); it is parsed as its decimal text. */
  acceptNumber?: boolean;
}): Codec<T> {
  return {
    expected: opts.expected,
    decode(raw, path, ctx) {
      let text: string;
      if (typeof raw === 'string') text = raw;
      else if (typeof raw === 'number' && opts.acceptNumber) text = String(raw);
      else if (typeof raw === 'number' && raw === 0) text = '0';
      else return mismatch(ctx, path, opts.expected, raw);
      const r = opts.parse(text);
      if (r.ok) return r.value;
      return ctx.issue(
        path,
        `expected ${opts.expected}, got ${show(raw)}${r.detail === undefined ? '' : ` (${r.detail})`}`,
      );
    },
    encode: (v) => opts.format(v),
    jsonSchema: () => ({
      type: opts.acceptNumber ? ['string', 'number'] : 'string',
      ...(opts.pattern ? { pattern: opts.pattern } : {}),
      description: opts.description ?? opts.expected,
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Containers

/** Expands list items before decoding them (the `repeat` construct); see repeat.ts. */
export type ListExpander = (
  raw: unknown,
  path: Path,
  ctx: DecodeContext,
  decodeItem: (raw: unknown, path: Path) => void,
) => boolean;

let listExpander: ListExpander | null = null;
/** Installed by repeat.ts so the codec library stays independent of the template language. */
export function setListExpander(e: ListExpander): void {
  listExpander = e;
}

/** Where a decoded list item came from: its path in the document and the repeat note, if any. */
export interface Origin {
  path: Path;
  note: string;
}
const origins = new WeakMap<object, Origin>();

/** Records where a decoded item came from (codecs that build items outside `list`). */
export function setOrigin(item: object, path: Path, note = ''): void {
  origins.set(item, { path, note });
}

/** The document path an item of a decoded list came from (repeat expansions share their template's). */
export function originOf(item: object): Origin | undefined {
  return origins.get(item);
}

export function list<T>(
  item: Codec<T>,
  opts: { min?: number; repeatable?: boolean; description?: string } = {},
): Codec<readonly T[]> {
  const expected = `a list of ${item.expected}`;
  return {
    expected,
    decode(raw, path, ctx) {
      if (!Array.isArray(raw)) return mismatch(ctx, path, expected, raw);
      const out: T[] = [];
      const before = ctx.issues.length;
      let ok = true;
      const decodeItem = (r: unknown, p: Path): void => {
        const v = item.decode(r, p, ctx);
        if (v === INVALID) ok = false;
        else {
          if (typeof v === 'object' && v !== null) origins.set(v, { path: p, note: ctx.note });
          out.push(v);
        }
      };
      raw.forEach((r, i) => {
        const p = [...path, i];
        if (opts.repeatable && listExpander?.(r, p, ctx, decodeItem)) return;
        decodeItem(r, p);
      });
      if (!ok || ctx.issues.length > before) return INVALID;
      if (opts.min !== undefined && out.length < opts.min) {
        return ctx.issue(path, `expected at least ${opts.min} item${opts.min === 1 ? '' : 's'}`);
      }
      return out;
    },
    encode: (v) => v.map((x) => item.encode(x)),
    jsonSchema: () => {
      const items = item.jsonSchema();
      return {
        type: 'array',
        items: opts.repeatable ? { anyOf: [items, { $ref: '#/definitions/repeat' }] } : items,
        ...(opts.min !== undefined ? { minItems: opts.min } : {}),
        ...(opts.description ? { description: opts.description } : {}),
      };
    },
  };
}

/** A mapping with arbitrary keys (sysctl maps). */
export function record<T>(value: Codec<T>, keyPattern?: RegExp): Codec<Readonly<Record<string, T>>> {
  const expected = `a mapping of ${value.expected}`;
  return {
    expected,
    decode(raw, path, ctx) {
      if (!isPlainObject(raw)) return mismatch(ctx, path, expected, raw);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [k, r] of Object.entries(raw)) {
        if (keyPattern && !keyPattern.test(k)) {
          ctx.issue([...path, k], `unexpected key "${k}"`, true);
          ok = false;
          continue;
        }
        const v = value.decode(r, [...path, k], ctx);
        if (v === INVALID) ok = false;
        else out[k] = v;
      }
      return ok ? out : INVALID;
    },
    encode: (v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value.encode(x)])),
    jsonSchema: () => ({
      type: 'object',
      additionalProperties: value.jsonSchema(),
      ...(keyPattern ? { propertyNames: { pattern: keyPattern.source } } : {}),
    }),
  };
}

export function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

export interface FieldSpec<T> {
  codec: Codec<T>;
  optional: boolean;
  /** Property name in the typed tree when it differs from the document key. */
  as?: string;
  description?: string;
}

export function req<T>(
  codec: Codec<T>,
  description?: string,
  as?: string,
): FieldSpec<T> & { optional: false } {
  return { codec, optional: false, description, as };
}
export function opt<T>(
  codec: Codec<T>,
  description?: string,
  as?: string,
): FieldSpec<T> & { optional: true } {
  return { codec, optional: true, description, as };
}

type Fields = Record<string, FieldSpec<unknown>>;
type CamelCase<S extends string> = S extends `${infer H}-${infer R}` ? `${H}${Capitalize<CamelCase<R>>}` : S;
type ReqKeys<F extends Fields> = { [K in keyof F]: F[K]['optional'] extends false ? K : never }[keyof F];
type OptKeys<F extends Fields> = { [K in keyof F]: F[K]['optional'] extends true ? K : never }[keyof F];
type FieldType<S> = S extends FieldSpec<infer T> ? T : never;
export type ObjectOf<F extends Fields> = {
  readonly [K in ReqKeys<F> as CamelCase<K & string>]: FieldType<F[K]>;
} & { readonly [K in OptKeys<F> as CamelCase<K & string>]?: FieldType<F[K]> };

export function camel(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export interface ObjectCodec<T> extends Codec<T> {
  readonly keys: readonly string[];
  readonly fields: Fields;
}

/**
 * A mapping with known keys. Document keys are kebab-case; the typed tree uses their camelCase
 * (`server-saw-source` → `serverSawSource`).
 */
export function object<F extends Fields>(
  fields: F,
  opts: {
    expected?: string;
    description?: string;
    check?: (v: ObjectOf<F>, path: Path, ctx: DecodeContext) => void;
  } = {},
): ObjectCodec<ObjectOf<F>> {
  const keys = Object.keys(fields);
  const expected = opts.expected ?? `a mapping with ${keys.map((k) => `"${k}"`).join(', ')}`;
  return {
    expected,
    keys,
    fields,
    decode(raw, path, ctx) {
      if (!isPlainObject(raw)) return mismatch(ctx, path, expected, raw);
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const k of Object.keys(raw)) {
        if (!(k in fields)) {
          ctx.issue([...path, k], `unknown key "${k}"${suggest(k, keys)}`, true);
          ok = false;
        }
      }
      for (const [k, f] of Object.entries(fields)) {
        const r = raw[k];
        if (r === undefined) {
          if (!f.optional) {
            ctx.issue(path, `missing required key "${k}"${f.description ? ` (${f.description})` : ''}`);
            ok = false;
          }
          continue;
        }
        const v = f.codec.decode(r, [...path, k], ctx);
        if (v === INVALID) ok = false;
        else out[f.as ?? camel(k)] = v;
      }
      if (!ok) return INVALID;
      const before = ctx.issues.length;
      opts.check?.(out as ObjectOf<F>, path, ctx);
      return ctx.issues.length === before ? (out as ObjectOf<F>) : INVALID;
    },
    encode(v) {
      const out: Record<string, unknown> = {};
      const rec = v as Record<string, unknown>;
      for (const [k, f] of Object.entries(fields)) {
        const x = rec[f.as ?? camel(k)];
        if (x !== undefined) out[k] = f.codec.encode(x);
      }
      return out;
    },
    jsonSchema() {
      const properties: Record<string, JsonSchema> = {};
      for (const [k, f] of Object.entries(fields)) {
        const s = f.codec.jsonSchema();
        properties[k] =
          f.description && s.description === undefined ? { description: f.description, ...s } : s;
      }
      const required = keys.filter((k) => !fields[k]!.optional);
      return {
        type: 'object',
        ...(opts.description ? { description: opts.description } : {}),
        properties,
        ...(required.length > 0 ? { required } : {}),
        additionalProperties: false,
      };
    },
  };
}

/**
 * A mapping whose variant is chosen by which key is present (`ping:`, `udp:` or `tcp:`). Each variant
 * is an object codec containing its key. A fallback variant (no key present) may be given.
 */
export function variants<T>(
  choices: readonly { key: string; codec: ObjectCodec<unknown> }[],
  opts: { expected: string; fallback?: ObjectCodec<unknown>; description?: string },
): Codec<T> {
  const names = choices.map((c) => c.key);
  return {
    expected: opts.expected,
    decode(raw, path, ctx) {
      if (!isPlainObject(raw)) return mismatch(ctx, path, opts.expected, raw);
      const present = choices.filter((c) => raw[c.key] !== undefined);
      if (present.length > 1) {
        return ctx.issue(
          path,
          `"${present[0]!.key}" and "${present[1]!.key}" cannot be combined in one entry`,
        );
      }
      const chosen = present[0]?.codec ?? opts.fallback;
      if (chosen === undefined) {
        const all = new Set(choices.flatMap((c) => c.codec.keys));
        const unknown = Object.keys(raw).filter((k) => !all.has(k));
        const hint = unknown.length > 0 ? suggest(unknown[0]!, names) : '';
        return ctx.issue(
          path,
          `expected ${opts.expected}: one of the keys ${names.join(', ')} is required${hint}`,
        );
      }
      return chosen.decode(raw, path, ctx) as Decoded<T>;
    },
    encode(v) {
      for (const c of choices) {
        const enc = c.codec.encode(v) as Record<string, unknown>;
        if (enc[c.key] !== undefined) return enc;
      }
      return opts.fallback ? opts.fallback.encode(v) : {};
    },
    jsonSchema: () => ({
      ...(opts.description ? { description: opts.description } : {}),
      oneOf: [
        ...choices.map((c) => c.codec.jsonSchema()),
        ...(opts.fallback
          ? [{ ...opts.fallback.jsonSchema(), not: { anyOf: names.map((n) => ({ required: [n] })) } }]
          : []),
      ],
    }),
  };
}

/** Chooses by the raw value's shape: a string, a list or a mapping form of the same thing. */
export function shapes<T>(
  forms: { string?: Codec<T>; list?: Codec<T>; mapping?: Codec<T> },
  opts: { expected: string; encode: (v: T) => unknown; description?: string },
): Codec<T> {
  return {
    expected: opts.expected,
    decode(raw, path, ctx) {
      const c =
        typeof raw === 'string'
          ? forms.string
          : Array.isArray(raw)
            ? forms.list
            : isPlainObject(raw)
              ? forms.mapping
              : undefined;
      if (c === undefined) return mismatch(ctx, path, opts.expected, raw);
      return c.decode(raw, path, ctx);
    },
    encode: opts.encode,
    jsonSchema: () => ({
      ...(opts.description ? { description: opts.description } : {}),
      anyOf: [forms.string, forms.list, forms.mapping]
        .filter((c) => c !== undefined)
        .map((c) => c.jsonSchema()),
    }),
  };
}

/** Maps a decoded value to another representation (and back for printing). */
export function map<A, B>(inner: Codec<A>, to: (a: A) => B, from: (b: B) => A, expected?: string): Codec<B> {
  return {
    expected: expected ?? inner.expected,
    decode(raw, path, ctx) {
      const a = inner.decode(raw, path, ctx);
      return a === INVALID ? INVALID : to(a);
    },
    encode: (b) => inner.encode(from(b)),
    jsonSchema: () => inner.jsonSchema(),
  };
}

/** Either a single item or a list of them; decodes to a list. */
export function oneOrMany<T>(item: Codec<T>): Codec<readonly T[]> {
  const many = list(item, { min: 1 });
  return {
    expected: `${item.expected} or a list of them`,
    decode: (raw, path, ctx) => {
      if (Array.isArray(raw)) return many.decode(raw, path, ctx);
      const v = item.decode(raw, path, ctx);
      return v === INVALID ? INVALID : [v];
    },
    encode: (v) => (v.length === 1 ? item.encode(v[0]!) : v.map((x) => item.encode(x))),
    jsonSchema: () => ({ anyOf: [item.jsonSchema(), many.jsonSchema()] }),
  };
}
