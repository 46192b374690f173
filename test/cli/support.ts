import { main } from '../../src/cli/cli.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the netsim command line in-process with recorded output (not a TTY, no CI variable). */
export async function netsim(args: string[], cwd = process.cwd()): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    errIsTTY: false,
    outIsTTY: false,
    env: {},
    cwd,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
