import type { Expr } from './expr.js';
import type { Signal } from './module.js';

export type Env = Map<Signal, bigint | number> | ((s: Signal) => bigint | number);

/** Value of a combinational expression given signal values (signed results are negative bigints when < 0). */
export function evalExpr(e: Expr, env: Env): bigint {
  void e; void env;
  throw new Error('evalExpr: not implemented yet');
}
