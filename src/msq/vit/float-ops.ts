/**
 * Float reference of the transformer ops of the FloatModel (model.ts FloatVitLayer): shapes and float64 execution.
 * Called by float.ts for these ops. Layout: [C, H, W]; a token sequence [T, D] is [D, 1, T].
 */
import { fail } from '../../util/errors.js';
import { numel, type FloatMatMul, type FloatVitLayer } from '../model.js';

const spatial = (at: string, s: number[]): [number, number, number] => {
  if (s.length !== 3) fail(at, `needs a [C, H, W] input, got [${s.join(', ')}]`);
  return s as [number, number, number];
};

/** Output shape of a transformer op; errors name the layer. */
export function vitShape(l: FloatVitLayer, ins: number[][], at: string): number[] {
  const x = ins[0]!;
  switch (l.op) {
    case 'layernorm': {
      const [c] = spatial(at, x);
      if (l.gamma.length !== c || l.beta.length !== c) fail(at, `gamma/beta need ${c} values (one per channel)`);
      if (!(l.eps > 0)) fail(at, `eps ${l.eps} must be positive`);
      return [...x];
    }
    case 'softmax': {
      const [c] = spatial(at, x);
      if (!Number.isInteger(l.groups) || l.groups < 1 || c % l.groups) fail(at, `groups ${l.groups} must divide the ${c} channels`);
      return [...x];
    }
    case 'gelu':
      return [...x];
    case 'addconst':
      if (l.value.length !== numel(x)) fail(at, `constant has ${l.value.length} values, the input ${numel(x)}`);
      return [...x];
    case 'gather':
      if (l.src.length !== numel(l.shape) || l.off.length !== l.src.length || l.consts.length !== l.src.length) {
        fail(at, `src/off/consts need ${numel(l.shape)} entries (shape [${l.shape.join(', ')}])`);
      }
      for (let i = 0; i < l.src.length; i++) {
        const s = l.src[i]!;
        if (s >= ins.length || (s >= 0 && (l.off[i]! < 0 || l.off[i]! >= numel(ins[s]!)))) fail(at, `element ${i} refers outside its input`);
      }
      return [...l.shape];
    case 'matmul':
      return matmulShape(l, spatial(at, x), spatial(at, ins[1]!), at);
  }
}

export function matmulShape(l: FloatMatMul, a: [number, number, number], b: [number, number, number], at: string): number[] {
  const nb = b[1] * b[2];
  const [a0, b0] = l.offsets;
  const aNeed = l.filtersFrom === 'tokens' ? l.heads * l.headSize : l.heads * nb;
  if (a0 + aNeed > a[0]) fail(at, `input a has ${a[0]} channels, needs ${a0} + ${aNeed}`);
  if (b0 + l.heads * l.headSize > b[0]) fail(at, `input b has ${b[0]} channels, needs ${b0} + ${l.heads * l.headSize}`);
  return [l.filtersFrom === 'tokens' ? l.heads * nb : l.heads * l.headSize, a[1], a[2]];
}

/** Execute one transformer op in float64. */
export function vitFloat(l: FloatVitLayer, t: Map<string, Float64Array>, shapes: Map<string, number[]>): Float64Array {
  switch (l.op) {
    case 'layernorm': {
      const x = t.get(l.input)!;
      const [C, H, W] = shapes.get(l.input)! as [number, number, number];
      const P = H * W;
      const y = new Float64Array(x.length);
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let c = 0; c < C; c++) s += x[c * P + p]!;
        const mean = s / C;
        let v = 0;
        for (let c = 0; c < C; c++) v += (x[c * P + p]! - mean) ** 2;
        const inv = 1 / Math.sqrt(v / C + l.eps);
        for (let c = 0; c < C; c++) y[c * P + p] = (x[c * P + p]! - mean) * inv * l.gamma[c]! + l.beta[c]!;
      }
      return y;
    }
    case 'softmax': {
      const x = t.get(l.input)!;
      const [C, H, W] = shapes.get(l.input)! as [number, number, number];
      const P = H * W;
      const L = C / l.groups;
      const y = new Float64Array(x.length);
      for (let g = 0; g < l.groups; g++) {
        for (let p = 0; p < P; p++) {
          let m = -Infinity;
          for (let k = 0; k < L; k++) m = Math.max(m, x[(g * L + k) * P + p]!);
          let s = 0;
          for (let k = 0; k < L; k++) s += Math.exp(x[(g * L + k) * P + p]! - m);
          for (let k = 0; k < L; k++) y[(g * L + k) * P + p] = Math.exp(x[(g * L + k) * P + p]! - m) / s;
        }
      }
      return y;
    }
    case 'gelu':
      return t.get(l.input)!.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
    case 'addconst': {
      const x = t.get(l.input)!;
      return x.map((v, i) => v + l.value[i]!);
    }
    case 'gather': {
      const ins = l.inputs.map((n) => t.get(n)!);
      const y = new Float64Array(l.src.length);
      for (let i = 0; i < y.length; i++) y[i] = l.src[i]! < 0 ? l.consts[i]! : l.mul * ins[l.src[i]!]![l.off[i]!]!;
      return y;
    }
    case 'matmul':
      return matmulFloat(l, t, shapes);
  }
}

function matmulFloat(l: FloatMatMul, t: Map<string, Float64Array>, shapes: Map<string, number[]>): Float64Array {
  const a = t.get(l.inputs[0])!;
  const b = t.get(l.inputs[1])!;
  const sa = shapes.get(l.inputs[0])!;
  const sb = shapes.get(l.inputs[1])!;
  const P = sa[1]! * sa[2]!;
  const Nb = sb[1]! * sb[2]!;
  const [a0, b0] = l.offsets;
  const hs = l.headSize;
  const perHead = l.filtersFrom === 'tokens' ? Nb : hs;
  const K = l.filtersFrom === 'tokens' ? hs : Nb;
  const y = new Float64Array(l.heads * perHead * P);
  for (let h = 0; h < l.heads; h++) {
    for (let f = 0; f < perHead; f++) {
      // filter f of head h: its K weights (taken from b at run time)
      const w = new Float64Array(K);
      for (let k = 0; k < K; k++) w[k] = l.filtersFrom === 'tokens' ? b[(b0 + h * hs + k) * Nb + f]! : b[(b0 + h * hs + f) * Nb + k]!;
      const aBase = l.filtersFrom === 'tokens' ? a0 + h * hs : a0 + h * Nb;
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[(aBase + k) * P + p]! * w[k]!;
        y[(h * perHead + f) * P + p] = l.alpha * s;
      }
    }
  }
  return y;
}

/** erf to ~1e-15 (series below 3, continued-fraction-free asymptotic tail via erfc's Chebyshev fit). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf x = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc by the continued fraction (Lentz), accurate for x >= 2.5
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}
