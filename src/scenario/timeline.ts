// The timeline: every timed thing a scenario does, in the order it happens.
//
// Steps without `at` run at the previous step's time (after it, in file order); `after: T` is relative
// to the previous step. At equal times the order is: steps, then apps starting, then probes starting,
// then command expectations with `at`, each in file order — so a probe at 1s sees the configuration a
// step at 1s made. The order is a pure function of the file, which keeps runs deterministic.
//
// The scenario's own topology (its links) is the immer-managed desired configuration: a link step is a
// recipe on it, `produceWithPatches` yields the patches, and the runner applies exactly those to the
// data plane (timeline.ts computes them up front so they are also in the report).

import { enablePatches, type Patch, produceWithPatches } from 'immer';
import type {
  AppSpec,
  CommandExpect,
  CommandStep,
  LinkSpec,
  LinkStep,
  Scenario,
  TrafficSpec,
} from './types.js';
import { isCommandExpect, isCommandStep } from './types.js';

enablePatches();

export type Action =
  | { readonly t: number; readonly kind: 'commands'; readonly step: CommandStep; readonly host: string }
  | {
      readonly t: number;
      readonly kind: 'link';
      readonly step: LinkStep;
      readonly linkIndex: number;
      readonly patches: readonly Patch[];
      readonly after: LinkSpec;
    }
  | { readonly t: number; readonly kind: 'app'; readonly app: AppSpec }
  | { readonly t: number; readonly kind: 'probe'; readonly probe: TrafficSpec }
  | { readonly t: number; readonly kind: 'check'; readonly expect: CommandExpect; readonly index: number };

const RANK: Readonly<Record<Action['kind'], number>> = { commands: 0, link: 0, app: 1, probe: 2, check: 3 };

/** The scenario's topology as immer state: what link steps modify. */
export interface Topology {
  readonly links: readonly LinkSpec[];
}

export function linkIndexOf(links: readonly LinkSpec[], host: string, dev: string): number {
  return links.findIndex(
    (l) => (l.a.host === host && l.a.dev === dev) || (l.b.host === host && l.b.dev === dev),
  );
}

/** A link step as an immer recipe on the topology. */
export function linkRecipe(step: LinkStep, index: number): (draft: { links: LinkSpec[] }) => void {
  return (draft) => {
    const l = draft.links[index] as { delay?: number; rate?: number; queue?: number };
    if (step.delay !== undefined) l.delay = step.delay;
    if (step.rate !== undefined) l.rate = step.rate;
    if (step.queue !== undefined) l.queue = step.queue;
  };
}

export function buildTimeline(s: Scenario): Action[] {
  const out: { a: Action; seq: number }[] = [];
  let seq = 0;
  let t = 0;
  let topo: Topology = { links: s.links ?? [] };
  for (const st of s.steps ?? []) {
    t = st.at ?? t + (st.after ?? 0);
    if (isCommandStep(st)) {
      for (const host of st.in) out.push({ a: { t, kind: 'commands', step: st, host }, seq: seq++ });
    } else {
      const i = linkIndexOf(topo.links, st.link.host, st.link.dev);
      const [next, patches] = produceWithPatches(topo, linkRecipe(st, i) as (d: Topology) => void);
      topo = next;
      out.push({
        a: { t, kind: 'link', step: st, linkIndex: i, patches, after: next.links[i]! },
        seq: seq++,
      });
    }
  }
  for (const app of s.apps ?? []) out.push({ a: { t: app.at ?? 0, kind: 'app', app }, seq: seq++ });
  for (const probe of s.traffic ?? [])
    out.push({ a: { t: probe.at ?? 0, kind: 'probe', probe }, seq: seq++ });
  (s.expect ?? []).forEach((e, index) => {
    if (isCommandExpect(e) && e.at !== undefined)
      out.push({ a: { t: e.at, kind: 'check', expect: e, index }, seq: seq++ });
  });
  out.sort((x, y) => x.a.t - y.a.t || RANK[x.a.kind] - RANK[y.a.kind] || x.seq - y.seq);
  return out.map((x) => x.a);
}
