// The command lines of a `run` block, with where each came from.
//
// A block is split into lines; a line ending in a backslash continues on the next (as in a shell
// script); blank lines and `#` comments are skipped. Each command keeps the 0-based index of its
// first line within the block, so errors can name the file line.

import type { RunBlock } from './types.js';

export interface CommandLine {
  readonly text: string;
  /** 0-based line within a text block, or item index within a list. */
  readonly index: number;
  /** `line 3` (text block, 1-based) or `[2]` (list item). */
  readonly label: string;
  /** True when the block is a list (the index is a list index). */
  readonly listItem: boolean;
}

export function commandLines(run: RunBlock): CommandLine[] {
  const out: CommandLine[] = [];
  if (typeof run !== 'string') {
    run.forEach((text, index) => {
      if (text.trim() !== '' && !text.trim().startsWith('#')) {
        out.push({ text, index, label: `[${index}]`, listItem: true });
      }
    });
    return out;
  }
  const lines = run.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let text = lines[i]!;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      text = `${text.slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const t = text.trim();
    if (t === '' || t.startsWith('#')) continue;
    out.push({ text: t, index: first, label: `line ${first + 1}`, listItem: false });
  }
  return out;
}
