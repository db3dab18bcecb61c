/**
 * The I-ViT nonlinear unit (docs/ivit.md "Nonlinear unit"): an AXI4-Stream block that reads jobs (job.ts: header,
 * LN parameters, rows) on s_in and writes one result per element on m_out, applying Shiftmax, ShiftGELU or
 * I-LayerNorm (the job's mode) bit-exactly as the golden operators. Per row: LOAD (one element a cycle into the row
 * buffer, row max / Σx / Σx² on the fly), the mode's once-per-row sequential part (seq.ts), then EMIT through the
 * element pipeline (pipe.ts); Shiftmax runs the pipeline once more before the division to sum the exponentials.
 * ShiftGELU is elementwise and needs no row statistics: its elements STREAM from s_in straight into the pipeline (one
 * a cycle, no row buffer), and the unit DRAINs the pipeline before it reads the next job's header.
 */
import { Module, lit, mux, type Expr, type Fsm, type ProcBuilder, type Signal } from '../../../hdl/index.js';
import { axisFire, axisMaster, axisSlave } from '../../../hdl/lib/index.js';
import { NL_HDR0, NL_HDR1, NL_MODES, NL_OUT_BITS, NL_WORD_BITS } from '../job.js';
import { elementPipe } from './pipe.js';
import { nlWidths, type NlUnitConfig } from './params.js';
import { seqDatapath } from './seq.js';

const STATES = ['H0', 'H1', 'H2', 'H3', 'PARAM', 'LOAD', 'SUM', 'PREP0', 'PREPA', 'PREPB', 'SQRT', 'VSET', 'NORM', 'DIV', 'EMIT', 'STREAM', 'DRAIN'] as const;
/** Element pipeline depth: the row buffer's read register, S2..S10 inputs and the output register. */
export const NL_PIPE_STAGES = 11;
/** The tag stage (1-based) whose data holds the exponential t: Shiftmax's SUM pass adds it there. */
export const NL_SUM_STAGE = 5;

