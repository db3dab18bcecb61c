/**
 * Issuer (docs/msq-core-rtl.md "Issuer"): pixel -> pass -> step (ky, kx, group) with adders only; each pass is
 * passCycles cycles, idle cycles FIRST, then `steps` issue cycles, so consecutive pass ends are exactly passCycles
 * apart, also across jobs. A pixel claims its output bank (and residual slot) at the last step of its first pass.
 */
import { cat, lit, mux, type Expr, type ProcBuilder, type Signal } from '../../../hdl/index.js';
import { muxSelect } from '../../../hdl/lib/index.js';
import { pick, type CoreCtx } from './context.js';
import { cbits, quietCycles } from './shape.js';
import type { ActivationLoader } from './act-loader.js';
import type { BankFlags } from './banks.js';
import type { DescriptorBanks, Field } from './descriptor.js';

/** Issuer state: job readiness, per-job working registers, counters, claim / stall / step conditions. */
export function issuerState(c: CoreCtx, dsc: DescriptorBanks, bkf: BankFlags, al: ActivationLoader) {
  const { m, S, NB, PBB, PB, CW, flag } = c;
  const { AW, WAB, CMA } = c.S;
  const { D } = dsc;
  const { progOk, roundQ, actOk, resFull, resGen, busyQ } = bkf;
  const { aj, aLoad, aRows } = al;
  const ist = m.fsm('is_state_q', ['IDLE', 'SETUP', 'RUN'] as const);
  const ij = m.reg('is_job_q', 2, { reset: 0 });
  const ib = m.let('is_bank', ij.bit(0));
  // job class of the unit path: a GEMM job after an AVGPOOL job (or the reverse) waits until the units are quiet
  // A job whose op differs from the previous job's waits until the result path is quiet (no step issued for QMAX
  // cycles), unless the previous job was a MAXPOOL: pool results reach the units earlier than lane results, and
  // MAXPOOL words share unit 0's output RAM write port.
  const lastOp = m.reg('is_last_op_q', 2, { reset: 0 });
  const QMAX = quietCycles(S);
  const quiet = m.reg('is_quiet_q', cbits(QMAX), { reset: QMAX });
  const nOp = D('op', ib);
  const classOk = m.let('is_class_ok', nOp.eq(lastOp).or(lastOp.eq(1)).or(quiet.eq(QMAX)));
  // the activation loader is loading this job's tile (rows arrive while the job runs)
  const actHere = m.let('is_act_here', aLoad.and(aj.eq(ij)));
  const jobReady = m.let(
    'is_job_ready',
    ist.is('IDLE').and(pick(progOk, ib)).and(pick(roundQ, ib).eq(ij.bit(1))).and(pick(actOk, ib).or(actHere)).and(classOk),
  );
  // per-job working registers (copied from the bank in SETUP)
  const jr = (name: string, w: number, signed = false): Signal => m.reg(`is_${name}_q`, w, { signed, reset: null });
  const jGemm = jr('gemm', 1);
  const jMax = jr('max', 1);
  const jAcc = jr('pool_acc', 1);
  const jRes = jr('residual', 1);
  const jAs = jr('act_signed', 1);
  const jInH = jr('in_h', CW, true);
  const jInW = jr('in_w', CW, true);
  const jOutHM1 = jr('out_h_m1', 16);
  const jOutWM1 = jr('out_w_m1', 16);
  const jKhM1 = jr('kh_m1', 16);
  const jKwM1 = jr('kw_m1', 16);
  const jCgM1 = jr('cg_m1', 16);
  const jKxInc = jr('kx_inc', AW);
  const jSh = jr('sh', CW, true);
  const jSw = jr('sw', CW, true);
  const jPadL = jr('pad_l', CW, true);
  const jStepsM1 = jr('steps_m1', 16);
  const jPassesM1 = jr('passes_m1', PB);
  const jPcM1 = jr('pc_m1', 16);
  const jRowStride = jr('row_stride', AW);
  const jRowStep = jr('row_step', AW);
  const jColStep = jr('col_step', AW);
  // counters
  const ox = m.reg('is_ox_q', 16, { reset: null });
  const needRows = m.reg('is_need_rows_q', CW, { signed: true, reset: null }); // iy0 + kh
  const oy = m.reg('is_oy_q', 16, { reset: null });
  const iy0 = m.reg('is_iy0_q', CW, { signed: true, reset: null });
  const ix0 = m.reg('is_ix0_q', CW, { signed: true, reset: null });
  const kiy = m.reg('is_iy_q', CW, { signed: true, reset: null });
  const kix = m.reg('is_ix_q', CW, { signed: true, reset: null });
  const ky = m.reg('is_ky_q', 16, { reset: null });
  const kx = m.reg('is_kx_q', 16, { reset: null });
  const cg = m.reg('is_cg_q', 16, { reset: null });
  const kstep = m.reg('is_kstep_q', 16, { reset: null });
  const pass = m.reg('is_pass_q', PB, { reset: null });
  const rowAddr = m.reg('is_row_addr_q', AW, { reset: null });
  const pixAddr = m.reg('is_pix_addr_q', AW, { reset: null });
  const pBase = m.reg('is_pass_addr_q', AW, { reset: null });
  const aRow = m.reg('is_krow_addr_q', AW, { reset: null });
  const rdAddr = m.reg('is_rd_addr_q', AW, { reset: null });
  const wAddr = m.reg('is_w_addr_q', WAB, { reset: null });
  const cmBase = m.reg('is_cm_base_q', CMA, { reset: null });
  const ibank = m.reg('is_pix_bank_q', PBB, { reset: 0 });
  const islot = flag('is_res_slot_q');
  const iGen = flag('is_res_gen_q');
  const pmJb = Array.from({ length: NB }, (_, k) => flag(`pm_job${k}_q`));
  const pmLast = Array.from({ length: NB }, (_, k) => flag(`pm_last${k}_q`));

  const run = ist.is('RUN');
  // The pixel claims its output bank (and residual slot) at the LAST step of its FIRST pass: its first result is
  // written laneLatency + 4 + rqaLatency cycles later, so the bank's previous pixel has one more pass to leave.
  const lastX = m.let('is_last_x', ox.eq(jOutWM1));
  const lastY = m.let('is_last_y', oy.eq(jOutHM1));
  const claim = m.let('is_claim', pass.eq(0).and(kstep.eq(0)));
  // A pixel starts once the input rows of its window are loaded (rows 0 .. iy0 + kh - 1); the job's last pixel waits
  // for the whole tile, so the activation bank is complete before the job releases it.
  const pixFirst = m.let('is_pix_first', pass.eq(0).and(kstep.eq(jPcM1)));
  const rowsIn = m.let('is_rows_in', actHere.and(lastX.and(lastY).not()).and(cat(lit(0, CW - 16), aRows).asSigned().ge(needRows)));
  const rowsOk = m.let('is_rows_ok', pick(actOk, ib).or(rowsIn));
  const stall = m.let(
    'is_stall',
    claim
      .and(muxSelect(busyQ, ibank).or(jRes.and(pick(resFull, islot).and(pick(resGen, islot).eq(iGen)).not())))
      .or(pixFirst.and(rowsOk.not())),
  );
  const go = m.let('is_go', run.and(stall.not()));
  const issue = m.let('is_issue', go.and(kstep.le(jStepsM1)));
  const stepLast = m.let('is_step_last', kstep.eq(0));
  const passLast = m.let('is_pass_last', pass.eq(jPassesM1));
  const pixEnd = m.let('is_pix_end', go.and(stepLast).and(passLast));
  const jobEnd = m.let('is_job_end', pixEnd.and(lastX).and(lastY));
  const cgEnd = m.let('is_cg_end', cg.eq(jCgM1));
  const kxEnd = m.let('is_kx_end', kx.eq(jKwM1));
  const kyEnd = m.let('is_ky_end', ky.eq(jKhM1));
  const inside = m.let(
    'is_inside',
    kiy.ge(lit(0, CW, true)).and(kiy.lt(jInH)).and(kix.ge(lit(0, CW, true))).and(kix.lt(jInW)),
  );
  const nextRow = m.let('is_next_row_addr', rowAddr.add(jRowStep).trunc(AW));
  const nextPixX = m.let('is_next_pix_addr', pixAddr.add(jColStep).trunc(AW));
  const ext = (e: Expr): Expr => cat(lit(0, CW - e.width), e).asSigned();
  return { ist, ij, ib, lastOp, QMAX, quiet, jobReady, jGemm, jMax, jAcc, jRes, jAs, jInH, jInW, jOutHM1, jOutWM1, jKhM1, jKwM1, jCgM1, jKxInc, jSh, jSw, jPadL, jStepsM1, jPassesM1, jPcM1, jRowStride, jRowStep, jColStep, ox, needRows, oy, iy0, ix0, kiy, kix, ky, kx, cg, kstep, pass, rowAddr, pixAddr, pBase, aRow, rdAddr, wAddr, cmBase, ibank, islot, iGen, pmJb, pmLast, lastX, lastY, claim, go, issue, stepLast, passLast, pixEnd, jobEnd, cgEnd, kxEnd, kyEnd, inside, nextRow, nextPixX, ext };
}
export type IssuerState = ReturnType<typeof issuerState>;

