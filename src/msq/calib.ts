/**
 * Activation ranges for post-training quantization (the `actRanges` of ptq.ts), three ways:
 *
 *  1. From data (`calibrateFromSamples`): run the float model (float.ts) on calibration inputs — a folder of
 *     PGM/PNG images (`loadCalibFolder`) or the TRAIN digits of the fixed MNIST split — and take, per tensor, the
 *     p-th percentile of its values (default p = 99.99; the low end likewise 100 − p) over all samples. A
 *     percentile rather than the max keeps rare outliers from wasting 4-bit levels.
 *  2. Data-free (`calibrateDataFree`, `--calib none`): no input at all. Each BatchNorm folded into a layer says
 *     how the layer's pre-activation values were distributed in training: channel c ≈ N(β_c, γ_c²). Layers
 *     without BN get the mean and variance propagated from their input (independent inputs: mean = b + Σ w·μ,
 *     var = Σ w²·σ²); ReLU maps N(μ, σ²) to the rectified Gaussian (closed-form mean/variance); max-pooling of n
 *     values shifts the mean by σ·E[max of n standard normals] and keeps σ; average pooling keeps μ and divides σ²
 *     by the window; add sums means and variances. The network input is assumed uniform on its value domain
 *     ([0, 1] for p/255 images: μ = 1/2, σ = 1/√12). A tensor's range is then [min_c(μ_c − kσ_c), max_c(μ_c + kσ_c)]
 *     with k = 3 (clamped at 0 after a ReLU).
 *  3. Range hints (`Clip(lo, hi)` in the ONNX graph, e.g. the trained activation clips of a QAT model) override
 *     either method for their tensor: hi is the range's top, a negative lo makes it symmetric [-hi, hi].
 *
 * The input tensor's range is always its value domain, [0, 1] for image models (pixel/255), so an 8-bit input
 * holds the pixel bytes exactly.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PNG } from 'pngjs';
import { fail } from '../util/errors.js';
import { floatInputName, floatShapes, runFloat } from './float.js';
import { floatLayerInputs, numel, type FloatLayer, type FloatModel } from './model.js';
import { channelOpStats, isFloatChannelOp } from './float-ops.js';
import type { ChannelStats } from './onnx.js';
import type { Range } from './ptq.js';
import { searchClip, type ClipMethod } from './clip.js';

export const DEFAULT_PERCENTILE = 99.99;
export const DATA_FREE_K = 3;
/** Most activation values kept for percentile calibration (64 M floats = 256 MB); beyond it, a strided subsample. */
export const CALIB_VALUE_BUDGET = 64 * 2 ** 20;

/** Range of the network input: the value domain of pixel/255 (after the model's normalization, if any). */
export function inputRange(fm: FloatModel): Range {
  const n = fm.input.normalize;
  if (!n) return { min: 0, max: 1 };
  let min = Infinity;
  let max = -Infinity;
  n.mean.forEach((m, c) => {
    const a = (0 - m) / n.std[c]!;
    const b = (1 - m) / n.std[c]!;
    min = Math.min(min, a, b);
    max = Math.max(max, a, b);
  });
  return { min, max };
}

/** Value at percentile p (0..100) of a sorted array, by linear interpolation. */
function pct(sorted: Float32Array, p: number): number {
  if (sorted.length === 0) return 0;
  const pos = (p / 100) * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const a = sorted[i]!;
  const b = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return a + (b - a) * f;
}

/**
 * Per-tensor percentile ranges over calibration inputs (real values, already pixel/255).
 * Every tensor of the model gets a range; the input gets its value domain.
 */
