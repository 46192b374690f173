// Running a loaded scenario: build the world, schedule the timeline as simulator events, run, check
// the expectations and collect what the report needs.
//
// Determinism: every timed action (steps, app and probe starts, timed command checks) is a simulator
// event of one kind ('scenario', target = action index) scheduled up front in timeline order, so the
// run is a pure function of (file, seed). The run fingerprint hashes every processed event.
//
// End of the run: `until` when given (option or file); otherwise when every probe has called done()
// and the last timed action has run, plus `settle` — capped at the worst case (each probe's start +
// (count-1)·interval + timeout, or the last action) plus `settle`.

import { dirname } from 'node:path';
import { CommandError, runCommandLine } from '../control/command.js';
import type { Rng } from '../core/rng.js';
import { S } from '../core/time.js';
import { engineOf, setWorldFileBase, setWorldImages } from '../docker/engine.js';
import type { FrameTap } from '../net/device.js';
import { DevKind } from '../net/device.js';
import { createPair } from '../net/devices/veth.js';
import { Drop } from '../net/drop-reason.js';
import { DEFAULT_LINK } from '../net/link.js';
import type { Namespace } from '../net/namespace.js';
import { World } from '../net/world.js';
import { Fingerprint } from '../trace/fingerprint.js';
import type { PcapngWriter } from '../trace/pcapng.js';
import { noteRuleSources } from '../trace/rule-text.js';
import { tryParseIpv4 } from '../wire/ipv4-address.js';
import {
  type App,
  type AppContext,
  type AppKind,
  type AppOptionsByKind,
  appFactory,
  type DnsOptions,
  type Observation,
  type Sighting,
} from './app-registry.js';
import { commandLines } from './commands.js';
import { StepError } from './errors.js';
import { type CheckResult, type CommandOutcome, checkExpectations } from './expect.js';
import { exposedPorts } from './images.js';
import type { LoadedScenario } from './load.js';
import { containerNameserver, parseNsRef, resolveNsRef } from './ns-ref.js';
import { type Action, buildTimeline } from './timeline.js';
import {
  type AppSpec,
  type CommandExpect,
  isCommandExpect,
  isDns,
  isPing,
  isTcp,
  isUdp,
  type LinkSpec,
  type TrafficSpec,
} from './types.js';

export const DEFAULTS = {
  settleNs: 1 * S,
  ping: { count: 1, intervalNs: 1 * S, size: 56, timeoutNs: 5 * S },
  udp: { count: 1, intervalNs: 1 * S, payload: 'hi', timeoutNs: 1 * S },
  tcp: { timeoutNs: 5 * S },
  dns: { timeoutNs: 5 * S, port: 53 },
} as const;

export interface RunOptions {
  /** Overrides the file's seed. */
  seed?: number | string;
  /** Overrides the file's `until`. */
  untilNs?: number;
  /** Frame-pool check mode (poison freed slots, detect double free and leaks). */
  check?: boolean;
  /** Capture every device's frames into this writer (one interface per device, `ns/dev`). */
  capture?: PcapngWriter;
  /**
   * Explanations: trace the packets of these probes (by name), or of every probe ('all'). Each
   * packet a probe sends opens a trace (`AppContext.openTrace`); `RunOutcome.traces` lists them.
   */
  trace?: 'all' | readonly string[];
  /** Called now and then during the run (after every chunk of events). */
  onProgress?: (p: Progress) => void;
  /** Events per chunk between progress calls (default 200 000). */
  chunkEvents?: number;
}

export interface Progress {
  nowNs: number;
  endNs: number;
  events: number;
}

export interface TimelineEntry {
  atNs: number;
  what: string;
  patches?: unknown[];
}

export interface LogEntry {
  atNs: number;
  in: string;
  command: string;
  stdout: string;
}

export interface RunOutcome {
  seed: number | string;
  checks: CheckResult[];
  ok: boolean;
  probes: Record<string, Observation>;
  servers: Record<string, Observation>;
  sightings: Sighting[];
  world: World;
  events: number;
  endNs: number;
  endReason: string;
  wallMs: number;
  fingerprint: string;
  timeline: TimelineEntry[];
  log: LogEntry[];
  warnings: string[];
  /** Probe name → ids of its traces in `world.tracer` (only probes traced with `trace`). */
  traces: Record<string, number[]>;
}

