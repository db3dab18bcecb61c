/**
 * Lowering of an I-ViT QuantModel onto the MSQ core (docs/vit.md "On the core"): a VitProgram is a list of steps.
 *  - 'core': a conv2d (patch embedding, every per-token linear as a 1x1 convolution, the classifier): the MSQ
 *    compiler's GEMM jobs (src/msq/core/compile.ts) of a one-layer model. Token tensors [D, 1, T] are compiled as
 *    [D, T, 1] (the same bytes), so long sequences are cut into row bands like any feature map.
 *  - 'runtime': one attention head of a matmul layer: GEMM jobs (1x1 convolution over the head's channel range of
 *    input a) whose filters are built from input b at execution time — Q.K^T: filter j = key token j; A.V: filter c =
 *    V channel c over the key tokens. The template jobs carry placeholder codes (127, so sizes and cycles are those
 *    of 8-bit weights); `runtimeJobs` recompiles them with the real codes. Fixed 8-bit lanes only: SP2 lanes hold
 *    sums of two powers of two and cannot represent arbitrary 8-bit activations.
 *  - 'nl': layernorm / softmax / gelu, on the I-ViT nonlinear unit (or the host) — NOT core jobs.
 *  - 'host': gather (class token, token select), addconst (position embedding), add (residual; not yet fused into
 *    the GEMM before it) — host steps, NOT core jobs.
 */