export function calibrateFromSamples(
  fm: FloatModel,
  samples: ArrayLike<number>[],
  opts: {
    percentile?: number;
    hints?: Map<string, [number, number]>;
    valueBudget?: number;
    /** clipping method for tensors with known bits (default mse); others get the percentile */
    clip?: ClipMethod;
    /** activation bits per tensor (ptq.ts tensorActBits) for the mse / kl search */
    bits?: Map<string, number>;
    /** called with every sample's tensors (e.g. fit.ts InputStatsCollector) */
    onSample?: (tensors: Map<string, Float64Array>) => void;
  } = {},
): Map<string, Range> {
  if (samples.length === 0) fail('--calib', 'no calibration samples');
  const p = opts.percentile ?? DEFAULT_PERCENTILE;
  if (!(p > 50 && p <= 100)) fail('--percentile', `must be in (50, 100], got ${p}`);
  const shapes = floatShapes(fm);
  const inName = floatInputName(fm);
  const names = [...shapes.keys()].filter((n) => n !== inName);
  // Values kept per tensor: all of them while the total fits CALIB_VALUE_BUDGET (exact percentiles; the MNIST CNN
  // with 500 digits needs about 18 M), else every stride-th value (offset rotating per sample) so memory stays
  // bounded for large networks; the percentile is then estimated from the subsample.
  const total = names.reduce((a, n) => a + numel(shapes.get(n)!) * samples.length, 0);
  const stride = Math.max(1, Math.ceil(total / (opts.valueBudget ?? CALIB_VALUE_BUDGET)));
  const store = new Map<string, Float32Array>();
  const fill = new Map<string, number>();
  for (const n of names) {
    store.set(n, new Float32Array(Math.ceil(numel(shapes.get(n)!) / stride) * samples.length));
    fill.set(n, 0);
  }
  samples.forEach((s, si) => {
    const r = runFloat(fm, s, { keepAll: true, shapes });
    opts.onSample?.(r.tensors!);
    for (const n of names) {
      const t = r.tensors!.get(n)!;
      const dst = store.get(n)!;
      let k = fill.get(n)!;
      if (stride === 1) {
        dst.set(t, k);
        k += t.length;
      } else {
        for (let i = si % stride; i < t.length; i += stride) dst[k++] = t[i]!;
      }
      fill.set(n, k);
    }
  });
  const out = new Map<string, Range>();
  out.set(inName, inputRange(fm));
  for (const n of names) {
    const v = store.get(n)!.subarray(0, fill.get(n)!).sort();
    const bits = opts.bits?.get(n);
    const method = opts.clip ?? 'mse';
    if (bits !== undefined && method !== 'percentile' && v.length > 0) {
      const signed = v[0]! < 0;
      const c = searchClip(v, bits, signed, method);
      out.set(n, signed ? { min: -c, max: c } : { min: 0, max: Math.max(c, 1e-9) });
    } else out.set(n, { min: Math.min(0, pct(v, 100 - p)), max: Math.max(0, pct(v, p)) });
  }
  return applyHints(out, opts.hints);
}

/** Range hints (from Clip nodes) override calibrated ranges: [0, hi], or [-hi, hi] for a signed clip. */
export function applyHints(ranges: Map<string, Range>, hints?: Map<string, [number, number]>): Map<string, Range> {
  if (!hints) return ranges;
  for (const [name, [lo, hi]] of hints) ranges.set(name, lo < 0 ? { min: -hi, max: hi } : { min: 0, max: hi });
  return ranges;
}

// ------------------------------------------------------------------------------------------------ data-free

