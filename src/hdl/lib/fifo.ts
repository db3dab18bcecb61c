import { UserError } from '../../util/errors.js';
import type { Module, MemoryStyle } from '../module.js';

export interface FifoOptions {
  width: number;
  depth: number;
  style?: MemoryStyle;
  /** Add an output `level` (words held). */
  level?: boolean;
  name?: string;
}

/** Synchronous first-word-fall-through FIFO with AXI4-Stream style ports. See docs/hdl.md. */
export function syncFifo(opts: FifoOptions): Module {
  throw new UserError(`syncFifo(${opts.width}x${opts.depth}): not implemented yet`);
}
