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
import { PLACEHOLDER_OVERHEAD, recordedSlices, sizeCore } from '../src/msq/core/sizing.js';
import { loadBoard } from '../src/board/index.js';
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

describe('sizing: the candidates\' programs are the compiler\'s', () => {
  // sizeCore prices every candidate with compiledJobs (no program data, a memo across candidates): the latency it
  // reports for the chosen core and the runners-up must be the cycle model of the full compileModel program
  it('best and runners-up latencies equal the full compile of the network on their configuration', () => {
    const slices = recordedSlices();
    if (!slices) throw new Error('bench/results/msq-core-slices.json missing');
    const board = loadBoard('xc7z020');
    // one conv layer (4-bit input: SP2 lanes used; filter groups, row bands), the same network for every candidate
    // (one memo answering many configurations)
    const model: QuantModel = randomLayerModel({ ...base, fixedBits: 4, inBits: 4, sp2Fraction: 0.6, cin: 40, cout: 72, h: 40, w: 40, stride: [2, 2] }, 7);
    const r = sizeCore(board, slices, PLACEHOLDER_OVERHEAD, { Ns: [32], Rqs: [2, 4], dspPacks: [2], sp2ActBits: [4], network: () => model, keep: 3 });
    expect(r.evaluated).toBeGreaterThan(3);
    for (const c of [r.best, ...r.runnersUp]) {
      const full = programLatency(programJobs(model, compileModel(model, c.cfg)), c.cfg, board, { clockMHz: board.defaultClockMHz });
      expect(c.latency.cycles).toBe(full.cycles);
      expect(c.latency.jobs.length).toBe(compileModel(model, c.cfg).jobs.length);
    }
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
      // the program's data (weight words, GEMM parameters) is all a pricing compile leaves out
      const data = new Set(['fixedWords', 'sp2Words', 'params']);
      const strip = (f: object): object => Object.fromEntries(Object.entries(f).filter(([k]) => !data.has(k)));
      const full = programJobs(model, compileModel(model, c));
      const sized = compiledJobs(model, c);
      expect(compileModel(model, c, { weights: false }).jobs.every((j) => !j.spec.fixedWords.length && !j.spec.sp2Words.length && !j.spec.params.length)).toBe(true);
      expect(sized.map((j) => ({ ...j, fields: strip(j.fields) }))).toEqual(full.map((j) => ({ ...j, fields: strip(j.fields) })));
      // another configuration (one pass per job): its own jobs, not the memo's first answer
      const one = { ...c, maxPasses: 1 };
      const other = compiledJobs(model, one);
      expect(other.map((j) => strip(j.fields))).toEqual(programJobs(model, compileModel(model, one)).map((j) => strip(j.fields)));
      expect(other.length).toBeGreaterThan(sized.length);
    });
  });
});
