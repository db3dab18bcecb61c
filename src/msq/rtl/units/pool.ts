/**
 * Pooling units for the MSQ streaming pipeline (docs/msq-units.md), built with the HDL builder:
 *
 *  - poolUnit: maxpool / avgpool with any kernel, stride and padding [top, left, bottom, right], exactly as
 *    src/msq/golden.ts defines them (maxpool: padded positions never win; avgpool: padded zeros count, the sum is
 *    requantized with the layer's M, S as conventions.ts says). Storage: a line buffer of kh input rows
 *    (kh * W * ceil(C/N) words of N lanes), no frame buffer. The unit alternates between loading input rows and
 *    computing an output row once its last input row is in; one window element (one RAM read) per clock.
 *  - globalAvgPoolUnit: per-channel sums in a ring of ceil(C/N) registers (one word per channel group), requantized
 *    after the frame's last pixel. Output: ceil(C/N) beats (a [C] tensor, one "pixel").
 *
 * Streams: s_act in (no tlast: frames are counted), m_out out with tlast on the frame's last beat; lanes past C are
 * zero on output. s_act_tready depends on registers only; m_out comes from a FIFO (registered).
 */
import { fail } from '../../../util/errors.js';
import { configHash } from '../../../util/hash.js';
import { cat, lit, mux, type Expr, Module } from '../../../hdl/index.js';
import { signedBitsFor, weightValue } from '../../conventions.js';
import { windowOut, type Filter } from '../../model.js';
import {
  asSignedValue,
  cbits,
  checkFormat,
  countBits,
  creditOut,
  fit,
  flag,
  groups,
  lane,
  maskTail,
  packLanes,
  range,
  clampTo,
  requantStages,
  type LaneFormat,
} from './common.js';

export interface PoolUnitSpec {
  /** module name (unique in a design) */
  name: string;
  /** 'dw': depthwise conv2d (groups = C): per-channel window dot product + bias, per-channel requantization */
  kind: 'max' | 'avg' | 'dw';
  input: LaneFormat;
  H: number;
  W: number;
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right] */
  padding: [number, number, number, number];
  /** avg only: requantization constants */
  M?: number;
  S?: number;
  /** avg and dw: output format */
  out?: { bits: number; signed: boolean };
  /** dw only: the layer's C filters (kh*kw weight codes each, bias, M, S), as in the model */
  filters?: Filter[];
}

/** Output side of a pool unit. */
export function poolOutShape(s: PoolUnitSpec): { OH: number; OW: number } {
  return {
    OH: windowOut(s.H, s.kernel[0], s.stride[0], s.padding[0], s.padding[2]),
    OW: windowOut(s.W, s.kernel[1], s.stride[1], s.padding[1], s.padding[3]),
  };
}

function checkPool(s: PoolUnitSpec): void {
  checkFormat(s.input, `${s.name}.input`);
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.stride;
  for (const [v, f] of [[kh, 'kernel[0]'], [kw, 'kernel[1]'], [sh, 'stride[0]'], [sw, 'stride[1]'], [s.H, 'H'], [s.W, 'W']] as const) {
    if (!Number.isInteger(v) || v < 1) fail(`${s.name}.${f}`, `must be a positive integer, got ${v}`);
  }
  s.padding.forEach((p, i) => {
    const k = i % 2 === 0 ? kh : kw;
    if (!Number.isInteger(p) || p < 0 || p >= k) fail(`${s.name}.padding[${i}]`, `must be an integer in 0..${k - 1} (less than the kernel), got ${p}`);
  });
  const { OH, OW } = poolOutShape(s);
  if (OH < 1 || OW < 1) fail(`${s.name}.kernel`, 'is larger than the padded input');
  if (s.kind === 'avg' && (s.M === undefined || s.S === undefined || !s.out)) fail(`${s.name}.M`, 'avgpool needs M, S and out');
  if (s.kind === 'dw') {
    if (!s.out) fail(`${s.name}.out`, 'depthwise needs an output format');
    if (!s.filters || s.filters.length !== s.input.C) fail(`${s.name}.filters`, `depthwise needs ${s.input.C} filters (one per channel)`);
    s.filters.forEach((fl, c) => {
      if (fl.weights.length !== kh * kw) fail(`${s.name}.filters[${c}].weights`, `needs ${kh * kw} weights (kh*kw), got ${fl.weights.length}`);
    });
  }
}

