/**
 * Interface metadata a Module carries besides its logic: the AXI4-Stream bundles it declares (src/hdl/lib/axis.ts)
 * and its clock and reset. Flows (simulation, the design manifest, export) read these from the built module instead
 * of parsing the emitted Verilog.
 */
import type { Module } from './module.js';

/** One AXI4-Stream port bundle of a module: ports `<name>_tdata`, `_tvalid`, `_tready` and the optional sidebands. */
export interface StreamInfo {
  /** Port prefix. */
  name: string;
  /** 'in': the module consumes the stream (slave: tdata/tvalid/sidebands are inputs, tready an output); 'out': it produces it. */
  dir: 'in' | 'out';
  /** Width of tdata in bits. */
  dataWidth: number;
  /** The bundle has `<name>_tlast`. */
  last: boolean;
  /** Width of `<name>_tuser`; absent = no tuser. */
  userWidth?: number;
  /** Width of `<name>_tkeep` (dataWidth / 8); absent = no tkeep. */
  keepWidth?: number;
  /** What the stream carries, in the generator's words (e.g. 'activations in'); free text. */
  role?: string;
}

/** The module's clock and reset. The builder has one clock `clk` and one synchronous active-high reset `rst`. */
export interface ClockInfo {
  clock: 'clk';
  reset: 'rst';
  resetActive: 'high';
  resetSync: true;
  /** Target clock frequency, when the generator states one. */
  freqMHz?: number;
}

/** @internal Which of clk / rst a module's emitted port list has (it or a submodule has registers / reset registers). */
export function makeNeeds(): (m: Module) => { clk: boolean; rst: boolean } {
  const cache = new Map<Module, { clk: boolean; rst: boolean }>();
  const needs = (m: Module): { clk: boolean; rst: boolean } => {
    const hit = cache.get(m);
    if (hit) return hit;
    let clk = m.memories.length > 0 || m.signals.some((s) => s.kind === 'reg');
    let rst = m.signals.some((s) => s.kind === 'reg' && s.reset !== null && s.driver?.kind === 'sync');
    for (const it of m.items) {
      if (it.kind !== 'instance') continue;
      const c = needs(it.inst.child);
      clk ||= c.clk;
      rst ||= c.rst;
    }
    const r = { clk, rst };
    cache.set(m, r);
    return r;
  };
  return needs;
}

/** Clock and reset of the emitted module: the names, and whether the ports exist (a purely combinational module has neither). */
export function clockPorts(m: Module): ClockInfo & { hasClock: boolean; hasReset: boolean } {
  const n = makeNeeds()(m);
  return { ...m.clocking, hasClock: n.clk, hasReset: n.rst };
}
