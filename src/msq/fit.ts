/**
 * Output-aware weight quantization of one conv/linear layer (the default `--weight-fit output`).
 *
 * From calibration inputs of the layer (its float input tensors) we take the mean μ and covariance C of the
 * vectors a filter sees (a conv's K = (C_in/groups)·kh·kw patch, a linear layer's input; depthwise: per group).
 * With δ = (dequantized − real) weights of a filter, its output error over the calibration set is
 *   E[(δ·x)²] = δᵀ(C + μμᵀ)δ;
 * the mean part δ·μ is removed by **bias correction** (b ← b − δ·μ), which leaves E = δᵀCδ. Per filter and scheme:
 *  1. scale search: alpha = c·max|w| on a grid c ∈ [0.35, 1], nearest rounding, the alpha of least δᵀCδ;
 *  2. AdaRound-style rounding: each weight may move to the next level up or down; greedy passes accept every move
 *     that lowers δᵀCδ (ΔE = (d'² − d²)C_kk + 2(d' − d)(Cδ)_k, Cδ kept current), until no move helps;
 *  3. E_fixed(o), E_sp2(o): the split rule `output` gives the board's round(n/(1+r)) fixed slots to the filters with
 *     the largest E_sp2 − E_fixed (what SP2 would cost that filter's output), the rest SP2.
 * Layer by layer on the already-quantized input (seqfit.ts, the default with calibration data): with x̂ the layer's
 * input in the integer model built so far (dequantized) and x the float model's, a filter's quantized weights q
 * minimize E[(q·x̂ − w·x)²] = qᵀĈq − 2qᵀ(C_x̂x w) + const (Ĉ the covariance of x̂, C_x̂x the cross-covariance),
 * and the bias absorbs the mean E[q·x̂ − w·x] = q·μ̂ − w·μ. Without the quantized input (x̂ = x) this is δᵀCδ.
 */
import { levels, weightDenominator, type Scheme } from './conventions.js';
import type { FloatModel } from './model.js';

/** Input statistics of one weighted layer: per group, mean and covariance of the K-vectors its filters see. */
export interface LayerInputStats {
  K: number;
  /** one per group (1 for dense conv/linear, C for depthwise) */
  mean: Float64Array[];
  /** K×K row-major covariance per group */
  cov: Float64Array[];
  count: number;
  /** sequential fit: the covariance Cov(x̂, x) of the quantized input x̂ (rows) with the float input x (columns) */
  cross?: Float64Array[];
  /** sequential fit: the float input's mean (`mean` is then the quantized input's) */
  meanFloat?: Float64Array[];
  /** sequential fit: per group, paired input vectors (n × K row-major, quantized x̂ and float x) for measuring errors */
  pairs?: { xq: Float64Array; xf: Float64Array; n: number }[];
}

/**
 * Measured output error of one filter on paired input vectors: mean over the vectors of
 * (act(q·x̂ + b − shift) − act(w·x + b))², act = the clamp of the layer's output tensor to [lo, hi] (real units;
 * lo = 0 with a fused ReLU). Unlike δᵀCδ this sees what the ReLU and the activation clip hide: an error where both
 * outputs are negative (or both above the clip) costs nothing. `qv` are the filter's integer weight values, `step`
 * their scale.
 */
export function activationError(
  w: ArrayLike<number>, bias: number, qv: ArrayLike<number>, step: number, shift: number,
  pairs: { xq: Float64Array; xf: Float64Array; n: number }, lo: number, hi: number,
): number {
  const K = w.length;
  const { xq, xf, n } = pairs;
  let e = 0;
  for (let s = 0; s < n; s++) {
    const o = s * K;
    let a = 0;
    let b = 0;
    for (let k = 0; k < K; k++) {
      a += qv[k]! * xq[o + k]!;
      b += w[k]! * xf[o + k]!;
    }
    let yq = a * step + bias - shift;
    let yf = b + bias;
    yq = yq < lo ? lo : yq > hi ? hi : yq;
    yf = yf < lo ? lo : yf > hi ? hi : yf;
    e += (yq - yf) ** 2;
  }
  return e / Math.max(1, n);
}

