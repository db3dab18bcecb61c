/**
 * accelforge HDL builder: a small typed embedded HDL and a Verilog-2005 emitter. See docs/hdl.md.
 */
export { Expr, lit, cat, rep, mux, type Operand } from './expr.js';
export {
  Module, Signal, Memory, Instance, ProcBuilder, IfChain, Fsm,
  type ModuleOptions, type SignalOptions, type RegOptions, type MemoryOptions, type MemoryStyle, type ReadOptions,
  type SwitchCases, type SignalKind,
} from './module.js';
export { emitVerilog, emitModule } from './emit.js';
export { clockPorts, type StreamInfo, type ClockInfo } from './meta.js';
export { checkModule } from './check.js';
export { evalExpr, type Env } from './eval.js';
export { CycleSim } from './sim.js';
