/**
 * Weights over AXI4-Stream (`weights: 'stream'`): one engine, three different weight sets of the same layer shape
 * (different codes, fixed/SP2 assignment, bias and requantization constants), streamed as 32-bit s_wgt beats into
 * two banks while frames run; every frame equals the golden model of its own weights. Random stalls on both inputs
 * and on the output; Verilator and Icarus agree.
 */
import { describe, expect, it } from 'vitest';
import { lintVerilog } from '../src/hdl/lint.js';
import { runBoth } from '../src/sim/index.js';
import { runGolden } from '../src/msq/golden.js';
import { checkModel, type Conv2dLayer } from '../src/msq/model.js';
import { engineSimDesign, generateLayerEngine, outputBeats, packActivations, planLayer, weightSetBeats } from '../src/msq/rtl/index.js';
import { checkWeightSet } from '../src/msq/rtl/plan.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';
import { layerCycles } from '../src/msq/cycle-model.js';

const spec: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 5, w: 6, cout: 7, k: [3, 3], stride: [1, 2], pad: [1, 1, 1, 1], sp2Fraction: 0.6,
  inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4,
};

describe('msq engine with streamed weight sets', () => {
  it('runs three weight sets on one engine, double-buffered, bit-exact', async () => {
    const shape = { N: 4, Pf: 2, Ps: 3, Rq: 2 };
    const models = [1, 2, 3].map((seed) => randomLayerModel(spec, seed));
    const plans = models.map((m) => planLayer(m.layers[0] as Conv2dLayer, checkModel(m).get('input')!, shape));
    const enginePlan = planLayer(models[0]!.layers[0] as Conv2dLayer, checkModel(models[0]!).get('input')!, shape, { anyWeights: true });
    for (const p of plans) checkWeightSet(enginePlan, p);
    expect(plans[1]!.fixedFilters).not.toEqual(plans[0]!.fixedFilters); // the sets really differ in their split
    const rtl = generateLayerEngine(enginePlan, 'msq', { weights: 'stream' });
    expect(rtl.files.get('msq_engine.v')).not.toMatch(/initial begin/);
    await lintVerilog(rtl.files, rtl.top);
    const xs = models.map((m, i) => randomInput(m, 60 + i, i === 0));
    const N = shape.N;
    const acts = xs.flatMap((x) => packActivations(x, spec.cin, spec.h, spec.w, N, spec.inBits));
    const wgts = plans.flatMap((p) => weightSetBeats(p));
    const p0 = plans[0]!;
    const expected = models.flatMap((m, i) => outputBeats(runGolden(m, xs[i]!).output.data, p0.cout, p0.outH, p0.outW, N, p0.outBits));
    const r = await runBoth(engineSimDesign(enginePlan, rtl), {
      inputs: { s_act: acts, s_wgt: wgts },
      expected: { m_out: expected },
      seed: 13,
      validProb: { s_act: 0.8, s_wgt: 0.9 },
      readyProb: 0.7,
      maxCycles: 40 * layerCycles(p0).total + 20 * wgts.length,
    });
    expect(r.verilator.consumed.s_wgt).toBe(wgts.length);
    // a weight set of another shape is refused with the field named
    const other = randomLayerModel({ ...spec, cout: 6 }, 4);
    expect(() => checkWeightSet(enginePlan, planLayer(other.layers[0] as Conv2dLayer, checkModel(other).get('input')!, shape))).toThrow(/cout: is 6/);
  });
});
