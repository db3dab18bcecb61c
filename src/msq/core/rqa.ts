/**
 * The MSQ core's requantizer with the fused residual add (docs/msq-core.md "Semantics"), built with the HDL builder:
 *
 *   y = clamp((x * M + 2^(S-1)) >>> S, lo, hi),            x = acc + bias          (conventions.ts requantize)
 *   z = clamp((y * Ma + r * Mb + 2^(T-1)) >>> T, addLo, addHi)   when res_en        (conventions.ts addRequantize)
 *
 * with every parameter a run-time input (per result), so one unit serves every job. Fully pipelined: one result per
 * clock, fixed latency `coreRqaLatency(cfg)`, a tag carried alongside. Stages (each register-to-register path holds
 * at most one carry chain, or one multiply, or three mux levels):
 *
 *   rq1 input registers | rq2 x = acc + bias | rq3 partial products of x * M (17-bit pieces: DSP48E1-sized,
 *   `use_dsp = "yes"`) and 2^(S-1) | rq4.. registered adder tree | shift by S[5:3]*8 | shift by S[2:0] |
 *   compare with lo / hi | clamp -> y | residual: partial products y * Ma, r * Mb and 2^(T-1) | adder tree |
 *   shift | shift | compare | clamp, select z or y -> out.
 *
 * y is the clamped value (lo / hi are 16-bit), so the residual products are 16 x 31 and 17 x 31 bits: two DSP48E1
 * each. The output is the low A bits of the result (two's complement).
 */
import { fail } from '../../util/errors.js';
import { cat, lit, mux, Module, type Expr, type Signal } from '../../hdl/index.js';
import { accBits, checkCoreConfig, type CoreConfig } from './config.js';

/** Bits of one multiplier piece below the top (unsigned, so 18-bit signed on the DSP48E1's B port). */
const PIECE = 17;
/** Widest signed top piece of x that still fits the DSP48E1's 25-bit A port. */
const TOP_MAX = 25;

/** Width of x = acc + bias. */
function xBits(cfg: CoreConfig): number {
  return Math.max(accBits(cfg), 32) + 1;
}

/** Pieces x is split into: 17-bit unsigned pieces below a signed top piece of <= 25 bits. */
function xPieces(cfg: CoreConfig): number {
  const rw = xBits(cfg);
  return rw <= TOP_MAX ? 1 : 1 + Math.ceil((rw - TOP_MAX) / PIECE);
}

function treeDepth(terms: number): number {
  let d = 0;
  while (2 ** d < terms) d++;
  return d;
}

/** DSP48E1 of one requantizer unit: 2 per x piece (M = 14 + 17 bits) + 4 for the residual add. */
export function coreRqaDsps(cfg: CoreConfig): number {
  return 2 * xPieces(cfg) + 4;
}

/** DSP48E1 of one unit for every configuration with accBits <= 41 (x in two pieces; all practical designs). */
export const RQA_DSPS = 8;

/** Cycles from an in_valid cycle to its out_valid cycle. */
export function coreRqaLatency(cfg: CoreConfig): number {
  const main = 1 + 1 + 1 + treeDepth(2 * xPieces(cfg) + 1) + 2 + 1 + 1; // in, +bias, products, tree, shifts, cmp, clamp
  const res = 1 + treeDepth(5) + 2 + 1 + 1; // products, tree, shifts, cmp, clamp/select
  return main + res;
}

/**
 * Delayed copies of named values: `at(name, stage)` returns the register holding the value at that stage, creating
 * the chain `<name>_s<k>` as needed (stage 0 = an input port or a combinational value).
 */
class Pipe {
  private readonly chains = new Map<string, { start: number; regs: Expr[] }>();
  constructor(private readonly m: Module) {}

  def(name: string, value: Expr, stage: number): void {
    if (this.chains.has(name)) throw new Error(`pipe: ${name} defined twice`);
    this.chains.set(name, { start: stage, regs: [value] });
  }

