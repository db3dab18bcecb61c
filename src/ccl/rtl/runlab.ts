/**
 * Run labeler of the pixel-exact core at P > 1 (C = 1; docs/ccl.md "Pixel-exact labeling at P > 1"): labels the
 * runs from the run extractor (runs.ts) against the previous line's runs, the algorithm of src/ccl/core-ppc.ts.
 *
 * The **run queue** (registers, M = ⌊W/2⌋ + 2 slots, circular): label, xs, xe of the previous line's runs not yet
 * retired (from the head) followed by the current line's finished runs; at the line end the queue holds exactly the
 * next line's previous runs. M slots always suffice: the unretired previous runs end right of the last finished
 * current run and the finished current runs end left of it, and runs of one line are ≥ 2 columns apart.
 * **Merge = parallel relabel** (every slot and the current run's label; the loser's feature entry is added into
 * the winner's and the loser freed at once), so every label in the queue is final: no union-find chains.
 *
 * States: STEP (one walk decision: retire the head run — it completes its object when no other slot and not the
 * current run hold its label —, finish the current run, or one overlap: take / merge the label; with no run held it
 * takes the next token, forming the run's features in frame coordinates, y-products registered), M1/M2 (merge of the
 * feature entries), F0 (a fresh label's entry written, or after a merge the winner's entry read), F1 (the run's
 * features added into its label's entry), E1 (a completed object's record out). The feature table is read in the
 * clock that decides what needs the entry, so a finish takes 1 clock after its decision, a merge 2, a record 1; the
 * clock that enqueues a finished run also takes the next token.
 * EOF: the end-of-frame record. After the frame's last line a virtual empty line retires every run: every object
 * completes.
 * Overflow follows the golden rule: a counter starts each line at the labels in use (= objects open after the
 * previous line) and counts the line's start pixels (a run whose first pixel has nothing above it).
 */
