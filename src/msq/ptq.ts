/**
 * Post-training quantization core: FloatModel + activation ranges -> QuantModel.
 *  - ReLU is fused into the layer before it (conv2d, linear, add, avgpool, globalavgpool) when that layer feeds only
 *    the ReLU: the layer's output becomes unsigned and the clamp does the ReLU. Fused layers keep the producing
 *    layer's name; references to the ReLU's name are redirected to it.
 *  - Per-layer config cascades: built-in defaults -> byOp -> byName (like hls4ml).
 *    Defaults: input 8-bit; the first and the last weighted layer get 8-bit fixed weights and the last one 8-bit
 *    output activations; all other weighted layers 4-bit weights (scheme by the rule) and 4-bit output activations.
 *  - Per filter: alpha by the MSE search (quant.ts) or, with detectLevels, exactly the levels the weights already
 *    lie on (QAT models); bias = round(b / (s_in * s_w)) clamped to int32; (M, S) from s_in * s_w / s_out.
 * See docs/msq-numerics.md.
 */
import { fail } from '../util/errors.js';
import { chooseMultiplier, weightDenominator, type Scheme } from './conventions.js';
import { floatInputName, floatOutputName, floatShapes, runFloat } from './float.js';
import {
  MODEL_FORMAT,
  MODEL_VERSION,
  checkModel,
  floatLayerInputs,
  type ActSpec,
  type FloatLayer,
  type FloatModel,
  type Filter,
  type QuantLayer,
  type QuantModel,
} from './model.js';
import { bestAlpha, detectOnLevels, quantizeWeights, type AlphaSearch } from './quant.js';
import { activationError, fitFilter, type LayerInputStats } from './fit.js';
import { boardRatio, chooseSchemes, type SchemeRule } from './scheme.js';
import { avgPoolParams, groupSpec, quantizeChannelOp, scaleGroups } from './ptq-ops.js';
import { isFloatChannelOp } from './float-ops.js';
import { refitSequential } from './seqfit.js';

export interface Range {
  min: number;
  max: number;
}

export interface LayerQuantConfig {
  /** weight bits of conv2d / linear filters */
  weightBits?: number;
  /** output activation bits */
  actBits?: number;
  /** scheme rule for this layer */
  rule?: SchemeRule;
}

export interface PtqOptions {
  /** default scheme rule for layers not overridden (default 'variance') */
  rule?: SchemeRule;
  /** SP2-per-fixed ratio; or give `board` to read it from boards/<board>.json */
  ratio?: number;
  board?: string;
  /** real range of every float tensor that gets a new scale: the input and each conv/linear/add/pool output (after ReLU when fused) */
  actRanges: Map<string, Range> | Record<string, Range>;
  inputBits?: number;
  defaults?: LayerQuantConfig;
  byOp?: Partial<Record<'conv2d' | 'linear' | 'add' | 'avgpool' | 'globalavgpool', LayerQuantConfig>>;
  byName?: Record<string, LayerQuantConfig>;
  /** keep weights that already lie exactly on a scheme's levels with exactly those codes (QAT models) */
  detectLevels?: boolean;
  alphaSearch?: AlphaSearch;
  /** per weighted layer: statistics of its float input (fit.ts); given, weights are fitted to the layer's output */
  inputStats?: Map<string, LayerInputStats>;
  /** seed of the 'random' rule */
  seed?: number;
  /** fold each filter's expected output shift into its bias (with inputStats; default true) */
  biasCorrection?: boolean;
  /** with inputStats: calibration inputs (real, as for runFloat) for the layer-by-layer re-fit on the quantized input (seqfit.ts) */
  sequentialSamples?: ArrayLike<number>[];
  /** config of the inner (not first/last) weighted layers and of every activation but the last layer's output */
  inner?: LayerQuantConfig;
  name?: string;
  note?: string;
}

export interface PtqReport {
  /** per weighted layer: name, fixed and SP2 filter counts, mean weight MSE */
  layers: { name: string; fixed: number; sp2: number; weightBits: number; mse: number; onLevels: number }[];
}

const signedMax = (b: number): number => 2 ** (b - 1) - 1;

export function actSpec(r: Range, bits: number, unsignedForced: boolean, field: string): ActSpec {
  if (!Number.isFinite(r.min) || !Number.isFinite(r.max) || r.min > r.max) fail(field, `activation range [${r.min}, ${r.max}] is not a finite range`);
  const unsigned = unsignedForced || r.min >= 0;
  const m = unsigned ? Math.max(0, r.max) : Math.max(Math.abs(r.min), Math.abs(r.max));
  const scale = m > 0 ? m / (unsigned ? 2 ** bits - 1 : signedMax(bits)) : 1;
  return { bits, signed: !unsigned, scale };
}

