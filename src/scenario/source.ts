// A scenario file's text and YAML node tree, for turning document paths into file:line:col.
//
// JSON is parsed by the same YAML parser (JSON is valid YAML 1.2 for every document we accept), so
// both formats get positions. Positions are 1-based lines and columns.

import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';
import type { Path } from './codec.js';

export interface Position {
  line: number;
  col: number;
}

/** `steps[2].run`, `hosts.c1.sysctl` — how a path is shown in messages. */
export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === '' ? '(top level)' : out;
}

export interface SyntaxProblem {
  pos: Position;
  message: string;
}

export class Source {
  readonly lineCounter = new LineCounter();
  readonly doc: ReturnType<typeof parseDocument>;
  readonly lines: string[];

  constructor(
    /** The name shown in messages (the path as the user gave it). */
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true });
    this.lines = text.split(/\r?\n/);
  }

  /** YAML syntax errors (the first line of each parser message, with its position). */
  syntaxErrors(): SyntaxProblem[] {
    return this.doc.errors.map((e) => ({
      pos: this.at(e.pos[0]),
      message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    }));
  }

  /** The plain value of the document (null when empty). */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  at(offset: number): Position {
    const p = this.lineCounter.linePos(offset);
    return { line: p.line === 0 ? 1 : p.line, col: p.col === 0 ? 1 : p.col };
  }

  /** The node at `path` (or its deepest existing ancestor) and the key node naming its last step. */
  private find(path: Path): { node: Node | null; key: Node | null; exact: boolean } {
    let node: unknown = this.doc.contents;
    let key: Node | null = null;
    for (const p of path) {
      let next: unknown;
      let nextKey: Node | null = null;
      if (isMap(node)) {
        const pair = node.items.find(
          (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(p),
        );
        if (pair !== undefined) {
          next = pair.value;
          nextKey = pair.key as Node;
          // `key:` with no value: point at the key.
          if (next === null || next === undefined) return { node: nextKey, key: nextKey, exact: true };
        }
      } else if (isSeq(node) && typeof p === 'number') {
        next = node.items[p];
      }
      if (next === undefined || next === null) return { node: node as Node, key, exact: false };
      node = next;
      key = nextKey;
    }
    return { node: node as Node, key, exact: true };
  }

  /** Position of the value at `path` (or of its key when `atKey`). */
  position(path: Path, atKey = false): Position {
    const { node, key, exact } = this.find(path);
    const target = atKey && exact && key !== null ? key : node;
    const off = target?.range?.[0];
    return off === undefined ? { line: 1, col: 1 } : this.at(off);
  }

  /**
   * Position of line `index` (0-based) of the text value at `path` — a command inside a `run: |`
   * block. Literal blocks map line for line; other scalar styles are searched for the line's text.
   */
  linePosition(path: Path, index: number, text: string): Position {
    const { node, exact } = this.find(path);
    if (!exact || !isScalar(node) || node.range == null) return this.position(path);
    const start = this.at(node.range[0]);
    if (node.type === Scalar.BLOCK_LITERAL) {
      // Line after the `|` header; with a comment-only or indicator-only header line, content starts next.
      const line = start.line + 1 + index;
      return { line, col: this.firstCol(line) };
    }
    const needle = text.trim();
    if (needle !== '') {
      const from = node.range[0];
      const found = this.text.indexOf(needle, from);
      if (found >= 0 && found < node.range[2]) return this.at(found);
    }
    return start;
  }

  private firstCol(line: number): number {
    const l = this.lines[line - 1] ?? '';
    const m = /\S/.exec(l);
    return m === null ? 1 : m.index + 1;
  }

  /** The source line and a caret under the column, for messages on a terminal. */
  snippet(pos: Position): string {
    const l = this.lines[pos.line - 1];
    if (l === undefined) return '';
    const gutter = `${pos.line} | `;
    return `${gutter}${l}\n${' '.repeat(gutter.length + pos.col - 1)}^`;
  }
}
