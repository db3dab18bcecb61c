/**
 * The MSQ core's GEMM lanes (docs/msq-core.md), built with the HDL
 * builder: `Pf` fixed lanes and `Ps` SP2 lanes sharing one activation word of `N` lanes.
 *
 *  fixedLane: N two's-complement WF-bit codes x N activations per clock on N multipliers (`use_dsp = "yes"`),
 *             registered like the DSP48E1's A/B, M and P registers. With `dspPack: 2` fixed lanes come in pairs
 *             (`fixedPair`): one multiplier computes a * (wa + wb * 2^K) + 2^(K-1), K = (A+1) + WF - 1 (the
 *             constant in the DSP's post-adder), and the two products are read off exactly with no fabric adder
 *             (see fixedPair); an odd last fixed lane stays unpacked.
 *  sp2Lane:   N m-bit SP2 codes [sign | e1 | e2] x N activations: a * w = ±((a << s1) + (a << s2)), s = P - e
 *             (conventions.ts), multiplexers and adders only (`use_dsp = "no"`, no `*`). The sign is applied to the
 *             activation in the decode stage, so every stage holds at most one carry chain; each term is one
 *             multiplexer over its exponent field (e = 0 selects 0), the second one formed inside the adder's LUTs.
 *             (yosys, N = 12, A = 8, m = 4: 586 LUT per SP2 lane incl. tree and accumulator; the retired per-layer engines'
 *             sp2Lane, with a static activation sign: 723.)
 *  Then per lane: a registered adder tree (one level per stage), the accumulator (`first ? sum : acc + sum` on
 *  valid steps) and a snapshot register loaded with the pass's final sum on the pass's last step.
 *
 * DSP48E1: N per fixed lane, N per packed pair (`coreLaneMultipliers`), 0 for SP2 lanes (checked by synthesis).
 *
 * Activations are A-bit lanes, two's complement when `act_signed` is 1 (a run-time input), else unsigned; the fixed
 * lanes extend them to A+1 signed bits. The SP2 lanes take only the low B = sp2ActBits (default A) bits of each lane,
 * extended to B+1 signed bits (sign bit = act_signed & bit B-1), so their sign logic, shifters and adder trees are
 * B+1 + P bits wide instead of A+1 + P: an activation that does not fit B bits is truncated to its low B bits (the
 * compiler gives SP2 lanes only jobs whose activations fit; docs/msq-core.md "Semantics"). Yosys estimate (synth_xilinx,
 * no place & route), one SP2 lane N = 16, A = 8, m = 4, kMax = 4096 (accBits 24) incl. tree and accumulator:
 * sp2ActBits 8 / 6 / 4 / 3 -> 751 / 611 / 471 / 401 LUT (46.9 / 38.2 / 29.4 / 25.1 per MAC), 982 / 824 / 666 / 587 FF. Latency: `coreLaneLatency(cfg)` = 3 product stages + ceil(log2 N) tree stages
 * + 1 accumulate/snapshot stage, from a step with in_valid & in_last to the `acc_valid` pulse.
 */
import { fail } from '../../util/errors.js';
import { cat, lit, mux, rep, Module, type Expr, type Signal } from '../../hdl/index.js';
import { adderTree } from '../../hdl/lib/index.js';
import { sp2P, sp2Split } from '../conventions.js';
import { accBits, checkCoreConfig, lanes, sp2ActBitsOf, type CoreConfig } from './config.js';

/** Adder-tree depth for N products: ceil(log2 N) (0 for N = 1). */
export function laneTreeDepth(N: number): number {
  let d = 0;
  while (2 ** d < N) d++;
  return d;
}

/** Register stages from the lane inputs to the final adder-tree node (A/B, M, P, tree levels). */
function productStages(cfg: CoreConfig): number {
  return 3 + laneTreeDepth(cfg.N);
}

/**
 * Cycles from the cycle that presents a step with in_valid & in_last to the cycle in which `acc_valid` is high
 * (and `acc` holds that pass's sums).
 */
export function coreLaneLatency(cfg: CoreConfig): number {
  return productStages(cfg) + 1;
}

/** Guard shift K of a packed fixed pair: |a * wa| < 2^(K-1) for every A-bit activation and WF-bit code. */
export function packGuard(cfg: Pick<CoreConfig, 'A' | 'WF'>): number {
  return cfg.A + 1 + cfg.WF - 1;
}

/**
 * Whether a packed pair's multiplier fits one DSP48E1 (25 x 18 signed): the packed weight wa + wb * 2^K needs
 * A + 2*WF + 1 bits (<= 25), the activation A + 1 bits (<= 18). A = 8, WF = 8 fits exactly.
 */
