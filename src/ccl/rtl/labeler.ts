/**
 * Labeler of the CCL core (docs/ccl.md "Architecture", 3): a state machine that visits the Wc cells of a handed-over
 * cell row against the label ring (slot i = label of cell column cx+i of the previous row while i < Wc−cx, then the
 * current row's labels), allocates labels (`<core>_free`), merges by parallel relabel of the ring, accumulates each
 * cell's global features (`<core>_cellfeat`) into the feature table (`<core>_feat`), detects completed objects (a
 * label leaving the window that no ring slot holds any more) and emits their records through `<core>_out`. A virtual
 * empty cell row after the frame's last one flushes every object, then the end-of-frame record.
 */
import { Module, Signal, Expr, lit, cat, mux } from '../../hdl/index.js';
import { bitsFor } from '../features.js';
import type { CclRtlParams } from './params.js';
import { CUBE_NAMES, squareWidths, type CubeName } from './cellfeat.js';
import { fit, unpack } from './util.js';

export const LABELER_STATES = { IDLE: 0, RD: 1, DEC: 2, F0: 3, F1: 4, F2: 5, WR: 6, COMMIT: 7, E0: 8, E1: 9, EOF: 10 } as const;
const S = LABELER_STATES;

type Ports = ReturnType<typeof ports>;
type Regs = ReturnType<typeof registers>;

function ports(m: Module, p: CclRtlParams) {
  const sw = squareWidths(p);
  const spW = bitsFor(p.Nt);
  return {
    bankQ: [m.input('bank0_q', p.cellWidth), m.input('bank1_q', p.cellWidth)],
    busy: [m.input('bank0_busy', 1), m.input('bank1_busy', 1)],
    job: [0, 1].map((b) => ({ cy: m.input(`job${b}_cy`, p.cyW), last: m.input(`job${b}_last`, 1), err: m.input(`job${b}_err`, 1) })),
    cellGlobal: m.input('cell_global', p.featWidth),
    featQ: m.input('feat_q', p.featWidth),
    merged: m.input('feat_merged', p.featWidth),
    allocOk: m.input('alloc_ok', 1),
    newLabel: m.input('new_label', p.LW),
    inUse: m.input('in_use', spW),
    outValid: m.input('out_valid', 1),
    cellAddr: m.output('lab_cell_addr', p.cxW),
    release: m.output('lab_release', 1),
    labBank: m.output('lab_bank', 1),
    cell: m.output('lab_cell', p.cellWidth),
    cx: m.output('lab_cx', p.cxW),
    cy: m.output('lab_cy', p.cyW),
    cxsq: m.output('lab_cxsq', sw.cxsqW),
    cysq: m.output('lab_cysq', sw.cysqW),
    cxcy: m.output('lab_cxcy', sw.cxcyW),
    cubes: p.third ? Object.fromEntries(CUBE_NAMES.map((k) => [k, m.output(`lab_${k}`, sw[`${k}W`])])) as Record<CubeName, Signal> : null,
    cellLoad: m.output('cell_load', 1),
    featRa: m.output('feat_raddr', p.LW),
    featWe: m.output('feat_we', 1),
    featWa: m.output('feat_waddr', p.LW),
    featWd: m.output('feat_wdata', p.featWidth),
    mergeB: m.output('merge_b', p.featWidth),
    freeAlloc: m.output('free_alloc', 1),
    freePush: m.output('free_push', 1),
    freePushLabel: m.output('free_push_label', p.LW),
    freeClear: m.output('free_clear', 1),
    outLoad: m.output('out_load', 1),
    outData: m.output('out_data', p.outWidth),
    outLast: m.output('out_last', 1),
  };
}