/** A probe's worst-case duration: when it must have finished at the latest. */
export function probeWorstNs(t: TrafficSpec): number {
  if (isPing(t)) {
    const d = DEFAULTS.ping;
    return ((t.count ?? d.count) - 1) * (t.interval ?? d.intervalNs) + (t.timeout ?? d.timeoutNs);
  }
  if (isUdp(t)) {
    const d = DEFAULTS.udp;
    return ((t.count ?? d.count) - 1) * (t.interval ?? d.intervalNs) + (t.timeout ?? d.timeoutNs);
  }
  if (isDns(t)) return t.timeout ?? DEFAULTS.dns.timeoutNs;
  return t.timeout ?? DEFAULTS.tcp.timeoutNs;
}

/** The options an app factory receives, with defaults applied. */
export function probeOptions(t: TrafficSpec): { kind: AppKind; opts: AppOptionsByKind[AppKind] } {
  if (isPing(t)) {
    const d = DEFAULTS.ping;
    return {
      kind: 'ping',
      opts: {
        dst: t.ping,
        dstAddr: tryParseIpv4(t.ping),
        count: t.count ?? d.count,
        intervalNs: t.interval ?? d.intervalNs,
        ttl: t.ttl ?? null,
        size: t.size ?? d.size,
        ...(t.df === undefined ? {} : { df: t.df }),
        timeoutNs: t.timeout ?? d.timeoutNs,
      },
    };
  }
  if (isUdp(t)) {
    const d = DEFAULTS.udp;
    return {
      kind: 'udp',
      opts: {
        dst: t.udp.addr,
        dstAddr: tryParseIpv4(t.udp.addr),
        port: t.udp.port,
        sport: t.sport ?? null,
        payload: t.payload ?? d.payload,
        count: t.count ?? d.count,
        intervalNs: t.interval ?? d.intervalNs,
        ttl: t.ttl ?? null,
        timeoutNs: t.timeout ?? d.timeoutNs,
      },
    };
  }
  if (isDns(t)) {
    return {
      kind: 'dns',
      opts: {
        name: t.dns,
        type: t.type ?? 'A',
        server: t.server ?? '',
        port: t.port ?? DEFAULTS.dns.port,
        timeoutNs: t.timeout ?? DEFAULTS.dns.timeoutNs,
      },
    };
  }
  if (!isTcp(t)) throw new Error('unknown probe kind');
  return {
    kind: 'tcp',
    opts: {
      dst: t.tcp.addr,
      dstAddr: tryParseIpv4(t.tcp.addr),
      port: t.tcp.port,
      sport: t.sport ?? null,
      payload: t.payload ?? null,
      ttl: t.ttl ?? null,
      timeoutNs: t.timeout ?? DEFAULTS.tcp.timeoutNs,
    },
  };
}

export function serverLabel(a: AppSpec): string {
  return `${a.in}:${a.serve}/${a.port}`;
}

/** Runs `cmd` in `ns`; CommandError becomes `{error}`. Other exceptions are netsim bugs and propagate. */
export function tryCommand(world: World, ns: Namespace, cmd: string): CommandOutcome {
  try {
    return { stdout: runCommandLine({ world, ns }, cmd).stdout, error: null };
  } catch (e) {
    if (e instanceof CommandError) return { stdout: '', error: e.message };
    throw e;
  }
}

/** LINKTYPE_RAW (tcpdump.org link-layer header types): a bare IPv4/IPv6 packet. */
const LINKTYPE_RAW = 101;

/** Writes every frame a device sends or receives into the capture, one interface per device. */
class CaptureTap implements FrameTap {
  private readonly ifIds: number[] = [];
  constructor(
    private readonly world: World,
    private readonly writer: PcapngWriter,
  ) {}
  frame(devId: number, _dir: 0 | 1, h: number): void {
    let id = this.ifIds[devId];
    if (id === undefined) {
      const dev = this.world.devices[devId]!;
      // ARPHRD_TUNNEL devices (ipip) carry bare IPv4 packets: LINKTYPE_RAW, as tcpdump records them.
      id = this.writer.addInterface(
        `${dev.ns.name}/${dev.name}`,
        dev.kind === DevKind.Ipip ? { linkType: LINKTYPE_RAW } : {},
      );
      this.ifIds[devId] = id;
    }
    const pool = this.world.pool;
    this.writer.writePacket(id, this.world.sim.now, pool.bytesOf(h), pool.start[h]!, pool.len[h]!);
  }
}

