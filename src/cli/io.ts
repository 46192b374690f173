// What a subcommand may touch of the process: output streams, the environment, the terminal. Tests
// pass a recording implementation; main.ts passes the real process.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal (progress and colours go there). */
  readonly errIsTTY: boolean;
  /** stdout is a terminal (colours in the summary). */
  readonly outIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export const EXIT = {
  ok: 0,
  /** An expectation did not hold. */
  failed: 1,
  /** Bad usage, or a scenario that cannot be loaded or run. */
  usage: 2,
  /** A bug in netsim (EX_SOFTWARE). */
  internal: 70,
} as const;

export function processIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    errIsTTY: process.stderr.isTTY === true,
    outIsTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}
