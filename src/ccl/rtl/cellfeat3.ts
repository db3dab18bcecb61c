/**
 * Third-order moments of one cell in frame coordinates (thirdMoments; part of `<core>_cellfeat`, cellfeat.ts). With
 * X0 = cx·C, Y0 = cy·C and the cell's local sums (u = x − X0, v = y − Y0):
 *
 *   Σx³  = n·X0³ + 3·X0²·Σu + 3·X0·Σu² + Σu³
 *   Σx²y = n·X0²·Y0 + X0²·Σv + 2·X0·Y0·Σu + 2·X0·Σuv + Y0·Σu² + Σu²v
 *   Σxy² = n·X0·Y0² + Y0²·Σu + 2·X0·Y0·Σv + 2·Y0·Σuv + X0·Σv² + Σuv²
 *   Σy³  = n·Y0³ + 3·Y0²·Σv + 3·Y0·Σv² + Σv³
 *
 * The position products cx³, cx²·cy, cx·cy², cy³ (and cx², cy², cx·cy) come from the labeler. Each product of a
 * position term and a cell sum is one multiplier, registered on `load` (like the second-order products); the ×3 is
 * added in the sum stage (a + 2a) and every sum is a balanced adder tree.
 *
 * Widths are proven at build time: each product register is exactly as wide as the largest value it can reach
 * (bound = product of its operands' exact maxima — a full cell at the last cell column / row), and the build fails
 * if that bound does not fit the feature's width (features.ts maxima). The sums need no bound of their own: every
 * term is non-negative and they add up to the exact moment of the cell's pixels, which fits by features.ts.
 */
import type { Expr, Signal } from '../../hdl/index.js';
import { lit, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { fit } from './util.js';

export interface Positions {
  cx: Signal; cy: Signal; cxsq: Signal; cysq: Signal; cxcy: Signal;
  cx3: Signal; cx2cy: Signal; cxcy2: Signal; cy3: Signal;
}

const s1 = (k: number): bigint => BigInt((k * (k - 1)) / 2); // Σ_{u<k} u
const s2 = (k: number): bigint => BigInt(((k - 1) * k * (2 * k - 1)) / 6); // Σ_{u<k} u²
const s3 = (k: number): bigint => s1(k) * s1(k); // Σ_{u<k} u³

/** Exact maxima of the cell sums and positions a product can take. */
function maxima(p: CclRtlParams): Record<string, bigint> {
  const cw = Math.min(p.C, p.W), ch = Math.min(p.C, p.H); // a cell is cut by a frame narrower / shorter than C
  const a = BigInt(p.Wc - 1), b = BigInt(p.Hc - 1);
  return {
    n: BigInt(cw * ch), su: BigInt(ch) * s1(cw), sv: BigInt(cw) * s1(ch), suu: BigInt(ch) * s2(cw), svv: BigInt(cw) * s2(ch),
    suv: s1(cw) * s1(ch), suuu: BigInt(ch) * s3(cw), svvv: BigInt(cw) * s3(ch), suuv: s2(cw) * s1(ch), suvv: s1(cw) * s2(ch),
    cx: a, cy: b, cxsq: a * a, cysq: b * b, cxcy: a * b, cx3: a * a * a, cx2cy: a * a * b, cxcy2: a * b * b, cy3: b * b * b,
  };
}

/** A sum of non-negative terms as a balanced adder tree in w bits (the total fits w by construction). */
export function sumTree(terms: Expr[], w: number): Expr {
  let level = terms.map((t) => fit(t, w));
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? fit(level[i]!.add(level[i + 1]!), w) : level[i]!);
    level = next;
  }
  return level[0] ?? lit(0, w);
}

interface Product {
  name: string;
  /** Position register × cell sum, times 2^shift (and ×2 when `two`). */
  pos: keyof Positions;
  sum: string;
  shift: number;
  /** The coefficient of the term in its moment: 1, 2 (a shift, in the product) or 3 (a + 2a, in the sum stage). */
  coef: 1 | 2 | 3;
  moment: 'sumXXX' | 'sumXXY' | 'sumXYY' | 'sumYYY';
}