/** A new output pixel starts at address `a`: its pixel, pass-base, window-row and read addresses all move there. */
function toPixel(p: ProcBuilder, isa: IssuerState, a: Expr): void {
  for (const r of [isa.pixAddr, isa.pBase, isa.aRow, isa.rdAddr]) p.set(r, a);
}

/** Issuer process: IDLE -> SETUP (copy the bank's fields) -> RUN (pixel -> pass -> step with adders only). */
export function issuerProcess(c: CoreCtx, dsc: DescriptorBanks, isa: IssuerState) {
  const { m, NB, PBB, PB, CW } = c;
  const { G, AW, WAB, CMA } = c.S;
  const { ist, ij, ib, QMAX, quiet, jobReady, jGemm, jRes, jKxInc, jSh, jSw, jPadL, jPcM1, jRowStride, ox, needRows, oy, iy0, ix0, kiy, kix, ky, kx, cg, kstep, pass, rowAddr, pBase, aRow, rdAddr, wAddr, cmBase, ibank, islot, iGen, pmJb, pmLast, lastX, lastY, claim, go, issue, stepLast, passLast, pixEnd, jobEnd, cgEnd, kxEnd, kyEnd, nextRow, nextPixX } = isa;
  m.sync((p) => {
    ist.switch(p, {
      IDLE: () =>
        p.if(jobReady, () => {
          ist.goto(p, 'SETUP');
        }),
      SETUP: () => issuerSetup(p, c, dsc, isa),
      RUN: () => {
        p.if(go, () => {
          p.set(kstep, mux(stepLast, jPcM1, kstep.sub(1).trunc(16)));
        });
        p.if(go.and(claim), () => {
          for (let k = 0; k < NB; k++) {
            p.if(ibank.eq(k), () => {
              p.set(pmJb[k]!, ib);
              p.set(pmLast[k]!, lastX.and(lastY));
            });
          }
        });
        p.if(issue, () => {
          p.set(wAddr, wAddr.add(1).trunc(WAB));
          p.if(cgEnd.not(), () => {
            p.set(cg, cg.add(1).trunc(16));
            p.set(rdAddr, rdAddr.add(1).trunc(AW));
          }).else(() => {
            p.set(cg, 0);
            p.if(kxEnd.not(), () => {
              p.set(kx, kx.add(1).trunc(16));
              p.set(kix, kix.add(1).trunc(CW));
              p.set(rdAddr, rdAddr.add(jKxInc).trunc(AW));
            }).else(() => {
              p.set(kx, 0);
              p.set(kix, ix0);
              p.if(kyEnd.not(), () => {
                p.set(ky, ky.add(1).trunc(16));
                p.set(kiy, kiy.add(1).trunc(CW));
                p.set(aRow, aRow.add(jRowStride).trunc(AW));
                p.set(rdAddr, aRow.add(jRowStride).trunc(AW));
              }).else(() => {
                // last step of the pass: the next pass of this pixel (pools: the next channel group)
                p.set(ky, 0);
                p.set(kiy, iy0);
                const nb = mux(jGemm, pBase, pBase.add(1).trunc(AW));
                p.set(pBase, nb);
                p.set(aRow, nb);
                p.set(rdAddr, nb);
              });
            });
          });
        });
        p.if(go.and(stepLast), () => {
          p.set(pass, mux(passLast, lit(0, PB), pass.add(1).trunc(PB)));
          p.set(cmBase, mux(passLast, lit(0, CMA), cmBase.add(G).trunc(CMA)));
        });
        p.if(pixEnd, () => {
          p.set(wAddr, 0);
          p.set(ibank, ibank.add(1).trunc(PBB));
          p.if(jRes, () => {
            p.set(islot, islot.not());
            p.if(islot, () => p.set(iGen, iGen.not()));
          });
          p.if(lastX.not(), () => {
            p.set(ox, ox.add(1).trunc(16));
            const nx = ix0.add(jSw).trunc(CW);
            p.set(ix0, nx);
            p.set(kix, nx);
            toPixel(p, isa, nextPixX);
          }).else(() => {
            p.set(ox, 0);
            const px = jPadL.neg().trunc(CW);
            p.set(ix0, px);
            p.set(kix, px);
            p.set(oy, oy.add(1).trunc(16));
            const ny = iy0.add(jSh).trunc(CW);
            p.set(iy0, ny);
            p.set(needRows, needRows.add(jSh).trunc(CW));
            p.set(kiy, ny);
            p.set(rowAddr, nextRow);
            toPixel(p, isa, nextRow);
          });
        });
        p.if(jobEnd, () => {
          p.set(ij, ij.add(1).trunc(2));
          ist.goto(p, 'IDLE');
        });
      },
    });
    p.set(quiet, mux(issue, lit(0, quiet.width), mux(quiet.eq(QMAX), quiet, quiet.add(1).trunc(quiet.width))));
  });
}
export type IssuerProcess = ReturnType<typeof issuerProcess>;


