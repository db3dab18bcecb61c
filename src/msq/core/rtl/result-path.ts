/**
 * Result path (docs/msq-core-rtl.md "Result path"): the pool reducer (MAXPOOL / AVGPOOL), the serializer (the pass's
 * results snapshotted and served through Rq units), the R1-R3 pipeline (channel map -> channel -> parameters /
 * residual lane) and the Rq coreRqa units (requantizer + fused residual add, src/msq/core/rqa.ts).
 */
import { cat, lit, mux, type Expr, type Signal } from '../../../hdl/index.js';
import { coreRqa } from '../rqa.js';
import { type CoreCtx } from './context.js';
import { abits } from './shape.js';
import type { BankMemories } from './banks.js';
import type { DescriptorBanks } from './descriptor.js';
import type { GemmLanes } from './lanes.js';

/** Pool reducer (N lanes): MAXPOOL max over inside positions, AVGPOOL sum. */
export function poolReducer(c: CoreCtx, ln: GemmLanes) {
  const { m, PBB, PB, SB, flag } = c;
  const { N, A } = c.cfg;
  const { actQ, v1, first1, last1, in1, gemm1, max1, acc1, as1, metaW, meta1 } = ln;
  // ---- pool reducer (N lanes): MAXPOOL max over inside positions, AVGPOOL sum
  const poolV = m.let('pool_step', v1.and(gemm1.not()));
  const have = m.reg('pool_have_q', 1, { reset: null });
  const poolR: Signal[] = [];
  for (let n = 0; n < N; n++) {
    const raw = actQ.slice(n * A + A - 1, n * A);
    const x = m.let(`pool_x${n}`, cat(as1.and(raw.bit(A - 1)), raw).asSigned());
    const r = m.reg(`pool_r${n}_q`, SB, { signed: true, reset: null });
    const xs = x.resize(SB);
    m.sync((p) => {
      p.if(poolV, () => {
        // a job with poolAcc continues the previous job's sums (AVGPOOL chains of one global pool)
        p.if(first1.and(acc1.not()), () => p.set(r, mux(in1, xs, lit(0, SB, true))))
          .elif(max1, () => p.if(in1.and(have.not().or(xs.gt(r))), () => p.set(r, xs)))
          .else(() => p.set(r, r.add(mux(in1, xs, lit(0, SB, true))).trunc(SB)));
      });
    });
    poolR.push(r);
  }
  m.sync((p) => p.if(poolV, () => p.set(have, mux(first1, in1, have.or(in1)))));
  const poolEv = flag('pool_ev_q');
  const poolMax2 = m.reg('pool_max_q', 1, { reset: null });
  const meta2 = m.reg('pool_meta_q', metaW, { reset: null });
  m.sync((p) => {
    p.set(poolEv, poolV.and(last1));
    p.set(poolMax2, max1);
    p.set(meta2, meta1);
  });
  // meta = {channel-map base, pass, pass last, residual slot, pixel bank, job bank}
  const mJb = (e: Expr): Expr => e.bit(0);
  const mPb = (e: Expr): Expr => e.slice(PBB, 1);
  const mRs = (e: Expr): Expr => e.bit(PBB + 1);
  const mPl = (e: Expr): Expr => e.bit(PBB + 2);
  const mPass = (e: Expr): Expr => e.slice(PBB + 2 + PB, PBB + 3);
  const mCm = (e: Expr): Expr => e.slice(metaW - 1, PBB + 3 + PB);
  const maxWe = m.let('max_we', poolEv.and(poolMax2));
  const avgEv = m.let('avg_ev', poolEv.and(poolMax2.not()));

  return { poolR, meta2, mJb, mPb, mRs, mPl, mPass, mCm, maxWe, avgEv };
}
export type PoolReducer = ReturnType<typeof poolReducer>;