export function buildNlUnit(cfg: NlUnitConfig): Module {
  const w = nlWidths(cfg);
  const { W, LB, AB } = w;
  const modes = NL_MODES.filter((x) => !cfg.modes || cfg.modes.includes(x));
  const suffix = modes.length === NL_MODES.length ? '' : `_${modes.join('_')}`;
  const m = new Module(`ivit_nl_w${W}_l${cfg.maxLen}${suffix}`, { doc: 'I-ViT nonlinear unit: Shiftmax / ShiftGELU / I-LayerNorm over rows (src/msq/ivit)', config: { ...cfg } });
  const s = axisSlave(m, 's_in', NL_WORD_BITS, { role: 'job words: header, LN parameters, rows' });
  const o = axisMaster(m, 'm_out', NL_OUT_BITS, { last: true, role: 'one result per element, tlast per row' });
  const st = m.fsm('state_q', STATES);
  const inS = (...xs: (typeof STATES)[number][]) => xs.map((x) => st.is(x)).reduce((a, b) => a.or(b));
  const fire = m.let('in_fire', axisFire(s));
  const h0 = NL_HDR0.unpack(s.tdata);
  const h1 = NL_HDR1.unpack(s.tdata);
  // one-mode units: the mode is a constant and yosys removes the other modes' logic
  const mode = modes.length > 1 ? m.reg('mode_q', 2, { reset: null }) : undefined;
  const isMode = (k: number): Expr => (mode ? mode.eq(k) : lit(modes[0] === NL_MODES[k] ? 1 : 0, 1));
  const frac = m.reg('frac_q', 4, { reset: null });
  const outBits = m.reg('out_bits_q', 5, { reset: null });
  const outSigned = m.reg('out_signed_q', 1, { reset: null });
  const len = m.reg('len_q', LB, { reset: null });
  const lenM1 = m.reg('len_m1_q', LB, { reset: null });
  const rowsLeft = m.reg('rows_left_q', 16, { reset: null });
  const shift = m.reg('shift_q', 6, { reset: null });
  const mul = m.reg('mul_q', 31, { reset: null });
  const eps = m.reg('eps_q', 32, { reset: null });
  const idx = m.reg('idx_q', LB, { reset: 0 });
  const cnt = m.reg('cnt_q', Math.max(6, LB), { reset: 0 });
  const isSm = isMode(0);
  const isGelu = isMode(1);
  const isLn = isMode(2);

  // row buffer and LN parameters
  const x = m.let('in_x', s.tdata.slice(W - 1, 0).asSigned());
  const style = cfg.maxLen >= 128 ? 'block' : 'distributed';
  const xbuf = m.ram('row_buf', { width: W, depth: cfg.maxLen, style, signed: true });
  const pbuf = m.ram('param_buf', { width: NL_WORD_BITS, depth: cfg.maxLen, style });
  const loadFire = m.let('load_fire', st.is('LOAD').and(fire));
  xbuf.write(loadFire, idx.trunc(AB), x);
  pbuf.write(st.is('PARAM').and(fire), idx.trunc(AB), s.tdata);
  // row statistics while loading
  const rowMax = m.reg('row_max_q', W, { signed: true, reset: null });
  const sx = m.reg('sum_x_q', w.SXW, { signed: true, reset: null });
  const sxx = m.reg('sum_xx_q', w.SXXW, { reset: null });
  const first = idx.eq(0);
  m.sync((p) => p.if(loadFire, () => {
    p.set(rowMax, mux(first.or(x.gt(rowMax)), x, rowMax));
    p.set(sx, mux(first, lit(0, w.SXW, true), sx).add(x).trunc(w.SXW));
    p.set(sxx, mux(first, lit(0, w.SXXW), sxx).add(x.mul(x).asUnsigned()).trunc(w.SXXW));
  }));

  // element pipeline: tags (valid, emit, last) beside the data, all advanced by adv
  const N = NL_PIPE_STAGES;
  const tv = Array.from({ length: N }, (_, k) => m.reg(`tag${k + 1}_valid_q`, 1, { reset: 0 }));
  const te = Array.from({ length: N }, (_, k) => m.reg(`tag${k + 1}_emit_q`, 1, { reset: null }));
  const tl = Array.from({ length: N }, (_, k) => m.reg(`tag${k + 1}_last_q`, 1, { reset: null }));
  const adv = m.let('adv', tv[N - 1]!.and(te[N - 1]!).not().or(o.tready));
  m.assign(s.tready, inS('H0', 'H1', 'H2', 'H3', 'PARAM', 'LOAD').or(st.is('STREAM').and(adv)));
  const streamFire = m.let('stream_fire', st.is('STREAM').and(fire));
  const issue = m.let('issue', adv.and(inS('SUM', 'EMIT')).and(idx.lt(len)).or(streamFire));
  const empty = m.let('pipe_empty', tv.map((v) => v.not()).reduce((a, b) => a.and(b)));
  m.sync((p) => p.if(adv, () => {
    for (let k = 0; k < N; k++) {
      p.set(tv[k]!, k === 0 ? issue : tv[k - 1]!);
      p.set(te[k]!, k === 0 ? inS('EMIT', 'STREAM') : te[k - 1]!);
      p.set(tl[k]!, k === 0 ? idx.eq(lenM1) : tl[k - 1]!);
    }
  }));
  const xbq = xbuf.read(idx.trunc(AB), { en: adv, name: 's1_x_q' });
  // ShiftGELU's streamed element (STREAM): taken from s_in whenever the pipeline advances
  const xin = m.reg('s1_in_x_q', W, { signed: true, reset: null });
  m.sync((p) => p.if(adv, () => p.set(xin, x)));
  const xq = m.let('s1_x', mux(isGelu, xin, xbq));
  const pq = pbuf.read(idx.trunc(AB), { en: adv, name: 's1_param_q' });
  // Shiftmax's sum of exponentials (SUM pass: tags with emit = 0 at S4)
  const total = m.reg('sum_t_q', w.TW, { reset: null });
  const sumCnt = m.reg('sum_cnt_q', LB, { reset: null });
  const lastA = m.let('last_prep_a', cnt.eq(LB - 1));
  const lastB = m.let('last_prep_b', cnt.eq(w.MW - 1));
  const lastSqrt = m.let('last_sqrt', cnt.eq(w.RTW - 1));
  const lastNorm = m.let('last_norm', cnt.eq(w.VW - 2));
  const lastDiv = m.let('last_div', cnt.eq(w.FW - 1));
  const { f, b } = seqDatapath(m, w, {
    inPrep0: st.is('PREP0'), inPrepA: st.is('PREPA'), inPrepB: st.is('PREPB'), inSqrt: st.is('SQRT'), inVset: st.is('VSET'),
    inNorm: st.is('NORM'), inDiv: st.is('DIV'), lastA, lastB, lastNorm, isSm, eps, len, sx, sxx, total,
  });
  const pipe = elementPipe(m, w, { adv, isSm, isGelu, xq, pq, rowMax, frac, len, sx, f, b, mul, shift, outBits, outSigned });
  m.sync((p) => {
    p.if(loadFire.and(idx.eq(lenM1)), () => {
      p.set(total, 0);
      p.set(sumCnt, 0);
    });
    p.if(adv.and(tv[NL_SUM_STAGE - 1]!).and(te[NL_SUM_STAGE - 1]!.not()), () => {
      p.set(total, total.add(pipe.t).trunc(w.TW));
      p.set(sumCnt, sumCnt.add(1).trunc(LB));
    });
  });
  m.assign(o.tvalid, tv[N - 1]!.and(te[N - 1]!));
  m.assign(o.tlast, tl[N - 1]!);
  m.assign(o.tdata, pipe.out);
  const outDone = m.let('row_out_done', axisFire(o).and(o.tlast));

  control(m, { st, s, fire, h0, h1, mode, frac, outBits, outSigned, len, lenM1, rowsLeft, shift, mul, eps, idx, cnt, isSm, isGelu, isLn, issue, streamFire, empty, sumCnt, outDone, lastA, lastB, lastSqrt, lastNorm, lastDiv, LB });
  return m;
}