/** Min/max of every tensor over sample inputs (a simple calibration helper; calib.ts may do better). */
export function rangesFromSamples(fm: FloatModel, samples: ArrayLike<number>[]): Map<string, Range> {
  const shapes = floatShapes(fm);
  const out = new Map<string, Range>();
  for (const s of samples) {
    const r = runFloat(fm, s, { keepAll: true, shapes });
    for (const [name, t] of r.tensors!) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = 0; i < t.length; i++) {
        if (t[i]! < mn) mn = t[i]!;
        if (t[i]! > mx) mx = t[i]!;
      }
      const o = out.get(name);
      out.set(name, o ? { min: Math.min(o.min, mn), max: Math.max(o.max, mx) } : { min: mn, max: mx });
    }
  }
  return out;
}

type Fusable = 'conv2d' | 'linear' | 'add' | 'avgpool' | 'globalavgpool';
const FUSABLE = new Set<string>(['conv2d', 'linear', 'add', 'avgpool', 'globalavgpool']);

/**
 * ReLU fusion and the per-layer config (bits, rule) of a model: shared by the quantizer and by calibration (which
 * needs each tensor's activation bits for its clipping search).
 */
export function layerPlan(fm: FloatModel, opts: Pick<PtqOptions, 'rule' | 'defaults' | 'byOp' | 'byName' | 'inner'>): {
  fusedInto: Map<string, string>;
  fusedRelu: Map<string, string>;
  alias: (n: string) => string;
  configFor: (l: FloatLayer) => Required<LayerQuantConfig>;
} {
  const outName = floatOutputName(fm);
  // consumers of each tensor
  const consumers = new Map<string, number>();
  for (const l of fm.layers) for (const n of floatLayerInputs(l)) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  const byName = new Map(fm.layers.map((l) => [l.name, l]));
  // fusion: relu name -> producer name
  const fusedInto = new Map<string, string>();
  const fusedRelu = new Map<string, string>();
  for (const l of fm.layers) {
    if (l.op !== 'relu') continue;
    const p = byName.get(l.input);
    if (p && FUSABLE.has(p.op) && consumers.get(p.name) === 1 && p.name !== outName && !fusedRelu.has(p.name)) {
      fusedInto.set(l.name, p.name);
      fusedRelu.set(p.name, l.name);
    }
  }
  const alias = (n: string): string => fusedInto.get(n) ?? n;

  const weighted = fm.layers.filter((l) => l.op === 'conv2d' || l.op === 'linear');
  const first = weighted[0]?.name;
  const last = weighted[weighted.length - 1]?.name;
  const configFor = (l: FloatLayer): Required<LayerQuantConfig> => {
    const edge = l.name === first || l.name === last;
    const inner = opts.inner ?? {};
    const base: Required<LayerQuantConfig> = {
      weightBits: edge ? 8 : inner.weightBits ?? 4,
      actBits: l.name === last ? 8 : inner.actBits ?? 4,
      rule: edge ? 'fixed' : inner.rule ?? opts.rule ?? 'variance',
    };
    return {
      ...base,
      ...opts.defaults,
      ...(FUSABLE.has(l.op) ? opts.byOp?.[l.op as Fusable] : undefined),
      ...opts.byName?.[l.name],
      ...(fusedRelu.has(l.name) ? opts.byName?.[fusedRelu.get(l.name)!] : undefined),
    } as Required<LayerQuantConfig>;
  };
  return { fusedInto, fusedRelu, alias, configFor };
}

/** Activation bits of every tensor that gets a scale, keyed like the ranges (a fused ReLU's name for fused layers). */
export function tensorActBits(fm: FloatModel, opts: Pick<PtqOptions, 'rule' | 'defaults' | 'byOp' | 'byName' | 'inner' | 'inputBits'>): Map<string, number> {
  const { fusedInto, fusedRelu, configFor } = layerPlan(fm, opts);
  const out = new Map<string, number>([[floatInputName(fm), opts.inputBits ?? 8]]);
  for (const l of fm.layers) {
    if (l.op === 'relu' && fusedInto.has(l.name)) continue;
    if (FUSABLE.has(l.op)) out.set(fusedRelu.get(l.name) ?? l.name, configFor(l).actBits);
  }
  return out;
}

