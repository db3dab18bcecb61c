/**
 * The seam to the I-ViT integer operators (src/msq/ivit, issue 13's operator work): the golden model and the
 * quantizer of transformer layers call only these functions. Each operator has a parameter builder (quantization
 * time: real scales -> the operator's integer constants, stored in the QuantModel layer's `params`) and an integer
 * kernel over one vector (the channels of one position; for softmax one head's scores).
 *
 * PROVISIONAL until src/msq/ivit is merged: the kernels below dequantize, apply the float function and requantize
 * (fake-quantized INT8, not integer-only); they are replaced by ivit's Shiftmax / ShiftGELU / I-LayerNorm.
 */
import { erf } from './float-ops.js';

export type IvitParams = Record<string, number | number[]>;

export interface OutRange {
  scale: number;
  lo: number;
  hi: number;
}

const q = (v: number, o: OutRange): number => Math.min(o.hi, Math.max(o.lo, Math.floor(v / o.scale + 0.5)));

export const INT_OPS_PROVISIONAL = true;

export function layerNormParams(inScale: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): IvitParams {
  return { inScale, eps, gamma: Array.from(gamma), beta: Array.from(beta) };
}

export function layerNormInt(x: Int32Array, p: IvitParams, out: OutRange): Int32Array {
  const s = p.inScale as number;
  const g = p.gamma as number[];
  const b = p.beta as number[];
  const C = x.length;
  let mean = 0;
  for (let c = 0; c < C; c++) mean += x[c]! * s;
  mean /= C;
  let v = 0;
  for (let c = 0; c < C; c++) v += (x[c]! * s - mean) ** 2;
  const inv = 1 / Math.sqrt(v / C + (p.eps as number));
  return Int32Array.from(x, (xi, c) => q((xi * s - mean) * inv * g[c]! + b[c]!, out));
}

export function softmaxParams(inScale: number): IvitParams {
  return { inScale };
}

export function softmaxInt(x: Int32Array, p: IvitParams, out: OutRange): Int32Array {
  const s = p.inScale as number;
  let m = -Infinity;
  for (const v of x) m = Math.max(m, v);
  const e = Array.from(x, (v) => Math.exp((v - m) * s));
  const sum = e.reduce((a, b) => a + b, 0);
  return Int32Array.from(e, (v) => q(v / sum, out));
}

export function geluParams(inScale: number): IvitParams {
  return { inScale };
}

export function geluInt(x: Int32Array, p: IvitParams, out: OutRange): Int32Array {
  const s = p.inScale as number;
  return Int32Array.from(x, (v) => q(0.5 * v * s * (1 + erf((v * s) / Math.SQRT2)), out));
}

/** Output format of the softmax: unsigned 8-bit probabilities, scale 2^-8 (255 = 0.996). */
export const SOFTMAX_OUT = { bits: 8, signed: false, scale: 2 ** -8 } as const;
