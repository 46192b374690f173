// `npm run bench [-- [--quick] [--scale] [suite-name-filter…]]`: runs every dist/bench/*.bench.js suite, each case
// in its own process, and writes bench/results/<suite>.json. `--scale` adds the cases that take minutes
// or gigabytes (e.g. 10^5 namespaces; BenchGroup.scaleCases). A filter keeps suites whose name contains
// any of the given words.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runSuites, type SuiteEntry } from './harness/runner.js';
import type { SuiteSpec } from './harness/suite.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const scale = args.includes('--scale');
const filters = args.filter((a) => !a.startsWith('--'));

const entries: SuiteEntry[] = [];
for (const f of readdirSync(here).sort()) {
  if (!f.endsWith('.bench.js')) continue;
  const file = join(here, f);
  const mod = (await import(pathToFileURL(file).href)) as { default?: SuiteSpec };
  const spec = mod.default;
  if (spec === undefined) continue;
  if (filters.length > 0 && !filters.some((w) => spec.name.includes(w))) continue;
  entries.push({ file, spec });
}
if (entries.length === 0) {
  console.error(`no benchmark suite matches ${filters.join(' ') || '(any)'}`);
  process.exitCode = 1;
} else {
  await runSuites(entries, { quick, scale });
}
