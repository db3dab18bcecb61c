/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization and Bias
 * Correction"), on a FloatModel before quantization (`quantize --cle weights|act|off`).
 *
 * A pair is two weighted layers A -> B where A's output reaches B only through layers that commute with a positive
 * per-channel scale (ReLU, max/average pooling, global average pooling, flatten) and no other layer reads the
 * tensors in between. Because relu(x/s) = relu(x)/s for s > 0, dividing A's filter i (weights and bias) by s_i and
 * multiplying every weight of B that reads channel i by s_i leaves the network's function unchanged.
 *
 *  - `weights` (the paper): s_i = sqrt(r1_i / r2_i), r1_i = max|A filter i|, r2_i = max|B weights on channel i|:
 *    both sides end with the range sqrt(r1_i r2_i), so per-tensor weight scales waste fewer levels.
 *  - `act` (activation-aware, ours): r1_i is replaced by the channel's activation range a_i (calibration maxima, or
 *    β + 3|γ| of A's BatchNorm without data): s_i = sqrt((a_i / max a) / (r2_i / max r2)). The per-tensor activation
 *    scale between A and B then serves all channels alike, at the price of B's per-filter weight range. This is
 *    what helps per-channel weights (each filter has its own alpha here) with per-tensor 4-bit activations.
 * Channels with a zero range keep s_i = 1. B may be a dense conv, a depthwise conv (channel multiplier m: filter o
 * reads channel floor(o / m)) or a linear layer (feature f reads channel floor(f / (H·W)) after a flatten).
 */
import { floatLayerInputs, type FloatLayer, type FloatModel } from './model.js';
import { floatOutputName, floatShapes } from './float.js';
import type { ChannelStats } from './onnx.js';

export type CleMode = 'off' | 'weights' | 'act';
export const CLE_MODES: readonly CleMode[] = ['off', 'weights', 'act'];

type Weighted = Extract<FloatLayer, { op: 'conv2d' | 'linear' }>;
const PASS = new Set(['relu', 'maxpool', 'avgpool', 'globalavgpool', 'flatten']);

export interface ClePair {
  a: string;
  b: string;
  /** the tensor after A's chain head (A's output, or its ReLU's) whose channel ranges `act` uses */
  tensor: string;
  /** per channel of A's output: the B weight indices that read it */
  readers: (k: number) => number[];
  channels: number;
}

/** Pairs in graph order (see the header). */
export function clePairs(fm: FloatModel, hints?: Map<string, unknown>): ClePair[] {
  const shapes = floatShapes(fm);
  const consumers = new Map<string, FloatLayer[]>();
  for (const l of fm.layers) for (const n of floatLayerInputs(l)) consumers.set(n, [...(consumers.get(n) ?? []), l]);
  const out = floatOutputName(fm);
  const pairs: ClePair[] = [];
  for (const a of fm.layers) {
    if (a.op !== 'conv2d' && a.op !== 'linear') continue;
    let cur: string = a.name;
    let head = a.name;
    let b: FloatLayer | undefined;
    for (;;) {
      const cs = consumers.get(cur) ?? [];
      if (cur === out || cs.length !== 1 || hints?.has(cur)) break;
      const c = cs[0]!;
      if (c.op === 'conv2d' || c.op === 'linear') {
        b = c;
        break;
      }
      if (!PASS.has(c.op)) break;
      if (c.op === 'relu' && head === a.name && cur === a.name) head = c.name;
      cur = c.name;
    }
    if (!b) continue;
    const C = a.op === 'conv2d' ? a.outChannels : a.outFeatures;
    const readers = readersOf(b as Weighted, C, shapes.get((b as Weighted).input)!);
    if (readers) pairs.push({ a: a.name, b: b.name, tensor: head, readers, channels: C });
  }
  return pairs;
}

function readersOf(b: Weighted, C: number, inShape: number[]): ((k: number) => number[]) | null {
  if (b.op === 'conv2d') {
    const kk = b.kernel[0] * b.kernel[1];
    if (b.inChannels !== C) return null;
    if (b.groups === 1) {
      const K = C * kk;
      return (k) => Array.from({ length: b.outChannels * kk }, (_, j) => Math.floor(j / kk) * K + k * kk + (j % kk));
    }
    if (b.groups === C) {
      const mult = b.outChannels / C;
      return (k) => Array.from({ length: mult * kk }, (_, j) => (k * mult + Math.floor(j / kk)) * kk + (j % kk));
    }
    return null;
  }
  const feats = b.inFeatures;
  if (feats % C !== 0 || (inShape.length === 1 && inShape[0] !== feats)) return null;
  const hw = feats / C;
  return (k) => Array.from({ length: b.outFeatures * hw }, (_, j) => Math.floor(j / hw) * feats + k * hw + (j % hw));
}

