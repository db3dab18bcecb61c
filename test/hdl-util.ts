/**
 * Helpers for the hdl tests: a seeded PRNG and a runner that simulates a Verilog testbench with Icarus and with
 * Verilator (--binary --timing), returning the text the testbench wrote to out.txt.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Expr, cat, lit, mux, rep, type Signal } from '../src/hdl/index.js';
import { wrap } from '../src/hdl/expr.js';

/** Small deterministic PRNG (xorshift128+ style on bigint-free 32-bit ops). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
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

export type Simulator = 'icarus' | 'verilator';

/** Run testbench module `tb` (in files) with one simulator in a temp dir holding `data` files; returns out.txt. */
export async function simulate(sim: Simulator, files: Map<string, string>, data: Map<string, string>, tb = 'tb'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `accelforge-hdl-${sim}-`));
  try {
    for (const [k, v] of [...files, ...data]) await writeFile(join(dir, k), v);
    const vfiles = [...files.keys()].filter((f) => f.endsWith('.v')).sort();
    if (sim === 'icarus') {
      await execa('iverilog', ['-g2005', '-s', tb, '-o', 'sim.vvp', ...vfiles], { cwd: dir });
      await execa('vvp', ['-n', 'sim.vvp'], { cwd: dir });
    } else {
      await execa('verilator', ['--binary', '--timing', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--top-module', tb, '-o', 'simv',
        '-CFLAGS', '-O0', ...vfiles], { cwd: dir });
      await execa(join(dir, 'obj_dir', 'simv'), [], { cwd: dir });
    }
    return await readFile(join(dir, 'out.txt'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