function registers(m: Module, p: CclRtlParams) {
  const sw = squareWidths(p);
  const { LW, N, Nt, Wc } = p;
  const liveW = bitsFor(Math.max(N, Nt + 2 * Wc + 2));
  return {
    st: m.reg('lab_state_q', 4),
    labBank: m.reg('lab_bank_q', 1),
    virt: m.reg('lab_virtual_q', 1), // flushing: the virtual empty cell row after the last one
    tail: m.reg('lab_tail_q', 1), // the step after the last cell: drops the last previous-row label
    cx: m.reg('lab_cx_q', p.cxW),
    cy: m.reg('lab_cy_q', p.cyW),
    cxsq: m.reg('lab_cxsq_q', sw.cxsqW), // cx² (incremental)
    cysq: m.reg('lab_cysq_q', sw.cysqW), // cy²
    cxcy: m.reg('lab_cxcy_q', sw.cxcyW), // cx·cy (incremental)
    // third order (incremental along the row like cx², cx·cy; cy³ per row): cx³, cx²·cy, cx·cy², cy³
    cubes: p.third ? Object.fromEntries(CUBE_NAMES.map((k) => [k, m.reg(`lab_${k}_q`, sw[`${k}W`])])) as Record<CubeName, Signal> : null,
    pl: m.reg('lab_prev_left_q', LW), // previous-row label left of the cell (up-left neighbour)
    act: m.reg('lab_act_q', 1),
    lab: m.reg('lab_label_q', LW),
    mrg: m.reg('lab_merge_q', 1),
    ml: m.reg('lab_merge_loser_q', LW),
    alloc: m.reg('lab_alloc_q', 1),
    hit: m.reg('lab_hit_q', 1),
    dl: m.reg('lab_done_label_q', LW),
    cg: m.reg('lab_cell_feat_q', p.featWidth, { reset: null }),
    acc: m.reg('lab_acc_q', p.featWidth, { reset: null }),
    liveW,
    live: m.reg('lab_live_q', liveW), // reference-policy label count of this cell row (overflow rule)
    ovf: m.reg('frame_overflow_q', 1),
    ferr: m.reg('frame_err_q', 1),
    cnt: m.reg('frame_count_q', p.countWidth),
    // ring: slot i = label of cell column cx+i of the previous row (i < Wc−cx), then the current row's labels
    slots: Array.from({ length: Wc }, (_, i) => m.reg(`ring${i}_q`, LW)),
  };
}

/** Neighbour labels, start / merge decisions and the completion tests (combinational). */
function decisions(m: Module, p: CclRtlParams, io: Ports, r: Regs) {
  const { Wc, LW } = p;
  const inS = (s: number): Expr => r.st.eq(lit(s, 4));
  const zeroL = lit(0, LW);
  const nz = (e: Expr): Expr => e.ne(0);
  const u = r.slots[0]!;
  const ur: Expr = Wc > 1 ? mux(r.cx.eq(Wc - 1), zeroL, r.slots[1]!) : zeroL;
  const left: Expr = Wc > 1 ? mux(r.cx.eq(0), zeroL, r.slots[Wc - 1]!) : zeroL;
  const ul = r.pl;
  const cellQ = m.let('lab_cell_sel', mux(r.labBank, io.bankQ[1]!, io.bankQ[0]!));
  const cell = unpack(cellQ, p.cellFields);
  const nW = p.cellFields[0]!.width;
  const active = m.let('lab_active', r.virt.not().and(r.tail.not()).and(cell.n!.ge(lit(p.cfg.minPixels, nW))));
  let lnb: Expr, start: Expr, mrgNow: Expr, mlNow: Expr;
  if (p.cfg.connectivity === 8) {
    lnb = mux(nz(left), left, mux(nz(u), u, mux(nz(ul), ul, ur)));
    start = nz(left).not().and(nz(u).not()).and(nz(ul).not()).and(nz(ur).not());
    mrgNow = nz(left).and(nz(u).not()).and(nz(ur)).and(ur.ne(left))
      .or(nz(left).not().and(nz(u).not()).and(nz(ul)).and(nz(ur)).and(ur.ne(ul)));
    mlNow = ur;
  } else {
    lnb = mux(nz(left), left, u);
    start = nz(left).not().and(nz(u).not());
    mrgNow = nz(left).and(nz(u)).and(u.ne(left));
    mlNow = u;
  }
  const hitNow = r.slots.map((s) => s.eq(r.pl)).reduce((a, b) => a.or(b));
  const newL = mux(r.act, r.lab, zeroL);
  const complete = m.let('lab_complete', nz(r.pl).and(r.mrg.and(r.pl.eq(r.ml)).not()).and(r.pl.ne(newL)).and(r.hit.not()));
  const e1Go = inS(S.E1).and(io.outValid.not().or(r.ovf));
  // inactive cell committed in DEC: the label leaving the window is complete when no ring slot holds it
  const completeInline = p.inlineCommit ? m.let('lab_complete_inline', nz(r.pl).and(hitNow.not())) : lit(0, 1);
  const decGo = p.inlineCommit ? inS(S.DEC).and(active.not()).and(completeInline.not()) : lit(0, 1);
  const adv = m.let('lab_adv', inS(S.COMMIT).and(complete.not()).or(e1Go).or(decGo));
  return {
    inS, zeroL, cellQ, active, lnb: m.let('lab_neighbour', lnb), start: m.let('lab_start', start), mrgNow, mlNow, hitNow,
    newL, complete, completeInline, adv,
  };
}