export interface CleResult {
  model: FloatModel;
  bnStats: Map<string, ChannelStats>;
  pairs: { a: string; b: string; maxScale: number; minScale: number }[];
}

/**
 * Equalize every pair (one pass in graph order). `actMax` gives per tensor the per-channel activation maxima (mode
 * `act`); a pair without them falls back to A's BatchNorm statistics, then to `weights`.
 */
export function equalize(
  fm: FloatModel,
  mode: Exclude<CleMode, 'off'>,
  o: { actMax?: Map<string, Float64Array>; bnStats?: Map<string, ChannelStats>; hints?: Map<string, unknown> } = {},
): CleResult {
  const model: FloatModel = { ...fm, layers: fm.layers.map((l) => (l.op === 'conv2d' || l.op === 'linear' ? { ...l, weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) } : l)) };
  const w = new Map<string, { weight: Float32Array; bias: Float32Array }>();
  for (const l of model.layers) if (l.op === 'conv2d' || l.op === 'linear') w.set(l.name, l as unknown as { weight: Float32Array; bias: Float32Array });
  const bnStats = new Map([...(o.bnStats ?? new Map<string, ChannelStats>())].map(([k, v]) => [k, { mean: [...v.mean], std: [...v.std] }]));
  const pairs: CleResult['pairs'] = [];
  for (const p of clePairs(model, o.hints)) {
    const a = w.get(p.a)!;
    const b = w.get(p.b)!;
    const K = a.weight.length / p.channels;
    const r1 = Float64Array.from({ length: p.channels }, (_, i) => {
      let m = 0;
      for (let k = 0; k < K; k++) m = Math.max(m, Math.abs(a.weight[i * K + k]!));
      return m;
    });
    const r2 = Float64Array.from({ length: p.channels }, (_, i) => Math.max(0, ...p.readers(i).map((j) => Math.abs(b.weight[j]!))));
    let left: Float64Array = r1;
    if (mode === 'act') {
      const bn = bnStats.get(p.a);
      const am = o.actMax?.get(p.tensor) ?? (bn ? Float64Array.from(bn.mean, (m, i) => Math.max(0, m + 3 * bn.std[i]!)) : undefined);
      if (am) left = am;
    }
    const lmax = Math.max(...left);
    const rmax = Math.max(...r2);
    const s = Float64Array.from({ length: p.channels }, (_, i) => {
      if (!(left[i]! > 0 && r2[i]! > 0)) return 1;
      return mode === 'act' && left !== r1 ? Math.sqrt(left[i]! / lmax / (r2[i]! / rmax)) : Math.sqrt(left[i]! / r2[i]!);
    });
    for (let i = 0; i < p.channels; i++) {
      for (let k = 0; k < K; k++) a.weight[i * K + k] = a.weight[i * K + k]! / s[i]!;
      a.bias[i] = a.bias[i]! / s[i]!;
      for (const j of p.readers(i)) b.weight[j] = b.weight[j]! * s[i]!;
    }
    const bn = bnStats.get(p.a);
    if (bn) bnStats.set(p.a, { mean: bn.mean.map((v, i) => v / s[i]!), std: bn.std.map((v, i) => v / s[i]!) });
    pairs.push({ a: p.a, b: p.b, maxScale: Math.max(...s), minScale: Math.min(...s) });
  }
  return { model, bnStats, pairs };
}

/** Per-channel maxima of every tensor over float runs (for `act`). */
export function channelMaxima(tensors: Iterable<Map<string, Float64Array>>, shapes: Map<string, number[]>, names: Set<string>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const t of tensors) {
    for (const n of names) {
      const x = t.get(n);
      const sh = shapes.get(n);
      if (!x || !sh) continue;
      const C = sh[0]!;
      const per = x.length / C;
      const m = out.get(n) ?? new Float64Array(C);
      for (let c = 0; c < C; c++) for (let k = 0; k < per; k++) m[c] = Math.max(m[c]!, x[c * per + k]!);
      out.set(n, m);
    }
  }
  return out;
}
