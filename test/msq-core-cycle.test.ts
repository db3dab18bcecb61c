import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runGolden } from '../src/msq/golden.js';
import { parseQuantModel, type QuantModel } from '../src/msq/model.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from './support/random-layer.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { compileModel, coreStreams, programStimulus, type Program } from '../src/msq/core/compile.js';
import { encodeProgram } from '../src/msq/core/job.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { runStreams } from '../src/sim/index.js';
import { jobCycles, programLatency, scheduleProgram } from '../src/msq/core/cycle-model.js';
import { planShapeJobs, type GemmShape } from '../src/msq/core/sizing.js';
import { compiledJobs } from '../src/msq/core/compiled-jobs.js';
import { programJobs } from '../src/msq/core/build.js';

/**
 * The core cycle model (src/msq/core/cycle-model.ts) against Verilator cycle counts of the generated core
 * (src/msq/core/rtl.ts), small configuration, no stalls (sources always valid, sink always ready). The outputs are
 * checked bit-exact against the golden model in the same runs. Goal (issue 4): within ±2 % on >= 5 job shapes.
 */
const cfg = smallCoreConfig();
const design = coreSimDesign(generateCore(cfg));
const TOL = 0.02;

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 7, w: 6, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1],
  sp2Fraction: 0.5, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4,
};


/** Run jobs [from, to) of a program back to back in one simulation; returns the m_out beat cycles. */
async function simulate(model: QuantModel, prog: Program, seed: number, from = 0, to = prog.jobs.length): Promise<{ cycles: number[]; lastOf: number[] }> {
  const g = runGolden(model, randomInput(model, seed), { dump: true });
  const stim = programStimulus(prog, g.tensors!).slice(from, to);
  const r = await runStreams(design, {
    ...coreStreams(stim),
  });
  const out = r.outputs.m_out!;
  const lastOf = out.filter((b) => b.last).map((b) => b.cycle);
  return { cycles: out.map((b) => b.cycle), lastOf };
}

const within = (model: number, sim: number): boolean => Math.abs(model - sim) <= TOL * sim;

describe('msq core cycle model vs Verilator (no stalls)', () => {
  const shapes: [string, Partial<RandomLayerSpec>][] = [
    ['3x3 s1 (im2col)', {}],
    ['1x1 odd channels, short passes', { k: [1, 1], pad: [0, 0, 0, 0], cin: 19, cout: 11 }],
    ['5x5 s1, 3 passes', { k: [5, 5], pad: [2, 2, 2, 2], cin: 17, cout: 12, h: 9, w: 8 }],
    ['3x3 s2, 2 channel groups, 2 output words', { stride: [2, 2], cin: 33, cout: 20, h: 10, w: 9 }],
    ['linear 40 -> 23', { op: 'linear', cin: 40, h: 1, w: 1, cout: 23 }],
    ['7x7 s2 thin input (im2col), output-bank bound', { k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3], cin: 3, h: 13, w: 11, cout: 9 }],
  ];
  shapes.forEach(([title, over], i) => {
    it(`single job: ${title}`, async () => {
      const model = randomLayerModel({ ...base, ...over }, 100 + i);
      const prog = compileModel(model, cfg);
      const job = prog.jobs[0]!;
      const { cycles } = await simulate(model, prog, 7 + i, 0, 1);
      const sim = cycles[cycles.length - 1]! + 1;
      const model_ = jobCycles(job.spec, cfg).standalone;
      expect(jobCycles(job.spec, cfg).programBeats).toBe(encodeProgram(cfg, job.spec).length);
      expect(within(model_, sim), `${job.spec.name}: model ${model_} vs Verilator ${sim}`).toBe(true);
    });
  });

  it('a whole program back to back (MNIST CNN: conv, maxpool, fused residual add, linear): every job end', async () => {
    const model = parseQuantModel(JSON.parse(readFileSync(new URL('../models/mnist-cnn.q.json', import.meta.url), 'utf8')));
    const prog = compileModel(model, cfg);
    expect(new Set(prog.jobs.map((j) => j.spec.op))).toEqual(new Set(['gemm', 'maxpool']));
    expect(prog.jobs.some((j) => j.spec.residual)).toBe(true);
    const { lastOf } = await simulate(model, prog, 3);
    const stamps = scheduleProgram(prog.jobs.map((j) => j.spec), cfg);
    expect(lastOf.length).toBe(prog.jobs.length);
    stamps.forEach((st, j) => {
      expect(within(st.lastBeat, lastOf[j]!), `job ${j} ${prog.jobs[j]!.spec.name}: model ${st.lastBeat} vs Verilator ${lastOf[j]}`).toBe(true);
    });
    // each job's own share (last beat minus the previous job's) too, where it is long enough to matter
    for (let j = 1; j < stamps.length; j++) {
      const m = stamps[j]!.lastBeat - stamps[j - 1]!.lastBeat;
      const s = lastOf[j]! - lastOf[j - 1]!;
      if (s >= 200) expect(within(m, s), `job ${j} share: model ${m} vs Verilator ${s}`).toBe(true);
    }
  });
});