/** Quantize a FloatModel. Returns the QuantModel and a per-layer report. */
export function quantizeFloatModelWithReport(fm: FloatModel, opts: PtqOptions): { model: QuantModel; report: PtqReport } {
  const shapes = floatShapes(fm);
  const ranges = opts.actRanges instanceof Map ? opts.actRanges : new Map(Object.entries(opts.actRanges));
  const rangeOf = (name: string, field: string): Range => {
    const r = ranges.get(name);
    if (!r) fail(field, `no activation range for tensor '${name}'; calibrate it (actRanges)`);
    return r;
  };
  const outName = floatOutputName(fm);
  const { fusedInto, fusedRelu, alias, configFor } = layerPlan(fm, opts);
  let ratioCache: number | undefined;
  const ratio = (field: string): number => {
    if (ratioCache !== undefined) return ratioCache;
    if (opts.ratio !== undefined) ratioCache = opts.ratio;
    else if (opts.board !== undefined) ratioCache = boardRatio(opts.board);
    else fail(field, 'the variance/error rules need the SP2-per-fixed ratio: give a board or a ratio');
    return ratioCache;
  };

  const inName = floatInputName(fm);
  // tensors joined by a concat share one spec (ptq-ops.ts)
  const byName = new Map(fm.layers.map((l) => [l.name, l] as const));
  const groups = scaleGroups(fm, alias, (n) => rangeOf(fusedInto.has(n) ? n : fusedRelu.get(n) ?? n, n), (n) => (byName.has(n) ? configFor(byName.get(n)!).actBits : opts.inputBits ?? 8));
  const inRange = groups.get(inName)?.range ?? rangeOf(inName, 'input');
  const inGroup = groups.get(inName);
  const inSpec = inGroup ? groupSpec(inGroup, false, 'input') : actSpec(inRange, opts.inputBits ?? 8, false, 'input');
  const scales = new Map<string, ActSpec>([[inName, inSpec]]);
  const layers: QuantLayer[] = [];
  const report: PtqReport = { layers: [] };

  fm.layers.forEach((l, i) => {
    const at = `layers[${i}] (${l.name})`;
    if (l.op === 'relu' && fusedInto.has(l.name)) return;
    const cfg = configFor(l);
    const outSpec = (): ActSpec => {
      const rn = fusedRelu.get(l.name) ?? l.name;
      const g = groups.get(l.name);
      if (g) return groupSpec(g, fusedRelu.has(l.name), at);
      return actSpec(rangeOf(rn, at), cfg.actBits, fusedRelu.has(l.name), at);
    };
    switch (l.op) {
      case 'conv2d':
      case 'linear': {
        const sin = scales.get(alias(l.input))!;
        const out = outSpec();
        const { filters, row } = quantizeWeighted(l, cfg, sin, out, at, { opts, ratio });
        report.layers.push(row);
        if (l.op === 'conv2d') {
          layers.push({
            name: l.name, op: 'conv2d', input: alias(l.input), inChannels: l.inChannels, outChannels: l.outChannels,
            kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding], groups: l.groups, out, filters,
          });
        } else {
          layers.push({ name: l.name, op: 'linear', input: alias(l.input), inFeatures: l.inFeatures, outFeatures: l.outFeatures, out, filters });
        }
        scales.set(l.name, out);
        break;
      }
      case 'add': {
        const sa = scales.get(alias(l.inputs[0]))!;
        const sb = scales.get(alias(l.inputs[1]))!;
        const out = outSpec();
        const fa = sa.scale / out.scale;
        const fb = sb.scale / out.scale;
        const { S } = chooseMultiplier(Math.max(fa, fb), at);
        layers.push({
          name: l.name, op: 'add', inputs: [alias(l.inputs[0]), alias(l.inputs[1])],
          Ma: Math.round(fa * 2 ** S), Mb: Math.round(fb * 2 ** S), S, out,
        });
        scales.set(l.name, out);
        break;
      }
      case 'avgpool':
      case 'globalavgpool': {
        const sin = scales.get(alias(l.input))!;
        const out = outSpec();
        const xs = shapes.get(l.input)!;
        if (l.op === 'avgpool') {
          const p = avgPoolParams(l, sin, out, xs, at);
          layers.push({ name: l.name, op: 'avgpool', input: alias(l.input), kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding], out, ...p });
        } else {
          const { M, S } = chooseMultiplier(sin.scale / (xs[1]! * xs[2]! * out.scale), at);
          layers.push({ name: l.name, op: 'globalavgpool', input: alias(l.input), M, S, out });
        }
        scales.set(l.name, out);
        break;
      }
      case 'maxpool':
        layers.push({ name: l.name, op: 'maxpool', input: alias(l.input), kernel: [...l.kernel], stride: [...l.stride], padding: [...l.padding], ...(l.ceil ? { ceil: true } : {}) });
        scales.set(l.name, scales.get(alias(l.input))!);
        break;
      case 'relu': {
        layers.push({ name: l.name, op: 'relu', input: alias(l.input) });
        const s = scales.get(alias(l.input))!;
        scales.set(l.name, s);
        break;
      }
      case 'flatten':
        layers.push({ name: l.name, op: 'flatten', input: alias(l.input) });
        scales.set(l.name, scales.get(alias(l.input))!);
        break;
      default: {
        if (!isFloatChannelOp(l)) fail(at, `'${l.op}' layers are not quantized yet (float model only)`);
        const q = quantizeChannelOp(l, scales, alias, outSpec, at);
        layers.push(q.layer);
        scales.set(l.name, q.spec);
      }
    }
  });

  const model: QuantModel = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    ...(opts.name ?? fm.name ? { name: opts.name ?? fm.name } : {}),
    ...(opts.note ? { note: opts.note } : {}),
    input: {
      name: inName,
      shape: [...fm.input.shape],
      bits: inSpec.bits,
      signed: inSpec.signed,
      scale: inSpec.scale,
      ...(fm.input.normalize ? { normalize: { mean: [...fm.input.normalize.mean], std: [...fm.input.normalize.std] } } : {}),
    },
    layers,
    ...(alias(outName) !== layers[layers.length - 1]!.name ? { output: alias(outName) } : {}),
    ...(fm.softmax ? { softmax: true } : {}),
  };
  checkModel(model);
  if (opts.inputStats && opts.sequentialSamples?.length) {
    refitSequential(fm, model, opts.sequentialSamples, (name, stats) => {
      const i = fm.layers.findIndex((l) => l.name === name);
      const l = fm.layers[i] as WeightedLayer;
      const q = layers.find((x) => x.name === name) as { out: ActSpec };
      const { filters, row } = quantizeWeighted(l, configFor(l), scales.get(alias(l.input))!, q.out, `layers[${i}] (${name})`, { opts: { ...opts, inputStats: new Map([[name, stats]]) }, ratio });
      report.layers[report.layers.findIndex((r) => r.name === name)] = row;
      return filters;
    });
    checkModel(model);
  }
  return { model, report };
}

