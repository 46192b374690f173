// The scenario format, defined once: the validator, the printer and the JSON Schema all come from
// these codecs (codec.ts). Keys are kebab-case in files and camelCase in the loaded tree (types.ts).
//
//   netsim: 1                      format version (required)
//   seed, description, until, settle
//   hosts:   [name | {name, sysctl, resolv-conf}] or {name: {sysctl, resolv-conf} | null}
//   links:   [{a: host:dev, b: host:dev, delay, rate, queue, mtu}] or [[host:dev, host:dev]]
//   steps:   [{at | after, in, run}] | [{at | after, link: host:dev, delay, rate, queue}]
//   apps:    [{in, serve, port, at}]            in/from: HOST, HOST/CONTAINER or CONTAINER (ns-ref.ts)
//   traffic: [{name, from, at, ping | udp | tcp, …}]
//   expect:  [{probe, …} | {in, run, output-…} | {drops, count | min | max}]
// Any list may hold `{repeat: {var: 1..N}, each: item}` blocks (repeat.ts).

import { DROP_REASON_NAMES } from '../net/drop-reason.js';
import {
  boolean,
  type Codec,
  type DecodeContext,
  INVALID,
  integer,
  isPlainObject,
  type JsonSchema,
  list,
  literal,
  map,
  object,
  oneOfStrings,
  oneOrMany,
  opt,
  record,
  req,
  setOrigin,
  shapes,
  string,
  textual,
  variants,
} from './codec.js';
import { imagesCodec } from './images.js';
import { nsRefCodec } from './ns-ref.js';
import {
  type AppSpec,
  type CommandExpect,
  type CommandStep,
  type DropExpect,
  type ExpectSpec,
  type HostSpec,
  type LinkSpec,
  type LinkStep,
  PROBE_ERRORS,
  type ProbeExpect,
  type RunBlock,
  type Scenario,
  SERVER_KINDS,
  type StepSpec,
  type TrafficSpec,
} from './types.js';
import { addrMaybePort, deviceRef, duration, endpoint, HOST_NAME, ipv4Address, rate } from './units.js';

export const hostName = (): Codec<string> =>
  string({ expected: 'a host name like c1 (letters, digits, _ . -)', pattern: HOST_NAME });

const sysctlValue = textual<string>({
  expected: 'a sysctl value',
  parse: (t) => ({ ok: true, value: t }),
  format: (v) => v,
  acceptNumber: true,
});

const sysctlMap: Codec<Readonly<Record<string, string>>> = (() => {
  const key = /^[a-z0-9_]+(\.[A-Za-z0-9_@-]+)+$/;
  return {
    expected: 'a mapping of sysctl keys to values',
    decode(raw, path, ctx) {
      if (!isPlainObject(raw)) return ctx.issue(path, `expected a mapping of sysctl keys to values`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) {
        if (!key.test(k)) {
          ctx.issue([...path, k], `expected a sysctl key like net.ipv4.ip_forward, got "${k}"`, true);
          continue;
        }
        const d = sysctlValue.decode(v, [...path, k], ctx);
        if (d !== INVALID) out[k] = d;
      }
      return out;
    },
    encode: (v) => ({ ...v }),
    jsonSchema: () => ({
      type: 'object',
      description: 'sysctl key → value, applied when the namespace is created',
      additionalProperties: sysctlValue.jsonSchema(),
    }),
  };
})();

const resolvConfText = () =>
  opt(
    string({ expected: "the text of the host's /etc/resolv.conf" }),
    "the host's /etc/resolv.conf (Docker copies it into containers; its nameservers are the embedded DNS server's upstreams)",
  );
const hostObject = object(
  { name: req(hostName()), sysctl: opt(sysctlMap), 'resolv-conf': resolvConfText() },
  { expected: 'a host: a name, or {name, sysctl, resolv-conf}' },
);
const hostEntry: Codec<HostSpec> = shapes<HostSpec>(
  {
    string: map(
      hostName(),
      (name) => ({ name }),
      (h) => h.name,
    ),
    mapping: hostObject,
  },
  {
    expected: 'a host name or {name, sysctl, resolv-conf}',
    encode: (h) => (h.sysctl || h.resolvConf !== undefined ? hostObject.encode(h) : h.name),
  },
);
const hostsList = list(hostEntry, { min: 1, repeatable: true });

