/**
 * Helpers for the hdl tests: a seeded PRNG, random expression trees, and `simulate` (a hand-written testbench in
 * Icarus or Verilator, from test/support/verilog.ts), returning the text the testbench wrote to out.txt.
 */
import { mulberry32 } from '../src/util/random.js';
import { simulateTb, type Simulator } from './support/verilog.js';
import { Expr, cat, lit, mux, rep, type Signal } from '../src/hdl/index.js';
import { wrap } from '../src/hdl/expr.js';

/** The project's seeded PRNG (mulberry32, src/util/random.ts) with integer, pick and bit-vector draws. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0 || 1);
  }
  u32(): number {
    return this.next() * 4294967296;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  bits(width: number): bigint {
    let v = 0n;
    for (let i = 0; i < width; i += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(width)) - 1n);
  }
}

export type { Simulator } from './support/verilog.js';

/** Run testbench module `tb` (in files) with one simulator in a temp dir holding `data` files; returns out.txt. */
export function simulate(sim: Simulator, files: Map<string, string>, data: Map<string, string>, tb = 'tb'): Promise<string> {
  return simulateTb(sim, new Map([...files, ...data]), tb);
}

const MAXW = 150;

/** A random expression tree over `inputs` (random widths, signedness, operators). */
export function genExpr(r: Rng, inputs: Signal[], depth: number): Expr {
  if (depth <= 0 || r.chance(0.15)) {
    const roll = r.int(10);
    if (roll < 1) {
      const w = 1 + r.int(40);
      const s = r.chance(0.5);
      const v = r.bits(w);
      return lit(wrap(v, w, s), w, s);
    }
    const s = r.pick(inputs);
    if (roll < 3 && s.width > 1) {
      const lo = r.int(s.width);
      const hi = lo + r.int(s.width - lo);
      return s.slice(hi, lo);
    }
    return s;
  }
  const a = genExpr(r, inputs, depth - 1);
  const other = (): Expr => {
    let b = genExpr(r, inputs, depth - 1);
    // x op x folds to a constant in Verilator, which then warns that a comparison on it is constant; avoid
    for (let t = 0; t < 8 && b === a; t++) b = genExpr(r, inputs, depth - 1);
    return b.signed === a.signed ? b : a.signed ? b.asSigned() : b.asUnsigned();
  };
  const num = (): number => {
    const v = r.int(2000) - (a.signed ? 1000 : 0);
    return v;
  };
  const fit = (e: Expr): Expr => (e.width > MAXW ? e.trunc(1 + r.int(MAXW)) : e);
  try {
    return genOp(r, inputs, depth, a, other, num, fit);
  } catch (e) {
    if (/is constant/.test((e as Error).message)) return a; // unsigned x < 0 and friends are build errors
    throw e;
  }
}

function genOp(r: Rng, inputs: Signal[], depth: number, a: Expr, other: () => Expr, num: () => number, fit: (e: Expr) => Expr): Expr {
  const op = r.int(27);
  switch (op) {
    case 0: return fit(a.add(r.chance(0.2) ? num() : other()));
    case 1: return fit(a.sub(r.chance(0.2) ? num() : other()));
    case 2: return fit(a.mul(r.chance(0.2) ? num() : other()));
    case 3: return a.and(other());
    case 4: return a.or(r.chance(0.3) ? num() : other());
    case 5: return a.xor(other());
    case 6: return a.not();
    case 7: return fit(a.neg());
    case 8: return a.eq(other());
    case 9: return a.ne(r.chance(0.3) ? num() : other());
    case 10: return a.lt(other());
    case 11: return a.ge(r.chance(0.3) ? num() : other());
    case 12: return r.pick([a.reduceAnd(), a.reduceOr(), a.reduceXor(), a.le(other()), a.gt(other())]);
    case 13: return fit(a.shl(r.int(9)));
    case 14: {
      const s = genExpr(r, inputs, 0);
      return a.shl(s.asUnsigned().width > 7 ? s.asUnsigned().trunc(1 + r.int(7)) : s.asUnsigned());
    }
    case 15: return a.shr(r.int(a.width + 3));
    case 16: {
      const s = genExpr(r, inputs, 0);
      return a.shr(s.asUnsigned().width > 7 ? s.asUnsigned().trunc(1 + r.int(7)) : s.asUnsigned());
    }
    case 17: {
      const lo = r.int(a.width);
      return a.slice(lo + r.int(a.width - lo), lo);
    }
    case 18: return a.trunc(1 + r.int(a.width));
    case 19: return a.resize(1 + r.int(Math.min(MAXW, a.width + 20)));
    case 20: return a.signed ? a.asUnsigned() : a.asSigned();
    case 21: return fit(cat(a, other()));
    case 22: return fit(rep(a, 1 + r.int(3)));
    case 23: {
      const c = genExpr(r, inputs, depth - 1);
      const cond = c.width === 1 ? c : c.reduceOr();
      return mux(cond, a, r.chance(0.2) ? num() : other());
    }
    case 24: return a.bit(r.int(a.width));
    case 25: return a.add(other()).trunc(Math.max(1, Math.min(a.width, 1 + r.int(MAXW))));
    default: return fit(a.mul(other()).add(other()));
  }
}

