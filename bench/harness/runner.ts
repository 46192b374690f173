// The parent side: one Node process per case, sequentially (the machine is shared; parallel cases would
// measure each other), then a table with ratios against each group's baseline from the same run, and
// bench/results/<suite>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseResult, RESULT_PREFIX, type SuiteSpec } from './suite.js';

export interface SuiteEntry {
  /** Compiled suite file (dist/bench/<name>.bench.js). */
  file: string;
  spec: SuiteSpec;
}

export interface RunOptions {
  quick: boolean;
  /** Also run each group's `scaleCases` (minutes, gigabytes). */
  scale?: boolean;
  /** Where JSON results go; default <repo>/bench/results. */
  resultsDir?: string;
}

export interface SuiteReport {
  suite: string;
  date: string;
  node: string;
  quick: boolean;
  unit: string;
  cases: CaseResult[];
  references: { group: string; name: string; opsPerSec: number }[];
  failures: { id: string; error: string }[];
}

// dist/bench/harness/runner.js → <repo>/bench/results
const DEFAULT_RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');

/** Heap limit for `--scale` cases (the default, ~4 GB on this machine class, is too small for them). */
const SCALE_HEAP_MB = 12288;

function runChild(file: string, id: string, quick: boolean, scaleCase = false): Promise<CaseResult> {
  const args = ['--expose-gc', file, '--case', id];
  if (scaleCase) args.unshift(`--max-old-space-size=${SCALE_HEAP_MB}`);
  if (quick) args.push('--quick');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`case ${id} exited with ${code}${line === undefined ? ' and no result' : ''}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as CaseResult);
    });
  });
}

function fmtOps(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(1);
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}

/** Renders the console table for one suite report. */
export function formatReport(spec: SuiteSpec, report: SuiteReport): string {
  const unit = spec.unit ?? 'ops';
  const rows: string[][] = [
    ['group', 'case', `${unit}/s`, '±%', 'samples', 'ratio', 'alloc B/op', 'heap MB'],
  ];
  const refLines: string[] = [];
  for (const g of spec.groups) {
    const base = report.cases.find((c) => c.group === g.name && c.case === g.baseline);
    for (const c of report.cases.filter((x) => x.group === g.name)) {
      const ratio = base === undefined ? '' : `${(c.opsPerSec / base.opsPerSec).toFixed(2)}×`;
      const alloc =
        c.external === true
          ? 'external'
          : c.singleShot === true
            ? `${c.allocBytesPerOp.toFixed(0)} kept`
            : `${c.allocWindowHadGc ? '≥' : ''}${c.allocBytesPerOp.toFixed(2)}`;
      rows.push([
        g.name,
        c.case + (c.case === g.baseline ? ' (baseline)' : ''),
        fmtOps(c.opsPerSec),
        c.rmePct.toFixed(1),
        String(c.samples),
        ratio,
        alloc,
        c.external === true ? '' : (c.heapAfter / 1048576).toFixed(1),
      ]);
    }
    for (const [name, ref] of Object.entries(g.references ?? {})) {
      const measured = report.cases.filter((x) => x.group === g.name && x.case !== g.baseline);
      const vs = measured.map((m) => `${m.case} ${(m.opsPerSec / ref).toFixed(2)}×`).join(', ');
      rows.push([g.name, `ref: ${name}`, fmtOps(ref), '', '', '', '', '']);
      // Below the table, not in its ratio column: one long cell would widen every row.
      if (vs !== '') refLines.push(`  ${g.name} against ${name}: ${vs}`);
    }
  }
  for (const f of report.failures) rows.push(['FAILED', f.id, '', '', '', '', '', '']);
  const refs =
    refLines.length > 0 ? `\nref: published figures, not measured here\n${refLines.join('\n')}` : '';
  return `${spec.name}${report.quick ? ' (quick)' : ''} — ratio = case / baseline in this run\n${pad(rows)}${refs}`;
}

/** Runs every case of every suite, one process each; prints tables and writes JSON. */
export async function runSuites(suites: readonly SuiteEntry[], opts: RunOptions): Promise<SuiteReport[]> {
  const dir = opts.resultsDir ?? DEFAULT_RESULTS;
  mkdirSync(dir, { recursive: true });
  const reports: SuiteReport[] = [];
  for (const { file, spec } of suites) {
    const report: SuiteReport = {
      suite: spec.name,
      date: new Date().toISOString(),
      node: process.version,
      quick: opts.quick,
      unit: spec.unit ?? 'ops',
      cases: [],
      references: [],
      failures: [],
    };
    for (const g of spec.groups) {
      const names = Object.keys(g.cases);
      if (opts.scale === true) names.push(...Object.keys(g.scaleCases ?? {}));
      else if (g.scaleCases !== undefined && Object.keys(g.scaleCases).length > 0) {
        process.stderr.write(
          `  ${spec.name} ${g.name}: skipping ${Object.keys(g.scaleCases).join(', ')} (run with --scale)\n`,
        );
      }
      for (const name of names) {
        const id = `${g.name}/${name}`;
        process.stderr.write(`  ${spec.name} ${id} …\n`);
        try {
          report.cases.push(await runChild(file, id, opts.quick, g.scaleCases?.[name] !== undefined));
        } catch (err) {
          report.failures.push({ id, error: String(err) });
          process.exitCode = 1;
        }
      }
      for (const [name, ops] of Object.entries(g.references ?? {})) {
        report.references.push({ group: g.name, name, opsPerSec: ops });
      }
    }
    console.log(`\n${formatReport(spec, report)}\n`);
    writeFileSync(join(dir, `${spec.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    reports.push(report);
  }
  return reports;
}