export function packFitsDsp(cfg: Pick<CoreConfig, 'A' | 'WF'>): boolean {
  return cfg.WF + packGuard(cfg) + 1 <= 25 && cfg.A + 1 <= 18;
}

/** Multipliers (DSP48E1 when a product fits 25 x 18) of the lanes: N per fixed lane, N per fixed pair with dspPack 2. */
export function coreLaneMultipliers(cfg: CoreConfig): number {
  const units = cfg.dspPack === 2 ? Math.ceil(cfg.Pf / 2) : cfg.Pf;
  return units * cfg.N;
}

/** Operand widths of one multiplier: [activation, weight] (packed weight with dspPack 2). */
export function coreLaneMulOperands(cfg: CoreConfig): [number, number] {
  return cfg.dspPack === 2 && cfg.Pf >= 2 ? [cfg.A + 1, cfg.WF + packGuard(cfg) + 1] : [cfg.A + 1, cfg.WF];
}

/**
 * Product terms of one lane -> registered adder tree, one level per stage (src/hdl/lib adderTree, nodes
 * `<lane>_sum_l<level>_<i>_q`). Nodes are kept to at most `AB` (= accBits) bits: two's-complement sums are exact
 * modulo 2^AB and the lane's total fits accBits, so the truncation never changes a result.
 */
function laneSum(m: Module, prefix: string, terms: Expr[], AB: number): Expr {
  return adderTree(m, `${prefix}_sum`, terms, { registered: true, width: AB }).out;
}

/** Accumulator and snapshot of one lane. */
function accumulate(m: Module, prefix: string, sum: Expr, width: number, en: Expr, first: Expr, last: Expr): Signal {
  const s = sum.width > width ? sum.trunc(width) : sum.resize(width);
  const acc = m.reg(`${prefix}_acc_q`, width, { signed: true, reset: null });
  const snap = m.reg(`${prefix}_snap_q`, width, { signed: true, reset: 0 }); // reset: `acc` is never X (Icarus)
  const next = m.let(`${prefix}_acc_next`, mux(first, s, acc.add(s).trunc(width)));
  m.sync((p) => {
    p.if(en, () => {
      p.set(acc, next);
      p.if(last, () => p.set(snap, next));
    });
  });
  return snap;
}

/**
 * One SP2 term x * 2^(P - e) for e >= 1 and 0 for e = 0, as a multiplexer tree over the bits of e (signed, `width`
 * bits; x << (P - 1) must fit). Constant shifts are wiring, so each result bit is one 2^|e|-input multiplexer.
 */
function sp2Term(x: Expr, e: Expr, P: number, width: number): Expr {
  // x << (P - e) for e >= 1, 0 for e = 0, without a multiplexer tree: P - e = C + ~e with C = P - (2^w - 1) (e has
  // w <= m1 bits, P = 2^m1 - 1), i.e. a constant shift, a variable shift by ~e and a mask. Same LUTs in yosys; in
  // Verilator the ?: tree compiled to data-dependent jumps and cost 1.6-2x the simulation speed (bench/msq-core-sim.ts).
  // For e = 0 the shift by P overflows the width: those bits are masked away.
  const C = P - (2 ** e.width - 1);
  const shifted = x.resize(width - C).shl(C).shl(e.not());
  return shifted.and(rep(e.reduceOr(), width).asSigned());
}

/**
 * The low `bits` bits (<= A) of activation lane n, extended to bits+1 signed bits (sign bit = act_signed & bit
 * bits-1): the whole lane for the fixed lanes (bits = A), the low sp2ActBits bits for the SP2 lanes.
 */
function actLane(act: Expr, actSigned: Expr, n: number, A: number, bits: number = A): Expr {
  const raw = act.slice(n * A + bits - 1, n * A);
  return cat(actSigned.and(raw.bit(bits - 1)), raw).asSigned();
}

/**
 * `coreLanes(cfg, name)`: Pf fixed lanes + Ps SP2 lanes on one activation word. Ports: act [N*A], act_signed,
 * fw [Pf*N*WF], sw [Ps*N*m], in_valid, in_first, in_last; acc_valid (one-cycle pulse coreLaneLatency(cfg) cycles
 * after the pass's last step), acc [L*accBits] (lane j at [j*accBits +: accBits], fixed lanes then SP2 lanes; held
 * until the next acc_valid).
 */