type Dec = ReturnType<typeof decisions>;

/** Drive the ports towards the banks, cellfeat, feat, free and out. */
function drivePorts(m: Module, p: CclRtlParams, io: Ports, r: Regs, d: Dec): void {
  const { inS } = d;
  const stepNext = d.adv.and(r.tail.not()).and(r.cx.ne(p.Wc - 1));
  m.assign(io.cellAddr, mux(stepNext, fit(r.cx.add(1), p.cxW), r.cx));
  m.assign(io.release, d.adv.and(r.tail).and(r.virt.not()));
  m.assign(io.labBank, r.labBank);
  m.assign(io.cell, d.cellQ);
  for (const k of ['cx', 'cy', 'cxsq', 'cysq', 'cxcy'] as const) m.assign(io[k], r[k]);
  if (io.cubes && r.cubes) for (const k of CUBE_NAMES) m.assign(io.cubes[k], r.cubes[k]);
  m.assign(io.cellLoad, inS(S.DEC));
  m.assign(io.featRa, mux(inS(S.F1), r.ml, mux(inS(S.F0), r.lab, r.dl)));
  m.assign(io.featWe, inS(S.WR));
  m.assign(io.featWa, r.lab);
  m.assign(io.featWd, mux(r.alloc, r.cg, r.acc));
  m.assign(io.mergeB, mux(inS(S.F2), r.acc, r.cg));
  m.assign(io.freeAlloc, inS(S.DEC).and(d.active).and(d.start).and(io.allocOk));
  m.assign(io.freePush, inS(S.F2).or(inS(S.E1).and(io.outValid.not().or(r.ovf))));
  m.assign(io.freePushLabel, mux(inS(S.F2), r.ml, r.dl));
  const eofGo = inS(S.EOF).and(io.outValid.not());
  m.assign(io.freeClear, eofGo);
  const objRecord = cat(...(p.outWidth > 1 + p.featWidth ? [lit(0, p.outWidth - 1 - p.featWidth)] : []), io.featQ, lit(0, 1));
  const eofBits = 1 + p.countWidth + 2;
  const eofRecord = cat(...(p.outWidth > eofBits ? [lit(0, p.outWidth - eofBits)] : []), r.ferr, r.ovf, r.cnt, lit(1, 1));
  m.assign(io.outLoad, inS(S.E1).and(io.outValid.not()).and(r.ovf.not()).or(eofGo));
  m.assign(io.outData, mux(inS(S.EOF), eofRecord, objRecord));
  m.assign(io.outLast, inS(S.EOF));
}

