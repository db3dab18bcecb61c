/**
 * The streaming CCL core, built with the HDL builder (src/hdl). One module, three parts (see docs/ccl.md
 * "Architecture"):
 *
 *  1. pixel stage: P cell-aligned pixels per clock → foreground bits → the word's local moments → read-modify-write
 *     of the cell accumulator (cellAcc) of its cell column in the bank of the current cell row (two banks,
 *     double-buffered cell rows; a same-cell word in the next clock is forwarded).
 *  2. labeler: when a cell row is complete its bank is handed over; the labeler visits its Wc cells left to right
 *     against the label ring (the previous cell row's labels, replaced by the current row's as it goes), allocates,
 *     merges (parallel relabel of the ring: labels in the ring are always final), accumulates the cell's global
 *     features into the feature table (feat) and detects completed objects: a label that leaves the window of
 *     (current row left of the cell, previous row from the column left of the cell) is complete and its record is
 *     emitted. A virtual empty cell row after the last real one flushes every object, then the end-of-frame record.
 *  3. record output register (AXI4-Stream master, one record per beat, tlast on the end-of-frame record).
 */
import { Module, Signal, Expr, lit, cat, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams, Field } from './params.js';

/** Resize to w bits; truncation only where the value fits by construction (documented at each call). */
function fit(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e.resize(w);
}

/** Unpack a flat vector into named fields (LSB-first). */
function unpack(v: Expr, fields: Field[]): Record<string, Expr> {
  const out: Record<string, Expr> = {};
  let lo = 0;
  for (const f of fields) {
    out[f.name] = v.slice(lo + f.width - 1, lo);
    lo += f.width;
  }
  return out;
}

/** Pack named fields (LSB-first order of `fields`) into one vector. */
function pack(vals: Record<string, Expr>, fields: Field[]): Expr {
  const parts = fields.map((f) => {
    const e = vals[f.name];
    if (!e) throw new Error(`pack: field ${f.name} missing`);
    if (e.width !== f.width) throw new Error(`pack: field ${f.name} is ${e.width} bits, expected ${f.width}`);
    return e;
  });
  return cat(...parts.reverse());
}

function minE(a: Expr, b: Expr): Expr {
  return mux(a.lt(b), a, b);
}
function maxE(a: Expr, b: Expr): Expr {
  return mux(a.gt(b), a, b);
}

/** Sum of expressions in width w (every partial sum fits by construction). */
function sumW(terms: Expr[], w: number): Expr {
  let acc: Expr = lit(0, w);
  let first = true;
  for (const t of terms) {
    acc = first ? fit(t, w) : fit(acc.add(t), w);
    first = false;
  }
  return acc;
}

const S = { IDLE: 0, RD: 1, DEC: 2, F0: 3, F1: 4, F2: 5, WR: 6, COMMIT: 7, E0: 8, E1: 9, EOF: 10 } as const;

