/**
 * Run extractor of the pixel-exact core at P > 1 (C = 1; docs/ccl.md "Pixel-exact labeling at P > 1"): takes one
 * P-pixel word per clock and turns each line into tokens for the run labeler (runlab.ts): one token per foreground
 * run (xs, xe, y and its line sums n, Σx, Σx², [Σx³], histogram counts) and an end-of-line token per line.
 *
 * The word is held in `wd_rem_q` (its foreground bits still to be done). Each clock takes the lowest run of ones of
 * it, seg = rem & ~(rem + (rem & −rem)), with its word moments n = popcount, Σi, Σi², Σi³ over the set positions and
 * the per-bin counts; with the word base X (and X², X³ kept incrementally along the line) the line sums are
 * Σx = nX + Σi, Σx² = nX² + 2XΣi + Σi², Σx³ = nX³ + 3X²Σi + 3XΣi² + Σi³. A segment reaching the word's last pixel
 * (not at the line end) stays open in the run accumulator and is continued by the next word's segment at pixel 0.
 * A word that closes no run takes one clock; a word that closes k runs takes k clocks (+1 for the end-of-line
 * token), so `s_tready` drops only on words with more than one run end. `s_tready` depends on registers and on the
 * labeler's `tok_ready` (a state decode), never on `m_tready`.
 */
import { Module, Expr, Signal, lit, mux, cat } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { fit, sumW } from './util.js';

/** Widths of a token's line sums (a whole line of foreground at most). */
export function runWidths(p: CclRtlParams): { n: number; sx: number; sxx: number; sxxx: number } {
  const W = BigInt(p.W);
  return {
    n: bitsFor(p.W),
    sx: bitsFor((W * (W - 1n)) / 2n),
    sxx: bitsFor(((W - 1n) * W * (2n * W - 1n)) / 6n),
    sxxx: bitsFor(((W * (W - 1n)) / 2n) ** 2n),
  };
}

/** The token fields after tok_valid/tok_eol: name → width. */
export function tokenFields(p: CclRtlParams): Array<{ name: string; width: number }> {
  const rw = runWidths(p);
  const f = [
    { name: 'tok_xs', width: p.xW }, { name: 'tok_xe', width: p.xW }, { name: 'tok_y', width: p.yW },
    { name: 'tok_y2', width: bitsFor((p.H - 1) ** 2) },
    { name: 'tok_n', width: rw.n }, { name: 'tok_sx', width: rw.sx }, { name: 'tok_sxx', width: rw.sxx },
  ];
  if (p.third) f.push({ name: 'tok_y3', width: bitsFor(BigInt(p.H - 1) ** 3n) }, { name: 'tok_sxxx', width: rw.sxxx });
  for (const g of p.histGroups) for (let b = 0; b < g.bins; b++) f.push({ name: `tok_${g.cellPrefix}${b}`, width: rw.n });
  return f;
}

/** Word moments of a segment mask: n, Σi, Σi², Σi³ (i = pixel in the word) and the count per bin of each group. */
function segMoments(p: CclRtlParams, seg: Expr, bins: Expr[]): { n: Expr; s1: Expr; s2: Expr; s3: Expr; hist: Expr[][] } {
  const P = p.P;
  const bit = (i: number): Expr => seg.bit(i);
  const w = (v: number): number => bitsFor(v);
  const weighted = (f: (i: number) => number): Expr => {
    const total = Array.from({ length: P }, (_, i) => f(i)).reduce((a, b) => a + b, 0);
    return sumW(Array.from({ length: P }, (_, i) => mux(bit(i), lit(f(i), w(total)), lit(0, w(total)))), w(total));
  };
  const hist = p.histGroups.map((g, k) => Array.from({ length: g.bins }, (_, b) =>
    sumW(Array.from({ length: P }, (_, i) => bit(i).and(bins[k]!.slice((i + 1) * g.bits - 1, i * g.bits).eq(lit(b, g.bits))).resize(w(P))), w(P))));
  return { n: weighted(() => 1), s1: weighted((i) => i), s2: weighted((i) => i * i), s3: weighted((i) => i * i * i), hist };
}