/** SETUP: the job's working registers and counters from its bank; then RUN. */
function issuerSetup(p: ProcBuilder, c: CoreCtx, dsc: DescriptorBanks, isa: IssuerState): void {
  const { CW } = c;
  const { AW } = c.S;
  const { D } = dsc;
  const { ist, ib, lastOp, jGemm, jMax, jAcc, jRes, jAs, jInH, jInW, jOutHM1, jOutWM1, jKhM1, jKwM1, jCgM1, jKxInc, jSh, jSw, jPadL, jStepsM1, jPassesM1, jPcM1, jRowStride, jRowStep, jColStep, ox, oy, iy0, needRows, ix0, kiy, kix, ky, kx, cg, kstep, pass, rowAddr, wAddr, cmBase, ext } = isa;
    const op = D('op', ib);
    const isMax = op.eq(1);
    const isAvg = op.eq(2);
    const pool = isMax.or(isAvg);
    p.set(jGemm, op.eq(0));
    p.set(jMax, isMax);
    // descriptor field -> working register, in this order; geometry fields sign-extended to the coordinate width
    const copy = (pairs: Array<[Signal, Field]>, f: (e: Expr) => Expr = (e) => e): void => {
      for (const [r, field] of pairs) p.set(r, f(D(field, ib)));
    };
    copy([[jRes, 'residual'], [jAs, 'actSigned'], [jAcc, 'poolAcc']]);
    copy([[jInH, 'inH'], [jInW, 'inW']], ext);
    copy([[jOutHM1, 'outHM1'], [jOutWM1, 'outWM1'], [jKhM1, 'khM1'], [jKwM1, 'kwM1']]);
    p.set(jCgM1, mux(pool, lit(0, 16), D('cgM1', ib)));
    p.set(jKxInc, mux(pool, D('cg', ib), lit(1, AW)));
    copy([[jSh, 'sh'], [jSw, 'sw'], [jPadL, 'padL']], ext);
    copy([[jStepsM1, 'stepsM1'], [jPassesM1, 'passesM1'], [jPcM1, 'pcM1'], [jRowStride, 'rowStride'], [jRowStep, 'rowStep'], [jColStep, 'colStep']]);
    const py = ext(D('padT', ib)).neg().trunc(CW);
    const px = ext(D('padL', ib)).neg().trunc(CW);
    p.set(ox, 0);
    p.set(oy, 0);
    p.set(iy0, py);
    p.set(needRows, py.add(ext(D('khM1', ib))).add(1).trunc(CW));
    p.set(ix0, px);
    p.set(kiy, py);
    p.set(kix, px);
    p.set(ky, 0);
    p.set(kx, 0);
    p.set(cg, 0);
    p.set(kstep, D('pcM1', ib));
    p.set(pass, 0);
    const st = D('start', ib);
    p.set(rowAddr, st);
    toPixel(p, isa, st);
    p.set(wAddr, 0);
    p.set(cmBase, 0);
    p.set(lastOp, op);
    ist.goto(p, 'RUN');
}