describe('sizing: shape-level plan and BRAM count', () => {
  it('filter groups: the planner splits fixed / SP2 filters evenly, the compiler by channel ranges (at most one more pass per group)', () => {
    const cfg = smallCoreConfig({ N: 16, Pf: 4, Ps: 6, Rq: 2, actDepth: 300, wDepth: 64, maxPasses: 4, cDepth: 64, kMax: 2048 });
    const spec: RandomLayerSpec = { ...base, fixedBits: 4, sp2Fraction: 0.6, cin: 48, cout: 60, h: 9, w: 9, stride: [2, 2] };
    const model = randomLayerModel(spec, 41);
    const layer = model.layers[0]!;
    if (layer.op !== 'conv2d') throw new Error('conv expected');
    const nFixed = layer.filters.filter((f) => f.scheme === 'fixed').length;
    const mine = planShapeJobs({
      kind: 'conv', name: 'l', cin: 48, inH: 9, inW: 9, cout: 60, kh: 3, kw: 3, sh: 2, sw: 2, pad: [1, 1, 1, 1],
      nFixed, nSp2: 60 - nFixed, fixedBits: 4, sp2Bits: 4, residual: false, actBits: spec.inBits,
    }, cfg);
    const prog = compileModel(model, cfg);
    const passes = (xs: { passes: number }[]): number => xs.reduce((a, j) => a + j.passes, 0);
    const p0 = passes(mine.map((j) => j.fields));
    const p1 = passes(prog.jobs.map((j) => j.spec));
    expect(p1).toBeGreaterThanOrEqual(p0);
    expect(p1).toBeLessThanOrEqual(p0 + prog.jobs.length);
  });


  // the planner that sizes every candidate must agree with the compiler that builds the real program
  const bigger = smallCoreConfig({ N: 16, Pf: 4, Ps: 6, Rq: 2, actDepth: 300, wDepth: 64, maxPasses: 4, cDepth: 64, kMax: 2048 });
  // sp2ActBits 4: 4-bit inputs use the SP2 lanes, 8-bit inputs run every filter on the fixed lanes
  const narrow = { ...bigger, sp2ActBits: 4 };
  const cases: [string, Partial<RandomLayerSpec>, typeof bigger][] = [
    ['3x3 s1, row bands, 2 passes', { cin: 32, cout: 20, h: 12, w: 9 }, bigger],
    ['1x1 s2 (downsample)', { cin: 32, cout: 24, h: 10, w: 10, k: [1, 1], stride: [2, 2], pad: [0, 0, 0, 0] }, bigger],
    ['7x7 s2 thin input (im2col)', { cin: 3, cout: 16, h: 16, w: 16, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] }, bigger],
    ['sp2ActBits 4, 4-bit input: SP2 lanes used', { cin: 32, cout: 20, h: 12, w: 9, inBits: 4 }, narrow],
    ['sp2ActBits 4, 8-bit input: fixed lanes only', { cin: 32, cout: 20, h: 12, w: 9 }, narrow],
    ['sp2ActBits 4, 8-bit thin input (im2col): fixed lanes only', { cin: 3, cout: 16, h: 16, w: 16, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] }, narrow],
  ];
  cases.forEach(([title, over, bigger], i) => {
    it(`plans like compileModel: ${title}`, () => {
      const spec: RandomLayerSpec = { ...base, fixedBits: 4, sp2Fraction: 0.6, ...over };
      const model = randomLayerModel(spec, 40 + i);
      const layer = model.layers[0]!;
      if (layer.op !== 'conv2d') throw new Error('conv expected');
      const nFixed = layer.filters.filter((f) => f.scheme === 'fixed').length;
      const shape: GemmShape = {
        kind: 'conv', name: layer.name, cin: spec.cin, inH: spec.h, inW: spec.w, cout: spec.cout, kh: spec.k[0], kw: spec.k[1],
        sh: spec.stride[0], sw: spec.stride[1], pad: [spec.pad[0], spec.pad[1], spec.pad[2], spec.pad[3]],
        nFixed, nSp2: spec.cout - nFixed, fixedBits: 4, sp2Bits: 4, residual: false, actBits: spec.inBits,
      };
      const mine = planShapeJobs(shape, bigger);
      const prog = compileModel(model, bigger);
      const key = (f: { passes: number; steps: number; passCycles: number; actWords: number; outH: number; outW: number; cout: number }): string =>
        `${f.passes}/${f.steps}/${f.passCycles}/${f.actWords}/${f.outH}x${f.outW}/${f.cout}`;
      expect(mine.length).toBe(prog.jobs.length);
      // same totals of the cost drivers (the two may order filter groups / bands differently)
      const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
      expect(sum(mine.map((j) => j.fields.outH * j.fields.outW * j.fields.passes * j.fields.passCycles)))
        .toBe(sum(prog.jobs.map((j) => j.spec.outH * j.spec.outW * j.spec.passes * j.spec.passCycles)));
      expect(sum(mine.map((j) => j.fields.actWords))).toBe(sum(prog.jobs.map((j) => j.spec.actWords)));
      expect(mine.map((j) => key(j.fields)).sort()).toEqual(prog.jobs.map((j) => key(j.spec)).sort());
      // an input wider than sp2ActBits: every filter on a fixed lane (passes * Pf >= cout per job)
      if (spec.inBits > (bigger.sp2ActBits ?? bigger.A)) for (const j of mine) expect(j.fields.passes * bigger.Pf).toBeGreaterThanOrEqual(j.fields.cout);
      // and the cycle model gives the same program latency either way
      const board = { ddr: { deratedGBps: 1.49 } } as Parameters<typeof programLatency>[2];
      const a = programLatency(mine.map((j) => ({ name: j.name, layer: layer.name, fields: j.fields, macs: j.macs })), bigger, board, { clockMHz: 100 });
      const b = programLatency(prog.jobs.map((j) => ({ name: j.spec.name, layer: layer.name, fields: j.spec, macs: 0 })), bigger, board, { clockMHz: 100 });
      expect(a.coreCycles).toBe(b.coreCycles);
    });
  });
});

