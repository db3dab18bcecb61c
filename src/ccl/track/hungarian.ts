/**
 * Minimum-cost assignment by the Hungarian method (shortest augmenting paths with row/column potentials, O(n²·m)).
 *
 * `assign(cost)` takes an r×c matrix (any r, c); entries that are not finite (Infinity, NaN) are forbidden. It
 * returns, for every row, the column assigned to it or −1: as many allowed pairs as possible and, among those
 * assignments, the least total cost (forbidden pairs are never returned). Ties are
 * broken deterministically (lowest row / column index first). The Python tracker (templates/ccl/tracker.py) holds
 * the same algorithm operation for operation, so both produce the same assignment from the same costs.
 */

/**
 * Solve an n×m problem with n ≤ m and every entry finite: rowOf[j] for columns, returns colOf[i] for rows.
 * Row i is added one at a time; a Dijkstra-like search over columns with reduced costs finds the cheapest
 * augmenting path, then potentials are updated so reduced costs stay non-negative.
 */
function solveDense(a: number[][], n: number, m: number): number[] {
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(m + 1).fill(0);
  const p = new Array<number>(m + 1).fill(0); // p[j]: row (1-based) matched to column j (1-based); p[0] = row being added
  const way = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(m + 1).fill(Infinity);
    const used = new Array<boolean>(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOf = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! !== 0) colOf[p[j]! - 1] = j - 1;
  return colOf;
}

/** Minimum-cost assignment of rows to columns; forbidden (non-finite) pairs are never assigned. */
export function assign(cost: readonly (readonly number[])[]): number[] {
  const r = cost.length;
  const c = r === 0 ? 0 : cost[0]!.length;
  if (r === 0) return [];
  if (c === 0) return new Array<number>(r).fill(-1);
  // Forbidden entries get a cost larger than any sum of allowed ones, so an allowed pair is always preferred over
  // a forbidden one; a forbidden pair in the optimum means that row (or column) stays unassigned.
  let big = 1;
  for (const row of cost) for (const x of row) if (Number.isFinite(x)) big += Math.abs(x);
  big *= 2;
  const transpose = r > c;
  const n = transpose ? c : r, m = transpose ? r : c;
  const a: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let j = 0; j < m; j++) {
      const x = transpose ? cost[j]![i]! : cost[i]![j]!;
      row.push(Number.isFinite(x) ? x : big);
    }
    a.push(row);
  }
  const colOf = solveDense(a, n, m);
  const out = new Array<number>(r).fill(-1);
  for (let i = 0; i < n; i++) {
    const j = colOf[i]!;
    if (j < 0) continue;
    const [row, col] = transpose ? [j, i] : [i, j];
    if (Number.isFinite(cost[row]![col]!)) out[row] = col;
  }
  return out;
}

/**
 * The same assignment when most pairs are forbidden (the tracker's gate): rows and columns split into the
 * connected components of the allowed pairs, each solved on its own — a lone allowed pair directly, without asking
 * its cost; larger components by `assign` on their costs. The optimum of the whole problem is the union of the
 * components' optima (no allowed pair joins two components), so only ties may be broken otherwise than by `assign`
 * on the whole matrix. `allowed(i, j)` is asked once per pair, `cost(i, j)` only for allowed pairs of components
 * with more than one pair.
 */
export function assignGated(r: number, c: number, allowed: (i: number, j: number) => boolean, cost: (i: number, j: number) => number): number[] {
  const parent = Array.from({ length: r + c }, (_, k) => k);
  const root = (k: number): number => {
    while (parent[k] !== k) k = parent[k] = parent[parent[k]!]!;
    return k;
  };
  const ok: boolean[] = new Array<boolean>(r * c);
  const edges = new Array<number>(r + c).fill(0);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) {
    ok[i * c + j] = allowed(i, j);
    if (!ok[i * c + j]) continue;
    edges[i]!++;
    const a = root(i), b = root(r + j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const out = new Array<number>(r).fill(-1);
  const done = new Array<boolean>(r).fill(false);
  for (let i = 0; i < r; i++) {
    if (done[i] || edges[i] === 0) continue;
    const g = root(i);
    const rows: number[] = [], cols: number[] = [];
    for (let k = i; k < r; k++) if (root(k) === g) {
      rows.push(k);
      done[k] = true;
    }
    for (let j = 0; j < c; j++) if (root(r + j) === g) cols.push(j);
    if (rows.length === 1 && cols.length === 1) {
      out[i] = cols[0]!;
      continue;
    }
    const pick = assign(rows.map((a) => cols.map((b) => (ok[a * c + b] ? cost(a, b) : Infinity))));
    rows.forEach((a, k) => {
      if (pick[k]! >= 0) out[a] = cols[pick[k]!]!;
    });
  }
  return out;
}
