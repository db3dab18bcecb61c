/**
 * The nonlinear unit's element pipeline (docs/ivit.md "Nonlinear unit"): ten register stages after the row
 * buffer's read, all advanced by one enable `adv`, shared by the three modes. Each stage computes exactly one step
 * of the golden operator (conventions.ts), so the stage comments read as the golden code (sK_*_q: input of SK):
 *   S1  Shiftmax Δ = clamp(x − max)·2^(E−F); ShiftGELU clamp(x)·2^(E−F);     LN num = n·x − Σx
 *   S2  ShiftGELU y = 1.702·xe;                                                LN num·f
 *   S3  u = −log2e(arg ≤ 0);                                                   LN z = round(num·f >> (b+7))
 *   S4  t = shift-exponential(u);                                              LN a = γ·z + β
 *   S5  Shiftmax t·f;  ShiftGELU σ table[t >> 8]
 *   S6  acc = Shiftmax min(255, round(t·f >> (b+7))) | ShiftGELU x·σ | LN a
 *   S7  acc·M
 *   S8  acc·M + 2^(S−1);  S9  >> S;  S10 clamp to the output range (Shiftmax: acc itself) → m_out
 */
import { cat, lit, mux, type Expr, type Module, type Signal } from '../../../hdl/index.js';
import { EXP_FRAC, SIG_T_BITS } from '../conventions.js';
import { sigmoidOfExp } from '../shiftgelu.js';
import type { NlWidths } from './params.js';

/** What the pipeline reads from the control part (all registers, stable while a row is emitted). */
export interface PipeIn {
  adv: Expr;
  isSm: Expr;
  isGelu: Expr;
  /** row buffer read data (stage 1) */
  xq: Signal;
  /** LN parameter word read data (stage 1) */
  pq: Signal;
  rowMax: Signal;
  frac: Signal;
  len: Signal;
  sx: Signal;
  f: Signal;
  b: Signal;
  mul: Signal;
  shift: Signal;
  outBits: Signal;
  outSigned: Signal;
}

/** A register updated from `v` whenever the pipeline advances. */
function stage(m: Module, adv: Expr, name: string, v: Expr): Signal {
  const r = m.reg(name, v.width, { signed: v.signed, reset: null });
  m.sync((p) => p.if(adv, () => p.set(r, v)));
  return r;
}

/**
 * floor((v + 2^(sh−1)) / 2^sh) for signed v and 1 ≤ sh ≤ shMax, exact (the conventions' rounding). `sh` is a
 * register (or a copy of one) that is constant while elements flow, so 2^(sh−1) is kept in a register too (one
 * cycle behind `sh`: sh changes only in the once-per-row part, many cycles before EMIT).
 */
export function roundShr(m: Module, name: string, v: Expr, sh: Expr, shMax: number): Expr {
  const iw = Math.max(v.width, shMax + 1) + 1;
  const shm1 = sh.sub(1).trunc(sh.width);
  const half = m.reg(`${name}_half_q`, iw, { signed: true, reset: null });
  m.sync((p) => p.set(half, lit(1, iw).shl(shm1).asSigned()));
  return m.let(`${name}_sum`, v.resize(iw).add(half)).shr(sh);
}

/** S1–S3: the exponential's argument, log2e and the shift-exponential; LN's num and num·f. */
function stagesExp(m: Module, w: NlWidths, i: PipeIn) {
  const { adv } = i;
  // S1 (Shiftmax / ShiftGELU): inputs below −2^(F+5) (resp. |x| > 2^(F+5)) give t = 0 in the golden model too
  // job constants from frac (set in H0, at least 4 cycles before a row): 2^(F+5), −2^(F+5), E − F, in registers
  const lim = m.reg('s1_lim_q', 22, { signed: true, reset: null });
  const negLim = m.reg('s1_neg_lim_q', 23, { signed: true, reset: null });
  const align = m.reg('s1_align_q', 5, { reset: null });
  const limV = cat(lit(0, 1), lit(32, 21).shl(i.frac)).asSigned();
  m.sync((p) => {
    p.set(lim, limV);
    p.set(negLim, limV.neg());
    p.set(align, lit(EXP_FRAC, 5).sub(i.frac).trunc(5));
  });
  const delta = m.let('s1_delta', i.xq.sub(i.rowMax).resize(23));
  const dc = m.let('s1_delta_c', mux(delta.lt(negLim), negLim, delta));
  const x23 = i.xq.resize(23);
  const xc = m.let('s1_x_c', mux(x23.lt(negLim), negLim, mux(x23.gt(lim.resize(23)), lim.resize(23), x23)));
  const de = dc.shl(align); // |de| ≤ 2^21
  const ea = stage(m, adv, 's2_align_q', mux(i.isSm, de, xc.shl(align))); // |.| ≤ 2^21
  // S2: ShiftGELU y = 1.6875·xe
  const y = m.let('s2_y1702', ea.add(ea.shr(1)).add(ea.shr(3)).add(ea.shr(4)).trunc(24));
  const earg = stage(m, adv, 's3_arg_q', mux(i.isSm, ea.resize(24), y));
  const lenS = cat(lit(0, 1), i.len).asSigned();
  const num = stage(m, adv, 's2_num_q', lenS.mul(i.xq).sub(i.sx).trunc(w.NW));
  // S3: neg = Shiftmax Δ | −|y|;  u = −(neg + (neg >> 1) − (neg >> 4))
  const neg = m.let('s3_neg', mux(i.isSm.or(earg.lt(0)), earg, earg.neg().trunc(24)));
  const lg = m.let('s3_log2e', neg.add(neg.shr(1)).sub(neg.shr(4)).trunc(24)); // ≥ −1.4375·2^22 − 1
  const u = stage(m, adv, 's4_u_q', lg.neg().trunc(24).asUnsigned());
  const fS = cat(lit(0, 1), i.f).asSigned();
  const prodLn = stage(m, adv, 's3_num_f_q', num.mul(fS));
  // S4: q = u >> E, r = u mod 2^E, t = (2^E − (r >> 1)) >> q (0 for q > E);  LN (S3) z = round(num·f >> (b + 7))
  const q = u.slice(23, EXP_FRAC);
  const lin = m.let('s4_lin', lit(2 ** EXP_FRAC, EXP_FRAC + 1).sub(u.slice(EXP_FRAC - 1, 0).shr(1)).trunc(EXP_FRAC + 1));
  const t = stage(m, adv, 's5_t_q', mux(q.gt(EXP_FRAC), lit(0, EXP_FRAC + 1), lin.shr(q.slice(4, 0))));
  const shZ = m.reg('recip_shift_q', w.BW + 1, { reset: null }); // b + 7 (constant while a row is emitted)
  m.sync((p) => p.set(shZ, i.b.resize(w.BW + 1).add(7).trunc(w.BW + 1)));
  const z = stage(m, adv, 's4_z_q', roundShr(m, 's3_z', prodLn, shZ, w.VW + 7).trunc(w.ZW));
  return { t, z, shZ };
}