export function buildCclLabeler(p: CclRtlParams): Module {
  const m = new Module(`${p.name}_labeler`, {
    doc: `CCL labeler: label ring, merges, completion (Wc=${p.Wc}, labels 1..${p.Nt}, N=${p.N}, ${p.cfg.connectivity}-connectivity)`,
    config: { cells: p.Wc, rows: p.Hc, labels: p.Nt, maxObjects: p.N, minPixels: p.cfg.minPixels, connectivity: p.cfg.connectivity, inlineCommit: p.inlineCommit },
  });
  const io = ports(m, p);
  const r = registers(m, p);
  const d = decisions(m, p, io, r);
  drivePorts(m, p, io, r, d);
  m.sync((q) => {
    stateMachine(q, p, io, r, d);
    advance(q, p, io, r, d);
  });
  return m;
}

type Q = Parameters<Parameters<Module['sync']>[0]>[0];

function stateMachine(q: Q, p: CclRtlParams, io: Ports, r: Regs, d: Dec): void {
  const { Wc, N } = p;
  const sel = <T extends Signal>(pair: T[]): Expr => mux(r.labBank, pair[1]!, pair[0]!);
  const repl = (e: Expr): Expr => mux(r.mrg.and(e.eq(r.ml)), r.lab, e);
  q.switch(r.st, {
    [S.IDLE]: () => {
      q.if(sel(io.busy), () => {
        q.set(r.virt, 0);
        q.set(r.tail, 0);
        q.set(r.cx, 0);
        q.set(r.cy, sel(io.job.map((j) => j.cy)));
        if (r.cubes) {
          // cell rows come in order (0, 1, …, Hc−1, then 0 of the next frame): cy³ grows incrementally,
          // (cy+1)³ = cy³ + 3cy² + 3cy + 1, from the previous row's cy and cy² (no multiplier chain)
          const c3 = r.cubes.cy3, w3 = c3.width + 2;
          const tri = (e: Expr): Expr => fit(e, w3).add(fit(e, w3).shl(1));
          const next = fit(fit(c3, w3).add(tri(r.cysq)).add(tri(r.cy)).add(1), c3.width);
          q.set(c3, mux(sel(io.job.map((j) => j.cy)).eq(0), lit(0, c3.width), next));
        }
        q.set(r.cxsq, 0);
        q.set(r.cxcy, 0);
        rowStartCubes(q, r);
        q.set(r.live, fit(io.inUse, r.liveW));
        q.set(r.st, S.RD);
      });
    },
    [S.RD]: () => {
      q.set(r.cysq, fit(r.cy.mul(r.cy), r.cysq.width));
      q.set(r.st, S.DEC);
    },
    [S.DEC]: () => {
      const actNow = d.active.and(d.start.not().or(io.allocOk));
      q.set(r.act, actNow);
      q.set(r.lab, mux(d.start, io.newLabel, d.lnb));
      q.set(r.mrg, d.active.and(d.mrgNow));
      q.set(r.ml, d.mlNow);
      q.set(r.alloc, d.start);
      q.set(r.hit, d.hitNow);
      q.if(d.active.and(d.start), () => {
        q.set(r.live, fit(r.live.add(1), r.liveW));
        q.if(r.live.ge(lit(N, r.liveW)).or(io.allocOk.not()), () => q.set(r.ovf, 1));
      });
      q.set(r.st, mux(actNow, lit(S.F0, 4), lit(S.COMMIT, 4)));
      // with inlineCommit an inactive cell (and the tail step) commits right here: one clock, +2 when an object
      // completes
      if (p.inlineCommit) q.if(d.active.not(), () => {
        q.if(r.tail.not(), () => {
          r.slots.forEach((sl, i) => q.set(sl, i < Wc - 1 ? r.slots[i + 1]! : d.zeroL));
          q.set(r.pl, r.slots[0]!);
        }).else(() => q.set(r.pl, 0));
        q.if(d.completeInline, () => {
          q.set(r.dl, r.pl);
          q.set(r.st, S.E0);
        });
      });
    },
    [S.F0]: () => {
      q.set(r.cg, io.cellGlobal);
      q.set(r.st, mux(r.alloc, lit(S.WR, 4), lit(S.F1, 4)));
    },
    [S.F1]: () => {
      q.set(r.acc, io.merged);
      q.set(r.st, mux(r.mrg, lit(S.F2, 4), lit(S.WR, 4)));
    },
    [S.F2]: () => {
      q.set(r.acc, io.merged);
      q.set(r.st, S.WR);
    },
    [S.WR]: () => q.set(r.st, S.COMMIT),
    [S.COMMIT]: () => {
      q.if(r.tail.not(), () => {
        r.slots.forEach((s, i) => q.set(s, repl(i < Wc - 1 ? r.slots[i + 1]! : d.newL)));
        q.set(r.pl, repl(r.slots[0]!));
      }).else(() => q.set(r.pl, 0));
      q.if(d.complete, () => {
        q.set(r.dl, r.pl);
        q.set(r.st, S.E0);
      });
    },
    [S.E0]: () => q.set(r.st, S.E1),
    [S.E1]: () => {
      q.if(io.outValid.not().and(r.ovf.not()), () => q.set(r.cnt, fit(r.cnt.add(1), p.countWidth)));
    },
    [S.EOF]: () => {
      q.if(io.outValid.not(), () => {
        q.set(r.ovf, 0);
        q.set(r.ferr, 0);
        q.set(r.cnt, 0);
        q.set(r.st, S.IDLE);
      });
    },
    default: () => {},
  });
}

