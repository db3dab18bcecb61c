/** The I-ViT nonlinear unit's generator: docs/ivit.md "Nonlinear unit". */
import { emitVerilog, type Module } from '../../../hdl/index.js';
import { buildNlUnit } from './unit.js';
import { buildNlVec, type NlVecConfig } from './vec.js';
import type { NlUnitConfig } from './params.js';

export { buildNlUnit, NL_PIPE_STAGES } from './unit.js';
export { nlWidths, checkNlUnitConfig, type NlUnitConfig } from './params.js';

export interface NlUnitRtl {
  module: Module;
  top: string;
  files: Map<string, string>;
}

export function generateNlUnit(cfg: NlUnitConfig): NlUnitRtl {
  const module = buildNlUnit(cfg);
  return { module, top: module.name, files: emitVerilog(module) };
}
/** The nonlinear vector (vec.ts): `lanes` units, row-parallel. */
export function generateNlVec(cfg: NlVecConfig): NlUnitRtl {
  const module = buildNlVec(cfg);
  return { module, top: module.name, files: emitVerilog(module) };
}
export { nlRowCycles, nlJobCycles, nlModeJobCycles } from './cycles.js';
export { buildNlVec, checkNlVecConfig, NL_LANES_MAX, type NlVecConfig } from './vec.js';
export { nlVecLaneJobs, encodeNlVecJob, nlVecJobBeats, nlVecRows, nlVecJobCycles } from './vec-job.js';
