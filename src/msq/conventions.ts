/**
 * MSQ numeric conventions — written once, imported by the golden model (golden.ts), the quantizer (quant.ts, ptq.ts)
 * and the RTL generator. docs/msq-numerics.md explains every formula here; keep the two in step.
 *
 * Weight schemes (per filter, m = weight bits):
 *  - fixed m-bit (m = 2..8): code k is a two's-complement integer in [-Q, Q], Q = 2^(m-1) - 1 (narrow, symmetric).
 *    Integer weight value w = k. Real weight = w * alpha / Q.
 *  - sp2 m-bit (m = 3..8): code bit layout (MSB first) [ sign | e1 (m1 bits) | e2 (m2 bits) ],
 *    m1 = ceil((m-1)/2), m2 = floor((m-1)/2) (so m1 + m2 + 1 = m and m1 >= m2).
 *    e = 0 means "no term", e = j >= 1 means the power 2^-j. q1 = 2^-e1, q2 = 2^-e2. Real weight = ±alpha (q1 + q2).
 *    Integer weight value in units of the smallest power 2^-P, P = 2^m1 - 1:
 *      w = ±(t(e1) + t(e2)),  t(0) = 0,  t(j) = 2^(P - j)   (shift amounts s = P - j, 0 <= s <= P - 1)
 *    so a * w = ±((a << s1) + (a << s2)) exactly. Real weight = w * alpha / 2^P.
 *    Every m-bit pattern is a valid code; the quantizer emits the canonical code of each level (see sp2Levels).
 *
 * Requantization (conv2d / linear per filter, avgpool / globalavgpool per layer):
 *    y = clamp((acc * M + 2^(S-1)) >> S, lo, hi)
 *  acc: exact integer accumulator (incl. bias), M: integer in [0, 2^31 - 1], S in [1, 62], ">>" arithmetic shift,
 *  i.e. floor division by 2^S: round half toward +infinity. Computed exactly (no 53-bit float loss).
 * Residual add:  y = clamp((a * Ma + b * Mb + 2^(S-1)) >> S, lo, hi)   (same rounding, one shared S).
 * Maxpool: max over the window; padded positions are ignored (never win). Output keeps the input's bits/scale.
 * ReLU (standalone): y = max(x, 0); keeps the scale. conv/linear/add/avgpool fuse ReLU by an unsigned clamp (lo = 0).
 * Activation ranges: unsigned b-bit [0, 2^b - 1]; signed b-bit [-2^(b-1), 2^(b-1) - 1]. Zero point is always 0.
 * Input quantization: q = clamp(floor(x / scale + 1/2), lo, hi) (x after optional per-channel normalization).
 */
import { fail } from '../util/errors.js';

export type Scheme = 'fixed' | 'sp2';

export const FIXED_BITS = { min: 2, max: 8 } as const;
export const SP2_BITS = { min: 3, max: 8 } as const;
export const ACT_BITS = { min: 2, max: 16 } as const;
export const REQUANT_M_MAX = 2 ** 31 - 1;
export const REQUANT_S = { min: 1, max: 62 } as const;

/** Checks weight bits for a scheme; `field` names the place in an error. */
export function checkWeightBits(scheme: Scheme, bits: number, field = 'bits'): void {
  const r = scheme === 'fixed' ? FIXED_BITS : SP2_BITS;
  if (!Number.isInteger(bits) || bits < r.min || bits > r.max) {
    fail(field, `${scheme} weights need ${r.min}..${r.max} bits, got ${bits}`);
  }
}

/** Q = 2^(m-1) - 1: largest fixed code, and the fixed denominator (real = k * alpha / Q). */
export function fixedMaxCode(m: number): number {
  return 2 ** (m - 1) - 1;
}

/** Bit split of an m-bit SP2 code: m1 bits for q1, m2 bits for q2. */
export function sp2Split(m: number): { m1: number; m2: number } {
  const m1 = Math.ceil((m - 1) / 2);
  return { m1, m2: m - 1 - m1 };
}

