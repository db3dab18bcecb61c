/**
 * Weight quantizers: nearest-level rounding for fixed and SP2, the per-filter alpha search (minimum weight MSE,
 * never worse than max-abs scaling), and detection of weights that already lie on a scheme's levels (QAT models).
 * Conventions (levels, codes, integer values) come from conventions.ts; see docs/msq-numerics.md.
 */
import { fail } from '../util/errors.js';
import { checkWeightBits, levels, weightDenominator, type Scheme } from './conventions.js';

/** Lookup table for nearest-level rounding of one scheme/bits, in integer-weight units. */
interface LevelTable {
  /** non-negative integer magnitudes, ascending (mags[0] = 0) */
  mags: Float64Array;
  /** canonical positive code of each magnitude */
  codes: Int32Array;
  /** negative code of each magnitude (index 0 unused) */
  negCodes: Int32Array;
  /** decision thresholds: t >= thr[i] rounds to mags[i+1]... ties (t == midpoint) go to the smaller magnitude */
  mids: Float64Array;
  denom: number;
  max: number;
}

const tables = new Map<string, LevelTable>();

function table(scheme: Scheme, m: number): LevelTable {
  const key = `${scheme}:${m}`;
  let t = tables.get(key);
  if (t) return t;
  checkWeightBits(scheme, m);
  const lv = levels(scheme, m);
  const pos = lv.filter((l) => l.value >= 0);
  const neg = new Map(lv.filter((l) => l.value < 0).map((l) => [-l.value, l.code]));
  const mags = Float64Array.from(pos.map((l) => l.value));
  const mids = new Float64Array(mags.length - 1);
  for (let i = 0; i + 1 < mags.length; i++) mids[i] = (mags[i]! + mags[i + 1]!) / 2;
  t = {
    mags,
    codes: Int32Array.from(pos.map((l) => l.code)),
    negCodes: Int32Array.from(pos.map((l) => (l.value === 0 ? 0 : neg.get(l.value)!))),
    mids,
    denom: weightDenominator(scheme, m),
    max: mags[mags.length - 1]!,
  };
  tables.set(key, t);
  return t;
}

/** Index of the nearest magnitude to t >= 0 (ties to the smaller magnitude). */
function nearest(t: LevelTable, x: number): number {
  const mids = t.mids;
  let lo = 0;
  let hi = mids.length; // answer in [0, mids.length]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > mids[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Quantized {
  /** codes as stored in the model */
  codes: Int32Array;
  /** integer weight values (weightValue of each code) */
  values: Int32Array;
  /** Σ (w - dequantized)^2 / n */
  mse: number;
}

/** Quantize real weights with a given alpha to the nearest level of a scheme (ties toward the smaller magnitude). */
export function quantizeWeights(w: ArrayLike<number>, alpha: number, scheme: Scheme, m: number): Quantized {
  const t = table(scheme, m);
  const n = w.length;
  const codes = new Int32Array(n);
  const values = new Int32Array(n);
  const k = t.denom / alpha;
  const step = alpha / t.denom;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    const j = nearest(t, Math.abs(x) * k);
    const v = t.mags[j]!;
    if (x < 0 && v !== 0) {
      codes[i] = t.negCodes[j]!;
      values[i] = -v;
    } else {
      codes[i] = t.codes[j]!;
      values[i] = v;
    }
    const d = x - values[i]! * step;
    se += d * d;
  }
  return { codes, values, mse: n ? se / n : 0 };
}

/** Weight MSE only (no allocation); used inside the alpha search. */
export function quantMse(w: ArrayLike<number>, alpha: number, scheme: Scheme, m: number): number {
  const t = table(scheme, m);
  const n = w.length;
  const k = t.denom / alpha;
  const step = alpha / t.denom;
  const mags = t.mags;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i]!;
    const a = Math.abs(x);
    const d = a - mags[nearest(t, a * k)]! * step;
    se += d * d;
  }
  return n ? se / n : 0;
}

export interface AlphaSearch {
  /** grid points c in [0.5, 1] (alpha = c * max|w|); default 64 */
  grid?: number;
  /** golden-section iterations around the best grid point; default 30 */
  refine?: number;
}

export interface AlphaResult extends Quantized {
  alpha: number;
  /** MSE with max-abs scaling (alpha = max|w|), for comparison */
  mseMaxAbs: number;
}

function maxAbs(w: ArrayLike<number>): number {
  let mx = 0;
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    if (a > mx) mx = a;
  }
  return mx;
}

