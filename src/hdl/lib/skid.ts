import { UserError } from '../../util/errors.js';
import type { Module } from '../module.js';

export interface SkidOptions {
  width: number;
  name?: string;
}

/** AXI4-Stream register slice (skid buffer): full throughput, registered outputs. See docs/hdl.md. */
export function skidBuffer(opts: SkidOptions): Module {
  throw new UserError(`skidBuffer(${opts.width}): not implemented yet`);
}
