/**
 * Balanced trees: an adder tree over many terms and a mux tree selecting one of many inputs, combinational or with
 * one register level per tree level (a clock enable stalls the whole tree). Register names say where they sit:
 * `<name>_l<level>_<index>_q`.
 */
import { UserError } from '../../util/errors.js';
import { mux, type Expr } from '../expr.js';
import type { Module, Signal } from '../module.js';

export interface TreeOptions {
  /** One register level per tree level (latency = levels). Default false: combinational. */
  registered?: boolean;
  /** Clock enable of the registers (1 bit; registered trees only). Default: always enabled. */
  en?: Expr;
}

export interface AdderTreeOptions extends TreeOptions {
  /**
   * Widest node, in bits. Sums grow one bit per level up to this width and are then kept modulo 2^width: exact
   * whenever the total fits (two's-complement / modular arithmetic never depends on the order of additions).
   * Default: exact (no truncation).
   */
  width?: number;
}

export interface TreeResult {
  /** The root: the sum, or the selected input. */
  out: Expr;
  /** Register levels between the inputs and `out` (0 when combinational). */
  latency: number;
}

function check(m: Module, what: string, name: string, xs: readonly Expr[], opts: TreeOptions): void {
  const where = `module ${m.name}: ${what} '${name}'`;
  if (xs.length === 0) throw new UserError(`${where}: needs at least one input`);
  const s = xs[0]!.signed;
  xs.forEach((x, i) => {
    if (x.signed !== s) throw new UserError(`${where}: input ${i} is ${x.signed ? 'signed' : 'unsigned'} but input 0 is not; cast with .as${s ? 'Signed' : 'Unsigned'}()`);
  });
  if (opts.en && !opts.registered) throw new UserError(`${where}: en is only meaningful with registered: true`);
  if (opts.en && opts.en.width !== 1) throw new UserError(`${where}: en must be 1 bit, is ${opts.en.width}`);
}

/** One tree level: a register per node (registered) or the node itself. */
function node(m: Module, name: string, level: number, i: number, v: Expr, opts: TreeOptions): Expr {
  if (!opts.registered) return v;
  const r: Signal = m.reg(`${name}_l${level}_${i}_q`, v.width, { signed: v.signed, reset: null });
  m.sync((p) => {
    if (opts.en) p.if(opts.en, () => p.set(r, v));
    else p.set(r, v);
  });
  return r;
}

/**
 * Sum of `terms` (all signed or all unsigned) as a balanced binary tree. The root is `width` bits (default: exact,
 * the widest term plus one bit per level). An odd node passes to the next level unchanged (registered too, so every
 * path has the same latency).
 */
export function adderTree(m: Module, name: string, terms: readonly Expr[], opts: AdderTreeOptions = {}): TreeResult {
  check(m, 'adderTree', name, terms, opts);
  const max = opts.width;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new UserError(`module ${m.name}: adderTree '${name}': width ${max} must be a positive integer`);
  const fit = (e: Expr): Expr => (max !== undefined && e.width > max ? e.trunc(max) : e);
  let level = terms.map(fit);
  let depth = 0;
  while (level.length > 1) {
    depth++;
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const x = level[i]!;
      const y = level[i + 1];
      next.push(node(m, name, depth, i / 2, y ? fit(x.add(y)) : x, opts));
    }
    level = next;
  }
  let out = level[0]!;
  if (max !== undefined && out.width < max) out = out.resize(max);
  return { out, latency: opts.registered ? depth : 0 };
}

/**
 * inputs[sel] as a combinational balanced tree of 2:1 multiplexers, level k switched by sel bit k (no module needed:
 * an expression). Only the low ceil(log2 n) bits of sel are used; when n is not a power of two, an index past the last
 * input selects the last input. muxTree checks widths and can register the levels.
 */
export function muxSelect(inputs: readonly Expr[], sel: Expr): Expr {
  if (inputs.length === 0) throw new UserError('muxSelect: needs at least one input');
  const need = Math.ceil(Math.log2(inputs.length));
  if (sel.width < need) throw new UserError(`muxSelect: sel is ${sel.width} bits but ${inputs.length} inputs need ${need}`);
  let level = [...inputs, ...Array<Expr>((1 << need) - inputs.length).fill(inputs[inputs.length - 1]!)];
  for (let i = 0; level.length > 1; i++) {
    const next: Expr[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(mux(sel.bit(i), level[k + 1]!, level[k]!));
    level = next;
  }
  return level[0]!;
}

/**
 * inputs[sel] as a balanced tree of 2:1 multiplexers, level k switched by sel bit k. Inputs must share width and
 * signedness; sel is unsigned and exactly wide enough to reach every input (ceil(log2 n) bits). When n is not a
 * power of two, an index past the last input selects the last input. Registered: sel is delayed with the data, so
 * `out` is inputs[sel] of `latency` enabled cycles earlier.
 */
export function muxTree(m: Module, name: string, sel: Expr, inputs: readonly Expr[], opts: TreeOptions = {}): TreeResult {
  check(m, 'muxTree', name, inputs, opts);
  const where = `module ${m.name}: muxTree '${name}'`;
  const w = inputs[0]!.width;
  inputs.forEach((x, i) => {
    if (x.width !== w) throw new UserError(`${where}: input ${i} is ${x.width} bits but input 0 is ${w}; resize the inputs to one width`);
  });
  const need = Math.ceil(Math.log2(inputs.length));
  if (sel.signed) throw new UserError(`${where}: sel must be unsigned; use .asUnsigned()`);
  if (sel.width !== Math.max(1, need)) throw new UserError(`${where}: sel is ${sel.width} bits but ${inputs.length} inputs need ${Math.max(1, need)}`);
  if (!opts.registered) return { out: muxSelect(inputs, sel), latency: 0 };
  // pad to a power of two with the last input: an index past the end selects it (synthesis folds mux(x, x))
  let level = [...inputs, ...Array<Expr>((1 << need) - inputs.length).fill(inputs[inputs.length - 1]!)];
  let s: Expr = sel;
  for (let depth = 1; level.length > 1; depth++) {
    const bit = s.bit(0);
    const next: Expr[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(node(m, name, depth, i / 2, mux(bit, level[i + 1]!, level[i]!), opts));
    level = next;
    if (level.length > 1) s = node(m, `${name}_sel`, depth, 0, s.slice(s.width - 1, 1), opts);
  }
  return { out: level[0]!, latency: opts.registered ? need : 0 };
}
