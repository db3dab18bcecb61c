/**
 * Per-layer scheme choice: which filters use fixed point (DSP multiply) and which SP2 (shift-add in LUTs).
 * Rules: 'variance' (the MSQ paper's: highest variance of w / max|w| -> fixed), 'error' (largest SP2-minus-fixed
 * weight MSE -> fixed), 'output' (largest SP2-minus-fixed OUTPUT error measured on calibration data, fit.ts; the
 * errors are given in `mse`), 'random' (a seeded random choice of the fixed filters: the benchmark's baseline),
 * 'fixed', 'sp2'. The fixed share is round(n / (1 + r)), r = the board's SP2-per-fixed ratio.
 * See docs/msq-numerics.md.
 */
import { fail } from '../util/errors.js';
import { loadBoard } from '../board/index.js';
import { bestAlpha, type AlphaSearch } from './quant.js';
import type { Scheme } from './conventions.js';
import { mulberry32 } from '../util/random.js';

export type SchemeRule = 'variance' | 'error' | 'output' | 'random' | 'fixed' | 'sp2';
export const SCHEME_RULES: readonly SchemeRule[] = ['variance', 'error', 'output', 'random', 'fixed', 'sp2'];

/**
 * The board's SP2-per-fixed filter ratio (boards/<id>.json msq.sp2PerFixedRatio): the board preset core's Ps / Pf
 * (src/msq/core/presets.ts, the core that is synthesized; test/msq-core-presets.test.ts keeps them equal).
 */
export function boardRatio(board: string): number {
  return loadBoard(board).msq.sp2PerFixedRatio;
}

/**
 * Number of fixed filters among n for ratio r: round(n / (1 + r)), halves rounded up.
 * A ratio that leaves a layer of n >= 2 filters all fixed or all SP2 cannot be met: error naming `field`.
 */
export function fixedCount(n: number, r: number, field = 'ratio'): number {
  if (!Number.isFinite(r) || r < 0) fail(field, `SP2-per-fixed ratio must be a finite number >= 0, got ${r}`);
  // the epsilon keeps a true half a half: 20 / (1 + 40/24) is 7.4999… in floating point, 7.5 exactly
  const k = Math.floor(n / (1 + r) + 0.5 + 1e-9);
  if (n >= 2 && r > 0 && (k === 0 || k === n)) {
    fail(field, `ratio 1:${r} cannot be met with ${n} filters (would give ${k} fixed, ${n - k} SP2); use --scheme fixed|sp2 or another ratio`);
  }
  return k;
}

/** Variance of w / max|w| (0 for an all-zero filter). */
export function normalizedVariance(w: ArrayLike<number>): number {
  const n = w.length;
  let mx = 0;
  for (let i = 0; i < n; i++) mx = Math.max(mx, Math.abs(w[i]!));
  if (mx === 0 || n === 0) return 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = w[i]! / mx;
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return Math.max(0, s2 / n - mean * mean);
}

export interface SchemeChoiceOptions {
  rule: SchemeRule;
  /** SP2 filters per fixed filter (1.5 xc7z020, 2 xc7z045) */
  ratio: number;
  /** weight bits used for the error rule's comparison (default 4) */
  bits?: number;
  /** names the layer in errors */
  field?: string;
  alphaSearch?: AlphaSearch;
  /** error rule: precomputed per-filter weight MSE at the best alpha of each scheme (skips recomputation) */
  mse?: { fixed: ArrayLike<number>; sp2: ArrayLike<number> };
  /** random rule: the seed (mixed with the layer's field name, so layers differ) */
  seed?: number;
}

/** A seed from a number and a name (FNV-1a over the name). */
function mixSeed(seed: number, name: string): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Indices 0..n-1 sorted by score descending, ties to the lower index. */
function rankDesc(score: ArrayLike<number>): number[] {
  return Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
}

/** Scheme per filter for one layer. `filters[i]` are filter i's real weights. */
export function chooseSchemes(filters: ArrayLike<number>[], opts: SchemeChoiceOptions): Scheme[] {
  const n = filters.length;
  if (opts.rule === 'fixed') return new Array<Scheme>(n).fill('fixed');
  if (opts.rule === 'sp2') return new Array<Scheme>(n).fill('sp2');
  const k = fixedCount(n, opts.ratio, opts.field ?? 'ratio');
  let score: number[];
  if (opts.rule === 'variance') {
    score = filters.map(normalizedVariance);
  } else if (opts.rule === 'output') {
    const pre = opts.mse;
    if (!pre) fail(opts.field ?? 'rule', "the 'output' rule needs the measured per-filter output errors (calibration data)");
    score = filters.map((_, i) => pre.sp2[i]! - pre.fixed[i]!);
  } else if (opts.rule === 'random') {
    const r = mulberry32(mixSeed(opts.seed ?? 0, opts.field ?? ''));
    score = filters.map(() => r());
  } else if (opts.rule === 'error') {
    const m = opts.bits ?? 4;
    const pre = opts.mse;
    score = pre
      ? filters.map((_, i) => pre.sp2[i]! - pre.fixed[i]!)
      : filters.map((w) => bestAlpha(w, 'sp2', m, opts.alphaSearch).mse - bestAlpha(w, 'fixed', m, opts.alphaSearch).mse);
  } else {
    fail(opts.field ?? 'rule', `unknown scheme rule '${String(opts.rule)}'; use one of ${SCHEME_RULES.join(', ')}`);
  }
  const out = new Array<Scheme>(n).fill('sp2');
  for (const i of rankDesc(score).slice(0, k)) out[i] = 'fixed';
  return out;
}
