import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { RUN_OPTIONS } from '../../src/cli/run.js';
import { netsim } from './support.js';

describe('argument parser', () => {
  it('takes long options with a space or =, short aliases and positionals', () => {
    const p = parseArgs(['f.yaml', '--seed', '3', '--until=2s', '-q', '--check'], RUN_OPTIONS, 'run');
    expect(p.positionals).toEqual(['f.yaml']);
    expect([...p.options]).toEqual([
      ['seed', '3'],
      ['until', '2s'],
      ['quiet', true],
      ['check', true],
    ]);
    expect(parseArgs(['--', '--seed'], RUN_OPTIONS, 'run').positionals).toEqual(['--seed']);
  });

  it('rejects unknown options, missing values and values on flags', () => {
    expect(() => parseArgs(['--foo'], RUN_OPTIONS, 'run')).toThrow(
      new UsageError('unknown option --foo for "run"; see netsim run --help'),
    );
    expect(() => parseArgs(['--seed'], RUN_OPTIONS, 'run')).toThrow(
      'option --seed needs a value (N); see netsim run --help',
    );
    expect(() => parseArgs(['--quiet=yes'], RUN_OPTIONS, 'run')).toThrow('option --quiet takes no value');
    expect(() => parseArgs(['-x'], RUN_OPTIONS, 'run')).toThrow('unknown option -x for "run"');
  });
});

describe('netsim command line', () => {
  it('prints help and version', async () => {
    const help = await netsim(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: netsim COMMAND');
    const v = await netsim(['--version']);
    expect(v.stdout).toMatch(/^netsim \d+\.\d+\.\d+\n$/);
    expect((await netsim(['run', '--help'])).stdout).toContain('--pcap DIR|FILE');
  });

  it('exits 2 with a message on bad usage', async () => {
    expect(await netsim(['run', '--foo'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'netsim: unknown option --foo for "run"; see netsim run --help\n',
    });
    expect((await netsim(['frobnicate'])).stderr).toBe(
      'netsim: unknown command "frobnicate"; commands are run, explain, validate, schema (see netsim --help)\n',
    );
    expect((await netsim([])).code).toBe(2);
    expect((await netsim(['run', 'x.yaml', '--until', 'soon'])).stderr).toBe(
      'netsim: --until: expected a duration like 250us, 1.5ms or 30s, got "soon"\n',
    );
  });

  it('prints the JSON schema', async () => {
    const r = await netsim(['schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).title).toBe('netsim scenario');
  });
});