export function poolUnit(s: PoolUnitSpec): Module {
  checkPool(s);
  const f = s.input;
  const { N, bits: b } = f;
  const G = groups(f);
  const { H, W } = s;
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.stride;
  const [pt, pl] = s.padding;
  const { OH, OW } = poolOutShape(s);
  const WG = W * G;
  const D = Math.max(2, kh * WG);
  const isAvg = s.kind === 'avg';
  const isDw = s.kind === 'dw';
  const out = isAvg || isDw ? s.out! : { bits: b, signed: f.signed };
  const m = new Module(s.name, {
    doc: `MSQ ${isDw ? 'depthwise conv' : `${s.kind}pool`} unit: line buffer of ${kh} rows, one window element per clock`,
    config: { unit: 'pool', kind: s.kind, C: f.C, N, bits: b, signed: f.signed, H, W, kernel: s.kernel, stride: s.stride, padding: s.padding, M: s.M ?? 0, S: s.S ?? 0, out, filters: s.filters ? `${s.filters.length} filters, weights hash ${configHash(s.filters)}` : 'none' },
  });
  const sData = m.input('s_act_tdata', N * b);
  const sValid = m.input('s_act_tvalid', 1);
  const sReady = m.output('s_act_tready', 1);

  // ---- input side: rows into the circular line buffer ----
  const aw = cbits(D);
  const colQ = m.reg('col_q', cbits(WG), { reset: 0 });
  const rowsQ = m.reg('rows_q', countBits(H), { reset: 0 });
  const wpQ = m.reg('wp_q', aw, { reset: 0 });
  const doneQ = flag(m, 'done_q');
  const calcQ = flag(m, 'calc_q');
  // ---- output side counters ----
  const posW = signedBitsFor(-(Math.max(pt, pl) + 1), Math.max(OH * sh + kh, OW * sw + kw, H, W) + 1);
  const slotW = cbits(kh);
  const oyQ = m.reg('oy_q', cbits(OH), { reset: 0 });
  const wy0Q = m.reg('wy0_q', posW, { signed: true, reset: -pt });
  const slot0Reset = (((-pt) % kh) + kh) % kh;
  const slot0Q = m.reg('slot0_q', slotW, { reset: slot0Reset });
  const oxQ = m.reg('ox_q', cbits(OW), { reset: 0 });
  const wx0Q = m.reg('wx0_q', posW, { signed: true, reset: -pl });
  const ogQ = m.reg('og_q', cbits(G), { reset: 0 });
  const kyQ = m.reg('ky_q', cbits(kh), { reset: 0 });
  const kxQ = m.reg('kx_q', cbits(kw), { reset: 0 });

  const rowsS = asSignedValue(rowsQ);
  const lastNeeded = m.let('last_needed', wy0Q.add(lit(kh - 1, posW, true)));
  const allRows = m.let('all_rows', rowsQ.eq(H));
  const rowReady = m.let('row_ready', doneQ.not().and(allRows.or(lastNeeded.lt(rowsS))));
  const restart = m.let('restart', calcQ.not().and(doneQ).and(allRows));
  const ready = m.let('ready', calcQ.not().and(allRows.not()).and(rowReady.not()));
  const accept = m.let('accept', sValid.and(ready));
  m.assign(sReady, ready);

  const ram = m.ram('line_buf', { width: N * b, depth: D, style: 'block' });
  ram.write(accept, wpQ, sData);

  // ---- window walk ----
  const dataW = N * out.bits;
  const co = creditOut(m, s.name, dataW, isAvg || isDw ? 8 : 6);
  const atStart = m.let('at_start', kyQ.eq(0).and(kxQ.eq(0)));
  const step = m.let('step', calcQ.and(atStart.not().or(co.canStart)));
  const kxEnd = m.let('kx_end', kxQ.eq(kw - 1));
  const kyEnd = m.let('ky_end', kyQ.eq(kh - 1));
  const ogEnd = m.let('og_end', ogQ.eq(G - 1));
  const oxEnd = m.let('ox_end', oxQ.eq(OW - 1));
  const oyEnd = m.let('oy_end', oyQ.eq(OH - 1));
  const iy = m.let('iy', wy0Q.add(asSignedValue(kyQ)).trunc(posW));
  const ix = m.let('ix', wx0Q.add(asSignedValue(kxQ)).trunc(posW));
  const inside = m.let(
    'in_window',
    iy.ge(lit(0, posW, true)).and(iy.lt(lit(H, posW, true))).and(ix.ge(lit(0, posW, true))).and(ix.lt(lit(W, posW, true))),
  );
  const slotSum = m.let('slot_sum', slot0Q.add(kyQ.resize(slotW)));
  const slot = m.let('slot', fit(mux(slotSum.ge(kh), slotSum.sub(kh).trunc(slotSum.width), slotSum), slotW));
  const ixU = fit(ix.asUnsigned(), cbits(W));
  const raddr = m.let('raddr', fit(slot.mul(lit(WG, countBits(WG))).add(ixU.mul(lit(G, countBits(G)))).add(ogQ), aw));
  const rd = ram.read(raddr, { en: step.and(inside), name: 'rd_q' });
  const winLast = m.let('win_last', kxEnd.and(kyEnd));

  const s1Step = flag(m, 's1_step_q');
  const s1In = flag(m, 's1_in_window_q');
  const s1First = flag(m, 's1_first_q');
  const s1Last = flag(m, 's1_last_q');
  const hasTail = f.C % N !== 0; // lanes past C in the last group are masked on output
  const s1Lg = hasTail ? flag(m, 's1_last_group_q') : undefined;
  const s1Fl = flag(m, 's1_frame_last_q');

  const slotStep = sh % kh;
  const slot0Next = slot0Q.add(lit(slotStep, slotW));
  m.sync((p) => {
    // input
    p.if(accept, () => {
      p.set(wpQ, mux(wpQ.eq(D - 1), lit(0, aw), fit(wpQ.add(1), aw)));
      p.if(colQ.eq(WG - 1), () => {
        p.set(colQ, 0);
        p.set(rowsQ, fit(rowsQ.add(1), rowsQ.width));
      }).else(() => p.set(colQ, fit(colQ.add(1), colQ.width)));
    });
    p.if(rowReady.and(calcQ.not()), () => p.set(calcQ, 1));
    // window walk
    p.if(step, () => {
      p.if(kxEnd, () => {
        p.set(kxQ, 0);
        p.if(kyEnd, () => {
          p.set(kyQ, 0);
          p.if(ogEnd, () => {
            p.set(ogQ, 0);
            p.if(oxEnd, () => {
              p.set(oxQ, 0);
              p.set(wx0Q, -pl);
              p.set(calcQ, 0);
              p.if(oyEnd, () => p.set(doneQ, 1)).else(() => {
                p.set(oyQ, fit(oyQ.add(1), oyQ.width));
                p.set(wy0Q, wy0Q.add(lit(sh, posW, true)).trunc(posW));
                p.set(slot0Q, fit(mux(slot0Next.ge(kh), slot0Next.sub(kh).trunc(slot0Next.width), slot0Next), slotW));
              });
            }).else(() => {
              p.set(oxQ, fit(oxQ.add(1), oxQ.width));
              p.set(wx0Q, wx0Q.add(lit(sw, posW, true)).trunc(posW));
            });
          }).else(() => p.set(ogQ, fit(ogQ.add(1), ogQ.width)));
        }).else(() => p.set(kyQ, fit(kyQ.add(1), kyQ.width)));
      }).else(() => p.set(kxQ, fit(kxQ.add(1), kxQ.width)));
    });
    p.if(restart, () => {
      p.set(doneQ, 0);
      p.set(rowsQ, 0);
      p.set(colQ, 0);
      p.set(wpQ, 0);
      p.set(oyQ, 0);
      p.set(wy0Q, -pt);
      p.set(slot0Q, slot0Reset);
    });
    p.set(s1Step, step);
    p.set(s1In, inside);
    p.set(s1First, atStart);
    p.set(s1Last, winLast);
    if (s1Lg) p.set(s1Lg, ogEnd);
    p.set(s1Fl, oyEnd.and(oxEnd).and(ogEnd));
  });

  // ---- accumulate the window (stage 2) ----
  const inLanes = Array.from({ length: N }, (_, n) => lane(rd, n, b, f.signed));
  const [lo, hi] = range(f);
  const dw = isDw ? depthwiseRoms(m, s, f, ogQ, kyQ, kxQ, step, winLast, lo, hi) : undefined;
  const A = dw ? dw.accBits : isAvg ? signedBitsFor(kh * kw * lo, kh * kw * hi) : b;
  const accSigned = isAvg || isDw ? true : f.signed;
  const acc = inLanes.map((_, n) => m.reg(`acc${n}_q`, A, { signed: accSigned, reset: null }));
  const s2Done = flag(m, 's2_done_q');
  const s2Lg = hasTail ? flag(m, 's2_last_group_q') : undefined;
  const s2Fl = flag(m, 's2_frame_last_q');
  const init = isAvg || isDw ? lit(0, A, true) : lit(f.signed ? -(2 ** (b - 1)) : 0, b, f.signed);
  m.sync((p) => {
    p.set(s2Done, s1Step.and(s1Last));
    p.if(s1Step.and(s1Last), () => {
      if (s2Lg) p.set(s2Lg, s1Lg!);
      p.set(s2Fl, s1Fl);
    });
    p.if(s1Step, () => {
      inLanes.forEach((d, n) => {
        const a = acc[n]!;
        const base: Expr = mux(s1First, init, a);
        let next: Expr;
        if (dw) next = base.add(asSignedValue(d).mul(dw.w[n]!).resize(A)).trunc(A);
        else if (isAvg) next = base.add(asSignedValue(d).resize(A)).trunc(A);
        else next = mux(s1First.or(d.gt(a)), d, a);
        p.if(s1In, () => p.set(a, next)).elif(s1First, () => p.set(a, init));
      });
    });
  });

  if (dw) {
    const outFmt: LaneFormat = { C: f.C, N, bits: out.bits, signed: out.signed };
    const rq = dw.requant(acc, s1Step.and(s1Last), s2Done, s2Lg ? [s2Fl, s2Lg] : [s2Fl], out);
    co.connect(step.and(atStart), rq.strobe, packLanes(maskTail(rq.y, outFmt, rq.flags[1]), out.bits), rq.flags[0]!);
  } else if (!isAvg) {
    co.connect(step.and(atStart), s2Done, packLanes(maskTail(acc, f, s2Lg), b), s2Fl);
  } else {
    const rq = requantStages(m, acc, s2Done, s2Lg ? [s2Fl, s2Lg] : [s2Fl], s.M!, s.S!, out);
    const outFmt: LaneFormat = { C: f.C, N, bits: out.bits, signed: out.signed };
    co.connect(step.and(atStart), rq.strobe, packLanes(maskTail(rq.y, outFmt, rq.flags[1]), out.bits), rq.flags[0]!);
  }
  return m;
}

