/**
 * Constant-velocity Kalman filter of one object's centroid, time step = one frame.
 *
 * x and y are filtered independently with the same model (state [position, velocity], 2×2 covariance); that is the
 * 4-state constant-velocity filter with block-diagonal noise, written out so the arithmetic is plain and identical,
 * operation for operation, in the Python tracker (templates/ccl/tracker.py):
 *   predict: p ← p + v;  P ← F P Fᵀ + Q,  F = [[1, 1], [0, 1]],  Q = q·[[1/4, 1/2], [1/2, 1]] (white acceleration)
 *   update with a position measurement z and variance r:  S = P00 + r,  K = [P00, P10] / S,
 *           p ← p + K0·(z − p),  v ← v + K1·(z − p),  P ← (I − K H) P,  H = [1, 0].
 */

/** One axis: position, velocity and their covariance. */
export interface Axis {
  p: number;
  v: number;
  p00: number;
  p01: number;
  p11: number;
}

export function newAxis(z: number, posVar: number, velVar: number): Axis {
  return { p: z, v: 0, p00: posVar, p01: 0, p11: velVar };
}

/** Predict one frame ahead (q: acceleration variance in px²/frame⁴). */
export function predictAxis(a: Axis, q: number): void {
  a.p = a.p + a.v;
  // F P Fᵀ with F = [[1,1],[0,1]]
  const p00 = a.p00 + 2 * a.p01 + a.p11;
  const p01 = a.p01 + a.p11;
  const p11 = a.p11;
  a.p00 = p00 + q * 0.25;
  a.p01 = p01 + q * 0.5;
  a.p11 = p11 + q;
}

/** Correct with a position measurement z of variance r. */
export function updateAxis(a: Axis, z: number, r: number): void {
  const s = a.p00 + r;
  const k0 = a.p00 / s;
  const k1 = a.p01 / s;
  const e = z - a.p;
  a.p = a.p + k0 * e;
  a.v = a.v + k1 * e;
  const p00 = (1 - k0) * a.p00;
  const p01 = (1 - k0) * a.p01;
  const p11 = a.p11 - k1 * a.p01;
  a.p00 = p00;
  a.p01 = p01;
  a.p11 = p11;
}
