/**
 * Data-free activation ranges and layer input statistics (`--calib none`): no input at all.
 *
 * Each BatchNorm folded into a layer says how the layer's pre-activation values were distributed in training:
 * channel c ≈ N(β_c, γ_c²). Layers without BN get the mean and variance propagated from their input (independent
 * inputs: mean = b + Σ w·μ, var = Σ w²·σ²); ReLU maps N(μ, σ²) to the rectified Gaussian (closed-form mean and
 * variance); max-pooling of n values shifts the mean by σ·E[max of n standard normals] and keeps σ; average
 * pooling keeps μ and divides σ² by the window; add sums means and variances. The network input is assumed
 * uniform on its value domain ([0, 1] for p/255 images: μ = 1/2, σ = 1/√12).
 *
 * Ranges. Besides (μ, σ) every channel carries a tail bound [lo_c, hi_c]: μ ± kσ (k = 3) of the Gaussian where the
 * tensor is one (a conv / linear output, an add); a ReLU clamps its input's bounds at 0 — the top of a rectified
 * tensor is the top of the Gaussian before it, not "rectified mean + k · rectified std", which is far lower; a max
 * pool keeps its input's bounds (a maximum of the window stays within them); an average pool keeps its input's
 * bounds too, because neighbouring values are strongly correlated (a global average of a feature map spreads about
 * as wide as one of its values, not 1/√(H·W) of it); a residual add takes the larger of its Gaussian bound and
 * each operand's bound. A tensor's range is [min_c lo_c, max_c hi_c] (clamped at 0 after a ReLU).
 *
 * Layer input statistics (`dataFreeInputStats`): per conv/linear layer, the mean and a diagonal covariance of the
 * K-vectors its filters see, from the same propagated per-channel statistics. ptq.ts's output-aware fit (fit.ts)
 * then weighs each weight's error by its input's variance and folds the expected output shift δ·μ into the bias —
 * the analytic bias correction of Nagel et al. 2019 (data-free quantization through weight equalization and bias
 * correction), without a single image.
 *
 * Range hints (`Clip(lo, hi)` in the ONNX graph, e.g. the trained clips of a QAT model) override the result and bound
 * the statistics of the layers after them.
 */
import { fail } from '../../util/errors.js';
import { floatInputName, floatShapes } from '../float.js';
import { floatLayerInputs, numel, type FloatLayer, type FloatModel } from '../model.js';
import { channelOpStats, isFloatChannelOp } from '../float-ops.js';
import type { LayerInputStats } from '../fit.js';
import type { ChannelStats } from '../onnx.js';
import type { Range } from '../ptq.js';
import { applyHints, inputRange } from '../calib.js';

export const DATA_FREE_K = 3;

/** Propagated statistics of one tensor: per channel ([C, H, W]) or per element ([N]). */
export interface TensorStats {
  mean: Float64Array;
  std: Float64Array;
  /** true when this tensor is a ReLU output */
  relu: boolean;
  /** tail bounds per channel (see the header) */
  lo: Float64Array;
  hi: Float64Array;
}

const SQRT2 = Math.SQRT2;
/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const Phi = (x: number): number => 0.5 * (1 + erf(x / SQRT2));
const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/** Mean and std of max(X, 0) for X ~ N(mu, sigma²). */
export function rectifiedGaussian(mu: number, sigma: number): { mean: number; std: number } {
  if (sigma <= 0) return { mean: Math.max(mu, 0), std: 0 };
  const a = mu / sigma;
  const m = mu * Phi(a) + sigma * phi(a);
  const m2 = (mu * mu + sigma * sigma) * Phi(a) + mu * sigma * phi(a);
  return { mean: m, std: Math.sqrt(Math.max(0, m2 - m * m)) };
}

/** E[max of n independent standard normals], by numeric integration (n small: pooling windows). */
function expectedMaxNormal(n: number): number {
  if (n <= 1) return 0;
  let s = 0;
  const h = 0.01;
  for (let x = -8; x <= 8; x += h) s += x * n * phi(x) * Math.pow(Phi(x), n - 1) * h;
  return s;
}

/** A Gaussian tensor's statistics with its μ ± kσ bounds. */
function gaussian(mean: Float64Array, std: Float64Array, k: number): TensorStats {
  return { mean, std, relu: false, lo: mean.map((m, c) => m - k * std[c]!), hi: mean.map((m, c) => m + k * std[c]!) };
}

/**
 * Propagated statistics of every tensor (see the header). `bnStats` maps a conv/linear layer to the (β, |γ|) of
 * its folded BN; `hints` (Clip ranges) bound the statistics after a clipped tensor.
 */