  at(name: string, stage: number): Expr {
    const c = this.chains.get(name);
    if (!c) throw new Error(`pipe: ${name} undefined`);
    if (stage < c.start) throw new Error(`pipe: ${name} read at stage ${stage} before stage ${c.start}`);
    while (c.start + c.regs.length - 1 < stage) {
      const prev = c.regs[c.regs.length - 1]!;
      const k = c.start + c.regs.length;
      const r = this.m.reg(`${name}_s${k}_q`, prev.width, { signed: prev.signed, reset: name === 'valid' ? 0 : null });
      this.m.sync((p) => p.set(r, prev));
      c.regs.push(r);
    }
    return c.regs[stage - c.start]!;
  }
}

/** A register at `stage` named `<name>_s<stage>` loaded with `value` (computed from stage - 1 values). */
function stageReg(m: Module, pipe: Pipe, name: string, stage: number, value: Expr, width?: number): Signal {
  const w = width ?? value.width;
  const r = m.reg(`${name}_s${stage}_q`, w, { signed: value.signed, reset: null });
  m.sync((p) => p.set(r, value.width > w ? value.trunc(w) : value));
  pipe.def(name, r, stage);
  return r;
}

/** Registered adder tree over signed terms, sums kept to `width` bits (modular, exact when the total fits). */
function tree(m: Module, pipe: Pipe, name: string, terms: Expr[], stage: number, width: number): { sum: Expr; stage: number } {
  let level = terms.map((t) => (t.width > width ? t.trunc(width) : t));
  let s = stage;
  let depth = 0;
  while (level.length > 1) {
    depth++;
    s++;
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const x = level[i]!;
      const y = level[i + 1];
      const v = y ? x.add(y) : x;
      const w = Math.min(v.width, width);
      const r = m.reg(`${name}${depth}_${i / 2}_s${s}_q`, w, { signed: true, reset: null });
      m.sync((p) => p.set(r, v.width > w ? v.trunc(w) : v));
      next.push(r);
    }
    level = next;
  }
  pipe.def(name, level[0]!, s);
  return { sum: level[0]!, stage: s };
}

/** 2^(s-1) as a signed value of `width` bits (s in 1..62; the amount is 6 bits). */
function half(s: Expr, width: number): Expr {
  const amount = s.sub(1).trunc(6);
  return cat(lit(0, 1), lit(1, width - 1).shl(amount)).asSigned();
}

/**
 * Rounding shift and clamp: stages `stage + 1` (>>> 8*S[5:3]), `+ 2` (>>> S[2:0]), `+ 3` (compare with lo / hi),
 * `+ 4` returns the clamp select inputs (lt, gt, low 16 bits) for the caller's final register.
 */
function shiftCompare(
  m: Module,
  pipe: Pipe,
  name: string,
  v: Expr,
  stage: number,
  shiftName: string,
  loName: string,
  hiName: string,
  bits: number,
): { lt: Expr; gt: Expr; low: Expr; lo: Expr; hi: Expr; stage: number } {
  const sh1 = pipe.at(shiftName, stage);
  const a = stageReg(m, pipe, `${name}_shr8`, stage + 1, v.shr(cat(sh1.slice(5, 3), lit(0, 3))));
  const sh2 = stageReg(m, pipe, `${name}_shr_by`, stage + 1, sh1.slice(2, 0));
  const b = stageReg(m, pipe, `${name}_shr`, stage + 2, a.shr(sh2));
  const lo = pipe.at(loName, stage + 2);
  const hi = pipe.at(hiName, stage + 2);
  const lt = stageReg(m, pipe, `${name}_lt`, stage + 3, b.lt(lo.resize(b.width)));
  const gt = stageReg(m, pipe, `${name}_gt`, stage + 3, b.gt(hi.resize(b.width)));
  const low = stageReg(m, pipe, `${name}_low`, stage + 3, b.trunc(bits).asSigned());
  const loQ = stageReg(m, pipe, `${name}_lo`, stage + 3, lo.trunc(bits));
  const hiQ = stageReg(m, pipe, `${name}_hi`, stage + 3, hi.trunc(bits));
  return { lt, gt, low, lo: loQ, hi: hiQ, stage: stage + 3 };
}

