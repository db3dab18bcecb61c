/**
 * Host compiler of the MSQ core (docs/msq-core.md "Host compilation"): a QuantModel becomes a Program, a list of jobs.
 * Every job carries its JobSpec (encoded with job.ts), where its s_act beats come from (a tile of a host tensor, or an
 * im2col gather), its s_res beats (fused residual add) and where its m_out beats go (a region of a host tensor).
 *
 * The compiler's rooms:
 *  - program.ts      the output: Program, CompiledJob, host tensors and regions
 *  - fusion.ts       which relus and adds fold into which GEMM jobs; lower-ops.ts: concat placement, refusals
 *  - lowering.ts     the per-op table (model op → lowering), like the importer's onnx/handlers.ts
 *  - gemm.ts         conv2d / linear as a conv-shaped GEMM; lower-gemm.ts: a GEMM's jobs, weights and lane maps
 *  - lower-pool.ts   pools (and the 1x1 identity job of relu / concat / resize copies)
 *  - filter-lanes.ts filters on fixed / SP2 lanes; tiling.ts: row bands and filter groups within the core's limits
 *  - lower-channels.ts slices / shuffles folded into convs before all this; streams.ts: the host side (beats)
 */
import { fail } from '../../util/errors.js';
import { checkModel, layerInputs, outputName, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import { checkCoreConfig, type CoreConfig } from './config.js';
import type { FilterLanes } from './filter-lanes.js';
import { planFusion, type FusionPlan } from './fusion.js';
import { checkJob } from './job.js';
import { lowerChannelOps } from './lower-channels.js';
import { concatPlacements, refusal, refuse, type Placement } from './lower-ops.js';
import { LOWERINGS, type Lowering, type LowerCtx } from './lowering.js';
import { shape3, type CompiledJob, type CompileOptions, type HostTensor, type Program } from './program.js';

export type { ActSource, CompiledJob, CompileOptions, HostTensor, Program, Shape3, TensorRegion } from './program.js';
export { sp2LanesFit } from './filter-lanes.js';

/** The only reader of every tensor that has exactly one (the model output counts as a reader). */
function soleConsumers(model: QuantModel): (t: string) => QuantLayer | undefined {
  const outName = outputName(model);
  const consumers = new Map<string, QuantLayer[]>();
  for (const l of model.layers) {
    for (const n of layerInputs(l)) {
      if (!consumers.has(n)) consumers.set(n, []);
      consumers.get(n)!.push(l);
    }
  }
  return (t) => {
    const c = consumers.get(t) ?? [];
    return c.length === 1 && t !== outName ? c[0] : undefined;
  };
}

/** What the compiler knows of a model before it sees a core configuration. */
interface ModelAnalysis {
  model: QuantModel;
  infos: Map<string, TensorInfo>;
  outName: string;
  placed: Map<string, Placement>;
  fusion: FusionPlan;
}

function analyze(given: QuantModel): ModelAnalysis {
  const model = lowerChannelOps(given).model; // slices / shuffles: folded into convs or 0/1 copy convs
  const infos = checkModel(model);
  const soleConsumer = soleConsumers(model);
  for (const l of model.layers) {
    const why = refusal(l, infos);
    if (why) refuse(l, why);
  }
  const placed = concatPlacements(model, infos, soleConsumer);
  return { model, infos, outName: outputName(model), placed, fusion: planFusion(model, soleConsumer) };
}

/**
 * What one compile leaves for the next compile of the SAME, unchanged model (CompileOptions.memo): the model's
 * analysis (channel ops folded, tensors checked, fusion, concat placements), which no core field changes, and per
 * GEMM layer its filters' lanes per the core fields they depend on (filter-lanes.ts lanesKey). The sizing search
 * compiles one model on hundreds of candidate cores (compiled-jobs.ts compiledJobs).
 */
export interface CompileMemo {
  analysis?: ModelAnalysis;
  lanes: Map<string, FilterLanes[]>;
}

export function compileMemo(): CompileMemo {
  return { lanes: new Map() };
}

/** Compile a model into core jobs. Errors: one line naming the layer and field (or the core.<field> to raise). */
export function compileModel(given: QuantModel, cfg: CoreConfig, opts: CompileOptions = {}): Program {
  checkCoreConfig(cfg);
  const memo = opts.memo;
  const analysis = memo?.analysis ?? analyze(given);
  if (memo) memo.analysis = analysis;
  const { model, infos, outName, placed, fusion } = analysis;
  const info = (t: string): TensorInfo => infos.get(t)!;
  const checkBits = (t: string, field: string): void => {
    const i = info(t);
    if (i.bits > cfg.A) fail(field, `tensor '${t}' has ${i.bits}-bit activations, the core streams core.A = ${cfg.A} bits`);
  };

  // host tensors: model tensor name → host tensor (flatten aliases its input); `tensors`: those a job writes
  const host = new Map<string, HostTensor>();
  const tensors = new Map<string, HostTensor>();
  const input: HostTensor = { name: model.input.name, shape: shape3(model.input.shape), bits: model.input.bits, signed: model.input.signed };
  host.set(input.name, input);
  checkBits(input.name, 'input.bits');
  const jobs: CompiledJob[] = [];
  const report: Program['layers'] = [];
  const produce = (name: string): HostTensor => {
    const i = info(name);
    const t: HostTensor = { name, shape: shape3(i.shape), bits: i.bits, signed: i.signed };
    checkBits(name, `layer '${name}'.out.bits`);
    tensors.set(name, t);
    host.set(name, t);
    return t;
  };
  const hostOf = (t: string, who: string): HostTensor => {
    const h = host.get(t);
    if (!h) throw new Error(`compile: tensor '${t}' used by '${who}' has no host tensor`);
    return h;
  };
  const ctx: LowerCtx = {
    cfg,
    model,
    infos,
    im2col: opts.im2col ?? 'auto',
    weights: opts.weights !== false,
    lanesMemo: memo?.lanes,
    fusion,
    placed,
    byName: new Map(model.layers.map((l) => [l.name, l] as const)),
    info,
    hostOf,
    tensor: (name) => tensors.get(name) ?? produce(name),
    target: (name) => {
      const p = placed.get(name);
      if (!p) return { out: produce(name) };
      const out = tensors.get(p.concat) ?? produce(p.concat);
      return { out, place: { shape: out.shape, c0: p.c0 } };
    },
    alias: (name, h) => void host.set(name, h),
    emit: (layer, how, js) => {
      jobs.push(...js);
      report.push({ layer, how, jobs: js.length });
    },
  };
  for (const l of model.layers) {
    if (l.op !== 'add' && fusion.skip.has(l.name)) continue;
    const lower = LOWERINGS[l.op] as Lowering | undefined;
    if (!lower) fail(`layer '${l.name}' (${l.op})`, 'the compiler has no lowering for this op');
    lower(ctx, l);
  }
  if (!opts.unchecked) for (const j of jobs) checkJob(cfg, j.spec, { words: opts.weights !== false });
  return { cfg, model: model.name ?? '(model)', input, output: hostOf(outName, 'output'), tensors, jobs, layers: report };
}

// the host side (stream beats from tensors and back) lives in streams.ts; importable from here as before
export {
  coreStreams,
  executeProgram,
  jobActBeats,
  jobExpectedOut,
  jobResBeats,
  programStimulus,
  programTotals,
  scatterOut,
  type CoreStreams,
  type JobExecutor,
  type JobStimulus,
} from './streams.js';