function productList(LC: number): Product[] {
  const t = (moment: Product['moment'], name: string, pos: keyof Positions, sum: string, order: number, coef: 1 | 2 | 3): Product =>
    ({ name, pos, sum, shift: order * LC, coef, moment });
  return [
    t('sumXXX', 'n_cx3', 'cx3', 'n', 3, 1), t('sumXXX', 'cxsq_su', 'cxsq', 'su', 2, 3), t('sumXXX', 'cx_suu', 'cx', 'suu', 1, 3),
    t('sumXXY', 'n_cx2cy', 'cx2cy', 'n', 3, 1), t('sumXXY', 'cxsq_sv', 'cxsq', 'sv', 2, 1), t('sumXXY', 'cxcy_su', 'cxcy', 'su', 2, 2),
    t('sumXXY', 'cx_suv', 'cx', 'suv', 1, 2), t('sumXXY', 'cy_suu', 'cy', 'suu', 1, 1),
    t('sumXYY', 'n_cxcy2', 'cxcy2', 'n', 3, 1), t('sumXYY', 'cysq_su', 'cysq', 'su', 2, 1), t('sumXYY', 'cxcy_sv', 'cxcy', 'sv', 2, 2),
    t('sumXYY', 'cy_suv', 'cy', 'suv', 1, 2), t('sumXYY', 'cx_svv', 'cx', 'svv', 1, 1),
    t('sumYYY', 'n_cy3', 'cy3', 'n', 3, 1), t('sumYYY', 'cysq_sv', 'cysq', 'sv', 2, 3), t('sumYYY', 'cy_svv', 'cy', 'svv', 1, 3),
  ];
}

const LOCAL: Record<Product['moment'], string> = { sumXXX: 'suuu', sumXXY: 'suuv', sumXYY: 'suvv', sumYYY: 'svvv' };

/**
 * The product registers' values (name, expression, proven width) from the cell read in DEC (`cell`) and the
 * labeler's positions, and the sum stage from the registered products (`pp`) and the registered cell (`cr`).
 * C = 1: a cell is one pixel (u = v = 0), so each moment is its position cube when the pixel is set.
 */
export function thirdOrder(p: CclRtlParams, cell: Record<string, Expr>, pos: Positions) {
  const mx = maxima(p);
  const n1 = cell.n!;
  const boundOf = (x: Product): bigint => mx[x.pos]! * mx[x.sum]! * (1n << BigInt(x.shift)) * (x.coef === 2 ? 2n : 1n);
  // one cell column (row): every term with cx (cy) is 0 and is left out; a position no term reads is unused
  const all = p.C === 1 ? productList(0).filter((x) => x.sum === 'n') : productList(p.LC);
  const list = all.filter((x) => boundOf(x) > 0n);
  for (const k of Object.keys(pos) as (keyof Positions)[]) if (!list.some((x) => x.pos === k)) pos[k].markUnused();
  const prods: [string, Expr][] = list.map((x) => {
    const bound = boundOf(x);
    const w = bitsFor(bound);
    const reach = bound * (x.coef === 3 ? 3n : 1n); // the term as it enters the sum
    if (bitsFor(reach) > p.fw[x.moment]) {
      throw new Error(`ccl cellfeat: the ${x.name} term of ${x.moment} can reach ${reach}, more than its ${p.fw[x.moment]} bits`);
    }
    const a: Expr = pos[x.pos];
    let e: Expr = p.C === 1 ? mux(n1, a, lit(0, a.width)) : a.mul(cell[x.sum]!);
    e = e.shl(x.shift + (x.coef === 2 ? 1 : 0));
    return [`t3_${x.name}`, fit(e, w)];
  });
  const sums = (pp: Record<string, Signal>, cr: Record<string, Expr>): Record<string, Expr> => {
    const out: Record<string, Expr> = {};
    for (const moment of ['sumXXX', 'sumXXY', 'sumXYY', 'sumYYY'] as const) {
      const w = p.fw[moment];
      const terms: Expr[] = [];
      for (const x of list.filter((y) => y.moment === moment)) {
        const r = pp[`t3_${x.name}`]!;
        terms.push(r);
        if (x.coef === 3) terms.push(fit(r.shl(1), w));
      }
      if (p.C > 1) terms.push(cr[LOCAL[moment]]!);
      out[moment] = sumTree(terms, w);
    }
    return out;
  };
  return { prods, sums };
}
