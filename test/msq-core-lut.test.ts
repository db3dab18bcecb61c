/**
 * The requantizer's lookup-table stage (src/msq/lut.ts, docs/msq-core.md section 6): pointwise functions fused into
 * the GEMM that writes their input (HardSwish, Sigmoid) and carried by 1x1 identity jobs otherwise (HardSigmoid after
 * a max pool, SiLU after a residual add, ReLU6 after a concat), and the squeeze-excite multiply (a depthwise 1x1 job
 * whose weights the host writes from the gate tensor at run time). Every job through the job interpreter and the host
 * loop against the golden model, then the whole program in one Verilator run with random stalls; the cycle model
 * is exact for one job with a table.
 */
import { describe, expect, it } from 'vitest';
import { runStreams } from '../src/sim/index.js';
import { runGolden } from '../src/msq/golden.js';
import { type FloatLayer, type FloatModel, type QuantModel } from '../src/msq/model.js';
import { quantizeFloatModel, rangesFromSamples } from '../src/msq/ptq.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { compileModel, coreStreams, executeProgram, programStimulus } from '../src/msq/core/compile.js';
import { runJob } from '../src/msq/core/interp.js';
import { checkJob } from '../src/msq/core/job.js';
import { lutWords } from '../src/msq/lut.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { scheduleProgram } from '../src/msq/core/cycle-model.js';
import { randomInput, rng } from './support/random-layer.js';

// the configuration of test/msq-core-rtl.test.ts / msq-core-ops.test.ts (shared Verilator build)
const cfg: CoreConfig = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });

function floatNet(): FloatModel {
  const r = rng(11);
  const conv = (name: string, input: string, cin: number, cout: number, k: number, s: number): FloatLayer => ({
    op: 'conv2d', name, input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [s, s], padding: [k >> 1, k >> 1, k >> 1, k >> 1], groups: 1,
    weight: Float64Array.from({ length: cout * cin * k * k }, () => r() - 0.5), bias: Float64Array.from({ length: cout }, () => r() * 0.4 - 0.2),
  });
  return {
    input: { shape: [3, 12, 12] },
    layers: [
      conv('c1', 'input', 3, 6, 3, 1),
      { op: 'act', name: 'hsw', input: 'c1', fn: 'hardswish', params: {} }, // fused into c1
      { op: 'maxpool', name: 'p1', input: 'hsw', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      { op: 'act', name: 'hsig', input: 'p1', fn: 'hardsigmoid', params: { alpha: 1 / 6, beta: 0.5 } }, // identity job
      conv('c2', 'hsig', 6, 5, 3, 1),
      { op: 'act', name: 'sig', input: 'c2', fn: 'sigmoid', params: {} }, // fused into c2
      { op: 'globalavgpool', name: 'gap', input: 'hsw' }, // squeeze-excite on hsw: 144 positions > kMax / N = 128
      conv('fc1', 'gap', 6, 3, 1, 1),
      { op: 'relu', name: 'fr', input: 'fc1' },
      conv('fc2', 'fr', 3, 6, 1, 1),
      { op: 'act', name: 'gate', input: 'fc2', fn: 'hardsigmoid', params: { alpha: 1 / 6, beta: 0.5 } },
      { op: 'mulchannel', name: 'se', inputs: ['hsw', 'gate'] },
      conv('c3', 'se', 6, 5, 3, 2),
      conv('c4', 'sig', 5, 5, 1, 1),
      { op: 'add', name: 'sum', inputs: ['c3', 'c4'] },
      { op: 'act', name: 'silu', input: 'sum', fn: 'silu', params: {} }, // identity job after the fused add
      { op: 'concat', name: 'cat', inputs: ['silu', 'sig'] },
      { op: 'act', name: 'r6', input: 'cat', fn: 'relu6', params: {} },
    ],
  };
}

function quantNet(): QuantModel {
  const fm = floatNet();
  const r = rng(13);
  const samples = Array.from({ length: 6 }, () => Float64Array.from({ length: 432 }, () => r() * 2 - 0.5));
  return quantizeFloatModel(fm, { actRanges: rangesFromSamples(fm, samples), rule: 'variance', ratio: 1, inner: { actBits: 6 } });
}

describe('MSQ core: per-layer lookup tables after the requantizer', () => {
  const model = quantNet();
  const prog = compileModel(model, cfg);

  it('tables fuse into the GEMM writing their input, else ride an identity job; every job and tensor equals golden', async () => {
    const how = new Map(prog.layers.map((l) => [l.layer, l.how]));
    expect(how.get('c1')).toContain("+hardswish table 'hsw'");
    expect(how.get('c2')).toContain("+sigmoid table 'sig'");
    expect(how.get('hsig')).toBe('hardsigmoid table on a 1x1 identity job');
    expect(how.get('se')).toMatch(/^squeeze-excite as a depthwise 1x1 job/);
    expect(prog.jobs.some((j) => j.se)).toBe(true);
    expect(prog.jobs.filter((j) => j.spec.lut).length).toBeGreaterThanOrEqual(4);
    for (const seed of [1, 2]) {
      const x = randomInput(model, seed, seed === 2);
      const g = runGolden(model, x, { dump: true });
      programStimulus(prog, g.tensors!).forEach((s, i) => expect(runJob(cfg, s.wgt, s.act, s.res), prog.jobs[i]!.spec.name).toEqual(s.expectedOut));
      const t = await executeProgram(prog, x, (w, a, res) => runJob(cfg, w, a, res));
      // the gate differs between channels (else a wrong channel -> gate mapping could pass)
      expect(new Set(g.tensors!.get('gate')!.data).size).toBeGreaterThan(2);
      for (const n of ['hsw', 'se', 'sig', 'silu', 'r6']) expect(Array.from(t.get(n) ?? []), n).toEqual(Array.from(g.tensors!.get(n)!.data));
    }
  });

  it('the table is indexed by y mod 256: a signed input puts table[0] at word 256 - 2^(b-1)', () => {
    const t = Array.from({ length: 16 }, (_, i) => i * 3);
    const w = lutWords(t, true);
    expect(w[256 - 8]).toBe(0);
    expect(w[7]).toBe(45);
    expect(lutWords(t, false)[15]).toBe(45);
    const spec = prog.jobs.find((j) => j.spec.lut)!.spec;
    expect(() => checkJob(cfg, { ...spec, lutTable: spec.lutTable!.slice(1) })).toThrow(/lutTable/);
    expect(() => checkJob(cfg, { ...spec, lut: false })).toThrow(/need the lut flag/);
  });

  it('the whole program in one Verilator run with random stalls equals the golden model', async () => {
    const x = randomInput(model, 3);
    const g = runGolden(model, x, { dump: true });
    const streams = coreStreams(programStimulus(prog, g.tensors!));
    const r = await runStreams(coreSimDesign(generateCore(cfg)), {
      ...streams, seed: 7, validProb: { s_wgt: 0.7, s_act: 0.7, s_res: 0.6 }, readyProb: 0.7, maxCycles: 2_000_000,
    });
    expect(r.outputs.m_out!.length).toBe(streams.expected.m_out.length);
  }, 600_000);

  it('cycle model exact per job (streams always valid / ready): tables, identity jobs, squeeze-excite', async () => {
    const g = runGolden(model, randomInput(model, 4), { dump: true });
    const r = await runStreams(coreSimDesign(generateCore(cfg)), { ...coreStreams(programStimulus(prog, g.tensors!)), maxCycles: 2_000_000 });
    const rtl = r.outputs.m_out!.filter((b) => b.last).map((b) => b.cycle);
    const st = scheduleProgram(prog.jobs.map((j) => j.spec), cfg);
    expect(rtl.length).toBe(prog.jobs.length);
    expect(st.map((s) => s.lastBeat)).toEqual(rtl);
  }, 600_000);
});