export function runScenario(loaded: LoadedScenario, opts: RunOptions = {}): RunOutcome {
  const wallStart = performance.now();
  const s = loaded.scenario;
  const seed = opts.seed ?? s.seed ?? 1;
  const world = new World({ seed, check: opts.check ?? false });
  const sim = world.sim;
  const fp = new Fingerprint();
  fp.text(String(seed));
  sim.onEvent = (kind, target, _arg, now) => fp.event(now, kind, target);

  const warnings: string[] = [];
  const timelineLog: TimelineEntry[] = [];
  const log: LogEntry[] = [];
  const sightings: Sighting[] = [];
  let failure: StepError | null = null;

  const fail = (
    item: object,
    sub: (string | number)[],
    index: number | null,
    text: string,
    message: string,
    at: number,
  ) => {
    const l = index === null ? loaded.locate(item, sub) : loaded.locateLine(item, sub, index, text);
    failure = new StepError(
      {
        file: loaded.source.file,
        pos: l.pos,
        where: l.where,
        message,
        snippet: loaded.source.snippet(l.pos),
      },
      at,
    );
    sim.stop();
  };

  // 1. Namespaces and scenario links.
  const nsOf = new Map<string, Namespace>();
  for (const h of s.hosts) nsOf.set(h.name, world.addNamespace(h.name));
  const linkDirs: {
    ab: { setParams(p: typeof DEFAULT_LINK): void };
    ba: { setParams(p: typeof DEFAULT_LINK): void };
  }[] = [];
  const linkParams = (l: LinkSpec) => ({
    delayNs: l.delay ?? DEFAULT_LINK.delayNs,
    rateBps: l.rate ?? DEFAULT_LINK.rateBps,
    queueLimit: l.queue ?? DEFAULT_LINK.queueLimit,
  });
  for (const l of s.links ?? []) {
    const nsA = nsOf.get(l.a.host)!;
    const nsB = nsOf.get(l.b.host)!;
    for (const [ns, ref, end] of [
      [nsA, l.a, 'a'],
      [nsB, l.b, 'b'],
    ] as const) {
      if (ns.device(ref.dev) !== undefined) {
        fail(l, [end], null, '', `${ref.host} already has a device named "${ref.dev}"`, 0);
      }
    }
    if (failure !== null) throw failure;
    const [a, b] = createPair(world, nsA, l.a.dev, nsB, l.b.dev, DevKind.Ether, linkParams(l));
    for (const d of [a, b]) {
      const mac = d.ns.randomMac();
      d.macHi = mac.hi;
      d.macLo = mac.lo;
      if (l.mtu !== undefined) d.mtu = l.mtu;
    }
    nsA.attach(a);
    nsB.attach(b);
    linkDirs.push({ ab: a.txDir!, ba: b.txDir! });
  }

  // 2. Host sysctls, in file order.
  for (const h of s.hosts) {
    for (const [key, value] of Object.entries(h.sysctl ?? {})) {
      const r = tryCommand(world, nsOf.get(h.name)!, `sysctl -q -w ${key}=${value}`);
      if (r.error !== null) fail(h, ['sysctl', key], null, '', r.error, 0);
      if (failure !== null) throw failure;
    }
    // The host's /etc/resolv.conf, as its Docker engine reads it (no engine runs until a step asks).
    if (h.resolvConf !== undefined) engineOf(world, nsOf.get(h.name)!).hostResolvConf = h.resolvConf;
  }

  // 3. Apps and probes are created now and started by their timeline events.
  const apps = new Map<string, App>();
  const unavailable = new Map<string, Observation>();
  let pendingProbes = 0;
  let lastDoneNs = 0;
  const endKind = sim.registerKind('scenario-end', () => sim.stop());
  const actions = buildTimeline(s);
  const lastActionNs = actions.reduce((m, a) => Math.max(m, a.t), 0);
  const settle = s.settle ?? DEFAULTS.settleNs;
  let endScheduled = false;
  const untilNs = opts.untilNs ?? s.until;

  // Explanations: which probes' packets are traced, and the traces each opened.
  const traces: Record<string, number[]> = {};
  const traceProbe = (name: string, isProbe: boolean): ((label: string) => number) | undefined => {
    const want = opts.trace;
    if (!isProbe || want === undefined || (want !== 'all' && !want.includes(name))) return undefined;
    const ids: number[] = [];
    traces[name] = ids;
    return (label: string) => {
      const id = world.tracer.open(label);
      ids.push(id);
      return id;
    };
  };
  const makeApp = (
    name: string,
    where: Namespace | { ref: string; item: object; key: string },
    kind: AppKind,
    options: AppOptionsByKind[AppKind],
    isProbe: boolean,
  ) => {
    const factory = appFactory(kind);
    if (factory === undefined) {
      unavailable.set(name, { kind, unavailable: `no "${kind}" application is registered yet` });
      warnings.push(`${name}: no "${kind}" application is registered yet; it did not run`);
      return;
    }
    let doneCalled = false;
    const rng: Rng = sim.rng.stream(`app:${name}`);
    const ctxIn = (ns: Namespace): AppContext => ({
      world,
      ns,
      name,
      rng,
      sightings,
      openTrace: traceProbe(name, isProbe),
      done: () => {
        if (!isProbe || doneCalled) return;
        doneCalled = true;
        pendingProbes--;
        lastDoneNs = sim.now;
        if (pendingProbes === 0 && untilNs === undefined && !endScheduled) {
          endScheduled = true;
          sim.at(Math.max(lastDoneNs, lastActionNs) + settle, endKind, 0, 0);
        }
      },
    });
    if (isProbe) pendingProbes++;
    if (!('ref' in where)) {
      apps.set(name, factory(ctxIn(where), options));
      return;
    }
    // A container (ns-ref.ts): resolved when the app starts, since docker steps create containers.
    let inner: App | null = null;
    let error: string | null = null;
    apps.set(name, {
      start() {
        const ns = resolveNsRef(world, nsOf, where.ref);
        if (typeof ns === 'string') {
          error = ns;
          fail(where.item, [where.key], null, '', `${where.key}: ${where.ref}: ${ns}`, sim.now);
          return;
        }
        let o = options;
        if (kind === 'dns' && (o as DnsOptions).server === '') {
          // A container's stub resolver asks its resolv.conf nameserver (127.0.0.11 with the
          // embedded DNS server).
          const server = containerNameserver(ns);
          if (server === null) {
            error = 'no nameserver in the container’s /etc/resolv.conf';
            fail(where.item, [where.key], null, '', `${where.key}: ${where.ref}: ${error}`, sim.now);
            return;
          }
          o = { ...(o as DnsOptions), server };
        }
        inner = factory(ctxIn(ns), o);
        inner.start();
      },
      observe: () => inner?.observe() ?? { kind, unavailable: error ?? 'did not start' },
    });
  };
  const whereOf = (ref: string, item: object, key: string) =>
    parseNsRef(ref, nsOf).container === null ? nsOf.get(ref)! : { ref, item, key };
  for (const a of s.apps ?? []) {
    const opts = {
      port: a.port,
      ...(a.address !== undefined ? { addr: tryParseIpv4(a.address) >>> 0 } : {}),
      ...(a.records !== undefined ? { records: a.records } : {}),
    };
    makeApp(serverLabel(a), whereOf(a.in, a, 'in'), a.serve, opts, false);
  }
  // Container images (`images:`): their servers start in a container's namespace when `docker run`
  // or `docker start` starts it (src/docker/engine.ts). Labels are CONTAINER:KIND/PORT.
  setWorldFileBase(world, dirname(loaded.source.file));
  if (s.images !== undefined) {
    const defs = Object.fromEntries(
      Object.entries(s.images).map(([n, d]) => [n, { serve: d.serve, exposed: exposedPorts(d) }]),
    );
    setWorldImages(world, defs, (ns, label, kind, port) => {
      let name = label;
      for (let i = 2; apps.has(name); i++) name = `${label}#${i}`;
      makeApp(name, ns, kind as AppKind, { port }, false);
      apps.get(name)?.start();
    });
  }
  for (const t of s.traffic ?? []) {
    const { kind, opts: o } = probeOptions(t);
    makeApp(t.name, whereOf(t.from, t, 'from'), kind, o, true);
  }

  // 4. Capture taps on every device, including ones commands create later.
  let tapped = 0;
  const tap = opts.capture ? new CaptureTap(world, opts.capture) : null;
  const tapNew = () => {
    if (tap === null) return;
    for (; tapped < world.devices.length; tapped++) world.devices[tapped]!.tap = tap;
  };
  tapNew();

  // 5. The timeline as events.
  const commandOutcomes = new Map<number, CommandOutcome>();
  const perform = (a: Action): void => {
    const now = sim.now;
    switch (a.kind) {
      case 'commands': {
        const ns = nsOf.get(a.host)!;
        timelineLog.push({ atNs: now, what: `${a.host}: run ${commandLines(a.step.run).length} command(s)` });
        for (const c of commandLines(a.step.run)) {
          const r = tryCommand(world, ns, c.text);
          if (r.error !== null) {
            fail(
              a.step,
              c.listItem ? ['run', c.index] : ['run'],
              c.index,
              c.text,
              `${c.text}: ${r.error}`,
              now,
            );
            return;
          }
          if (r.stdout !== '') log.push({ atNs: now, in: a.host, command: c.text, stdout: r.stdout });
          if (opts.trace !== undefined) {
            // Rules this line created are attributed to it in explanations (`file:line`).
            const l = loaded.locateLine(a.step, c.listItem ? ['run', c.index] : ['run'], c.index, c.text);
            noteRuleSources(world, `${loaded.source.file}:${l.pos.line}`);
          }
        }
        break;
      }
      case 'link': {
        const dirs = linkDirs[a.linkIndex]!;
        const p = linkParams(a.after);
        dirs.ab.setParams(p);
        dirs.ba.setParams(p);
        timelineLog.push({
          atNs: now,
          what: `link ${a.step.link.host}:${a.step.link.dev} changed`,
          patches: [...a.patches],
        });
        break;
      }
      case 'app': {
        timelineLog.push({ atNs: now, what: `start ${serverLabel(a.app)}` });
        apps.get(serverLabel(a.app))?.start();
        break;
      }
      case 'probe': {
        timelineLog.push({ atNs: now, what: `start probe ${a.probe.name}` });
        apps.get(a.probe.name)?.start();
        break;
      }
      case 'check': {
        commandOutcomes.set(a.index, tryCommand(world, nsOf.get(a.expect.in)!, a.expect.run));
        break;
      }
    }
    tapNew();
  };
  const actionKind = sim.registerKind('scenario', (i) => perform(actions[i]!));
  for (let i = 0; i < actions.length; i++) sim.at(actions[i]!.t, actionKind, i, 0);

  const probes = s.traffic ?? [];
  const worstNs =
    Math.max(lastActionNs, ...probes.map((t) => (t.at ?? 0) + (apps.has(t.name) ? probeWorstNs(t) : 0))) +
    settle;
  const endNs = untilNs ?? worstNs;
  if (pendingProbes === 0 && untilNs === undefined) {
    endScheduled = true;
    sim.at(lastActionNs + settle, endKind, 0, 0);
  }

  // 6. Run, in chunks so progress can be shown.
  const chunk = opts.chunkEvents ?? 200_000;
  let events = 0;
  let endReason = 'until';
  for (;;) {
    const r = sim.run({ until: endNs, maxEvents: chunk });
    events += r.events;
    opts.onProgress?.({ nowNs: sim.now, endNs, events });
    if (failure !== null) throw failure;
    if (r.reason === 'budget' && r.events >= chunk) continue;
    endReason = r.reason === 'stopped' ? 'settled' : r.reason;
    if (r.reason === 'budget') warnings.push(r.message ?? 'event budget exhausted');
    break;
  }

  // 7. Command expectations without a time run now; then observe every app.
  (s.expect ?? []).forEach((e, i) => {
    if (isCommandExpect(e) && e.at === undefined) {
      commandOutcomes.set(i, tryCommand(world, nsOf.get((e as CommandExpect).in)!, e.run));
    }
  });
  const observe = (name: string): Observation => {
    const u = unavailable.get(name);
    if (u !== undefined) return u;
    return apps.get(name)!.observe();
  };
  const probeObs: Record<string, Observation> = {};
  for (const t of probes) probeObs[t.name] = observe(t.name);
  const serverObs: Record<string, Observation> = {};
  for (const a of s.apps ?? []) serverObs[serverLabel(a)] = observe(serverLabel(a));

  const checks = checkExpectations(s.expect ?? [], {
    probes: new Map(Object.entries(probeObs)),
    commands: commandOutcomes,
    drops: (reason) => world.dropCounts[Drop[reason as keyof typeof Drop]] ?? 0,
  });

  return {
    seed,
    checks,
    ok: checks.every((c) => c.ok),
    probes: probeObs,
    servers: serverObs,
    sightings,
    world,
    events,
    endNs: sim.now,
    endReason,
    wallMs: performance.now() - wallStart,
    fingerprint: fp.hex(),
    timeline: timelineLog,
    log,
    warnings,
    traces,
  };
}
