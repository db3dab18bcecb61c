/**
 * ShiftGELU (I-ViT): GELU(x) ≈ x·σ(1.702·x), the sigmoid from the same shift-exponential. Input: signed integers x
 * with scale 2^-frac; output: the dyadic requantization (OutQuant) of g = x·σ (scale 2^-(frac + K)).
 *
 *   xe = x·2^(E−frac);  y = xe + (xe >> 1) + (xe >> 3) + (xe >> 4)   (≈ 1.702·x, E fractional bits)
 *   t = shiftExp(mulLog2e(−|y|))                                    (≈ e^−|y|·2^E)
 *   s = floor(2^(8+K) / (2^8 + (t >> (E − 8))))                       (= σ(|y|)·2^K ∈ [2^(K−1), 2^K])
 *   σ = s if y ≥ 0, else 2^K − s                                      (σ(−y) = 1 − σ(y))
 *   out = requantize(x·σ, M, S)
 * CHOICE: σ(−y) = 1 − σ(y) keeps both exponentials' arguments ≤ 0 per element, where I-ViT subtracts the row maximum
 * (which can underflow every exponential of a row); the division uses the exponential's top 8 fraction bits, so
 * the hardware does it with a 257-entry table of the same formula.
 */
import { EXP_FRAC, SIG_FRAC, SIG_T_BITS, checkFrac, mul1702, mulLog2e, requantOut, sra, shiftExp, type OutQuant } from './conventions.js';

/** σ(1.702·x) of ShiftGELU in units of 2^-K, for x with scale 2^-frac. */
export function shiftSigmoid1702(x: number, frac: number): number {
  const y = mul1702(x * 2 ** (EXP_FRAC - frac));
  const t = shiftExp(mulLog2e(-Math.abs(y)));
  const s = sigmoidOfExp(sra(t, EXP_FRAC - SIG_T_BITS));
  return y >= 0 ? s : 2 ** SIG_FRAC - s;
}

/** s = floor(2^(8+K) / (2^8 + t8)) for t8 ∈ [0, 2^8]: the table the RTL holds. */
export function sigmoidOfExp(t8: number): number {
  return Math.floor(2 ** (SIG_T_BITS + SIG_FRAC) / (2 ** SIG_T_BITS + t8));
}

/** ShiftGELU of a row (elementwise). */
export function shiftGelu(row: ArrayLike<number>, frac: number, q: OutQuant): number[] {
  checkFrac(frac);
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) out.push(requantOut(row[i]! * shiftSigmoid1702(row[i]!, frac), q));
  return out;
}
