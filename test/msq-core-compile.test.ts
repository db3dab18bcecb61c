import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/util/errors.js';
import { actRange, chooseMultiplier } from '../src/msq/conventions.js';
import { runGolden } from '../src/msq/golden.js';
import { numel, parseQuantModel, type QuantLayer, type QuantModel } from '../src/msq/model.js';
import { randomInput, randomLayerModel, rng, type RandomLayerSpec } from './support/random-layer.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { encodeProgram, programBeats } from '../src/msq/core/job.js';
import {
  compileModel,
  executeProgram,
  programStimulus,
  type CompileOptions,
  type Program,
} from '../src/msq/core/compile.js';
import { runJob } from '../src/msq/core/interp.js';

const small = smallCoreConfig();
/** Tiny banks: forces row bands, filter groups, pool channel groups. */
const tiny = smallCoreConfig({ actDepth: 96, wDepth: 40, maxPasses: 3, cDepth: 32, kMax: 2048 });

/**
 * Compile, then check two ways: (1) every job fed from golden per-layer tensors gives exactly the golden output beats
 * (programStimulus), (2) the host loop (each job reading what earlier jobs produced) gives every golden tensor.
 */
async function checkProgram(model: QuantModel, cfg: CoreConfig, seed: number, opts: CompileOptions = {}, mutate?: (p: Program) => void): Promise<Program> {
  const prog = compileModel(model, cfg, opts);
  mutate?.(prog);
  const x = randomInput(model, seed);
  const g = runGolden(model, x, { dump: true });
  const stim = programStimulus(prog, g.tensors!);
  stim.forEach((s, i) => {
    const job = prog.jobs[i]!;
    const out = runJob(cfg, s.wgt, s.act, s.res);
    expect(out, `job ${job.spec.name}`).toEqual(s.expectedOut);
    // recorded DDR bytes = the beats actually streamed
    expect(job.ddrBytes).toBe(((s.wgt.length + s.act.length + s.res.length + out.length) * cfg.N * cfg.A) / 8);
    expect(programBeats(cfg, job.spec)).toBe(s.wgt.length);
  });
  const t = await executeProgram(prog, x, (w, a, r) => runJob(cfg, w, a, r));
  for (const [name, data] of t) {
    if (name === prog.input.name) continue;
    expect(Array.from(data), `tensor ${name}`).toEqual(Array.from(g.tensors!.get(name)!.data));
  }
  expect(Array.from(t.get(prog.output.name)!)).toEqual(Array.from(g.output.data));
  return prog;
}

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 7, w: 6, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1],
  sp2Fraction: 0.5, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4,
};

