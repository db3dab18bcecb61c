/**
 * The MSQ core RTL (src/msq/core/rtl.ts) against the golden model: models are compiled to jobs by the host compiler
 * (src/msq/core/compile.ts), every job's streams and expected m_out beats come from the golden model's per-layer
 * tensors (runGolden with dump: programStimulus), and ALL jobs run back to back in ONE simulation of ONE generated
 * design, with random valid / ready stalls on all four streams. The expected beats never come from a model of the RTL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintVerilog } from '../src/tools/lint.js';
import { runBoth } from '../src/sim/index.js';
import { chooseMultiplier } from '../src/msq/conventions.js';
import { argmax, pixelsToReal, quantizeInput, runGolden } from '../src/msq/golden.js';
import { loadMnist } from '../src/data/mnist.js';
import { parseQuantModel, windowOut, type QuantLayer, type QuantModel } from '../src/msq/model.js';
import { randomInput, randomLayerModel, rng, type RandomLayerSpec } from './support/random-layer.js';
import { addModel, emptyRun, flatInput, runCore } from './support/core-run.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import type { CompileOptions } from '../src/msq/core/compile.js';
import { coreProgramCycles, coreRtlTiming, coreSimDesign, generateCore, LUT_STAGES, weightItemsPerClock } from '../src/msq/core/rtl/index.js';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';

/** The test design: the small core with modest banks, so layers of a few hundred words need row bands / filter groups. */
const cfg: CoreConfig = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 7, w: 6, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1],
  sp2Fraction: 0.5, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4,
};

/** One-layer cases: kernels 1/3/5/7, strides, asymmetric padding, odd channels, signedness, 2..8-bit codes, fixed4, tiles. */
const layerCases: [string, Partial<RandomLayerSpec>, CompileOptions?, (boolean | 'max')?][] = [
  ['1x1 odd channels', { k: [1, 1], pad: [0, 0, 0, 0], cin: 19, cout: 11 }],
  ['3x3 stride 2, asymmetric padding, signed 5-bit in', { stride: [2, 2], pad: [2, 0, 1, 1], inBits: 5, inSigned: true, h: 9, w: 8 }],
  ['5x5, 2-bit unsigned in, 3-bit out', { k: [5, 5], pad: [2, 1, 2, 3], inBits: 2, outBits: 3, outSigned: false, cin: 17 }],
  ['7x7 stride 2 direct', { k: [7, 7], stride: [2, 2], pad: [3, 3, 2, 3], cin: 3, h: 13, w: 11, cout: 9 }, { im2col: 'never' }],
  ['7x7 stride 2 im2col', { k: [7, 7], stride: [2, 2], pad: [3, 3, 2, 3], cin: 3, h: 13, w: 11, cout: 9 }, { im2col: 'always' }],
  ['all fixed 4-bit (fixed4 stream), signed in', { sp2Fraction: 0, fixedBits: 4, cout: 9, inSigned: true }],
  ['2-bit fixed, 3-bit SP2', { fixedBits: 2, sp2Bits: 3, cout: 13 }],
  ['all SP2', { sp2Fraction: 1, cout: 15, k: [1, 3], pad: [0, 1, 0, 1] }],
  ['worst-case weights and inputs, signed', { worstCase: true, cout: 10, inSigned: true, cin: 33 }, {}, true],
  ['worst-case weights and inputs, unsigned', { worstCase: true, cout: 6, cin: 40, k: [1, 1], pad: [0, 0, 0, 0] }, {}, true],
  ['all inputs at max, worst-case weights, 8-bit signed', { worstCase: true, cout: 9, inSigned: true, cin: 48 }, {}, 'max'],
  ['all inputs at max, worst-case weights, 8-bit unsigned, SP2 only', { worstCase: true, sp2Fraction: 1, cout: 8, cin: 48 }, {}, 'max'],
  ['6-bit fixed, 3-bit unsigned in', { fixedBits: 6, inBits: 3, cout: 12, sp2Fraction: 0.3 }],
  ['3-bit fixed, 4-bit SP2, 6-bit signed in', { fixedBits: 3, inBits: 6, inSigned: true, cout: 16, k: [3, 1], pad: [1, 0, 1, 0] }],
  ['linear', { op: 'linear', cin: 70, h: 1, w: 1, cout: 23, inSigned: true }],
  ['row bands and filter groups (3x3, 18 -> 37 channels, 20 x 9)', { cin: 18, cout: 37, h: 20, w: 9 }],
  ['row bands, 5x5 stride 2', { k: [5, 5], stride: [2, 2], pad: [2, 2, 1, 2], cin: 9, cout: 20, h: 31, w: 13 }],
  ['depthwise 3x3 stride 2', { depthwise: true, cin: 21, cout: 21, stride: [2, 2], pad: [1, 0, 1, 1] }],
];

