/**
 * A tiny cycle-based simulator of one builder Module (no submodule instances), with exactly the builder's
 * semantics: comb logic settles after every poke, `step()` is one rising clock edge (sync processes read old values,
 * regs with a reset value take it when `rst` is high, RAM read-before-write). Registers without reset and RAM words
 * without init start at 0 (Verilator's default; Icarus would show X).
 *
 * It is meant for quick unit tests of small blocks and as the reference of the sequential differential test, not
 * for speed: bulk simulation belongs in Verilator (src/sim).
 */
import { UserError } from '../util/errors.js';
import { wrap, type Expr } from './expr.js';
import { evalExpr } from './eval.js';
import { type Signal, type Memory, type Module, type Stmt } from './module.js';

export class CycleSim {
  private readonly values = new Map<Signal, bigint>();
  private readonly mems = new Map<Memory, bigint[]>();
  private rstValue = 0n;
  private dirty = true;

  constructor(readonly module: Module) {
    for (const it of module.items) {
      if (it.kind === 'instance') throw new UserError(`CycleSim(${module.name}): submodule instances are not supported; simulate the child on its own or use Verilator`);
    }
    for (const s of module.signals) this.values.set(s, 0n);
    for (const mem of module.memories) {
      this.mems.set(mem, Array.from({ length: mem.depth }, (_, i) => wrap(mem.init?.[i] ?? 0n, mem.width, mem.signed)));
    }
  }

  private read = (s: Signal): bigint => this.values.get(s)!;

  /** Drive an input (value wraps to the input's width). Use `poke('rst', 1)` for the reset. */
  poke(sig: Signal | 'rst', value: number | bigint): void {
    if (sig === 'rst') {
      this.rstValue = BigInt(value) & 1n;
      return;
    }
    if (sig.module !== this.module || sig.kind !== 'input') throw new UserError(`CycleSim.poke: ${sig.label()} is not an input of ${this.module.name}`);
    this.values.set(sig, wrap(BigInt(value), sig.width, sig.signed));
    this.dirty = true;
  }

  /** Current value of any signal (comb logic settled); signed signals read as negative bigints when negative. */
  peek(sig: Signal): bigint {
    this.settle();
    return this.values.get(sig)!;
  }

  /** Value of an expression of this module's signals. */
  eval(e: Expr): bigint {
    this.settle();
    return evalExpr(e, this.read);
  }

  /** Hold rst high for `cycles` clock edges, then release it. */
  reset(cycles = 1): void {
    this.poke('rst', 1);
    for (let i = 0; i < cycles; i++) this.step();
    this.poke('rst', 0);
  }

  private settle(): void {
    if (!this.dirty) return;
    // the module has no combinational loop (checked at build), so at most N passes over the comb items settle it
    const comb = this.module.items.filter((it) => it.kind === 'assign' || (it.kind === 'process' && it.proc.kind === 'comb'));
    for (let pass = 0; pass <= comb.length; pass++) {
      let changed = false;
      for (const it of comb) {
        const next = new Map<Signal, bigint>();
        if (it.kind === 'assign') next.set(it.target, this.conv(it.value, it.target));
        else if (it.kind === 'process') this.exec(it.proc.body, next);
        for (const [s, v] of next) {
          if (this.values.get(s) !== v) {
            this.values.set(s, v);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    this.dirty = false;
  }

  private conv(e: Expr, target: { width: number; signed: boolean }): bigint {
    return wrap(evalExpr(e, this.read), target.width, target.signed);
  }

  private exec(body: Stmt[], next: Map<Signal, bigint>): void {
    for (const s of body) {
      if (s.kind === 'set') {
        const v = this.conv(s.value, s.target);
        next.set(s.target, v); // a process never reads its own targets (checked at build): no need to apply now
      } else if (s.kind === 'if') {
        const b = s.branches.find((br) => evalExpr(br.cond, this.read) !== 0n);
        if (b) this.exec(b.body, next);
        else if (s.otherwise) this.exec(s.otherwise, next);
      } else {
        const sel = evalExpr(s.sel, this.read);
        const c = s.cases.find((cc) => cc.value === sel);
        if (c) this.exec(c.body, next);
        else if (s.otherwise) this.exec(s.otherwise, next);
      }
    }
  }

  /** One rising clock edge. */
  step(): void {
    this.settle();
    const next = new Map<Signal, bigint>();
    for (const it of this.module.items) {
      if (it.kind === 'process' && it.proc.kind === 'sync') {
        this.exec(it.proc.body, next);
        if (this.rstValue) for (const t of it.proc.targets) if (t.reset !== null) next.set(t, wrap(t.reset, t.width, t.signed));
      }
    }
    const writes: [bigint[], number, bigint][] = [];
    for (const mem of this.module.memories) {
      const words = this.mems.get(mem)!;
      for (const r of mem.reads) {
        if (r.en && evalExpr(r.en, this.read) === 0n) continue;
        const a = Number(evalExpr(r.addr, this.read));
        next.set(r.data, a < mem.depth ? words[a]! : 0n);
      }
      const w = mem.write_;
      if (w && evalExpr(w.en, this.read) !== 0n) {
        const a = Number(evalExpr(w.addr, this.read));
        if (a < mem.depth) writes.push([words, a, wrap(evalExpr(w.data, this.read), mem.width, mem.signed)]);
      }
    }
    for (const [words, a, v] of writes) words[a] = v;
    for (const [s, v] of next) this.values.set(s, v);
    this.dirty = true;
  }
}