describe('msq core compiler: random one-layer models through the job interpreter', () => {
  const cases: [string, Partial<RandomLayerSpec>, CoreConfig?, CompileOptions?][] = [
    ['1x1 odd channels', { k: [1, 1], pad: [0, 0, 0, 0], cin: 19, cout: 11 }],
    ['3x3 stride 2 asymmetric padding, signed 5-bit in', { stride: [2, 2], pad: [2, 0, 1, 1], inBits: 5, inSigned: true, h: 9, w: 8 }],
    ['5x5 stride 1, 2-bit unsigned in, 3-bit out', { k: [5, 5], pad: [2, 1, 2, 3], inBits: 2, outBits: 3, outSigned: false, cin: 17 }],
    ['7x7 stride 2 (thin input, im2col auto)', { k: [7, 7], stride: [2, 2], pad: [3, 3, 2, 3], cin: 3, h: 13, w: 11, cout: 9 }],
    ['7x7 stride 2 direct (im2col never)', { k: [7, 7], stride: [2, 2], pad: [3, 3, 2, 3], cin: 3, h: 13, w: 11, cout: 9 }, undefined, { im2col: 'never' }],
    ['3x3 im2col always, signed 8-bit', { inSigned: true, cin: 6 }, undefined, { im2col: 'always' }],
    ['2-bit fixed, 3-bit SP2 (re-encoded to m=4)', { fixedBits: 2, sp2Bits: 3, cout: 13 }],
    ['all SP2 (spill onto the fixed lanes)', { sp2Fraction: 1, cout: 15 }],
    ['all fixed 4-bit (fixed4 stream)', { sp2Fraction: 0, fixedBits: 4, cout: 9 }],
    ['5-bit SP2 (not m-bit: runs on fixed lanes)', { sp2Bits: 5, cout: 8 }],
    ['worst-case weights', { worstCase: true, cout: 10, inSigned: true }],
    ['depthwise 3x3 stride 2', { depthwise: true, cin: 21, cout: 21, stride: [2, 2], pad: [1, 0, 1, 1] }],
    ['depthwise on tiny banks', { depthwise: true, cin: 37, cout: 37, h: 11, w: 9 }, tiny],
    ['linear', { op: 'linear', cin: 40, h: 1, w: 1, cout: 23, inSigned: true }],
    ['linear on tiny banks (filter groups)', { op: 'linear', cin: 33, h: 1, w: 1, cout: 29 }, tiny],
    ['multi-band multi-group 3x3', { cin: 18, cout: 37, h: 12, w: 5 }, tiny],
    ['multi-band 5x5 stride 2 with padding', { k: [5, 5], stride: [2, 2], pad: [2, 2, 1, 2], cin: 9, cout: 20, h: 15, w: 7 }, tiny],
    ['tiny banks, im2col', { cin: 3, cout: 12, h: 14, w: 6 }, tiny, { im2col: 'always' }],
    ['core m=5, WF=6, A=7 (4-bit SP2 re-encoded to 5-bit)', { fixedBits: 6, sp2Bits: 4, inBits: 7, outBits: 7, cout: 11 }, smallCoreConfig({ m: 5, WF: 6, A: 7 })],
    ['core without SP2 lanes (every SP2 filter on fixed lanes)', { cout: 10 }, smallCoreConfig({ Pf: 3, Ps: 0, Rq: 2 })],
    ['core without fixed lanes, all-SP2 layer', { sp2Fraction: 1, cout: 10, inSigned: true }, smallCoreConfig({ Pf: 0, Ps: 4, Rq: 3 })],
    ['Rq = L, dspPack 2', { cout: 12, k: [1, 1], pad: [0, 0, 0, 0], cin: 40 }, smallCoreConfig({ Rq: 5, dspPack: 2 })],
  ];
  cases.forEach(([title, over, cfg, opts], i) => {
    it(title, async () => {
      const model = randomLayerModel({ ...base, ...over }, 100 + i);
      await checkProgram(model, cfg ?? small, 7 + i, opts);
    });
  });

  it('chooses im2col for thin inputs only, and tiles under tiny banks', () => {
    const thin = compileModel(randomLayerModel({ ...base, cin: 3 }, 1), small);
    expect(thin.layers[0]!.how).toContain('im2col');
    expect(thin.jobs[0]!.spec.steps).toBe(2); // ceil(27 / 16) instead of 9
    const wide = compileModel(randomLayerModel({ ...base, cin: 16 }, 1), small);
    expect(wide.layers[0]!.how).not.toContain('im2col');
    expect(compileModel(randomLayerModel({ ...base, cin: 3 }, 1), small, { im2col: 'never' }).jobs[0]!.spec.steps).toBe(9);
    const p = compileModel(randomLayerModel({ ...base, cin: 18, cout: 37, h: 12, w: 5 }, 2), tiny);
    // useful MACs over all tiles = the layer's: 12x5 pixels x 37 filters x 18*3*3 fan-in
    expect(p.jobs.reduce((a, j) => a + j.macs, 0)).toBe(12 * 5 * 37 * 18 * 9);
    const bands = new Set(p.jobs.map((j) => j.out.y0));
    const groups = new Set(p.jobs.map((j) => j.out.c0));
    expect(bands.size).toBeGreaterThan(1);
    expect(groups.size).toBeGreaterThan(1);
    for (const j of p.jobs) {
      expect(j.spec.actWords).toBeLessThanOrEqual(tiny.actDepth);
      expect(j.spec.wordsPerLane).toBeLessThanOrEqual(tiny.wDepth);
      expect(j.spec.passes).toBeLessThanOrEqual(tiny.maxPasses);
    }
  });

  it('fills passes with spilled SP2 filters when the split does not match Pf : Ps', () => {
    // 15 SP2 filters whose values fit WF: 3 passes of 5 lanes instead of 5 passes of 3 SP2 lanes
    const p = compileModel(randomLayerModel({ ...base, sp2Fraction: 1, cout: 15 }, 3), small);
    expect(p.jobs[0]!.spec.passes).toBe(3);
    // 15 fixed filters cannot use SP2 lanes: 8 passes of 2 fixed lanes
    const f = compileModel(randomLayerModel({ ...base, sp2Fraction: 0, cout: 15 }, 3), small);
    expect(f.jobs[0]!.spec.passes).toBe(8);
  });

  it('splits output channels into filter groups with the fewest total passes', async () => {
    // 80 SP2 filters (all may spill), 5 lanes, at most 6 passes per job: 16 passes in all is the lower bound
    const cfg = smallCoreConfig({ maxPasses: 6 });
    const model = randomLayerModel({ ...base, op: 'linear', cin: 20, h: 1, w: 1, cout: 80, sp2Fraction: 1 }, 9);
    const p = await checkProgram(model, cfg, 2);
    expect(p.jobs.reduce((a, j) => a + j.spec.passes, 0)).toBe(16);
    for (const j of p.jobs) expect(j.spec.passes).toBeLessThanOrEqual(6);
  });
});

