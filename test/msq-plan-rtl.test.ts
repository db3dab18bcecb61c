/**
 * The core runs every combination the planner can pick: per job weight choice (fixed 2 / 4 / 8 bits, SP2 at m = 4,
 * MSQ = fixed 4 + SP2 4) × input activations 4 / 8 bits, each as a small random layer (worst-case codes for half of
 * them), and one mixed-precision network end to end (the planner's most mixed front point of a small residual model,
 * quantized by ptq.ts), all back to back in ONE Verilator simulation of a small core with the board presets'
 * lane widths (A 8, WF 8, m 4, sp2ActBits 4; same build as test/msq-core-rtl-sp2act.test.ts), random stalls on
 * every stream; every m_out beat comes from the golden model.
 */
import { describe, expect, it } from 'vitest';
import { quantizeFloatModel, rangesFromSamples } from '../src/msq/ptq.js';
import { quantizeInput } from '../src/msq/golden.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { planModel, type PlanPoint } from '../src/msq/plan/index.js';
import { pointByName } from '../src/msq/plan/auto.js';
import { generatedSamples } from '../src/msq/plan/samples.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from './support/random-layer.js';
import { addModel, emptyRun, runCore } from './support/core-run.js';
import { tinyModel } from './support/plan-tiny.js';

const cfg: CoreConfig = smallCoreConfig({ sp2ActBits: 4 });

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
    const run = emptyRun();
    let seed = 1400;
    for (const [, over] of weights) {
      for (const inBits of [4, 8]) {
        const spec = { ...base, ...over, inBits, inSigned: inBits === 4, worstCase: seed % 2 === 0 };
        const model = randomLayerModel(spec, seed);
        addModel(run, model, randomInput(model, seed, true), cfg);
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
      addModel(run, qm, quantizeInput(qm, samples[0]!), cfg);
    }
    expect(nets[1]).toBe('c1:fixed8 c2:sp24 c3:fixed4+sp24 fc:fixed2');
    const r = await runCore(coreSimDesign(generateCore(cfg)), run, 14);
    expect(r.outputs.m_out!.length).toBe(run.out.length);
    console.log(`plan RTL: ${run.jobs.length} jobs, ${run.out.length} beats, networks ${nets.join(' | ')}; ${r.cycleCount} cycles`);
  }, 600_000);
});
