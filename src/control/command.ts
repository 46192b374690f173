// The contract every configuration command (ip, bridge, sysctl, iptables, ipvsadm, docker, …) meets.
//
// A scenario step runs command lines inside a namespace; each line is split into words (shell-like
// quoting, see `splitWords`) and dispatched by its first word to a registered tool. A tool returns its
// output text, or throws `CommandError` with the message the real tool prints on stderr; the scenario
// runner adds file and line.

import type { Namespace } from '../net/namespace.js';
import type { World } from '../net/world.js';

export interface CommandContext {
  world: World;
  /** The namespace the command runs in (`ip netns exec NS …` or a scenario step's `in:`). */
  ns: Namespace;
}

export interface CommandResult {
  /** What the tool printed on stdout ('' for most configuration commands). */
  stdout: string;
}

export type Tool = (ctx: CommandContext, args: readonly string[]) => CommandResult;

/** A command the real tool would reject; `message` is what it would print (its first line). */
export class CommandError extends Error {
  constructor(
    message: string,
    /** Exit status the real tool would return. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const tools = new Map<string, Tool>();

/** Registers a tool under its command name (`ip`, `bridge`, `sysctl`, …). */
export function registerTool(name: string, tool: Tool): void {
  tools.set(name, tool);
}

export function toolNames(): string[] {
  return [...tools.keys()].sort();
}

/**
 * Splits a command line into words: whitespace separates, single quotes keep everything literal,
 * double quotes keep spaces and allow \" and \\, a backslash escapes the next character, `#` starts a
 * comment at a word boundary. Throws CommandError on an unterminated quote.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CommandError('unexpected end of line: unterminated single quote');
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        cur += line[i];
        i++;
      }
      if (i >= line.length) throw new CommandError('unexpected end of line: unterminated double quote');
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Whether a tool is registered under `name`. */
export function hasTool(name: string): boolean {
  return tools.has(name);
}

/**
 * Runs one command given as words (`argv[0]` the tool), as `runCommandLine` would run the line
 * those words quote to — for programs that build argv (the Docker engine), skipping the quoting and
 * re-splitting.
 */
export function runCommandArgv(ctx: CommandContext, argv: readonly string[]): CommandResult {
  if (argv.length === 0) return { stdout: '' };
  const name = argv[0]!;
  const tool = tools.get(name);
  if (tool === undefined) throw new CommandError(`${name}: command not found`, 127);
  return tool(ctx, argv.slice(1));
}

/** Runs one command line in `ctx.ns`. Empty lines and comments print nothing. */
export function runCommandLine(ctx: CommandContext, line: string): CommandResult {
  const words = splitWords(line);
  if (words.length === 0) return { stdout: '' };
  const name = words[0]!;
  const tool = tools.get(name);
  if (tool === undefined) throw new CommandError(`${name}: command not found`, 127);
  return tool(ctx, words.slice(1));
}
