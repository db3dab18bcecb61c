/** S1 (registered bank reads, the step's control) and the GEMM lanes (coreLanes, src/msq/core/lanes.ts). */
import { cat, rep, type Expr } from '../../../hdl/index.js';
import { coreLanes } from '../lanes.js';
import { type CoreCtx } from './context.js';
import type { BankMemories } from './banks.js';
import type { IssuerState } from './issuer.js';

/** S1 bank reads and the GEMM lanes (coreLanes) with the pass metadata delayed to acc_valid. */
export function gemmLanes(c: CoreCtx, bkm: BankMemories, isa: IssuerState) {
  const { m, cfg, S, PBB, AB, PB, prefix, flag } = c;
  const { Pf, Ps } = c.cfg;
  const { W, L, CMA } = c.S;
  const { actMem, fixedMem, sp2Mem } = bkm;
  const { ib, jGemm, jMax, jAcc, jAs, jStepsM1, kstep, pass, rdAddr, wAddr, cmBase, ibank, islot, issue, stepLast, passLast, inside } = isa;
  // ---- S1: bank reads (registered) and the step's control
  const actQ = actMem.read(cat(ib, rdAddr), { name: 'act_q' });
  const fwQ = fixedMem.map((mem, l) => mem.read(cat(ib, wAddr), { name: `fw${l}_q` }));
  const swQ = sp2Mem.map((mem, l) => mem.read(cat(ib, wAddr), { name: `sw${l}_q` }));
  const v1 = flag('s1_valid_q');
  const first1 = m.reg('s1_first_q', 1, { reset: null });
  const last1 = m.reg('s1_last_q', 1, { reset: null });
  const in1 = m.reg('s1_inside_q', 1, { reset: null });
  const gemm1 = m.reg('s1_gemm_q', 1, { reset: null });
  const max1 = m.reg('s1_max_q', 1, { reset: null });
  const acc1 = m.reg('s1_pool_acc_q', 1, { reset: null });
  const as1 = m.reg('s1_act_signed_q', 1, { reset: null });
  // pass metadata: job bank, pixel bank, residual slot, last pass of the pixel, pass index, channel-map base
  const metaW = 3 + PBB + PB + CMA;
  const meta1 = m.reg('s1_meta_q', metaW, { reset: null });
  m.sync((p) => {
    p.set(v1, issue);
    p.set(first1, kstep.eq(jStepsM1));
    p.set(last1, stepLast);
    p.set(in1, inside);
    p.set(gemm1, jGemm);
    p.set(max1, jMax);
    p.set(acc1, jAcc);
    p.set(as1, jAs);
    p.set(meta1, cat(cmBase, pass, passLast, islot, ibank, ib));
  });
  const actX = m.let('s1_act', actQ.and(rep(in1, W)));

  // ---- GEMM lanes
  const lanesMod = coreLanes(cfg, `${prefix}_lanes`);
  const accValid = m.wire('acc_valid', 1);
  const accAll = m.wire('acc', L * AB);
  const laneConns: Record<string, Expr> = {
    act: actX,
    act_signed: as1,
    in_valid: v1.and(gemm1),
    in_first: first1,
    in_last: last1,
    acc_valid: accValid,
    acc: accAll,
  };
  if (Pf > 0) laneConns.fw = cat(...[...fwQ].reverse());
  if (Ps > 0) laneConns.sw = cat(...[...swQ].reverse());
  m.instance(lanesMod, 'u_lanes', laneConns);
  // the pass metadata delayed to acc_valid
  let metaD: Expr = meta1;
  for (let d = 0; d < S.laneLatency; d++) {
    const r = m.reg(`gm_meta${d}_q`, metaW, { reset: null });
    const src = metaD;
    m.sync((p) => p.set(r, src));
    metaD = r;
  }

  return { actQ, v1, first1, last1, in1, gemm1, max1, acc1, as1, metaW, meta1, accValid, accAll, metaD };
}
export type GemmLanes = ReturnType<typeof gemmLanes>;