/** `hosts: {c1: {sysctl: …}, c2: null}` — the mapping form; decodes to the same list. */
const hostsMap: Codec<readonly HostSpec[]> = (() => {
  const options = object(
    { sysctl: opt(sysctlMap), 'resolv-conf': resolvConfText() },
    { expected: 'host options {sysctl, resolv-conf}' },
  );
  return {
    expected: 'a mapping of host names to options',
    decode(raw, path, ctx) {
      if (!isPlainObject(raw)) return ctx.issue(path, 'expected a mapping of host names to options');
      const out: HostSpec[] = [];
      let ok = true;
      for (const [name, v] of Object.entries(raw)) {
        if (!HOST_NAME.test(name)) {
          ctx.issue([...path, name], `expected a host name like c1, got "${name}"`, true);
          ok = false;
          continue;
        }
        const at = [...path, name];
        if (v === null || v === undefined) {
          const h = { name };
          setOrigin(h, at, ctx.note);
          out.push(h);
          continue;
        }
        const o = options.decode(v, at, ctx);
        if (o === INVALID) ok = false;
        else {
          const h = { name, ...o };
          setOrigin(h, at, ctx.note);
          out.push(h);
        }
      }
      if (ok && out.length === 0) return ctx.issue(path, 'expected at least one host');
      return ok ? out : INVALID;
    },
    encode: (v) =>
      Object.fromEntries(
        v.map((h) => [
          h.name,
          h.sysctl || h.resolvConf !== undefined
            ? {
                ...(h.sysctl ? { sysctl: { ...h.sysctl } } : {}),
                ...(h.resolvConf !== undefined ? { 'resolv-conf': h.resolvConf } : {}),
              }
            : null,
        ]),
      ),
    jsonSchema: () => ({
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: HOST_NAME.source },
      additionalProperties: { anyOf: [{ type: 'null' }, options.jsonSchema()] },
    }),
  };
})();

export const hostsCodec: Codec<readonly HostSpec[]> = shapes(
  { list: hostsList, mapping: hostsMap },
  {
    expected: 'a list of host names or a mapping of host names to options',
    encode: (v) => hostsList.encode(v),
    description: 'Hosts: each is a network namespace',
  },
);

const linkFields = {
  a: req(deviceRef(), 'one end, host:interface (the NIC is created)'),
  b: req(deviceRef(), 'the other end'),
  delay: opt(duration(), 'one-way propagation delay (default 0)'),
  rate: opt(rate(), 'serialisation rate (default: infinitely fast)'),
  queue: opt(integer({ min: 1 }), 'transmit queue limit in frames (default 1000)'),
  mtu: opt(integer({ min: 68, max: 65535 }), 'MTU of both NICs (default 1500)'),
};
const linkObject = object(linkFields, { expected: 'a link {a, b, delay, rate, queue, mtu}' });
const linkPair: Codec<LinkSpec> = (() => {
  const ref = deviceRef();
  return {
    expected: 'a pair [host:dev, host:dev]',
    decode(raw, path, ctx) {
      if (!Array.isArray(raw) || raw.length !== 2) {
        return ctx.issue(path, 'expected a pair [host:dev, host:dev] or a mapping {a, b, …}');
      }
      const a = ref.decode(raw[0], [...path, 0], ctx);
      const b = ref.decode(raw[1], [...path, 1], ctx);
      return a === INVALID || b === INVALID ? INVALID : { a, b };
    },
    encode: (v) => [ref.encode(v.a), ref.encode(v.b)],
    jsonSchema: () => ({ type: 'array', items: ref.jsonSchema(), minItems: 2, maxItems: 2 }),
  };
})();
const linkCodec: Codec<LinkSpec> = shapes(
  { list: linkPair, mapping: linkObject },
  { expected: 'a link {a, b, …} or a pair [host:dev, host:dev]', encode: (v) => linkObject.encode(v) },
);

export const runBlock: Codec<RunBlock> = shapes<RunBlock>(
  { string: string(), list: list(string()) },
  {
    expected: 'command lines (a block of text, one command a line, or a list)',
    encode: (v) => (typeof v === 'string' ? v : [...v]),
    description: 'command lines: ip, bridge, sysctl, …',
  },
);

function exclusiveTime(
  v: { at?: number; after?: number },
  path: readonly (string | number)[],
  ctx: DecodeContext,
) {
  if (v.at !== undefined && v.after !== undefined) ctx.issue(path, '"at" and "after" cannot both be given');
}

const timing = {
  at: opt(duration(), 'absolute simulated time (default: the previous step’s time)'),
  after: opt(duration(), 'time after the previous step'),
  name: opt(string()),
};

