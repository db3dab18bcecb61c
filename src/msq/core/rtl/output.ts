/**
 * Output (docs/msq-core-rtl.md "Emitter"): per requantizer unit u and output lane n a small RAM ob<u>_<n> of NB
 * pixel banks (no write conflicts); the emitter reads a complete pixel's words, picks per lane the unit that produced
 * the channel, zeroes lanes >= cout and pushes {tlast, word} into a 4-word FIFO driving m_out.
 */
import { cat, lit, mux, type Expr, type Signal } from '../../../hdl/index.js';
import { muxSelect, syncFifo } from '../../../hdl/lib/index.js';
import { type CoreCtx, type CorePorts } from './context.js';
import { abits, cbits } from './shape.js';
import type { BankFlags } from './banks.js';
import type { DescriptorBanks } from './descriptor.js';
import type { IssuerState } from './issuer.js';
import type { LoaderState, LoaderWrites } from './program-loader.js';
import type { PoolReducer, Requantizers } from './result-path.js';

/** Output pixel banks ob<u>_<n> and the inv tables (which unit made a channel). */
export function outputBanks(c: CoreCtx, wl: LoaderState, wlw: LoaderWrites, isa: IssuerState, pl: PoolReducer, rq: Requantizers) {
  const { m, NB, PBB, PB } = c;
  const { N, A, Rq } = c.cfg;
  const { CB, CGB, LN } = c.S;
  const { wb, wbuf, cu } = wl;
  const { cmWe } = wlw;
  const { pmJb } = isa;
  const { poolR, meta2, mPb, mPl, mPass, maxWe } = pl;
  const { outWr } = rq;
  // ---- output pixel banks: per requantizer unit u and output lane n a small RAM ob<u>_<n> of NB pixel banks x
  //      cDepth/N words of A bits, so every unit writes its one result per clock without a write conflict. Channel c
  //      goes to lane c mod N, word c / N. MAXPOOL words go to unit 0's RAMs. The emitter reads all units' RAMs and
  //      picks per lane the unit that produced the channel: GEMM from the job's `inv` table (written by the program
  //      loader from the channel map), AVGPOOL lane n from unit n / GP, MAXPOOL unit 0.
  const maxPb = mPb(meta2);
  const maxWord = mPass(meta2).resize(Math.max(PB, CGB)).trunc(CGB);
  const gOf = (ch: Expr): Expr => (CB > LN ? ch.slice(CB - 1, LN).resize(CGB) : lit(0, CGB));
  const eBank = m.reg('em_bank_q', PBB, { reset: 0 });
  const eG = m.reg('em_group_q', CGB, { reset: 0 });
  const eIssue = m.wire('em_issue', 1);
  const eJb = m.let('em_job', muxSelect(pmJb, eBank));
  const obq: Signal[][] = [];
  for (let u = 0; u < Rq; u++) {
    const w = outWr[u]!;
    const row: Signal[] = [];
    for (let n = 0; n < N; n++) {
      const ram = m.ram(`ob${u}_${n}`, { width: A, depth: NB * 2 ** CGB, style: 'distributed' });
      const we = w.v.and(w.ch.slice(LN - 1, 0).eq(n));
      const addr = cat(w.pb, gOf(w.ch));
      if (u === 0) {
        ram.write(maxWe.or(we), mux(maxWe, cat(maxPb, maxWord), addr), mux(maxWe, poolR[n]!.slice(A - 1, 0), w.y));
      } else {
        ram.write(we, addr, w.y);
      }
      row.push(ram.read(cat(eBank, eG), { en: eIssue, name: `obq${u}_${n}_q` }));
    }
    obq.push(row);
  }
  const UB = abits(Rq);
  const invq: Signal[] = [];
  if (Rq > 1) {
    const cmItemCh = wbuf.slice(CB - 1, 0);
    for (let n = 0; n < N; n++) {
      const ram = m.ram(`inv${n}`, { width: UB, depth: 2 * 2 ** CGB, style: 'distributed' });
      ram.write(cmWe.and(wbuf.bit(15)).and(cmItemCh.slice(LN - 1, 0).eq(n)), cat(wb, gOf(cmItemCh)), cu.resize(UB));
      invq.push(ram.read(cat(eJb, eG), { en: eIssue, name: `invq${n}_q` }));
    }
  }
  const maxDone = m.let('max_pix_done', maxWe.and(mPl(meta2)));

  return { maxPb, eBank, eG, eIssue, eJb, obq, UB, invq, maxDone };
}
export type OutputBanks = ReturnType<typeof outputBanks>;

