/**
 * The features of one cell in frame coordinates, from its local moments (docs/ccl.md "Architecture", 3): with
 * X0 = cx·C, Y0 = cy·C, Σx = n·X0 + Σu, Σx² = n·X0² + 2·X0·Σu + Σu², Σxy = n·X0·Y0 + X0·Σv + Y0·Σu + Σuv (the same
 * for y), bbox = X0 + umin …, first = (Y0 + fv)·W + X0 + fu. In two steps: on `load` (the labeler's DEC state) the
 * cell and the products are registered (multipliers: RAM → DSP → register); `cell_global` adds them up
 * (register → the labeler's F0 register). cx², cy², cx·cy come from the labeler (kept incrementally there).
 */
import { Module, Expr, Signal, lit, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { fit, pack, unpack } from './util.js';
import { thirdOrder } from './cellfeat3.js';

/** The labeler's third-order position registers: cx³, cx²·cy, cx·cy², cy³ (thirdMoments). */
export const CUBE_NAMES = ['cx3', 'cx2cy', 'cxcy2', 'cy3'] as const;
export type CubeName = (typeof CUBE_NAMES)[number];

/** Widths of the labeler's cx², cy², cx·cy registers (and of the cube registers). */
export function squareWidths(p: CclRtlParams): { cxsqW: number; cysqW: number; cxcyW: number } & Record<`${CubeName}W`, number> {
  const a = p.Wc - 1, b = p.Hc - 1;
  return {
    cxsqW: bitsFor(a * a),
    cysqW: bitsFor(b * b),
    cxcyW: bitsFor(a * b),
    cx3W: bitsFor(a * a * a),
    cx2cyW: bitsFor(a * a * b),
    cxcy2W: bitsFor(a * b * b),
    cy3W: bitsFor(b * b * b),
  };
}

export function buildCclCellFeat(p: CclRtlParams): Module {
  const { C, LC, W, Wc, Hc } = p;
  const m = new Module(`${p.name}_cellfeat`, {
    doc: `CCL cell features in frame coordinates (C=${C}, ${p.featWidth}-bit record)`,
    config: { width: W, height: p.H, cell: C, cellWidth: p.cellWidth, featWidth: p.featWidth },
  });
  const sw = squareWidths(p);
  const cellQ = m.input('lab_cell', p.cellWidth);
  const cx = m.input('lab_cx', p.cxW);
  const cy = m.input('lab_cy', p.cyW);
  const cxsq = m.input('lab_cxsq', sw.cxsqW);
  const cysq = m.input('lab_cysq', sw.cysqW);
  const cxcy = m.input('lab_cxcy', sw.cxcyW);
  const cubes = p.third ? Object.fromEntries(CUBE_NAMES.map((k) => [k, m.input(`lab_${k}`, sw[`${k}W`])])) as Record<CubeName, Signal> : null;
  const load = m.input('load', 1);
  const out = m.output('cell_global', p.featWidth);
  // a single cell row / column makes cy / cx always 0: their squares and product then feed zero-width terms
  if (Hc === 1) [cysq, cxcy].forEach((r) => r.markUnused());
  if (Wc === 1) [cxsq, cxcy].forEach((r) => r.markUnused());
  // one cell column (row): X0 = cx·C (Y0) is cut to the x (y) width, which drops cx (cy) entirely
  if (Wc === 1) cx.markUnused();
  if (Hc === 1) cy.markUnused();
  const cell = unpack(cellQ, p.cellFields);
  const x0 = fit(cx.shl(LC), p.xW); // cx·C ≤ W−1
  const y0 = fit(cy.shl(LC), p.yW);
  const fw = p.fw;
  const cellR = m.reg('cell_q', p.cellWidth, { reset: null }); // the cell, registered on load
  const cr = unpack(cellR, p.cellFields);
  // A frame narrower or shorter than one cell: the cell fields are sized for a full C×C cell, the features for the
  // W×H frame, so the top bits of the local moments are provably zero and are cut off.
  if (W < C || p.H < C) [cellR, cellQ].forEach((r) => r.markUnused());
  const n1 = cell.n!;
  const byN = (e: Expr, w: number): Expr => (C === 1 ? mux(n1, fit(e, w), lit(0, w)) : fit(n1.mul(e), w));
  // products, each ≤ the feature sum it is a term of (which fits its width by features.ts maxima)
  const prodDefs: [string, Expr][] = [
    ['nx', byN(x0, fw.sumX)],
    ['ny', byN(y0, fw.sumY)],
    ['nxx', byN(C === 1 ? cxsq : cxsq.shl(2 * LC), fw.sumXX)],
    ['nyy', byN(C === 1 ? cysq : cysq.shl(2 * LC), fw.sumYY)],
    ['nxy', byN(C === 1 ? cxcy : cxcy.shl(2 * LC), fw.sumXY)],
    ['rowFirst', fit((C === 1 ? y0 : fit(y0.add(cell.fv!), p.yW)).mul(lit(W, bitsFor(W))), p.firstWidth)],
  ];
  if (C > 1) {
    prodDefs.push(
      ['xsu2', fit(x0.mul(cell.su!).shl(1), fw.sumXX)],
      ['ysv2', fit(y0.mul(cell.sv!).shl(1), fw.sumYY)],
      ['xsv', fit(x0.mul(cell.sv!), fw.sumXY)],
      ['ysu', fit(y0.mul(cell.su!), fw.sumXY)],
    );
  }
  const third = cubes ? thirdOrder(p, cell, { cx, cy, cxsq, cysq, cxcy, ...cubes }) : null;
  if (third) prodDefs.push(...third.prods);
  const prods = prodDefs.map(([name, e]) => ({ reg: m.reg(`pp_${name}_q`, e.width, { reset: null }), value: e }));
  const pp = Object.fromEntries(prodDefs.map(([name], i) => [name, prods[i]!.reg])) as Record<string, Signal>;
  // x0 / y0 are used again after the products were registered: the labeler holds cx / cy until the cell commits
  const g: Record<string, Expr> = {};
  g.area = fit(cr.n!, fw.area);
  if (C === 1) {
    Object.assign(g, { sumX: pp.nx!, sumY: pp.ny!, sumXX: pp.nxx!, sumYY: pp.nyy!, sumXY: pp.nxy!, xmin: x0, xmax: x0, ymin: y0, ymax: y0 });
    g.first = fit(pp.rowFirst!.add(x0), p.firstWidth);
  } else {
    g.sumX = fit(pp.nx!.add(cr.su!), fw.sumX);
    g.sumY = fit(pp.ny!.add(cr.sv!), fw.sumY);
    g.sumXX = fit(pp.nxx!.add(pp.xsu2!).add(cr.suu!), fw.sumXX);
    g.sumYY = fit(pp.nyy!.add(pp.ysv2!).add(cr.svv!), fw.sumYY);
    g.sumXY = fit(pp.nxy!.add(pp.xsv!).add(pp.ysu!).add(cr.suv!), fw.sumXY);
    g.xmin = fit(x0.add(cr.umin!), p.xW);
    g.xmax = fit(x0.add(cr.umax!), p.xW);
    g.ymin = fit(y0.add(cr.fv!), p.yW);
    g.ymax = fit(y0.add(cr.vmax!), p.yW);
    g.first = fit(pp.rowFirst!.add(x0).add(cr.fu!), p.firstWidth);
  }
  if (third) Object.assign(g, third.sums(pp, cr));
  g.cells = lit(1, fw.cells);
  for (const hg of p.histGroups) for (let b = 0; b < hg.bins; b++) g[`${hg.featPrefix}${b}`] = fit(cr[`${hg.cellPrefix}${b}`]!, hg.featWidth);
  m.assign(out, pack(g, p.featFields));
  m.sync((q) => {
    q.if(load, () => {
      q.set(cellR, cellQ);
      for (const pr of prods) q.set(pr.reg, pr.value);
    });
  });
  return m;
}
