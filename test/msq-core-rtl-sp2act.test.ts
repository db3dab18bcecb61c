/**
 * The MSQ core RTL with narrow SP2 lanes (`sp2ActBits` = 4 on A = 8, docs/msq-core.md) against the golden model: the
 * MNIST CNN on a real digit (conv1 reads the 8-bit image: every filter on the fixed lanes; the 4-bit layers use both
 * lane kinds) and random layers with 8-bit and <= 4-bit inputs (signed / unsigned, worst-case weights, inputs at the
 * extremes) run back to back in ONE Verilator simulation with random stalls on all streams; every m_out beat comes
 * from the golden model's tensors (programStimulus), never from a model of the RTL. A negative control runs an 8-bit
 * job compiled for full-width SP2 lanes on this core: it must differ from the golden model (and agree with the job
 * interpreter, which truncates the same way).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStreams } from '../src/sim/index.js';
import { pixelsToReal, quantizeInput, runGolden } from '../src/msq/golden.js';
import { loadMnist } from '../src/data/mnist.js';
import { parseQuantModel } from '../src/msq/model.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from './support/random-layer.js';
import { addModel, emptyRun, flatInput, runCore } from './support/core-run.js';
import { lanes, smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { compileModel, programStimulus, type CompiledJob } from '../src/msq/core/compile.js';
import { runJob } from '../src/msq/core/interp.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { PROJECT_ROOT } from '../src/version.js';

const cfg: CoreConfig = smallCoreConfig({ sp2ActBits: 4 });
const L = lanes(cfg);

/** Valid channel map entries on SP2 lanes (lanes Pf..L-1 of every pass). */
const sp2Entries = (jobs: CompiledJob[]): number => jobs.reduce((a, j) => a + j.spec.chanMap.filter((ch, k) => ch >= 0 && k % L >= cfg.Pf).length, 0);

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 6, w: 5, cout: 9, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1],
  sp2Fraction: 0.6, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4,
};


/** One-layer cases: [title, spec, input: random / worst-case random / all at min / all at max]. */
const layerCases: [string, Partial<RandomLayerSpec>, boolean | 'min' | 'max'][] = [
  ['8-bit unsigned in, worst-case (fixed lanes only)', { worstCase: true, cin: 20 }, true],
  ['8-bit signed in at min, SP2 only (spilled)', { inSigned: true, sp2Fraction: 1, worstCase: true, cin: 18, k: [1, 1], pad: [0, 0, 0, 0] }, 'min'],
  ['4-bit signed in, worst-case', { inBits: 4, inSigned: true, worstCase: true, cin: 20 }, true],
  ['4-bit signed in at min (-8 on every lane), SP2 only', { inBits: 4, inSigned: true, worstCase: true, sp2Fraction: 1, cin: 33, k: [1, 1], pad: [0, 0, 0, 0] }, 'min'],
  ['4-bit unsigned in at max (15), SP2 only', { inBits: 4, worstCase: true, sp2Fraction: 1, cin: 24, stride: [2, 2] }, 'max'],
  ['3-bit signed in', { inBits: 3, inSigned: true, cin: 17, cout: 13 }, false],
];

const mnist = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')));

describe('MSQ core RTL with sp2ActBits = 4 (A = 8): narrow SP2 lanes, wide jobs on the fixed lanes', () => {
  const design = coreSimDesign(generateCore(cfg));

  it('MNIST (1 real digit) and random 8-bit / <= 4-bit layers back to back: every job equals the golden model, with stalls', async () => {
    const run = emptyRun();
    const img = loadMnist('test', 1).images[0]!;
    addModel(run, mnist, quantizeInput(mnist, pixelsToReal(mnist, img)), cfg);
    const mnistJobs = run.jobs.length;
    // conv1 reads the 8-bit image: no SP2 lane used; the 4-bit layers use them
    expect(sp2Entries(run.jobs.filter((j) => j.spec.layer === 'conv1_Conv'))).toBe(0);
    for (const l of ['conv2_Conv', 'conv3_Conv', 'fc1_Gemm']) expect(sp2Entries(run.jobs.filter((j) => j.spec.layer === l)), l).toBeGreaterThan(0);
    layerCases.forEach(([title, over, input], i) => {
      const model = randomLayerModel({ ...base, ...over }, 700 + i);
      const from = run.jobs.length;
      const x = input === 'min' || input === 'max' ? flatInput(model, input) : randomInput(model, 70 + i, input);
      addModel(run, model, x, cfg);
      const s = sp2Entries(run.jobs.slice(from));
      if ((over.inBits ?? base.inBits) > 4) expect(s, title).toBe(0);
      else expect(s, title).toBeGreaterThan(0);
    });
    expect(run.jobs.length).toBeGreaterThan(mnistJobs + layerCases.length - 1);
    const r = await runCore(design, run, 17);
    expect(r.outputs.m_out!.length).toBe(run.out.length);
    console.log(`core RTL sp2ActBits 4: ${run.jobs.length} jobs, ${run.out.length} beats, ${r.cycleCount} cycles, build ${Math.round(r.buildMs)} ms, sim ${Math.round(r.simMs)} ms`);
  }, 600_000);

  it('negative control: an 8-bit job put on the SP2 lanes (compiled for sp2ActBits = A) differs from the golden model, as the interpreter predicts', async () => {
    const model = randomLayerModel({ ...base, sp2Fraction: 1, cout: 6, cin: 16, k: [1, 1], pad: [0, 0, 0, 0] }, 760);
    const wideCfg = smallCoreConfig(); // same streams, SP2 lanes on all 8 bits
    const prog = compileModel(model, wideCfg);
    expect(sp2Entries(prog.jobs)).toBeGreaterThan(0);
    const stim = programStimulus(prog, runGolden(model, randomInput(model, 76), { dump: true }).tensors!);
    expect(stim.length).toBe(1);
    const s = stim[0]!;
    const predicted = runJob(cfg, s.wgt, s.act, s.res);
    expect(predicted).not.toEqual(s.expectedOut);
    const r = await runStreams(design, {
      inputs: { s_wgt: s.wgt.map((data) => ({ data })), s_act: s.act.map((data) => ({ data })), s_res: [] },
      expected: { m_out: predicted.map((data, k) => ({ data, last: k === predicted.length - 1 })) },
      seed: 3,
      validProb: 0.7,
      readyProb: 0.7,
      maxCycles: 200_000,
    });
    expect(r.outputs.m_out!.map((b) => b.data)).toEqual(predicted);
  }, 600_000);
});