/** P = 2^m1 - 1: exponent of the smallest SP2 power; integer SP2 weights are in units of 2^-P. */
export function sp2P(m: number): number {
  return 2 ** sp2Split(m).m1 - 1;
}

/** Denominator D with real weight = integerWeight * alpha / D. fixed: Q; sp2: 2^P. */
export function weightDenominator(scheme: Scheme, m: number): number {
  return scheme === 'fixed' ? fixedMaxCode(m) : 2 ** sp2P(m);
}

/** Largest |integer weight| of a scheme: fixed Q, sp2 2^P (q1 = q2 = 1/2). */
export function maxIntWeight(scheme: Scheme, m: number): number {
  return scheme === 'fixed' ? fixedMaxCode(m) : 2 ** sp2P(m);
}

/** Valid code range [lo, hi] as stored in the model: fixed signed [-Q, Q]; sp2 unsigned bit pattern [0, 2^m - 1]. */
export function codeRange(scheme: Scheme, m: number): [number, number] {
  return scheme === 'fixed' ? [-fixedMaxCode(m), fixedMaxCode(m)] : [0, 2 ** m - 1];
}

export interface Sp2Fields {
  /** 1 = negative */
  sign: 0 | 1;
  /** q1 exponent index: 0 = no term, j = 2^-j */
  e1: number;
  /** q2 exponent index: 0 = no term, j = 2^-j */
  e2: number;
}

export function decodeSp2(code: number, m: number): Sp2Fields {
  const { m2 } = sp2Split(m);
  const sign = ((code >> (m - 1)) & 1) as 0 | 1;
  const e1 = (code >> m2) & ((1 << (m - 1 - m2)) - 1);
  const e2 = code & ((1 << m2) - 1);
  return { sign, e1, e2 };
}

export function encodeSp2(f: Sp2Fields, m: number): number {
  const { m1, m2 } = sp2Split(m);
  if (f.e1 < 0 || f.e1 >= 2 ** m1 || f.e2 < 0 || f.e2 >= 2 ** m2) fail('sp2', `exponent index out of range for ${m}-bit`);
  return (f.sign << (m - 1)) | (f.e1 << m2) | f.e2;
}

/** Shift amount of an SP2 term, or -1 for "no term": s = P - e (e >= 1). The RTL decodes e1/e2 the same way. */
export function sp2Shift(e: number, m: number): number {
  return e === 0 ? -1 : sp2P(m) - e;
}

/** Integer weight value of a code (the multiplier used by the accumulator). */
export function weightValue(scheme: Scheme, m: number, code: number): number {
  if (scheme === 'fixed') return code;
  const { sign, e1, e2 } = decodeSp2(code, m);
  const s1 = sp2Shift(e1, m);
  const s2 = sp2Shift(e2, m);
  const mag = (s1 < 0 ? 0 : 2 ** s1) + (s2 < 0 ? 0 : 2 ** s2);
  return sign && mag ? -mag : mag;
}

/** A quantization level: integer weight value and its canonical code. */
export interface Level {
  value: number;
  code: number;
}

const levelCache = new Map<string, Level[]>();

/**
 * All distinct levels of a scheme, ascending by value, each with its canonical code.
 * fixed: value = code = k for k in [-Q, Q].
 * sp2: canonical code of a magnitude = the pair (e1, e2) with the smallest e2, then the smallest e1; zero is code 0
 * (sign 0); a negative level is the positive canonical code with the sign bit set.
 */
