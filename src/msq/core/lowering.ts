/**
 * The compiler's op table: model op → lowering. compile.ts builds a LowerCtx (host tensors, the fusion plan, the
 * concat placements) and calls LOWERINGS[layer.op] for every layer in order that is not folded into another job.
 * Adding an op = a Lowering here (or in its own lower-*.ts file) + one line in the table.
 *  - conv2d / linear → GEMM jobs (lower-gemm.ts), with a fused relu / residual add (fusion.ts); an add runs its
 *    fused GEMM at the add's position;
 *  - maxpool / avgpool / globalavgpool → MAXPOOL / AVGPOOL jobs (lower-pool.ts); a relu not fused into a GEMM or
 *    an add → an AVGPOOL 1x1 job with M = 2, S = 1 (requantize(x, 2, 1, 0, hi) = max(x, 0));
 *  - flatten → an alias (host tensors keep their [C, H, W] layout);
 *  - concat / resize → inputs written in place, or identity copies (lower-ops.ts);
 *  - lut → the table of the GEMM writing its input (fusion.ts), else a 1x1 identity job; mulchannel → a depthwise
 *    1x1 job with run-time weights (lower-pointwise.ts).
 */
import { fail } from '../../util/errors.js';
import { actRange } from '../conventions.js';
import { POINT_WINDOW, wholeWindow, windowOf } from '../geometry.js';
import type { QuantLayer, QuantModel, TensorInfo } from '../model.js';
import { sp2ActBitsOf, type CoreConfig } from './config.js';
import { classifyFilters, lanesKey, sp2LanesFit, wideInput, type FilterLanes } from './filter-lanes.js';
import type { Fusion, FusionPlan } from './fusion.js';
import { gemmOf, type GemmLayer } from './gemm.js';
import { lowerGemm } from './lower-gemm.js';
import { concatCopies, lutOf, type Placement } from './lower-ops.js';
import { lowerLut, lowerSe } from './lower-pointwise.js';
import { lowerPool } from './lower-pool.js';
import type { CompiledJob, HostTensor, OutPlace, Shape3 } from './program.js';
import { gemmEstimate } from './tiling.js';

/** What a lowering may use and do. */
export interface LowerCtx {
  cfg: CoreConfig;
  model: QuantModel;
  infos: Map<string, TensorInfo>;
  im2col: 'auto' | 'never' | 'always';
  /** CompileOptions.weights */
  weights: boolean;
  /** CompileOptions.memo's filter lanes: layer and lanesKey → lanes */
  lanesMemo?: Map<string, FilterLanes[]>;
  fusion: FusionPlan;
  placed: Map<string, Placement>;
  byName: Map<string, QuantLayer>;
  info(t: string): TensorInfo;
  /** the host tensor holding model tensor t (an error naming `who` when none) */
  hostOf(t: string, who: string): HostTensor;
  /** the host tensor a job writes for model tensor `name` (made on first use) */
  tensor(name: string): HostTensor;
  /** where the job writing tensor `name` puts it: its own host tensor, or its channel offset in a concat's */
  target(name: string): { out: HostTensor; place?: OutPlace };
  /** model tensor `name` is host tensor `h` (no job) */
  alias(name: string, h: HostTensor): void;
  /** append a layer's jobs and its report line */
  emit(layer: string, how: string, jobs: CompiledJob[]): void;
}

export type Lowering<L extends QuantLayer = QuantLayer> = (ctx: LowerCtx, l: L) => void;

/** The fused relu / add clamps and the jobs' other operand of GEMM layer l. */
function fusionOf(ctx: LowerCtx, l: GemmLayer): { endName: string; fusion?: Fusion } {
  const e = ctx.fusion.gemmEnd.get(l.name)!;
  // the job writes the last fused tensor
  const endName = e.add ? (e.addRelu ?? e.add.name) : (e.relu ?? e.lut?.name ?? l.name);
  if (!e.add) return { endName };
  const addInfo = ctx.info(e.add.name);
  let [alo, ahi] = actRange(addInfo.bits, addInfo.signed);
  if (e.addRelu) alo = Math.max(alo, 0);
  const other = ctx.hostOf(e.add.inputs[e.second ? 0 : 1], e.add.name);
  return { endName, fusion: { add: e.add, second: !!e.second, other, addLo: alo, addHi: ahi } };
}

