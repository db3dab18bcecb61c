/**
 * Shared pieces of the MSQ streaming layer units (docs/msq-units.md): the stream format (the engine's packing: per
 * pixel ceil(C/N) beats of N lanes, channel g*N + n in bits [n*b +: b]), lane helpers, and the credit-counted output
 * FIFO every unit ends with.
 */
import { fail } from '../../../util/errors.js';
import { cat, lit, mux, type Expr, type Module, type Signal } from '../../../hdl/index.js';
import { syncFifo } from '../../../hdl/lib/index.js';
import { actRange } from '../../conventions.js';

/** One activation stream: C channels, N lanes of `bits` bits per beat, two's complement when signed. */
export interface LaneFormat {
  C: number;
  N: number;
  bits: number;
  signed: boolean;
}

/** Beats per pixel. */
export function groups(f: LaneFormat): number {
  return Math.ceil(f.C / f.N);
}

/** Bits needed to hold 0..n-1 (at least 1). */
export function cbits(n: number): number {
  let b = 1;
  while (2 ** b < n) b++;
  return b;
}

/** Bits needed to hold 0..n (at least 1). */
export function countBits(n: number): number {
  return cbits(n + 1);
}

/** Lane n of a beat, with the lane's signedness. */
export function lane(data: Expr, n: number, bits: number, signed: boolean): Expr {
  const s = data.slice(n * bits + bits - 1, n * bits);
  return signed ? s.asSigned() : s;
}

/** A lane value as a signed expression one bit wider when unsigned (exact). */
export function asSignedValue(v: Expr): Expr {
  return v.signed ? v : cat(lit(0, 1), v).asSigned();
}

export function checkFormat(f: LaneFormat, field: string): void {
  if (!Number.isInteger(f.C) || f.C < 1) fail(`${field}.C`, `must be a positive integer, got ${f.C}`);
  if (!Number.isInteger(f.N) || f.N < 1 || f.N > 64) fail(`${field}.N`, `must be an integer in 1..64, got ${f.N}`);
  if (!Number.isInteger(f.bits) || f.bits < 2 || f.bits > 16) fail(`${field}.bits`, `must be an integer in 2..16, got ${f.bits}`);
}

/** Clamp range of a format. */
export function range(f: { bits: number; signed: boolean }): [number, number] {
  return actRange(f.bits, f.signed);
}

/**
 * Lanes of the last channel group that hold no channel (C not a multiple of N) are forced to zero on output, as the
 * engine does. `lastGroup` is 1 when the beat is the pixel's last group.
 */
export function maskTail(laneValues: Expr[], f: LaneFormat, lastGroup: Expr | undefined): Expr[] {
  const tail = f.C % f.N;
  if (tail === 0) return laneValues;
  if (!lastGroup) throw new Error('maskTail: a last-group flag is needed when C is not a multiple of N');
  return laneValues.map((v, n) => (n < tail ? v : mux(lastGroup, lit(0, v.width, v.signed), v)));
}

/** Pack lanes (lane 0 least significant) into a beat. */
export function packLanes(laneValues: Expr[], bits: number): Expr {
  return cat(...laneValues.map((v) => v.asUnsigned().resize(bits)).reverse());
}

/**
 * Output stage of a unit: a first-word-fall-through FIFO of `depth` words (tdata + tlast) driving `m_out`, and a
 * credit counter so a pipeline of fixed latency never pushes into a full FIFO. `start` (1 bit) says "a result is
 * started this cycle" and is allowed only when `canStart` is 1; exactly one `push` follows per start.
 */
export interface CreditOut {
  canStart: Expr;
  /** call once: the pipeline's push strobe, data and last flag */
  connect(start: Expr, push: Expr, data: Expr, last: Expr): void;
}

