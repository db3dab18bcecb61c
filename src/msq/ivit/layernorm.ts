/**
 * I-LayerNorm (I-ViT): integer LayerNorm of one row of n signed integers (any scale S_in), with an integer affine
 * and the dyadic requantization of the result.
 *
 *   Sx = Σ x,  Sxx = Σ x²            (n·mean and n·E[x²], exact: CHOICE — kept multiplied by n so that no division
 *   D = n·Sxx − Sx² + eps           by n and no rounding of the mean enter; D = n²·(var + ε/S_in²) ≥ 0)
 *   s = max(1, isqrt(D))            (Newton, isqrt.ts: floor(sqrt(D)) = floor(n·σ))
 *   (f, b) = recip(s)               (the one division of the row)
 *   z = round((n·x − Sx)·f / 2^(b + R − Z))        (≈ (x − μ)/σ · 2^Z)
 *   out = requantize(γ_i·z + β_i, M, S)           (γ signed 8-bit, β signed 24-bit in units of S_γ·2^-Z)
 * eps = round(n²·ε / S_in²) is per job (the compiler knows n); `layerNormParams` computes every integer.
 */
import { fail } from '../../util/errors.js';
import { EPS_MAX, LN_BETA_BITS, LN_GAMMA_BITS, LN_Z_FRAC, RECIP_FRAC, chooseMultiplier, recip, requantOut, roundShiftProduct, type OutQuant } from './conventions.js';
import { isqrtNewton } from './isqrt.js';

export interface LayerNormInt {
  /** per element of the row: signed LN_GAMMA_BITS-bit */
  gamma: ArrayLike<number>;
  /** per element: signed LN_BETA_BITS-bit, units of S_γ·2^-Z */
  beta: ArrayLike<number>;
  /** integer epsilon added to D, 0..2^32 − 1 */
  eps: number;
  out: OutQuant;
}

/** The row statistics: Sx, Sxx, D and s = max(1, isqrt(D)). */
export function layerNormStats(row: ArrayLike<number>, eps: number): { sx: number; sxx: bigint; d: bigint; s: number } {
  let sx = 0;
  let sxx = 0n;
  for (let i = 0; i < row.length; i++) {
    sx += row[i]!;
    sxx += BigInt(row[i]! * row[i]!);
  }
  const d = BigInt(row.length) * sxx - BigInt(sx) * BigInt(sx) + BigInt(eps);
  const r = Number(isqrtNewton(d));
  return { sx, sxx, d, s: Math.max(1, r) };
}

/** The normalized row z = (x − μ)/σ in units of 2^-Z (before the affine). */
export function layerNormZ(row: ArrayLike<number>, eps: number): number[] {
  const n = row.length;
  const { sx, s } = layerNormStats(row, eps);
  const { f, b } = recip(s);
  const sh = b + RECIP_FRAC - LN_Z_FRAC;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(roundShiftProduct(n * row[i]! - sx, f, sh));
  return out;
}

/** I-LayerNorm of one row. */
export function iLayerNorm(row: ArrayLike<number>, p: LayerNormInt): number[] {
  if (p.gamma.length !== row.length || p.beta.length !== row.length) fail('layernorm.gamma', `needs ${row.length} γ and β, got ${p.gamma.length} and ${p.beta.length}`);
  return layerNormZ(row, p.eps).map((z, i) => requantOut(p.gamma[i]! * z + p.beta[i]!, p.out));
}

/**
 * Integer parameters of I-LayerNorm from the float ones: γ to signed 8-bit with one scale S_γ = max|γ|/127, β in
 * units of S_γ·2^-Z (signed 24-bit, saturated), eps = round(n²·ε/S_in²), output M/2^S ≈ S_γ·2^-Z / outScale.
 */
export function layerNormParams(o: { gamma: ArrayLike<number>; beta: ArrayLike<number>; epsilon: number; inScale: number; outScale: number; bits?: number; signed?: boolean }): LayerNormInt {
  const n = o.gamma.length;
  let gmax = 0;
  for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(o.gamma[i]!));
  const gq = 2 ** (LN_GAMMA_BITS - 1) - 1;
  const sGamma = gmax > 0 ? gmax / gq : 1;
  const bmax = 2 ** (LN_BETA_BITS - 1) - 1;
  const gamma = Array.from({ length: n }, (_, i) => Math.round(o.gamma[i]! / sGamma));
  const beta = Array.from({ length: n }, (_, i) => Math.max(-bmax - 1, Math.min(bmax, Math.round(o.beta[i]! / (sGamma * 2 ** -LN_Z_FRAC)))));
  const eps = Math.min(EPS_MAX, Math.round((n * n * o.epsilon) / (o.inScale * o.inScale)));
  const { M, S } = chooseMultiplier((sGamma * 2 ** -LN_Z_FRAC) / o.outScale, 'layernorm.outScale');
  return { gamma, beta, eps, out: { M, S, bits: o.bits ?? 8, signed: o.signed ?? true } };
}