/** cx = 0 at the start of a cell row: the incremental cube terms restart. */
function rowStartCubes(q: Q, r: Regs): void {
  if (r.cubes) for (const k of ['cx3', 'cx2cy', 'cxcy2'] as const) q.set(r.cubes[k], 0);
}

/** Advance to the next cell (or finish the row) after COMMIT / E1. */
function advance(q: Q, p: CclRtlParams, io: Ports, r: Regs, d: Dec): void {
  const sel = <T extends Signal>(pair: T[]): Expr => mux(r.labBank, pair[1]!, pair[0]!);
  q.if(d.adv, () => {
    q.if(r.tail, () => {
      q.if(r.virt, () => q.set(r.st, S.EOF)).else(() => {
        q.set(r.labBank, r.labBank.not());
        q.if(sel(io.job.map((j) => j.last)), () => {
          q.set(r.virt, 1);
          q.set(r.tail, 0);
          q.set(r.cx, 0);
          q.set(r.cxsq, 0);
          q.set(r.cxcy, 0);
          rowStartCubes(q, r);
          q.set(r.ferr, sel(io.job.map((j) => j.err)));
          q.set(r.st, S.DEC);
        }).else(() => q.set(r.st, S.IDLE));
      });
    }).elif(r.cx.eq(p.Wc - 1), () => {
      q.set(r.tail, 1);
      q.set(r.st, S.DEC);
    }).else(() => {
      q.set(r.cx, fit(r.cx.add(1), p.cxW));
      q.set(r.cxsq, fit(r.cxsq.add(fit(r.cx.shl(1), r.cxsq.width + 1)).add(1), r.cxsq.width));
      q.set(r.cxcy, fit(r.cxcy.add(r.cy), r.cxcy.width));
      if (r.cubes) {
        // (cx+1)³ = cx³ + 3cx² + 3cx + 1, (cx+1)²cy = cx²cy + 2cx·cy + cy, (cx+1)cy² = cx·cy² + cy²
        const c = r.cubes, w3 = c.cx3.width + 2;
        const tri = (e: Expr): Expr => fit(e, w3).add(fit(e, w3).shl(1));
        q.set(c.cx3, fit(fit(c.cx3, w3).add(tri(r.cxsq)).add(tri(r.cx)).add(1), c.cx3.width));
        q.set(c.cx2cy, fit(c.cx2cy.add(fit(r.cxcy.shl(1), c.cx2cy.width + 1)).add(r.cy), c.cx2cy.width));
        q.set(c.cxcy2, fit(c.cxcy2.add(r.cysq), c.cxcy2.width));
      }
      q.set(r.st, S.DEC);
    });
  });
}
