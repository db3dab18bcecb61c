/**
 * Shiftmax (I-ViT): integer softmax of one row. Input: signed integers x with scale 2^-frac (the attention scores
 * after the dyadic requantization `shiftmaxInputQuant`). Output: unsigned PROB_BITS-bit probabilities, scale
 * 2^-PROB_BITS. Constants and roundings: conventions.ts.
 *
 *   m = max x;  Δ = (x − m)·2^(E−frac) ≤ 0;  p = Δ + (Δ >> 1) − (Δ >> 4);  t = shiftExp(p)   (t(m) = 2^E)
 *   T = Σ t (integer sum);  (f, b) = recip(T)   — the one division of the row
 *   prob = min(2^P − 1, round(t·f / 2^(b + R − P)))
 */
import { EXP_FRAC, PROB_BITS, RECIP_FRAC, checkFrac, mulLog2e, recip, roundShiftProduct, shiftExp } from './conventions.js';

/** The shift-exponentials of a row (t ∈ [0, 2^E], the row maximum's is 2^E). */
export function shiftmaxExps(row: ArrayLike<number>, frac: number): number[] {
  checkFrac(frac);
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > m) m = row[i]!;
  const out: number[] = [];
  for (let i = 0; i < row.length; i++) out.push(shiftExp(mulLog2e((row[i]! - m) * 2 ** (EXP_FRAC - frac))));
  return out;
}

/** Shiftmax of one row: probabilities in units of 2^-PROB_BITS. */
export function shiftmax(row: ArrayLike<number>, frac: number): number[] {
  if (row.length < 1) throw new Error('shiftmax: empty row');
  const t = shiftmaxExps(row, frac);
  const total = t.reduce((s, v) => s + v, 0);
  const { f, b } = recip(total);
  const sh = b + RECIP_FRAC - PROB_BITS;
  const top = 2 ** PROB_BITS - 1;
  return t.map((v) => Math.min(top, roundShiftProduct(v, f, sh)));
}