type State = (typeof STATES)[number];
interface Ctl {
  st: Fsm<State>;
  s: { tdata: Signal };
  fire: Expr;
  h0: Record<string, Expr>;
  h1: Record<string, Expr>;
  mode: Signal | undefined;
  frac: Signal; outBits: Signal; outSigned: Signal; len: Signal; lenM1: Signal; rowsLeft: Signal; shift: Signal; mul: Signal; eps: Signal;
  idx: Signal; cnt: Signal; sumCnt: Signal;
  isSm: Expr; isGelu: Expr; isLn: Expr; issue: Expr; streamFire: Expr; empty: Expr; outDone: Expr;
  lastA: Expr; lastB: Expr; lastSqrt: Expr; lastNorm: Expr; lastDiv: Expr;
  LB: number;
}

/** The control state machine: header words, LN parameters, rows (LOAD → the mode's passes → EMIT), next job. */
function control(m: Module, c: Ctl): void {
  const { st, s, fire, h0, h1, mode, frac, outBits, outSigned, len, lenM1, rowsLeft, shift, mul, eps, idx, cnt, isSm, isGelu, isLn, issue, streamFire, empty, sumCnt, outDone, lastA, lastB, lastSqrt, lastNorm, lastDiv, LB } = c;
  const cntStep = (p: ProcBuilder, last: Expr, next: State): void => {
    p.set(cnt, cnt.add(1).trunc(cnt.width));
    p.if(last, () => {
      p.set(cnt, 0);
      st.goto(p, next);
    });
  };
  m.sync((p) => {
    st.switch(p, {
      H0: () => p.if(fire, () => {
        if (mode) p.set(mode, h0.mode!);
        p.set(frac, h0.frac!);
        p.set(outBits, h0.outBits!);
        p.set(outSigned, h0.outSigned!);
        p.set(len, h0.len!.resize(LB));
        p.set(lenM1, h0.len!.sub(1).trunc(LB));
        st.goto(p, 'H1');
      }),
      H1: () => p.if(fire, () => {
        p.set(rowsLeft, h1.rows!);
        p.set(shift, h1.shift!);
        st.goto(p, 'H2');
      }),
      H2: () => p.if(fire, () => {
        p.set(mul, s.tdata.slice(30, 0));
        st.goto(p, 'H3');
      }),
      H3: () => p.if(fire, () => {
        p.set(eps, s.tdata);
        p.set(idx, 0);
        p.if(isLn, () => st.goto(p, 'PARAM')).elif(isGelu, () => st.goto(p, 'STREAM')).else(() => st.goto(p, 'LOAD'));
      }),
      PARAM: () => p.if(fire, () => {
        p.set(idx, idx.add(1).trunc(LB));
        p.if(idx.eq(lenM1), () => {
          p.set(idx, 0);
          st.goto(p, 'LOAD');
        });
      }),
      LOAD: () => p.if(fire, () => {
        p.set(idx, idx.add(1).trunc(LB));
        p.if(idx.eq(lenM1), () => {
          p.set(idx, 0);
          p.if(isSm, () => st.goto(p, 'SUM')).else(() => st.goto(p, 'PREP0'));
        });
      }),
      SUM: () => {
        p.if(issue, () => p.set(idx, idx.add(1).trunc(LB)));
        p.if(sumCnt.eq(len), () => st.goto(p, 'VSET'));
      },
      PREP0: () => {
        p.set(cnt, 0);
        st.goto(p, 'PREPA');
      },
      PREPA: () => cntStep(p, lastA, 'PREPB'),
      PREPB: () => cntStep(p, lastB, 'SQRT'),
      SQRT: () => cntStep(p, lastSqrt, 'VSET'),
      VSET: () => {
        p.set(cnt, 0);
        st.goto(p, 'NORM');
      },
      NORM: () => cntStep(p, lastNorm, 'DIV'),
      DIV: () => {
        cntStep(p, lastDiv, 'EMIT');
        p.if(lastDiv, () => p.set(idx, 0));
      },
      EMIT: () => {
        p.if(issue, () => p.set(idx, idx.add(1).trunc(LB)));
        p.if(outDone, () => {
          p.set(idx, 0);
          p.set(rowsLeft, rowsLeft.sub(1).trunc(16));
          p.if(rowsLeft.eq(1), () => st.goto(p, 'H0')).else(() => st.goto(p, 'LOAD'));
        });
      },
      STREAM: () => p.if(streamFire, () => {
        p.set(idx, idx.add(1).trunc(LB));
        p.if(idx.eq(lenM1), () => {
          p.set(idx, 0);
          p.set(rowsLeft, rowsLeft.sub(1).trunc(16));
          p.if(rowsLeft.eq(1), () => st.goto(p, 'DRAIN'));
        });
      }),
      DRAIN: () => p.if(empty, () => st.goto(p, 'H0')),
    });
  });
}
