/**
 * Golden model: bit-exact integer execution of a QuantModel, layer by layer (the RTL must equal it bit for bit).
 * Arithmetic per docs/msq-numerics.md via conventions.ts. Accumulators are exact doubles: bounds.ts proves every
 * accumulator of the model stays below 2^53 before anything runs.
 * Speed: convolutions run as im2col + dot products over Float64Arrays (bench/msq-golden-speed.ts).
 */
import { fail } from '../util/errors.js';
import { geometryOf, tapEnd, tapFirst, windowOf, type Geometry } from './geometry.js';
import { actRange, quantizeInputValue, weightValue } from './conventions.js';
import { assertExactInDoubles, modelBounds, type LayerBound } from './bounds.js';
import { runChannelOp } from './golden-ops.js';
import { runVitLayer } from './vit/golden-ops.js';
import { isVitLayer } from './vit/check.js';
import {
  avgPoolVaries,
  checkModel,
  layerInputs,
  numel,
  poolCount,
  outputName,
  type QuantLayer,
  type QuantModel,
  type TensorInfo,
} from './model.js';

export interface Tensor {
  shape: number[];
  data: Int32Array;
}

/** Per filter: integer weights, bias and requant constants. */
interface PreparedFilters {
  /** [n][K] integer weight values */
  w: Float64Array;
  K: number;
  bias: Float64Array;
  M: Float64Array;
  half: Float64Array;
  invPow: Float64Array;
  S: Int32Array;
}

export interface PreparedModel {
  model: QuantModel;
  infos: Map<string, TensorInfo>;
  bounds: LayerBound[];
  filters: Map<string, PreparedFilters>;
  output: string;
}

/** Validate shapes/bounds and decode weight codes once; reuse for many inputs. */
export function prepareModel(model: QuantModel): PreparedModel {
  const infos = checkModel(model);
  const bounds = modelBounds(model, infos);
  assertExactInDoubles(bounds, model);
  const filters = new Map<string, PreparedFilters>();
  for (const l of model.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const n = l.filters.length;
    const K = l.filters[0]?.weights.length ?? 0;
    const p: PreparedFilters = {
      w: new Float64Array(n * K),
      K,
      bias: new Float64Array(n),
      M: new Float64Array(n),
      half: new Float64Array(n),
      invPow: new Float64Array(n),
      S: new Int32Array(n),
    };
    l.filters.forEach((f, i) => {
      for (let k = 0; k < K; k++) p.w[i * K + k] = weightValue(f.scheme, f.bits, f.weights[k]!);
      p.bias[i] = f.bias;
      p.M[i] = f.M;
      p.half[i] = 2 ** (f.S - 1);
      p.invPow[i] = 2 ** -f.S;
      p.S[i] = f.S;
    });
    filters.set(l.name, p);
  }
  return { model, infos, bounds, filters, output: outputName(model) };
}

const TWO53 = 2 ** 53;

/** clamp(floor((acc*M + half) * 2^-S), lo, hi), exact (BigInt when the product could round in doubles). */
function rq(acc: number, mul: number, half: number, invPow: number, s: number, lo: number, hi: number): number {
  const p = acc * mul;
  let y: number;
  if ((p < 0 ? -p : p) + half <= TWO53) y = Math.floor((p + half) * invPow);
  else y = Number((BigInt(acc) * BigInt(mul) + (1n << BigInt(s - 1))) >> BigInt(s));
  return y < lo ? lo : y > hi ? hi : y;
}

/** Quantize real input values (already normalized) with the model's input scale and range. */
export function quantizeInput(model: QuantModel, x: ArrayLike<number>): Int32Array {
  const n = numel(model.input.shape);
  if (x.length !== n) fail('input', `has ${x.length} values, the model expects ${n} (shape [${model.input.shape.join(', ')}])`);
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) fail(`input[${i}]`, `is ${v}; inputs must be finite numbers`);
    out[i] = quantizeInputValue(v, model.input.scale, lo, hi);
  }
  return out;
}

/** Image pixels [C][H][W] in 0..255 -> real inputs: pixel/255, then (x - mean[c]) / std[c] if the model says so. */
export function pixelsToReal(model: QuantModel, pixels: ArrayLike<number>): Float64Array {
  const shape = model.input.shape;
  const n = numel(shape);
  if (pixels.length !== n) fail('input', `image has ${pixels.length} values, the model expects ${n} (shape [${shape.join(', ')}])`);
  const out = new Float64Array(n);
  const norm = model.input.normalize;
  const plane = shape.length === 3 ? shape[1]! * shape[2]! : n;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / plane);
    const v = pixels[i]! / 255;
    out[i] = norm ? (v - norm.mean[c]!) / norm.std[c]! : v;
  }
  return out;
}

export interface GoldenOptions {
  /** keep every intermediate tensor (input and each layer's output) */
  dump?: boolean;
}

export interface GoldenResult {
  output: Tensor;
  outputName: string;
  /** real value = output integer * scale */
  scale: number;
  /** with dump: every tensor by name, in execution order (input first) */
  tensors?: Map<string, Tensor>;
}

