/**
 * Pixel stage of the CCL core (docs/ccl.md "Architecture", 1–2): counts positions, sums the local moments of each
 * accepted word relative to its cell (n, Σu, Σu², umin, umax; Σv, Σv², Σuv from the row v; histogram counts),
 * registers them (stage s1) and read-modify-writes the cell accumulator of the word's cell column in the bank of the
 * current cell row (the banks live in `<core>_banks`; a same-cell word in the next clock is forwarded past the RAM).
 * When the last word of a cell row is written the bank is handed to the labeler (`bankN_busy_q`, with the job's
 * cell row, last-row and framing-error bits) until the labeler releases it.
 */
import { Module, Signal, Expr, lit, cat, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { binPorts } from './decode.js';
import { fit, maxE, minE, pack, sumW, unpack } from './util.js';

/** The cell accumulator's third-order local moments (params.ts, when thirdMoments). */
export const THIRD_CELL_FIELDS = ['suuu', 'suuv', 'suvv', 'svvv'] as const;

interface Counters {
  pxUw: Signal | null;
  pxCx: Signal;
  pxV: Signal | null;
  pxCy: Signal;
  pxBank: Signal;
  frameErr: Signal;
  uwW: number;
  wordEnd: Expr;
  lineEnd: Expr;
  rowEnd: Expr;
  frameEnd: Expr;
  errNow: Expr;
}

/** f(sel) for a small counter `sel` (null: sel = 0) as a mux over constants, w bits. */
function table(sel: Signal | null, f: (v: number) => number, w: number): Expr {
  if (!sel) return lit(f(0), w);
  let e: Expr = lit(f(0), w);
  for (let v = 1; v < 1 << sel.width; v++) e = mux(sel.eq(v), lit(f(v), w), e);
  return e;
}

/** Position counters, end-of-word/line/row/frame and the framing check. */
function counters(m: Module, p: CclRtlParams, sLast: Expr, sUser: Expr): Counters {
  const { C, LC, LP, UWN, Wc, Hc } = p;
  const uwW = UWN > 1 ? LC - LP : 0;
  const pxUw = uwW > 0 ? m.reg('px_uw_q', uwW) : null; // word within the cell
  const pxCx = m.reg('px_cx_q', p.cxW); // cell column
  const pxV = C > 1 ? m.reg('px_v_q', LC) : null; // pixel row within the cell row
  const pxCy = m.reg('px_cy_q', p.cyW); // cell row
  const pxBank = m.reg('px_bank_q', 1); // bank being filled
  const frameErr = m.reg('px_frame_err_q', 1);
  const lastCol = pxCx.eq(Wc - 1);
  const wordEnd = pxUw ? mux(lastCol, pxUw.eq(p.lastCellWords - 1), pxUw.eq(UWN - 1)) : lit(1, 1);
  const lineEnd = m.let('px_line_end', lastCol.and(wordEnd));
  const lastRowV = (p.H - 1) % C;
  const frameLastRow = pxV ? pxCy.eq(Hc - 1).and(pxV.eq(lastRowV)) : pxCy.eq(Hc - 1);
  const rowEnd = m.let('px_row_end', lineEnd.and(pxV ? pxV.eq(C - 1).or(frameLastRow) : lit(1, 1)));
  const frameEnd = m.let('px_frame_end', lineEnd.and(frameLastRow));
  let atStart: Expr = pxCx.eq(0).and(pxCy.eq(0));
  if (pxUw) atStart = atStart.and(pxUw.eq(0));
  if (pxV) atStart = atStart.and(pxV.eq(0));
  const errNow = m.let('px_err_now', sUser.ne(atStart).or(sLast.ne(lineEnd)));
  return { pxUw, pxCx, pxV, pxCy, pxBank, frameErr, uwW, wordEnd, lineEnd, rowEnd, frameEnd, errNow };
}

/** The word's local moments (combinational) and the s1 registers that hold them. */
function wordMoments(m: Module, p: CclRtlParams, fg: Expr[], bins: Signal[], k: Counters) {
  const { C, P, LC, LP } = p;
  const cf = Object.fromEntries(p.cellFields.map((f) => [f.name, f.width])) as Record<string, number>;
  const nW = cf.n!;
  const hW = bitsFor(C * C);
  const uOf = (i: number): Expr => {
    if (k.pxUw) return LP > 0 ? cat(k.pxUw, lit(i, LP)) : k.pxUw;
    return lit(i, LC);
  };
  const wN = sumW(fg.map((f) => f.resize(nW)), nW);
  const wHist: { name: string; value: Expr }[] = [];
  p.histGroups.forEach((g, gi) => {
    const binOf = (i: number): Expr => bins[gi]!.slice((i + 1) * g.bits - 1, i * g.bits);
    for (let b = 0; b < g.bins; b++) {
      wHist.push({ name: `${g.cellPrefix}${b}`, value: sumW(fg.map((f, i) => f.and(binOf(i).eq(b)).resize(hW)), hW) });
    }
  });
  const loc: Record<string, Expr> = {};
  if (C > 1) {
    loc.su = sumW(fg.map((f, i) => mux(f, uOf(i), lit(0, LC)).resize(cf.su!)), cf.su!);
    loc.suu = sumW(fg.map((f, i) => mux(f, uOf(i).mul(uOf(i)), lit(0, 2 * LC)).resize(cf.suu!)), cf.suu!);
    let mn: Expr = uOf(P - 1);
    for (let i = P - 2; i >= 0; i--) mn = mux(fg[i]!, uOf(i), mn);
    let mx: Expr = uOf(0);
    for (let i = 1; i < P; i++) mx = mux(fg[i]!, uOf(i), mx);
    loc.umin = mn;
    loc.umax = mx;
    if (p.third) {
      // u³ of pixel i: a constant per value of the word counter (a table, not a multiplier chain in the path)
      const cube = (i: number): Expr => table(k.pxUw, (w) => (w * P + i) ** 3, 3 * LC);
      loc.suuu = sumW(fg.map((f, i) => mux(f, cube(i), lit(0, 3 * LC)).resize(cf.suuu!)), cf.suuu!);
    }
  }
  return { cf, nW, hW, wN, wHist, loc };
}

export function buildCclPixel(p: CclRtlParams): Module {
  const { C, P, LC } = p;
  const m = new Module(`${p.name}_pixel`, {
    doc: `CCL pixel stage: word moments and cell accumulators (${p.W}x${p.H}, C=${C}, P=${P})`,
    config: { width: p.W, height: p.H, cell: C, ppc: P, cellWidth: p.cellWidth, histGroups: p.histGroups.map((g) => `${g.kind}${g.bins}`).join(',') },
  });
  const sValid = m.input('s_tvalid', 1);
  const sReady = m.output('s_tready', 1);
  const sLast = m.input('s_tlast', 1);
  const sUser = m.input('s_tuser', 1);
  const fgIn = m.input('px_fg', P);
  const bins = binPorts(m, p, 'input');
  const bank0Q = m.input('bank0_q', p.cellWidth);
  const bank1Q = m.input('bank1_q', p.cellWidth);
  const release = m.input('lab_release', 1);
  const labBank = m.input('lab_bank', 1);
  const we0 = m.output('bank0_we', 1), we1 = m.output('bank1_we', 1);
  const wa = m.output('bank_waddr', p.cxW), wd = m.output('bank_wdata', p.cellWidth);
  const pxAddr = m.output('px_addr', p.cxW);
  const busyOut = [m.output('bank0_busy', 1), m.output('bank1_busy', 1)];
  const jobOut = [0, 1].map((b) => ({ cy: m.output(`job${b}_cy`, p.cyW), last: m.output(`job${b}_last`, 1), err: m.output(`job${b}_err`, 1) }));

  const k = counters(m, p, sLast, sUser);
  const busy0 = m.reg('bank0_busy_q', 1); // bank handed to the labeler
  const busy1 = m.reg('bank1_busy_q', 1);
  const ready = m.let('px_ready', mux(k.pxBank, busy1.not(), busy0.not()));
  m.assign(sReady, ready);
  const accept = m.let('px_accept', sValid.and(ready));
  const fg = Array.from({ length: P }, (_, i) => fgIn.slice(i, i));
  const w = wordMoments(m, p, fg, bins, k);
  const { cf, nW, hW } = w;

  // stage s1: registered word moments + the read of the cell's accumulator
  const s1 = {
    valid: m.reg('s1_valid_q', 1), bank: m.reg('s1_bank_q', 1), cx: m.reg('s1_cx_q', p.cxW), rowEnd: m.reg('s1_row_end_q', 1),
    last: m.reg('s1_last_q', 1), err: m.reg('s1_err_q', 1), cy: m.reg('s1_cy_q', p.cyW), n: m.reg('s1_n_q', nW),
  };
  const s1H = w.wHist.map((h) => m.reg(`s1_${h.name}_q`, hW));
  const s1L: Record<string, Signal> = {};
  if (C > 1) {
    for (const [name, width] of [['fresh', 1], ['fwd', 1], ['v', LC], ['su', cf.su!], ['suu', cf.suu!], ['umin', LC], ['umax', LC],
      ['sv', cf.sv!], ['svv', cf.svv!], ['suv', cf.suv!]] as const) s1L[name] = m.reg(`s1_${name}_q`, width);
    if (p.third) for (const f of THIRD_CELL_FIELDS) s1L[f] = m.reg(`s1_${f}_q`, cf[f]!);
  }
  m.assign(pxAddr, k.pxCx);

  let newCell: Expr;
  let wLast: Signal | null = null;
  if (C === 1) {
    // C = 1: every word is the only word of its cell in the cell row: the accumulator is the word itself.
    const v: Record<string, Expr> = { n: s1.n };
    w.wHist.forEach((h, i) => (v[h.name] = s1H[i]!));
    newCell = pack(v, p.cellFields);
  } else {
    wLast = m.reg('cell_wlast_q', p.cellWidth, { reset: null });
    const oldRaw = mux(s1L.fresh!, lit(0, p.cellWidth), mux(s1L.fwd!, wLast, mux(s1.bank, bank1Q, bank0Q)));
    const o = unpack(m.let('cell_old', oldRaw), p.cellFields);
    const has = s1.n.ne(0);
    const empty = o.n!.eq(0);
    const v: Record<string, Expr> = {
      n: fit(o.n!.add(s1.n), nW),
      umin: mux(has, mux(empty, s1L.umin!, minE(o.umin!, s1L.umin!)), o.umin!),
      umax: mux(has, mux(empty, s1L.umax!, maxE(o.umax!, s1L.umax!)), o.umax!),
      vmax: mux(has, s1L.v!, o.vmax!),
      fu: mux(has.and(empty), s1L.umin!, o.fu!),
      fv: mux(has.and(empty), s1L.v!, o.fv!),
    };
    for (const f of ['su', 'sv', 'suu', 'svv', 'suv', ...(p.third ? THIRD_CELL_FIELDS : [])]) v[f] = fit(o[f]!.add(s1L[f]!), cf[f]!);
    w.wHist.forEach((h, i) => (v[h.name] = fit(o[h.name]!.add(s1H[i]!), hW)));
    newCell = pack(v, p.cellFields);
  }
  const newCellW = m.let('cell_new', newCell);
  m.assign(we0, s1.valid.and(s1.bank.not()));
  m.assign(we1, s1.valid.and(s1.bank));
  m.assign(wa, s1.cx);
  m.assign(wd, newCellW);

  // job registers per bank (cell row index, last row of the frame, framing error of the frame)
  const job = [0, 1].map((b) => ({ cy: m.reg(`job${b}_cy_q`, p.cyW), last: m.reg(`job${b}_last_q`, 1), err: m.reg(`job${b}_err_q`, 1) }));
  [busy0, busy1].forEach((b, i) => m.assign(busyOut[i]!, b));
  job.forEach((j, b) => {
    m.assign(jobOut[b]!.cy, j.cy);
    m.assign(jobOut[b]!.last, j.last);
    m.assign(jobOut[b]!.err, j.err);
  });

  m.sync((q) => {
    q.if(accept, () => {
      // counters
      if (k.pxUw) q.set(k.pxUw, mux(k.wordEnd, lit(0, k.uwW), fit(k.pxUw.add(1), k.uwW)));
      q.if(k.lineEnd, () => q.set(k.pxCx, 0)).elif(k.wordEnd, () => q.set(k.pxCx, fit(k.pxCx.add(1), p.cxW)));
      if (k.pxV) q.if(k.lineEnd, () => q.set(k.pxV!, mux(k.rowEnd, lit(0, LC), fit(k.pxV!.add(1), LC))));
      q.if(k.rowEnd, () => {
        q.set(k.pxCy, mux(k.frameEnd, lit(0, p.cyW), fit(k.pxCy.add(1), p.cyW)));
        q.set(k.pxBank, k.pxBank.not());
      });
      q.set(k.frameErr, mux(k.frameEnd, lit(0, 1), k.frameErr.or(k.errNow)));
    });
    // stage s1
    q.set(s1.valid, accept);
    q.if(accept, () => {
      q.set(s1.bank, k.pxBank);
      q.set(s1.cx, k.pxCx);
      q.set(s1.rowEnd, k.rowEnd);
      q.set(s1.last, k.frameEnd);
      q.set(s1.err, k.frameErr.or(k.errNow));
      q.set(s1.cy, k.pxCy);
      q.set(s1.n, w.wN);
      s1H.forEach((h, i) => q.set(h, w.wHist[i]!.value));
      if (C > 1) {
        let fresh: Expr = k.pxV!.eq(0);
        if (k.pxUw) fresh = fresh.and(k.pxUw.eq(0));
        q.set(s1L.fresh!, fresh);
        q.set(s1L.fwd!, s1.valid.and(s1.bank.eq(k.pxBank)).and(s1.cx.eq(k.pxCx)));
        q.set(s1L.v!, k.pxV!);
        for (const f of ['su', 'suu', 'umin', 'umax']) q.set(s1L[f]!, w.loc[f]!);
        // the row moments of the word (v is the word's row in the cell), computed before the read-modify-write stage
        const v0 = k.pxV!;
        q.set(s1L.sv!, fit(w.wN.mul(v0), cf.sv!)); // ≤ P·(C−1), fits a cell's Σv
        q.set(s1L.svv!, fit(w.wN.mul(v0.mul(v0)), cf.svv!)); // ≤ P·(C−1)²
        q.set(s1L.suv!, fit(w.loc.su!.mul(v0), cf.suv!)); // ≤ (C−1)·Σu of a row ≤ max Σuv
        if (p.third) {
          // third order: Σu³ of the word; Σu²v = v·Σu², Σuv² = v²·Σu, Σv³ = v³·n — each ≤ its full-cell maximum
          const vv = table(v0, (v) => v * v, 2 * LC);
          q.set(s1L.suuu!, w.loc.suuu!);
          q.set(s1L.suuv!, fit(w.loc.suu!.mul(v0), cf.suuv!));
          q.set(s1L.suvv!, fit(w.loc.su!.mul(vv), cf.suvv!));
          q.set(s1L.svvv!, fit(w.wN.mul(table(v0, (v) => v * v * v, 3 * LC)), cf.svvv!));
        }
      }
    });
    if (wLast) q.if(s1.valid, () => q.set(wLast!, newCellW));
    // hand a completed cell row to the labeler; take it back when the labeler releases it
    for (const b of [0, 1] as const) {
      const busy = b === 0 ? busy0 : busy1;
      const mine = b === 0 ? s1.bank.not() : s1.bank;
      q.if(s1.valid.and(s1.rowEnd).and(mine), () => {
        q.set(busy, 1);
        q.set(job[b]!.cy, s1.cy);
        q.set(job[b]!.last, s1.last);
        q.set(job[b]!.err, s1.err);
      });
      q.if(release.and(b === 0 ? labBank.not() : labBank), () => q.set(busy, 0));
    }
  });
  if (C === 1) [bank0Q, bank1Q].forEach((s) => s.markUnused());
  return m;
}