/** The whole pipeline: returns the exponential (input of S5: Shiftmax's sum, tag NL_SUM_STAGE) and the output word. */
export function elementPipe(m: Module, w: NlWidths, i: PipeIn): { t: Signal; out: Signal } {
  const { adv } = i;
  const { t, z, shZ } = stagesExp(m, w, i);
  const x2 = stage(m, adv, 's2_x_q', i.xq);
  const x3 = stage(m, adv, 's3_x_q', x2);
  const x4 = stage(m, adv, 's4_x_q', x3);
  const x5 = stage(m, adv, 's5_x_q', x4);
  const p2 = stage(m, adv, 's2_param_q', i.pq);
  const p3 = stage(m, adv, 's3_param_q', p2);
  const p4 = stage(m, adv, 's4_param_q', p3);
  // S5: Shiftmax t·f;  ShiftGELU σ table;  LN (S4) a = γ·z + β, delayed to S6
  const smProd = stage(m, adv, 's6_t_f_q', t.mul(i.f));
  const sigTable = Array.from({ length: 2 ** SIG_T_BITS + 1 }, (_, k) => sigmoidOfExp(k));
  const rom = m.rom('sig_rom', { width: 9, depth: sigTable.length, init: sigTable, style: 'distributed' });
  const sig = rom.read(t.slice(EXP_FRAC, EXP_FRAC - SIG_T_BITS), { en: adv, name: 's6_sig_q' });
  const gamma = p4.slice(31, 24).asSigned();
  const beta = p4.slice(23, 0).asSigned();
  const lnA = stage(m, adv, 's6_ln_a_q', stage(m, adv, 's5_ln_a_q', gamma.mul(z).add(beta).resize(w.AW)));
  const x6 = stage(m, adv, 's6_x_q', x5);
  // S6: acc
  const smR = m.let('s6_sm_round', roundShr(m, 's6_sm', cat(lit(0, 1), smProd).asSigned(), shZ, w.VW + 7));
  const prob = m.let('s6_prob', mux(smR.gt(255), lit(255, 9), smR.trunc(9).asUnsigned()));
  const sigma = m.let('s6_sigma', mux(x6.lt(0), lit(256, 9).sub(sig).trunc(9), sig));
  const g = x6.mul(cat(lit(0, 1), sigma).asSigned());
  const acc = stage(m, adv, 's7_acc_q', mux(i.isSm, cat(lit(0, 1), prob).asSigned().resize(w.AW), mux(i.isGelu, g.resize(w.AW), lnA)));
  // S7: acc·M
  const prodM = stage(m, adv, 's8_acc_m_q', acc.mul(cat(lit(0, 1), i.mul).asSigned()));
  // S8, S9: sum = acc·M + 2^(S−1), then y = sum >> S (floor), in two stages; S10: clamp; Shiftmax: the probability
  const iw = prodM.width + 2;
  const half = m.reg('s8_rq_half_q', iw, { signed: true, reset: null });
  m.sync((p) => p.set(half, lit(1, iw).shl(i.shift.sub(1).trunc(6)).asSigned()));
  const rqSum = stage(m, adv, 's9_rq_sum_q', prodM.resize(iw).add(half));
  const yR = stage(m, adv, 's10_round_q', rqSum.shr(i.shift));
  let probD: Expr = acc.slice(8, 0);
  for (const k of [8, 9, 10]) probD = stage(m, adv, `s${k}_prob_q`, probD);
  const pw = m.let('s10_pow', lit(1, 17).shl(i.outBits));
  const hiU = m.let('s10_hi', mux(i.outSigned, pw.shr(1).sub(1).trunc(17), pw.sub(1).trunc(17)));
  const lo = m.let('s10_lo', mux(i.outSigned, cat(lit(0, 1), pw.shr(1)).asSigned().neg(), lit(0, 19, true)));
  const hiS = cat(lit(0, 1), hiU).asSigned().resize(yR.width);
  const y = m.let('s10_y', mux(yR.gt(hiS), hiS, mux(yR.lt(lo.resize(yR.width)), lo.resize(yR.width), yR)).trunc(16));
  const out = stage(m, adv, 'out_q', mux(i.isSm, probD.resize(16), y.asUnsigned()));
  return { t, out };
}