/**
 * Per-filter alpha minimizing weight MSE: grid over c * max|w|, c in [0.5, 1] (c = 1 = max-abs scaling included),
 * then golden-section refinement in the grid interval around the best point; the best alpha seen wins, so the
 * result is never worse than max-abs scaling. An all-zero filter gets alpha = 1 and zero codes.
 */
export function bestAlpha(w: ArrayLike<number>, scheme: Scheme, m: number, opts: AlphaSearch = {}): AlphaResult {
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i]!)) fail(`weights[${i}]`, `is ${w[i]}; weights must be finite numbers`);
  }
  const mx = maxAbs(w);
  if (mx === 0) {
    const q = quantizeWeights(w, 1, scheme, m);
    return { ...q, alpha: 1, mseMaxAbs: q.mse };
  }
  const grid = Math.max(2, opts.grid ?? 64);
  const refine = Math.max(0, opts.refine ?? 30);
  const mseMaxAbs = quantMse(w, mx, scheme, m);
  let bestC = 1;
  let bestE = mseMaxAbs;
  let bestI = grid - 1;
  for (let i = 0; i < grid - 1; i++) {
    const c = 0.5 + (0.5 * i) / (grid - 1);
    const e = quantMse(w, c * mx, scheme, m);
    if (e < bestE) {
      bestE = e;
      bestC = c;
      bestI = i;
    }
  }
  // golden-section search on [c_{i-1}, c_{i+1}]
  const h = 0.5 / (grid - 1);
  let a = Math.max(0.5, 0.5 + (bestI - 1) * h);
  let b = Math.min(1, 0.5 + (bestI + 1) * h);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = quantMse(w, x1 * mx, scheme, m);
  let f2 = quantMse(w, x2 * mx, scheme, m);
  for (let it = 0; it < refine; it++) {
    if (f1 < bestE) {
      bestE = f1;
      bestC = x1;
    }
    if (f2 < bestE) {
      bestE = f2;
      bestC = x2;
    }
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = quantMse(w, x1 * mx, scheme, m);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = quantMse(w, x2 * mx, scheme, m);
    }
  }
  if (f1 < bestE) bestC = x1;
  else if (f2 < bestE) bestC = x2;
  const alpha = bestC * mx;
  const q = quantizeWeights(w, alpha, scheme, m);
  // guard against float noise between quantMse and quantizeWeights
  if (q.mse > mseMaxAbs) {
    const qm = quantizeWeights(w, mx, scheme, m);
    return { ...qm, alpha: mx, mseMaxAbs };
  }
  return { ...q, alpha, mseMaxAbs };
}

export interface OnLevels {
  alpha: number;
  codes: Int32Array;
  values: Int32Array;
}

/**
 * If every weight already lies on the levels of (scheme, m) for one alpha (as a quantization-aware trained model
 * exports them), return that alpha and exactly those codes; otherwise null.
 * With `alphaHint` only that alpha is tried. Without it, the largest weight is matched against each positive level
 * from the largest down, and the first alpha under which all weights land on levels wins (finest alpha: ambiguous
 * only when all codes share a common factor). Tolerance: |w * D / alpha - level| <= tol + 4e-7 * level (level units;
 * the relative part covers float32 rounding of large SP2 levels).
 */
export function detectOnLevels(
  w: ArrayLike<number>,
  scheme: Scheme,
  m: number,
  opts: { alphaHint?: number; tol?: number } = {},
): OnLevels | null {
  const t = table(scheme, m);
  const tol = opts.tol ?? 1e-3;
  const mx = maxAbs(w);
  if (mx === 0) {
    const q = quantizeWeights(w, opts.alphaHint ?? 1, scheme, m);
    return { alpha: opts.alphaHint ?? 1, codes: q.codes, values: q.values };
  }
  const candidates: number[] = opts.alphaHint !== undefined
    ? [opts.alphaHint]
    : Array.from(t.mags).filter((v) => v > 0).reverse().map((v) => (mx * t.denom) / v);
  for (const alpha of candidates) {
    const k = t.denom / alpha;
    let ok = true;
    for (let i = 0; i < w.length && ok; i++) {
      const x = Math.abs(w[i]!) * k;
      const lv = t.mags[nearest(t, x)]!;
      // absolute tolerance plus float32 rounding relative to the level (8-bit SP2 levels reach 32768)
      if (Math.abs(x - lv) > tol + 4e-7 * lv) ok = false;
    }
    if (ok) {
      const q = quantizeWeights(w, alpha, scheme, m);
      return { alpha, codes: q.codes, values: q.values };
    }
  }
  return null;
}