/**
 * Pool-only models (ported from the retired per-layer engines' unit tests): max / avg pooling with odd and
 * asymmetric windows, strides and paddings, signed and unsigned 4- and 8-bit inputs; the avgpool scales make the
 * averages overflow the output range on the extremes, so clamping is exercised. Each runs on a random input and on
 * the two worst cases (every value at the bottom / top of the range).
 */
const poolCases: { kind: 'max' | 'avg'; C: number; H: number; W: number; k: [number, number]; s: [number, number]; pad: [number, number, number, number]; bits: number; signed: boolean }[] = [
  { kind: 'max', C: 5, H: 7, W: 6, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], bits: 4, signed: true },
  { kind: 'max', C: 20, H: 6, W: 6, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0], bits: 4, signed: false },
  { kind: 'max', C: 3, H: 5, W: 7, k: [2, 3], s: [3, 1], pad: [1, 0, 0, 2], bits: 8, signed: true },
  { kind: 'avg', C: 6, H: 6, W: 5, k: [3, 3], s: [1, 2], pad: [1, 1, 2, 0], bits: 4, signed: false },
  { kind: 'avg', C: 19, H: 5, W: 5, k: [2, 2], s: [2, 2], pad: [0, 0, 1, 1], bits: 8, signed: true },
];

function poolModel(c: (typeof poolCases)[number]): QuantModel {
  const window = { kernel: c.k, stride: c.s, padding: c.pad };
  const out = { bits: c.signed ? 4 : 3, signed: c.signed, scale: 1 };
  const layer: QuantLayer = c.kind === 'max'
    ? { name: 'pool', op: 'maxpool', input: 'input', ...window }
    : { name: 'pool', op: 'avgpool', input: 'input', ...window, ...chooseMultiplier(1.7 / (c.k[0] * c.k[1]) / 2 ** (c.bits - out.bits)), out };
  return parseQuantModel({
    format: 'accelforge-msq', version: 1, note: 'core RTL pool test',
    input: { name: 'input', shape: [c.C, c.H, c.W], bits: c.bits, signed: c.signed, scale: 1 },
    layers: [layer], output: 'pool',
  });
}

