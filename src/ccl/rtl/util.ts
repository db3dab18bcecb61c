/** Small expression helpers shared by the CCL core's builder submodules. */
import { Expr, Module, Signal, lit, cat, mux } from '../../hdl/index.js';
import type { Field } from './params.js';

/** Resize to w bits; truncation only where the value fits by construction (documented at each call). */
export function fit(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e.resize(w);
}

/** Unpack a flat vector into named fields (LSB-first). */
export function unpack(v: Expr, fields: Field[]): Record<string, Expr> {
  const out: Record<string, Expr> = {};
  let lo = 0;
  for (const f of fields) {
    out[f.name] = v.slice(lo + f.width - 1, lo);
    lo += f.width;
  }
  return out;
}

/** Pack named fields (LSB-first order of `fields`) into one vector. */
export function pack(vals: Record<string, Expr>, fields: Field[]): Expr {
  const parts = fields.map((f) => {
    const e = vals[f.name];
    if (!e) throw new Error(`pack: field ${f.name} missing`);
    if (e.width !== f.width) throw new Error(`pack: field ${f.name} is ${e.width} bits, expected ${f.width}`);
    return e;
  });
  return cat(...parts.reverse());
}

export function minE(a: Expr, b: Expr): Expr {
  return mux(a.lt(b), a, b);
}
export function maxE(a: Expr, b: Expr): Expr {
  return mux(a.gt(b), a, b);
}

/** Sum of expressions in width w (every partial sum fits by construction). */
export function sumW(terms: Expr[], w: number): Expr {
  let acc: Expr = lit(0, w);
  let first = true;
  for (const t of terms) {
    acc = first ? fit(t, w) : fit(acc.add(t), w);
    first = false;
  }
  return acc;
}

/** A submodule to wire by port name: `rename` maps a child port to the net it joins (default: the port's name). */
export interface WiredChild {
  module: Module;
  name: string;
  rename?: Record<string, string>;
}

/**
 * Instantiate `children` in `top`, joining ports by net name: every child output drives a net (a top output of that
 * name, else a new top wire), every child input reads the net of its name (a top input or a child-driven wire).
 * Net names of outputs are unique; an input whose net nobody drives is a builder error. Returns the nets.
 */
export function wireByName(top: Module, children: WiredChild[], topPorts: Record<string, Signal>): Map<string, Signal> {
  const nets = new Map<string, Signal>(Object.entries(topPorts));
  const portsOf = (c: WiredChild) => c.module.signals.filter((s) => s.kind === 'input' || s.kind === 'output');
  const net = (c: WiredChild, port: string): string => c.rename?.[port] ?? port;
  for (const c of children) {
    for (const s of portsOf(c)) {
      if (s.kind !== 'output') continue;
      const n = net(c, s.name);
      const t = nets.get(n);
      if (t && t.kind !== 'output') throw new Error(`wireByName: net ${n} of ${c.name} is driven twice`);
      if (!t) nets.set(n, top.wire(n, s.width));
    }
  }
  for (const c of children) {
    const conns: Record<string, Signal> = {};
    for (const s of portsOf(c)) {
      const n = net(c, s.name);
      const t = nets.get(n);
      if (!t) throw new Error(`wireByName: ${c.name}.${s.name} reads net ${n}, which nothing drives`);
      conns[s.name] = t;
    }
    top.instance(c.module, c.name, conns);
  }
  return nets;
}
