// A small command-line parser: long options (`--seed 3`, `--seed=3`), a few short aliases, `--` ends
// options. Unknown options and missing values are usage errors (exit status 2).

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** Takes a value; its placeholder in help (`N`, `FILE`). */
  value?: string;
  help: string;
}

export interface ParsedArgs {
  positionals: string[];
  /** Value options map to their (last) value, flags to true. */
  options: Map<string, string | true>;
}

export function parseArgs(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  command: string,
): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const see = command === '' ? 'see netsim --help' : `see netsim ${command} --help`;
  const forWhat = command === '' ? '' : ` for "${command}"`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const spec = specs.find((s) => s.name === name);
      if (spec === undefined) throw new UsageError(`unknown option --${name}${forWhat}; ${see}`);
      if (spec.value === undefined) {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value; ${see}`);
        options.set(spec.name, true);
      } else if (eq >= 0) {
        options.set(spec.name, a.slice(eq + 1));
      } else {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`option --${name} needs a value (${spec.value}); ${see}`);
        options.set(spec.name, v);
        i++;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      const spec = specs.find((s) => s.short === a.slice(1));
      if (spec === undefined) throw new UsageError(`unknown option ${a}${forWhat}; ${see}`);
      if (spec.value === undefined) options.set(spec.name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`option ${a} needs a value (${spec.value}); ${see}`);
        options.set(spec.name, v);
        i++;
      }
      continue;
    }
    positionals.push(a);
  }
  return { positionals, options };
}

/** The options part of a help text. */
export function optionsHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`;
    return [left, s.help] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`).join('\n');
}
