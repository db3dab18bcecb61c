/**
 * Integer square root by Newton's iteration (I-ViT's I-LayerNorm; the iteration is Heron's / Newton's method on
 * x² − v, in integers): floor(sqrt(v)) for 0 ≤ v < 2^64.
 *
 * Start x0 = 2^ceil(b/2), b = bitlength(v): x0 ≥ sqrt(v) and x0 ≤ 2·sqrt(v), so the relative error ε0 ≤ 1.
 * Step x ← min(x, floor((x + floor(v/x)) / 2)). From above, Newton's relative error obeys ε' = ε²/(2(1+ε)):
 * ε1 ≤ 1/4, ε2 ≤ 1/40, ε3 ≤ 3.1e-4, ε4 ≤ 4.7e-8, ε5 ≤ 1.1e-15; the integer iterates never exceed the real ones
 * and never go below floor(sqrt(v)). After 5 steps x < sqrt(v) + 2^32·1.1e-15 < floor(sqrt(v)) + 2, i.e. x is
 * floor(sqrt(v)) or floor(sqrt(v)) + 1 (when v + 1 is a perfect square); the 6th step (with the min) settles it.
 * ISQRT_ITERS = 6 is therefore exact on [0, 2^64); test/ivit-ops.test.ts checks it on worst cases and shows 4 steps
 * are not enough. The RTL computes the same floor(sqrt(v)) by digit recurrence (the result is unique).
 */
export const ISQRT_ITERS = 6;
export const ISQRT_MAX_BITS = 64;

export function isqrtNewton(v: bigint, iters = ISQRT_ITERS): bigint {
  if (v < 0n || v >= 1n << BigInt(ISQRT_MAX_BITS)) throw new Error(`isqrt: ${v} outside [0, 2^${ISQRT_MAX_BITS})`);
  if (v === 0n) return 0n;
  const b = v.toString(2).length;
  let x = 1n << BigInt(Math.ceil(b / 2));
  for (let k = 0; k < iters; k++) {
    const y = (x + v / x) >> 1n;
    if (y < x) x = y;
  }
  return x;
}