const lowerGemmLayer: Lowering<GemmLayer> = (ctx, l) => {
  const { cfg } = ctx;
  const e = ctx.fusion.gemmEnd.get(l.name)!;
  const x = ctx.hostOf(l.input, l.name);
  const [, H, W] = x.shape;
  const outInfo = ctx.info(l.name);
  let [lo, hi] = actRange(outInfo.bits, outInfo.signed);
  if (e.relu) lo = Math.max(lo, 0);
  const g = gemmOf(l, x, outInfo.shape, lo, hi);
  const { endName, fusion } = fusionOf(ctx, l);
  const { out, place } = ctx.target(endName);
  // output values: the table, or the fused relu / add clamps decide the sign
  const lut = e.lut ? lutOf(e.lut, outInfo) : undefined;
  const outSigned = lut ? lut.signed : (fusion ? fusion.addLo : lo) < 0;
  // filters on lanes (once: the im2col choice and the lowering read it; memoized across compiles with
  // CompileOptions.memo); codes only when weight words are built
  const wide = wideInput(cfg, x);
  const key = `${l.name}|${lanesKey(cfg, wide, ctx.weights)}`;
  let lanes = ctx.lanesMemo?.get(key);
  if (!lanes) {
    lanes = classifyFilters(cfg, g.layer, g.filters, wide, { codes: ctx.weights });
    ctx.lanesMemo?.set(key, lanes);
  }
  // im2col choice
  let im2col = false;
  if (!g.depthwise && g.kh * g.kw > 1 && ctx.im2col !== 'never') {
    const cls = lanes.map((c) => c.cls);
    const direct = gemmEstimate(cfg, g, cls, false);
    const expanded = gemmEstimate(cfg, g, cls, true);
    if (ctx.im2col === 'always') im2col = !!expanded;
    else im2col = !!expanded && (!direct || expanded.work < direct.work);
  }
  const js = lowerGemm(cfg, { gemm: g, input: x, outName: out.name, outSigned, fusion, im2col, place, lut, weights: ctx.weights, lanes });
  const sp2Spill = !sp2LanesFit(cfg, x) && cfg.Ps > 0 && g.filters.some((f) => f.scheme === 'sp2');
  const how = [
    l.op === 'linear' && (H > 1 || W > 1) ? `linear as ${H}x${W} conv` : l.op,
    g.depthwise ? 'depthwise' : '',
    im2col ? 'im2col' : '',
    sp2Spill ? `fixed lanes only (${x.bits}-bit input > core.sp2ActBits = ${sp2ActBitsOf(cfg)})` : '',
    e.relu ? `+relu '${e.relu}'` : '',
    e.lut ? `+${e.lut.fn} table '${e.lut.name}'` : '',
    e.add ? `+add '${e.add.name}'` : '',
    e.addRelu ? `+relu '${e.addRelu}'` : '',
  ]
    .filter(Boolean)
    .join(' ');
  ctx.emit(l.name, how, js);
};

type PoolLayer = Extract<QuantLayer, { op: 'maxpool' | 'avgpool' | 'globalavgpool' | 'relu' }>;

const lowerPoolLayer: Lowering<PoolLayer> = (ctx, l) => {
  const x = ctx.hostOf(l.input, l.name);
  const [, H, W] = x.shape;
  const outInfo = ctx.info(l.name);
  if (l.op !== 'relu' && ctx.info(l.input).shape.length !== 3) fail(`layer '${l.name}'.input`, 'pooling needs a [C, H, W] input');
  const [lo, hi]: [number, number] = l.op === 'relu' ? [0, actRange(x.bits, x.signed)[1]] : actRange(outInfo.bits, outInfo.signed);
  const { out, place } = ctx.target(l.name);
  const common = { layer: l.name, input: x, outName: out.name, outSigned: outInfo.signed, lo, hi, place };
    let js: CompiledJob[];
  if (l.op === 'globalavgpool') js = lowerPool(ctx.cfg, { ...common, op: 'avgpool', ...wholeWindow(H, W), outH: 1, outW: 1, M: l.M, S: l.S });
  else if (l.op === 'relu') js = lowerPool(ctx.cfg, { ...common, op: 'avgpool', ...POINT_WINDOW, outH: H, outW: W, M: 2, S: 1 });
  else {
    js = lowerPool(ctx.cfg, {
      ...common,
      op: l.op,
      ...windowOf(l),
      outH: outInfo.shape[1]!,
      outW: outInfo.shape[2]!,
      M: l.op === 'avgpool' ? l.M : 0,
      S: l.op === 'avgpool' ? l.S : 1,
    });
  }
  ctx.emit(l.name, (l.op === 'relu' ? 'relu as 1x1 avgpool' : l.op) + (place ? ` into '${out.name}' at channel ${place.c0}` : ''), js);
};

