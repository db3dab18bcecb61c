/**
 * I-ViT integer-operator conventions — every constant, shift and rounding of Shiftmax, ShiftGELU, I-LayerNorm and
 * the integer square root, pinned once. Imported by the golden operators (shiftmax.ts, shiftgelu.ts, layernorm.ts,
 * isqrt.ts), the job encoder (job.ts) and the nonlinear unit's RTL generator (rtl/). docs/ivit.md explains each
 * choice; keep the two in step.
 *
 * Algorithms from I-ViT (Z. Li, Q. Gu, "I-ViT: Integer-only Quantization for Efficient Vision Transformer
 * Inference", ICCV 2023), re-derived here; the choices that differ from the paper are marked CHOICE.
 *
 * Fixed-point exponent domain: E = EXP_FRAC = 16 fractional bits (CHOICE: I-ViT works in the input's own scale,
 *   I_0 = floor(1/S); a fixed E decouples the exponential's precision from the input's and turns the paper's
 *   per-element division by I_0 into a shift, because the input scale is a power of two 2^-F, F = the job's `frac`).
 * log2(e)·x ≈ x + (x >> 1) − (x >> 4)              (1.4375; ">>" is arithmetic: floor division by a power of two)
 * 1.702·x  ≈ x + (x >> 1) + (x >> 3) + (x >> 4)     (1.6875)
 * shift-exponential of p ≤ 0 (value p·2^-E, the base-2 exponent):  u = −p, q = u >> E, r = u mod 2^E,
 *   2^(−r/2^E) ≈ 1 − r/2^(E+1)  →  t = (2^E − (r >> 1)) >> q   (0 for q > E), t ∈ [0, 2^E], value t·2^-E.
 * Reciprocal (the one division of a row; CHOICE: normalized so every quotient has 16 significant bits whatever the
 *   row's magnitude): v ≥ 1, b = bitlength(v), f = floor(2^(b+R) / v), R = RECIP_FRAC = 15, f ∈ (2^R, 2^(R+1)];
 *   x / v ≈ x·f·2^-(b+R).
 * Rounding of a right shift by s ≥ 1: floor((v + 2^(s−1)) / 2^s) (round half toward +∞), as src/msq/conventions.ts.
 * Dyadic requantization b·2^-c: the MSQ requantizer, clamp((acc·M + 2^(S−1)) >> S, lo, hi) — one implementation,
 *   src/msq/conventions.ts `requantize` (M < 2^31, 1 ≤ S ≤ 62).
 */
import { fail } from '../../util/errors.js';
import { actRange, chooseMultiplier, requantize, roundShiftProduct } from '../conventions.js';

export { requantize, roundShiftProduct, chooseMultiplier };

/** E: fractional bits of the exponent domain and of the exponential's result. */
export const EXP_FRAC = 16;
/** R: the reciprocal f = floor(2^(b+R)/v) has R+1 significant bits (f ∈ (2^R, 2^(R+1)]). */
export const RECIP_FRAC = 15;
/** K: fractional bits of ShiftGELU's sigmoid σ (σ ∈ [0, 2^K]). */
export const SIG_FRAC = 8;
/** ShiftGELU's sigmoid divides by 2^8 + t8, t8 = the exponential's top SIG_T_BITS fraction bits (t >> (E − 8)). */
export const SIG_T_BITS = 8;
/** Shiftmax probabilities: unsigned PROB_BITS-bit, scale 2^-PROB_BITS, clamped to 2^PROB_BITS − 1. */
export const PROB_BITS = 8;
/** Z: fractional bits of I-LayerNorm's normalized value z = (x − μ)/σ. */
export const LN_Z_FRAC = 8;
/** I-LayerNorm's affine: γ signed 8-bit, β signed 24-bit (units of γ's scale · 2^-Z), packed in one 32-bit word. */
export const LN_GAMMA_BITS = 8;
export const LN_BETA_BITS = 24;
/** Input fractional bits F of Shiftmax / ShiftGELU inputs (scale 2^-F): 0..15 (F < E). */
export const FRAC_MAX = 15;
/** Input element widths the operators are specified for (two's complement). */
export const IN_BITS = { min: 4, max: 16 } as const;
/** Longest row (elements) the conventions support; a unit is generated for its own maxLen ≤ this. */
export const LEN_MAX = 4096;
/** I-LayerNorm's integer epsilon (added to n²·var) is unsigned 32-bit. */
export const EPS_MAX = 2 ** 32 - 1;