/** Run the integer network on an already-quantized input. */
export function runGolden(modelOrPrepared: QuantModel | PreparedModel, input: Int32Array, opts: GoldenOptions = {}): GoldenResult {
  const pm = 'infos' in modelOrPrepared ? modelOrPrepared : prepareModel(modelOrPrepared);
  const { model, infos } = pm;
  const inInfo = infos.get(model.input.name)!;
  if (input.length !== numel(inInfo.shape)) {
    fail('input', `has ${input.length} values, the model expects ${numel(inInfo.shape)} (shape [${inInfo.shape.join(', ')}])`);
  }
  for (let i = 0; i < input.length; i++) {
    if (input[i]! < inInfo.lo || input[i]! > inInfo.hi) fail(`input[${i}]`, `value ${input[i]} outside the input range [${inInfo.lo}, ${inInfo.hi}]`);
  }
  const live = new Map<string, Int32Array>();
  live.set(model.input.name, input);
  // free tensors after their last use (unless dumping)
  const lastUse = new Map<string, number>();
  model.layers.forEach((l, i) => {
    for (const n of layerInputs(l)) lastUse.set(n, i);
  });
  const tensors = opts.dump ? new Map<string, Tensor>([[model.input.name, { shape: [...inInfo.shape], data: input }]]) : undefined;
  model.layers.forEach((l, i) => {
    const y = runLayer(pm, l, live);
    live.set(l.name, y);
    if (tensors) tensors.set(l.name, { shape: [...infos.get(l.name)!.shape], data: y });
    if (!opts.dump) {
      for (const n of layerInputs(l)) {
        if (lastUse.get(n) === i && n !== pm.output) live.delete(n);
      }
    }
  });
  const info = infos.get(pm.output)!;
  return { output: { shape: [...info.shape], data: live.get(pm.output)! }, outputName: pm.output, scale: info.scale, tensors };
}

/** One layer of the golden model on the live tensors (also the host / nonlinear-unit steps of src/msq/vit/execute.ts). */
export function runLayer(pm: PreparedModel, l: QuantLayer, live: Map<string, Int32Array>): Int32Array {
  const { infos } = pm;
  const outInfo = infos.get(l.name)!;
  switch (l.op) {
    case 'conv2d': {
      const g = geometryOf(windowOf(l), infos.get(l.input)!.shape, outInfo.shape);
      return (l.groups === 1 ? conv2d : depthwise)(live.get(l.input)!, g, pm.filters.get(l.name)!, outInfo);
    }
    case 'linear':
      return linear(live.get(l.input)!, pm.filters.get(l.name)!, outInfo);
    case 'relu': {
      const x = live.get(l.input)!;
      const y = new Int32Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
      return y;
    }
    case 'flatten':
      return live.get(l.input)!;
    case 'maxpool':
    case 'avgpool':
      return pool(live.get(l.input)!, infos.get(l.input)!.shape, l, outInfo);
    case 'globalavgpool': {
      const xs = infos.get(l.input)!.shape;
      const x = live.get(l.input)!;
      const plane = xs[1]! * xs[2]!;
      const y = new Int32Array(xs[0]!);
      const half = 2 ** (l.S - 1);
      const inv = 2 ** -l.S;
      for (let c = 0; c < xs[0]!; c++) {
        let s = 0;
        for (let i = c * plane, e = i + plane; i < e; i++) s += x[i]!;
        y[c] = rq(s, l.M, half, inv, l.S, outInfo.lo, outInfo.hi);
      }
      return y;
    }
    case 'add': {
      const a = live.get(l.inputs[0])!;
      const b = live.get(l.inputs[1])!;
      const y = new Int32Array(a.length);
      const half = 2 ** (l.S - 1);
      const inv = 2 ** -l.S;
      const { lo, hi } = outInfo;
      for (let i = 0; i < a.length; i++) {
        const v = Math.floor((a[i]! * l.Ma + b[i]! * l.Mb + half) * inv);
        y[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return y;
    }
    default:
      return isVitLayer(l) ? runVitLayer(l, live, infos) : runChannelOp(l, layerInputs(l).map((n) => live.get(n)!), layerInputs(l).map((n) => infos.get(n)!), outInfo);
  }
}

/** Rows of the im2col matrix: col[p*K + (ci*kh + ky)*kw + kx] = padded input at output pixel p. */
function conv2d(x: Int32Array, g: Geometry, f: PreparedFilters, out: TensorInfo): Int32Array {
  const { cin: C, inH: H, inW: W, outH: OH, outW: OW, kh, kw, sh, sw, padT, padL } = g;
  const P = OH * OW;
  const K = f.K;
  const col = new Float64Array(P * K);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let o = (oy * OW + ox) * K;
      const iy0 = oy * sh - padT;
      const ix0 = ox * sw - padL;
      for (let c = 0; c < C; c++) {
        const base = c * H * W;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= H) {
            o += kw; // zeros (Float64Array is zero-filled)
            continue;
          }
          const row = base + iy * W;
          for (let kx = 0; kx < kw; kx++, o++) {
            const ix = ix0 + kx;
            if (ix >= 0 && ix < W) col[o] = x[row + ix]!;
          }
        }
      }
    }
  }
  const n = g.cout;
  const y = new Int32Array(n * P);
  const w = f.w;
  const { lo, hi } = out;
  const K4 = K - (K % 4);
  for (let oc = 0; oc < n; oc++) {
    const wo = oc * K;
    const bias = f.bias[oc]!;
    const mul = f.M[oc]!;
    const half = f.half[oc]!;
    const inv = f.invPow[oc]!;
    const s = f.S[oc]!;
    const yo = oc * P;
    for (let p = 0; p < P; p++) {
      const co = p * K;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let k = 0;
      for (; k < K4; k += 4) {
        a0 += w[wo + k]! * col[co + k]!;
        a1 += w[wo + k + 1]! * col[co + k + 1]!;
        a2 += w[wo + k + 2]! * col[co + k + 2]!;
        a3 += w[wo + k + 3]! * col[co + k + 3]!;
      }
      for (; k < K; k++) a0 += w[wo + k]! * col[co + k]!;
      y[yo + p] = rq(bias + a0 + a1 + a2 + a3, mul, half, inv, s, lo, hi);
    }
  }
  return y;
}

