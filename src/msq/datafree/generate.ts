/**
 * Synthetic calibration images generated from the model itself (`--calib generate`, ZeroQ / DDAQ style): inputs
 * optimized until every BatchNorm layer's batch statistics match the mean and standard deviation it stored in
 * training, with a diversity term so the set does not collapse to one mode. See docs/datafree.md.
 *
 * The importer folds each BatchNormalization into the Conv / Gemm before it and keeps, per channel, the BN output's
 * training distribution (β_c, |γ_c|) (onnx/fold.ts, `bnStats`): over the training data, channel c of the folded
 * layer's output had mean β_c and standard deviation |γ_c|. For a batch of B images the loss is
 *
 *   L_BN = Σ_layers (1/C) Σ_c [(μ̂_c − β_c)² + (σ̂_c − |γ_c|)²] / (γ_c² + ε_l)
 *
 * with μ̂_c, σ̂_c the channel's mean and standard deviation over the batch and all positions, ε_l = 0.01 · mean_c γ_c²
 * (a near-dead channel does not dominate). Diversity: image b of a batch is also pushed towards class t_b (the
 * classes dealt round-robin from a seeded permutation) by λ · cross-entropy(logits, t_b) — without it, every image
 * drifts to the same few modes that satisfy the batch statistics. ∂L/∂input comes from the TypeScript reverse-mode
 * pass over the float model (plan/grad.ts), seeded with ∂L/∂(folded layer output); Adam on the pixels, projected
 * onto the input's value domain after each step. The result is rounded to the 8-bit pixel grid (the images the
 * user sees are exactly the calibration set).
 */
import { fail } from '../../util/errors.js';
import { mulberry32 } from '../../util/random.js';
import { inputRange } from '../calib.js';
import { floatInputName, floatOutputName, floatShapes, runFloat } from '../float.js';
import { numel, type FloatModel } from '../model.js';
import type { ChannelStats } from '../onnx.js';
import { backprop, lossGrad } from '../plan/grad.js';

export interface GenerateOptions {
  /** images to generate */
  n: number;
  /** Adam steps per batch (default 200) */
  steps?: number;
  /** images per batch whose statistics are matched together (default 32) */
  batch?: number;
  /** Adam step size, in units of the input's value range (default 0.05) */
  lr?: number;
  /** weight λ of the class-diversity cross-entropy (default 0.1; 0 = BN statistics only) */
  diversity?: number;
  seed?: number;
  /** progress line per batch */
  log?: (s: string) => void;
}

export interface GeneratedSet {
  /** model inputs (on the 8-bit pixel grid) */
  images: Float64Array[];
  /** mean L_BN per batch of the random starting images and of the result */
  lossStart: number;
  lossEnd: number;
  seconds: number;
}

/** The layers whose output statistics are matched: every conv / linear with a folded BatchNorm. */
export function bnTargets(fm: FloatModel, bnStats: Map<string, ChannelStats>, what = 'the model'): Map<string, ChannelStats> {
  const names = new Set(fm.layers.map((l) => l.name));
  const t = new Map([...bnStats].filter(([k]) => names.has(k)));
  if (t.size === 0) {
    fail('--calib generate', `${what} has no BatchNormalization layers (an export with BN folded into the convolutions?), and the generator matches their stored statistics: use --calib none (data-free ranges) or --calib <folder of images>, or re-export keeping BatchNorm (docs/datafree.md)`);
  }
  return t;
}

interface BatchLoss {
  loss: number;
  /** ∂L/∂(layer output) per image */
  seeds: Map<string, Float64Array>[];
}

/** L_BN of a batch of forward passes and its gradient w.r.t. each matched layer's output of each image. */
export function bnLoss(targets: Map<string, ChannelStats>, shapes: Map<string, number[]>, runs: Map<string, Float64Array>[]): BatchLoss {
  const B = runs.length;
  const seeds = runs.map(() => new Map<string, Float64Array>());
  let loss = 0;
  for (const [name, st] of targets) {
    const C = st.mean.length;
    const P = numel(shapes.get(name)!) / C;
    const N = B * P;
    const eps = 0.01 * (st.std.reduce((a, s) => a + s * s, 0) / C) + 1e-12;
    const gs = runs.map(() => new Float64Array(C * P));
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (const r of runs) {
        const y = r.get(name)!;
        for (let p = 0; p < P; p++) s += y[c * P + p]!;
      }
      const mu = s / N;
      let v = 0;
      for (const r of runs) {
        const y = r.get(name)!;
        for (let p = 0; p < P; p++) v += (y[c * P + p]! - mu) ** 2;
      }
      const sd = Math.sqrt(v / N + 1e-12);
      const d = (st.std[c]! ** 2 + eps) * C;
      loss += ((mu - st.mean[c]!) ** 2 + (sd - st.std[c]!) ** 2) / d;
      const gMu = (2 * (mu - st.mean[c]!)) / (d * N);
      const gSd = (2 * (sd - st.std[c]!)) / (d * N * sd);
      runs.forEach((r, b) => {
        const y = r.get(name)!;
        const g = gs[b]!;
        for (let p = 0; p < P; p++) g[c * P + p] = gMu + gSd * (y[c * P + p]! - mu);
      });
    }
    gs.forEach((g, b) => seeds[b]!.set(name, g));
  }
  return { loss, seeds };
}

