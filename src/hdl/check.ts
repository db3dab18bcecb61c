/**
 * Whole-module build checks, each a small pass with one job (run by emitVerilog before emission):
 *  1. drivers   — outputs driven; wires/regs read are driven; nothing declared and left idle
 *  2. latches   — every comb-process target is set on every path
 *  3. loops     — no combinational cycle (through assigns, comb processes and submodule port paths)
 * Unused signal bits are checked by the emitter, which knows exactly which bits the Verilog references.
 */
import { UserError } from '../util/errors.js';
import { children, type Expr } from './expr.js';
import { Signal, type Module, type Stmt } from './module.js';

/** Signals referenced by an expression. */
export function signalsOf(e: Expr, out = new Set<Signal>()): Set<Signal> {
  const stack = [e];
  const seen = new Set<Expr>();
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x instanceof Signal) out.add(x);
    else stack.push(...children(x));
  }
  return out;
}

function stmtReads(body: Stmt[], out: Set<Signal>): void {
  for (const s of body) {
    if (s.kind === 'set') signalsOf(s.value, out);
    else if (s.kind === 'if') {
      for (const b of s.branches) {
        signalsOf(b.cond, out);
        stmtReads(b.body, out);
      }
      if (s.otherwise) stmtReads(s.otherwise, out);
    } else {
      signalsOf(s.sel, out);
      for (const c of s.cases) stmtReads(c.body, out);
      if (s.otherwise) stmtReads(s.otherwise, out);
    }
  }
}

/** Every signal read anywhere in the module. */
export function readsOf(m: Module): Set<Signal> {
  const out = new Set<Signal>();
  for (const it of m.items) {
    if (it.kind === 'assign') signalsOf(it.value, out);
    else if (it.kind === 'process') stmtReads(it.proc.body, out);
    else if (it.kind === 'instance') {
      for (const [port, e] of it.inst.conns) {
        const p = it.inst.child.signals.find((s) => s.name === port)!;
        if (p.kind === 'input') signalsOf(e, out);
      }
    } else {
      const mem = it.mem;
      for (const r of mem.reads) {
        signalsOf(r.addr, out);
        if (r.en) signalsOf(r.en, out);
      }
      if (mem.write_) {
        signalsOf(mem.write_.en, out);
        signalsOf(mem.write_.addr, out);
        signalsOf(mem.write_.data, out);
      }
    }
  }
  return out;
}

function checkDrivers(m: Module): void {
  const reads = readsOf(m);
  for (const s of m.signals) {
    if (s.kind === 'input' || s.driver) continue;
    const where = `module ${m.name}: ${s.kind} '${s.name}'`;
    if (s.kind === 'output') throw new UserError(`${where} is never driven; assign it, set it in m.comb, or connect it to an instance output`);
    if (reads.has(s)) {
      throw new UserError(`${where} is read but never driven; ${s.kind === 'reg' ? 'set it in m.sync' : 'assign it or set it in m.comb'}`);
    }
    throw new UserError(`${where} is declared but never driven or used; remove it`);
  }
  for (const mem of m.memories) {
    if (mem.reads.length === 0) throw new UserError(`module ${m.name}: ${mem.kind} '${mem.name}' is never read; add mem.read() or remove it`);
    if (mem.kind === 'ram' && !mem.write_ && !mem.init) throw new UserError(`module ${m.name}: ram '${mem.name}' is never written and has no init; add mem.write() or init`);
  }
}

/** Whether `target` is assigned on every path through `body`. */
function covered(body: Stmt[], target: Signal, sel: (e: Expr) => number): boolean {
  for (const s of body) {
    if (s.kind === 'set') {
      if (s.target === target) return true;
    } else if (s.kind === 'if') {
      if (s.otherwise && s.branches.every((b) => covered(b.body, target, sel)) && covered(s.otherwise, target, sel)) return true;
    } else {
      const full = s.otherwise ? covered(s.otherwise, target, sel) : s.cases.length === 2 ** Math.min(sel(s.sel), 40);
      if (full && s.cases.every((c) => covered(c.body, target, sel))) return true;
    }
  }
  return false;
}

