/**
 * Shape descriptors from a record's moments (docs/ccl-track.md "Recognition"). With N = area, c = centroid:
 *   central moments μ20 = Σx² − cx·Σx, μ02 = Σy² − cy·Σy, μ11 = Σxy − cx·Σy;
 *   third order (when the labeler sums Σx³, Σx²y, Σxy², Σy³):
 *     μ30 = Σx³ − 3cx·Σx² + 2cx³·N, μ03 likewise in y,
 *     μ21 = Σx²y − 2cx·Σxy − cy·Σx² + 2cx²·cy·N, μ12 = Σxy² − 2cy·Σxy − cx·Σy² + 2cy²·cx·N;
 *   normalised η_pq = μ_pq / N^(1 + (p+q)/2); Hu's seven invariants φ1..φ7 of the η (translation, scale and
 *   rotation invariant); orientation θ = ½·atan2(2μ11, μ20 − μ02) (radians, x right, y down) and eccentricity
 *   √(1 − λ2/λ1) of the second-moment matrix's eigenvalues λ1 ≥ λ2.
 * Without third-order moments φ3..φ7 are reported as null and recognition uses φ1, φ2 only.
 */
import type { Detection } from './records.js';

export interface ShapeDescriptor {
  area: number;
  cx: number;
  cy: number;
  orientation: number;
  eccentricity: number;
  /** φ1..φ7; entries 2..6 are null without third-order moments. */
  hu: (number | null)[];
}

export function shapeOf(d: Detection): ShapeDescriptor {
  const N = d.area;
  const cx = d.sumX / N, cy = d.sumY / N;
  const m20 = d.sumXX - cx * d.sumX, m02 = d.sumYY - cy * d.sumY, m11 = d.sumXY - cx * d.sumY;
  const n2 = N * N;
  const e20 = m20 / n2, e02 = m02 / n2, e11 = m11 / n2;
  const half = (m20 - m02) / 2;
  const root = Math.sqrt(half * half + m11 * m11);
  const l1 = (m20 + m02) / 2 + root, l2 = (m20 + m02) / 2 - root;
  const hu: (number | null)[] = [e20 + e02, (e20 - e02) ** 2 + 4 * e11 * e11, null, null, null, null, null];
  if (d.sumXXX !== undefined && d.sumXXY !== undefined && d.sumXYY !== undefined && d.sumYYY !== undefined) {
    const n3 = N ** 2.5;
    const e30 = (d.sumXXX - 3 * cx * d.sumXX + 2 * cx * cx * cx * N) / n3;
    const e03 = (d.sumYYY - 3 * cy * d.sumYY + 2 * cy * cy * cy * N) / n3;
    const e21 = (d.sumXXY - 2 * cx * d.sumXY - cy * d.sumXX + 2 * cx * cx * cy * N) / n3;
    const e12 = (d.sumXYY - 2 * cy * d.sumXY - cx * d.sumYY + 2 * cy * cy * cx * N) / n3;
    const a = e30 + e12, b = e21 + e03, p = e30 - 3 * e12, q = 3 * e21 - e03;
    hu[2] = p * p + q * q;
    hu[3] = a * a + b * b;
    hu[4] = p * a * (a * a - 3 * b * b) + q * b * (3 * a * a - b * b);
    hu[5] = (e20 - e02) * (a * a - b * b) + 4 * e11 * a * b;
    hu[6] = q * a * (a * a - 3 * b * b) - p * b * (3 * a * a - b * b);
  }
  return {
    area: N, cx, cy,
    orientation: 0.5 * Math.atan2(2 * m11, m20 - m02),
    eccentricity: l1 > 0 ? Math.sqrt(Math.max(0, 1 - l2 / l1)) : 0,
    hu,
  };
}

/** Names of the recognition feature vector's entries. */
export const FEATURE_NAMES = ['phi1', 'sqrtPhi2', 'cbrtPhi3', 'cbrtPhi4', 'eccentricity'] as const;

/**
 * The recognition feature vector — scale, rotation and translation invariant: φ1, √φ2, ∛φ3, ∛φ4 (0 without
 * third-order moments) and the eccentricity.
 */
export function featureVector(d: Detection): number[] {
  const s = shapeOf(d);
  return [s.hu[0]!, Math.sqrt(s.hu[1]!), Math.cbrt(s.hu[2] ?? 0), Math.cbrt(s.hu[3] ?? 0), s.eccentricity];
}
