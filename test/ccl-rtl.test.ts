/**
 * Streaming CCL core: generator checks, lint, and the bit-exact proof against the golden model on Verilator with
 * random valid/ready stalls, every cell size C and P values up to C, 8- and 4-connectivity, T > 1, every pixel
 * format, histograms, partial edge cells, the maximum number of live objects and one more, the most objects a
 * frame can hold, all streamed back to back in one simulation per configuration.
 * (Icarus runs the same vectors on a subset: ccl-rtl-icarus.test.ts. The full C × P matrix: bench/ccl-rtl-matrix.ts.)
 */
import { describe, it, expect } from 'vitest';
import { makeCclConfig, type CclConfig, type CellSize, type Connectivity, type PixelFormat } from '../src/ccl/config.js';
import { cclRtlParams, generateCclRtl, cclCycleModel } from '../src/ccl/rtl/index.js';
import { rtlVectors, checkRtlFrames } from '../src/ccl/rtl/testvectors.js';
import { maxLiveStripes } from '../src/ccl/patterns.js';
import { lintVerilog } from '../src/tools/lint.js';
import { UserError } from '../src/util/errors.js';
import { thirdOrder } from '../src/ccl/rtl/cellfeat3.js';
import { Module } from '../src/hdl/index.js';

/** thirdOrder on stand-in ports (the width proof runs before any logic is built). */
function thirdOrderFor(p: ReturnType<typeof cclRtlParams>): void {
  const m = new Module('t');
  const s = (n: string) => m.input(n, 8);
  const cell = Object.fromEntries(p.cellFields.map((f) => [f.name, m.input(f.name, f.width)]));
  thirdOrder(p, cell, { cx: s('cx'), cy: s('cy'), cxsq: s('a'), cysq: s('b'), cxcy: s('c'), cx3: s('d'), cx2cy: s('e'), cxcy2: s('f'), cy3: s('g') });
}

interface Case {
  w: number; h: number; c: CellSize; p: number; conn: Connectivity; t?: number; hist?: number; fmt?: PixelFormat;
  /** Sum the third-order moments too. */
  third?: boolean;
}

function cfgOf(k: Case): CclConfig {
  // N = the most stripes that fit minus one, so the vector set holds "N live objects" and "N + 1"
  return makeCclConfig({
    width: k.w, height: k.h, cell: k.c, connectivity: k.conn, minPixels: k.t ?? 1, histBins: k.hist ?? 0,
    pixelFormat: k.fmt ?? 'gray8', maxObjects: Math.max(1, maxLiveStripes(k.w, k.c) - 1), thirdMoments: k.third ?? false,
  });
}

const name = (k: Case): string =>
  `${k.w}x${k.h} C=${k.c} P=${k.p} ${k.conn}-conn T=${k.t ?? 1} hist=${k.hist ?? 0} ${k.fmt ?? 'gray8'}${k.third ? ' third-order' : ''}`;

describe('ccl rtl: parameters', () => {
  const cfg = makeCclConfig({ width: 64, height: 32, cell: 4, maxObjects: 16 });
  it('refuses P values that are not allowed, with the field named', () => {
    expect(() => cclRtlParams(cfg, { ppc: 3 })).toThrow(/^ppc: must be one of 1, 2, 4, 8, 16/);
    expect(() => cclRtlParams(cfg, { ppc: 8 })).toThrow(/^ppc: 8 pixels per clock needs cells at least 8 wide/);
    expect(() => cclRtlParams(makeCclConfig({ width: 62, height: 32, cell: 4 }), { ppc: 4 })).toThrow(/^ppc: width 62 is not a multiple of 4/);
    expect(() => cclRtlParams(makeCclConfig({ width: 64, height: 32, cell: 2 }), { ppc: 4 })).toThrow(UserError);
    expect(cclRtlParams(makeCclConfig({ width: 64, height: 32, cell: 1 }), { ppc: 2 }).pixelExact).toBe(true); // ccl-rtl-ppc.test.ts
  });
  it('sizes the label table by the live bound and keeps N for the overflow rule', () => {
    const p = cclRtlParams(makeCclConfig({ width: 512, height: 512, cell: 8, maxObjects: 1024 }), { ppc: 4 });
    expect(p.Wc).toBe(64);
    expect(p.liveBound).toBe(34); // ⌈65/2⌉ + 1
    expect(p.Nt).toBe(34);
    expect(p.N).toBe(1024);
    const q = cclRtlParams(makeCclConfig({ width: 512, height: 512, cell: 8, maxObjects: 5 }), { ppc: 4 });
    expect(q.Nt).toBe(5);
  });
  it('emits deterministic Verilog with the configuration in its header', () => {
    const c = makeCclConfig({ width: 48, height: 40, cell: 4, maxObjects: 9, histBins: 4 });
    const a = generateCclRtl(c, { ppc: 2 }).files.get('ccl_core.v')!;
    expect(generateCclRtl(c, { ppc: 2 }).files.get('ccl_core.v')).toBe(a);
    expect(a).toMatch(/^\/\/ ccl_core: streaming cell-partitioned connected-component labeling core \(48x40, C=4, P=2, N=9\)/);
    expect(a).toMatch(/Config hash: [0-9a-f]{12}/);
    expect(generateCclRtl(c, { ppc: 4 }).files.get('ccl_core.v')).not.toBe(a);
  });
  it('third-order moments: record layout, and the product widths are proven at build time', () => {
    const c = makeCclConfig({ width: 512, height: 512, cell: 8, maxObjects: 64, thirdMoments: true, pixelFormat: 'rgb24', colorBits: 2 });
    const p = cclRtlParams(c, { ppc: 4 });
    expect(p.featFields.slice(5, 10).map((f) => `${f.name}:${f.width}`)).toEqual(['sumXY:34', 'sumXXX:43', 'sumXXY:43', 'sumXYY:43', 'sumYYY:43']);
    expect(p.cellFields.filter((f) => f.name.length === 4 && f.name.startsWith('s')).map((f) => `${f.name}:${f.width}`))
      .toEqual(['suuu:13', 'suuv:12', 'suvv:12', 'svvv:13']); // 8·28² = 6272, 140·28 = 3920
    // one product register per position × cell-sum term, each as wide as its bound (n·cx³·512 ≤ 64·63³·512)
    const cellfeat = generateCclRtl(c, { ppc: 4 }).files.get('ccl_core_cellfeat.v')!;
    expect(cellfeat.match(/reg\s+\[\d+:0\] pp_t3_\w+_q;/g)?.length).toBe(16);
    expect(cellfeat).toMatch(new RegExp(`reg\\s+\\[${(64n * 63n ** 3n * 512n).toString(2).length - 1}:0\\] pp_t3_n_cx3_q;`));
    // a feature width one bit short of a term's bound is a build-time error, not a silent truncation
    expect(() => thirdOrderFor({ ...p, fw: { ...p.fw, sumXXX: 31 } })).toThrow(/n_cx3 term of sumXXX can reach \d+, more than its 31 bits/);
  });
  it('cycle model: 512x512 C=8 is input-bound at P=4 and P=8', () => {
    for (const ppc of [4, 8]) {
      const m = cclCycleModel(cclRtlParams(makeCclConfig({ width: 512, height: 512, cell: 8, maxObjects: 1024 }), { ppc }));
      expect(m.pixelCyclesPerFrame).toBe((512 * 512) / ppc);
      expect(m.framePeriodWorst).toBe(m.pixelCyclesPerFrame);
    }
  });
});