import { Module, Signal, Expr, lit, cat, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { tokenFields } from './runs.js';
import { fit, pack } from './util.js';

export const RUNLAB_STATES = { STEP: 0, M1: 1, M2: 2, F0: 3, F1: 4, E1: 5, EOF: 6 } as const;
const S = RUNLAB_STATES;
const SW = 3;

/** Run-queue slots: ⌊W/2⌋ + 2. */
export function runQueueSlots(W: number): number {
  return Math.floor(W / 2) + 2;
}

type Q = Parameters<Parameters<Module['sync']>[0]>[0];

export function buildCclRunLab(p: CclRtlParams): Module {
  const { LW, N, W } = p;
  const M = runQueueSlots(W);
  const d = p.cfg.connectivity === 8 ? 1 : 0;
  const m = new Module(`${p.name}_runlab`, {
    doc: `CCL run labeler: run queue of ${M} slots, labels 1..${p.Nt}, N=${N}, ${p.cfg.connectivity}-connectivity`,
    config: { width: W, height: p.H, slots: M, labels: p.Nt, maxObjects: N, connectivity: p.cfg.connectivity },
  });
  const { tok, tokValid, tokEol, tokLast, tokErr, tokReady, featQ, merged, allocOk, newLabel, inUse, outValid, featRa, featWe, featWa,
    featWd, mergeB, freeAlloc, freePush, freePushLabel, freeClear, outLoad, outData, outLast } = runLabPorts(m, p);
  const idxW = bitsFor(M - 1), cntW = bitsFor(M);
  const st = m.reg('rl_state_q', SW);
  const slotL = Array.from({ length: M }, (_, k) => m.reg(`q${k}_label_q`, LW));
  const slotXs = Array.from({ length: M }, (_, k) => m.reg(`q${k}_xs_q`, p.xW, { reset: null }));
  const slotXe = Array.from({ length: M }, (_, k) => m.reg(`q${k}_xe_q`, p.xW, { reset: null }));
  const slotV = Array.from({ length: M }, (_, k) => m.reg(`q${k}_valid_q`, 1));
  const head = m.reg('rl_head_q', idxW), tail = m.reg('rl_tail_q', idxW);
  const np = m.reg('rl_prev_runs_q', cntW), nc = m.reg('rl_cur_runs_q', cntW);
  const cv = m.reg('rl_cur_valid_q', 1), cLab = m.reg('rl_cur_label_q', LW), cXs = m.reg('rl_cur_xs_q', p.xW), cXe = m.reg('rl_cur_xe_q', p.xW);
  const eolSeen = m.reg('rl_eol_q', 1), lastLine = m.reg('rl_last_line_q', 1), virt = m.reg('rl_virtual_q', 1);
  const cfeat = m.reg('rl_cur_feat_q', p.featWidth, { reset: null });
  const acc = m.reg('rl_acc_q', p.featWidth, { reset: null });
  const ml = m.reg('rl_loser_q', LW), thenFinish = m.reg('rl_then_finish_q', 1), dl = m.reg('rl_done_label_q', LW);
  const liveW = bitsFor(Math.max(N, p.Nt) + M + 2);
  const live = m.reg('rl_live_q', liveW), ovf = m.reg('frame_overflow_q', 1), ferr = m.reg('frame_err_q', 1);
  const cnt = m.reg('frame_count_q', p.countWidth);

  const inS = (s: number): Expr => st.eq(lit(s, SW));
  // the head slot's fields: a balanced mux tree on the bits of head, ⌈log2 M⌉ levels (it was a chain of M
  // compare-and-mux stages; with that chain the 512-wide core synthesized at 11.7 MHz est.)
  const sel = (arr: Signal[]): Expr => {
    let level: Expr[] = arr;
    for (let b = 0; level.length > 1; b++) {
      const up: Expr[] = [];
      for (let i = 0; i < level.length; i += 2) up.push(i + 1 < level.length ? mux(head.bit(b), level[i + 1]!, level[i]!) : level[i]!);
      level = up;
    }
    return level[0]!;
  };
  const pl = m.let('rl_head_label', sel(slotL)), pxs = m.let('rl_head_xs', sel(slotXs)), pxe = m.let('rl_head_xe', sel(slotXe));
  const next = (i: Expr): Expr => mux(i.eq(M - 1), lit(0, idxW), fit(i.add(1), idxW));
  const haveP = np.ne(0);
  const wx = p.xW + 1;
  const pxeD = fit(pxe, wx).add(d), cxeD = fit(cXe, wx).add(d);
  const retire = m.let('rl_retire', haveP.and(mux(cv, pxeD.lt(cXs), eolSeen))); // with no current run: only once the line's runs are all in
  const finishNow = m.let('rl_finish', retire.not().and(cv).and(haveP.not().or(cxeD.lt(pxs))));
  const overlap = m.let('rl_overlap', retire.not().and(finishNow.not()).and(cv));
  // one reduction over the M slot comparators (a Verilog |{…}: synthesis builds a tree), not a chain of ORs
  const hit = m.let('rl_hit', cat(...slotL.map((l, k) => slotV[k]!.and(head.ne(k)).and(l.eq(pl)))).reduceOr().or(cv.and(cLab.eq(pl))));
  const complete = m.let('rl_complete', pl.ne(0).and(hit.not()));
  const lineEnd = m.let('rl_line_end', cv.not().and(haveP.not()).and(eolSeen));
  const needTok = cv.not().and(eolSeen.not());
  const mergeNow = m.let('rl_merge', inS(S.STEP).and(overlap).and(pl.ne(0)).and(cLab.ne(0)).and(cLab.ne(pl)));
  const winner = mux(cLab.lt(pl), cLab, pl), loser = mux(cLab.lt(pl), pl, cLab);
  const labAfter = m.let('rl_label_after', mux(cLab.eq(0), pl, cLab)); // the current run's label after an overlap without merge
  const startOverlap = overlap.and(pl.ne(0)).and(cLab.eq(0)).and(fit(cXs, wx).add(d).lt(pxs));
  const advP = pxe.le(cXe); // after an overlap: the head run cannot reach the next current run
  const dequeue = m.let('rl_dequeue', inS(S.STEP).and(retire.or(overlap.and(advP))));
  const allocNow = inS(S.F0).and(cLab.eq(0)).and(allocOk);
  const enqLabel = mux(cLab.eq(0), mux(allocOk, newLabel, lit(0, LW)), cLab);
  const enqueue = m.let('rl_enqueue', inS(S.F0).and(cLab.eq(0)).or(inS(S.F1)));
  // a token is taken while no run is held and the line's end-of-line token has not come, also in the clock that
  // enqueues the current run: token, decision and feature write of consecutive runs overlap
  const take = m.let('rl_take', inS(S.STEP).and(needTok).or(enqueue.and(eolSeen.not())));
  const e1Go = inS(S.E1).and(outValid.not().or(ovf));
  const eofGo = inS(S.EOF).and(outValid.not());
  // the feature table is read in the clock that decides what needs the entry: the state after sees it in feat_q
  const stepRa = mux(retire, pl, mux(mergeNow, loser, labAfter));
  const raOf = mux(inS(S.STEP), stepRa, mux(inS(S.E1), dl, cLab));

  m.assign(tokReady, take);
  m.assign(featRa, raOf);
  m.assign(featWe, inS(S.M2).or(allocNow).or(inS(S.F1)));
  m.assign(featWa, mux(allocNow, newLabel, cLab));
  m.assign(featWd, mux(allocNow, cfeat, merged));
  m.assign(mergeB, mux(inS(S.M2), acc, cfeat));
  m.assign(freeAlloc, allocNow);
  m.assign(freePush, inS(S.M2).or(e1Go));
  m.assign(freePushLabel, mux(inS(S.M2), ml, dl));
  m.assign(freeClear, eofGo);
  m.assign(outLoad, inS(S.E1).and(outValid.not()).and(ovf.not()).or(eofGo));
  m.assign(outData, mux(inS(S.EOF), eofRecordOf(p, ferr, ovf, cnt), objectRecordOf(p, featQ)));
  m.assign(outLast, inS(S.EOF));

  m.sync((q) => {
    queueUpdate(q, { slotL, slotXs, slotXe, slotV, head, tail, mergeNow, winner, loser, dequeue, enqueue, enqLabel, cXs, cXe, cLab, idxW });
    q.if(dequeue, () => { q.set(head, next(head)); q.set(np, fit(np.sub(1), cntW)); });
    q.if(enqueue, () => { q.set(tail, next(tail)); q.set(nc, fit(nc.add(1), cntW)); q.set(cv, 0); });
    const start = (): void => {
      q.set(live, fit(live.add(1), liveW));
      q.if(live.ge(lit(N, liveW)), () => q.set(ovf, 1));
    };
    const toStep = (): void => q.set(st, S.STEP);
    q.switch(st, {
      [S.STEP]: () => {
        q.if(retire, () => {
          q.if(complete, () => { q.set(dl, pl); q.set(st, S.E1); });
        }).elif(finishNow, () => {
          q.set(st, mux(cLab.eq(0), lit(S.F0, SW), lit(S.F1, SW)));
        }).elif(overlap, () => {
          q.if(startOverlap, start);
          q.if(pl.ne(0).and(cLab.eq(0)), () => q.set(cLab, pl));
          q.if(mergeNow, () => {
            q.set(cLab, winner);
            q.set(ml, loser);
            q.set(thenFinish, advP.not());
            q.set(st, S.M1);
          }).elif(advP.not(), () => q.set(st, mux(labAfter.eq(0), lit(S.F0, SW), lit(S.F1, SW))));
        }).elif(lineEnd, () => {
          q.set(np, nc);
          q.set(nc, 0);
          q.set(live, fit(inUse, liveW));
          q.if(virt, () => q.set(st, S.EOF)).elif(lastLine, () => q.set(virt, 1)).else(() => q.set(eolSeen, 0));
        });
      },
      [S.M1]: () => { q.set(acc, featQ); q.set(st, S.M2); }, // feat_q: the loser's entry (read in STEP)
      [S.M2]: () => q.set(st, mux(thenFinish, lit(S.F0, SW), lit(S.STEP, SW))),
      [S.F0]: () => {
        q.if(cLab.eq(0), () => {
          start();
          toStep();
        }).else(() => q.set(st, S.F1)); // after a merge: the winner's entry is read here
      },
      [S.F1]: toStep,
      [S.E1]: () => {
        q.if(e1Go, () => {
          q.if(ovf.not(), () => q.set(cnt, fit(cnt.add(1), p.countWidth)));
          toStep();
        });
      },
      [S.EOF]: () => {
        q.if(eofGo, () => {
          q.set(ovf, 0); q.set(ferr, 0); q.set(cnt, 0); q.set(virt, 0); q.set(eolSeen, 0); q.set(lastLine, 0);
          q.set(live, 0);
          toStep();
        });
      },
      default: () => {},
    });
    // token intake (after the enqueue above: a new run overrides its cv <= 0)
    q.if(take.and(tokValid), () => {
      q.if(tokEol, () => {
        q.set(eolSeen, 1);
        q.set(lastLine, tokLast);
        q.if(tokLast, () => q.set(ferr, tokErr));
      }).else(() => {
        q.set(cfeat, formFeat(p, tok));
        q.set(cXs, tok.tok_xs!); q.set(cXe, tok.tok_xe!);
        q.set(cLab, 0);
        q.set(cv, 1);
      });
    });
  });
  return m;
}

/** The run labeler's ports: tokens from the run extractor, feature table, free labels, output register. */
function runLabPorts(m: Module, p: CclRtlParams) {
  const { LW } = p;
  const tf = tokenFields(p);
  const tok: Record<string, Signal> = Object.fromEntries(tf.map((f) => [f.name, m.input(f.name, f.width)]));
  const tokValid = m.input('tok_valid', 1), tokEol = m.input('tok_eol', 1), tokLast = m.input('tok_last', 1), tokErr = m.input('tok_err', 1);
  const tokReady = m.output('tok_ready', 1);
  const featQ = m.input('feat_q', p.featWidth), merged = m.input('feat_merged', p.featWidth);
  const allocOk = m.input('alloc_ok', 1), newLabel = m.input('new_label', LW), inUse = m.input('in_use', bitsFor(p.Nt));
  const outValid = m.input('out_valid', 1);
  const featRa = m.output('feat_raddr', LW), featWe = m.output('feat_we', 1), featWa = m.output('feat_waddr', LW);
  const featWd = m.output('feat_wdata', p.featWidth), mergeB = m.output('merge_b', p.featWidth);
  const freeAlloc = m.output('free_alloc', 1), freePush = m.output('free_push', 1), freePushLabel = m.output('free_push_label', LW);
  const freeClear = m.output('free_clear', 1);
  const outLoad = m.output('out_load', 1), outData = m.output('out_data', p.outWidth), outLast = m.output('out_last', 1);

  return { tok, tokValid, tokEol, tokLast, tokErr, tokReady, featQ, merged, allocOk, newLabel, inUse, outValid, featRa, featWe, featWa, featWd, mergeB, freeAlloc, freePush, freePushLabel, freeClear, outLoad, outData, outLast };
}

/** A run token's features in frame coordinates, in featFields order (y-products registered at the token's intake). */
function formFeat(p: CclRtlParams, t: Record<string, Signal>): Expr {
  const W = p.W;
  const y = t.tok_y!, y2 = t.tok_y2!, y3 = t.tok_y3!, n = t.tok_n!;
  const fw = p.fw;
  const v: Record<string, Expr> = {
    area: fit(n, fw.area), sumX: fit(t.tok_sx!, fw.sumX), sumY: fit(y.mul(n), fw.sumY), sumXX: fit(t.tok_sxx!, fw.sumXX),
    sumYY: fit(y2.mul(n), fw.sumYY), sumXY: fit(y.mul(t.tok_sx!), fw.sumXY),
    xmin: t.tok_xs!, ymin: y, xmax: t.tok_xe!, ymax: y, cells: fit(n, fw.cells),
    first: fit(y.mul(lit(W, bitsFor(W))).add(t.tok_xs!), p.firstWidth),
  };
  if (p.third) {
    Object.assign(v, {
      sumXXX: fit(t.tok_sxxx!, fw.sumXXX), sumXXY: fit(y.mul(t.tok_sxx!), fw.sumXXY),
      sumXYY: fit(y2.mul(t.tok_sx!), fw.sumXYY), sumYYY: fit(y3.mul(n), fw.sumYYY),
    });
  }
  for (const g of p.histGroups) for (let b = 0; b < g.bins; b++) v[`${g.featPrefix}${b}`] = fit(t[`tok_${g.cellPrefix}${b}`]!, g.featWidth);
  return pack(v, p.featFields);
}

/** An object record: bit 0 = 0, the feature entry (record.ts). */
function objectRecordOf(p: CclRtlParams, featQ: Expr): Expr {
  return cat(...(p.outWidth > 1 + p.featWidth ? [lit(0, p.outWidth - 1 - p.featWidth)] : []), featQ, lit(0, 1));
}

/** The end-of-frame record: bit 0 = 1, count, overflow, syncErr (record.ts). */
function eofRecordOf(p: CclRtlParams, ferr: Expr, ovf: Expr, cnt: Expr): Expr {
  const eofBits = 1 + p.countWidth + 2;
  return cat(...(p.outWidth > eofBits ? [lit(0, p.outWidth - eofBits)] : []), ferr, ovf, cnt, lit(1, 1));
}

/** Slot updates: enqueue at the tail, clear the dequeued head, relabel the merge loser everywhere. */
function queueUpdate(q: Q, g: {
  slotL: Signal[]; slotXs: Signal[]; slotXe: Signal[]; slotV: Signal[]; head: Signal; tail: Signal; mergeNow: Expr;
  winner: Expr; loser: Expr; dequeue: Expr; enqueue: Expr; enqLabel: Expr; cXs: Signal; cXe: Signal; cLab: Signal; idxW: number;
}): void {
  g.slotL.forEach((l, k) => {
    q.if(g.enqueue.and(g.tail.eq(lit(k, g.idxW))), () => {
      q.set(l, g.enqLabel);
      q.set(g.slotXs[k]!, g.cXs);
      q.set(g.slotXe[k]!, g.cXe);
      q.set(g.slotV[k]!, 1);
    }).elif(g.dequeue.and(g.head.eq(lit(k, g.idxW))), () => {
      q.set(g.slotV[k]!, 0);
    }).elif(g.mergeNow.and(l.eq(g.loser)), () => q.set(l, g.winner));
  });
}
