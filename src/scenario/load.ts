// Loading a scenario: text → YAML nodes (positions) → plain value → codecs (schema.ts, with repeat
// expansion) → cross-reference checks (validate.ts) → a frozen tree.
//
// Every problem becomes a `Problem` with file:line:col, the document path and what was expected; all
// problems of a phase are reported together (up to MAX_PROBLEMS), never a stack trace.

import { readFileSync } from 'node:fs';
import { freeze } from 'immer';
import { DecodeContext, INVALID, type Issue, originOf, type Path, type PathItem } from './codec.js';
import { type Problem, ScenarioError } from './errors.js';
import './repeat.js';
import { scenarioCodec } from './schema.js';
import { formatPath, type Position, Source } from './source.js';
import type { Scenario } from './types.js';
import { type ValidateOptions, validateScenario } from './validate.js';

export const MAX_PROBLEMS = 20;

export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly source: Source;
  /** Where a decoded item (or a path from the top) is in the file. */
  locate(
    item: object | null,
    sub?: readonly PathItem[],
    atKey?: boolean,
  ): { pos: Position; where: string; note: string };
  /** Where line `index` of a run block is in the file (`steps[2].run line 3`). */
  locateLine(
    item: object,
    sub: readonly PathItem[],
    index: number,
    text: string,
  ): { pos: Position; where: string };
}

function problemAt(source: Source, path: Path, message: string, atKey = false, where?: string): Problem {
  const pos = source.position(path, atKey);
  return { file: source.file, pos, where: where ?? formatPath(path), message, snippet: source.snippet(pos) };
}

function issuesToProblems(source: Source, issues: readonly Issue[]): Problem[] {
  return issues.slice(0, MAX_PROBLEMS).map((i) => problemAt(source, i.path, i.message, i.atKey));
}

/** A hint for the classic mistake: `${…}` unquoted inside a flow mapping, where { } are syntax. */
function flowHint(source: Source, line: number): string {
  const l = source.lines[line - 1] ?? '';
  return /\{[^"']*\$\{/.test(l) ? ' (inside { … } quote strings that contain \u0024{…})' : '';
}

/** Loads scenario text; `file` names it in messages. Throws ScenarioError. */
export function loadScenarioText(text: string, file: string, opts: ValidateOptions = {}): LoadedScenario {
  const source = new Source(file, text);
  const syntax = source.syntaxErrors();
  if (syntax.length > 0) {
    throw new ScenarioError(
      syntax.slice(0, 1).map((e) => ({
        file,
        pos: e.pos,
        where: '',
        message: `YAML syntax: ${e.message}${flowHint(source, e.pos.line)}`,
        snippet: source.snippet(e.pos),
      })),
    );
  }
  let raw: unknown;
  try {
    raw = source.value();
  } catch (e) {
    throw new ScenarioError([{ file, pos: { line: 1, col: 1 }, where: '', message: (e as Error).message }]);
  }
  if (raw === null || raw === undefined) {
    throw new ScenarioError([
      {
        file,
        pos: { line: 1, col: 1 },
        where: '',
        message: 'the file is empty: expected a scenario mapping starting with "netsim: 1"',
      },
    ]);
  }
  const ctx = new DecodeContext();
  const decoded = scenarioCodec.decode(raw, [], ctx);
  if (decoded === INVALID || ctx.issues.length > 0)
    throw new ScenarioError(issuesToProblems(source, ctx.issues));

  const locate = (item: object | null, sub: readonly PathItem[] = [], atKey = false) => {
    const origin = item === null ? undefined : originOf(item);
    const path = [...(origin?.path ?? []), ...sub];
    return { pos: source.position(path, atKey), where: formatPath(path), note: origin?.note ?? '' };
  };
  const locateLine = (item: object, sub: readonly PathItem[], index: number, text: string) => {
    const origin = originOf(item);
    const path = [...(origin?.path ?? []), ...sub];
    const last = sub[sub.length - 1];
    if (typeof last === 'number') return { pos: source.position(path), where: formatPath(path) };
    return {
      pos: source.linePosition(path, index, text),
      where: `${formatPath(path)} line ${index + 1}${origin?.note ? ` ${origin.note}` : ''}`,
    };
  };

  const problems: Problem[] = [];
  validateScenario(
    decoded,
    (item, sub, message, atKey) => {
      const l = locate(item, sub, atKey);
      problems.push({
        file,
        pos: l.pos,
        where: l.where,
        message: l.note ? `${message} ${l.note}` : message,
        snippet: source.snippet(l.pos),
      });
    },
    (item, sub, index, text, message) => {
      const l = locateLine(item, sub, index, text);
      problems.push({ file, pos: l.pos, where: l.where, message, snippet: source.snippet(l.pos) });
    },
    opts,
  );
  if (problems.length > 0) throw new ScenarioError(problems.slice(0, MAX_PROBLEMS));
  return { scenario: freeze(decoded, true), source, locate, locateLine };
}

/** Reads and loads a scenario file. A missing or unreadable file is a ScenarioError too. */
export function loadScenarioFile(path: string, opts: ValidateOptions = {}, display = path): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ScenarioError([
      { file: path, pos: { line: 1, col: 1 }, where: '', message: `cannot read the scenario: ${why}` },
    ]);
  }
  return loadScenarioText(text, display, opts);
}