/**
 * `coreRqa(cfg, name, tagBits)`: one requantizer + residual-add unit. Inputs (sampled when in_valid): acc [accBits
 * signed], bias [32 signed], mul [31], shift [6] (1..62), lo, hi [16 signed], res_en, res [A] (raw lane), res_signed,
 * ma, mb [31], add_shift [6] (1..62), add_lo, add_hi [16 signed], tag_in [tagBits]. Outputs: out_valid, y [A] (low
 * A bits of the result), tag_out [tagBits]; `coreRqaLatency(cfg)` cycles after the input. tagBits 0: no tag ports.
 */
export function coreRqa(cfg: CoreConfig, name: string, tagBits: number): Module {
  checkCoreConfig(cfg);
  if (!Number.isInteger(tagBits) || tagBits < 0 || tagBits > 256) fail('tagBits', `must be an integer in 0..256, got ${tagBits}`);
  const { A } = cfg;
  const AB = accBits(cfg);
  const RW = xBits(cfg);
  const c = xPieces(cfg);
  const lat = coreRqaLatency(cfg);
  const m = new Module(name, {
    doc: 'MSQ core requantizer + fused residual add: y = clamp((acc+bias)*M + 2^(S-1) >>> S); z = clamp((y*Ma + r*Mb + 2^(T-1)) >>> T)',
    config: { A, accBits: AB, tagBits, latency: lat, dsps: coreRqaDsps(cfg) },
  });
  const pipe = new Pipe(m);
  const inputs: [string, number, boolean][] = [
    ['acc', AB, true], ['bias', 32, true], ['mul', 31, false], ['shift', 6, false], ['lo', 16, true], ['hi', 16, true],
    ['res_en', 1, false], ['res', A, false], ['res_signed', 1, false], ['ma', 31, false], ['mb', 31, false],
    ['add_shift', 6, false], ['add_lo', 16, true], ['add_hi', 16, true],
  ];
  const valid = m.input('in_valid', 1);
  pipe.def('valid', valid, 0);
  for (const [n, w, s] of inputs) pipe.def(n, m.input(n, w, { signed: s }), 0);
  if (tagBits > 0) pipe.def('tag', m.input('tag_in', tagBits), 0);
  const outValid = m.output('out_valid', 1);
  const yOut = m.output('y', A);
  const tagOut = tagBits > 0 ? m.output('tag_out', tagBits) : undefined;

  // rq2: x = acc + bias; residual lane as a signed value (A+1 bits)
  const acc1 = pipe.at('acc', 1);
  const bias1 = pipe.at('bias', 1);
  const x = stageReg(m, pipe, 'x', 2, acc1.resize(RW - 1).add(bias1.resize(RW - 1)));
  const res1 = pipe.at('res', 1);
  stageReg(m, pipe, 'r', 2, cat(pipe.at('res_signed', 1).and(res1.bit(A - 1)), res1).asSigned());

  // rq3: partial products x_i * M_j (x pieces: 17-bit unsigned below a signed top; M = mh * 2^17 + ml), 2^(S-1)
  const mul2 = pipe.at('mul', 2);
  const mPieces: [Expr, number][] = [
    [cat(lit(0, 1), mul2.slice(PIECE - 1, 0)).asSigned(), 0],
    [cat(lit(0, 1), mul2.slice(30, PIECE)).asSigned(), PIECE],
  ];
  const xP: [Expr, number][] = [];
  for (let i = 0; i < c; i++) {
    const lo = i * PIECE;
    const top = i === c - 1;
    const piece = top ? x.slice(RW - 1, lo).asSigned() : cat(lit(0, 1), x.slice(lo + PIECE - 1, lo)).asSigned();
    xP.push([piece, lo]);
  }
  const PW = Math.max(RW + 31, 62) + 2; // |x * M| < 2^(RW+30), 2^(S-1) <= 2^61: the sum fits
  const terms: Expr[] = [];
  xP.forEach(([xi, xs], i) =>
    mPieces.forEach(([mj, ms], j) => {
      const pp = m.reg(`xm${i}${j}_s3_q`, xi.width + mj.width, { signed: true, reset: null }).attr('use_dsp', 'yes');
      m.sync((p) => p.set(pp, xi.mul(mj)));
      terms.push(xs + ms > 0 ? pp.shl(xs + ms) : pp);
    }),
  );
  terms.push(stageReg(m, pipe, 'round', 3, half(pipe.at('shift', 2), 63)));
  const t1 = tree(m, pipe, 'xm_sum', terms, 3, PW);

  // shifts, compare, clamp -> y (16-bit signed)
  const sc1 = shiftCompare(m, pipe, 'q', t1.sum, t1.stage, 'shift', 'lo', 'hi', 16);
  const sY = sc1.stage + 1;
  const yq = stageReg(m, pipe, 'yq', sY, mux(sc1.lt, sc1.lo, mux(sc1.gt, sc1.hi, sc1.low)));
  pipe.def('y_low', yq.trunc(A), sY); // y's low A bits, delayed to the output for jobs without residual

  // residual: y * Ma + r * Mb + 2^(T-1), each product as two DSP48E1-sized pieces (M = mh * 2^17 + ml)
  const sP = sY + 1;
  const r = pipe.at('r', sY);
  const rTerms: Expr[] = [];
  const prodPieces = (v: Expr, mName: string, tag: string): void => {
    const mv = pipe.at(mName, sY);
    const ml = cat(lit(0, 1), mv.slice(PIECE - 1, 0)).asSigned();
    const mh = cat(lit(0, 1), mv.slice(30, PIECE)).asSigned();
    const pl = m.reg(`${tag}l_s${sP}_q`, v.width + ml.width, { signed: true, reset: null }).attr('use_dsp', 'yes');
    const ph = m.reg(`${tag}h_s${sP}_q`, v.width + mh.width, { signed: true, reset: null }).attr('use_dsp', 'yes');
    m.sync((p) => {
      p.set(pl, v.mul(ml));
      p.set(ph, v.mul(mh));
    });
    rTerms.push(pl, ph.shl(PIECE));
  };
  prodPieces(yq, 'ma', 'yma');
  prodPieces(r, 'mb', 'rmb');
  rTerms.push(stageReg(m, pipe, 'add_round', sP, half(pipe.at('add_shift', sY), 63)));
  const t2 = tree(m, pipe, 'add_sum', rTerms, sP, 64); // |y*Ma + r*Mb| < 2^48, + 2^61: fits 64 bits signed
  const sc2 = shiftCompare(m, pipe, 'z', t2.sum, t2.stage, 'add_shift', 'add_lo', 'add_hi', A);
  const sOut = sc2.stage + 1;
  if (sOut !== lat) throw new Error(`coreRqa: pipeline has ${sOut} stages, coreRqaLatency says ${lat}`);

  // out: z if res_en else y, low A bits
  const z = mux(sc2.lt, sc2.lo, mux(sc2.gt, sc2.hi, sc2.low));
  const yLow = pipe.at('y_low', sc2.stage);
  const yOutQ = m.reg(`y_s${sOut}_q`, A, { reset: null });
  m.sync((p) => p.set(yOutQ, mux(pipe.at('res_en', sc2.stage), z, yLow).asUnsigned()));
  m.assign(yOut, yOutQ);
  m.assign(outValid, pipe.at('valid', sOut));
  if (tagOut) m.assign(tagOut, pipe.at('tag', sOut));
  return m;
}
