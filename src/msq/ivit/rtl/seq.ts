/**
 * The nonlinear unit's once-per-row sequential datapath (docs/ivit.md "Nonlinear unit"), each part a fixed number
 * of cycles so the cycle count of a row depends only on its length:
 *   PREP0/PREPA/PREPB  D = eps + n·Σx² − (Σx)² by shift-and-add (LB + MW cycles, no DSP)
 *   SQRT               floor(sqrt(D)) by digit recurrence, 2 bits a cycle (DW/2 cycles; equal to the golden Newton
 *                      iteration's result, which is exactly floor(sqrt(D)))
 *   VSET/NORM          v = Σt (Shiftmax) or max(1, sqrt) (LN), shifted up until its top bit is set: b = bitlength(v)
 *   DIV                f = floor(2^(b+R) / v) by restoring division, one quotient bit a cycle (R + 2 cycles)
 */
import { cat, lit, mux, type Expr, type Module, type Signal } from '../../../hdl/index.js';
import type { NlWidths } from './params.js';

export interface SeqIn {
  /** one-hot state flags */
  inPrep0: Expr;
  inPrepA: Expr;
  inPrepB: Expr;
  inSqrt: Expr;
  inVset: Expr;
  inNorm: Expr;
  inDiv: Expr;
  lastA: Expr;
  lastB: Expr;
  lastNorm: Expr;
  isSm: Expr;
  eps: Signal;
  len: Signal;
  sx: Signal;
  sxx: Signal;
  total: Signal;
}

export function seqDatapath(m: Module, w: NlWidths, i: SeqIn): { f: Signal; b: Signal } {
  const { DW, RTW, VW, FW, BW, MW } = w;
  const d = m.reg('ln_d_q', DW, { reset: null });
  const mcand = m.reg('mul_cand_q', DW, { reset: null });
  const mplier = m.reg('mul_plier_q', MW, { reset: null });
  const rem = m.reg('sqrt_rem_q', RTW + 2, { reset: null });
  const root = m.reg('sqrt_root_q', RTW, { reset: null });
  const v = m.reg('recip_v_q', VW, { reset: null });
  const b = m.reg('recip_b_q', BW, { reset: null });
  const drem = m.reg('recip_rem_q', VW, { reset: null });
  const f = m.reg('recip_f_q', FW, { reset: null });
  const absSx = m.let('abs_sx', mux(i.sx.lt(0), i.sx.neg(), i.sx.resize(w.SXW + 1)).asUnsigned().trunc(w.SXW));
  const addend = m.let('mul_addend', mux(mplier.bit(0), mcand, lit(0, DW)));
  // digit recurrence: remT = rem·4 + next two bits of D; trial = root·4 + 1
  const remT = m.let('sqrt_rem_t', cat(rem, d.slice(DW - 1, DW - 2)));
  const trial = m.let('sqrt_trial', cat(root, lit(1, 2)));
  const sqGe = m.let('sqrt_ge', remT.ge(trial.resize(RTW + 4)));
  // restoring division: rem2 = rem·2; subtract v when it fits
  const rem2 = m.let('recip_rem2', cat(drem, lit(0, 1)));
  const dvGe = m.let('recip_ge', rem2.ge(v.resize(VW + 1)));
  m.sync((p) => {
    p.if(i.inPrep0, () => {
      p.set(d, i.eps.resize(DW));
      p.set(mcand, i.sxx.resize(DW));
      p.set(mplier, i.len.resize(MW));
    });
    p.if(i.inPrepA.or(i.inPrepB), () => {
      p.set(d, mux(i.inPrepA, d.add(addend).trunc(DW), d.sub(addend).trunc(DW)));
      p.set(mcand, mcand.shl(1).trunc(DW));
      p.set(mplier, mplier.shr(1));
      p.if(i.inPrepA.and(i.lastA), () => {
        p.set(mcand, absSx.resize(DW));
        p.set(mplier, absSx.resize(MW));
      });
      p.if(i.inPrepB.and(i.lastB), () => {
        p.set(rem, 0);
        p.set(root, 0);
      });
    });
    p.if(i.inSqrt, () => {
      p.set(rem, mux(sqGe, remT.sub(trial.resize(RTW + 4)).trunc(RTW + 2), remT.trunc(RTW + 2)));
      p.set(root, cat(root, sqGe).trunc(RTW));
      p.set(d, d.shl(2).trunc(DW));
    });
    p.if(i.inVset, () => {
      p.set(v, mux(i.isSm, i.total.resize(VW), mux(root.eq(0), lit(1, RTW), root).resize(VW)));
      p.set(b, VW);
    });
    p.if(i.inNorm, () => {
      p.if(v.bit(VW - 1).not(), () => {
        p.set(v, v.shl(1).trunc(VW));
        p.set(b, b.sub(1).trunc(BW));
      });
      p.if(i.lastNorm, () => {
        p.set(drem, 2 ** (VW - 2));
        p.set(f, 0);
      });
    });
    p.if(i.inDiv, () => {
      p.set(drem, mux(dvGe, rem2.sub(v).trunc(VW), rem2.trunc(VW)));
      p.set(f, cat(f, dvGe).trunc(FW));
    });
  });
  return { f, b };
}