export interface GlobalAvgPoolSpec {
  name: string;
  input: LaneFormat;
  H: number;
  W: number;
  M: number;
  S: number;
  out: { bits: number; signed: boolean };
}

export function globalAvgPoolUnit(s: GlobalAvgPoolSpec): Module {
  checkFormat(s.input, `${s.name}.input`);
  const f = s.input;
  const { N, bits: b } = f;
  const G = groups(f);
  const P = s.H * s.W;
  const [lo, hi] = range(f);
  const A = signedBitsFor(P * lo, P * hi);
  const m = new Module(s.name, {
    doc: 'MSQ global average pool unit: per-channel sums in a ring of ceil(C/N) registers, requantized at frame end',
    config: { unit: 'globalavgpool', C: f.C, N, bits: b, signed: f.signed, H: s.H, W: s.W, M: s.M, S: s.S, out: s.out },
  });
  const sData = m.input('s_act_tdata', N * b);
  const sValid = m.input('s_act_tvalid', 1);
  const sReady = m.output('s_act_tready', 1);
  const pixQ = m.reg('pix_q', cbits(P), { reset: 0 });
  const gQ = m.reg('g_q', cbits(G), { reset: 0 });
  const emitQ = flag(m, 'emit_q');
  const ring = Array.from({ length: G }, (_, i) => m.reg(`sum${i}_q`, N * A, { reset: null }));
  const co = creditOut(m, s.name, N * s.out.bits, 8);
  const ready = m.let('ready', emitQ.not());
  const accept = m.let('accept', sValid.and(ready));
  const emit = m.let('emit', emitQ.and(co.canStart));
  m.assign(sReady, ready);
  const first = m.let('first_pixel', pixQ.eq(0));
  const head = ring[0]!;
  const headLanes = Array.from({ length: N }, (_, n) => head.slice(n * A + A - 1, n * A).asSigned());
  const newLanes = headLanes.map((h, n) =>
    mux(first, lit(0, A, true), h).add(asSignedValue(lane(sData, n, b, f.signed)).resize(A)).trunc(A),
  );
  const gEnd = m.let('g_end', gQ.eq(G - 1));
  const pixEnd = m.let('pix_end', pixQ.eq(P - 1));
  m.sync((p) => {
    p.if(accept, () => {
      for (let i = 0; i + 1 < G; i++) p.set(ring[i]!, ring[i + 1]!);
      p.set(ring[G - 1]!, packLanes(newLanes, A));
      p.if(gEnd, () => {
        p.set(gQ, 0);
        p.if(pixEnd, () => {
          p.set(pixQ, 0);
          p.set(emitQ, 1);
        }).else(() => p.set(pixQ, fit(pixQ.add(1), pixQ.width)));
      }).else(() => p.set(gQ, fit(gQ.add(1), gQ.width)));
    });
    p.if(emit, () => {
      for (let i = 0; i + 1 < G; i++) p.set(ring[i]!, ring[i + 1]!);
      p.set(ring[G - 1]!, head);
      p.if(gEnd, () => {
        p.set(gQ, 0);
        p.set(emitQ, 0);
      }).else(() => p.set(gQ, fit(gQ.add(1), gQ.width)));
    });
  });
  const rq = requantStages(m, headLanes, emit, [gEnd], s.M, s.S, s.out);
  const outFmt: LaneFormat = { C: f.C, N, bits: s.out.bits, signed: s.out.signed };
  co.connect(emit, rq.strobe, packLanes(maskTail(rq.y, outFmt, rq.flags[0]!), s.out.bits), rq.flags[0]!);
  return m;
}