import { UserError, fail } from '../../util/errors.js';
import type { Tensor } from '../golden.js';
import { checkModel, type Conv2dLayer, type Filter, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import type { CoreConfig } from '../core/config.js';
import { compileModel, type CompiledJob, type Shape3 } from '../core/compile.js';
import type { VitQuantLayer } from './check.js';
import { runtimeWeight } from './golden-ops.js';
import { CORE_NL_UNIT } from '../core/rtl/nl-config.js';
import type { NlUnitConfig } from '../ivit/rtl/index.js';

export type VitStep =
  | { kind: 'core'; layer: string; jobs: CompiledJob[] }
  | { kind: 'runtime'; layer: string; head: number; jobs: CompiledJob[] }
  | { kind: 'nl'; layer: string; mode: 'layernorm' | 'softmax' | 'gelu'; rows: number; len: number }
  | { kind: 'host'; layer: string; op: 'gather' | 'addconst' | 'add'; elements: number };

export interface VitProgram {
  cfg: CoreConfig;
  /** the nonlinear unit beside the core (its row buffer limits Shiftmax / I-LayerNorm rows) */
  nl: NlUnitConfig;
  model: QuantModel;
  infos: Map<string, TensorInfo>;
  steps: VitStep[];
}

/** A token tensor [C, 1, T] as the core sees it: [C, T, 1]. */
const coreShape = (s: readonly number[]): Shape3 => (s[1] === 1 && s[2]! > 1 ? [s[0]!, s[2]!, 1] : [s[0]!, s[1]!, s[2]!]);

/** The jobs of a one-layer model; compiler errors are re-worded to name the layer. */
function compileOne(cfg: CoreConfig, field: string, input: { name: string; shape: Shape3; info: TensorInfo }, layer: Conv2dLayer): CompiledJob[] {
  const model: QuantModel = {
    format: 'accelforge-msq', version: 1,
    input: { name: input.name, shape: [...input.shape], bits: input.info.bits, signed: input.info.signed, scale: input.info.scale },
    layers: [layer],
  };
  try {
    return compileModel(model, cfg).jobs;
  } catch (e) {
    if (e instanceof UserError) fail(field, `does not fit the core: ${e.message.replace(/^layers\[0\][^:]*:\s*/, '')}`);
    throw e;
  }
}

/** Filters of head `h` of a matmul: from the run-time operand b, or placeholders (code 127) for the template. */
function headFilters(l: Extract<VitQuantLayer, { op: 'matmul' }>, h: number, nb: number, b?: Int32Array): Filter[] {
  const tokens = l.filtersFrom === 'tokens';
  const perHead = tokens ? nb : l.headSize;
  const K = tokens ? l.headSize : nb;
  const b0 = l.offsets[1];
  return Array.from({ length: perHead }, (_, f) => ({
    scheme: 'fixed' as const, bits: 8, alpha: 1, bias: 0, M: l.M, S: l.S,
    weights: Array.from({ length: K }, (_, k) => {
      if (!b) return 127;
      return runtimeWeight(tokens ? b[(b0 + h * l.headSize + k) * nb + f]! : b[(b0 + h * l.headSize + f) * nb + k]!);
    }),
  }));
}

/** GEMM jobs of head h of a matmul layer (placeholder weights without `b`). */
export function headJobs(p: Pick<VitProgram, 'cfg' | 'infos'>, l: Extract<VitQuantLayer, { op: 'matmul' }>, h: number, b?: Int32Array): CompiledJob[] {
  const a = p.infos.get(l.inputs[0])!;
  const bi = p.infos.get(l.inputs[1])!;
  const nb = bi.shape[1]! * bi.shape[2]!;
  const tokens = l.filtersFrom === 'tokens';
  const K = tokens ? l.headSize : nb;
  const perHead = tokens ? nb : l.headSize;
  const aBase = l.offsets[0] + h * K;
  const as = coreShape(a.shape);
  const outShape = coreShape(p.infos.get(l.name)!.shape);
  const conv: Conv2dLayer = {
    name: l.name, op: 'conv2d', input: l.inputs[0], inChannels: K, outChannels: perHead, kernel: [1, 1], stride: [1, 1],
    padding: [0, 0, 0, 0], groups: 1, out: l.out, filters: headFilters(l, h, nb, b),
  };
  const jobs = compileOne(p.cfg, `layer '${l.name}' head ${h}`, { name: l.inputs[0], shape: [K, as[1], as[2]], info: a }, conv);
  return jobs.map((j) => {
    if (j.act.kind !== 'tile') fail(`layer '${l.name}'`, 'internal: a 1x1 head job must stream a tile');
    return {
      ...j,
      spec: { ...j.spec, name: `${j.spec.name}.h${h}` },
      act: { ...j.act, shape: as, c0: aBase + j.act.c0 },
      out: { ...j.out, shape: outShape, c0: h * perHead + j.out.c0 },
    };
  });
}

function lowerLayer(p: VitProgram, l: QuantLayer): VitStep[] {
  const info = (n: string): TensorInfo => p.infos.get(n)!;
  switch (l.op) {
    case 'conv2d': {
      const x = info(l.input);
      return [{ kind: 'core', layer: l.name, jobs: compileOne(p.cfg, `layer '${l.name}'`, { name: l.input, shape: coreShape(x.shape), info: x }, l) }];
    }
    case 'matmul':
      return Array.from({ length: l.heads }, (_, h) => ({ kind: 'runtime' as const, layer: l.name, head: h, jobs: headJobs(p, l, h) }));
    case 'layernorm':
    case 'softmax':
    case 'gelu': {
      const [C, H, W] = info(l.input).shape as [number, number, number];
      const groups = l.op === 'softmax' ? l.groups : 1;
      const len = C / groups;
      // Shiftmax and I-LayerNorm hold a whole row in the unit's row buffer; ShiftGELU is elementwise (rows chopped)
      if (l.op !== 'gelu' && len > p.nl.maxLen) {
        const what = l.op === 'softmax' ? `attention rows of ${len} key tokens` : `rows of ${len} features`;
        fail(`layer '${l.name}'`, `does not fit the core: ${what}, the nonlinear unit's row buffer holds ${p.nl.maxLen} (sequence length / model dimension <= ${p.nl.maxLen})`);
      }
      return [{ kind: 'nl', layer: l.name, mode: l.op, rows: H * W * groups, len: C / groups }];
    }
    case 'gather':
    case 'addconst':
    case 'add':
      return [{ kind: 'host', layer: l.name, op: l.op, elements: info(l.name).shape.reduce((a, b) => a * b, 1) }];
    default:
      fail(`layer '${l.name}'`, `${l.op} layers are not lowered by the transformer path`);
  }
}

export function lowerVit(model: QuantModel, cfg: CoreConfig, nl: NlUnitConfig = CORE_NL_UNIT): VitProgram {
  const p: VitProgram = { cfg, nl, model, infos: checkModel(model), steps: [] };
  for (const l of model.layers) p.steps.push(...lowerLayer(p, l));
  return p;
}

/** The jobs of a step with the run-time filters built from the tensors computed so far. */
export function stepJobs(p: VitProgram, s: VitStep, tensors: ReadonlyMap<string, Tensor | Int32Array>): CompiledJob[] {
  if (s.kind === 'core') return s.jobs;
  if (s.kind !== 'runtime') return [];
  const l = p.model.layers.find((x) => x.name === s.layer) as Extract<VitQuantLayer, { op: 'matmul' }>;
  const t = tensors.get(l.inputs[1]);
  if (!t) throw new Error(`run-time weights: tensor '${l.inputs[1]}' is not computed yet`);
  return headJobs(p, l, s.head, t instanceof Int32Array ? t : t.data);
}