/** L_BN of a set of inputs, in batches of `batch` (for reports and tests). */
export function bnLossOf(fm: FloatModel, bnStats: Map<string, ChannelStats>, inputs: ArrayLike<number>[], batch = 32): number {
  const targets = bnTargets(fm, bnStats);
  const shapes = floatShapes(fm);
  let sum = 0;
  let k = 0;
  for (let i = 0; i < inputs.length; i += batch, k++) {
    const runs = inputs.slice(i, i + batch).map((x) => runFloat(fm, x, { keepAll: true, shapes }).tensors!);
    sum += bnLoss(targets, shapes, runs).loss;
  }
  return sum / Math.max(1, k);
}

/** Inputs → the 8-bit pixel grid (pixel = real·255, or through input.normalize) and back. */
export function toPixelGrid(fm: FloatModel, x: Float64Array): { pixels: Uint8Array; real: Float64Array } {
  const nz = fm.input.normalize;
  const hw = x.length / fm.input.shape[0]!;
  const pixels = new Uint8Array(x.length);
  const real = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / hw);
    const unit = nz ? x[i]! * nz.std[c]! + nz.mean[c]! : x[i]!;
    const p = Math.min(255, Math.max(0, Math.round(unit * 255)));
    pixels[i] = p;
    real[i] = nz ? (p / 255 - nz.mean[c]!) / nz.std[c]! : p / 255;
  }
  return { pixels, real };
}

/** One batch: Adam on the pixels of `xs` (modified in place); returns L_BN before and after. */
function optimizeBatch(
  fm: FloatModel, targets: Map<string, ChannelStats>, shapes: Map<string, number[]>, xs: Float64Array[], classes: number[],
  o: Required<Pick<GenerateOptions, 'steps' | 'lr' | 'diversity'>>,
): { start: number; end: number } {
  const { min, max } = inputRange(fm);
  const lr = o.lr * (max - min);
  const len = xs[0]!.length;
  const m1 = xs.map(() => new Float64Array(len));
  const m2 = xs.map(() => new Float64Array(len));
  const inName = floatInputName(fm);
  const outName = floatOutputName(fm);
  const [b1, b2] = [0.9, 0.999];
  let start = NaN;
  let end = NaN;
  for (let step = 0; step <= o.steps; step++) {
    const runs = xs.map((x) => runFloat(fm, x, { keepAll: true, shapes }));
    const bl = bnLoss(targets, shapes, runs.map((r) => r.tensors!));
    if (step === 0) start = bl.loss;
    end = bl.loss;
    if (step === o.steps) break;
    xs.forEach((x, b) => {
      const seeds = bl.seeds[b]!;
      if (o.diversity > 0 && classes.length) {
        const w = o.diversity / xs.length;
        const ce = lossGrad(runs[b]!.output, classes[b]!).map((v) => v * w);
        const prev = seeds.get(outName);
        seeds.set(outName, prev ? prev.map((v, i) => v + ce[i]!) : ce);
      }
      const gx = backprop(fm, shapes, runs[b]!.tensors!, { seeds, inputOnly: true }).act.get(inName);
      if (!gx) return;
      const [m, v] = [m1[b]!, m2[b]!];
      const c1 = 1 - b1 ** (step + 1);
      const c2 = 1 - b2 ** (step + 1);
      for (let i = 0; i < len; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * gx[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * gx[i]! ** 2;
        const nx = x[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-12);
        x[i] = nx < min ? min : nx > max ? max : nx;
      }
    });
  }
  return { start, end };
}

/** Generate `o.n` calibration inputs for `fm` from its folded BatchNorm statistics. */
export function generateCalibration(fm: FloatModel, bnStats: Map<string, ChannelStats>, o: GenerateOptions): GeneratedSet {
  const t0 = performance.now();
  const targets = bnTargets(fm, bnStats);
  const shapes = floatShapes(fm);
  const steps = o.steps ?? 200;
  const batch = Math.max(1, Math.min(o.batch ?? 32, o.n));
  const rnd = mulberry32(o.seed ?? 11);
  const { min, max } = inputRange(fm);
  const len = numel(fm.input.shape);
  const outLen = numel(shapes.get(floatOutputName(fm))!);
  // classes dealt round-robin from a seeded permutation (only for a classifier-shaped output)
  const perm = Array.from({ length: outLen }, (_, i) => i);
  for (let i = outLen - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const images: Float64Array[] = [];
  let [s0, s1, nb] = [0, 0, 0];
  for (let i = 0; i < o.n; i += batch, nb++) {
    const k = Math.min(batch, o.n - i);
    // start: Gaussian around the middle of the value domain (Box-Muller), clamped
    const xs = Array.from({ length: k }, () => Float64Array.from({ length: len }, () => {
      const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
      return Math.min(max, Math.max(min, (min + max) / 2 + ((max - min) / 4) * g));
    }));
    const classes = outLen > 1 ? xs.map((_, b) => perm[(i + b) % outLen]!) : [];
    const r = optimizeBatch(fm, targets, shapes, xs, classes, { steps, lr: o.lr ?? 0.05, diversity: o.diversity ?? 0.1 });
    s0 += r.start;
    s1 += r.end;
    for (const x of xs) images.push(toPixelGrid(fm, x).real);
    o.log?.(`generate: batch ${nb + 1}: ${k} images, BN-statistics loss ${r.start.toPrecision(3)} -> ${r.end.toPrecision(3)}`);
  }
  return { images, lossStart: s0 / nb, lossEnd: s1 / nb, seconds: (performance.now() - t0) / 1000 };
}
