// Every example scenario in scenarios/ runs green, leaks no frame, gives byte-identical captures for the
// same seed, and its capture decodes in tshark (an independent decoder) with no malformed packets and
// no bad checksums (the large generated scenarios skip the tshark pass for time).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { MemorySink, PcapngWriter } from '../../src/trace/pcapng.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';
import '../../src/control/all.js';
import '../../src/apps/all.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hasTshark, tsharkJson, tsharkProblems, warnNoTshark } from '../support/tshark.js';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');
const FILES = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

function runCaptured(
  file: string,
  seed?: number,
): {
  bytes: Uint8Array;
  ok: boolean;
  failures: string[];
  leaks: number;
  inFlight: number;
  live: number;
  fingerprint: string;
} {
  const loaded = loadScenarioFile(join(SCENARIOS, file));
  const sink = new MemorySink();
  const capture = new PcapngWriter(sink);
  const out = runScenario(loaded, { check: true, capture, ...(seed === undefined ? {} : { seed }) });
  capture.close();
  const bal = out.world.frameBalance();
  return {
    bytes: sink.bytes(),
    ok: out.ok,
    failures: out.checks.filter((c) => !c.ok).map((c) => JSON.stringify(c)),
    leaks: out.world.pool.leaks().length,
    inFlight: bal.inFlight,
    live: out.world.pool.liveCount,
    fingerprint: out.fingerprint,
  };
}

describe.each(FILES)('scenario %s', (file) => {
  it('holds every expectation, conserves frames, and captures and fingerprints identically for the same seed', () => {
    const a = runCaptured(file);
    expect(a.failures).toEqual([]);
    expect(a.ok).toBe(true);
    // Frames still in flight at the end are exactly the pool's live slots (conservation).
    expect(a.inFlight).toBe(a.live);
    const b = runCaptured(file);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.leaks).toBe(0);
    const parsed = readPcapng(a.bytes);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.file.packets.length).toBeGreaterThan(0);
  });

  // Generated large scenarios carry the same kinds of frames; decoding thousands adds minutes for nothing.
  if (file.startsWith('large-')) return;
  it.skipIf(!hasTshark)('decodes in tshark without malformed packets or bad checksums', () => {
    const a = runCaptured(file);
    const dir = mkdtempSync(join(tmpdir(), 'netsim-e2e-'));
    const path = join(dir, `${file}.pcapng`);
    writeFileSync(path, a.bytes);
    const packets = tsharkJson(path);
    expect(packets.length).toBeGreaterThan(0);
    // Only decoding problems count: a capture of every device shows each segment once per interface
    // it crossed, which tshark's TCP analysis reports as out-of-order, and closed ports answer RST —
    // both are warnings about the conversation, not about the bytes.
    const problems = packets
      .flatMap((p, i) => tsharkProblems(p).map((x) => `#${i + 1}: ${x}`))
      .filter((x) => /malformed|checksum|expert error/i.test(x));
    expect(problems).toEqual([]);
  });
});

if (!hasTshark) warnNoTshark('scenario captures are not decoded by tshark');