export function creditOut(m: Module, name: string, dataWidth: number, depth: number): CreditOut {
  const lw = countBits(depth);
  const fifo = syncFifo({ width: dataWidth + 1, depth, style: 'distributed', level: true, name: `${name}_ofifo` });
  const level = m.wire('ofifo_level', lw);
  const pending = m.reg('pending_q', lw, { reset: 0 });
  const mData = m.output('m_out_tdata', dataWidth);
  const mValid = m.output('m_out_tvalid', 1);
  const mReady = m.input('m_out_tready', 1);
  const mLast = m.output('m_out_tlast', 1);
  const fifoOut = m.wire('ofifo_data', dataWidth + 1);
  const fifoInReady = m.wire('ofifo_s_ready', 1);
  fifoInReady.markUnused(); // the credit counter guarantees room: a push never meets a full FIFO
  const canStart = m.let('can_start', level.resize(lw + 1).add(pending.resize(lw + 1)).lt(lit(depth, lw + 2)));
  return {
    canStart,
    connect(start, push, data, last) {
      m.sync((p) => {
        p.if(start.and(push.not()), () => p.set(pending, pending.add(1).trunc(lw)));
        p.if(push.and(start.not()), () => p.set(pending, pending.sub(1).trunc(lw)));
      });
      m.instance(fifo, 'u_ofifo', {
        s_tdata: cat(last, data),
        s_tvalid: push,
        s_tready: fifoInReady,
        m_tdata: fifoOut,
        m_tvalid: mValid,
        m_tready: mReady,
        level,
      });
      m.assign(mData, fifoOut.slice(dataWidth - 1, 0));
      m.assign(mLast, fifoOut.bit(dataWidth));
    },
  };
}

/** Registered pipeline flag helper: a 1-bit register, reset 0. */
export function flag(m: Module, name: string): Signal {
  return m.reg(name, 1, { reset: 0 });
}

/** Fit an unsigned expression to `w` bits (truncate or zero-extend); the caller knows the value fits. */
export function fit(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e.resize(w);
}

/** Clamp a signed expression to [lo, hi] and return it in `bits` bits with the output's signedness. */
export function clampTo(y: Expr, lo: number, hi: number, bits: number, signed: boolean): Expr {
  const w = y.width;
  const c = mux(y.lt(lit(lo, w, true)), lit(lo, w, true), mux(y.gt(lit(hi, w, true)), lit(hi, w, true), y));
  const t = c.trunc(bits);
  return signed ? t : t.asUnsigned();
}

/**
 * Two registered stages of the requantizer of conventions.ts, per lane:
 *   q1: p = acc * M          q2: y = clamp((p + 2^(S-1)) >>> S, lo, hi)
 * `acc` lanes are signed. Returns the q2 lane registers and the delayed strobe / flags.
 */
export function requantStages(
  m: Module,
  acc: Expr[],
  strobe: Expr,
  flags: Expr[],
  M: number,
  S: number,
  out: { bits: number; signed: boolean },
): { y: Signal[]; strobe: Signal; flags: Signal[] } {
  const A = acc[0]!.width;
  const pw = A + 32;
  const prod = acc.map((a, n) => m.reg(`prod${n}_q`, pw, { signed: true, reset: null }));
  const q1 = flag(m, 'q1_valid_q');
  const q1f = flags.map((_, i) => flag(m, `q1_flag${i}_q`));
  const [lo, hi] = actRange(out.bits, out.signed);
  const y = acc.map((_, n) => m.reg(`y${n}_q`, out.bits, { signed: out.signed, reset: null }));
  const q2 = flag(m, 'q2_valid_q');
  const q2f = flags.map((_, i) => flag(m, `q2_flag${i}_q`));
  const half = lit(1n << BigInt(S - 1), Math.max(pw, S + 1), true);
  m.sync((p) => {
    p.set(q1, strobe);
    flags.forEach((f, i) => p.set(q1f[i]!, f));
    p.if(strobe, () => acc.forEach((a, n) => p.set(prod[n]!, a.mul(lit(M, 32, true)))));
    p.set(q2, q1);
    q1f.forEach((f, i) => p.set(q2f[i]!, f));
    p.if(q1, () => prod.forEach((pr, n) => p.set(y[n]!, clampTo(pr.add(half).shr(S), lo, hi, out.bits, out.signed))));
  });
  return { y, strobe: q2, flags: q2f };
}

/**
 * x * M for a constant M in [0, 2^31): a signed result of x.width + 32 bits. Narrow x (<= 6 bits) is a lookup
 * table (one LUT6 per result bit, no DSP48E1: the DSPs belong to the GEMM engines); wider x a multiplier.
 */
export function constMul(m: Module, name: string, x: Expr, M: number): Expr {
  const w = x.width + 32;
  if (x.width > 6) return x.mul(lit(M, 32, true));
  const t = m.wire(name, w, { signed: true });
  m.comb((p) => {
    p.set(t, lit(0, w, true));
    const cases: Record<string, () => void> = {};
    for (let u = 0; u < 2 ** x.width; u++) {
      const v = x.signed && u >= 2 ** (x.width - 1) ? u - 2 ** x.width : u;
      cases[u] = () => p.set(t, lit(BigInt(v) * BigInt(M), w, true));
    }
    p.switch(x.asUnsigned(), cases);
  });
  return t;
}