export function buildCclCore(p: CclRtlParams): Module {
  const { cfg, W, C, P, LC, LP, Wc, Hc, UWN, PB, LW, Nt, N } = p;
  const B = cfg.histBins;
  const m = new Module(p.name, {
    doc: `streaming cell-partitioned connected-component labeling core (${W}x${p.H}, C=${C}, P=${P}, N=${N})`,
    config: {
      width: W, height: p.H, cell: C, ppc: P, minPixels: cfg.minPixels, connectivity: cfg.connectivity,
      pixelFormat: cfg.pixelFormat, threshold: cfg.threshold, rgbLo: cfg.rgbLo.join(','), rgbHi: cfg.rgbHi.join(','),
      histBins: B, maxObjects: N, labelTable: Nt,
    },
  });
  const cf = Object.fromEntries(p.cellFields.map((f) => [f.name, f.width])) as Record<string, number>;
  const nW = cf.n!;

  // ---------------------------------------------------------------- ports
  const sData = m.input('s_tdata', p.inWidth);
  const sValid = m.input('s_tvalid', 1);
  const sReady = m.output('s_tready', 1);
  const sLast = m.input('s_tlast', 1);
  const sUser = m.input('s_tuser', 1);
  const mData = m.output('m_tdata', p.outWidth);
  const mValid = m.output('m_tvalid', 1);
  const mReady = m.input('m_tready', 1);
  const mLast = m.output('m_tlast', 1);

  // ---------------------------------------------------------------- pixel stage: position counters
  const uwW = UWN > 1 ? LC - LP : 0;
  const pxUw = uwW > 0 ? m.reg('px_uw', uwW) : null; // word within the cell
  const pxCx = m.reg('px_cx', p.cxW); // cell column
  const pxV = C > 1 ? m.reg('px_v', LC) : null; // pixel row within the cell row
  const pxCy = m.reg('px_cy', p.cyW); // cell row
  const pxBank = m.reg('px_bank', 1); // bank being filled
  const busy0 = m.reg('bank0_busy', 1); // bank handed to the labeler
  const busy1 = m.reg('bank1_busy', 1);
  const frameErr = m.reg('px_frame_err', 1);

  const lastCol = pxCx.eq(Wc - 1);
  const wordEnd = pxUw ? mux(lastCol, pxUw.eq(p.lastCellWords - 1), pxUw.eq(UWN - 1)) : lit(1, 1);
  const lineEnd = m.let('px_line_end', lastCol.and(wordEnd));
  const lastRowV = (p.H - 1) % C;
  const frameLastRow = pxV ? pxCy.eq(Hc - 1).and(pxV.eq(lastRowV)) : pxCy.eq(Hc - 1);
  const rowEnd = m.let('px_row_end', lineEnd.and(pxV ? pxV.eq(C - 1).or(frameLastRow) : lit(1, 1)));
  const frameEnd = m.let('px_frame_end', lineEnd.and(frameLastRow));
  const ready = m.let('px_ready', mux(pxBank, busy1.not(), busy0.not()));
  m.assign(sReady, ready);
  const accept = m.let('px_accept', sValid.and(ready));
  let atStart: Expr = pxCx.eq(0).and(pxCy.eq(0));
  if (pxUw) atStart = atStart.and(pxUw.eq(0));
  if (pxV) atStart = atStart.and(pxV.eq(0));
  const errNow = m.let('px_err_now', sUser.ne(atStart).or(sLast.ne(lineEnd)));

  // ---------------------------------------------------------------- pixel stage: word moments
  // a gray8 core with threshold 0, or an rgb24 core with full-range channels, and no histogram reads no pixel bit
  const readsPixels = cfg.pixelFormat === 'binary' || B > 0 ||
    (cfg.pixelFormat === 'gray8' ? cfg.threshold > 0 : [0, 1, 2].every((c) => cfg.rgbLo[c]! > 0 || cfg.rgbHi[c]! < 255));
  if (!readsPixels) sData.markUnused();
  const fg: Expr[] = [];
  const bins: Expr[] = [];
  for (let i = 0; i < P; i++) {
    const pix = sData.slice((i + 1) * PB - 1, i * PB);
    let f: Expr;
    let gray: Expr | null = null;
    if (cfg.pixelFormat === 'gray8') {
      f = cfg.threshold > 0 ? pix.ge(lit(cfg.threshold, 8)) : lit(1, 1);
      gray = pix;
    } else if (cfg.pixelFormat === 'binary') {
      f = pix;
    } else {
      const r = pix.slice(7, 0), g = pix.slice(15, 8), b = pix.slice(23, 16);
      // a bound at the end of the range is always met: leave it out (no constant comparison in the Verilog)
      const inRange = (c: Expr, lo: number, hi: number): Expr[] =>
        [...(lo > 0 ? [c.ge(lit(lo, 8))] : []), ...(hi < 255 ? [c.le(lit(hi, 8))] : [])];
      const conds = [
        ...inRange(r, cfg.rgbLo[0], cfg.rgbHi[0]),
        ...inRange(g, cfg.rgbLo[1], cfg.rgbHi[1]),
        ...inRange(b, cfg.rgbLo[2], cfg.rgbHi[2]),
      ];
      f = conds.length ? conds.reduce((a, c) => a.and(c)) : lit(1, 1);
      if (B > 0) {
        // integer BT.601 luma (features.ts luma): (77 R + 150 G + 29 B) >> 8, < 2^16
        const l = r.mul(lit(77, 7)).add(g.mul(lit(150, 8))).add(b.mul(lit(29, 5)));
        gray = fit(l, 16).slice(15, 8);
      }
    }
    fg.push(m.let(`px_fg${i}`, f));
    if (B > 0) {
      const lb = Math.log2(B);
      // binary: a foreground pixel has gray 255 → the top bin
      bins.push(gray ? gray.slice(7, 8 - lb) : lit(B - 1, lb));
    }
  }
  const uOf = (i: number): Expr => {
    if (pxUw) return LP > 0 ? cat(pxUw, lit(i, LP)) : pxUw;
    return lit(i, LC);
  };
  const wN = sumW(fg.map((f) => f.resize(nW)), nW);
  const hW = bitsFor(C * C);
  const wHist = Array.from({ length: B }, (_, b) =>
    sumW(fg.map((f, i) => f.and(bins[i]!.eq(b)).resize(hW)), hW));

  // stage s1: registered word moments + the read of the cell's accumulator
  const s1Valid = m.reg('s1_valid', 1);
  const s1Bank = m.reg('s1_bank', 1);
  const s1Cx = m.reg('s1_cx', p.cxW);
  const s1RowEnd = m.reg('s1_row_end', 1);
  const s1Last = m.reg('s1_last', 1);
  const s1Err = m.reg('s1_err', 1);
  const s1Cy = m.reg('s1_cy', p.cyW);
  const s1N = m.reg('s1_n', nW);
  const s1H = wHist.map((_, b) => m.reg(`s1_h${b}`, hW));
  let s1Fresh: Signal | null = null, s1Fwd: Signal | null = null, s1V: Signal | null = null;
  let s1Sv: Signal | null = null, s1Svv: Signal | null = null, s1Suv: Signal | null = null;
  let s1Su: Signal | null = null, s1Suu: Signal | null = null, s1Umin: Signal | null = null, s1Umax: Signal | null = null;
  let wSu: Expr | null = null, wSuu: Expr | null = null, wUmin: Expr | null = null, wUmax: Expr | null = null;
  if (C > 1) {
    s1Fresh = m.reg('s1_fresh', 1);
    s1Fwd = m.reg('s1_fwd', 1);
    s1V = m.reg('s1_v', LC);
    s1Su = m.reg('s1_su', cf.su!);
    s1Suu = m.reg('s1_suu', cf.suu!);
    s1Umin = m.reg('s1_umin', LC);
    s1Umax = m.reg('s1_umax', LC);
    // the row moments of the word (v is the word's row in the cell), computed before the read-modify-write stage
    s1Sv = m.reg('s1_sv', cf.sv!);
    s1Svv = m.reg('s1_svv', cf.svv!);
    s1Suv = m.reg('s1_suv', cf.suv!);
    wSu = sumW(fg.map((f, i) => mux(f, uOf(i), lit(0, LC)).resize(cf.su!)), cf.su!);
    wSuu = sumW(fg.map((f, i) => mux(f, uOf(i).mul(uOf(i)), lit(0, 2 * LC)).resize(cf.suu!)), cf.suu!);
    let mn: Expr = uOf(P - 1);
    for (let i = P - 2; i >= 0; i--) mn = mux(fg[i]!, uOf(i), mn);
    let mx: Expr = uOf(0);
    for (let i = 1; i < P; i++) mx = mux(fg[i]!, uOf(i), mx);
    wUmin = mn;
    wUmax = mx;
  }

  // ---------------------------------------------------------------- cell accumulator banks
  const bankDepth = Math.max(2, Wc);
  const bankAW = Math.ceil(Math.log2(bankDepth));
  const bank0 = m.ram('bank0', { width: p.cellWidth, depth: bankDepth, style: 'auto' });
  const bank1 = m.ram('bank1', { width: p.cellWidth, depth: bankDepth, style: 'auto' });
  const labRa = m.wire('lab_cell_addr', p.cxW); // labeler's cell read address (driven below)
  const bank0Q = bank0.read(fit(mux(busy0, labRa, pxCx), bankAW), { name: 'bank0_q' });
  const bank1Q = bank1.read(fit(mux(busy1, labRa, pxCx), bankAW), { name: 'bank1_q' });

  let newCell: Expr;
  let wLast: Signal | null = null;
  if (C === 1) {
    // C = 1: every word is the only word of its cell in the cell row: the accumulator is the word itself.
    const v: Record<string, Expr> = { n: s1N };
    s1H.forEach((h, b) => (v[`h${b}`] = h));
    newCell = pack(v, p.cellFields);
  } else {
    wLast = m.reg('cell_wlast', p.cellWidth, { reset: null });
    const oldRaw = mux(s1Fresh!, lit(0, p.cellWidth), mux(s1Fwd!, wLast, mux(s1Bank, bank1Q, bank0Q)));
    const o = unpack(m.let('cell_old', oldRaw), p.cellFields);
    const v1 = s1V!;
    const has = s1N.ne(0);
    const empty = o.n!.eq(0);
    const wsv = s1Sv!;
    const wsvv = s1Svv!;
    const wsuv = s1Suv!;
    const v: Record<string, Expr> = {
      n: fit(o.n!.add(s1N), nW),
      su: fit(o.su!.add(s1Su!), cf.su!),
      sv: fit(o.sv!.add(wsv), cf.sv!),
      suu: fit(o.suu!.add(s1Suu!), cf.suu!),
      svv: fit(o.svv!.add(wsvv), cf.svv!),
      suv: fit(o.suv!.add(wsuv), cf.suv!),
      umin: mux(has, mux(empty, s1Umin!, minE(o.umin!, s1Umin!)), o.umin!),
      umax: mux(has, mux(empty, s1Umax!, maxE(o.umax!, s1Umax!)), o.umax!),
      vmax: mux(has, v1, o.vmax!),
      fu: mux(has.and(empty), s1Umin!, o.fu!),
      fv: mux(has.and(empty), v1, o.fv!),
    };
    s1H.forEach((h, b) => (v[`h${b}`] = fit(o[`h${b}`]!.add(h), hW)));
    newCell = pack(v, p.cellFields);
  }
  const newCellW = m.let('cell_new', newCell);
  bank0.write(s1Valid.and(s1Bank.not()), fit(s1Cx, bankAW), newCellW);
  bank1.write(s1Valid.and(s1Bank), fit(s1Cx, bankAW), newCellW);

  // job registers per bank (cell row index, last row of the frame, framing error of the frame)
  const jobCy = [m.reg('job0_cy', p.cyW), m.reg('job1_cy', p.cyW)];
  const jobLast = [m.reg('job0_last', 1), m.reg('job1_last', 1)];
  const jobErr = [m.reg('job0_err', 1), m.reg('job1_err', 1)];
  const release = m.wire('lab_release', 1); // labeler done with its bank (driven below)
  const labBank = m.reg('lab_bank', 1);

  m.sync((q) => {
    q.if(accept, () => {
      // counters
      if (pxUw) q.set(pxUw, mux(wordEnd, lit(0, uwW), fit(pxUw.add(1), uwW)));
      q.if(lineEnd, () => q.set(pxCx, 0)).elif(wordEnd, () => q.set(pxCx, fit(pxCx.add(1), p.cxW)));
      if (pxV) q.if(lineEnd, () => q.set(pxV, mux(rowEnd, lit(0, LC), fit(pxV.add(1), LC))));
      q.if(rowEnd, () => {
        q.set(pxCy, mux(frameEnd, lit(0, p.cyW), fit(pxCy.add(1), p.cyW)));
        q.set(pxBank, pxBank.not());
      });
      q.set(frameErr, mux(frameEnd, lit(0, 1), frameErr.or(errNow)));
    });
    // stage s1
    q.set(s1Valid, accept);
    q.if(accept, () => {
      q.set(s1Bank, pxBank);
      q.set(s1Cx, pxCx);
      q.set(s1RowEnd, rowEnd);
      q.set(s1Last, frameEnd);
      q.set(s1Err, frameErr.or(errNow));
      q.set(s1Cy, pxCy);
      q.set(s1N, wN);
      s1H.forEach((h, b) => q.set(h, wHist[b]!));
      if (C > 1) {
        let fresh: Expr = pxV!.eq(0);
        if (pxUw) fresh = fresh.and(pxUw.eq(0));
        q.set(s1Fresh!, fresh);
        q.set(s1Fwd!, s1Valid.and(s1Bank.eq(pxBank)).and(s1Cx.eq(pxCx)));
        q.set(s1V!, pxV!);
        q.set(s1Su!, wSu!);
        q.set(s1Suu!, wSuu!);
        q.set(s1Umin!, wUmin!);
        q.set(s1Umax!, wUmax!);
        const v0 = pxV!;
        q.set(s1Sv!, fit(wN.mul(v0), cf.sv!)); // ≤ P·(C−1), fits a cell's Σv
        q.set(s1Svv!, fit(wN.mul(v0.mul(v0)), cf.svv!)); // ≤ P·(C−1)²
        q.set(s1Suv!, fit(wSu!.mul(v0), cf.suv!)); // ≤ (C−1)·Σu of a row ≤ max Σuv
      }
    });
    if (wLast) q.if(s1Valid, () => q.set(wLast!, newCellW));
    // hand a completed cell row to the labeler; take it back when the labeler releases it
    for (const b of [0, 1] as const) {
      const busy = b === 0 ? busy0 : busy1;
      const mine = b === 0 ? s1Bank.not() : s1Bank;
      q.if(s1Valid.and(s1RowEnd).and(mine), () => {
        q.set(busy, 1);
        q.set(jobCy[b]!, s1Cy);
        q.set(jobLast[b]!, s1Last);
        q.set(jobErr[b]!, s1Err);
      });
      q.if(release.and(b === 0 ? labBank.not() : labBank), () => q.set(busy, 0));
    }
  });

  // ---------------------------------------------------------------- labeler
  const st = m.reg('lab_state', 4);
  const inS = (s: number): Expr => st.eq(lit(s, 4));
  const virt = m.reg('lab_virtual', 1); // flushing: the virtual empty cell row after the last one
  const tail = m.reg('lab_tail', 1); // the step after the last cell: drops the last previous-row label
  const cx = m.reg('lab_cx', p.cxW);
  const cy = m.reg('lab_cy', p.cyW);
  const cxsqW = bitsFor((Wc - 1) * (Wc - 1));
  const cysqW = bitsFor((Hc - 1) * (Hc - 1));
  const cxcyW = bitsFor((Wc - 1) * (Hc - 1));
  const cxsq = m.reg('lab_cxsq', cxsqW); // cx² (incremental)
  const cysq = m.reg('lab_cysq', cysqW); // cy²
  const cxcy = m.reg('lab_cxcy', cxcyW); // cx·cy (incremental)
  // a single cell row / column makes cy / cx always 0: their squares and product then feed zero-width terms
  if (Hc === 1) [cysq, cxcy].forEach((r) => r.markUnused());
  if (Wc === 1) [cxsq, cxcy].forEach((r) => r.markUnused());
  const pl = m.reg('lab_prev_left', LW); // previous-row label left of the cell (up-left neighbour)
  const act = m.reg('lab_act', 1);
  const lab = m.reg('lab_label', LW);
  const mrg = m.reg('lab_merge', 1);
  const ml = m.reg('lab_merge_loser', LW);
  const alloc = m.reg('lab_alloc', 1);
  const hit = m.reg('lab_hit', 1);
  const dl = m.reg('lab_done_label', LW);
  const cg = m.reg('lab_cell_feat', p.featWidth, { reset: null });
  const acc = m.reg('lab_acc', p.featWidth, { reset: null });
  const spW = bitsFor(Nt);
  const sp = m.reg('free_sp', spW); // recycled labels on the free stack
  const nxtW = bitsFor(Nt + 1);
  const nxt = m.reg('free_next', nxtW, { reset: 1 }); // next never-used label
  const top = m.reg('free_top', LW); // top of the free stack (cached)
  const reload = m.reg('free_reload', 1);
  const inUse = m.reg('lab_in_use', spW);
  const liveW = bitsFor(Math.max(N, Nt + 2 * Wc + 2));
  const live = m.reg('lab_live', liveW); // reference-policy label count of this cell row (overflow rule)
  const ovf = m.reg('frame_overflow', 1);
  const ferr = m.reg('frame_err', 1);
  const cnt = m.reg('frame_count', p.countWidth);
  const outValid = m.reg('out_valid', 1);
  const outData = m.reg('out_data', p.outWidth);
  const outLast = m.reg('out_last', 1);
  m.assign(mValid, outValid);
  m.assign(mData, outData);
  m.assign(mLast, outLast);

  // ring: slot i = label of cell column cx+i of the previous row (i < Wc−cx), then the current row's labels
  const slots = Array.from({ length: Wc }, (_, i) => m.reg(`ring${i}`, LW));
  const zeroL = lit(0, LW);
  const nz = (e: Expr): Expr => e.ne(0);
  const u = slots[0]!;
  const ur: Expr = Wc > 1 ? mux(cx.eq(Wc - 1), zeroL, slots[1]!) : zeroL;
  const left: Expr = Wc > 1 ? mux(cx.eq(0), zeroL, slots[Wc - 1]!) : zeroL;
  const ul = pl;
  const cellQ = m.let('lab_cell', mux(labBank, bank1Q, bank0Q));
  const cell = unpack(cellQ, p.cellFields);
  const active = m.let('lab_active', virt.not().and(tail.not()).and(cell.n!.ge(lit(cfg.minPixels, nW))));
  let lnb: Expr, start: Expr, mrgNow: Expr, mlNow: Expr;
  if (cfg.connectivity === 8) {
    lnb = mux(nz(left), left, mux(nz(u), u, mux(nz(ul), ul, ur)));
    start = nz(left).not().and(nz(u).not()).and(nz(ul).not()).and(nz(ur).not());
    mrgNow = nz(left).and(nz(u).not()).and(nz(ur)).and(ur.ne(left))
      .or(nz(left).not().and(nz(u).not()).and(nz(ul)).and(nz(ur)).and(ur.ne(ul)));
    mlNow = ur;
  } else {
    lnb = mux(nz(left), left, u);
    start = nz(left).not().and(nz(u).not());
    mrgNow = nz(left).and(nz(u)).and(u.ne(left));
    mlNow = u;
  }
  const lnbW = m.let('lab_neighbour', lnb);
  const startW = m.let('lab_start', start);
  const canPop = sp.ne(0);
  const canNew = nxt.le(lit(Nt, nxtW));
  const allocOk = m.let('lab_alloc_ok', canPop.or(canNew));
  const newLabel = mux(canPop, top, fit(nxt, LW)); // nxt ≤ Nt when used
  const hitNow = slots.map((s) => s.eq(pl)).reduce((a, b) => a.or(b));

  // The cell's features in frame coordinates, from its local moments, in two steps: DEC registers the cell and the
  // products (multipliers: RAM → DSP → register), F0 adds them up (carry chains: register → register).
  const x0 = fit(cx.shl(LC), p.xW); // cx·C ≤ W−1
  const y0 = fit(cy.shl(LC), p.yW);
  const fw = p.fw;
  const cellR = m.reg('lab_cell_r', p.cellWidth, { reset: null }); // the cell, registered in DEC
  const cr = unpack(cellR, p.cellFields);
  // A frame narrower or shorter than one cell: the cell fields are sized for a full C×C cell, the features for the
  // W×H frame, so the top bits of the local moments are provably zero and are cut off.
  if (p.W < C || p.H < C) [cellR, cellQ].forEach((r) => r.markUnused());
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
  const prods = prodDefs.map(([name, e]) => ({ reg: m.reg(`lab_pp_${name}`, e.width, { reset: null }), value: e }));
  const pp = Object.fromEntries(prodDefs.map(([name], i) => [name, prods[i]!.reg])) as Record<string, Signal>;
  const g: Record<string, Expr> = {};
  g.area = fit(cr.n!, fw.area);
  if (C === 1) {
    g.sumX = pp.nx!;
    g.sumY = pp.ny!;
    g.sumXX = pp.nxx!;
    g.sumYY = pp.nyy!;
    g.sumXY = pp.nxy!;
    g.xmin = x0; g.xmax = x0; g.ymin = y0; g.ymax = y0;
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
  g.cells = lit(1, fw.cells);
  for (let b = 0; b < B; b++) g[`hist${b}`] = fit(cr[`h${b}`]!, fw.histBin);
  const cellFeat = m.let('lab_cell_global', pack(g, p.featFields));

  // feature table
  const featDepth = Nt + 1;
  const featAW = Math.ceil(Math.log2(Math.max(2, featDepth)));
  const feat = m.ram('feat', { width: p.featWidth, depth: Math.max(2, featDepth), style: 'auto' });
  const featRa = mux(inS(S.F1), ml, mux(inS(S.F0), lab, dl));
  const featQ = feat.read(fit(featRa, featAW), { name: 'feat_q' });
  feat.write(inS(S.WR), fit(lab, featAW), mux(alloc, cg, acc));
  // feature merge: featQ ⊕ (F1: the cell's features, F2: the accumulator)
  const fa = unpack(featQ, p.featFields);
  const fb = unpack(mux(inS(S.F2), acc, cg), p.featFields);
  const mergedV: Record<string, Expr> = {};
  for (const f of p.featFields) {
    const a = fa[f.name]!, b = fb[f.name]!;
    if (f.name === 'xmin' || f.name === 'ymin' || f.name === 'first') mergedV[f.name] = minE(a, b);
    else if (f.name === 'xmax' || f.name === 'ymax') mergedV[f.name] = maxE(a, b);
    else mergedV[f.name] = fit(a.add(b), f.width); // sums of disjoint pixel sets of one object: fit by construction
  }
  const merged = m.let('lab_merged', pack(mergedV, p.featFields));

  // free-label stack (RAM below a cached top)
  const stkDepth = Math.max(2, Nt);
  const stkAW = Math.ceil(Math.log2(stkDepth));
  const stk = m.ram('free_stack', { width: LW, depth: stkDepth, style: 'distributed' });
  const stkQ = stk.read(fit(sp.sub(2), stkAW), { name: 'free_stack_q' });
  const pushNow = m.let('free_push', inS(S.F2).or(inS(S.E1).and(outValid.not().or(ovf))));
  const pushVal = mux(inS(S.F2), ml, dl);
  stk.write(pushNow.and(canPop), fit(sp.sub(1), stkAW), top);

  // commit: completion test of the label leaving the window
  const newL = mux(act, lab, zeroL);
  const complete = m.let('lab_complete',
    nz(pl).and(mrg.and(pl.eq(ml)).not()).and(pl.ne(newL)).and(hit.not()));
  const e1Go = inS(S.E1).and(outValid.not().or(ovf));
  // inactive cell committed in DEC: the label leaving the window is complete when no ring slot holds it
  const completeInline = p.inlineCommit ? m.let('lab_complete_inline', nz(pl).and(hitNow.not())) : lit(0, 1);
  const decGo = p.inlineCommit ? inS(S.DEC).and(active.not()).and(completeInline.not()) : lit(0, 1);
  const adv = m.let('lab_adv', inS(S.COMMIT).and(complete.not()).or(e1Go).or(decGo));
  const stepNext = adv.and(tail.not()).and(cx.ne(Wc - 1));
  m.assign(labRa, mux(stepNext, fit(cx.add(1), p.cxW), cx));
  const rowDone = adv.and(tail);
  m.assign(release, rowDone.and(virt.not()));
  const jobLastSel = mux(labBank, jobLast[1]!, jobLast[0]!);
  const jobErrSel = mux(labBank, jobErr[1]!, jobErr[0]!);
  const repl = (e: Expr): Expr => mux(mrg.and(e.eq(ml)), lab, e);

  const objRecord = cat(...(p.outWidth > 1 + p.featWidth ? [lit(0, p.outWidth - 1 - p.featWidth)] : []), featQ, lit(0, 1));
  const eofBits = 1 + p.countWidth + 2;
  const eofRecord = cat(...(p.outWidth > eofBits ? [lit(0, p.outWidth - eofBits)] : []), ferr, ovf, cnt, lit(1, 1));

  m.sync((q) => {
    q.if(outValid.and(mReady), () => q.set(outValid, 0));
    q.if(reload, () => {
      q.set(top, stkQ);
      q.set(reload, 0);
    });
    q.if(pushNow, () => {
      q.set(top, pushVal);
      q.set(sp, fit(sp.add(1), spW));
      q.set(inUse, fit(inUse.sub(1), spW));
    });
    q.switch(st, {
      [S.IDLE]: () => {
        q.if(mux(labBank, busy1, busy0), () => {
          q.set(virt, 0);
          q.set(tail, 0);
          q.set(cx, 0);
          q.set(cy, mux(labBank, jobCy[1]!, jobCy[0]!));
          q.set(cxsq, 0);
          q.set(cxcy, 0);
          q.set(live, fit(inUse, liveW));
          q.set(st, S.RD);
        });
      },
      [S.RD]: () => {
        q.set(cysq, fit(cy.mul(cy), cysqW));
        q.set(st, S.DEC);
      },
      [S.DEC]: () => {
        const startNow = active.and(startW);
        const actNow = active.and(startW.not().or(allocOk));
        q.set(act, actNow);
        q.set(lab, mux(startW, newLabel, lnbW));
        q.set(mrg, active.and(mrgNow));
        q.set(ml, mlNow);
        q.set(alloc, startW);
        q.set(hit, hitNow);
        q.set(cellR, cellQ);
        for (const pr of prods) q.set(pr.reg, pr.value);
        q.if(startNow, () => {
          q.set(live, fit(live.add(1), liveW));
          q.if(live.ge(lit(N, liveW)).or(allocOk.not()), () => q.set(ovf, 1));
          q.if(allocOk, () => {
            q.set(inUse, fit(inUse.add(1), spW));
            q.if(canPop, () => {
              q.set(sp, fit(sp.sub(1), spW));
              q.set(reload, 1);
            }).else(() => q.set(nxt, fit(nxt.add(1), nxtW)));
          });
        });
        q.set(st, mux(actNow, lit(S.F0, 4), lit(S.COMMIT, 4)));
        // with inlineCommit an inactive cell (and the tail step) commits right here: one clock, +2 when an object
        // completes
        if (p.inlineCommit) q.if(active.not(), () => {
          q.if(tail.not(), () => {
            slots.forEach((sl, i) => q.set(sl, i < Wc - 1 ? slots[i + 1]! : zeroL));
            q.set(pl, slots[0]!);
          }).else(() => q.set(pl, 0));
          q.if(completeInline, () => {
            q.set(dl, pl);
            q.set(st, S.E0);
          });
        });
      },
      [S.F0]: () => {
        q.set(cg, cellFeat);
        q.set(st, mux(alloc, lit(S.WR, 4), lit(S.F1, 4)));
      },
      [S.F1]: () => {
        q.set(acc, merged);
        q.set(st, mux(mrg, lit(S.F2, 4), lit(S.WR, 4)));
      },
      [S.F2]: () => {
        q.set(acc, merged);
        q.set(st, S.WR);
      },
      [S.WR]: () => q.set(st, S.COMMIT),
      [S.COMMIT]: () => {
        q.if(tail.not(), () => {
          slots.forEach((s, i) => q.set(s, repl(i < Wc - 1 ? slots[i + 1]! : newL)));
          q.set(pl, repl(slots[0]!));
        }).else(() => q.set(pl, 0));
        q.if(complete, () => {
          q.set(dl, pl);
          q.set(st, S.E0);
        });
      },
      [S.E0]: () => q.set(st, S.E1),
      [S.E1]: () => {
        q.if(outValid.not().and(ovf.not()), () => {
          q.set(outData, objRecord);
          q.set(outLast, 0);
          q.set(outValid, 1);
          q.set(cnt, fit(cnt.add(1), p.countWidth));
        });
      },
      [S.EOF]: () => {
        q.if(outValid.not(), () => {
          q.set(outData, eofRecord);
          q.set(outLast, 1);
          q.set(outValid, 1);
          q.set(ovf, 0);
          q.set(ferr, 0);
          q.set(cnt, 0);
          q.set(nxt, 1);
          q.set(sp, 0);
          q.set(inUse, 0);
          q.set(st, S.IDLE);
        });
      },
      default: () => {},
    });
    // advance to the next cell (or finish the row) after COMMIT / E1
    q.if(adv, () => {
      q.if(tail, () => {
        q.if(virt, () => q.set(st, S.EOF)).else(() => {
          q.set(labBank, labBank.not());
          q.if(jobLastSel, () => {
            q.set(virt, 1);
            q.set(tail, 0);
            q.set(cx, 0);
            q.set(cxsq, 0);
            q.set(cxcy, 0);
            q.set(ferr, jobErrSel);
            q.set(st, S.DEC);
          }).else(() => q.set(st, S.IDLE));
        });
      }).elif(cx.eq(Wc - 1), () => {
        q.set(tail, 1);
        q.set(st, S.DEC);
      }).else(() => {
        q.set(cx, fit(cx.add(1), p.cxW));
        q.set(cxsq, fit(cxsq.add(fit(cx.shl(1), cxsqW + 1)).add(1), cxsqW));
        q.set(cxcy, fit(cxcy.add(cy), cxcyW));
        q.set(st, S.DEC);
      });
    });
  });
  return m;
}