/** A hand-built graph exercising every op: pools, standalone and fused relu, fused add (+relu), flatten → linear. */
function graphModel(seed: number): QuantModel {
  const r = rng(seed);
  let n = 0;
  const conv = (name: string, input: string, cin: number, h: number, w: number, cout: number, k: number, s: number, pad: [number, number, number, number], out: { bits: number; signed: boolean }, inBits: number, inSigned: boolean): QuantLayer => {
    const m = randomLayerModel({ ...base, cin, h, w, cout, k: [k, k], stride: [s, s], pad, inBits, inSigned, outBits: out.bits, outSigned: out.signed }, seed * 31 + n++);
    return { ...(m.layers[0] as Extract<QuantLayer, { op: 'conv2d' }>), name, input };
  };
  const mul = (f: number): { M: number; S: number } => chooseMultiplier(f * (0.7 + 0.6 * r()));
  const lin = randomLayerModel({ ...base, op: 'linear', cin: 6 * 3 * 3, h: 1, w: 1, cout: 10, inBits: 5, inSigned: false, outBits: 8, outSigned: true }, seed * 31 + 99);
  const layers: QuantLayer[] = [
    conv('c1', 'input', 5, 11, 10, 6, 3, 1, [1, 1, 1, 1], { bits: 6, signed: true }, 7, true),
    { name: 'r1', op: 'relu', input: 'c1' },
    { name: 'mp', op: 'maxpool', input: 'r1', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 0] },
    conv('a', 'mp', 6, 6, 5, 6, 1, 1, [0, 0, 0, 0], { bits: 5, signed: true }, 6, false),
    conv('b', 'mp', 6, 6, 5, 6, 3, 1, [1, 1, 1, 1], { bits: 5, signed: true }, 6, false),
    { name: 'r_b', op: 'relu', input: 'b' },
    { name: 'sum', op: 'add', inputs: ['a', 'r_b'], ...(() => { const x = mul(0.5); const y = mul(0.4); const S = Math.min(x.S, y.S); return { Ma: Math.round(x.M / 2 ** (x.S - S)), Mb: Math.round(y.M / 2 ** (y.S - S)), S }; })(), out: { bits: 5, signed: true, scale: 1 } },
    { name: 'r2', op: 'relu', input: 'sum' },
    { name: 'ap', op: 'avgpool', input: 'r2', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1], ...mul(0.25), out: { bits: 6, signed: true, scale: 1 } },
    { name: 'r3', op: 'relu', input: 'ap' },
    { name: 'mp2', op: 'maxpool', input: 'r3', kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0] },
    { name: 'gap', op: 'globalavgpool', input: 'ap', ...mul(1 / 9), out: { bits: 8, signed: true, scale: 1 } },
    { name: 'flat', op: 'flatten', input: 'mp2' },
    { ...(lin.layers[0] as Extract<QuantLayer, { op: 'linear' }>), name: 'fc', input: 'flat', inFeatures: 54 },
  ];
  // the model output is the linear; gap is a side branch (computed, checked as a tensor)
  return parseQuantModel({
    format: 'accelforge-msq', version: 1, note: 'compiler test graph',
    input: { name: 'input', shape: [5, 11, 10], bits: 7, signed: true, scale: 1 },
    layers, output: 'fc',
  });
}