export function dataFreeStats(
  fm: FloatModel,
  bnStats: Map<string, ChannelStats>,
  opts: { k?: number; hints?: Map<string, [number, number]> } = {},
): { stats: Map<string, TensorStats>; shapes: Map<string, number[]> } {
  const k = opts.k ?? DATA_FREE_K;
  const shapes = floatShapes(fm);
  const inName = floatInputName(fm);
  const st = new Map<string, TensorStats>();
  const inR = inputRange(fm);
  const c0 = shapes.get(inName)![0]!;
  st.set(inName, {
    mean: new Float64Array(c0).fill((inR.min + inR.max) / 2),
    std: new Float64Array(c0).fill((inR.max - inR.min) / Math.sqrt(12)),
    relu: false,
    lo: new Float64Array(c0).fill(inR.min),
    hi: new Float64Array(c0).fill(inR.max),
  });
  const perElement = (name: string): TensorStats => expandPerElement(st.get(name)!, shapes.get(name)!);
  const hints = opts.hints ?? new Map<string, [number, number]>();
  for (const l of fm.layers) {
    const s = layerStats(l, { st, shapes, bnStats, perElement, k });
    st.set(l.name, s);
    // a clipped tensor is known to stay within its clip: bound its statistics there for the layers after it
    const h = hints.get(l.name);
    if (h) {
      const lo = h[0] < 0 ? -h[1] : 0;
      for (let c = 0; c < s.mean.length; c++) {
        s.mean[c] = Math.min(s.mean[c]!, h[1]);
        s.std[c] = Math.min(s.std[c]!, (h[1] - Math.max(h[0], -h[1])) / 2);
        s.hi[c] = Math.min(s.hi[c]!, h[1]);
        s.lo[c] = Math.max(s.lo[c]!, lo);
      }
    }
  }
  return { stats: st, shapes };
}

/** Per-channel statistics of a [C, H, W] tensor expanded to per element (as a flatten sees them). */
function expandPerElement(s: TensorStats, shape: number[]): TensorStats {
  if (shape.length !== 3) return s;
  const plane = shape[1]! * shape[2]!;
  const ex = (a: Float64Array): Float64Array => Float64Array.from({ length: numel(shape) }, (_, i) => a[Math.floor(i / plane)]!);
  return { mean: ex(s.mean), std: ex(s.std), relu: s.relu, lo: ex(s.lo), hi: ex(s.hi) };
}

/** Data-free ranges of every tensor (see the header). */
export function calibrateDataFree(
  fm: FloatModel,
  bnStats: Map<string, ChannelStats>,
  opts: { k?: number; hints?: Map<string, [number, number]> } = {},
): Map<string, Range> {
  const { stats } = dataFreeStats(fm, bnStats, opts);
  return rangesOf(fm, stats, opts.hints);
}

/** `--calib none`: the data-free ranges and the analytic layer input statistics of a model. */
export function dataFreeCalibration(
  fm: FloatModel,
  bnStats: Map<string, ChannelStats>,
  hints?: Map<string, [number, number]>,
): { ranges: Map<string, Range>; stats: Map<string, LayerInputStats> } {
  const { stats, shapes } = dataFreeStats(fm, bnStats, { hints });
  return { ranges: rangesOf(fm, stats, hints), stats: dataFreeInputStats(fm, stats, shapes) };
}

/** Ranges [min_c lo_c, max_c hi_c] of the propagated statistics, hints applied. */
export function rangesOf(fm: FloatModel, stats: Map<string, TensorStats>, hints?: Map<string, [number, number]>): Map<string, Range> {
  const out = new Map<string, Range>();
  out.set(floatInputName(fm), inputRange(fm));
  for (const l of fm.layers) {
    const s = stats.get(l.name)!;
    let min = Infinity;
    let max = -Infinity;
    for (let c = 0; c < s.mean.length; c++) {
      min = Math.min(min, s.lo[c]!);
      max = Math.max(max, s.hi[c]!);
    }
    if (s.relu) min = 0;
    out.set(l.name, { min: Math.min(0, min), max: Math.max(max, 1e-6) });
  }
  return applyHints(out, hints);
}

interface StatsCtx {
  st: Map<string, TensorStats>;
  shapes: Map<string, number[]>;
  bnStats: Map<string, ChannelStats>;
  perElement: (name: string) => TensorStats;
  k: number;
}

/** Mean and std of a conv / linear output from its input's statistics (independent inputs). */
function weightedStats(l: Extract<FloatLayer, { op: 'conv2d' | 'linear' }>, x: TensorStats): { mean: Float64Array; std: Float64Array } {
  const n = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
  const K = l.weight.length / n;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  const chan = l.op === 'conv2d' ? convChannelOf(l) : (o: number, j: number): number => j;
  for (let o = 0; o < n; o++) {
    let m = l.bias[o]!;
    let v = 0;
    for (let j = 0; j < K; j++) {
      const c = chan(o, j);
      const w = l.weight[o * K + j]!;
      m += w * x.mean[c]!;
      v += w * w * x.std[c]! ** 2;
    }
    mean[o] = m;
    std[o] = Math.sqrt(v);
  }
  return { mean, std };
}