const commandStep = object(
  {
    ...timing,
    in: req(oneOrMany(hostName()), 'the host (namespace) to run in, or a list of hosts'),
    run: req(runBlock),
  },
  { expected: 'a step {at, in, run}', check: exclusiveTime },
);
const linkStep = object(
  {
    ...timing,
    link: req(deviceRef(), 'either end of a scenario link'),
    delay: opt(duration()),
    rate: opt(rate()),
    queue: opt(integer({ min: 1 })),
  },
  { expected: 'a link change {at, link, delay, rate, queue}', check: exclusiveTime },
);
export const stepCodec: Codec<StepSpec> = variants<StepSpec>(
  [
    { key: 'run', codec: commandStep },
    { key: 'link', codec: linkStep },
  ],
  { expected: 'a step', description: 'A timeline step: commands in a namespace, or a link change' },
);

const appCodec: Codec<AppSpec> = object(
  {
    in: req(nsRefCodec(), 'the host, or a container: HOST/CONTAINER or a container name (ns-ref.ts)'),
    serve: req(oneOfStrings(SERVER_KINDS), 'the server application'),
    port: req(integer({ min: 1, max: 65535 })),
    address: opt(ipv4Address(), 'the local address to bind (default: every address, 0.0.0.0)'),
    records: opt(record(oneOrMany(ipv4Address())), '(dns-server) A records: {NAME: ADDR or [ADDR, …]}'),
    at: opt(duration(), 'start time (default 0)'),
    name: opt(string()),
  },
  { expected: 'an app {in, serve, port}' },
);

const probeName = string({ expected: 'a probe name', pattern: /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/ });
const probeCommon = {
  name: req(probeName, 'unique name that expectations refer to'),
  from: req(
    nsRefCodec(),
    'the host that sends, or a container: HOST/CONTAINER or a container name, resolved when the probe starts',
  ),
  at: opt(duration(), 'start time (default 0)'),
};
const port = integer({ min: 1, max: 65535 });
const pingTraffic = object(
  {
    ...probeCommon,
    ping: req(ipv4Address()),
    count: opt(integer({ min: 1 }), 'echo requests (default 1)'),
    interval: opt(duration(), 'between requests (default 1s)'),
    ttl: opt(integer({ min: 1, max: 255 })),
    size: opt(integer({ min: 0, max: 65507 }), 'payload bytes (default 56)'),
    df: opt(
      boolean(),
      "don't fragment: true = ping -M do, false = -M dont (default: DF when the packet fits the route's MTU)",
    ),
    timeout: opt(duration(), 'wait after the last request (default 5s)'),
  },
  { expected: 'a ping probe' },
);
const udpTraffic = object(
  {
    ...probeCommon,
    udp: req(endpoint()),
    sport: opt(port),
    payload: opt(string()),
    count: opt(integer({ min: 1 }), 'datagrams (default 1)'),
    interval: opt(duration()),
    ttl: opt(integer({ min: 1, max: 255 })),
    timeout: opt(duration(), 'wait for a reply (default 1s)'),
  },
  { expected: 'a UDP probe' },
);
const tcpTraffic = object(
  {
    ...probeCommon,
    tcp: req(endpoint()),
    sport: opt(port),
    payload: opt(string()),
    ttl: opt(integer({ min: 1, max: 255 })),
    timeout: opt(duration(), 'give up connecting/waiting after (default 5s)'),
  },
  { expected: 'a TCP probe' },
);
const dnsTraffic = object(
  {
    ...probeCommon,
    dns: req(string({ expected: 'a name to look up (or an address, with type: PTR)' })),
    type: opt(oneOfStrings(['A', 'PTR'] as const), 'query type (default A)'),
    server: opt(ipv4Address(), 'nameserver (default: the container’s resolv.conf nameserver)'),
    port: opt(port, 'nameserver port (default 53)'),
    timeout: opt(duration(), 'wait for the answer (default 5s)'),
  },
  { expected: 'a DNS probe' },
);
export const trafficCodec: Codec<TrafficSpec> = variants<TrafficSpec>(
  [
    { key: 'ping', codec: pingTraffic },
    { key: 'udp', codec: udpTraffic },
    { key: 'tcp', codec: tcpTraffic },
    { key: 'dns', codec: dnsTraffic },
  ],
  { expected: 'a probe', description: 'A probe: ping, udp, tcp or dns' },
);

