// Errors about a scenario file: each names file:line:col, the path inside the document and what was
// expected. The CLI prints `message` (and `snippet` on a terminal) and never a stack trace.

import type { Position } from './source.js';

export interface Problem {
  file: string;
  pos: Position;
  /** `steps[2].run line 3`, or '' for whole-file problems. */
  where: string;
  message: string;
  /** The source line with a caret, when the file is known. */
  snippet?: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.pos.line}:${p.pos.col}: ${p.where === '' ? '' : `${p.where}: `}${p.message}`;
}

/** The scenario cannot be used: syntax, schema or cross-reference problems (exit status 2). */
export class ScenarioError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }

  /** The message with source snippets under each problem. */
  detailed(): string {
    return this.problems
      .map((p) => (p.snippet ? `${formatProblem(p)}\n${p.snippet}` : formatProblem(p)))
      .join('\n');
  }
}

/** A step's command failed while running (exit status 2): names the file and the command's line. */
export class StepError extends Error {
  constructor(
    readonly problem: Problem,
    readonly atNs: number,
  ) {
    super(formatProblem(problem));
    this.name = 'StepError';
  }
}
