// Model-based test of the frame pool (fc.commands): a Map of plain arrays is the model; after every
// command every live frame's bytes and metadata must match it, and no live handle is handed out twice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/core/frame-pool.js';

const SLOT = 96;
const HEADROOM = 24;

interface Frame {
  bytes: number[];
  headroom: number;
  ingressIf: number;
  mark: number;
  ctId: number;
  traceId: number;
}
interface Model {
  frames: Map<number, Frame>;
  order: number[]; // live handles, for picking one by index
}

function pick(m: Model, i: number): number {
  return m.order[i % m.order.length]!;
}

function verify(m: Model, p: FramePool): void {
  expect(p.liveCount).toBe(m.frames.size);
  for (const [h, f] of m.frames) {
    expect(p.isLive(h)).toBe(true);
    expect(Array.from(p.view(h))).toEqual(f.bytes);
    expect(p.headroomOf(h)).toBe(f.headroom);
    expect(p.len[h]).toBe(f.bytes.length);
    expect([p.ingressIf[h], p.mark[h], p.ctId[h], p.traceId[h]]).toEqual([
      f.ingressIf,
      f.mark,
      f.ctId,
      f.traceId,
    ]);
    // The byte array is the chunk's: start indexes into it directly.
    if (f.bytes.length > 0) expect(p.bytesOf(h)[p.start[h]!]).toBe(f.bytes[0]);
  }
  expect(p.leaks()).toEqual([...m.frames.keys()].sort((a, b) => a - b));
}

type Cmd = fc.Command<Model, FramePool>;

class Alloc implements Cmd {
  check = () => true;
  run(m: Model, p: FramePool): void {
    const h = p.alloc();
    expect(h).toBeGreaterThanOrEqual(0);
    expect(m.frames.has(h)).toBe(false); // never hand out a live slot twice
    m.frames.set(h, { bytes: [], headroom: HEADROOM, ingressIf: -1, mark: 0, ctId: -1, traceId: -1 });
    m.order.push(h);
    verify(m, p);
  }
  toString = () => 'alloc';
}

class Free implements Cmd {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    p.free(h);
    m.frames.delete(h);
    m.order.splice(m.order.indexOf(h), 1);
    expect(p.isLive(h)).toBe(false);
    if (p.check) {
      const base = (h & p.chunkMask) * p.slotSize;
      expect(
        p
          .bytesOf(h)
          .subarray(base, base + p.slotSize)
          .every((b) => b === 0xdd),
      ).toBe(true);
    }
    verify(m, p);
  }
  toString = () => `free(#${this.i})`;
}

class Clone implements Cmd {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    const c = p.clone(h);
    expect(m.frames.has(c)).toBe(false);
    const f = m.frames.get(h)!;
    m.frames.set(c, { ...f, bytes: [...f.bytes] });
    m.order.push(c);
    verify(m, p);
  }
  toString = () => `clone(#${this.i})`;
}

class Write implements Cmd {
  constructor(
    readonly i: number,
    readonly data: number[],
  ) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    const f = m.frames.get(h)!;
    const fits = f.headroom + this.data.length <= SLOT;
    expect(p.copyIn(h, Uint8Array.from(this.data))).toBe(fits);
    if (fits) f.bytes = [...this.data];
    verify(m, p);
  }
  toString = () => `write(#${this.i}, ${this.data.length} bytes)`;
}

class Prepend implements Cmd {
  constructor(
    readonly i: number,
    readonly n: number,
    readonly fill: number,
  ) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    const f = m.frames.get(h)!;
    const ok = this.n <= f.headroom;
    expect(p.prepend(h, this.n)).toBe(ok);
    if (ok) {
      p.bytesOf(h).fill(this.fill, p.start[h]!, p.start[h]! + this.n);
      f.bytes = [...new Array<number>(this.n).fill(this.fill), ...f.bytes];
      f.headroom -= this.n;
    }
    verify(m, p);
  }
  toString = () => `prepend(#${this.i}, ${this.n})`;
}

class TrimFront implements Cmd {
  constructor(
    readonly i: number,
    readonly n: number,
  ) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    const f = m.frames.get(h)!;
    const ok = this.n <= f.bytes.length;
    expect(p.trimFront(h, this.n)).toBe(ok);
    if (ok) {
      f.bytes = f.bytes.slice(this.n);
      f.headroom += this.n;
    }
    verify(m, p);
  }
  toString = () => `trimFront(#${this.i}, ${this.n})`;
}

class SetMeta implements Cmd {
  constructor(
    readonly i: number,
    readonly v: [number, number, number, number],
  ) {}
  check = (m: Readonly<Model>) => m.order.length > 0;
  run(m: Model, p: FramePool): void {
    const h = pick(m, this.i);
    const f = m.frames.get(h)!;
    [f.ingressIf, f.mark, f.ctId, f.traceId] = this.v;
    p.ingressIf[h] = this.v[0];
    p.mark[h] = this.v[1];
    p.ctId[h] = this.v[2];
    p.traceId[h] = this.v[3];
    verify(m, p);
  }
  toString = () => `setMeta(#${this.i}, ${this.v.join(',')})`;
}

const idx = fc.nat(1000);
const commands = fc.commands(
  [
    fc.constant(new Alloc()),
    fc.constant(new Alloc()), // twice: bias towards growth
    idx.map((i) => new Free(i)),
    idx.map((i) => new Clone(i)),
    fc.tuple(idx, fc.array(fc.nat(255), { maxLength: SLOT })).map(([i, d]) => new Write(i, d)),
    fc.tuple(idx, fc.nat(HEADROOM + 8), fc.nat(255)).map(([i, n, b]) => new Prepend(i, n, b)),
    fc.tuple(idx, fc.nat(SLOT)).map(([i, n]) => new TrimFront(i, n)),
    fc
      .tuple(
        idx,
        fc.integer({ min: -1, max: 4096 }),
        fc.nat(0xffffffff),
        fc.integer({ min: -1, max: 1 << 20 }),
        fc.integer({ min: -1, max: 1 << 20 }),
      )
      .map(([i, a, b, c, d]) => new SetMeta(i, [a, b, c, d])),
  ],
  { maxCommands: 80 },
);

describe.each([false, true])('frame pool model (check=%s)', (check) => {
  it('matches a Map-of-arrays model through alloc/free/clone/write/prepend/trim sequences', () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        const pool = new FramePool({
          slotSize: SLOT,
          headroom: HEADROOM,
          slotsPerChunk: 4,
          initialSlots: 4,
          check,
        });
        fc.modelRun(() => ({ model: { frames: new Map(), order: [] }, real: pool }), cmds);
      }),
      { numRuns: 150 },
    );
  });
});