/** Floor division by 2^k (arithmetic right shift) on any safe integer. */
export function sra(v: number, k: number): number {
  return Math.floor(v / 2 ** k);
}

/** x·log2(e) ≈ x + (x >> 1) − (x >> 4). */
export function mulLog2e(x: number): number {
  return x + sra(x, 1) - sra(x, 4);
}

/** 1.702·x ≈ x + (x >> 1) + (x >> 3) + (x >> 4). */
export function mul1702(x: number): number {
  return x + sra(x, 1) + sra(x, 3) + sra(x, 4);
}

/** Shift-exponential: 2^(p·2^-E) for p ≤ 0, as t·2^-E with t ∈ [0, 2^E]. */
export function shiftExp(p: number): number {
  if (p > 0) throw new Error(`shiftExp: exponent ${p} > 0`);
  const u = -p;
  const q = Math.floor(u / 2 ** EXP_FRAC);
  if (q > EXP_FRAC) return 0;
  const r = u - q * 2 ** EXP_FRAC;
  const lin = 2 ** EXP_FRAC - sra(r, 1);
  return sra(lin, q);
}

/** Bit length of a positive integer (1 → 1, 2..3 → 2, ...). */
export function bitLength(v: number): number {
  let b = 0;
  while (2 ** b <= v) b++;
  return b;
}

/** The normalized reciprocal of v ≥ 1: b = bitlength(v), f = floor(2^(b+R)/v); x/v ≈ x·f·2^-(b+R). */
export function recip(v: number): { f: number; b: number } {
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`recip: ${v} is not a positive integer`);
  const b = bitLength(v);
  return { f: Math.floor(2 ** (b + RECIP_FRAC) / v), b };
}

/** Output clamp of a dyadic requantization: `bits` (2..16) signed or unsigned. */
export interface OutQuant {
  M: number;
  S: number;
  bits: number;
  signed: boolean;
}

export function outRange(q: OutQuant): [number, number] {
  return actRange(q.bits, q.signed);
}

/** Dyadic requantization of an operator's integer result to its output activation. */
export function requantOut(acc: number, q: OutQuant): number {
  const [lo, hi] = outRange(q);
  return requantize(acc, q.M, q.S, lo, hi);
}

/** Checks an input row: integers in the signed `inBits` range, length 1..LEN_MAX. `field` names it in errors. */
export function checkRow(row: ArrayLike<number>, inBits: number, field: string): void {
  if (!Number.isInteger(inBits) || inBits < IN_BITS.min || inBits > IN_BITS.max) fail(field, `input bits must be ${IN_BITS.min}..${IN_BITS.max}, got ${inBits}`);
  if (row.length < 1 || row.length > LEN_MAX) fail(field, `row length must be 1..${LEN_MAX}, got ${row.length}`);
  const [lo, hi] = actRange(inBits, true);
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    if (!Number.isInteger(x) || x < lo || x > hi) fail(`${field}[${i}]`, `${x} is not a ${inBits}-bit signed integer`);
  }
}

export function checkFrac(frac: number, field = 'frac'): void {
  if (!Number.isInteger(frac) || frac < 0 || frac > FRAC_MAX) fail(field, `input fractional bits must be 0..${FRAC_MAX}, got ${frac}`);
}

/** The output quantization of ShiftGELU: g = x·σ has scale 2^-(F+K); M/2^S ≈ 2^-(F+K) / outScale. */
export function geluOutQuant(frac: number, outScale: number, bits = 8, signed = true): OutQuant {
  checkFrac(frac);
  const { M, S } = chooseMultiplier(2 ** -(frac + SIG_FRAC) / outScale, 'gelu.outScale');
  return { M, S, bits, signed };
}

/**
 * The requantization that turns a MatMul accumulator (scale accScale, e.g. S_q·S_k/sqrt(d)) into Shiftmax's input,
 * a fixed point with `frac` fractional bits: M/2^S ≈ accScale·2^frac.
 */
export function shiftmaxInputQuant(accScale: number, frac: number, bits = 16): OutQuant {
  checkFrac(frac);
  const { M, S } = chooseMultiplier(accScale * 2 ** frac, 'shiftmax.accScale');
  return { M, S, bits, signed: true };
}