type WeightedLayer = Extract<FloatLayer, { op: 'conv2d' | 'linear' }>;

/** Per filter and scheme, the weight MSE at the searched alpha: what the 'error' rule ranks by. */
function weightMse(rows: Float64Array[], m: number, search: AlphaSearch | undefined): { fixed: number[]; sp2: number[] } {
  return {
    fixed: rows.map((w) => bestAlpha(w, 'fixed', m, search).mse),
    sp2: rows.map((w) => bestAlpha(w, 'sp2', m, search).mse),
  };
}

/**
 * Filters of one conv/linear layer: scheme per filter by the rule, then per filter either the trained levels
 * (detectLevels), the output-aware fit (fit.ts, when input statistics are given) or the weight-MSE alpha search;
 * bias (bias-corrected with the fit), and the requantization (M, S).
 */
function quantizeWeighted(
  l: WeightedLayer,
  cfg: Required<LayerQuantConfig>,
  sin: ActSpec,
  out: ActSpec,
  at: string,
  ctx: { opts: PtqOptions; ratio: (field: string) => number },
): { filters: Filter[]; row: PtqReport['layers'][number] } {
  const opts = ctx.opts;
  const n = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
  const K = l.weight.length / n;
  const rows: Float64Array[] = [];
  for (let o = 0; o < n; o++) rows.push(Float64Array.from({ length: K }, (_, k) => l.weight[o * K + k]!));
  const m = cfg.weightBits;
  const stats = opts.inputStats?.get(l.name);
  const groupOf = (o: number): number => (stats && stats.mean.length > 1 ? o : 0);
  type Fit = { alpha: number; codes: Int32Array; mse: number; shift: number; values?: Int32Array };
  const fits = new Map<string, Fit>();
  const fitOf = (o: number, s: Scheme): Fit => {
    const key = `${o}:${s}`;
    let r = fits.get(key);
    if (!r) {
      if (s === 'sp2' && m < 3) fail(at, `SP2 needs at least 3 weight bits, this layer has ${m}`);
      if (stats) {
        const g = groupOf(o);
        const f = fitFilter(rows[o]!, stats.cov[g]!, stats.mean[g]!, s, m, { cross: stats.cross?.[g], muFloat: stats.meanFloat?.[g] });
        const step = f.alpha / weightDenominator(s, m);
        const q = quantizeWeights(Float64Array.from(f.values, (v) => v * step), f.alpha, s, m);
        r = { alpha: f.alpha, codes: q.codes, mse: f.err, shift: opts.biasCorrection === false ? 0 : f.shift, values: f.values };
      } else {
        const b = bestAlpha(rows[o]!, s, m, opts.alphaSearch);
        r = { alpha: b.alpha, codes: b.codes, mse: b.mse, shift: 0 };
      }
      fits.set(key, r);
    }
    return r;
  };
  // the output rule's per-filter error: measured on the paired input vectors after the layer's output clamp when the
  // sequential pass gives them (fit.ts activationError), else the fit's quadratic form
  const [lo, hi] = out.signed ? [-out.scale * (2 ** (out.bits - 1) - 1), out.scale * (2 ** (out.bits - 1) - 1)] : [0, out.scale * (2 ** out.bits - 1)];
  const outputError = (o: number, s: Scheme): number => {
    const f = fitOf(o, s);
    const pairs = stats?.pairs?.[groupOf(o)];
    if (!pairs || !f.values) return f.mse;
    return activationError(rows[o]!, l.bias[o]!, f.values, f.alpha / weightDenominator(s, m), f.shift, pairs, lo, hi);
  };
  let schemes: Scheme[];
  if (cfg.rule === 'error' || cfg.rule === 'output') {
    if (cfg.rule === 'output' && !stats) fail(at, "the 'output' rule needs calibration data (input statistics); use --rule variance or error with --calib none");
    schemes = chooseSchemes(rows, {
      rule: 'error', // the ranking by precomputed errors: output errors (fit.ts) or weight MSE
      ratio: ctx.ratio(at),
      bits: m,
      field: at,
      mse: cfg.rule === 'output'
        ? { fixed: rows.map((_, o) => outputError(o, 'fixed')), sp2: rows.map((_, o) => outputError(o, 'sp2')) }
        : weightMse(rows, m, opts.alphaSearch), // 'error' ranks by weight MSE even when the codes are output-fitted
    });
  } else {
    const needsRatio = cfg.rule === 'variance' || cfg.rule === 'random';
    schemes = chooseSchemes(rows, { rule: cfg.rule, ratio: needsRatio ? ctx.ratio(at) : 0, bits: m, field: at, seed: opts.seed });
  }
  let onLevels = 0;
  let mseSum = 0;
  const filters: Filter[] = rows.map((w, o) => {
    let scheme = schemes[o]!;
    let alpha: number;
    let codes: Int32Array;
    let shift = 0;
    // QAT weights: the rule's scheme if the weights lie on its levels; under an MSQ rule also the other scheme if
    // they lie on its levels (the trainer's assignment wins). 'fixed'/'sp2' never switch.
    let det = opts.detectLevels && (scheme === 'fixed' || m >= 3) ? detectOnLevels(w, scheme, m) : null;
    if (opts.detectLevels && !det && cfg.rule !== 'fixed' && cfg.rule !== 'sp2') {
      const other: Scheme = scheme === 'fixed' ? 'sp2' : 'fixed';
      det = other === 'fixed' || m >= 3 ? detectOnLevels(w, other, m) : null;
      if (det) scheme = other;
    }
    if (det) {
      alpha = det.alpha;
      codes = det.codes;
      onLevels++;
    } else {
      const r = fitOf(o, scheme);
      alpha = r.alpha;
      codes = r.codes;
      shift = r.shift;
      mseSum += r.mse;
    }
    const sw = alpha / weightDenominator(scheme, m);
    const accScale = sin.scale * sw;
    const b = Math.round((l.bias[o]! - shift) / accScale);
    const bias = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, b));
    const { M, S } = chooseMultiplier(accScale / out.scale, `${at}.filters[${o}]`);
    return { scheme, bits: m, alpha, weights: Array.from(codes), bias, M, S };
  });
  const nFixed = filters.filter((f) => f.scheme === 'fixed').length;
  return { filters, row: { name: l.name, fixed: nFixed, sp2: n - nFixed, weightBits: m, mse: mseSum / n, onLevels } };
}

/** Quantize a FloatModel into a QuantModel (see quantizeFloatModelWithReport). */
export function quantizeFloatModel(fm: FloatModel, opts: PtqOptions): QuantModel {
  return quantizeFloatModelWithReport(fm, opts).model;
}
