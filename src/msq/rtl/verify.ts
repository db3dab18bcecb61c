/**
 * Differential verification of a generated layer engine against the golden model (src/msq/golden.ts): build the
 * one-layer model, run the golden model, simulate the engine with the src/sim harness (random valid/ready stalls
 * when asked) and compare every output beat. Used by the tests, `msq build` and the benchmarks.
 */
import { runGolden } from '../golden.js';
import { fail } from '../../util/errors.js';
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

/**
 * A one-layer model holding layer `name` of `model`, whose input is that layer's input tensor (same bits, signed,
 * scale, shape): to run one weighted layer of a network on the engine with the golden model's intermediate tensor.
 */
export function layerAsModel(model: QuantModel, name: string): QuantModel {
  const infos = checkModel(model);
  const layer = model.layers.find((l) => l.name === name);
  if (!layer || (layer.op !== 'conv2d' && layer.op !== 'linear')) fail('layer', `'${name}' is not a conv2d or linear layer of the model`);
  const t = infos.get(layer.input)!;
  return {
    format: model.format,
    version: model.version,
    name: `${model.name ?? 'model'}:${name}`,
    input: { name: layer.input, shape: [...t.shape], bits: t.bits, signed: t.signed, scale: t.scale },
    layers: [layer],
  };
}

export interface VerifyOptions {
  sim?: 'verilator' | 'icarus' | 'both';
  seed?: number;
  validProb?: number;
  readyProb?: number;
}

/**
 * Simulate one frame (or several back to back: the engine re-arms after each frame's last beat) through the engine
 * and compare every output beat with the golden model; throws SimMismatch on the first difference.
 */
export async function verifyEngine(e: BuiltEngine, input: Int32Array | Int32Array[], o: VerifyOptions = {}): Promise<RunResult> {
  const { plan } = e;
  const frames = Array.isArray(input) ? input : [input];
  const N = plan.shape.N;
  const ins = frames.flatMap((x) => packActivations(x, plan.cin, plan.inH, plan.inW, N, plan.inBits));
  const outs = frames.flatMap((x) => outputBeats(runGolden(e.model, x).output.data, plan.cout, plan.outH, plan.outW, N, plan.outBits));
  const opts = {
    inputs: { s_act: ins },
    expected: { m_out: outs },
    seed: o.seed ?? 1,
    validProb: o.validProb ?? 1,
    readyProb: o.readyProb ?? 1,
    maxCycles: Math.ceil((frames.length * e.model_cycles.total * 4) / ((o.validProb ?? 1) * (o.readyProb ?? 1))) + 10_000,
  };
  const design = engineSimDesign(plan, e.rtl);
  if (o.sim === 'both') return (await runBoth(design, opts)).verilator;
  return runStreams(design, { ...opts, sim: o.sim ?? 'verilator' });
}