export function coreLanes(cfg: CoreConfig, name: string): Module {
  checkCoreConfig(cfg);
  const { N, A, WF, Pf, Ps } = cfg;
  if (cfg.dspPack === 2 && Pf >= 2 && !packFitsDsp(cfg)) {
    fail('core.dspPack', `2 products per DSP48E1 need A + 2*WF + 1 <= 25 bits (packed weight), got A = ${A}, WF = ${WF}: use dspPack 1 or lower A / WF`);
  }
  const L = lanes(cfg);
  const AB = accBits(cfg);
  const B = sp2ActBitsOf(cfg);
  const mod = new Module(name, {
    doc: `MSQ core GEMM lanes: ${Pf} fixed (DSP${cfg.dspPack === 2 ? ', 2 products per DSP' : ''}) + ${Ps} SP2 (LUT shift-add) lanes x ${N} activations per clock, accumulators and pass snapshots`,
    // sp2ActBits only when it narrows the SP2 lanes: with the default (A) the Verilog is that of a core without it
    config: { N, A, WF, m: cfg.m, ...(B < A ? { sp2ActBits: B } : {}), Pf, Ps, dspPack: cfg.dspPack, kMax: cfg.kMax, accBits: AB, latency: coreLaneLatency(cfg) },
  });
  const act = mod.input('act', N * A);
  if (Pf === 0 && B < A) act.markUnused(); // bits B..A-1 of every lane: SP2 lanes take only the low B bits
  const actSigned = mod.input('act_signed', 1);
  const fw = Pf > 0 ? mod.input('fw', Pf * N * WF) : undefined;
  const sw = Ps > 0 ? mod.input('sw', Ps * N * cfg.m) : undefined;
  const inValid = mod.input('in_valid', 1);
  const inFirst = mod.input('in_first', 1);
  const inLast = mod.input('in_last', 1);
  const accValid = mod.output('acc_valid', 1);
  const accOut = mod.output('acc', L * AB);

  // control delay line: one bit per product / tree stage, aligned with the final adder-tree node
  const S = productStages(cfg);
  const vDl = mod.reg('valid_dl_q', S, { reset: 0 });
  const fDl = mod.reg('first_dl_q', S, { reset: null });
  const lDl = mod.reg('last_dl_q', S, { reset: null });
  const shiftIn = (dl: Signal, x: Expr): Expr => cat(dl.slice(S - 2, 0), x);
  mod.sync((p) => {
    p.set(vDl, shiftIn(vDl, inValid));
    p.set(fDl, shiftIn(fDl, inFirst));
    p.set(lDl, shiftIn(lDl, inLast));
  });
  const en = mod.let('acc_en', vDl.bit(S - 1));
  const first = mod.let('acc_first', fDl.bit(S - 1));
  const last = mod.let('acc_last', lDl.bit(S - 1));
  const accValidQ = mod.reg('acc_valid_q', 1, { reset: 0 });
  mod.sync((p) => p.set(accValidQ, en.and(last)));
  mod.assign(accValid, accValidQ);

  const snaps: Signal[] = [];
  const fixedCode = (l: number, n: number): Expr => fw!.slice((l * N + n) * WF + WF - 1, (l * N + n) * WF).asSigned();

  // fixed lanes: A/B registers, M register (the multiplier), P register
  const fixedLane = (l: number): Signal => {
    const pre = `fx${l}`;
    const terms: Expr[] = [];
    for (let n = 0; n < N; n++) {
      const a = mod.reg(`${pre}_a${n}_q`, A + 1, { signed: true, reset: null });
      const w = mod.reg(`${pre}_w${n}_q`, WF, { signed: true, reset: null });
      const mq = mod.reg(`${pre}_m${n}_q`, A + 1 + WF, { signed: true, reset: null }).attr('use_dsp', 'yes');
      const pq = mod.reg(`${pre}_p${n}_q`, A + 1 + WF, { signed: true, reset: null });
      mod.sync((p) => {
        p.set(a, actLane(act, actSigned, n, A));
        p.set(w, fixedCode(l, n));
        p.set(mq, a.mul(w));
        p.set(pq, mq);
      });
      terms.push(pq);
    }
    return accumulate(mod, pre, laneSum(mod, pre, terms, AB), AB, en, first, last);
  };

  // packed pair: c = wa + wb * 2^K (A/B stage), M = a * c (M), P = M + 2^(K-1) (P: the DSP's post-adder with a
  // constant). Since |a * wa| < 2^(K-1), the low K bits of P are a * wa + 2^(K-1) in [0, 2^K) with no borrow, so
  // a * wb = P >>> K and a * wa = P[K-1:0] with its top bit inverted (as a signed K-bit number): no fabric adder.
  const fixedPair = (l: number): [Signal, Signal] => {
    const pre = `fxp${l / 2}`;
    const K = packGuard(cfg);
    const cw = WF + K + 1; // wa + wb * 2^K for the full WF-bit code range (incl. -2^(WF-1))
    const pw = A + 1 + WF;
    const ta: Expr[] = [];
    const tb: Expr[] = [];
    for (let n = 0; n < N; n++) {
      const a = mod.reg(`${pre}_a${n}_q`, A + 1, { signed: true, reset: null });
      const c = mod.reg(`${pre}_c${n}_q`, cw, { signed: true, reset: null });
      // |M| <= (2^A - 1) * 2^(WF-1) * (2^K + 1) < 2^(pw+K-2): pw + K bits hold M and M + 2^(K-1) exactly
      const mq = mod.reg(`${pre}_m${n}_q`, pw + K, { signed: true, reset: null }).attr('use_dsp', 'yes');
      const pq = mod.reg(`${pre}_p${n}_q`, pw + K, { signed: true, reset: null }).attr('use_dsp', 'yes');
      const packed = fixedCode(l + 1, n).shl(K).resize(cw).add(fixedCode(l, n)).trunc(cw);
      mod.sync((p) => {
        p.set(a, actLane(act, actSigned, n, A));
        p.set(c, packed);
        p.set(mq, a.mul(c).trunc(pw + K));
        p.set(pq, mq.add(lit(2n ** BigInt(K - 1), pw + K, true)).trunc(pw + K));
      });
      ta.push(mod.let(`${pre}_pa${n}`, cat(pq.bit(K - 1).not(), pq.slice(K - 2, 0)).asSigned()));
      tb.push(mod.let(`${pre}_pb${n}`, pq.slice(pw + K - 1, K).asSigned()));
    }
    return [
      accumulate(mod, `${pre}a`, laneSum(mod, `${pre}a`, ta, AB), AB, en, first, last),
      accumulate(mod, `${pre}b`, laneSum(mod, `${pre}b`, tb, AB), AB, en, first, last),
    ];
  };

  // SP2 lanes on the low B = sp2ActBits bits of each activation (a: B+1 signed bits).
  // Stage 1: ±a (the sign applied to the activation), e1 and e2 registered. Stage 2: the first term
  // t1 = a << (P - e1) (0 for e1 = 0) as one multiplexer over e1 (no separate enable), registered. Stage 3: t1 plus
  // the second term, which is formed inside the adder's LUTs (a multiplexer over e2 of the delayed ±a).
  const sp2Lane = (l: number): Signal => {
    const pre = `sp${l}`;
    const { m } = cfg;
    const { m1, m2 } = sp2Split(m);
    const P = sp2P(m);
    const tw = B + P; // ±a (B+1 bits) << (P-1) at most
    const terms: Expr[] = [];
    for (let n = 0; n < N; n++) {
      const base = (l * N + n) * m;
      const sign = sw!.bit(base + m - 1);
      const a = actLane(act, actSigned, n, A, B);
      const an = mod.reg(`${pre}_an${n}_q`, B + 1, { signed: true, reset: null }).attr('use_dsp', 'no');
      const e1 = mod.reg(`${pre}_e1_${n}_q`, m1, { reset: null });
      const e2 = mod.reg(`${pre}_e2_${n}_q`, m2, { reset: null });
      const an2 = mod.reg(`${pre}_an${n}_d_q`, B + 1, { signed: true, reset: null }).attr('use_dsp', 'no');
      const e2d = mod.reg(`${pre}_e2d_${n}_q`, m2, { reset: null });
      const t1 = mod.reg(`${pre}_t1_${n}_q`, tw, { signed: true, reset: null }).attr('use_dsp', 'no');
      const pq = mod.reg(`${pre}_p${n}_q`, tw + 1, { signed: true, reset: null }).attr('use_dsp', 'no');
      mod.sync((p) => {
        p.set(an, a.xor(rep(sign, B + 1).asSigned()).add(cat(lit(0, B), sign).asSigned()).trunc(B + 1)); // (a ^ s) + s = ±a; |a| <= 2^B - 1 fits B+1 bits
        p.set(e1, sw!.slice(base + m - 2, base + m2));
        p.set(e2, sw!.slice(base + m2 - 1, base));
        p.set(an2, an);
        p.set(e2d, e2);
        p.set(t1, sp2Term(an, e1, P, tw));
        p.set(pq, t1.add(sp2Term(an2, e2d, P, tw)));
      });
      terms.push(pq);
    }
    return accumulate(mod, pre, laneSum(mod, pre, terms, AB), AB, en, first, last);
  };

  let l = 0;
  if (cfg.dspPack === 2) {
    for (; l + 1 < Pf; l += 2) snaps.push(...fixedPair(l));
  }
  for (; l < Pf; l++) snaps.push(fixedLane(l));
  for (let j = 0; j < Ps; j++) snaps.push(sp2Lane(j));
  mod.assign(accOut, cat(...snaps.map((s) => s.asUnsigned()).reverse()));
  return mod;
}
