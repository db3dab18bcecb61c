/**
 * Differential verification of a generated layer engine against the golden model (src/msq/golden.ts): build the
 * one-layer model, run the golden model, simulate the engine with the src/sim harness (random valid/ready stalls
 * when asked) and compare every output beat. Used by the tests, `msq build` and the benchmarks.
 */
import { runGolden } from '../golden.js';
import { checkModel, type Conv2dLayer, type LinearLayer, type QuantModel } from '../model.js';
import { runStreams, runBoth } from '../../sim/index.js';
import type { RunResult } from '../../sim/types.js';
import { layerCycles, type LayerCycles } from '../cycle-model.js';
import { planLayer, type EngineShape, type LayerPlan } from './plan.js';
import { generateLayerEngine, type EngineRtl } from './engine.js';
import { engineSimDesign, outputBeats, packActivations } from './index.js';

export interface BuiltEngine {
  model: QuantModel;
  plan: LayerPlan;
  rtl: EngineRtl;
  model_cycles: LayerCycles;
}

/** Plan and generate the engine for the (single) weighted layer of a one-layer model. */
export function buildEngine(model: QuantModel, shape: EngineShape, prefix = 'msq'): BuiltEngine {
  const infos = checkModel(model);
  const layer = model.layers[0]! as Conv2dLayer | LinearLayer;
  const plan = planLayer(layer, infos.get(layer.input)!, shape);
  return { model, plan, rtl: generateLayerEngine(plan, prefix), model_cycles: layerCycles(plan) };
}

export interface VerifyOptions {
  sim?: 'verilator' | 'icarus' | 'both';
  seed?: number;
  validProb?: number;
  readyProb?: number;
}

/** Simulate `inputs` frames through the engine (one run per frame) and compare to the golden model; throws on mismatch. */
export async function verifyEngine(e: BuiltEngine, input: Int32Array, o: VerifyOptions = {}): Promise<RunResult> {
  const { plan } = e;
  const g = runGolden(e.model, input).output;
  const N = plan.shape.N;
  const opts = {
    inputs: { s_act: packActivations(input, plan.cin, plan.inH, plan.inW, N, plan.inBits) },
    expected: { m_out: outputBeats(g.data, plan.cout, plan.outH, plan.outW, N, plan.outBits) },
    seed: o.seed ?? 1,
    validProb: o.validProb ?? 1,
    readyProb: o.readyProb ?? 1,
    maxCycles: Math.ceil((e.model_cycles.total * 4) / ((o.validProb ?? 1) * (o.readyProb ?? 1))) + 10_000,
  };
  const design = engineSimDesign(plan, e.rtl);
  if (o.sim === 'both') return (await runBoth(design, opts)).verilator;
  return runStreams(design, { ...opts, sim: o.sim ?? 'verilator' });
}