describe('msq core compiler: whole models', () => {
  it('every op of a small graph (pools, relu, add fusion, flatten → linear) on both configurations', async () => {
    const model = graphModel(5);
    const p = await checkProgram(model, small, 3);
    const how = Object.fromEntries(p.layers.map((l) => [l.layer, l.how]));
    expect(how.c1).toContain("+relu 'r1'");
    expect(how.b).toContain("+add 'sum'");
    expect(how.b).toContain("+relu 'r2'");
    expect(how.r3).toBe('relu as 1x1 avgpool');
    expect(how.fc).toContain('linear as 3x3 conv');
    // the fused add swaps Ma / Mb: b is the add's second input
    const sum = model.layers.find((l) => l.name === 'sum') as Extract<QuantLayer, { op: 'add' }>;
    const fused = p.jobs.find((j) => j.spec.layer === 'b')!.spec;
    expect([fused.Ma, fused.Mb]).toEqual([sum.Mb, sum.Ma]);
    await checkProgram(model, tiny, 4);
  });

  it('MNIST CNN end to end, default and tiny banks', async () => {
    const model = parseQuantModel(JSON.parse(readFileSync(new URL('../models/mnist-cnn.q.json', import.meta.url), 'utf8')));
    const p = await checkProgram(model, small, 11);
    expect(p.layers.find((l) => l.layer === 'conv3_Conv')!.how).toContain("+add 'Add'");
    const t = await checkProgram(model, smallCoreConfig({ actDepth: 300, wDepth: 64, maxPasses: 4, cDepth: 32 }), 12);
    expect(t.jobs.length).toBeGreaterThan(p.jobs.length);
  });
});

describe('msq core compiler: the checks can fail', () => {
  it('a wrong channel map, bias or weight word breaks the result', async () => {
    const model = randomLayerModel({ ...base, cout: 9 }, 42);
    const swapMap = (p: Program): void => {
      const m = p.jobs[0]!.spec.chanMap;
      const i = m.findIndex((c) => c >= 0);
      const j = m.findIndex((c, k) => k > i && c >= 0);
      [m[i], m[j]] = [m[j]!, m[i]!];
    };
    await expect(checkProgram(model, small, 1, {}, swapMap)).rejects.toThrow(/^job /);
    await expect(checkProgram(model, small, 1, {}, (p) => { p.jobs[0]!.spec.params[3]!.bias += 1 << 12; })).rejects.toThrow(/^job /);
    await expect(checkProgram(model, small, 1, {}, (p) => { p.jobs[0]!.spec.sp2Words[4] ^= 1n << 5n; })).rejects.toThrow(/^job /);
    await expect(checkProgram(model, small, 1, {}, (p) => { p.jobs[0]!.spec.padT += 1; })).rejects.toThrow(/^job /);
    // and unmutated it passes
    await checkProgram(model, small, 1);
  });
});

describe('msq core compiler: models it cannot run give one-line errors naming layer and field', () => {
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    throw new Error('expected a UserError');
  };
  it('reduction longer than kMax, activations wider than A, SP2 codes the lanes cannot take, unfusable add', () => {
    const big = randomLayerModel({ ...base, cin: 64, k: [5, 5], pad: [2, 2, 2, 2] }, 1);
    expect(err(() => compileModel(big, smallCoreConfig({ kMax: 1024 }), { im2col: 'never' }))).toMatch(/^layer 'layer0'.*core\.kMax/);
    const wide = randomLayerModel({ ...base, inBits: 8 }, 1);
    expect(err(() => compileModel(wide, smallCoreConfig({ A: 6, WF: 6 })))).toMatch(/^input\.bits/);
    const sp8 = randomLayerModel({ ...base, sp2Bits: 8, sp2Fraction: 1 }, 1);
    expect(err(() => compileModel(sp8, small))).toMatch(/^layer 'layer0'\.filters\[\d+\]: cannot run on the core/);
    expect(err(() => compileModel(randomLayerModel(base, 1), smallCoreConfig({ Pf: 0, Ps: 4, Rq: 3 })))).toMatch(/^layer 'layer0'\.filters\[\d+\]: cannot run on the core: the core has no fixed lanes/);
    const oneRow = randomLayerModel({ ...base, cin: 40, w: 30 }, 1);
    expect(err(() => compileModel(oneRow, smallCoreConfig({ actDepth: 100 })))).toMatch(/^layer 'layer0'.*core\.actDepth/);
    const g = graphModel(1);
    // make 'sum' add two pool outputs: nothing to fuse into
    const layers = g.layers.map((l) => (l.name === 'sum' ? { ...l, inputs: ['mp', 'mp'] as [string, string] } : l));
    expect(err(() => compileModel(parseQuantModel({ ...g, layers }), small))).toMatch(/^layer 'sum' \(add\): cannot be fused/);
    expect(err(() => compileModel(g, { ...small, cDepth: 40 }))).toMatch(/^core\.cDepth/);
  });
});