/** Highest / lowest set position of a one-hot-run mask (priority encoders). */
function msbPos(v: Expr, w: number): Expr {
  let e: Expr = lit(0, w);
  for (let i = 0; i < v.width; i++) e = mux(v.bit(i), lit(i, w), e);
  return e;
}
function lsbPos(v: Expr, w: number): Expr {
  let e: Expr = lit(0, w);
  for (let i = v.width - 1; i >= 0; i--) e = mux(v.bit(i), lit(i, w), e);
  return e;
}

export function buildCclRuns(p: CclRtlParams): Module {
  const { P, W, H, LP } = p;
  const m = new Module(`${p.name}_runs`, {
    doc: `CCL run extractor: ${P} pixels per clock → runs of each line (${W}x${H})`,
    config: { width: W, height: H, ppc: P, histGroups: p.histGroups.map((g) => `${g.kind}${g.bins}`).join(',') },
  });
  const rw = runWidths(p);
  const sValid = m.input('s_tvalid', 1), sLast = m.input('s_tlast', 1), sUser = m.input('s_tuser', 1);
  const sReady = m.output('s_tready', 1);
  const fg = m.input('px_fg', P);
  const binIn = p.histGroups.map((g) => m.input(`px_${g.cellPrefix}bin`, P * g.bits));
  const tokReady = m.input('tok_ready', 1);
  const tokValid = m.output('tok_valid', 1), tokEol = m.output('tok_eol', 1), tokLast = m.output('tok_last', 1), tokErr = m.output('tok_err', 1);
  const fields = tokenFields(p);
  const out: Record<string, Signal> = Object.fromEntries(fields.map((f) => [f.name, m.output(f.name, f.width)]));

  // input position (of the next word) and the word's base powers, kept incrementally
  const wordW = bitsFor(p.WP - 1);
  const inW = m.reg('in_word_q', wordW), inY = m.reg('in_y_q', p.yW);
  const x2W = bitsFor((W - P) ** 2), x3W = bitsFor(BigInt(W - P) ** 3n);
  const inX2 = m.reg('in_x2_q', x2W), inX3 = p.third ? m.reg('in_x3_q', x3W) : null;
  const y2W = out.tok_y2!.width, y3W = out.tok_y3?.width ?? 1;
  const inY2 = m.reg('in_y2_q', y2W), inY3 = p.third ? m.reg('in_y3_q', y3W) : null;
  const err = m.reg('in_err_q', 1);
  // the held word
  const held = m.reg('wd_held_q', 1), rem = m.reg('wd_rem_q', P);
  const wX = m.reg('wd_x_q', p.xW), wX2 = m.reg('wd_x2_q', x2W), wX3 = inX3 ? m.reg('wd_x3_q', x3W) : null;
  const wY = m.reg('wd_y_q', p.yW), wY2 = m.reg('wd_y2_q', y2W), wY3 = inY3 ? m.reg('wd_y3_q', y3W) : null;
  const wEol = m.reg('wd_eol_q', 1), wLastLine = m.reg('wd_last_line_q', 1), wErr = m.reg('wd_err_q', 1);
  const wBins = p.histGroups.map((g) => m.reg(`wd_${g.cellPrefix}bin_q`, P * g.bits, { reset: null }));
  // the open run
  const open = m.reg('run_open_q', 1), oXs = m.reg('run_xs_q', p.xW);
  const oN = m.reg('run_n_q', rw.n), oSx = m.reg('run_sx_q', rw.sx), oSxx = m.reg('run_sxx_q', rw.sxx);
  const oSxxx = p.third ? m.reg('run_sxxx_q', rw.sxxx) : null;
  const oH = p.histGroups.map((g) => Array.from({ length: g.bins }, (_, b) => m.reg(`run_${g.cellPrefix}${b}_q`, rw.n)));
  // the token register
  const tv = m.reg('tok_valid_q', 1), te = m.reg('tok_eol_q', 1), tl = m.reg('tok_last_q', 1), terr = m.reg('tok_err_q', 1);
  const treg: Record<string, Signal> = Object.fromEntries(fields.map((f) => [f.name, m.reg(`${f.name}_q`, f.width, { reset: null })]));
  m.assign(tokValid, tv); m.assign(tokEol, te); m.assign(tokLast, tl); m.assign(tokErr, terr);
  for (const f of fields) m.assign(out[f.name]!, treg[f.name]!);

  // the lowest run of ones of the held word and its sums in line coordinates
  const low = m.let('seg_low', rem.and(fit(rem.not().add(1), P)));
  const seg = m.let('seg_mask', rem.and(fit(rem.add(low), P).not()));
  const mo = segMoments(p, seg, wBins);
  const X = wX;
  const sx = fit(fit(mo.n.mul(X), rw.sx).add(mo.s1), rw.sx);
  const sxx = fit(fit(mo.n.mul(wX2), rw.sxx).add(fit(X.mul(mo.s1).shl(1), rw.sxx)).add(mo.s2), rw.sxx);
  const sxxx = wX3
    ? fit(fit(mo.n.mul(wX3), rw.sxxx).add(fit(wX2.mul(mo.s1).mul(lit(3, 2)), rw.sxxx)).add(fit(X.mul(mo.s2).mul(lit(3, 2)), rw.sxxx)).add(mo.s3), rw.sxxx)
    : null;
  const posW = Math.max(1, LP);
  const segLo = fit(X.add(lsbPos(seg, posW)), p.xW), segHi = fit(X.add(msbPos(seg, posW)), p.xW);
  const join = open.and(rem.bit(0));
  const accN = fit(mux(join, oN, lit(0, rw.n)).add(mo.n), rw.n);
  const accSx = fit(mux(join, oSx, lit(0, rw.sx)).add(sx), rw.sx);
  const accSxx = fit(mux(join, oSxx, lit(0, rw.sxx)).add(sxx), rw.sxx);
  const accSxxx = sxxx && oSxxx ? fit(mux(join, oSxxx, lit(0, rw.sxxx)).add(sxxx), rw.sxxx) : null;
  const accH = oH.map((gs, k) => gs.map((o, b) => fit(mux(join, o, lit(0, rw.n)).add(mo.hist[k]![b]!), rw.n)));
  const accXs = mux(join, oXs, segLo);

  const outFree = m.let('tok_free', tv.not().or(tokReady));
  const go = held.and(outFree);
  const remZero = rem.eq(0);
  const closeOpen = m.let('run_close_open', go.and(open).and(rem.bit(0).not())); // case A: the open run ended at the word edge
  const segGo = m.let('run_seg', go.and(closeOpen.not()).and(remZero.not())); // case B
  const keepOpen = segGo.and(seg.bit(P - 1)).and(wEol.not());
  const segClose = segGo.and(keepOpen.not());
  const eolGo = go.and(closeOpen.not()).and(remZero).and(wEol); // case C at the line end
  const remAfter = mux(segGo, mux(keepOpen, lit(0, P), rem.and(seg.not())), rem);
  // the word is done after this clock: A with nothing left (and no end-of-line token due), B keeping the run open or
  // leaving nothing (not at the line end), or C (nothing left: the end-of-line token goes now, if due)
  const doneA = remZero.and(wEol.not());
  const doneB = keepOpen.or(remAfter.eq(0).and(wEol.not()));
  const done = m.let('wd_done', go.and(mux(closeOpen, doneA, mux(segGo, doneB, remZero))));
  const ready = m.let('in_ready', held.not().or(done));
  m.assign(sReady, ready);
  const fire = sValid.and(ready);

  m.sync((q) => {
    q.if(tv.and(tokReady), () => q.set(tv, 0));
    // ---- tokens
    const emitRun = (xs: Expr, xe: Expr, n: Expr, sxE: Expr, sxxE: Expr, sxxxE: Expr | null, h: Expr[][]): void => {
      q.set(tv, 1); q.set(te, 0); q.set(tl, 0); q.set(terr, 0);
      q.set(treg.tok_xs!, xs); q.set(treg.tok_xe!, xe);
      q.set(treg.tok_y!, wY); q.set(treg.tok_y2!, wY2);
      if (wY3) q.set(treg.tok_y3!, wY3);
      q.set(treg.tok_n!, n); q.set(treg.tok_sx!, sxE); q.set(treg.tok_sxx!, sxxE);
      if (sxxxE) q.set(treg.tok_sxxx!, sxxxE);
      p.histGroups.forEach((g, k) => { for (let b = 0; b < g.bins; b++) q.set(treg[`tok_${g.cellPrefix}${b}`]!, h[k]![b]!); });
    };
    q.if(closeOpen, () => {
      emitRun(oXs, fit(X.sub(1), p.xW), oN, oSx, oSxx, oSxxx, oH);
      q.set(open, 0);
    });
    q.if(segClose, () => {
      emitRun(accXs, segHi, accN, accSx, accSxx, accSxxx, accH);
      q.set(open, 0);
    });
    q.if(keepOpen, () => {
      q.set(open, 1); q.set(oXs, accXs); q.set(oN, accN); q.set(oSx, accSx); q.set(oSxx, accSxx);
      if (oSxxx && accSxxx) q.set(oSxxx, accSxxx);
      oH.forEach((gs, k) => gs.forEach((o, b) => q.set(o, accH[k]![b]!)));
    });
    q.if(eolGo, () => {
      q.set(tv, 1); q.set(te, 1); q.set(tl, wLastLine); q.set(terr, wErr);
    });
    q.if(go, () => q.set(rem, remAfter));
    q.if(done, () => q.set(held, 0));
    // ---- input
    q.if(fire, () => {
      const lineEnd = inW.eq(p.WP - 1), frameStart = inW.eq(0).and(inY.eq(0)), lastLine = inY.eq(H - 1);
      const bad = sUser.ne(frameStart).or(sLast.ne(lineEnd));
      const errNow = mux(frameStart, bad, err.or(bad));
      q.set(held, 1); q.set(rem, fg);
      q.set(wX, fit(cat(inW, lit(0, LP)), p.xW)); q.set(wX2, inX2);
      if (wX3 && inX3) q.set(wX3, inX3);
      q.set(wY, inY); q.set(wY2, inY2);
      if (wY3 && inY3) q.set(wY3, inY3);
      q.set(wEol, lineEnd); q.set(wLastLine, lastLine); q.set(wErr, errNow);
      wBins.forEach((b, k) => q.set(b, binIn[k]!));
      q.set(err, errNow);
      q.if(lineEnd, () => {
        q.set(inW, 0); q.set(inX2, 0);
        if (inX3) q.set(inX3, 0);
        q.if(lastLine, () => { q.set(inY, 0); q.set(inY2, 0); if (inY3) q.set(inY3, 0); }).else(() => {
          // (y+1)² = y² + 2y + 1, (y+1)³ = y³ + 3y² + 3y + 1
          q.set(inY, fit(inY.add(1), p.yW));
          q.set(inY2, fit(inY2.add(fit(inY.shl(1), y2W)).add(1), y2W));
          if (inY3) q.set(inY3, fit(inY3.add(fit(inY2.mul(lit(3, 2)), y3W)).add(fit(inY.mul(lit(3, 2)), y3W)).add(1), y3W));
        });
      }).else(() => {
        // X' = X + P: X'² = X² + 2P·X + P², X'³ = X³ + 3P·X² + 3P²·X + P³
        const Xn = fit(cat(inW, lit(0, LP)), p.xW);
        q.set(inW, fit(inW.add(1), wordW));
        q.set(inX2, fit(inX2.add(fit(Xn.shl(LP + 1), x2W)).add(P * P), x2W));
        if (inX3) q.set(inX3, fit(inX3.add(fit(inX2.mul(lit(3 * P, bitsFor(3 * P))), x3W)).add(fit(Xn.mul(lit(3 * P * P, bitsFor(3 * P * P))), x3W)).add(P * P * P), x3W));
      });
    });
  });
  return m;
}