interface Stats {
  /** per channel ([C, H, W] tensors) or per element ([N] tensors) */
  mean: Float64Array;
  std: Float64Array;
  /** true when this tensor is a ReLU output */
  relu: boolean;
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

/**
 * Data-free ranges (`--calib none`): BatchNorm statistics where a BN was folded, propagated Gaussian statistics
 * elsewhere (see the header). `bnStats` maps a conv/linear layer to the (β, |γ|) of its folded BN.
 */
export function calibrateDataFree(
  fm: FloatModel,
  bnStats: Map<string, ChannelStats>,
  opts: { k?: number; hints?: Map<string, [number, number]> } = {},
): Map<string, Range> {
  const k = opts.k ?? DATA_FREE_K;
  const shapes = floatShapes(fm);
  const inName = floatInputName(fm);
  const st = new Map<string, Stats>();
  const inShape = shapes.get(inName)!;
  const inR = inputRange(fm);
  const chans = (s: number[]): number => (s.length === 3 ? s[0]! : s[0]!);
  {
    const c = chans(inShape);
    st.set(inName, {
      mean: new Float64Array(c).fill((inR.min + inR.max) / 2),
      std: new Float64Array(c).fill((inR.max - inR.min) / Math.sqrt(12)),
      relu: false,
    });
  }
  /** per-element stats of a tensor (expanding per-channel stats over H×W) */
  const perElement = (name: string): Stats => {
    const s = st.get(name)!;
    const shape = shapes.get(name)!;
    if (shape.length !== 3) return s;
    const plane = shape[1]! * shape[2]!;
    const mean = new Float64Array(numel(shape));
    const std = new Float64Array(numel(shape));
    for (let i = 0; i < mean.length; i++) {
      mean[i] = s.mean[Math.floor(i / plane)]!;
      std[i] = s.std[Math.floor(i / plane)]!;
    }
    return { mean, std, relu: s.relu };
  };
  const out = new Map<string, Range>();
  out.set(inName, inR);
  const hints = opts.hints ?? new Map<string, [number, number]>();

  for (const l of fm.layers) {
    const s = layerStats(l, st, shapes, bnStats, perElement);
    st.set(l.name, s);
    let min = Infinity;
    let max = -Infinity;
    for (let c = 0; c < s.mean.length; c++) {
      min = Math.min(min, s.mean[c]! - k * s.std[c]!);
      max = Math.max(max, s.mean[c]! + k * s.std[c]!);
    }
    if (s.relu) min = 0;
    out.set(l.name, { min: Math.min(0, min), max: Math.max(max, 1e-6) });
    // a clipped tensor is known to stay within its clip: bound its statistics there for the layers after it
    const h = hints.get(l.name);
    if (h) {
      for (let c = 0; c < s.mean.length; c++) {
        s.mean[c] = Math.min(s.mean[c]!, h[1]);
        s.std[c] = Math.min(s.std[c]!, (h[1] - Math.max(h[0], -h[1])) / 2);
      }
    }
  }
  return applyHints(out, opts.hints);
}

function layerStats(
  l: FloatLayer,
  st: Map<string, Stats>,
  shapes: Map<string, number[]>,
  bnStats: Map<string, ChannelStats>,
  perElement: (name: string) => Stats,
): Stats {
  switch (l.op) {
    case 'conv2d':
    case 'linear': {
      const bn = bnStats.get(l.name);
      if (bn) return { mean: Float64Array.from(bn.mean), std: Float64Array.from(bn.std), relu: false };
      const n = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
      const K = l.weight.length / n;
      const mean = new Float64Array(n);
      const std = new Float64Array(n);
      if (l.op === 'conv2d') {
        const x = st.get(l.input)!;
        const cpg = l.inChannels / l.groups;
        const kk = l.kernel[0] * l.kernel[1];
        for (let o = 0; o < n; o++) {
          const g = Math.floor(o / (l.outChannels / l.groups));
          let m = l.bias[o]!;
          let v = 0;
          for (let j = 0; j < K; j++) {
            const c = g * cpg + Math.floor(j / kk);
            const w = l.weight[o * K + j]!;
            m += w * x.mean[c]!;
            v += w * w * x.std[c]! ** 2;
          }
          mean[o] = m;
          std[o] = Math.sqrt(v);
        }
      } else {
        const x = perElement(l.input);
        for (let o = 0; o < n; o++) {
          let m = l.bias[o]!;
          let v = 0;
          for (let j = 0; j < K; j++) {
            const w = l.weight[o * K + j]!;
            m += w * x.mean[j]!;
            v += w * w * x.std[j]! ** 2;
          }
          mean[o] = m;
          std[o] = Math.sqrt(v);
        }
      }
      return { mean, std, relu: false };
    }
    case 'relu': {
      const x = st.get(l.input)!;
      const mean = new Float64Array(x.mean.length);
      const std = new Float64Array(x.mean.length);
      for (let c = 0; c < mean.length; c++) {
        const r = rectifiedGaussian(x.mean[c]!, x.std[c]!);
        mean[c] = r.mean;
        std[c] = r.std;
      }
      return { mean, std, relu: true };
    }
    case 'maxpool': {
      const x = st.get(l.input)!;
      const e = expectedMaxNormal(l.kernel[0] * l.kernel[1]);
      return { mean: x.mean.map((m, c) => m + e * x.std[c]!), std: Float64Array.from(x.std), relu: x.relu };
    }
    case 'avgpool':
    case 'globalavgpool': {
      const x = st.get(l.input)!;
      const s = shapes.get(l.input)!;
      const win = l.op === 'avgpool' ? l.kernel[0] * l.kernel[1] : s[1]! * s[2]!;
      return { mean: Float64Array.from(x.mean), std: x.std.map((v) => v / Math.sqrt(win)), relu: x.relu };
    }
    case 'add': {
      const a = st.get(l.inputs[0])!;
      const b = st.get(l.inputs[1])!;
      return { mean: a.mean.map((m, c) => m + b.mean[c]!), std: a.std.map((v, c) => Math.hypot(v, b.std[c]!)), relu: false };
    }
    case 'flatten':
      return perElement(l.input);
    default:
      if (isFloatChannelOp(l)) return channelOpStats(l, floatLayerInputs(l).map((n) => st.get(n)!), floatLayerInputs(l).map((n) => shapes.get(n)!));
      fail(`layer '${l.name}'`, `data-free calibration does not cover '${l.op}' layers (transformer ops): calibrate with images`);
  }
}

// ------------------------------------------------------------------------------------------------ images

/** Decode a binary (P5) or ASCII (P2) PGM into 8-bit pixels. */
export function decodePgm(buf: Uint8Array, file: string): { width: number; height: number; pixels: Uint8Array } {
  let pos = 0;
  const tok = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23) {
        while (pos < buf.length && buf[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return new TextDecoder().decode(buf.subarray(start, pos));
  };
  const magic = tok();
  if (magic !== 'P5' && magic !== 'P2') fail(file, `not a PGM image (magic '${magic.slice(0, 2)}', expected P5 or P2)`);
  const width = Number(tok());
  const height = Number(tok());
  const maxval = Number(tok());
  if (!(width > 0) || !(height > 0) || !(maxval > 0 && maxval < 65536)) fail(file, 'bad PGM header (width, height, maxval)');
  const n = width * height;
  const pixels = new Uint8Array(n);
  if (magic === 'P5') {
    pos++;
    const bpp = maxval > 255 ? 2 : 1;
    if (buf.length - pos < n * bpp) fail(file, `truncated PGM: ${buf.length - pos} data bytes, need ${n * bpp}`);
    for (let i = 0; i < n; i++) {
      const v = bpp === 1 ? buf[pos + i]! : (buf[pos + 2 * i]! << 8) | buf[pos + 2 * i + 1]!;
      pixels[i] = Math.round((v * 255) / maxval);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const t = tok();
      if (t === '') fail(file, `truncated PGM: ${i} of ${n} values`);
      pixels[i] = Math.round((Number(t) * 255) / maxval);
    }
  }
  return { width, height, pixels };
}

/** One image file as real inputs (pixel/255) of shape [C, H, W]; the size must match. */
export async function loadImageInput(file: string, shape: number[]): Promise<Float64Array> {
  if (shape.length !== 3) fail('--calib', `images need a model with an image input [C, H, W], this one has [${shape.join(', ')}]`);
  const [C, H, W] = shape as [number, number, number];
  const buf = await readFile(file);
  const ext = extname(file).toLowerCase();
  let width: number;
  let height: number;
  let get: (c: number, i: number) => number;
  if (ext === '.png') {
    let png: PNG;
    try {
      png = PNG.sync.read(buf);
    } catch (e) {
      fail(file, `cannot decode PNG (${(e as Error).message})`);
    }
    width = png.width;
    height = png.height;
    const d = png.data;
    get = (c, i) => (C === 1 ? Math.round(0.299 * d[i * 4]! + 0.587 * d[i * 4 + 1]! + 0.114 * d[i * 4 + 2]!) : d[i * 4 + c]!);
  } else {
    const g = decodePgm(buf, file);
    if (C !== 1) fail(file, `PGM is grayscale, the model wants ${C} channels`);
    width = g.width;
    height = g.height;
    get = (_c, i) => g.pixels[i]!;
  }
  if (width !== W || height !== H) fail(file, `image is ${width}x${height}, the model wants ${W}x${H}`);
  const x = new Float64Array(C * H * W);
  for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) x[c * H * W + i] = get(c, i) / 255;
  return x;
}

/** All .png/.pgm images of a folder (sorted by name) as real inputs. */
export async function loadCalibFolder(dir: string, shape: number[], limit?: number): Promise<Float64Array[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(png|pgm)$/i.test(f)).sort();
  } catch (e) {
    fail('--calib', `cannot read folder '${dir}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (files.length === 0) fail('--calib', `folder '${dir}' has no .png or .pgm images`);
  const chosen = limit !== undefined ? files.slice(0, limit) : files;
  const out: Float64Array[] = [];
  for (const f of chosen) out.push(await loadImageInput(join(dir, f), shape));
  return out;
}