export function levels(scheme: Scheme, m: number): Level[] {
  const key = `${scheme}:${m}`;
  const hit = levelCache.get(key);
  if (hit) return hit;
  checkWeightBits(scheme, m);
  const out: Level[] = [];
  if (scheme === 'fixed') {
    const q = fixedMaxCode(m);
    for (let k = -q; k <= q; k++) out.push({ value: k, code: k });
  } else {
    const { m1, m2 } = sp2Split(m);
    const byMag = new Map<number, number>();
    for (let e2 = 0; e2 < 2 ** m2; e2++) {
      for (let e1 = 0; e1 < 2 ** m1; e1++) {
        const code = encodeSp2({ sign: 0, e1, e2 }, m);
        const v = weightValue('sp2', m, code);
        if (!byMag.has(v)) byMag.set(v, code);
      }
    }
    const mags = [...byMag.keys()].sort((a, b) => a - b);
    for (let i = mags.length - 1; i >= 1; i--) out.push({ value: -mags[i]!, code: byMag.get(mags[i]!)! | (1 << (m - 1)) });
    for (const v of mags) out.push({ value: v, code: byMag.get(v)! });
  }
  levelCache.set(key, out);
  return out;
}

/** Activation clamp range: unsigned [0, 2^b - 1], signed [-2^(b-1), 2^(b-1) - 1]. */
export function actRange(bits: number, signed: boolean): [number, number] {
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

const TWO53 = 2 ** 53;

/**
 * floor((p + 2^(S-1)) / 2^S) for an exact integer p given as a product x*M: round half toward +infinity.
 * Exact for any safe-integer x and M in [0, 2^31): fast float path when nothing can round, BigInt otherwise.
 */
export function roundShiftProduct(x: number, mul: number, s: number): number {
  const p = x * mul;
  const half = 2 ** (s - 1);
  if (Math.abs(p) + half <= TWO53) return Math.floor((p + half) / 2 ** s);
  const big = BigInt(x) * BigInt(mul) + (1n << BigInt(s - 1));
  return Number(big >> BigInt(s)); // BigInt >> is arithmetic (floor)
}

/** Requantization: clamp((acc * M + 2^(S-1)) >> S, lo, hi). */
export function requantize(acc: number, mul: number, s: number, lo: number, hi: number): number {
  const y = roundShiftProduct(acc, mul, s);
  return y < lo ? lo : y > hi ? hi : y;
}

/** Residual add: clamp((a * Ma + b * Mb + 2^(S-1)) >> S, lo, hi). Exact (|a|,|b| < 2^16, M < 2^31: sum < 2^48). */
export function addRequantize(a: number, ma: number, b: number, mb: number, s: number, lo: number, hi: number): number {
  const y = Math.floor((a * ma + b * mb + 2 ** (s - 1)) / 2 ** s);
  return y < lo ? lo : y > hi ? hi : y;
}

/** Input quantization of a real value: clamp(floor(x / scale + 1/2), lo, hi). */
export function quantizeInputValue(x: number, scale: number, lo: number, hi: number): number {
  const y = Math.floor(x / scale + 0.5);
  return y < lo ? lo : y > hi ? hi : y;
}

/**
 * Choose (M, S) so that M / 2^S approximates a positive real factor with M in [2^30, 2^31) where possible.
 * S is limited to [1, 62]; a factor >= 2^30 cannot be represented and is an error naming `field`.
 */
export function chooseMultiplier(factor: number, field = 'requant'): { M: number; S: number } {
  if (!Number.isFinite(factor) || factor <= 0) fail(field, `requantization factor must be a positive finite number, got ${factor}`);
  let s = 30 - Math.floor(Math.log2(factor));
  if (s > REQUANT_S.max) s = REQUANT_S.max;
  if (s < REQUANT_S.min) fail(field, `requantization factor ${factor} is too large (needs M/2^S >= 2^30); check the scales`);
  let mul = Math.round(factor * 2 ** s);
  if (mul > REQUANT_M_MAX) {
    s -= 1;
    mul = Math.round(factor * 2 ** s);
    if (s < REQUANT_S.min) fail(field, `requantization factor ${factor} is too large; check the scales`);
  }
  return { M: mul, S: s };
}

/** Bits of a two's-complement integer type that holds every value in [lo, hi]. */
export function signedBitsFor(lo: number, hi: number): number {
  let b = 1;
  while (-(2 ** (b - 1)) > lo || 2 ** (b - 1) - 1 < hi) b++;
  return b;
}