/** Emitter: E0 reads a complete pixel's words, E1 picks the units and zeroes lanes >= cout, a 4-word FIFO drives m_out. */
export function emitter(c: CoreCtx, io: CorePorts, dsc: DescriptorBanks, bkf: BankFlags, isa: IssuerState, ob: OutputBanks) {
  const { m, cfg, PBB, prefix, flag } = c;
  const { N, A, Rq } = c.cfg;
  const { W, GP, CGB, LN } = c.S;
  const { outData, outValid, outReady, outLast } = io;
  const { D } = dsc;
  const { fullQ } = bkf;
  const { pmLast } = isa;
  const { eBank, eG, eIssue, eJb, obq, UB, invq } = ob;
  // ---- emitter: E0 reads word eG of pixel bank eBank (when the pixel is complete and the output FIFO has room),
  //      E1 picks the units, zeroes lanes >= cout and pushes {tlast, word} into a 4-word FIFO driving m_out.
  const FD = 4;
  const fifo = syncFifo({ width: W + 1, depth: FD, level: true, name: `${prefix}_out_fifo` });
  const fLevel = m.wire('out_fifo_level', cbits(FD));
  const fReady = m.wire('out_fifo_ready', 1);
  fReady.markUnused(); // never full: E0 issues only with room for the word in flight
  const e1v = flag('em1_valid_q');
  const e1Last = m.reg('em1_last_q', 1, { reset: null });
  // which unit made a lane (GEMM: inv table, AVGPOOL: n / GP, MAXPOOL: 0): only with several units
  const e1Gemm = Rq > 1 ? m.reg('em1_gemm_q', 1, { reset: null }) : undefined;
  const e1Avg = Rq > 1 ? m.reg('em1_avg_q', 1, { reset: null }) : undefined;
  const CW1 = cbits(cfg.cDepth) + 1;
  const e1Rem = m.reg('em1_rem_q', CW1, { signed: true, reset: null });
  const eAvail = m.let('em_avail', muxSelect(fullQ, eBank));
  m.assign(eIssue, eAvail.and(fLevel.resize(cbits(FD) + 1).add(e1v.resize(cbits(FD) + 1)).lt(FD)));
  const eGLast = m.let('em_group_last', eG.eq(D('coutGroupsM1', eJb)));
  const eDone = m.let('em_pix_done', eIssue.and(eGLast));
  const jobDone = m.let('em_job_done', eDone.and(muxSelect(pmLast, eBank)));
  const eOp = D('op', eJb);
  m.sync((p) => {
    p.set(e1v, eIssue);
    p.set(e1Last, eGLast.and(muxSelect(pmLast, eBank)));
    if (e1Gemm && e1Avg) {
      p.set(e1Gemm, eOp.eq(0));
      p.set(e1Avg, eOp.eq(2));
    }
    // lanes with channel >= cout are 0: rem = cout - g*N
    p.set(e1Rem, D('cout', eJb).resize(CW1).sub(cat(eG, lit(0, LN)).resize(CW1)).trunc(CW1).asSigned());
    p.if(eIssue, () => {
      p.if(eGLast, () => {
        p.set(eG, 0);
        p.set(eBank, eBank.add(1).trunc(PBB));
      }).else(() => p.set(eG, eG.add(1).trunc(CGB)));
    });
  });
  const lanesOut: Expr[] = [];
  for (let n = 0; n < N; n++) {
    let v: Expr = obq[0]![n]!;
    if (Rq > 1) {
      const avgU = Math.floor(n / GP);
      const sel = mux(e1Gemm!, invq[n]!, mux(e1Avg!, lit(avgU, UB), lit(0, UB)));
      const units = Array.from({ length: 2 ** UB }, (_, u) => obq[Math.min(u, Rq - 1)]![n]! as Expr);
      v = muxSelect(units, sel);
    }
    lanesOut.push(mux(e1Rem.gt(lit(n, CW1, true)), v, lit(0, A)));
  }
  const e1Word = m.let('em1_word', cat(...[...lanesOut].reverse()));
  const mData = m.wire('m_fifo_data', W + 1);
  m.instance(fifo, 'u_out_fifo', {
    s_tdata: cat(e1Last, e1Word),
    s_tvalid: e1v,
    s_tready: fReady,
    m_tdata: mData,
    m_tvalid: outValid,
    m_tready: outReady,
    level: fLevel,
  });
  m.assign(outData, mData.slice(W - 1, 0));
  m.assign(outLast, mData.bit(W));

  return { eDone, jobDone };
}
export type Emitter = ReturnType<typeof emitter>;
