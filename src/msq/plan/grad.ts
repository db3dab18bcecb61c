/**
 * Connection sensitivity (SNIP: |w ⊙ ∂L/∂w| summed over a tensor) of every weight tensor and every activation tensor
 * of a FloatModel, by one reverse-mode pass per sample over float.ts's forward tensors. The loss is the cross-entropy
 * of the float model against its own top-1 prediction (a pseudo-label: no labels needed, and generated inputs work
 * the same way). Sensitivities are averaged over the samples.
 *
 * Why a TypeScript backward pass and not a torch script over the ONNX: float.ts is the network the quantizer
 * calibrates and the importer folds BatchNorm into, so the gradients are of exactly that network; the ops are few
 * (conv2d dense / depthwise, linear, relu, max / average / global average pool, add, flatten), and it needs no Python
 * package at plan time. Checked against finite differences in test/msq-plan.test.ts.
 */
import { floatOutputName, floatShapes, poolWindow, runFloat } from '../float.js';
import { fail } from '../../util/errors.js';
import { type FloatLayer, type FloatModel } from '../model.js';

export interface Sensitivity {
  /** per conv2d / linear layer: mean over samples of Σ |w · ∂L/∂w| */
  weight: Map<string, number>;
  /** per tensor (model input and every layer output): mean over samples of Σ |a · ∂L/∂a| */
  act: Map<string, number>;
  /** per tensor: the sampled values (up to `keep` per tensor, for the activation quantization error) */
  values: Map<string, Float64Array>;
}

type Conv = Extract<FloatLayer, { op: 'conv2d' }>;

/** Softmax cross-entropy gradient at class `target` (default the top-1 class): softmax(y) - onehot(target). */
export function lossGrad(y: Float64Array, target?: number): Float64Array {
  let mx = -Infinity;
  let arg = 0;
  for (let i = 0; i < y.length; i++) if (y[i]! > mx) [mx, arg] = [y[i]!, i];
  if (target !== undefined) arg = target;
  const g = new Float64Array(y.length);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (g[i] = Math.exp(y[i]! - mx));
  for (let i = 0; i < y.length; i++) g[i]! /= s;
  g[arg]! -= 1;
  return g;
}

/** ∂L/∂x and ∂L/∂w of a conv2d given ∂L/∂y. */
function convBack(l: Conv, x: Float64Array, xs: number[], gy: Float64Array, ys: number[], withW = true): { gx: Float64Array; gw: Float64Array } {
  const [C, H, W] = xs as [number, number, number];
  const [, OH, OW] = ys as [number, number, number];
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [pt, pl] = l.padding;
  const cpg = C / l.groups;
  const K = cpg * kh * kw;
  const P = OH * OW;
  const gx = new Float64Array(C * H * W);
  const gw = new Float64Array(withW ? l.outChannels * K : 0);
  const w = l.weight;
  // index of input (c, iy, ix) for output pixel p and reduction index k, or -1 in the padding
  const src = (c0: number, p: number, k: number): number => {
    const ci = Math.floor(k / (kh * kw));
    const r = k % (kh * kw);
    const iy = Math.floor(p / OW) * sh - pt + Math.floor(r / kw);
    const ix = (p % OW) * sw - pl + (r % kw);
    return iy < 0 || iy >= H || ix < 0 || ix >= W ? -1 : ((c0 + ci) * H + iy) * W + ix;
  };
  if (l.groups !== 1) {
    for (let oc = 0; oc < l.outChannels; oc++) {
      const c0 = Math.floor(oc / (l.outChannels / l.groups)) * cpg;
      for (let p = 0; p < P; p++) {
        const g = gy[oc * P + p]!;
        if (g === 0) continue;
        for (let k = 0; k < K; k++) {
          const i = src(c0, p, k);
          if (i < 0) continue;
          if (withW) gw[oc * K + k]! += g * x[i]!;
          gx[i]! += g * w[oc * K + k]!;
        }
      }
    }
    return { gx, gw };
  }
  // dense: im2col once (gather table), then two GEMMs with contiguous inner loops
  const idx = new Int32Array(P * K);
  const col = new Float64Array(P * K);
  for (let p = 0; p < P; p++) {
    for (let k = 0; k < K; k++) {
      const i = src(0, p, k);
      idx[p * K + k] = i;
      if (i >= 0 && withW) col[p * K + k] = x[i]!;
    }
  }
  const wf = Float64Array.from(w);
  const gcol = new Float64Array(P * K);
  for (let oc = 0; oc < l.outChannels; oc++) {
    const wo = oc * K;
    for (let p = 0; p < P; p++) {
      const g = gy[oc * P + p]!;
      if (g === 0) continue;
      const co = p * K;
      if (!withW) {
        for (let k = 0; k < K; k++) gcol[co + k]! += g * wf[wo + k]!;
        continue;
      }
      for (let k = 0; k < K; k++) {
        gw[wo + k]! += g * col[co + k]!;
        gcol[co + k]! += g * wf[wo + k]!;
      }
    }
  }
  for (let q = 0; q < P * K; q++) if (idx[q]! >= 0) gx[idx[q]!]! += gcol[q]!;
  return { gx, gw };
}

/** ∂L/∂input of a max / average pool. */
function poolBack(l: Extract<FloatLayer, { op: 'maxpool' | 'avgpool' }>, x: Float64Array, xs: number[], gy: Float64Array, ys: number[]): Float64Array {
  const [C, H, W] = xs as [number, number, number];
  const [, OH, OW] = ys as [number, number, number];
  const [kh, kw] = l.kernel;
  const gx = new Float64Array(x.length);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = gy[(c * OH + oy) * OW + ox]!;
        let best = -1;
        poolWindow(l, c, H, W, oy, ox, (i) => {
          if (l.op === 'avgpool') gx[i]! += g / (kh * kw);
          else if (best < 0 || x[i]! > x[best]!) best = i;
        });
        if (l.op === 'maxpool' && best >= 0) gx[best]! += g;
      }
    }
  }
  return gx;
}

