/**
 * Residual add unit (docs/msq-units.md): joins two activation streams of the same shape, lane by lane
 *   y = clamp((a * Ma + b * Mb + 2^(S-1)) >>> S, lo, hi)        (conventions.ts addRequantize, exact)
 * A beat is taken from both inputs in the same cycle (s_a_tready needs s_b_tvalid and vice versa: a join).
 * Two register stages (products — lookup tables for activations of <= 5 bits, no DSP48E1 —, then sum / round / shift / clamp), then a credit-counted output FIFO, so the
 * readies depend on the other input's tvalid and on registers only, never on m_out_tready.
 */
import { fail } from '../../../util/errors.js';
import { lit, Module } from '../../../hdl/index.js';
import { REQUANT_M_MAX, REQUANT_S } from '../../conventions.js';
import { asSignedValue, cbits, checkFormat, clampTo, constMul, creditOut, fit, flag, groups, lane, maskTail, packLanes, range, type LaneFormat } from './common.js';

export interface AddUnitSpec {
  name: string;
  /** channels and lanes (shared by both inputs and the output) */
  C: number;
  N: number;
  /** pixels per frame (H * W; 1 for a [C] tensor) */
  pixels: number;
  a: { bits: number; signed: boolean };
  b: { bits: number; signed: boolean };
  out: { bits: number; signed: boolean };
  Ma: number;
  Mb: number;
  S: number;
}

export function addUnit(s: AddUnitSpec): Module {
  const fa: LaneFormat = { C: s.C, N: s.N, ...s.a };
  const fb: LaneFormat = { C: s.C, N: s.N, ...s.b };
  const fo: LaneFormat = { C: s.C, N: s.N, ...s.out };
  checkFormat(fa, `${s.name}.a`);
  checkFormat(fb, `${s.name}.b`);
  checkFormat(fo, `${s.name}.out`);
  for (const [v, f] of [[s.Ma, 'Ma'], [s.Mb, 'Mb']] as const) {
    if (!Number.isInteger(v) || v < 0 || v > REQUANT_M_MAX) fail(`${s.name}.${f}`, `must be an integer in 0..${REQUANT_M_MAX}, got ${v}`);
  }
  if (!Number.isInteger(s.S) || s.S < REQUANT_S.min || s.S > REQUANT_S.max) fail(`${s.name}.S`, `must be an integer in ${REQUANT_S.min}..${REQUANT_S.max}`);
  if (!Number.isInteger(s.pixels) || s.pixels < 1) fail(`${s.name}.pixels`, `must be a positive integer, got ${s.pixels}`);
  const { N } = s;
  const G = groups(fa);
  const beats = s.pixels * G;
  const m = new Module(s.name, {
    doc: 'MSQ residual add unit: y = clamp((a*Ma + b*Mb + 2^(S-1)) >>> S), two streams joined lane by lane',
    config: { unit: 'add', C: s.C, N, pixels: s.pixels, a: s.a, b: s.b, out: s.out, Ma: s.Ma, Mb: s.Mb, S: s.S },
  });
  const aData = m.input('s_a_tdata', N * s.a.bits);
  const aValid = m.input('s_a_tvalid', 1);
  const aReady = m.output('s_a_tready', 1);
  const bData = m.input('s_b_tdata', N * s.b.bits);
  const bValid = m.input('s_b_tvalid', 1);
  const bReady = m.output('s_b_tready', 1);
  const hasTail = s.C % N !== 0; // lanes past C in the last group are masked on output
  const gQ = hasTail ? m.reg('g_q', cbits(G), { reset: 0 }) : undefined;
  const gEnd = gQ ? m.let('g_end', gQ.eq(G - 1)) : undefined;
  const co = creditOut(m, s.name, N * s.out.bits, 6);
  const fire = m.let('fire', aValid.and(bValid).and(co.canStart));
  m.assign(aReady, bValid.and(co.canStart));
  m.assign(bReady, aValid.and(co.canStart));

  const beatQ = m.reg('beat_q', cbits(beats), { reset: 0 });
  const beatEnd = m.let('beat_end', beatQ.eq(beats - 1));
  const wa = s.a.bits + 1 + 32;
  const wb = s.b.bits + 1 + 32;
  const pa = Array.from({ length: N }, (_, n) => m.reg(`pa${n}_q`, wa, { signed: true, reset: null }));
  const pb = Array.from({ length: N }, (_, n) => m.reg(`pb${n}_q`, wb, { signed: true, reset: null }));
  const y = Array.from({ length: N }, (_, n) => m.reg(`y${n}_q`, s.out.bits, { signed: s.out.signed, reset: null }));
  const q1 = flag(m, 'q1_valid_q');
  const q1Lg = hasTail ? flag(m, 'q1_last_group_q') : undefined;
  const q1Fl = flag(m, 'q1_frame_last_q');
  const q2 = flag(m, 'q2_valid_q');
  const q2Lg = hasTail ? flag(m, 'q2_last_group_q') : undefined;
  const q2Fl = flag(m, 'q2_frame_last_q');
  const [lo, hi] = range(s.out);
  const sumW = Math.max(wa, wb) + 1;
  const half = lit(1n << BigInt(s.S - 1), Math.max(sumW, s.S + 1), true);
  // a * Ma, b * Mb: lookup tables for narrow activations (no DSP48E1), multipliers otherwise
  const prodA = Array.from({ length: N }, (_, n) => constMul(m, `a${n}_times_ma`, asSignedValue(lane(aData, n, s.a.bits, s.a.signed)).resize(s.a.bits + 1), s.Ma));
  const prodB = Array.from({ length: N }, (_, n) => constMul(m, `b${n}_times_mb`, asSignedValue(lane(bData, n, s.b.bits, s.b.signed)).resize(s.b.bits + 1), s.Mb));
  m.sync((p) => {
    p.if(fire, () => {
      p.if(beatEnd, () => p.set(beatQ, 0)).else(() => p.set(beatQ, fit(beatQ.add(1), beatQ.width)));
      if (gQ && gEnd) p.if(gEnd, () => p.set(gQ, 0)).else(() => p.set(gQ, fit(gQ.add(1), gQ.width)));
      for (let n = 0; n < N; n++) {
        p.set(pa[n]!, prodA[n]!);
        p.set(pb[n]!, prodB[n]!);
      }
    });
    p.set(q1, fire);
    if (q1Lg) p.set(q1Lg, gEnd!);
    p.set(q1Fl, beatEnd);
    p.set(q2, q1);
    if (q2Lg) p.set(q2Lg, q1Lg!);
    p.set(q2Fl, q1Fl);
    p.if(q1, () => {
      for (let n = 0; n < N; n++) {
        p.set(y[n]!, clampTo(pa[n]!.add(pb[n]!).add(half).shr(s.S), lo, hi, s.out.bits, s.out.signed));
      }
    });
  });
  co.connect(fire, q2, packLanes(maskTail(y, fo, q2Lg), s.out.bits), q2Fl);
  return m;
}
