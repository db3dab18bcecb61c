/**
 * Float reference: executes a FloatModel (BatchNorm already folded) in float64, for accuracy comparison and for
 * calibration (every intermediate tensor can be kept). Same ops and layouts as the QuantModel (model.ts).
 */
import { fail } from '../util/errors.js';
import { floatChannelShape, isFloatChannelOp, runFloatChannelOp } from './float-ops.js';
import { floatLayerInputs, numel, poolCount, poolOut, windowOut, type FloatLayer, type FloatModel } from './model.js';
import { vitFloat, vitShape } from './vit/float-ops.js';
import { tapEnd, tapFirst } from './geometry.js';

export function floatInputName(m: FloatModel): string {
  return m.input.name ?? 'input';
}

export function floatOutputName(m: FloatModel): string {
  return m.output ?? m.layers[m.layers.length - 1]!.name;
}

/**
 * Shape of every tensor; checks names, references, shapes and weight/bias lengths, NaN/Inf weights.
 * Errors name the layer (`layers[i] (name)`).
 */
export function floatShapes(m: FloatModel): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (!m.input || !Array.isArray(m.input.shape) || m.input.shape.length < 1 || m.input.shape.length > 3 || m.input.shape.some((d) => !Number.isInteger(d) || d < 1)) {
    fail('input.shape', 'must be [C, H, W] or [N] with positive integers');
  }
  shapes.set(floatInputName(m), [...m.input.shape]);
  if (!m.layers.length) fail('layers', 'the model has no layers');
  m.layers.forEach((l, i) => {
    const at = `layers[${i}] (${l.name})`;
    if (shapes.has(l.name)) fail(at, `duplicate tensor name '${l.name}'`);
    const ins = floatLayerInputs(l).map((n) => {
      const s = shapes.get(n);
      if (!s) fail(at, `unknown input tensor '${n}'`);
      return s;
    });
    const x = ins[0]!;
    const spatial = (): [number, number, number] => {
      if (x.length !== 3) fail(at, `${l.op} needs a [C, H, W] input, got [${x.join(', ')}]`);
      return x as [number, number, number];
    };
    const finite = (a: ArrayLike<number>, what: string, n: number): void => {
      if (a.length !== n) fail(at, `${what} has ${a.length} values, expected ${n}`);
      for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k]!)) fail(`${at}.${what}[${k}]`, `is ${a[k]}; weights must be finite`);
    };
    switch (l.op) {
      case 'conv2d': {
        const [c, h, w] = spatial();
        if (c !== l.inChannels) fail(at, `inChannels ${l.inChannels} but the input has ${c} channels`);
        if (l.groups !== 1 && (l.groups !== c || l.outChannels !== c)) fail(at, `groups ${l.groups} unsupported: use 1 or depthwise (groups = in = out channels)`);
        finite(l.weight, 'weight', l.outChannels * (c / l.groups) * l.kernel[0] * l.kernel[1]);
        finite(l.bias, 'bias', l.outChannels);
        const oh = windowOut(h, l.kernel[0], l.stride[0], l.padding[0], l.padding[2]);
        const ow = windowOut(w, l.kernel[1], l.stride[1], l.padding[1], l.padding[3]);
        if (oh < 1 || ow < 1) fail(at, 'kernel larger than the padded input');
        shapes.set(l.name, [l.outChannels, oh, ow]);
        break;
      }
      case 'linear': {
        if (numel(x) !== l.inFeatures || x.length !== 1) fail(at, `needs a flat input of ${l.inFeatures} features, got [${x.join(', ')}]`);
        finite(l.weight, 'weight', l.outFeatures * l.inFeatures);
        finite(l.bias, 'bias', l.outFeatures);
        shapes.set(l.name, [l.outFeatures]);
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = spatial();
        const oh = poolOut(h, l.kernel[0], l.stride[0], l.padding[0], l.padding[2], l.ceil);
        const ow = poolOut(w, l.kernel[1], l.stride[1], l.padding[1], l.padding[3], l.ceil);
        if (oh < 1 || ow < 1) fail(at, 'kernel larger than the padded input');
        if (l.padding[0] >= l.kernel[0] || l.padding[2] >= l.kernel[0] || l.padding[1] >= l.kernel[1] || l.padding[3] >= l.kernel[1]) {
          fail(at, 'each padding must be smaller than the kernel');
        }
        shapes.set(l.name, [c, oh, ow]);
        break;
      }
      case 'globalavgpool':
        shapes.set(l.name, [spatial()[0], 1, 1]);
        break;
      case 'relu':
        shapes.set(l.name, [...x]);
        break;
      case 'flatten':
        shapes.set(l.name, [numel(x)]);
        break;
      case 'add':
        if (x.join(',') !== ins[1]!.join(',')) fail(at, `add inputs differ in shape: [${x.join(', ')}] vs [${ins[1]!.join(', ')}]`);
        shapes.set(l.name, [...x]);
        break;
      case 'layernorm':
      case 'softmax':
      case 'gelu':
      case 'addconst':
      case 'gather':
      case 'matmul':
        shapes.set(l.name, vitShape(l, ins, at));
        break;
      case 'concat':
      case 'slice':
      case 'shuffle':
      case 'resize':
      case 'act':
      case 'mulchannel':
        shapes.set(l.name, floatChannelShape(l, ins, at));
        break;
      default:
        fail(at, `unknown op '${(l as { op: string }).op}'`);
    }
  });
  const out = floatOutputName(m);
  if (!shapes.has(out)) fail('output', `unknown tensor '${out}'`);
  return shapes;
}