describe('msq core compiler: sp2ActBits (SP2 lanes see only the low sp2ActBits bits of each activation)', () => {
  const s4 = smallCoreConfig({ sp2ActBits: 4 });
  const L = s4.Pf + s4.Ps;
  /** Valid channel map entries of a job: [fixed-lane entries, SP2-lane entries]. */
  const validEntries = (p: Program, layer: string): [number, number] => {
    let f = 0;
    let s = 0;
    for (const j of p.jobs.filter((x) => x.spec.layer === layer)) {
      j.spec.chanMap.forEach((c, k) => {
        if (c < 0) return;
        if (k % L < s4.Pf) f++;
        else s++;
      });
    }
    return [f, s];
  };
  const mixed = (over: Partial<RandomLayerSpec>, seed: number): QuantModel =>
    randomLayerModel({ ...base, sp2Fraction: 0.6, cout: 13, ...over }, seed);

  it('an 8-bit (or 5-bit signed) input runs every filter on the fixed lanes, exactly; SP2 filters spill as integers', async () => {
    for (const [i, over] of ([{ inBits: 8 }, { inBits: 8, inSigned: true }, { inBits: 5, inSigned: true, stride: [2, 2] }] as Partial<RandomLayerSpec>[]).entries()) {
      const model = mixed(over, 200 + i);
      expect(model.layers[0]!.op === 'conv2d' && model.layers[0]!.filters.filter((f) => f.scheme === 'sp2').length).toBe(8);
      const p = await checkProgram(model, s4, 30 + i, { im2col: 'never' });
      expect(validEntries(p, 'layer0')).toEqual([13 * p.jobs.length, 0]);
      // 13 filters on 2 fixed lanes: 7 passes (the default core packs them into 3 passes of 5 lanes)
      expect(p.jobs[0]!.spec.passes).toBe(7);
      expect(compileModel(model, small, { im2col: 'never' }).jobs[0]!.spec.passes).toBe(3);
      expect(p.layers[0]!.how).toContain(`fixed lanes only (${over.inBits}-bit input > core.sp2ActBits = 4)`);
      // every SP2 weight word is zero: the SP2 lanes compute nothing
      expect(p.jobs.every((j) => j.spec.sp2Words.every((w) => w === 0n))).toBe(true);
    }
  });

  it('inputs of <= sp2ActBits bits (signed or not, worst-case values) use the SP2 lanes and compile exactly as with sp2ActBits = A', async () => {
    const cases: [Partial<RandomLayerSpec>, boolean | 'max'][] = [
      [{ inBits: 4 }, false],
      [{ inBits: 4, inSigned: true, worstCase: true, cin: 20 }, true],
      [{ inBits: 4, inSigned: true, sp2Fraction: 1, cin: 20 }, true],
      [{ inBits: 3, inSigned: true, k: [1, 1], pad: [0, 0, 0, 0], cin: 33 }, false],
      [{ inBits: 4, worstCase: true, sp2Fraction: 1, cin: 24 }, 'max'],
    ];
    for (const [i, [over, worst]] of cases.entries()) {
      const model = mixed(over, 210 + i);
      const p = compileModel(model, s4);
      const [, s] = validEntries(p, 'layer0');
      expect(s, JSON.stringify(over)).toBeGreaterThan(0);
      expect(p.layers[0]!.how).not.toContain('fixed lanes only');
      // unchanged by sp2ActBits: the same job programs as on the sp2ActBits = A core
      const p8 = compileModel(model, small);
      expect(p.jobs.map((j) => encodeProgram(s4, j.spec))).toEqual(p8.jobs.map((j) => encodeProgram(small, j.spec)));
      // interpreter (SP2 lanes on the low 4 bits, sign-extended) = golden, on random, worst-case and all-max inputs
      const x = worst === 'max' ? new Int32Array(numel(model.input.shape)).fill(actRange(over.inBits!, !!over.inSigned)[1]) : randomInput(model, 50 + i, worst);
      const g = runGolden(model, x, { dump: true });
      programStimulus(p, g.tensors!).forEach((st, k) => {
        expect(runJob(s4, st.wgt, st.act, st.res), `${JSON.stringify(over)} job ${k}`).toEqual(st.expectedOut);
      });
    }
  });

  it('MNIST CNN: conv1 (8-bit image) on the fixed lanes only, the 4-bit layers on both, every tensor exact', async () => {
    const model = parseQuantModel(JSON.parse(readFileSync(new URL('../models/mnist-cnn.q.json', import.meta.url), 'utf8')));
    for (const [cfg, seed] of [[s4, 21], [smallCoreConfig({ sp2ActBits: 4, actDepth: 300, wDepth: 64, maxPasses: 4, cDepth: 32 }), 22]] as const) {
      const p = await checkProgram(model, cfg, seed);
      expect(validEntries(p, 'conv1_Conv')[1]).toBe(0);
      for (const l of ['conv2_Conv', 'conv3_Conv', 'fc1_Gemm']) expect(validEntries(p, l)[1], l).toBeGreaterThan(0);
    }
    // an SP2 layer fed by the 8-bit image: the same model with conv2 reading the input instead is still exact
    const layers = model.layers.map((l) => (l.name === 'conv1_Conv' && l.op === 'conv2d' ? { ...l, filters: l.filters.map((f, j) => (j % 2 ? f : { ...f, scheme: 'sp2' as const, bits: 4, weights: f.weights.map((w) => w & 15) })) } : l));
    const m2 = parseQuantModel({ ...model, layers });
    const p2 = await checkProgram(m2, s4, 23);
    expect(validEntries(p2, 'conv1_Conv')).toEqual([8 * p2.jobs.filter((j) => j.spec.layer === 'conv1_Conv').length, 0]);
    expect(p2.layers.find((l) => l.layer === 'conv1_Conv')!.how).toContain('fixed lanes only');
    expect(validEntries(compileModel(m2, small), 'conv1_Conv')[1]).toBeGreaterThan(0);
  });

  it('the truncation matters: an 8-bit job forced onto the SP2 lanes of an sp2ActBits = 4 core does not match the golden model', async () => {
    const model = mixed({ inBits: 8 }, 230);
    // compiled for a core whose SP2 lanes take all 8 bits (SP2 filters on SP2 lanes), run on the 4-bit SP2 lanes
    const p = compileModel(model, small);
    expect(validEntries(p, 'layer0')[1]).toBeGreaterThan(0);
    const g = runGolden(model, randomInput(model, 3), { dump: true });
    const stim = programStimulus(p, g.tensors!);
    for (const st of stim) expect(runJob(small, st.wgt, st.act, st.res)).toEqual(st.expectedOut);
    const differ = (st: (typeof stim)[number]): boolean => runJob(s4, st.wgt, st.act, st.res).some((beat, k) => beat !== st.expectedOut[k]);
    expect(stim.some(differ)).toBe(true);
    // and the fixed-lane-only program of the sp2ActBits = 4 core is exact on it
    await checkProgram(model, s4, 3);
  });

  it('refuses a too-wide input whose SP2 filters cannot spill, naming the layer and core.sp2ActBits', () => {
    const err = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected a UserError');
    };
    // worst-case 4-bit SP2 weights are +-8: they do not fit WF = 4
    const model = mixed({ inBits: 8, worstCase: true, sp2Fraction: 1 }, 240);
    const msg = err(() => compileModel(model, smallCoreConfig({ WF: 4, sp2ActBits: 4 })));
    expect(msg).toMatch(/^layer 'layer0'\.filters\[\d+\]: cannot run on the core: .*8-bit activations, more than core\.sp2ActBits = 4.*core\.WF = 4/);
    expect(msg).not.toContain('\n');
    // 4-bit input: fine on the SP2 lanes
    expect(() => compileModel(mixed({ inBits: 4, worstCase: true, sp2Fraction: 1 }, 240), smallCoreConfig({ WF: 4, sp2ActBits: 4 }))).not.toThrow();
    expect(err(() => compileModel(mixed({ inBits: 6, sp2Fraction: 1 }, 241), smallCoreConfig({ Pf: 0, Ps: 4, Rq: 3, sp2ActBits: 4 })))).toMatch(
      /^layer 'layer0'\.filters\[\d+\]: .*6-bit activations, more than core\.sp2ActBits = 4.*core\.Pf = 0/,
    );
  });
});
