/**
 * Pointwise activations as per-layer lookup tables — the convention shared by the golden model (golden.ts), the
 * quantizer (ptq-ops.ts) and the core's requantizer (the LUT stage after the clamp): written once, here.
 *
 *  - A `lut` layer reads a tensor of b <= 8 bits (the requantized output of the layer before it: unsigned
 *    [0, 2^b - 1] or signed [-2^(b-1), 2^(b-1) - 1]) and writes table[index(y)], index(y) = y - lo (offset binary:
 *    0 .. 2^b - 1). The model stores exactly 2^b entries, each in the layer's output range; the core's table has
 *    LUT_ENTRIES = 256 entries per layer, indexed by y mod 256 (lutWords; the entries no input reaches are 0).
 *  - A table is built from the real function f: entry(i) = clamp(floor(f((i + lo) * s_in) / s_out + 1/2), oLo, oHi)
 *    (round half toward +infinity, like input quantization).
 *  - Functions (x real): relu6 = min(max(x, 0), 6); clip(lo, hi); hardsigmoid = max(0, min(1, alpha*x + beta))
 *    (ONNX defaults alpha 0.2, beta 0.5; PyTorch exports 1/6, 0.5); hardswish = x * hardsigmoid(x) (alpha 1/6);
 *    sigmoid = 1 / (1 + e^-x); silu = x * sigmoid(x).
 */
import { fail } from '../util/errors.js';
import { actRange, quantizeInputValue } from './conventions.js';

export const LUT_ENTRIES = 256;
export const LUT_MAX_IN_BITS = 8;

export const POINTWISE_FNS = ['relu6', 'clip', 'hardsigmoid', 'hardswish', 'sigmoid', 'silu'] as const;
export type PointwiseFn = (typeof POINTWISE_FNS)[number];

/** Parameters of a pointwise function (alpha/beta: hardsigmoid, hardswish; lo/hi: clip). */
export interface PointwiseParams {
  alpha?: number;
  beta?: number;
  lo?: number;
  hi?: number;
}

/** The real function of a pointwise activation. */
export function pointwiseReal(fn: PointwiseFn, x: number, p: PointwiseParams = {}): number {
  const hsig = (v: number, alpha: number): number => Math.max(0, Math.min(1, alpha * v + (p.beta ?? 0.5)));
  switch (fn) {
    case 'relu6':
      return Math.min(Math.max(x, 0), 6);
    case 'clip':
      return Math.min(Math.max(x, p.lo ?? -Infinity), p.hi ?? Infinity);
    case 'hardsigmoid':
      return hsig(x, p.alpha ?? 0.2);
    case 'hardswish':
      return x * hsig(x, p.alpha ?? 1 / 6);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'silu':
      return x / (1 + Math.exp(-x));
  }
}

/** Table index of a b-bit input value: y - lo (0 .. 2^b - 1). */
export function lutIndex(y: number, bits: number, signed: boolean): number {
  return y - actRange(bits, signed)[0];
}

/** The table of a pointwise function between two quantized tensors (see the header). */
export function buildLut(
  fn: PointwiseFn,
  params: PointwiseParams,
  input: { bits: number; signed: boolean; scale: number },
  out: { bits: number; signed: boolean; scale: number },
  field = 'lut',
): number[] {
  if (input.bits > LUT_MAX_IN_BITS) fail(field, `a lookup table needs an input of at most ${LUT_MAX_IN_BITS} bits, got ${input.bits}`);
  const [lo, hi] = actRange(input.bits, input.signed);
  const [olo, ohi] = actRange(out.bits, out.signed);
  const t: number[] = [];
  for (let y = lo; y <= hi; y++) t.push(quantizeInputValue(pointwiseReal(fn, y * input.scale, params), out.scale, olo, ohi));
  return t;
}

/** Apply a layer's table to one input value. */
export function applyLut(table: readonly number[], y: number, bits: number, signed: boolean): number {
  return table[lutIndex(y, bits, signed)]!;
}

/**
 * The core's LUT_ENTRIES table words of a layer, indexed by the low 8 bits of the requantized value y (two's
 * complement): word[y mod 256] = table[y - lo] for every y of the b-bit input range (`signed` as the input); the
 * words no input value reaches are 0 and never read.
 */
export function lutWords(table: readonly number[], signed = false): number[] {
  if (table.length > LUT_ENTRIES) fail('lut', `table has ${table.length} entries, at most ${LUT_ENTRIES}`);
  const bits = Math.log2(table.length);
  if (!Number.isInteger(bits)) fail('lut', `table has ${table.length} entries, expected a power of two`);
  const [lo] = actRange(bits, signed);
  const w = new Array<number>(LUT_ENTRIES).fill(0);
  table.forEach((v, i) => {
    w[(((i + lo) % LUT_ENTRIES) + LUT_ENTRIES) % LUT_ENTRIES] = v;
  });
  return w;
}