/** Depthwise (groups = channels): one kh x kw window per channel. */
function depthwise(x: Int32Array, g: Geometry, f: PreparedFilters, out: TensorInfo): Int32Array {
  const { cin: C, inH: H, inW: W, outH: OH, outW: OW, kh, kw, sh, sw, padT, padL } = g;
  const y = new Int32Array(C * OH * OW);
  for (let c = 0; c < C; c++) {
    const wo = c * f.K;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = f.bias[c]!;
        for (let ky = tapFirst(oy, sh, padT), ky1 = tapEnd(oy, sh, padT, kh, H); ky < ky1; ky++) {
          const row = (c * H + oy * sh - padT + ky) * W + ox * sw - padL;
          for (let kx = tapFirst(ox, sw, padL), kx1 = tapEnd(ox, sw, padL, kw, W); kx < kx1; kx++) acc += f.w[wo + ky * kw + kx]! * x[row + kx]!;
        }
        y[(c * OH + oy) * OW + ox] = rq(acc, f.M[c]!, f.half[c]!, f.invPow[c]!, f.S[c]!, out.lo, out.hi);
      }
    }
  }
  return y;
}

function linear(x: Int32Array, f: PreparedFilters, out: TensorInfo): Int32Array {
  const K = f.K;
  const n = f.bias.length;
  const xf = Float64Array.from(x);
  const y = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    let acc = f.bias[o]!;
    const wo = o * K;
    for (let k = 0; k < K; k++) acc += f.w[wo + k]! * xf[k]!;
    y[o] = rq(acc, f.M[o]!, f.half[o]!, f.invPow[o]!, f.S[o]!, out.lo, out.hi);
  }
  return y;
}

function pool(x: Int32Array, xs: number[], l: Extract<QuantLayer, { op: 'maxpool' | 'avgpool' }>, out: TensorInfo): Int32Array {
  const { cin: C, inH: H, inW: W, outH: OH, outW: OW, kh, kw, sh, sw, padT, padL, padB, padR } = geometryOf(windowOf(l), xs, out.shape);
  const y = new Int32Array(C * OH * OW);
  const isMax = l.op === 'maxpool';
  const half = l.op === 'avgpool' ? 2 ** (l.S - 1) : 0;
  const inv = l.op === 'avgpool' ? 2 ** -l.S : 0;
  // windows of an average pool with fewer positions (ceil_mode / count_include_pad = false) use Mdiv[d - 1]
  const mdiv = l.op === 'avgpool' && avgPoolVaries(l, H, W) ? l.Mdiv! : undefined;
  const inc = l.op === 'avgpool' ? (l.countIncludePad ?? true) : true;
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = isMax ? -Infinity : 0;
        for (let ky = tapFirst(oy, sh, padT), ky1 = tapEnd(oy, sh, padT, kh, H); ky < ky1; ky++) {
          const row = (c * H + oy * sh - padT + ky) * W + ox * sw - padL;
          for (let kx = tapFirst(ox, sw, padL), kx1 = tapEnd(ox, sw, padL, kw, W); kx < kx1; kx++) {
            const v = x[row + kx]!;
            if (isMax) {
              if (v > acc) acc = v;
            } else acc += v;
          }
        }
        let mul = l.op === 'avgpool' ? l.M : 0;
        if (mdiv) mul = mdiv[poolCount(oy * sh - padT, kh, H, padT, padB, inc) * poolCount(ox * sw - padL, kw, W, padL, padR, inc) - 1]!;
        y[(c * OH + oy) * OW + ox] = l.op === 'avgpool' ? rq(acc, mul, half, inv, l.S, out.lo, out.hi) : acc;
      }
    }
  }
  return y;
}

/** Index of the largest value (first on ties). */
export function argmax(data: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}