/**
 * Serializer: at a pass event every unit snapshots its lanes and serves one per clock. GEMM lane j is unit
 * j mod Rq's item j div Rq; a GEMM pass serves min(G, passCycles) items (a job whose valid lanes are all below
 * passCycles * Rq may use passes shorter than G cycles, e.g. fixed-only jobs: job.ts minPassCycles).
 */
export function serializer(c: CoreCtx, dsc: DescriptorBanks, bkm: BankMemories, ln: GemmLanes, pl: PoolReducer) {
  const { m, PBB, AB, GM, PB, flag } = c;
  const { Rq } = c.cfg;
  const { G, GP, CMA, CB, LN } = c.S;
  const { cntG, cntA } = bkm;
  const { accValid, accAll, metaD } = ln;
  const { poolR, meta2, mJb, mPb, mRs, mPl, mPass, mCm, avgEv } = pl;
  // ---- serializer: at a pass event every unit snapshots its lanes and serves one per clock
  const ev = m.let('ser_ev', accValid.or(avgEv));
  const sBusy = flag('ser_busy_q');
  const sk = m.reg('ser_k_q', abits(GM), { reset: 0 });
  const sAvg = m.reg('ser_avg_q', 1, { reset: null });
  const sJb = m.reg('ser_job_q', 1, { reset: null });
  const sPb = m.reg('ser_pix_q', PBB, { reset: null });
  const sRs = m.reg('ser_slot_q', 1, { reset: null });
  const sPl = m.reg('ser_pass_last_q', 1, { reset: null });
  const PAB = CB - LN; // pass bits of an AVGPOOL channel p*N + n
  const sPass = PAB > 0 ? m.reg('ser_pass_q', PAB, { reset: null }) : undefined;
  const sCm = m.reg('ser_cm_q', CMA, { reset: null });
  const sEnd = m.reg('ser_end_q', sk.width, { reset: null });
  const sLast = m.let('ser_last', sk.eq(sEnd));
  const evMeta = m.let('ser_ev_meta', mux(avgEv, meta2, metaD));
  // the last item of the event's pass: GP - 1 (AVGPOOL), min(G, passCycles) - 1 (GEMM)
  let gemmEnd: Expr = lit(0, sk.width); // G = 1: one item
  if (G > 1) {
    const evPc = m.let('ser_ev_pc_m1', dsc.D('pcM1', mJb(evMeta)));
    gemmEnd = mux(evPc.lt(G - 1), evPc.trunc(sk.width), lit(G - 1, sk.width));
  }
  const evEnd = m.let('ser_ev_end', mux(avgEv, lit(GP - 1, sk.width), gemmEnd));
  if (PB > Math.max(PAB, 0)) evMeta.markUnused(); // high pass bits: only MAXPOOL words use them
  m.sync((p) => {
    p.if(sBusy, () => {
      p.set(sk, sk.add(1).trunc(sk.width));
      p.set(sCm, sCm.add(1).trunc(CMA));
      p.if(sLast, () => p.set(sBusy, 0));
    });
    p.if(ev, () => {
      p.set(sBusy, 1);
      p.set(sk, 0);
      p.set(sEnd, evEnd);
      p.set(sAvg, avgEv);
      p.set(sJb, mJb(evMeta));
      p.set(sPb, mPb(evMeta));
      p.set(sRs, mRs(evMeta));
      p.set(sPl, mPl(evMeta));
      if (sPass) p.set(sPass, mPass(evMeta).trunc(PAB));
      p.set(sCm, mCm(evMeta));
    });
  });
  const snaps: Signal[][] = [];
  for (let u = 0; u < Rq; u++) {
    const row: Signal[] = [];
    for (let k = 0; k < GM; k++) row.push(m.reg(`snap${u}_${k}_q`, AB, { signed: true, reset: null }));
    snaps.push(row);
    m.sync((p) => {
      p.if(ev, () => {
        for (let k = 0; k < GM; k++) {
          const j = k * Rq + u;
          const n = u * GP + k;
          const g = k < cntG[u]! ? accAll.slice(j * AB + AB - 1, j * AB).asSigned() : lit(0, AB, true);
          const a = k < cntA[u]! ? poolR[n]!.resize(AB) : lit(0, AB, true);
          p.set(row[k]!, mux(avgEv, a, g));
        }
      }).else(() => {
        for (let k = 0; k + 1 < GM; k++) p.set(row[k]!, row[k + 1]!);
      });
    });
  }

  return { sBusy, sk, sAvg, sJb, sPb, sRs, sPl, sPass, sCm, sLast, snaps };
}
export type Serializer = ReturnType<typeof serializer>;