/** A small graph with every op: maxpool, avgpool, global avgpool, relu (fused and standalone), fused residual add, flatten -> linear. */
function graphModel(seed: number, H = 12, W = 11, fixedBits = 8): QuantModel {
  const r = rng(seed);
  let n = 0;
  const conv = (name: string, input: string, cin: number, h: number, w: number, cout: number, k: number, s: number, pad: [number, number, number, number], out: { bits: number; signed: boolean }, inBits: number, inSigned: boolean): QuantLayer => {
    const m = randomLayerModel({ ...base, fixedBits, cin, h, w, cout, k: [k, k], stride: [s, s], pad, inBits, inSigned, outBits: out.bits, outSigned: out.signed }, seed * 17 + n++);
    return { ...(m.layers[0] as Extract<QuantLayer, { op: 'conv2d' }>), name, input };
  };
  const mul = (f: number): { M: number; S: number } => chooseMultiplier(f * (0.7 + 0.6 * r()));
  const [mh, mw] = [windowOut(H, 3, 2, 1, 1), windowOut(W, 3, 2, 1, 0)];
  const [ah, aw] = [windowOut(mh, 2, 2, 0, 1), windowOut(mw, 2, 2, 0, 1)];
  const feats = 20 * ah * aw;
  const lin = randomLayerModel({ ...base, fixedBits, op: 'linear', cin: feats, h: 1, w: 1, cout: 12, inBits: 6, inSigned: false, outBits: 8, outSigned: true }, seed * 17 + 50);
  const addMul = (): { Ma: number; Mb: number; S: number } => {
    const x = mul(0.6);
    const y = mul(0.45);
    const S = Math.min(x.S, y.S);
    return { Ma: Math.round(x.M / 2 ** (x.S - S)), Mb: Math.round(y.M / 2 ** (y.S - S)), S };
  };
  const layers: QuantLayer[] = [
    conv('c1', 'input', 6, H, W, 20, 3, 1, [1, 1, 1, 1], { bits: 6, signed: true }, 7, true),
    { name: 'r1', op: 'relu', input: 'c1' },
    { name: 'mp', op: 'maxpool', input: 'r1', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 0] },
    conv('a', 'mp', 20, mh, mw, 20, 1, 1, [0, 0, 0, 0], { bits: 6, signed: true }, 6, false),
    conv('b', 'mp', 20, mh, mw, 20, 3, 1, [1, 1, 1, 1], { bits: 6, signed: true }, 6, false),
    { name: 'r_b', op: 'relu', input: 'b' },
    { name: 'sum', op: 'add', inputs: ['a', 'r_b'], ...addMul(), out: { bits: 6, signed: true, scale: 1 } },
    { name: 'r2', op: 'relu', input: 'sum' },
    { name: 'ap', op: 'avgpool', input: 'r2', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1], ...mul(0.25), out: { bits: 6, signed: true, scale: 1 } },
    { name: 'r3', op: 'relu', input: 'ap' },
    { name: 'gap', op: 'globalavgpool', input: 'r2', ...mul(1 / (mh * mw)), out: { bits: 8, signed: true, scale: 1 } },
    { name: 'flat', op: 'flatten', input: 'r3' },
    { ...(lin.layers[0] as Extract<QuantLayer, { op: 'linear' }>), name: 'fc', input: 'flat', inFeatures: feats },
  ];
  return parseQuantModel({
    format: 'accelforge-msq', version: 1, note: 'core RTL test graph',
    input: { name: 'input', shape: [6, H, W], bits: 7, signed: true, scale: 1 },
    layers, output: 'fc',
  });
}

const mnist = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')));

