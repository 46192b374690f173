// biome-ignore-all lint/suspicious/noTemplateCurlyInString: scenario text uses ${…} substitution literally
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/scenario/errors.js';
import { loadScenarioText } from '../../src/scenario/load.js';

/** The problems a text produces, as `line:col: where: message` (file name stripped). */
function problems(text: string): string[] {
  try {
    loadScenarioText(text, 'x.yaml');
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return e.message.split('\n').map((l) => l.replace(/^x\.yaml:/, ''));
  }
  return [];
}

const HEAD = 'netsim: 1\nhosts: [host, c1, c2]\n';

describe('scenario loader errors', () => {
  it('accepts a minimal scenario', () => {
    const l = loadScenarioText(HEAD, 'x.yaml');
    expect(l.scenario.hosts.map((h) => h.name)).toEqual(['host', 'c1', 'c2']);
    expect(Object.isFrozen(l.scenario)).toBe(true);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('netsim: 1\nhosts: [a, b\n')[0]).toMatch(/^3:1: YAML syntax: /);
    expect(problems('netsim: 1\nnetsim: 1\nhosts: [a]\n')[0]).toMatch(
      /^2:1: YAML syntax: Map keys must be unique/,
    );
  });

  it('rejects an empty file and a missing version', () => {
    expect(problems('')).toEqual([
      '1:1: the file is empty: expected a scenario mapping starting with "netsim: 1"',
    ]);
    expect(problems('hosts: [a]\n')).toEqual([
      '1:1: (top level): missing required key "netsim" (format version: 1)',
    ]);
    expect(problems('netsim: 2\nhosts: [a]\n')).toEqual(['1:9: netsim: expected 1, got 2']);
  });

  it('names wrong types with the path and what was expected', () => {
    expect(problems('netsim: 1\nhosts: 3\n')).toEqual([
      '2:8: hosts: expected a list of host names or a mapping of host names to options, got 3',
    ]);
    expect(problems(`${HEAD}steps:\n  - in: c1\n    run: 5\n`)).toEqual([
      '5:10: steps[0].run: expected command lines (a block of text, one command a line, or a list), got 5',
    ]);
    expect(problems(`${HEAD}traffic:\n  - { name: p, from: c1, ping: 10.0.0.300 }\n`)).toEqual([
      '4:32: traffic[0].ping: expected an IPv4 address like 10.0.0.2, got "10.0.0.300"',
    ]);
  });

  it('rejects unknown keys with a suggestion', () => {
    expect(problems(`${HEAD}stpes: []\n`)).toEqual([
      '3:1: stpes: unknown key "stpes" (did you mean "steps"?)',
    ]);
    expect(problems(`${HEAD}traffic:\n  - { name: p, from: c1, ping: 10.0.0.2, cuont: 3 }\n`)).toEqual([
      '4:42: traffic[0].cuont: unknown key "cuont" (did you mean "count"?)',
    ]);
    expect(problems(`${HEAD}traffic:\n  - { name: p, from: c1, pnig: 10.0.0.2 }\n`)).toEqual([
      '4:5: traffic[0]: expected a probe: one of the keys ping, udp, tcp, dns is required (did you mean "ping"?)',
    ]);
  });

  it('explains bad durations and rates', () => {
    expect(problems(`${HEAD}steps:\n  - at: abc\n    in: c1\n    run: ip link\n`)).toEqual([
      '4:9: steps[0].at: expected a duration like 1.5ms, got "abc"',
    ]);
    expect(problems(`${HEAD}until: 10\n`)).toEqual(['3:8: until: expected a duration like 1.5ms, got 10']);
    expect(problems(`${HEAD}until: "10"\n`)).toEqual([
      '3:8: until: expected a duration like 1.5ms, got "10" (a unit is required: ns, us, ms, s, m or h)',
    ]);
    expect(problems(`${HEAD}links: [{ a: c1:eth1, b: c2:eth1, rate: 1gbps }]\n`)).toEqual([
      '3:41: links[0].rate: expected a rate like 100Mbit, got "1gbps" (write bits per second as kbit, Mbit or Gbit)',
    ]);
  });

  it('checks references to hosts, probes and links', () => {
    expect(problems(`${HEAD}steps:\n  - in: c9\n    run: ip link\n`)).toEqual([
      '4:9: steps[0].in: unknown host "c9" (did you mean "c1"?)',
    ]);
    expect(
      problems(
        `${HEAD}traffic:\n  - { name: p, from: c1, ping: 10.0.0.2 }\n  - { name: p, from: c2, ping: 10.0.0.2 }\nexpect:\n  - { probe: q, received: 1 }\n`,
      ),
    ).toEqual([
      '5:13: traffic[1].name: probe name "p" is used twice',
      '7:14: expect[0].probe: no traffic entry is named "q" (did you mean "p"?)',
    ]);
    expect(problems(`${HEAD}steps:\n  - { link: c1:eth1, delay: 1ms }\n`)).toEqual([
      '4:13: steps[0].link: no scenario link ends at c1:eth1',
    ]);
    expect(
      problems(
        `${HEAD}traffic:\n  - { name: p, from: c1, ping: 10.0.0.2 }\nexpect:\n  - { probe: p, connected: true }\n`,
      ),
    ).toEqual(['6:28: expect[0].connected: "connected" does not apply to ping probes ("p" is a ping probe)']);
  });

  it('names the line of a bad command inside a run block', () => {
    const text = `${HEAD}steps:\n  - in: c1\n    run: |\n      ip link set lo up\n\n      ip link set "eth0 up\n`;
    expect(problems(text)).toEqual([
      '8:7: steps[0].run line 3: unexpected end of line: unterminated double quote',
    ]);
  });

  it('expands repeat blocks and reports template problems once, with the variables', () => {
    const l = loadScenarioText(
      'netsim: 1\nhosts: [host, { repeat: { b: 1..2, c: 1..3 }, each: "c${b}-${c}" }]\n' +
        'apps:\n  - repeat: { i: [1, 2] }\n    each: { in: c1-1, serve: udp-echo-peer, port: "${5000 + i}" }\n',
      'x.yaml',
    );
    expect(l.scenario.hosts.map((h) => h.name)).toEqual([
      'host',
      'c1-1',
      'c1-2',
      'c1-3',
      'c2-1',
      'c2-2',
      'c2-3',
    ]);
    expect(l.scenario.apps?.map((a) => a.port)).toEqual([5001, 5002]);
    expect(problems('netsim: 1\nhosts: [{ repeat: { i: 1..3 }, each: "c${j}" }]\n')).toEqual([
      '2:38: hosts[0].each: in ${…}: unknown variable "j" (did you mean "i"?) (repeat i=1)',
    ]);
    expect(
      problems(`${HEAD}steps:\n  - repeat: { i: 1..3 }\n    each: { in: "c\${i}", run: ip link }\n`),
    ).toEqual(['5:17: steps[0].each.in: unknown host "c3" (did you mean "c1"?) (repeat i=3)']);
  });

  it('rejects a missing file without a stack trace', async () => {
    const { loadScenarioFile } = await import('../../src/scenario/load.js');
    expect(() => loadScenarioFile('/nonexistent/x.yaml')).toThrow(
      '/nonexistent/x.yaml:1:1: cannot read the scenario: no such file',
    );
  });
});
