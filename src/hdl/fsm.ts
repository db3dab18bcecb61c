/**
 * State machines of the module DSL: a state register with named states and named constants for their codes.
 */
import { UserError } from '../util/errors.js';
import { Expr, lit } from './expr.js';
import type { Module, ProcBuilder, Signal } from './module.js';

/** A named constant (emitted as a localparam where used), e.g. an FSM state code. */
export function namedConst(name: string, value: bigint, width: number): Expr {
  const e = lit(value, width);
  return new Expr(width, false, { kind: 'const', value: e.node.kind === 'const' ? e.node.value : value, name });
}

/**
 * A state machine register with named states: `is('RUN')`, `goto(p, 'RUN')` inside a sync process, and
 * `switch(p, { IDLE: () => ..., RUN: () => ... })`. State codes are binary in declaration order and appear in the
 * Verilog as localparams `<NAME>_<STATE>` (upper case), so waveforms and source read with the state names.
 */
export class Fsm<S extends string> {
  readonly state: Signal;
  /** @internal */ readonly codes = new Map<S, Expr>();

  /** @internal */
  constructor(readonly module: Module, name: string, readonly states: readonly S[], reset: S | undefined) {
    const where = `module ${module.name}: fsm '${name}'`;
    if (states.length < 2) throw new UserError(`${where}: needs at least 2 states`);
    if (new Set(states).size !== states.length) throw new UserError(`${where}: duplicate state names`);
    const width = Math.max(1, Math.ceil(Math.log2(states.length)));
    const r = reset ?? states[0]!;
    if (!states.includes(r)) throw new UserError(`${where}: reset state '${r}' is not one of ${states.join(', ')}`);
    this.state = module.reg(name, width, { reset: states.indexOf(r) });
    states.forEach((st, i) => {
      const pname = module.uniqueName(`${name.replace(/_q$/, '')}_${st}`.toUpperCase());
      this.codes.set(st, namedConst(pname, BigInt(i), width));
    });
  }

  private codeOf(s: S): Expr {
    const c = this.codes.get(s);
    if (!c) throw new UserError(`module ${this.module.name}: fsm '${this.state.name}' has no state '${s}' (states: ${this.states.join(', ')})`);
    return c;
  }

  /** The constant code of state s. */
  code(s: S): Expr {
    return this.codeOf(s);
  }

  /** 1 when the machine is in state s. */
  is(s: S): Expr {
    return this.state.eq(this.codeOf(s));
  }

  /** Go to state s at the next clock edge (call inside the m.sync process that owns the state). */
  goto(p: ProcBuilder, s: S): void {
    p.set(this.state, this.codeOf(s));
  }

  /** case (state) with one body per named state; states left out do nothing (or run `default`). */
  switch(p: ProcBuilder, cases: Partial<Record<S, () => void>> & { default?: () => void }): void {
    const entries: { value: bigint; body: () => void }[] = [];
    for (const st of this.states) {
      const body = cases[st];
      if (body) entries.push({ value: BigInt(this.states.indexOf(st)), body });
    }
    for (const k of Object.keys(cases)) {
      if (k !== 'default' && !this.states.includes(k as S)) this.codeOf(k as S);
    }
    p.switchValues(this.state, entries, cases.default);
  }
}
