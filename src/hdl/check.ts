import { UserError } from '../util/errors.js';
import type { Module } from './module.js';

/** Whole-module build checks (loops, latches, undriven/unused signals). Throws UserError. */
export function checkModule(m: Module): void {
  throw new UserError(`checkModule(${m.name}): not implemented yet`);
}
