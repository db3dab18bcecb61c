/**
 * Worst-case integer ranges of every accumulator in a QuantModel, and the two's-complement widths that hold them.
 * The golden model relies on them (exact doubles below 2^53) and the RTL sizes its accumulators from them.
 * Formulas: docs/msq-numerics.md "Accumulator widths".
 */
import { fail } from '../util/errors.js';
import { weightValue } from './conventions.js';
import { checkModel, type QuantModel, type TensorInfo, type Filter } from './model.js';

export interface FilterBound {
  accMin: number;
  accMax: number;
}

export interface LayerBound {
  name: string;
  op: string;
  /** integer range of the layer's input(s) */
  inLo: number;
  inHi: number;
  /** exact range of the accumulator (conv/linear: incl. bias; pools: window sum; add: a*Ma + b*Mb + 2^(S-1)) */
  accMin: number;
  accMax: number;
  /** two's-complement bits that hold [accMin, accMax] */
  accBits: number;
  /** bits of acc*M + 2^(S-1) before the shift (requantizing layers; 0 otherwise) */
  productBits: number;
  /** conv/linear: per-filter ranges */
  filters?: FilterBound[];
}

/** Two's-complement bits holding every integer in [lo, hi] (exact, BigInt). */
export function bitsFor(lo: bigint, hi: bigint): number {
  let b = 1;
  while (-(1n << BigInt(b - 1)) > lo || (1n << BigInt(b - 1)) - 1n < hi) b++;
  return b;
}

/** Exact accumulator range of one filter for inputs in [lo, hi] (lo <= 0 <= hi, so zero padding stays inside). */
export function filterBound(f: Filter, lo: number, hi: number): FilterBound {
  let mn = f.bias;
  let mx = f.bias;
  for (const c of f.weights) {
    const w = weightValue(f.scheme, f.bits, c);
    if (w > 0) {
      mn += w * lo;
      mx += w * hi;
    } else if (w < 0) {
      mn += w * hi;
      mx += w * lo;
    }
  }
  return { accMin: mn, accMax: mx };
}

function productBits(accMin: number, accMax: number, ms: number[], s: number): number {
  let lo = 0n;
  let hi = 0n;
  const half = 1n << BigInt(s - 1);
  for (const m of ms) {
    const a = BigInt(accMin) * BigInt(m) + half;
    const b = BigInt(accMax) * BigInt(m) + half;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return bitsFor(lo, hi);
}

/** Bounds of every layer that computes (conv2d, linear, avgpool, globalavgpool, add); others pass ranges through. */
export function modelBounds(m: QuantModel, infos: Map<string, TensorInfo> = checkModel(m)): LayerBound[] {
  const out: LayerBound[] = [];
  for (const l of m.layers) {
    if (l.op === 'conv2d' || l.op === 'linear') {
      const x = infos.get(l.input)!;
      const filters = l.filters.map((f) => filterBound(f, x.lo, x.hi));
      const accMin = Math.min(...filters.map((b) => b.accMin));
      const accMax = Math.max(...filters.map((b) => b.accMax));
      let pb = 0;
      l.filters.forEach((f, i) => {
        pb = Math.max(pb, productBits(filters[i]!.accMin, filters[i]!.accMax, [f.M], f.S));
      });
      out.push({ name: l.name, op: l.op, inLo: x.lo, inHi: x.hi, accMin, accMax, accBits: bitsFor(BigInt(accMin), BigInt(accMax)), productBits: pb, filters });
    } else if (l.op === 'avgpool' || l.op === 'globalavgpool') {
      const x = infos.get(l.input)!;
      const k = l.op === 'avgpool' ? l.kernel[0] * l.kernel[1] : x.shape[1]! * x.shape[2]!;
      const accMin = k * x.lo;
      const accMax = k * x.hi;
      out.push({ name: l.name, op: l.op, inLo: x.lo, inHi: x.hi, accMin, accMax, accBits: bitsFor(BigInt(accMin), BigInt(accMax)), productBits: productBits(accMin, accMax, l.op === 'avgpool' && l.Mdiv ? l.Mdiv : [l.M], l.S) });
    } else if (l.op === 'mulchannel') {
      const x = infos.get(l.inputs[0])!;
      const v = infos.get(l.inputs[1])!;
      const ps = [x.lo * v.lo, x.lo * v.hi, x.hi * v.lo, x.hi * v.hi];
      const accMin = Math.min(...ps);
      const accMax = Math.max(...ps);
      out.push({ name: l.name, op: l.op, inLo: x.lo, inHi: x.hi, accMin, accMax, accBits: bitsFor(BigInt(accMin), BigInt(accMax)), productBits: productBits(accMin, accMax, [l.M], l.S) });
    } else if (l.op === 'add') {
      const a = infos.get(l.inputs[0])!;
      const b = infos.get(l.inputs[1])!;
      const half = 2 ** (l.S - 1);
      const accMin = a.lo * l.Ma + b.lo * l.Mb + half;
      const accMax = a.hi * l.Ma + b.hi * l.Mb + half;
      const bits = bitsFor(BigInt(a.lo) * BigInt(l.Ma) + BigInt(b.lo) * BigInt(l.Mb) + BigInt(half), BigInt(a.hi) * BigInt(l.Ma) + BigInt(b.hi) * BigInt(l.Mb) + BigInt(half));
      out.push({ name: l.name, op: l.op, inLo: Math.min(a.lo, b.lo), inHi: Math.max(a.hi, b.hi), accMin, accMax, accBits: bits, productBits: bits });
    }
  }
  return out;
}

/** The golden model's exactness condition: every accumulator and add sum below 2^53 in magnitude. */
export function assertExactInDoubles(bounds: LayerBound[], m: QuantModel): void {
  bounds.forEach((b) => {
    if (b.accBits > 53 || (b.op === 'add' && b.productBits > 53)) {
      const i = m.layers.findIndex((l) => l.name === b.name);
      fail(`layers[${i}]`, `accumulator needs ${b.accBits} bits (> 53); reduce weights, bias or input bits`);
    }
  });
}