/** Identity jobs (1x1 avgpool, M 2, S 1) copying `src` into dst; with f, on the nearest upsampling by f. */
function copyJobs(ctx: LowerCtx, layer: string, src: string, dst: { out: HostTensor; place?: OutPlace }, f?: [number, number]): CompiledJob[] {
  const x = ctx.hostOf(src, layer);
  const [C, H, W] = x.shape;
  const sh: Shape3 = f ? [C, H * f[0], W * f[1]] : x.shape;
  const si = ctx.info(src);
  const [lo, hi] = actRange(si.bits, si.signed);
  const js = lowerPool(ctx.cfg, {
    layer, op: 'avgpool', input: { ...x, shape: sh }, outName: dst.out.name, outSigned: si.signed, place: dst.place,
    ...POINT_WINDOW, outH: sh[1], outW: sh[2], M: 2, S: 1, lo, hi,
  });
  if (f) for (const j of js) if (j.act.kind === 'tile') j.act = { ...j.act, kind: 'upsample', shape: x.shape, f };
  return js;
}

const lowerResize: Lowering<Extract<QuantLayer, { op: 'resize' }>> = (ctx, l) => {
  const dst = ctx.target(l.name);
  const into = dst.place ? ` into '${dst.out.name}' at channel ${dst.place.c0}` : '';
  ctx.emit(l.name, `nearest x${l.scale.join('x')} as a 1x1 identity job on an upsampling gather${into}`, copyJobs(ctx, l.name, l.input, dst, l.scale));
};

const lowerConcat: Lowering<Extract<QuantLayer, { op: 'concat' }>> = (ctx, l) => {
  const out = ctx.tensor(l.name);
  const copies = concatCopies(l, ctx.placed, ctx.infos);
  const jobs = copies.flatMap((c) => copyJobs(ctx, l.name, c.input, { out, place: { shape: out.shape, c0: c.c0 } }));
  const inPlace = l.inputs.filter((t) => !copies.some((c) => c.input === t));
  const how = `concat: ${inPlace.length ? `${inPlace.map((t) => `'${t}'`).join(', ')} written in place` : 'nothing in place'}${copies.length ? `, ${copies.map((c) => `'${c.input}'`).join(', ')} copied` : ''}`;
  ctx.emit(l.name, how, jobs);
};

/** An add runs the GEMM fused with it (fusion.ts) at the add's position. */
const lowerAdd: Lowering<Extract<QuantLayer, { op: 'add' }>> = (ctx, l) => {
  lowerGemmLayer(ctx, ctx.byName.get(ctx.fusion.deferred.get(l.name)!) as GemmLayer);
};

const lowerFlatten: Lowering<Extract<QuantLayer, { op: 'flatten' }>> = (ctx, l) => {
  ctx.alias(l.name, ctx.hostOf(l.input, l.name));
  ctx.emit(l.name, 'alias (no job)', []);
};

/** Model op → lowering (ops missing here are refused by lower-ops.ts refusal() or fail in compileModel). */
export const LOWERINGS: Partial<Record<QuantLayer['op'], Lowering<never>>> = {
  conv2d: lowerGemmLayer,
  linear: lowerGemmLayer,
  add: lowerAdd,
  maxpool: lowerPoolLayer,
  avgpool: lowerPoolLayer,
  globalavgpool: lowerPoolLayer,
  relu: lowerPoolLayer,
  flatten: lowerFlatten,
  concat: lowerConcat,
  resize: lowerResize,
  lut: lowerLut,
  mulchannel: lowerSe,
};