const probeExpect = object(
  {
    probe: req(probeName, 'the traffic entry’s name'),
    transmitted: opt(integer({ min: 0 })),
    received: opt(integer({ min: 0 })),
    delivered: opt(boolean(), 'the server application received the data'),
    replied: opt(boolean(), 'a reply came back to the probe'),
    connected: opt(boolean(), 'TCP handshake completed'),
    error: opt(oneOfStrings(PROBE_ERRORS)),
    'server-saw-source': opt(addrMaybePort(), 'source address[:port] the server saw (after NAT)'),
    'server-saw-destination': opt(addrMaybePort()),
    'reply-from': opt(ipv4Address()),
    'reply-ttl': opt(integer({ min: 0, max: 255 })),
    icmp: opt(
      object({
        type: req(integer({ min: 0, max: 255 })),
        code: opt(integer({ min: 0, max: 255 })),
        from: opt(ipv4Address()),
      }),
      'an ICMP error the probe received',
    ),
    'rtt-max': opt(duration(), 'every round trip at most this long'),
    rcode: opt(oneOfStrings(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const)),
    answers: opt(list(string()), 'the DNS answers (A addresses, PTR names), in any order'),
    note: opt(string()),
  },
  { expected: 'a probe expectation' },
);

const regexText = textual<string>({
  expected: 'a regular expression',
  parse: (t) => {
    try {
      new RegExp(t, 'm');
      return { ok: true, value: t };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  },
  format: (v) => v,
});

const commandExpect = object(
  {
    in: req(hostName()),
    run: req(string({ expected: 'a command line' })),
    at: opt(duration(), 'when to run it (default: at the end of the run)'),
    'output-contains': opt(oneOrMany(string())),
    'output-lacks': opt(oneOrMany(string())),
    'output-matches': opt(regexText),
    'output-equals': opt(string()),
    fails: opt(boolean(), 'the command must fail'),
    'error-contains': opt(string()),
    note: opt(string()),
  },
  { expected: 'a command expectation' },
);

const dropNames = DROP_REASON_NAMES.filter((n) => n !== 'NotSpecified');
const dropExpect = object(
  {
    drops: req(oneOfStrings(dropNames), 'a drop reason'),
    count: opt(integer({ min: 0 })),
    min: opt(integer({ min: 0 })),
    max: opt(integer({ min: 0 })),
    note: opt(string()),
  },
  { expected: 'a drop-count expectation' },
);

export const expectCodec: Codec<ExpectSpec> = variants<ExpectSpec>(
  [
    { key: 'probe', codec: probeExpect },
    { key: 'run', codec: commandExpect },
    { key: 'drops', codec: dropExpect },
  ],
  { expected: 'an expectation', description: 'An expectation on a probe, a command’s output or drop counts' },
);

const seedCodec: Codec<number | string> = {
  expected: 'an integer or a string',
  decode: (raw, path, ctx) =>
    (typeof raw === 'number' && Number.isSafeInteger(raw)) || typeof raw === 'string'
      ? raw
      : ctx.issue(path, `expected an integer or a string, got ${JSON.stringify(raw)}`),
  encode: (v) => v,
  jsonSchema: () => ({ type: ['integer', 'string'] }),
};

export const scenarioCodec: Codec<Scenario> = object(
  {
    netsim: req(literal(1), 'format version: 1'),
    seed: opt(seedCodec, 'seed for every random choice (default 1)'),
    description: opt(string()),
    hosts: req(hostsCodec),
    links: opt(list(linkCodec, { repeatable: true }), 'cables between hosts (NICs with delay, rate, queue)'),
    steps: opt(list(stepCodec, { repeatable: true }), 'the timeline'),
    apps: opt(list(appCodec, { repeatable: true }), 'servers'),
    images: opt(imagesCodec, 'container images for docker steps: {NAME: {serve: [KIND/PORT], expose}}'),
    traffic: opt(list(trafficCodec, { repeatable: true }), 'probes'),
    expect: opt(list(expectCodec, { repeatable: true }), 'expectations'),
    until: opt(duration(), 'end of the run (default: traffic done plus settle)'),
    settle: opt(duration(), 'time to run after the last probe finished (default 1s)'),
  },
  { expected: 'a scenario mapping', description: 'A netsim scenario' },
) as Codec<Scenario>;

// The typed tree the codecs produce must be the declared one (types.ts).
const _checks: [
  Codec<ProbeExpect>,
  Codec<CommandExpect>,
  Codec<DropExpect>,
  Codec<CommandStep>,
  Codec<LinkStep>,
] = [probeExpect, commandExpect, dropExpect, commandStep, linkStep];
void _checks;

export type { JsonSchema };