export interface FloatResult {
  output: Float64Array;
  shape: number[];
  /** with keepAll: every tensor by name (input first) */
  tensors?: Map<string, Float64Array>;
}

/** Execute the float model on real (already normalized) inputs. */
export function runFloat(m: FloatModel, input: ArrayLike<number>, opts: { keepAll?: boolean; shapes?: Map<string, number[]> } = {}): FloatResult {
  const shapes = opts.shapes ?? floatShapes(m);
  const inName = floatInputName(m);
  const n = numel(shapes.get(inName)!);
  if (input.length !== n) fail('input', `has ${input.length} values, the model expects ${n}`);
  const t = new Map<string, Float64Array>();
  t.set(inName, Float64Array.from(input));
  for (const l of m.layers) t.set(l.name, floatLayer(l, t, shapes));
  const out = floatOutputName(m);
  return { output: t.get(out)!, shape: shapes.get(out)!, tensors: opts.keepAll ? t : undefined };
}

function floatLayer(l: FloatLayer, t: Map<string, Float64Array>, shapes: Map<string, number[]>): Float64Array {
  const outShape = shapes.get(l.name)!;
  switch (l.op) {
    case 'conv2d': {
      const x = t.get(l.input)!;
      const [C, H, W] = shapes.get(l.input)! as [number, number, number];
      const [, OH, OW] = outShape as [number, number, number];
      const [kh, kw] = l.kernel;
      const [sh, sw] = l.stride;
      const [pt, pl] = l.padding;
      const cpg = C / l.groups;
      const opg = l.outChannels / l.groups;
      if (l.groups === 1) return convIm2col(x, C, H, W, OH, OW, l);
      const y = new Float64Array(l.outChannels * OH * OW);
      for (let oc = 0; oc < l.outChannels; oc++) {
        const g = Math.floor(oc / opg);
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            let acc = l.bias[oc]!;
            for (let ci = 0; ci < cpg; ci++) {
              const c = g * cpg + ci;
              for (let ky = tapFirst(oy, sh, pt), ky1 = tapEnd(oy, sh, pt, kh, H); ky < ky1; ky++) {
                const row = (c * H + oy * sh - pt + ky) * W + ox * sw - pl;
                const wr = ((oc * cpg + ci) * kh + ky) * kw;
                for (let kx = tapFirst(ox, sw, pl), kx1 = tapEnd(ox, sw, pl, kw, W); kx < kx1; kx++) acc += l.weight[wr + kx]! * x[row + kx]!;
              }
            }
            y[(oc * OH + oy) * OW + ox] = acc;
          }
        }
      }
      return y;
    }
    case 'linear': {
      const x = t.get(l.input)!;
      const y = new Float64Array(l.outFeatures);
      for (let o = 0; o < l.outFeatures; o++) {
        let acc = l.bias[o]!;
        for (let k = 0; k < l.inFeatures; k++) acc += l.weight[o * l.inFeatures + k]! * x[k]!;
        y[o] = acc;
      }
      return y;
    }
    case 'relu':
      return t.get(l.input)!.map((v) => (v > 0 ? v : 0));
    case 'flatten':
      return t.get(l.input)!;
    case 'add': {
      const a = t.get(l.inputs[0])!;
      const b = t.get(l.inputs[1])!;
      return a.map((v, i) => v + b[i]!);
    }
    case 'globalavgpool': {
      const x = t.get(l.input)!;
      const [C, H, W] = shapes.get(l.input)! as [number, number, number];
      const y = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let i = 0; i < H * W; i++) s += x[c * H * W + i]!;
        y[c] = s / (H * W);
      }
      return y;
    }
    case 'maxpool':
    case 'avgpool': {
      const x = t.get(l.input)!;
      const [C, H, W] = shapes.get(l.input)! as [number, number, number];
      const [, OH, OW] = outShape as [number, number, number];
      const [kh, kw] = l.kernel;
      const y = new Float64Array(C * OH * OW);
      for (let c = 0; c < C; c++) {
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            let acc = l.op === 'maxpool' ? -Infinity : 0;
            poolWindow(l, c, H, W, oy, ox, (i) => {
              const v = x[i]!;
              if (l.op === 'maxpool') acc = v > acc ? v : acc;
              else acc += v;
            });
            const [pt, pl, pb, pr] = l.padding;
            const inc = l.countIncludePad ?? true;
            const d = poolCount(oy * l.stride[0] - pt, kh, H, pt, pb, inc) * poolCount(ox * l.stride[1] - pl, kw, W, pl, pr, inc);
            y[(c * OH + oy) * OW + ox] = l.op === 'maxpool' ? acc : acc / d;
          }
        }
      }
      return y;
    }
    default:
      if (isFloatChannelOp(l)) return runFloatChannelOp(l, floatLayerInputs(l).map((n) => t.get(n)!), floatLayerInputs(l).map((n) => shapes.get(n)!));
      return vitFloat(l, t, shapes);
  }
}