/**
 * Filter vectors longer than this get diagonal statistics (per input element mean and variance, K values instead
 * of K²): a full K×K covariance of a 3×3×512 conv (K 4,608) would be 170 MB and 21 M operations per patch vector. With a
 * diagonal C, δᵀCδ = Σ C_kk δ_k², for which nearest rounding is already the best rounding at a given scale.
 */
export const STATS_MAX_K = 1600;

/** A covariance stored as its diagonal only (length K instead of K²; see STATS_MAX_K). */
export const isDiagonal = (C: Float64Array, K: number): boolean => C.length === K && K > 1;

/** Accumulates Σx and Σxxᵀ (only Σx² when `diagonal`) of K-vectors per group. */
export class StatsAccumulator {
  private s1: Float64Array[];
  private s2: Float64Array[];
  private n = 0;
  readonly diagonal: boolean;
  constructor(readonly K: number, readonly groups: number, diagonal = K > STATS_MAX_K) {
    this.diagonal = diagonal && K > 1;
    this.s1 = Array.from({ length: groups }, () => new Float64Array(K));
    this.s2 = Array.from({ length: groups }, () => new Float64Array(this.diagonal ? K : K * K));
  }
  /** add one vector per group (xs[g] of length K) */
  add(xs: Float64Array[]): void {
    const K = this.K;
    for (let g = 0; g < this.groups; g++) {
      const x = xs[g]!;
      const s1 = this.s1[g]!;
      const s2 = this.s2[g]!;
      if (this.diagonal) {
        for (let i = 0; i < K; i++) {
          const xi = x[i]!;
          s1[i] += xi;
          s2[i] += xi * xi;
        }
        continue;
      }
      for (let i = 0; i < K; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        s1[i] += xi;
        const row = i * K;
        for (let j = i; j < K; j++) s2[row + j] += xi * x[j]!;
      }
    }
    this.n++;
  }
  result(): LayerInputStats {
    const K = this.K;
    const n = Math.max(1, this.n);
    const mean = this.s1.map((s) => s.map((v) => v / n));
    const cov = this.s2.map((s, g) => {
      const m = mean[g]!;
      if (this.diagonal) return s.map((v, i) => Math.max(0, v / n - m[i]! * m[i]!));
      const c = new Float64Array(K * K);
      for (let i = 0; i < K; i++) {
        for (let j = i; j < K; j++) {
          const v = s[i * K + j]! / n - m[i]! * m[j]!;
          c[i * K + j] = v;
          c[j * K + i] = v;
        }
      }
      return c;
    });
    return { K, mean, cov, count: this.n };
  }
}

/** Sorted integer level values of a scheme (ascending, with negatives), cached. */
const levelValues = new Map<string, Float64Array>();
function sortedLevels(scheme: Scheme, m: number): Float64Array {
  const key = `${scheme}:${m}`;
  let v = levelValues.get(key);
  if (!v) {
    v = Float64Array.from(levels(scheme, m).map((l) => l.value)).sort();
    levelValues.set(key, v);
  }
  return v;
}

function nearestIndex(lv: Float64Array, t: number): number {
  let lo = 0;
  let hi = lv.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lv[mid + 1]! <= t) lo = mid + 1;
    else hi = mid;
  }
  // lo = last level <= t (or 0); choose the nearer of lo, lo+1; ties toward the smaller magnitude
  if (lo + 1 < lv.length) {
    const a = t - lv[lo]!;
    const b = lv[lo + 1]! - t;
    if (b < a || (b === a && Math.abs(lv[lo + 1]!) < Math.abs(lv[lo]!))) return lo + 1;
  }
  return lo;
}

/** δᵀCδ (C full K×K or its diagonal) */
function quadForm(C: Float64Array, d: Float64Array): number {
  const K = d.length;
  let e = 0;
  if (isDiagonal(C, K)) {
    for (let i = 0; i < K; i++) e += C[i]! * d[i]! * d[i]!;
    return e;
  }
  for (let i = 0; i < K; i++) {
    const di = d[i]!;
    if (di === 0) continue;
    let r = 0;
    const row = i * K;
    for (let j = 0; j < K; j++) r += C[row + j]! * d[j]!;
    e += di * r;
  }
  return e;
}