/** R1 / R2 / R3 pipeline registers and the job fields of the requantizers. */
export function resultStages(c: CoreCtx, dsc: DescriptorBanks, sr: Serializer) {
  const { m, PBB, flag } = c;
  const { D } = dsc;
  const { sBusy, sAvg, sJb, sPb, sRs, sPl, sLast } = sr;
  // ---- R1: channel map read; R2: parameters / residual word; R3: residual lane, job fields -> requantizer
  const r1Jb = m.reg('r1_job_q', 1, { reset: null });
  const r1Pb = m.reg('r1_pix_q', PBB, { reset: null });
  const r1Rs = m.reg('r1_slot_q', 1, { reset: null });
  const r1End = flag('r1_end_q');
  const r1Avg = m.reg('r1_avg_q', 1, { reset: null });
  m.sync((p) => {
    p.set(r1Jb, sJb);
    p.set(r1Pb, sPb);
    p.set(r1Rs, sRs);
    p.set(r1End, sBusy.and(sPl).and(sLast));
    p.set(r1Avg, sAvg);
  });
  const r2Jb = m.reg('r2_job_q', 1, { reset: null });
  const r2Pb = m.reg('r2_pix_q', PBB, { reset: null });
  const r2End = flag('r2_end_q');
  m.sync((p) => {
    p.set(r2Jb, r1Jb);
    p.set(r2Pb, r1Pb);
    p.set(r2End, r1End);
  });
  const resClear = m.let('res_clear', r2End.and(D('residual', r2Jb)));
  const r2Slot = m.reg('r2_slot_q', 1, { reset: null });
  m.sync((p) => p.set(r2Slot, r1Rs));
  // job fields of the requantizer, registered at R3
  const r3 = (name: string, e: Expr): Signal => {
    const r = m.reg(`r3_${name}_q`, e.width, { signed: e.signed, reset: null });
    m.sync((p) => p.set(r, e));
    return r;
  };
  const qLo = r3('lo', D('lo', r2Jb));
  const qHi = r3('hi', D('hi', r2Jb));
  const qResEn = r3('res_en', D('residual', r2Jb));
  const qResSigned = r3('res_signed', D('resSigned', r2Jb));
  const qMa = r3('ma', D('Ma', r2Jb));
  const qMb = r3('mb', D('Mb', r2Jb));
  const qAddS = r3('add_shift', D('addS', r2Jb));
  const qAddLo = r3('add_lo', D('addLo', r2Jb));
  const qAddHi = r3('add_hi', D('addHi', r2Jb));
  const qLut = r3('lut', D('lut', r2Jb));
  const qJb = r3('job', r2Jb);
  const r3Pb = r3('pix', r2Pb);
  const r3End = m.reg('r3_end_q', 1, { reset: 0 });
  m.sync((p) => p.set(r3End, r2End));

  return { r1Jb, r1Rs, r1Avg, resClear, r2Slot, r3, qLo, qHi, qResEn, qResSigned, qMa, qMb, qAddS, qAddLo, qAddHi, qLut, qJb, r3Pb, r3End };
}
export type ResultStages = ReturnType<typeof resultStages>;

