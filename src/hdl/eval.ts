/**
 * Builder-level evaluator of combinational expressions, with exactly the semantics of docs/hdl.md "Width rules".
 * The differential test compares it with the emitted Verilog run in Verilator.
 */
import { UserError } from '../util/errors.js';
import { wrap, type Expr } from './expr.js';
import type { Signal } from './module.js';

export type Env = Map<Signal, bigint | number> | ((s: Signal) => bigint | number);

/** Value of a combinational expression given signal values (signed results are negative bigints when < 0). */
export function evalExpr(e: Expr, env: Env): bigint {
  const memo = new Map<Expr, bigint>();
  const look = typeof env === 'function' ? env : (s: Signal) => {
    const v = env.get(s);
    if (v === undefined) throw new UserError(`evalExpr: no value for signal ${s.label()}`);
    return v;
  };
  const go = (x: Expr): bigint => {
    const hit = memo.get(x);
    if (hit !== undefined) return hit;
    const r = wrap(compute(x), x.width, x.signed);
    memo.set(x, r);
    return r;
  };
  const bits = (x: Expr): bigint => wrap(go(x), x.width, false);
  const compute = (x: Expr): bigint => {
    const n = x.node;
    switch (n.kind) {
      case 'const': return n.value;
      case 'signal': return BigInt(look(x as Signal));
      case 'bin': {
        const a = go(n.a);
        const b = go(n.b);
        switch (n.op) {
          case 'add': return a + b;
          case 'sub': return a - b;
          case 'mul': return a * b;
          case 'and': return a & b;
          case 'or': return a | b;
          case 'xor': return a ^ b;
          case 'eq': return a === b ? 1n : 0n;
          case 'ne': return a !== b ? 1n : 0n;
          case 'lt': return a < b ? 1n : 0n;
          case 'le': return a <= b ? 1n : 0n;
          case 'gt': return a > b ? 1n : 0n;
          case 'ge': return a >= b ? 1n : 0n;
        }
        break;
      }
      case 'un': {
        const a = go(n.a);
        switch (n.op) {
          case 'neg': return -a;
          case 'not': return ~a;
          case 'reduceAnd': return bits(n.a) === (1n << BigInt(n.a.width)) - 1n ? 1n : 0n;
          case 'reduceOr': return bits(n.a) !== 0n ? 1n : 0n;
          case 'reduceXor': {
            let v = bits(n.a);
            let p = 0n;
            while (v) { p ^= v & 1n; v >>= 1n; }
            return p;
          }
        }
        break;
      }
      case 'shl': {
        const by = typeof n.by === 'number' ? BigInt(n.by) : go(n.by);
        return by >= BigInt(x.width) ? 0n : go(n.a) << by;
      }
      case 'shr': {
        const raw = typeof n.by === 'number' ? BigInt(n.by) : go(n.by);
        const by = raw > BigInt(x.width) ? BigInt(x.width) : raw;
        return go(n.a) >> by; // bigint >> is arithmetic: sign fill for negative (signed) values, zero for unsigned
      }
      case 'slice': return bits(n.a) >> BigInt(n.lo);
      case 'trunc': case 'resize': return go(n.a);
      case 'cast': return bits(n.a);
      case 'cat': {
        let v = 0n;
        for (const p of n.parts) v = (v << BigInt(p.width)) | bits(p);
        return v;
      }
      case 'mux': return go(n.cond) ? go(n.a) : go(n.b);
    }
    throw new Error('unreachable');
  };
  return go(e);
}