function checkLatches(m: Module): void {
  for (const it of m.items) {
    if (it.kind !== 'process' || it.proc.kind !== 'comb') continue;
    for (const t of it.proc.targets) {
      if (!covered(it.proc.body, t, (e) => e.width)) {
        throw new UserError(`module ${m.name}: comb process #${it.proc.index} does not set '${t.name}' on every path (that would infer a latch); set a default value first`);
      }
    }
  }
}

/** Per target of a comb process: the signals it depends on (its values and the conditions on the way). */
function combDeps(body: Stmt[], conds: Set<Signal>, out: Map<Signal, Set<Signal>>): void {
  for (const s of body) {
    if (s.kind === 'set') {
      const d = out.get(s.target) ?? new Set<Signal>();
      for (const c of conds) d.add(c);
      signalsOf(s.value, d);
      out.set(s.target, d);
    } else if (s.kind === 'if') {
      const inner = new Set(conds);
      for (const b of s.branches) {
        signalsOf(b.cond, inner);
        combDeps(b.body, new Set(inner), out);
      }
      if (s.otherwise) combDeps(s.otherwise, inner, out);
    } else {
      const inner = signalsOf(s.sel, new Set(conds));
      for (const c of s.cases) combDeps(c.body, inner, out);
      if (s.otherwise) combDeps(s.otherwise, inner, out);
    }
  }
}

/** Combinational dependency graph of a module: signal -> signals it depends on without a register between. */
export function combGraph(m: Module): Map<Signal, Set<Signal>> {
  const g = new Map<Signal, Set<Signal>>();
  for (const it of m.items) {
    if (it.kind === 'assign') g.set(it.target, signalsOf(it.value));
    else if (it.kind === 'process' && it.proc.kind === 'comb') combDeps(it.proc.body, new Set(), g);
    else if (it.kind === 'instance') {
      const paths = portPaths(it.inst.child);
      for (const [port, e] of it.inst.conns) {
        const ins = paths.get(port);
        if (!ins) continue;
        const d = new Set<Signal>();
        for (const i of ins) signalsOf(it.inst.conns.get(i)!, d);
        g.set(e as Signal, d);
      }
    }
  }
  return g;
}

const pathCache = new WeakMap<Module, { items: number; paths: Map<string, Set<string>> }>();

/** For each output port of `m`: the input ports it depends on combinationally. */
export function portPaths(m: Module): Map<string, Set<string>> {
  const hit = pathCache.get(m);
  if (hit && hit.items === m.items.length) return hit.paths; // items only grow: same count = same module
  const g = combGraph(m);
  const res = new Map<string, Set<string>>();
  for (const o of m.signals.filter((s) => s.kind === 'output')) {
    const ins = new Set<string>();
    const seen = new Set<Signal>();
    const stack = [o];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (s.kind === 'input') ins.add(s.name);
      for (const d of g.get(s) ?? []) stack.push(d);
    }
    res.set(o.name, ins);
  }
  pathCache.set(m, { items: m.items.length, paths: res });
  return res;
}

function checkLoops(m: Module): void {
  const g = combGraph(m);
  const state = new Map<Signal, 1 | 2>();
  const path: Signal[] = [];
  const visit = (s: Signal): void => {
    const st = state.get(s);
    if (st === 2) return;
    if (st === 1) {
      const cycle = [...path.slice(path.indexOf(s)), s].map((x) => x.name).reverse();
      throw new UserError(`module ${m.name}: combinational loop ${cycle.join(' -> ')}; break it with a register or restructure the logic`);
    }
    state.set(s, 1);
    path.push(s);
    for (const d of g.get(s) ?? []) visit(d);
    path.pop();
    state.set(s, 2);
  };
  for (const s of m.signals) visit(s);
}

/** Run the whole-module checks; throws a UserError naming module and signal. */
export function checkModule(m: Module): void {
  checkDrivers(m);
  checkLatches(m);
  checkLoops(m);
}
