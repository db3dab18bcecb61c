/**
 * The core runs every combination the planner can pick: per job weight choice (fixed 2 / 4 / 8 bits, SP2 at m = 4,
 * MSQ = fixed 4 + SP2 4) × input activations 4 / 8 bits, each as a small random layer (worst-case codes for half of
 * them), and one mixed-precision network end to end (the planner's most mixed front point of a small residual model,
 * quantized by ptq.ts), all back to back in ONE Verilator simulation of a small core with the board presets'
 * lane widths (A 8, WF 8, m 4, sp2ActBits 4; same build as test/msq-core-rtl-sp2act.test.ts), random stalls on
 * every stream; every m_out beat comes from the golden model.
 */
import { describe, expect, it } from 'vitest';
import { runStreams, type Beat } from '../src/sim/index.js';
import { runGolden } from '../src/msq/golden.js';
import type { QuantModel } from '../src/msq/model.js';
import { quantizeFloatModel, rangesFromSamples } from '../src/msq/ptq.js';
import { quantizeInput } from '../src/msq/golden.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { compileModel, coreStreams, programStimulus } from '../src/msq/core/compile.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { planModel, type PlanPoint } from '../src/msq/plan/index.js';
import { pointByName } from '../src/msq/plan/auto.js';
import { generatedSamples } from '../src/msq/plan/samples.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from './support/random-layer.js';
import { tinyModel } from './support/plan-tiny.js';

const cfg: CoreConfig = smallCoreConfig({ sp2ActBits: 4 });

interface Run { wgt: Beat[]; act: Beat[]; res: Beat[]; out: Beat[]; jobs: number }

function addModel(run: Run, model: QuantModel, input: Int32Array): void {
  const prog = compileModel(model, cfg);
  const st = coreStreams(programStimulus(prog, runGolden(model, input, { dump: true }).tensors!));
  run.wgt.push(...st.inputs.s_wgt);
  run.act.push(...st.inputs.s_act);
  run.res.push(...st.inputs.s_res);
  run.out.push(...st.expected.m_out);
  run.jobs += prog.jobs.length;
}

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 6, h: 5, w: 5, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1],
  sp2Fraction: 0, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 4, sp2Bits: 4,
};

/** (scheme, weight bits) as the planner offers them on an m = 4 core */
const weights: [string, Partial<RandomLayerSpec>][] = [
  ['fixed2', { fixedBits: 2 }],
  ['fixed4', { fixedBits: 4 }],
  ['fixed8', { fixedBits: 8 }],
  ['sp2-4', { sp2Fraction: 1 }],
  ['msq4', { sp2Fraction: 0.6 }],
];

describe('MSQ core RTL runs every (weights, activations, scheme) the planner picks', () => {
  it('10 single-layer combinations and a mixed-precision network, back to back with stalls, equal the golden model', async () => {
    const run: Run = { wgt: [], act: [], res: [], out: [], jobs: 0 };
    let seed = 1400;
    for (const [, over] of weights) {
      for (const inBits of [4, 8]) {
        const spec = { ...base, ...over, inBits, inSigned: inBits === 4, worstCase: seed % 2 === 0 };
        const model = randomLayerModel(spec, seed);
        addModel(run, model, randomInput(model, seed, true));
        seed++;
      }
    }
    // mixed-precision networks end to end: the planner's pick of a small residual model, and a hand-made assignment
    // with a different combination on every layer (c2 reads 4-bit, c3 8-bit, fc 4-bit activations)
    const fm = tinyModel();
    const samples = generatedSamples(fm, 3);
    const plan = planModel(fm, { board: 'xc7z020', samples });
    const handMade: PlanPoint = {
      ...plan.pick,
      layers: { c1: { w: 8, a: 8, scheme: 'fixed' }, c2: { w: 4, a: 4, scheme: 'sp2' }, c3: { w: 4, a: 8, scheme: 'msq' }, fc: { w: 2, a: 4, scheme: 'fixed' } },
    };
    const nets: string[] = [];
    for (const point of [plan.pick, handMade]) {
      const qm = quantizeFloatModel(fm, { actRanges: rangesFromSamples(fm, samples), board: 'xc7z020', byName: pointByName(fm, point, 'variance') });
      nets.push(qm.layers.flatMap((l) => ('filters' in l ? [`${l.name}:${[...new Set(l.filters.map((f) => f.scheme + f.bits))].sort().join('+')}`] : [])).join(' '));
      addModel(run, qm, quantizeInput(qm, samples[0]!));
    }
    expect(nets[1]).toBe('c1:fixed8 c2:sp24 c3:fixed4+sp24 fc:fixed2');
    const r = await runStreams(coreSimDesign(generateCore(cfg)), {
      inputs: { s_wgt: run.wgt, s_act: run.act, s_res: run.res },
      expected: { m_out: run.out },
      seed: 14,
      validProb: { s_wgt: 0.8, s_act: 0.6, s_res: 0.5 },
      readyProb: 0.6,
      maxCycles: 2_000_000,
    });
    expect(r.outputs.m_out!.length).toBe(run.out.length);
    console.log(`plan RTL: ${run.jobs} jobs, ${run.out.length} beats, networks ${nets.join(' | ')}; ${r.cycleCount} cycles`);
  }, 600_000);
});