/**
 * Per unit: channel map read (R1), parameters and residual word (R2), residual lane (R3), coreRqa (requantize +
 * residual add), then the lookup-table stage (LUT_STAGES = 1 register stage, with or without a table): the unit's
 * table RAM of the job's bank is read at the low 8 bits of the result, and a job with the `lut` flag writes the
 * table's word instead of the result.
 */
export function requantizers(c: CoreCtx, bkm: BankMemories, sr: Serializer, rf: ResultStages) {
  const { m, cfg, PBB, AB, prefix, flag } = c;
  const { N, A, Rq } = c.cfg;
  const { GP, CB, CGB, LN } = c.S;
  const { cntG, cntA, cmMem, parMem, resMem, lutMem } = bkm;
  const { sBusy, sk, sAvg, sJb, sPass, sCm, snaps } = sr;
  const { r1Jb, r1Rs, r1Avg, r3, qLo, qHi, qResEn, qResSigned, qMa, qMb, qAddS, qAddLo, qAddHi, qLut, qJb, r3Pb, r3End } = rf;
  // {lut, job bank, write, pixel end, pixel bank, channel}: the end marker travels even when the lane is idle
  const TB = CB + PBB + 4;
  const rqaMod = coreRqa(cfg, `${prefix}_rqa`, TB);
  const port = (name: string): Signal => {
    const s = rqaMod.signals.find((x) => x.name === name && (x.kind === 'input' || x.kind === 'output'));
    if (!s) throw new Error(`coreRqa has no port ${name}`);
    return s;
  };
  const as = (e: Expr, name: string): Expr => {
    const s = port(name);
    const v = e.width === s.width ? e : e.resize(s.width);
    return s.signed ? v.asSigned() : v.asUnsigned();
  };
  const outWr: { v: Expr; pb: Expr; ch: Expr; y: Expr }[] = [];
  let fullSetUnit: Expr = lit(0, 1);
  let fullSetPb: Expr = lit(0, PBB);
  for (let u = 0; u < Rq; u++) {
    const cm = cmMem[u]?.read(cat(sJb, sCm), { name: `cm${u}_q` });
    const v0 = sBusy.and(sk.lt(mux(sAvg, lit(cntA[u]!, sk.width + 1), lit(cntG[u]!, sk.width + 1))));
    const val1 = m.reg(`r1_val${u}_q`, AB, { signed: true, reset: null });
    const ok1 = flag(`r1_ok${u}_q`);
    const achan = m.reg(`r1_achan${u}_q`, CB, { reset: null });
    const laneN = lit(u * GP, LN + 1).add(sk.resize(LN + 1)).trunc(LN);
    const achanE = sPass ? cat(sPass, laneN) : laneN;
    m.sync((p) => {
      p.set(val1, snaps[u]![0]!);
      p.set(ok1, v0);
      p.set(achan, achanE);
    });
    const ch1 = m.let(`r1_chan${u}`, cm ? mux(r1Avg, achan, cm.slice(CB - 1, 0)) : achan);
    const okv1 = m.let(`r1_valid${u}`, cm ? ok1.and(r1Avg.or(cm.bit(CB))) : ok1.and(r1Avg));
    const par = parMem[u]!.read(cat(r1Jb, ch1), { name: `par${u}_q` });
    const resW = resMem[u]!.read(cat(r1Rs, CB > LN ? ch1.slice(CB - 1, LN).resize(CGB) : lit(0, CGB)), { name: `resw${u}_q` });
    const val2 = m.reg(`r2_val${u}_q`, AB, { signed: true, reset: null });
    const ok2 = flag(`r2_ok${u}_q`);
    const ch2 = m.reg(`r2_chan${u}_q`, CB, { reset: null });
    m.sync((p) => {
      p.set(val2, val1);
      p.set(ok2, okv1);
      p.set(ch2, ch1);
    });
    // R3
    const val3 = r3(`val${u}`, val2);
    const ok3 = m.reg(`r3_ok${u}_q`, 1, { reset: 0 });
    m.sync((p) => p.set(ok3, ok2));
    const bias3 = r3(`bias${u}`, par.slice(31, 0).asSigned());
    const mul3 = r3(`mul${u}`, par.slice(62, 32));
    const sh3 = r3(`shift${u}`, par.slice(68, 63));
    const resLane = m.wire(`r2_res_lane${u}`, A);
    m.comb((p) => {
      p.set(resLane, resW.slice(A - 1, 0));
      p.switch(ch2.slice(LN - 1, 0), Object.fromEntries(
        Array.from({ length: N }, (_, n) => [n, () => p.set(resLane, resW.slice(n * A + A - 1, n * A))]),
      ));
    });
    const res3 = r3(`res${u}`, resLane);
    const ch3 = r3(`chan${u}`, ch2);
    const tag3 = cat(qLut, qJb, ok3, u === 0 ? r3End : lit(0, 1), r3Pb, ch3);
    const oValid = m.wire(`q${u}_valid`, 1);
    const oY = m.wire(`q${u}_y`, A, { signed: port('y').signed });
    const oTag = m.wire(`q${u}_tag`, TB, { signed: port('tag_out').signed });
    if (u !== 0) oTag.markUnused();
    m.instance(rqaMod, `u_rqa${u}`, {
      in_valid: u === 0 ? ok3.or(r3End) : ok3,
      acc: as(val3, 'acc'),
      bias: as(bias3, 'bias'),
      mul: as(mul3, 'mul'),
      shift: as(sh3, 'shift'),
      lo: as(qLo, 'lo'),
      hi: as(qHi, 'hi'),
      res_en: qResEn,
      res: as(res3, 'res'),
      res_signed: qResSigned,
      ma: as(qMa, 'ma'),
      mb: as(qMb, 'mb'),
      add_shift: as(qAddS, 'add_shift'),
      add_lo: as(qAddLo, 'add_lo'),
      add_hi: as(qAddHi, 'add_hi'),
      tag_in: as(tag3, 'tag_in'),
      out_valid: oValid,
      y: oY,
      tag_out: oTag,
    });
    // lookup-table stage: the table word of the job's bank at y mod 256, or y delayed
    const idx = A >= 8 ? oY.asUnsigned().slice(7, 0) : oY.asSigned().resize(8).asUnsigned(); // y mod 256 (A < 8: job.ts refuses tables)
    const lq = lutMem[u]!.read(cat(oTag.asUnsigned().bit(CB + PBB + 2), idx), { name: `lutq${u}_q` });
    const lValid = m.reg(`lut_valid${u}_q`, 1, { reset: 0 });
    const lY = m.reg(`lut_y${u}_q`, A, { reset: null });
    const lTag = m.reg(`lut_tag${u}_q`, TB - 1, { reset: null }); // without the job bank
    if (u !== 0) lTag.markUnused(); // the pixel-end bit: unit 0 only
    const tagO = oTag.asUnsigned();
    m.sync((p) => {
      p.set(lValid, oValid);
      p.set(lY, oY.asUnsigned());
      p.set(lTag, cat(tagO.bit(CB + PBB + 3), tagO.slice(CB + PBB + 1, 0)));
    });
    const tagU = lTag;
    const yOut = m.let(`lut_out${u}`, mux(tagU.bit(CB + PBB + 2), lq, lY));
    outWr.push({ v: lValid.and(tagU.bit(CB + PBB + 1)), pb: tagU.slice(CB + PBB - 1, CB), ch: tagU.slice(CB - 1, 0), y: yOut });
    if (u === 0) {
      fullSetUnit = m.let('q_pix_done', lValid.and(tagU.bit(CB + PBB)));
      fullSetPb = tagU.slice(CB + PBB - 1, CB);
    }
  }

  return { outWr, fullSetUnit, fullSetPb };
}
export type Requantizers = ReturnType<typeof requantizers>;
