/**
 * Activation ranges for post-training quantization (the `actRanges` of ptq.ts), three ways:
 *
 *  1. From data (`calibrateFromSamples`): run the float model (float.ts) on calibration inputs — a folder of
 *     PGM/PNG images (`loadCalibFolder`) or the TRAIN digits of the fixed MNIST split — and take, per tensor, the
 *     p-th percentile of its values (default p = 99.99; the low end likewise 100 − p) over all samples. A
 *     percentile rather than the max keeps rare outliers from wasting 4-bit levels.
 *  2. Data-free (`--calib none`): no input at all, from the folded BatchNorm statistics — src/msq/datafree/ranges.ts.
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
import { numel, type FloatModel } from './model.js';
import type { Range } from './ptq.js';
import { searchClip, type ClipMethod } from './clip.js';

export const DEFAULT_PERCENTILE = 99.99;
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