export interface Gradients {
  /** ∂L/∂w per conv2d / linear layer */
  weight: Map<string, Float64Array>;
  /** ∂L/∂a per tensor (the model input and every layer output the loss depends on) */
  act: Map<string, Float64Array>;
}

/**
 * Reverse-mode pass of one sample over its forward tensors `t` (runFloat keepAll). `seeds` (∂L/∂tensor of any
 * tensors, e.g. the BatchNorm-statistics loss of src/msq/datafree) replace the default pseudo-label cross-entropy;
 * `inputOnly` skips the weight gradients (only ∂L/∂tensors are wanted).
 */
export function backprop(
  m: FloatModel, shapes: Map<string, number[]>, t: Map<string, Float64Array>,
  o: { seeds?: Map<string, Float64Array>; inputOnly?: boolean } = {},
): Gradients {
  const seeds = o.seeds;
  const gws = new Map<string, Float64Array>();
  const grads = new Map<string, Float64Array>();
  const addGrad = (name: string, g: Float64Array): void => {
    const o = grads.get(name);
    if (!o) grads.set(name, g);
    else for (let i = 0; i < g.length; i++) o[i]! += g[i]!;
  };
  const out = floatOutputName(m);
  if (seeds) for (const [name, g] of seeds) addGrad(name, Float64Array.from(g));
  else addGrad(out, lossGrad(t.get(out)!));
  for (let li = m.layers.length - 1; li >= 0; li--) {
    const l = m.layers[li]!;
    const gy = grads.get(l.name);
    if (!gy) continue;
    const ys = shapes.get(l.name)!;
    switch (l.op) {
      case 'conv2d':
      case 'linear': {
        const x = t.get(l.input)!;
        let r: { gx: Float64Array; gw: Float64Array };
        if (l.op === 'conv2d') r = convBack(l, x, shapes.get(l.input)!, gy, ys, !o.inputOnly);
        else {
          const gx = new Float64Array(l.inFeatures);
          const gw = new Float64Array(o.inputOnly ? 0 : l.outFeatures * l.inFeatures);
          for (let j = 0; j < l.outFeatures; j++) {
            const g = gy[j]!;
            if (g === 0) continue;
            for (let k = 0; k < l.inFeatures; k++) {
              if (!o.inputOnly) gw[j * l.inFeatures + k] = g * x[k]!;
              gx[k]! += g * l.weight[j * l.inFeatures + k]!;
            }
          }
          r = { gx, gw };
        }
        gws.set(l.name, r.gw);
        addGrad(l.input, r.gx);
        break;
      }
      case 'relu': {
        const x = t.get(l.input)!;
        addGrad(l.input, gy.map((g, i) => (x[i]! > 0 ? g : 0)));
        break;
      }
      case 'flatten':
        addGrad(l.input, Float64Array.from(gy));
        break;
      case 'add':
        addGrad(l.inputs[0], Float64Array.from(gy));
        addGrad(l.inputs[1], Float64Array.from(gy));
        break;
      case 'globalavgpool': {
        const [C, H, W] = shapes.get(l.input)! as [number, number, number];
        const gx = new Float64Array(C * H * W);
        for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) gx[c * H * W + i] = gy[c]! / (H * W);
        addGrad(l.input, gx);
        break;
      }
      case 'maxpool':
      case 'avgpool':
        addGrad(l.input, poolBack(l, t.get(l.input)!, shapes.get(l.input)!, gy, ys));
        break;
      default:
        fail(`layer '${l.name}'`, `op '${l.op}' has no gradient in the planner (conv2d, linear, relu, pools, add, flatten): plan CNNs only`);
    }
  }
  return { weight: gws, act: grads };
}

/** Σ |a · b| */
function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
}

/**
 * Sensitivities of `m` over `samples` (already normalized inputs). `keep` values per tensor are retained (evenly
 * strided over each sample) for the activation quantization error.
 */
export function connectionSensitivity(m: FloatModel, samples: ArrayLike<number>[], o: { keep?: number } = {}): Sensitivity {
  const shapes = floatShapes(m);
  const wSum = new Map<string, number>();
  const aSum = new Map<string, number>();
  const keep = o.keep ?? 20000;
  const parts = new Map<string, number[]>();
  for (const x of samples) {
    const r = runFloat(m, x, { keepAll: true, shapes });
    const g = backprop(m, shapes, r.tensors!);
    for (const l of m.layers) {
      if (l.op === 'conv2d' || l.op === 'linear') wSum.set(l.name, (wSum.get(l.name) ?? 0) + absDot(l.weight, g.weight.get(l.name) ?? []));
    }
    for (const [name, ga] of g.act) aSum.set(name, (aSum.get(name) ?? 0) + absDot(ga, r.tensors!.get(name)!));
    for (const [name, v] of r.tensors!) {
      const per = Math.max(1, Math.floor(keep / samples.length));
      const step = Math.max(1, Math.floor(v.length / per));
      const list = parts.get(name) ?? [];
      for (let i = 0; i < v.length && list.length < keep; i += step) list.push(v[i]!);
      parts.set(name, list);
    }
  }
  const n = Math.max(1, samples.length);
  const mean = (s: Map<string, number>): Map<string, number> => new Map([...s].map(([k, v]) => [k, v / n]));
  const values = new Map([...parts].map(([k, v]) => [k, Float64Array.from(v)]));
  for (const name of shapes.keys()) if (!values.has(name)) values.set(name, new Float64Array(0));
  return { weight: mean(wSum), act: mean(aSum), values };
}
