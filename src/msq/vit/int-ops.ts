/**
 * The seam between the transformer layers of a QuantModel and the I-ViT integer operators (src/msq/ivit: Shiftmax,
 * ShiftGELU, I-LayerNorm, their conventions): the quantizer builds each layer's integer `params` here, the golden
 * model runs each layer's rows here. One implementation of every operator: ivit's.
 *   layernorm params { gamma[], beta[], eps, M, S }: iLayerNorm (any input scale)
 *   softmax   params { frac }: shiftmax; input scale 2^-frac, output unsigned PROB_BITS-bit at 2^-PROB_BITS
 *   gelu      params { frac, M, S }: shiftGelu; input scale 2^-frac
 */
import { FRAC_MAX, PROB_BITS, geluOutQuant, iLayerNorm, layerNormParams as ivitLayerNormParams, shiftGelu, shiftmax } from '../ivit/index.js';
import type { ActSpec } from '../model.js';

export type IvitParams = Record<string, number | number[]>;

/** Output format of the softmax: unsigned PROB_BITS-bit probabilities, scale 2^-PROB_BITS. */
export const SOFTMAX_OUT = { bits: PROB_BITS, signed: false, scale: 2 ** -PROB_BITS } as const;

/** Fractional bits F of a power-of-two scale 2^-F holding |x| <= maxAbs in a signed 8-bit integer. */
export function fracFor(maxAbs: number): number {
  return Math.max(0, Math.min(FRAC_MAX, Math.floor(Math.log2(127 / maxAbs))));
}

export function layerNormParams(inScale: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, out: ActSpec): IvitParams {
  const p = ivitLayerNormParams({ gamma, beta, epsilon: eps, inScale, outScale: out.scale, bits: out.bits, signed: out.signed });
  return { gamma: Array.from(p.gamma), beta: Array.from(p.beta), eps: p.eps, M: p.out.M, S: p.out.S };
}

export function layerNormInt(row: ArrayLike<number>, p: IvitParams, out: ActSpec): number[] {
  return iLayerNorm(row, { gamma: p.gamma as number[], beta: p.beta as number[], eps: p.eps as number, out: { M: p.M as number, S: p.S as number, bits: out.bits, signed: out.signed } });
}

export function softmaxParams(frac: number): IvitParams {
  return { frac };
}

export function softmaxInt(row: ArrayLike<number>, p: IvitParams): number[] {
  return shiftmax(row, p.frac as number);
}

export function geluParams(frac: number, out: ActSpec): IvitParams {
  const q = geluOutQuant(frac, out.scale, out.bits, out.signed);
  return { frac, M: q.M, S: q.S };
}

export function geluInt(row: ArrayLike<number>, p: IvitParams, out: ActSpec): number[] {
  return shiftGelu(row, p.frac as number, { M: p.M as number, S: p.S as number, bits: out.bits, signed: out.signed });
}