describe('ccl rtl: lint (verilator -Wall, iverilog)', () => {
  const lintCases: Case[] = [
    { w: 40, h: 24, c: 1, p: 1, conn: 4, hist: 8, fmt: 'rgb24', third: true },
    { w: 96, h: 40, c: 16, p: 16, conn: 8, fmt: 'binary' },
    { w: 12, h: 40, c: 16, p: 4, conn: 8, t: 7, hist: 2, third: true }, // one cell column
    { w: 64, h: 8, c: 16, p: 8, conn: 8, third: true }, // one cell row
  ];
  for (const k of lintCases) {
    it(name(k), async () => {
      const rtl = generateCclRtl(cfgOf(k), { ppc: k.p });
      await lintVerilog(rtl.files, rtl.top);
    }, 60_000);
  }
});

const cases: Case[] = [
  { w: 64, h: 48, c: 1, p: 1, conn: 8, hist: 4, third: true },
  { w: 64, h: 46, c: 2, p: 2, conn: 8, t: 2, hist: 2, fmt: 'rgb24' },
  { w: 60, h: 46, c: 4, p: 4, conn: 4, t: 3, hist: 8, third: true },
  { w: 72, h: 44, c: 8, p: 2, conn: 8, t: 5, hist: 16, third: true },
  { w: 64, h: 64, c: 8, p: 8, conn: 4, fmt: 'binary' },
  { w: 96, h: 60, c: 16, p: 16, conn: 8 },
];

describe('ccl rtl: bit-exact against the golden model (Verilator, random stalls, frames back to back)', () => {
  cases.forEach((k, i) => {
    it(name(k), async () => {
      const cfg = cfgOf(k);
      const frames = rtlVectors(cfg, i + 1);
      frames.push({ name: 'again:' + frames[3]!.name, image: frames[3]!.image }); // same frame after others: no state leaks
      const { checks } = await checkRtlFrames(cfg, frames, { ppc: k.p, seed: 11 + i, validProb: 0.7, readyProb: 0.5 });
      const bad = checks.filter((c) => c.diff !== null).map((c) => `${c.name}: ${c.diff}`);
      expect(bad).toEqual([]);
      // the proof is not vacuous: objects were compared, overflow happened exactly where the rule says
      const compared = checks.filter((c) => !c.golden.overflow);
      const cellsInFrame = Math.ceil(k.w / k.c) * Math.ceil(k.h / k.c);
      expect(compared.length).toBeGreaterThan(frames.length / 2);
      expect(compared.reduce((s, c) => s + c.golden.objects.length, 0)).toBeGreaterThan(Math.min(40, cellsInFrame / 2));
      const N = cfg.maxObjects!;
      const atN = checks.find((c) => c.name === `stripes${N}`)!;
      const overN = checks.find((c) => c.name === `stripes${N + 1}`)!;
      expect(atN.rtl.overflow).toBe(false);
      expect(atN.rtl.objects.length).toBe(N);
      expect(overN.rtl.overflow).toBe(true);
      const many = checks.find((c) => c.name.startsWith('dot'))!; // the most objects in one frame (or N per row)
      expect(many.golden.overflow).toBe(false);
      expect(many.rtl.objects.length).toBeGreaterThanOrEqual(N * Math.floor(Math.ceil(k.h / k.c) / 2));
    }, 240_000);
  });
});