/** Input channel of weight j of filter o of a (grouped) conv. */
function convChannelOf(l: Extract<FloatLayer, { op: 'conv2d' }>): (o: number, j: number) => number {
  const cpg = l.inChannels / l.groups;
  const kk = l.kernel[0] * l.kernel[1];
  const opg = l.outChannels / l.groups;
  return (o, j) => Math.floor(o / opg) * cpg + Math.floor(j / kk);
}

function layerStats(l: FloatLayer, ctx: StatsCtx): TensorStats {
  const { st, shapes, bnStats, k } = ctx;
  switch (l.op) {
    case 'conv2d':
    case 'linear': {
      const bn = bnStats.get(l.name);
      if (bn) return gaussian(Float64Array.from(bn.mean), Float64Array.from(bn.std), k);
      const g = weightedStats(l, l.op === 'conv2d' ? st.get(l.input)! : ctx.perElement(l.input));
      return gaussian(g.mean, g.std, k);
    }
    case 'relu': {
      const x = st.get(l.input)!;
      const r = Array.from(x.mean, (m, c) => rectifiedGaussian(m, x.std[c]!));
      return {
        mean: Float64Array.from(r, (v) => v.mean),
        std: Float64Array.from(r, (v) => v.std),
        relu: true,
        lo: x.lo.map((v) => Math.max(0, v)),
        hi: x.hi.map((v) => Math.max(0, v)),
      };
    }
    case 'maxpool': {
      const x = st.get(l.input)!;
      const e = expectedMaxNormal(l.kernel[0] * l.kernel[1]);
      return { mean: x.mean.map((m, c) => m + e * x.std[c]!), std: Float64Array.from(x.std), relu: x.relu, lo: Float64Array.from(x.lo), hi: Float64Array.from(x.hi) };
    }
    case 'avgpool':
    case 'globalavgpool': {
      const x = st.get(l.input)!;
      const s = shapes.get(l.input)!;
      const win = l.op === 'avgpool' ? l.kernel[0] * l.kernel[1] : s[1]! * s[2]!;
      return { mean: Float64Array.from(x.mean), std: x.std.map((v) => v / Math.sqrt(win)), relu: x.relu, lo: Float64Array.from(x.lo), hi: Float64Array.from(x.hi) };
    }
    case 'add': {
      const a = st.get(l.inputs[0])!;
      const b = st.get(l.inputs[1])!;
      const g = gaussian(a.mean.map((m, c) => m + b.mean[c]!), a.std.map((v, c) => Math.hypot(v, b.std[c]!)), k);
      for (let c = 0; c < g.mean.length; c++) {
        g.hi[c] = Math.max(g.hi[c]!, a.hi[c]!, b.hi[c]!);
        g.lo[c] = Math.min(g.lo[c]!, a.lo[c]!, b.lo[c]!);
      }
      return g;
    }
    case 'flatten':
      return ctx.perElement(l.input);
    default: {
      if (!isFloatChannelOp(l)) fail(`layer '${l.name}'`, `data-free calibration does not cover '${l.op}' layers (transformer ops): calibrate with images`);
      const ins = floatLayerInputs(l).map((n) => st.get(n)!);
      const r = channelOpStats(l, ins, floatLayerInputs(l).map((n) => shapes.get(n)!));
      const g = gaussian(r.mean, r.std, k);
      return { ...g, relu: r.relu, lo: r.relu ? g.lo.map((v) => Math.max(0, v)) : g.lo };
    }
  }
}

/**
 * Analytic input statistics of every conv / linear layer (see the header): per group, the mean of the K-vector
 * its filters see and a diagonal covariance (the propagated per-channel variances; neighbouring values'
 * correlations are unknown without data). For ptq.ts's `inputStats`: variance-weighted weight fit and analytic
 * bias correction.
 */
export function dataFreeInputStats(fm: FloatModel, stats: Map<string, TensorStats>, shapes: Map<string, number[]>): Map<string, LayerInputStats> {
  const out = new Map<string, LayerInputStats>();
  for (const l of fm.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const x = l.op === 'linear' ? expandPerElement(stats.get(l.input)!, shapes.get(l.input)!) : stats.get(l.input)!;
    const groups = l.op === 'conv2d' ? l.groups : 1;
    const K = l.op === 'conv2d' ? (l.inChannels / l.groups) * l.kernel[0] * l.kernel[1] : l.inFeatures;
    const kk = l.op === 'conv2d' ? l.kernel[0] * l.kernel[1] : 1;
    const mean: Float64Array[] = [];
    const cov: Float64Array[] = [];
    for (let g = 0; g < groups; g++) {
      const m = new Float64Array(K);
      const C = new Float64Array(K * K);
      for (let j = 0; j < K; j++) {
        const c = l.op === 'conv2d' ? g * (l.inChannels / l.groups) + Math.floor(j / kk) : j;
        m[j] = x.mean[c]!;
        C[j * K + j] = Math.max(x.std[c]! ** 2, 1e-12);
      }
      mean.push(m);
      cov.push(C);
    }
    out.set(l.name, { K, mean, cov, count: 1 });
  }
  return out;
}