export interface FilterFit {
  alpha: number;
  /** integer weight values per weight (the level values, not codes) */
  values: Int32Array;
  /** output error δᵀCδ after the fit */
  err: number;
  /** δ·μ: the expected output shift to subtract from the bias (real units) */
  shift: number;
}

/** Fit one filter's alpha and rounding to minimize its output error (see the header). */
export function fitFilter(
  w: Float64Array,
  C: Float64Array,
  mu: Float64Array,
  scheme: Scheme,
  m: number,
  opts: { grid?: number; passes?: number; cross?: Float64Array; muFloat?: Float64Array } = {},
): FilterFit {
  const K = w.length;
  const lv = sortedLevels(scheme, m);
  const D = weightDenominator(scheme, m);
  let mx = 0;
  for (let i = 0; i < K; i++) mx = Math.max(mx, Math.abs(w[i]!));
  if (mx === 0) return { alpha: 1, values: new Int32Array(K), err: 0, shift: 0 };
  // target t = C_x̂x·w (= C·w without a quantized input); E(q) = qᵀCq − 2qᵀt + wᵀt (= δᵀCδ when x̂ = x)
  const t = matVec(opts.cross ?? C, w);
  let wt = 0;
  for (let i = 0; i < K; i++) wt += w[i]! * t[i]!;
  const errOf = (q: Float64Array): number => {
    let qt = 0;
    for (let i = 0; i < K; i++) qt += q[i]! * t[i]!;
    return quadForm(C, q) - 2 * qt + wt;
  };
  const grid = opts.grid ?? 24;
  const idx = new Int32Array(K);
  const q = new Float64Array(K);
  let best = { c: 1, e: Infinity };
  for (let g = 0; g < grid; g++) {
    const c = 0.35 + (0.65 * g) / (grid - 1);
    const step = (c * mx) / D;
    for (let i = 0; i < K; i++) q[i] = lv[nearestIndex(lv, w[i]! / step)]! * step;
    const e = errOf(q);
    if (e < best.e) best = { c, e };
  }
  const alpha = best.c * mx;
  const step = alpha / D;
  for (let i = 0; i < K; i++) {
    idx[i] = nearestIndex(lv, w[i]! / step);
    q[i] = lv[idx[i]!]! * step;
  }
  // gradient/2 of E: g = Cq − t
  const g = matVec(C, q);
  for (let i = 0; i < K; i++) g[i] -= t[i]!;
  const passes = isDiagonal(C, K) ? 0 : opts.passes ?? 4;
  for (let p = 0; p < passes; p++) {
    let moved = false;
    for (let k = 0; k < K; k++) {
      const ckk = C[k * K + k]!;
      let bestDelta = 0;
      let bestJ = -1;
      for (const j of [idx[k]! - 1, idx[k]! + 1]) {
        if (j < 0 || j >= lv.length) continue;
        const dd = lv[j]! * step - q[k]!;
        const delta = dd * dd * ckk + 2 * dd * g[k]!;
        if (delta < bestDelta - 1e-18) {
          bestDelta = delta;
          bestJ = j;
        }
      }
      if (bestJ >= 0) {
        const qn = lv[bestJ]! * step;
        const dd = qn - q[k]!;
        for (let i = 0; i < K; i++) g[i] += dd * C[i * K + k]!;
        q[k] = qn;
        idx[k] = bestJ;
        moved = true;
      }
    }
    if (!moved) break;
  }
  const values = new Int32Array(K);
  const muF = opts.muFloat ?? mu;
  let shift = 0;
  for (let i = 0; i < K; i++) {
    values[i] = lv[idx[i]!]!;
    shift += q[i]! * mu[i]! - w[i]! * muF[i]!;
  }
  return { alpha, values, err: Math.max(0, errOf(q)), shift };
}

/** C·v for a K×K row-major C (or its diagonal) */
function matVec(C: Float64Array, v: Float64Array): Float64Array {
  const K = v.length;
  const out = new Float64Array(K);
  if (isDiagonal(C, K)) {
    for (let i = 0; i < K; i++) out[i] = C[i]! * v[i]!;
    return out;
  }
  for (let i = 0; i < K; i++) {
    let r = 0;
    const row = i * K;
    for (let j = 0; j < K; j++) r += C[row + j]! * v[j]!;
    out[i] = r;
  }
  return out;
}

