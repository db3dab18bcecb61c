/**
 * The 3-D Pareto front of (perturbation, size, latency) over a sum of independent units, without enumerating the
 * exponential space (docs/msq-plan.md "Search"):
 *  - per unit, its options (the product of its layers' choices and its activation bits) are pruned to the unit's
 *    own non-dominated set;
 *  - units are added one at a time (dynamic programming over the units): front ⊕ options, then ε-dominance pruning
 *    (a point is dropped when a kept point is within a factor (1 + ε) of it in all three objectives; ε = 0 is exact
 *    Pareto pruning), with ε doubled until at most `cap` points remain.
 * What it can miss: with ε = 0 nothing (sums of independent units: a point dominated inside a partial sum stays
 * dominated); with ε > 0 a point within a factor (1 + ε)^units of a kept one in every objective.
 */

export interface Objectives {
  /** perturbation */
  p: number;
  /** bits */
  s: number;
  /** the latency objective: cycles (or BOPs when pricing by BOPs) */
  c: number;
}

export interface FrontPoint extends Objectives {
  /** option index per unit, in unit order */
  picks: number[];
}

const dominatesEps = (q: Objectives, x: Objectives, e: number): boolean =>
  q.p <= x.p * (1 + e) + 1e-300 && q.s <= x.s * (1 + e) && q.c <= x.c * (1 + e);

/** ε-dominance pruning of a point set (sorted by perturbation, greedy). */
export function prune<T extends Objectives>(pts: T[], eps: number): T[] {
  const sorted = [...pts].sort((a, b) => a.p - b.p || a.s - b.s || a.c - b.c);
  const kept: T[] = [];
  for (const x of sorted) if (!kept.some((q) => dominatesEps(q, x, eps))) kept.push(x);
  return kept;
}

/** Prune to at most `cap` points: ε = eps0, doubled until the set fits. Returns the points and the ε used. */
export function pruneToCap<T extends Objectives>(pts: T[], cap: number, eps0: number): { points: T[]; eps: number } {
  let eps = eps0;
  let out = prune(pts, eps);
  while (out.length > cap) {
    eps = eps > 0 ? eps * 2 : 1e-3;
    out = prune(out, eps);
  }
  return { points: out, eps };
}

/** DP over units: the Pareto front of Σ options. `base` is the constant part (layers without choices). */
export function paretoSum(units: Objectives[][], o: { cap?: number; eps?: number; base?: Objectives } = {}): { front: FrontPoint[]; eps: number } {
  const cap = o.cap ?? 400;
  let maxEps = o.eps ?? 0;
  const b = o.base ?? { p: 0, s: 0, c: 0 };
  let front: FrontPoint[] = [{ ...b, picks: [] }];
  for (const opts of units) {
    const own = prune(opts.map((x, i) => ({ ...x, i })), 0);
    const next: FrontPoint[] = [];
    for (const f of front) for (const x of own) next.push({ p: f.p + x.p, s: f.s + x.s, c: f.c + x.c, picks: [...f.picks, x.i] });
    const r = pruneToCap(next, cap, o.eps ?? 0);
    front = r.points;
    maxEps = Math.max(maxEps, r.eps);
  }
  return { front, eps: maxEps };
}

/**
 * The knee: the point nearest (Euclidean) to the ideal point after normalizing each objective to [0, 1] over the
 * front (min → 0, max → 1). Ties: the lower perturbation.
 */
export function kneeIndex(pts: Objectives[]): number {
  if (!pts.length) return -1;
  const keys: (keyof Objectives)[] = ['p', 's', 'c'];
  const lo = keys.map((k) => Math.min(...pts.map((x) => x[k])));
  const hi = keys.map((k) => Math.max(...pts.map((x) => x[k])));
  let best = 0;
  let bestD = Infinity;
  pts.forEach((x, i) => {
    const d = keys.reduce((a, k, j) => a + (hi[j]! > lo[j]! ? ((x[k] - lo[j]!) / (hi[j]! - lo[j]!)) ** 2 : 0), 0);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && x.p < pts[best]!.p)) [best, bestD] = [i, d];
  });
  return best;
}