describe('MSQ core RTL: one design, many jobs back to back (Verilator)', () => {
  const rtl = generateCore(cfg);
  const design = coreSimDesign(rtl);

  it('lints clean (verilator -Wall, iverilog)', async () => {
    await lintVerilog(rtl.files, rtl.top);
  }, 300_000);

  it('random layers, pools, residual add, tiles: every job equals the golden model, with stalls on all streams', async () => {
    const run = emptyRun();
    layerCases.forEach(([, over, opts, worst], i) => {
      const model = randomLayerModel({ ...base, ...over }, 300 + i);
      addModel(run, model, worst === 'max' ? flatInput(model, 'max') : randomInput(model, 40 + i, worst ?? false), cfg, opts);
    });
    addModel(run, graphModel(7), randomInput(graphModel(7), 9), cfg);
    poolCases.forEach((c, i) => {
      const model = poolModel(c);
      for (const x of [randomInput(model, 70 + i), flatInput(model, 'min'), flatInput(model, 'max')]) addModel(run, model, x, cfg);
    });
    const ops = new Set(run.jobs.map((j) => `${j.spec.op}${j.spec.residual ? '+res' : ''}`));
    expect([...ops].sort()).toEqual(['avgpool', 'gemm', 'gemm+res', 'maxpool']);
    expect(run.jobs.some((j) => j.spec.fixed4)).toBe(true);
    expect(run.jobs.filter((j) => j.spec.layer === 'layer0' && j.spec.passes > 1).length).toBeGreaterThan(0);
    // row bands (several jobs of one layer, same channels) and filter groups (same rows, other channels) occur
    expect(run.jobs.some((j) => j.out.y0 > 0)).toBe(true);
    expect(run.jobs.some((j) => j.out.c0 > 0)).toBe(true);
    const r = await runCore(design, run, 11);
    expect(r.outputs.m_out!.length).toBe(run.out.length);
    expect(run.jobs.length).toBeGreaterThan(30);
    console.log(`core RTL: ${run.jobs.length} jobs, ${run.out.length} output beats, ${r.cycleCount} cycles`);
    // the same jobs under heavy back-pressure and slow inputs (output FIFO full, loaders starved)
    const slow = await runCore(design, run, 29, { validProb: { s_wgt: 0.3, s_act: 0.9, s_res: 0.2 }, readyProb: 0.15, maxCycles: 4_000_000 });
    expect(slow.cycleCount).toBeGreaterThan(r.cycleCount);
  }, 600_000);

  it('MNIST CNN: all jobs of 2 real test digits in one simulation, every job and the logits equal the golden model', async () => {
    const digits = loadMnist('test', 2);
    const run = emptyRun();
    const golden = digits.images.map((img) => {
      const x = quantizeInput(mnist, pixelsToReal(mnist, img));
      addModel(run, mnist, x, cfg);
      return runGolden(mnist, x).output.data;
    });
    const r = await runCore(design, run, 5, { validProb: 0.7, readyProb: 0.7, maxCycles: 2_000_000 });
    console.log(`core RTL MNIST: ${run.jobs.length} jobs, ${run.out.length} beats, ${r.cycleCount} cycles, sim ${Math.round(r.simMs)} ms`);
    // the last job of each digit is the final linear layer: its beats are the logits
    const perDigit = run.jobs.length / 2;
    golden.forEach((y, d) => {
      const k = (d + 1) * perDigit - 1;
      const beats = r.outputs.m_out!.slice(run.outStart[k]!, k + 1 < run.jobs.length ? run.outStart[k + 1] : undefined);
      const logits: number[] = [];
      for (let c = 0; c < y.length; c++) {
        const v = Number((beats[Math.floor(c / cfg.N)]!.data >> BigInt((c % cfg.N) * cfg.A)) & 0xffn);
        logits.push(v >= 128 ? v - 256 : v);
      }
      expect(logits).toEqual(Array.from(y));
      expect(argmax(logits)).toBe(argmax(y));
    });
  }, 600_000);
});