/** Visits the in-bounds input indices (c*H + iy)*W + ix of pool window (oy, ox) of channel c; padding is skipped. */
export function poolWindow(
  l: { kernel: number[]; stride: number[]; padding: number[] }, c: number, H: number, W: number, oy: number, ox: number,
  visit: (i: number) => void,
): void {
  for (let ky = 0; ky < l.kernel[0]!; ky++) {
    const iy = oy * l.stride[0]! - l.padding[0]! + ky;
    if (iy < 0 || iy >= H) continue;
    for (let kx = 0; kx < l.kernel[1]!; kx++) {
      const ix = ox * l.stride[1]! - l.padding[1]! + kx;
      if (ix >= 0 && ix < W) visit((c * H + iy) * W + ix);
    }
  }
}

/** groups = 1 convolution as im2col + dot products (same loop shape as the golden model). */
function convIm2col(
  x: Float64Array, C: number, H: number, W: number, OH: number, OW: number,
  l: Extract<FloatLayer, { op: 'conv2d' }>,
): Float64Array {
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [pt, pl] = l.padding;
  const K = C * kh * kw;
  const P = OH * OW;
  const col = new Float64Array(P * K);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let o = (oy * OW + ox) * K;
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= H) {
            o += kw;
            continue;
          }
          for (let kx = 0; kx < kw; kx++, o++) {
            const ix = ox * sw - pl + kx;
            if (ix >= 0 && ix < W) col[o] = x[(c * H + iy) * W + ix]!;
          }
        }
      }
    }
  }
  const w = l.weight instanceof Float64Array ? l.weight : Float64Array.from(l.weight);
  const y = new Float64Array(l.outChannels * P);
  // four output channels per pass over an im2col row (the row is read once for four dot products: cache); per
  // channel the even and the odd products are summed apart and added as b + even + odd, the order of the one-channel
  // loop below, so the result is the same to the last bit
  let oc = 0;
  const K2 = K - (K % 2);
  for (; oc + 3 < l.outChannels; oc += 4) {
    const w0 = oc * K;
    const w1 = w0 + K;
    const w2 = w1 + K;
    const w3 = w2 + K;
    for (let p = 0; p < P; p++) {
      const co = p * K;
      let a0 = 0, b0 = 0, a1 = 0, b1 = 0, a2 = 0, b2 = 0, a3 = 0, b3 = 0;
      for (let k = 0; k < K2; k += 2) {
        const u = col[co + k]!;
        const v = col[co + k + 1]!;
        a0 += w[w0 + k]! * u;
        b0 += w[w0 + k + 1]! * v;
        a1 += w[w1 + k]! * u;
        b1 += w[w1 + k + 1]! * v;
        a2 += w[w2 + k]! * u;
        b2 += w[w2 + k + 1]! * v;
        a3 += w[w3 + k]! * u;
        b3 += w[w3 + k + 1]! * v;
      }
      if (K2 < K) {
        const u = col[co + K2]!;
        a0 += w[w0 + K2]! * u;
        a1 += w[w1 + K2]! * u;
        a2 += w[w2 + K2]! * u;
        a3 += w[w3 + K2]! * u;
      }
      y[oc * P + p] = l.bias[oc]! + a0 + b0;
      y[(oc + 1) * P + p] = l.bias[oc + 1]! + a1 + b1;
      y[(oc + 2) * P + p] = l.bias[oc + 2]! + a2 + b2;
      y[(oc + 3) * P + p] = l.bias[oc + 3]! + a3 + b3;
    }
  }
  for (; oc < l.outChannels; oc++) {
    const wo = oc * K;
    const b = l.bias[oc]!;
    for (let p = 0; p < P; p++) {
      const co = p * K;
      let a0 = 0;
      let a1 = 0;
      let k = 0;
      for (; k + 1 < K; k += 2) {
        a0 += w[wo + k]! * col[co + k]!;
        a1 += w[wo + k + 1]! * col[co + k + 1]!;
      }
      if (k < K) a0 += w[wo + k]! * col[co + k]!;
      y[oc * P + p] = b + a0 + a1;
    }
  }
  return y;
}
