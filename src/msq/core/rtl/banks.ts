/**
 * The MSQ core's banks (docs/msq-core-rtl.md "Banks and job order"): the bank flags, the banked memories (activations,
 * weights, channel maps, parameters, residual words) and the one process that sets and frees the flags.
 */
import { type Expr } from '../../../hdl/index.js';
import { type CoreCtx } from './context.js';
import { LUT_ENTRIES } from '../../lut.js';
import type { ActivationLoader } from './act-loader.js';
import type { IssuerState } from './issuer.js';
import type { OutputBanks, Emitter } from './output.js';
import type { LoaderState } from './program-loader.js';
import type { ResidualLoader } from './res-loader.js';
import type { ResultStages, Requantizers } from './result-path.js';

/** Bank flags (one process drives them all: bankFlagProcess). */
export function bankFlags(c: CoreCtx) {
  const { NB, flag } = c;
  // bank flags (one process drives them all: see the end)
  const descOk = [flag('desc_ok0_q'), flag('desc_ok1_q')];
  const progOk = [flag('prog_ok0_q'), flag('prog_ok1_q')];
  const roundQ = [flag('round0_q'), flag('round1_q')];
  const actOk = [flag('act_ok0_q'), flag('act_ok1_q')];
  const resFull = [flag('res_full0_q'), flag('res_full1_q')];
  // generation of the residual pixel held in slot k (flips every second residual pixel): res_full alone cannot tell
  // the slot's previous pixel (two residual pixels earlier, still being read) from the one the issuer claims for
  const resGen = [flag('res_gen0_q'), flag('res_gen1_q')];
  const busyQ = Array.from({ length: NB }, (_, k) => flag(`busy${k}_q`));
  const fullQ = Array.from({ length: NB }, (_, k) => flag(`full${k}_q`));
  return { descOk, progOk, roundQ, actOk, resFull, resGen, busyQ, fullQ };
}
export type BankFlags = ReturnType<typeof bankFlags>;

/** The banked memories: activations, per-lane weights, per-unit channel maps, parameters, residual words. */
export function bankMemories(c: CoreCtx) {
  const { m, cfg } = c;
  const { N, Pf, Ps, Rq, WF } = c.cfg;
  const { W, L, G, GP, AW, WAB, CMA, CB, CGB } = c.S;
  // ---------------------------------------------------------------- memories
  const actMem = m.ram('act_mem', { width: W, depth: 2 * 2 ** AW, style: 'block' });
  const fixedMem = Array.from({ length: Pf }, (_, l) => m.ram(`fixed_mem${l}`, { width: N * WF, depth: 2 * 2 ** WAB, style: 'block' }));
  const sp2Mem = Array.from({ length: Ps }, (_, l) => m.ram(`sp2_mem${l}`, { width: N * cfg.m, depth: 2 * 2 ** WAB, style: 'block' }));
  // GEMM lanes interleave over the units: lane j -> unit j mod Rq, serializer item j div Rq (docs/msq-core-rtl.md)
  const cntG = Array.from({ length: Rq }, (_, u) => (u < L ? Math.min(G, Math.floor((L - 1 - u) / Rq) + 1) : 0));
  const cntA = Array.from({ length: Rq }, (_, u) => Math.max(0, Math.min(GP, N - u * GP)));
  const cmMem = cntG.map((c, u) => (c > 0 ? m.ram(`chan_map${u}`, { width: CB + 1, depth: 2 * 2 ** CMA, style: 'distributed' }) : undefined));
  const parMem = Array.from({ length: Rq }, (_, u) => m.ram(`params${u}`, { width: 69, depth: 2 * 2 ** CB, style: cfg.cDepth > 64 ? 'block' : 'distributed' }));
  const resMem = Array.from({ length: Rq }, (_, u) => m.ram(`res_mem${u}`, { width: W, depth: 2 * 2 ** CGB, style: 'distributed' }));
  // per unit the lookup tables of both banks (LUT_ENTRIES words of A bits each), read after the requantizer
  const lutMem = Array.from({ length: Rq }, (_, u) => m.ram(`lut_mem${u}`, { width: cfg.A, depth: 2 * LUT_ENTRIES, style: 'distributed' }));
  return { actMem, fixedMem, sp2Mem, cntG, cntA, cmMem, parMem, resMem, lutMem };
}
export type BankMemories = ReturnType<typeof bankMemories>;

/** The bank flags' one process: set by the loaders / issuer / result path, freed by the emitter / issuer. */
export function bankFlagProcess(c: CoreCtx, bkf: BankFlags, wl: LoaderState, al: ActivationLoader, rl: ResidualLoader, isa: IssuerState, rf: ResultStages, rq: Requantizers, ob: OutputBanks, em: Emitter) {
  const { m, NB } = c;
  const { descOk, progOk, actOk, resFull, resGen, busyQ, fullQ } = bkf;
  const { wb, descDone, progDone } = wl;
  const { ab, aLast } = al;
  const { rSlot, rGen, rPixEnd } = rl;
  const { ib, ibank, claim, go, jobEnd } = isa;
  const { resClear, r2Slot } = rf;
  const { fullSetUnit, fullSetPb } = rq;
  const { maxPb, eBank, eJb, maxDone } = ob;
  const { eDone, jobDone } = em;
  // ================================================================ bank flags
  m.sync((p) => {
    for (const k of [0, 1]) {
      const is = (b: Expr): Expr => (k === 1 ? b : b.not());
      // program / descriptor bank k: set by the loader, freed when the job's last output beat is loaded
      p.if(jobDone.and(is(eJb)), () => {
        p.set(descOk[k]!, 0);
        p.set(progOk[k]!, 0);
      });
      p.if(descDone.and(is(wb)), () => p.set(descOk[k]!, 1));
      p.if(progDone.and(is(wb)), () => p.set(progOk[k]!, 1));
      // activation bank k: set by the loader, freed after the job's last issued step
      p.if(jobEnd.and(is(ib)), () => p.set(actOk[k]!, 0));
      p.if(aLast.and(is(ab)), () => p.set(actOk[k]!, 1));
      // residual slot k
      p.if(resClear.and(is(r2Slot)), () => p.set(resFull[k]!, 0));
      p.if(rPixEnd.and(is(rSlot)), () => {
        p.set(resFull[k]!, 1);
        p.set(resGen[k]!, rGen);
      });
    }
    for (let k = 0; k < NB; k++) {
      // output pixel bank k: claimed by the issuer, complete after its last result, freed when its last word is read
      p.if(eDone.and(eBank.eq(k)), () => {
        p.set(busyQ[k]!, 0);
        p.set(fullQ[k]!, 0);
      });
      p.if(go.and(claim).and(ibank.eq(k)), () => p.set(busyQ[k]!, 1));
      p.if(fullSetUnit.and(fullSetPb.eq(k)).or(maxDone.and(maxPb.eq(k))), () => p.set(fullQ[k]!, 1));
    }
  });
}
export type BankFlagProcess = ReturnType<typeof bankFlagProcess>;