/** Patch positions per sample and samples used for a layer's input statistics. */
export const STATS_POSITIONS = 24;
export const STATS_SAMPLES = 256;
/** Shrinkage of the covariance toward its diagonal (keeps the rounding from over-fitting few samples). */
export const STATS_SHRINK = 0.1;

/**
 * Collects every weighted layer's input statistics from float runs (feed it each sample's tensors). Conv layers
 * see STATS_POSITIONS output positions per sample, chosen by a fixed LCG (reproducible); zero padding included.
 */
export class InputStatsCollector {
  private acc = new Map<string, StatsAccumulator>();
  private seed = 12345;
  private seen = 0;
  constructor(private readonly fm: FloatModel, private readonly shapes: Map<string, number[]>, private readonly maxSamples = STATS_SAMPLES) {
    for (const l of fm.layers) {
      if (l.op === 'conv2d') this.acc.set(l.name, new StatsAccumulator((l.inChannels / l.groups) * l.kernel[0] * l.kernel[1], l.groups));
      else if (l.op === 'linear') this.acc.set(l.name, new StatsAccumulator(l.inFeatures, 1));
    }
  }
  private rand(n: number): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed % n;
  }
  add(tensors: Map<string, Float64Array>): void {
    if (this.seen++ >= this.maxSamples) return;
    for (const l of this.fm.layers) {
      const a = this.acc.get(l.name);
      if (!a) continue;
      const x = tensors.get(l.op === 'conv2d' || l.op === 'linear' ? l.input : '')!;
      if (l.op === 'linear') {
        a.add([x]);
        continue;
      }
      if (l.op !== 'conv2d') continue;
      const [C, H, W] = this.shapes.get(l.input)! as [number, number, number];
      const [, OH, OW] = this.shapes.get(l.name)! as [number, number, number];
      const vecs = Array.from({ length: l.groups }, () => new Float64Array(a.K));
      for (let p = 0; p < Math.min(STATS_POSITIONS, OH * OW); p++) {
        const pos = this.rand(OH * OW);
        patchVectors(l, x, [C, H, W], Math.floor(pos / OW), pos % OW, vecs);
        a.add(vecs);
      }
    }
  }
  result(): Map<string, LayerInputStats> {
    const out = new Map<string, LayerInputStats>();
    for (const [name, a] of this.acc) {
      const r = a.result();
      if (!a.diagonal) for (const C of r.cov) shrinkOffDiagonal(C, r.K);
      out.set(name, r);
    }
    return out;
  }
}

/** Scale the off-diagonal entries of a K×K matrix by 1 − STATS_SHRINK. */
export function shrinkOffDiagonal(C: Float64Array, K: number): void {
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) if (i !== j) C[i * K + j] *= 1 - STATS_SHRINK;
  }
}

/** The K-vectors (one per group, written into `vecs`) that output position (oy, ox) of a conv sees in x; zero padding. */
export function patchVectors(
  l: { groups: number; kernel: readonly number[]; stride: readonly number[]; padding: readonly number[] },
  x: ArrayLike<number>,
  [C, H, W]: readonly number[],
  oy: number,
  ox: number,
  vecs: Float64Array[],
): void {
  const [kh, kw] = l.kernel as [number, number];
  const cpg = C! / l.groups;
  for (let g = 0; g < l.groups; g++) {
    const v = vecs[g]!;
    let k = 0;
    for (let c = 0; c < cpg; c++) {
      const ch = g * cpg + c;
      for (let i = 0; i < kh; i++) {
        const y = oy * l.stride[0]! - l.padding[0]! + i;
        for (let j = 0; j < kw; j++) {
          const xx = ox * l.stride[1]! - l.padding[1]! + j;
          v[k++] = y >= 0 && y < H! && xx >= 0 && xx < W! ? x[(ch * H! + y) * W! + xx]! : 0;
        }
      }
    }
  }
}
