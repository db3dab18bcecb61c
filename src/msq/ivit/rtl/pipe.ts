/**
 * The nonlinear unit's element pipeline (docs/ivit.md "Nonlinear unit"): seven register stages after the row
 * buffer's read, all advanced by one enable `adv`, shared by the three modes. Each stage computes exactly one step
 * of the golden operator (conventions.ts), so the stage comments read as the golden code:
 *   S1  Shiftmax Δ = clamp(x − max)·2^(E−F); ShiftGELU y = 1.702·(clamp(x)·2^(E−F)); LN num = n·x − Σx
 *   S2  u = −log2e(arg ≤ 0);                                                   LN num·f
 *   S3  t = shift-exponential(u);                                              LN z = round(num·f >> (b+7))
 *   S4  Shiftmax t·f;  ShiftGELU σ table[t >> 8];                              LN a = γ·z + β
 *   S5  acc = Shiftmax min(255, round(t·f >> (b+7))) | ShiftGELU x·σ | LN a
 *   S6  acc·M
 *   S7  clamp(round(acc·M >> S)) (Shiftmax: acc itself) → m_out
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

/** floor((v + 2^(sh−1)) / 2^sh) for signed v and 1 ≤ sh ≤ shMax, exact (the conventions' rounding). */
export function roundShr(m: Module, name: string, v: Expr, sh: Expr, shMax: number): Expr {
  const iw = Math.max(v.width, shMax + 1) + 1;
  const shm1 = sh.sub(1).trunc(sh.width);
  const half = m.let(`${name}_half`, lit(1, iw).shl(shm1).asSigned());
  return m.let(`${name}_sum`, v.resize(iw).add(half)).shr(sh);
}

/** S1–S3: the exponential's argument, log2e and the shift-exponential; LN's num and num·f. */
function stagesExp(m: Module, w: NlWidths, i: PipeIn) {
  const { adv } = i;
  // S1 (Shiftmax / ShiftGELU): inputs below −2^(F+5) (resp. |x| > 2^(F+5)) give t = 0 in the golden model too
  const lim = m.let('s1_lim', cat(lit(0, 1), lit(32, 21).shl(i.frac)).asSigned()); // 2^(F+5), 22-bit signed
  const negLim = m.let('s1_neg_lim', lim.neg()); // 23-bit
  const delta = m.let('s1_delta', i.xq.sub(i.rowMax).resize(23));
  const dc = m.let('s1_delta_c', mux(delta.lt(negLim), negLim, delta));
  const x23 = i.xq.resize(23);
  const xc = m.let('s1_x_c', mux(x23.lt(negLim), negLim, mux(x23.gt(lim.resize(23)), lim.resize(23), x23)));
  const align = m.let('s1_align', lit(EXP_FRAC, 5).sub(i.frac).trunc(5));
  const de = dc.shl(align); // |de| ≤ 2^21
  const xe = m.let('s1_xe', xc.shl(align));
  const y = m.let('s1_y1702', xe.add(xe.shr(1)).add(xe.shr(3)).add(xe.shr(4)).trunc(24)); // 1.6875·xe
  const earg = stage(m, adv, 's2_arg_q', mux(i.isSm, de.resize(24), y));
  const lenS = cat(lit(0, 1), i.len).asSigned();
  const num = stage(m, adv, 's2_num_q', lenS.mul(i.xq).sub(i.sx).trunc(w.NW));
  // S2: neg = Shiftmax Δ | −|y|;  u = −(neg + (neg >> 1) − (neg >> 4))
  const neg = m.let('s2_neg', mux(i.isSm.or(earg.lt(0)), earg, earg.neg().trunc(24)));
  const lg = m.let('s2_log2e', neg.add(neg.shr(1)).sub(neg.shr(4)).trunc(24)); // ≥ −1.4375·2^22 − 1
  const u = stage(m, adv, 's3_u_q', lg.neg().trunc(24).asUnsigned());
  const fS = cat(lit(0, 1), i.f).asSigned();
  const prodLn = stage(m, adv, 's3_num_f_q', num.mul(fS));
  // S3: q = u >> E, r = u mod 2^E, t = (2^E − (r >> 1)) >> q (0 for q > E);  LN z = round(num·f >> (b + 7))
  const q = u.slice(23, EXP_FRAC);
  const lin = m.let('s3_lin', lit(2 ** EXP_FRAC, EXP_FRAC + 1).sub(u.slice(EXP_FRAC - 1, 0).shr(1)).trunc(EXP_FRAC + 1));
  const t = stage(m, adv, 's4_t_q', mux(q.gt(EXP_FRAC), lit(0, EXP_FRAC + 1), lin.shr(q.slice(4, 0))));
  const shZ = m.let('s3_shift', i.b.resize(w.BW + 1).add(7).trunc(w.BW + 1));
  const z = stage(m, adv, 's4_z_q', roundShr(m, 's3_z', prodLn, shZ, w.VW + 7).trunc(w.ZW));
  return { t, z, shZ };
}

