/**
 * Streaming CCL core generator. `generateCclRtl(cfg, { ppc })` → the Verilog files of the core (one module,
 * `ccl_core.v` by default) and its derived parameters. See docs/ccl.md "Architecture".
 */
import type { CclConfig } from '../config.js';
import { emitVerilog, type Module } from '../../hdl/index.js';
import { buildCclCore } from './core.js';
import { buildCclSimTop } from './simtop.js';
import { cclRtlParams, type CclRtlOptions, type CclRtlParams } from './params.js';
import { buildCclMultiCore, cclMultiParams, type CclMultiOptions, type CclMultiParams } from './multi.js';
import { axilStreams } from './classifier-lut.js';
import type { ColorClass } from '../classes.js';

export { cclRtlParams, PPC_VALUES, type CclRtlOptions, type CclRtlParams, type Field } from './params.js';
export { decodeRecord, decodeMultiRecord, maxObjectsPerFrame, type RtlObject, type RtlRecord } from './record.js';
export { buildCclCore, buildCclChannel } from './core.js';
export { buildCclMultiCore, cclMultiParams, type CclMultiOptions, type CclMultiParams } from './multi.js';
export { buildCclSimTop, SIM_COUNT_WIDTH } from './simtop.js';

export interface CclRtl {
  params: CclRtlParams;
  /** Top module name. */
  top: string;
  /** file name → Verilog text */
  files: Map<string, string>;
  /** the built top module (the design manifest is derived from it) */
  module: Module;
}

/** Generate the core. Throws a one-line UserError for a bad configuration / P. */
export function generateCclRtl(cfg: CclConfig, opts: CclRtlOptions): CclRtl {
  const params = cclRtlParams(cfg, opts);
  const module = buildCclCore(params);
  return { params, top: params.name, files: emitVerilog(module), module };
}

/** The core wrapped for simulation (record-stream filler; see simtop.ts). */
export function generateCclSimRtl(cfg: CclConfig, opts: CclRtlOptions): CclRtl {
  const params = cclRtlParams(cfg, opts);
  const top = buildCclSimTop(params, buildCclCore(params));
  return { params, top: top.name, files: emitVerilog(top), module: top };
}
export { cclCycleModel, cclMemoryModel, type CclCycleModel, type CclMemoryModel } from './perf.js';

export interface CclMultiRtl {
  params: CclMultiParams;
  top: string;
  files: Map<string, string>;
  /** the built top module (the design manifest is derived from it) */
  module: Module;
}

/** Generate the multi-class core (K colour classes in one pass, multi.ts). */
export function generateCclMultiRtl(cfg: CclConfig, classes: readonly ColorClass[], opts: CclMultiOptions): CclMultiRtl {
  const params = cclMultiParams(cfg, classes, opts);
  const module = buildCclMultiCore(params);
  return { params, top: params.name, files: emitVerilog(module), module };
}

/** The multi-class core wrapped for simulation (record-stream filler). */
export function generateCclMultiSimRtl(cfg: CclConfig, classes: readonly ColorClass[], opts: CclMultiOptions): CclMultiRtl {
  const params = cclMultiParams(cfg, classes, opts);
  const q = params.lutBits;
  // the lookup-table classifier's AXI4-Lite channels as streams of the simulation top
  const top = buildCclSimTop(params, buildCclMultiCore(params), q ? (m) => axilStreams(m, q) : undefined);
  return { params, top: top.name, files: emitVerilog(top), module: top };
}