/**
 * Depthwise weights and per-channel constants: a weight ROM (one word of N integer weight values per channel
 * group and window position, read with the line buffer), bias / M / S-1 ROMs (one word per channel group, read at
 * the window's last element and held with the window's result), and the per-lane requantizer
 *   q1: t = acc + bias    q2: p = t * M    q3: y = clamp((p + 2^(S-1)) >>> S, lo, hi)   (variable S per channel).
 * Weights are integer values (conventions.ts weightValue): fixed codes and SP2 levels alike go through one
 * multiplier per lane (the SP2 shift-add lanes of the engine are not used here).
 */
function depthwiseRoms(
  m: Module,
  s: PoolUnitSpec,
  f: LaneFormat,
  ogQ: Expr,
  kyQ: Expr,
  kxQ: Expr,
  step: Expr,
  winLast: Expr,
  lo: number,
  hi: number,
) {
  const { N } = f;
  const G = groups(f);
  const [kh, kw] = s.kernel;
  const K = kh * kw;
  const fl = s.filters!;
  const wv = fl.map((x) => x.weights.map((c) => weightValue(x.scheme, x.bits, c)));
  const all = wv.flat();
  const wB = Math.max(2, signedBitsFor(Math.min(0, ...all), Math.max(0, ...all)));
  const xMax = Math.max(Math.abs(lo), Math.abs(hi));
  const B = Math.max(1, ...wv.map((ws) => ws.reduce((a, w) => a + Math.abs(w), 0) * xMax));
  const accBits = signedBitsFor(-B, B);
  const biases = fl.map((x) => x.bias);
  const bB = Math.max(2, signedBitsFor(Math.min(0, ...biases), Math.max(0, ...biases)));
  const sumBits = Math.max(accBits, bB) + 1;
  const wDepth = Math.max(2, G * K);
  const pDepth = Math.max(2, G);
  const word = (g: number, lanes: (c: number) => bigint, bits: number): bigint => {
    let v = 0n;
    for (let n = N - 1; n >= 0; n--) {
      const c = g * N + n;
      const x = c < f.C ? lanes(c) : 0n;
      v = (v << BigInt(bits)) | (x & ((1n << BigInt(bits)) - 1n));
    }
    return v;
  };
  const wInit: bigint[] = [];
  for (let g = 0; g < wDepth; g++) {
    const gi = Math.floor(g / K);
    const k = g % K;
    wInit.push(gi < G ? word(gi, (c) => BigInt(wv[c]![k]!), wB) : 0n);
  }
  const pw = (g: number, get: (c: number) => number, bits: number): bigint => (g < G ? word(g, (c) => BigInt(get(c)), bits) : 0n);
  const wRom = m.rom('dw_weights', { width: N * wB, depth: wDepth, init: wInit, style: 'distributed' });
  const bRom = m.rom('dw_bias', { width: N * bB, depth: pDepth, init: Array.from({ length: pDepth }, (_, g) => pw(g, (c) => fl[c]!.bias, bB)), style: 'distributed' });
  const mRom = m.rom('dw_mul', { width: N * 31, depth: pDepth, init: Array.from({ length: pDepth }, (_, g) => pw(g, (c) => fl[c]!.M, 31)), style: 'distributed' });
  const sRom = m.rom('dw_shift', { width: N * 6, depth: pDepth, init: Array.from({ length: pDepth }, (_, g) => pw(g, (c) => fl[c]!.S - 1, 6)), style: 'distributed' });
  const wAw = cbits(wDepth);
  const waddr = m.let('dw_waddr', fit(ogQ.mul(lit(K, countBits(K))).add(kyQ.mul(lit(kw, countBits(kw)))).add(kxQ), wAw));
  const wq = wRom.read(waddr, { en: step, name: 'dw_w_q' });
  const pAw = cbits(pDepth);
  const paddr = fit(ogQ, pAw);
  const pen = step.and(winLast);
  const bq = bRom.read(paddr, { en: pen, name: 'dw_bias_q' });
  const mq = mRom.read(paddr, { en: pen, name: 'dw_mul_q' });
  const sq = sRom.read(paddr, { en: pen, name: 'dw_shift_q' });
  const w = Array.from({ length: N }, (_, n) => lane(wq, n, wB, true));
  return {
    accBits,
    w,
    requant(acc: Expr[], s1Done: Expr, s2Done: Expr, flags: Expr[], out: { bits: number; signed: boolean }) {
      // hold the window's constants (the ROM registers move on with the next window)
      const b2 = m.reg('dw_bias2_q', N * bB, { reset: null });
      const m2 = m.reg('dw_mul2_q', N * 31, { reset: null });
      const s2 = m.reg('dw_shift2_q', N * 6, { reset: null });
      const m3 = m.reg('dw_mul3_q', N * 31, { reset: null });
      const s3 = m.reg('dw_shift3_q', N * 6, { reset: null });
      const s4 = m.reg('dw_shift4_q', N * 6, { reset: null });
      const t = acc.map((_, n) => m.reg(`dw_t${n}_q`, sumBits, { signed: true, reset: null }));
      const pr = acc.map((_, n) => m.reg(`dw_p${n}_q`, sumBits + 32, { signed: true, reset: null }));
      const [olo, ohi] = range(out);
      const y = acc.map((_, n) => m.reg(`dw_y${n}_q`, out.bits, { signed: out.signed, reset: null }));
      const v = [flag(m, 'dw_q1_q'), flag(m, 'dw_q2_q'), flag(m, 'dw_q3_q')];
      const fq = [1, 2, 3].map((st) => flags.map((_, i) => flag(m, `dw_q${st}_flag${i}_q`)));
      const pw2 = sumBits + 32;
      const ww = Math.max(pw2, 64) + 1;
      m.sync((p) => {
        p.if(s1Done, () => {
          p.set(b2, bq);
          p.set(m2, mq);
          p.set(s2, sq);
        });
        p.set(v[0]!, s2Done);
        p.set(v[1]!, v[0]!);
        p.set(v[2]!, v[1]!);
        flags.forEach((fl2, i) => {
          p.set(fq[0]![i]!, fl2);
          p.set(fq[1]![i]!, fq[0]![i]!);
          p.set(fq[2]![i]!, fq[1]![i]!);
        });
        p.if(s2Done, () => {
          acc.forEach((a, n) => p.set(t[n]!, a.resize(sumBits - 1).add(lane(b2, n, bB, true).resize(sumBits - 1))));
          p.set(m3, m2);
          p.set(s3, s2);
        });
        p.if(v[0]!, () => {
          t.forEach((tv, n) => p.set(pr[n]!, tv.mul(cat(lit(0, 1), lane(m3, n, 31, false)).asSigned())));
          p.set(s4, s3);
        });
        p.if(v[1]!, () => {
          pr.forEach((pv, n) => {
            const sm1 = lane(s4, n, 6, false);
            const half = lit(1, ww, true).shl(sm1);
            const sh = cat(lit(0, 1), sm1).add(1).trunc(7);
            const sum = pv.resize(ww).add(half).trunc(ww);
            p.set(y[n]!, clampTo(sum.shr(sh), olo, ohi, out.bits, out.signed));
          });
        });
      });
      return { y, strobe: v[2]!, flags: fq[2]! };
    },
  };
}