describe('pricing: the compiler without weight words', () => {
  // msq plan prices every point with { weights: false } (compiled-jobs.ts compiledJobs): the descriptor
  // fields must be the full compile's, field for field, and the memo must not serve another configuration's jobs
  const bigger = smallCoreConfig({ N: 16, Pf: 4, Ps: 6, Rq: 2, actDepth: 300, wDepth: 64, maxPasses: 4, cDepth: 64, kMax: 2048 });
  // sp2ActBits 4: 4-bit inputs use the SP2 lanes, 8-bit inputs run every filter on the fixed lanes
  const narrow = { ...bigger, sp2ActBits: 4 };
  const cases: [string, Partial<RandomLayerSpec>, typeof bigger][] = [
    ['3x3 s1, row bands, 2 passes', { cin: 32, cout: 20, h: 12, w: 9 }, bigger],
    ['3x3 s2, filter groups', { cin: 48, cout: 60, h: 9, w: 9, stride: [2, 2] }, bigger],
    ['7x7 s2 thin input (im2col)', { cin: 3, cout: 16, h: 16, w: 16, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] }, bigger],
    ['sp2ActBits 4, 4-bit input: SP2 lanes used', { cin: 32, cout: 20, h: 12, w: 9, inBits: 4 }, narrow],
    ['sp2ActBits 4, 8-bit input: fixed lanes only', { cin: 32, cout: 20, h: 12, w: 9 }, narrow],
  ];
  cases.forEach(([title, over, c], i) => {
    it(`same jobs as compileModel: ${title}`, () => {
      const model = randomLayerModel({ ...base, fixedBits: 4, sp2Fraction: 0.6, ...over }, 40 + i);
      // the program's data (weight words, channel maps, GEMM parameters) is all a pricing compile leaves out
      const data = new Set(['fixedWords', 'sp2Words', 'chanMap', 'params']);
      const strip = (f: object): object => Object.fromEntries(Object.entries(f).filter(([k]) => !data.has(k)));
      const full = programJobs(model, compileModel(model, c));
      const sized = compiledJobs(model, c);
      expect(compileModel(model, c, { weights: false }).jobs.every((j) => !j.spec.fixedWords.length && !j.spec.sp2Words.length && !j.spec.chanMap.length)).toBe(true);
      expect(sized.map((j) => ({ ...j, fields: strip(j.fields) }))).toEqual(full.map((j) => ({ ...j, fields: strip(j.fields) })));
      // another configuration (one pass per job): its own jobs, not the memo's first answer
      const one = { ...c, maxPasses: 1 };
      const other = compiledJobs(model, one);
      expect(other.map((j) => strip(j.fields))).toEqual(programJobs(model, compileModel(model, one)).map((j) => strip(j.fields)));
      expect(other.length).toBeGreaterThan(sized.length);
    });
  });
});