describe('MSQ core RTL: schedule and limits', () => {
  it('one job alone, no stalls: the last m_out beat is exactly where docs/msq-core-rtl.md puts it', async () => {
    const rtl = generateCore(cfg);
    const t = coreRtlTiming(cfg, rtl.pixelBanks);
    const specs: Partial<RandomLayerSpec>[] = [
      {},
      { k: [1, 1], pad: [0, 0, 0, 0], cin: 40, cout: 17, h: 3, w: 3 },
      { stride: [2, 2], pad: [2, 1, 0, 1], cin: 20, cout: 5, h: 6, w: 5, inSigned: true },
      { sp2Fraction: 0, fixedBits: 4, cout: 6, cin: 30, h: 4, w: 4 },
    ];
    for (const [i, over] of specs.entries()) {
      const model = randomLayerModel({ ...base, ...over }, 800 + i);
      const run = emptyRun();
      addModel(run, model, randomInput(model, i), cfg, { im2col: 'never' });
      const j = run.jobs[0]!.spec;
      if (i === 3) expect(j.fixed4 && weightItemsPerClock(cfg, 'fixed4') === 2).toBe(true);
      expect(run.jobs.length, `${JSON.stringify(over)}: ${run.jobs.map((x) => x.spec.name).join(', ')}`).toBe(1);
      // cycle 0: the loader's WAIT state; then the program (coreProgramCycles, the doc's table)
      const prog = coreProgramCycles(cfg, j);
      // program-bound jobs: the tile is in before the program, so the issue starts right after the program
      expect(j.actWords + 1).toBeLessThan(prog.total - prog.descValid);
      const s = 1 + prog.total;
      const e = s + 2 + j.outH * j.outW * j.passes * j.passCycles - 1;
      const r = await runCore(coreSimDesign(rtl), run, 1, {});
      expect(r.cycleCount, `job ${j.name}`).toBe(e + t.complete.gemm + t.emit + j.coutGroups);
    }
  }, 600_000);

  it('a job starts on the first rows of its tile: outputs leave before the tile has arrived', async () => {
    const rtl = generateCore(cfg);
    const model = randomLayerModel({ ...base, k: [1, 1], pad: [0, 0, 0, 0], cin: 40, cout: 4, h: 9, w: 9 }, 901);
    const run = emptyRun();
    addModel(run, model, randomInput(model, 5), cfg);
    expect(run.jobs.length).toBe(1);
    const r = await runCore(coreSimDesign(rtl), run, 3, { validProb: { s_act: 0.25 } });
    expect(r.outputs.m_out![0]!.cycle).toBeLessThan(r.lastInputCycle.s_act!);
  }, 600_000);

  it('the XC7Z020-size core (N 16, Pf 24, Ps 40, Rq 2, dspPack 2, cDepth 1024) generates and lints clean', async () => {
    const big: CoreConfig = { N: 16, Pf: 24, Ps: 40, Rq: 2, dspPack: 2, A: 8, WF: 8, m: 4, actDepth: 8192, wDepth: 1024, maxPasses: 16, cDepth: 1024, kMax: 8192 };
    const rtl = generateCore(big);
    expect([...rtl.files.keys()].sort()).toEqual(['msqc_core.v', 'msqc_lanes.v', 'msqc_out_fifo.v', 'msqc_rqa.v']);
    expect(coreRtlTiming(big).complete.gemm).toBe(1 + rtl.shape.laneLatency + 32 + 3 + rtl.shape.rqaLatency + LUT_STAGES + 1);
    await lintVerilog(rtl.files, rtl.top);
  }, 300_000);

  it('structural variants generate and lint clean (Pf = 0, Ps = 0 with Rq = 1, lanes = items per beat, N 8 / A 12)', async () => {
    const variants: [Partial<CoreConfig>, 2 | 4][] = [
      [{ Pf: 0, Ps: 4, Rq: 3, cDepth: 16, maxPasses: 4 }, 2],
      [{ Pf: 3, Ps: 0, Rq: 1 }, 4],
      [{ Pf: 2, Ps: 2, Rq: 2, dspPack: 2 }, 4],
      [{ N: 8, A: 12, Pf: 1, Ps: 1, Rq: 2, cDepth: 32, kMax: 1024 }, 4],
    ];
    for (const [over, pixelBanks] of variants) {
      const rtl = generateCore(smallCoreConfig(over), 'msqv', { pixelBanks });
      await lintVerilog(rtl.files, rtl.top);
    }
  }, 300_000);

  it('refuses configurations it cannot build with one-line errors naming the field', () => {
    const bad: [Partial<CoreConfig>, string][] = [
      [{ N: 12, cDepth: 48, kMax: 48 * 16 }, 'core.N'],
      [{ cDepth: 48 }, 'core.cDepth'],
      [{ Rq: 0 }, 'core.Rq'],
    ];
    for (const [over, field] of bad) {
      let err: unknown;
      try {
        generateCore(smallCoreConfig(over));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect(String((err as Error).message)).toContain(field);
      expect(String((err as Error).message)).not.toContain('\n');
    }
    expect(() => generateCore(cfg, '9bad')).toThrow(/prefix/);
    expect(() => generateCore(cfg, 'msqc', { pixelBanks: 3 as 2 })).toThrow(/pixelBanks/);
  });
});

describe('MSQ core RTL: second opinions', () => {
  it('Icarus agrees with Verilator on a few jobs (beats and cycles)', async () => {
    const rtl = generateCore(cfg);
    const run = emptyRun();
    const model = randomLayerModel({ ...base, cin: 9, cout: 8, h: 5, w: 4, stride: [2, 1] }, 71);
    addModel(run, model, randomInput(model, 3), cfg);
    const g = graphModel(3, 5, 4);
    addModel(run, g, randomInput(g, 4), cfg);
    const r = await runBoth(coreSimDesign(rtl), {
      inputs: { s_wgt: run.wgt, s_act: run.act, s_res: run.res },
      expected: { m_out: run.out },
      seed: 2,
      validProb: 0.8,
      readyProb: 0.7,
      maxCycles: 200_000,
    });
    expect(r.outputs.m_out!.length).toBe(run.out.length);
    expect(new Set(run.jobs.map((j) => j.spec.op)).size).toBe(3);
    expect(run.jobs.some((j) => j.spec.residual)).toBe(true);
    console.log(`core RTL Icarus: ${run.jobs.length} jobs, ${run.out.length} beats, ${r.cycleCount} cycles, vvp ${Math.round(r.icarus.simMs)} ms`);
  }, 600_000);

  it('a second design (N 8, A 12, dspPack 2 with odd Pf, Rq = L, WF 6, 3 weight items per beat, cDepth = N, 2 pixel banks) runs its jobs exactly', async () => {
    const c2 = smallCoreConfig({ N: 8, A: 12, Pf: 3, Ps: 3, Rq: 6, dspPack: 2, m: 4, WF: 6, actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 8, kMax: 1024 });
    // SP2 and fixed4 sections: whole beats of 3 items; 6-bit fixed items: 2 per beat, one per clock
    expect([weightItemsPerClock(c2, 'sp2'), weightItemsPerClock(c2, 'fixed4'), weightItemsPerClock(c2, 'fixed')]).toEqual([3, 3, 1]);
    const rtl = generateCore(c2, 'msqc', { pixelBanks: 2 });
    const run = emptyRun();
    const cases: [Partial<RandomLayerSpec>, boolean][] = [
      [{ sp2Fraction: 0, fixedBits: 6, cout: 11, inSigned: true }, false],
      [{ worstCase: true, sp2Fraction: 0.4, fixedBits: 6, sp2Bits: 4, cout: 7, cin: 20 }, true],
      [{ sp2Fraction: 0, fixedBits: 4, cout: 21, k: [1, 1], pad: [0, 0, 0, 0], cin: 30 }, false],
      [{ sp2Fraction: 1, sp2Bits: 4, cout: 9, stride: [2, 2] }, false],
      [{ sp2Fraction: 0.7, sp2Bits: 3, fixedBits: 5, cout: 13, k: [1, 1], pad: [0, 0, 0, 0], cin: 37 }, false],
    ];
    cases.forEach(([over, worst], i) => {
      const model = randomLayerModel({ ...base, ...over }, 500 + i);
      addModel(run, model, randomInput(model, 60 + i, worst), c2);
    });
    const g = graphModel(11, 6, 5, 6);
    addModel(run, g, randomInput(g, 12), c2);
    expect(run.jobs.some((j) => j.spec.residual)).toBe(true);
    expect(run.jobs.some((j) => j.spec.op === 'avgpool')).toBe(true);
    expect(run.jobs.some((j) => j.spec.fixed4)).toBe(true);
    await runCore(coreSimDesign(rtl), run, 8, { validProb: 0.7, readyProb: 0.6, maxCycles: 1_000_000 });
  }, 600_000);
});