/** The whole pipeline: returns the S4 exponential (Shiftmax's sum) and the S7 output word. */
export function elementPipe(m: Module, w: NlWidths, i: PipeIn): { t4: Signal; out: Signal } {
  const { adv } = i;
  const { t, z, shZ } = stagesExp(m, w, i);
  const x2 = stage(m, adv, 's2_x_q', i.xq);
  const x3 = stage(m, adv, 's3_x_q', x2);
  const x4 = stage(m, adv, 's4_x_q', x3);
  const p2 = stage(m, adv, 's2_param_q', i.pq);
  const p3 = stage(m, adv, 's3_param_q', p2);
  const p4 = stage(m, adv, 's4_param_q', p3);
  // S4: Shiftmax t·f;  ShiftGELU σ table;  LN a = γ·z + β
  const smProd = stage(m, adv, 's5_t_f_q', t.mul(i.f));
  const sigTable = Array.from({ length: 2 ** SIG_T_BITS + 1 }, (_, k) => sigmoidOfExp(k));
  const rom = m.rom('sig_rom', { width: 9, depth: sigTable.length, init: sigTable, style: 'distributed' });
  const sig = rom.read(t.slice(EXP_FRAC, EXP_FRAC - SIG_T_BITS), { en: adv, name: 's5_sig_q' });
  const gamma = p4.slice(31, 24).asSigned();
  const beta = p4.slice(23, 0).asSigned();
  const lnA = stage(m, adv, 's5_ln_a_q', gamma.mul(z).add(beta).resize(w.AW));
  const x5 = stage(m, adv, 's5_x_q', x4);
  // S5: acc
  const smR = m.let('s5_sm_round', roundShr(m, 's5_sm', cat(lit(0, 1), smProd).asSigned(), shZ, w.VW + 7));
  const prob = m.let('s5_prob', mux(smR.gt(255), lit(255, 9), smR.trunc(9).asUnsigned()));
  const sigma = m.let('s5_sigma', mux(x5.lt(0), lit(256, 9).sub(sig).trunc(9), sig));
  const g = x5.mul(cat(lit(0, 1), sigma).asSigned());
  const acc = stage(m, adv, 's6_acc_q', mux(i.isSm, cat(lit(0, 1), prob).asSigned().resize(w.AW), mux(i.isGelu, g.resize(w.AW), lnA)));
  // S6: acc·M
  const prodM = stage(m, adv, 's7_acc_m_q', acc.mul(cat(lit(0, 1), i.mul).asSigned()));
  const prob7 = stage(m, adv, 's7_prob_q', acc.slice(8, 0));
  // S7: round(acc·M >> S), clamp to the output range; Shiftmax: the probability
  const yR = m.let('s7_round', roundShr(m, 's7_rq', prodM, i.shift, 62));
  const pw = m.let('s7_pow', lit(1, 17).shl(i.outBits));
  const hiU = m.let('s7_hi', mux(i.outSigned, pw.shr(1).sub(1).trunc(17), pw.sub(1).trunc(17)));
  const lo = m.let('s7_lo', mux(i.outSigned, cat(lit(0, 1), pw.shr(1)).asSigned().neg(), lit(0, 19, true)));
  const hiS = cat(lit(0, 1), hiU).asSigned().resize(yR.width);
  const y = m.let('s7_y', mux(yR.gt(hiS), hiS, mux(yR.lt(lo.resize(yR.width)), lo.resize(yR.width), yR)).trunc(16));
  const out = stage(m, adv, 'out_q', mux(i.isSm, prob7.resize(16), y.asUnsigned()));
  return { t4: t, out };
}
