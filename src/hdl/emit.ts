import { UserError } from '../util/errors.js';
import type { Module } from './module.js';

/** Verilog for `top` and every submodule: Map<fileName, text> (<module>.v, plus <module>_<memory>.hex files). */
export function emitVerilog(top: Module): Map<string, string> {
  throw new UserError(`emitVerilog(${top.name}): not implemented yet`);
}

/** Verilog text of one module (no submodules). */
export function emitModule(m: Module): { text: string; files: Map<string, string> } {
  throw new UserError(`emitModule(${m.name}): not implemented yet`);
}
