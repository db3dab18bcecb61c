/**
 * What every builder room of the MSQ core top shares (src/msq/core/rtl/*.ts): the module being built, the
 * configuration and its derived sizes, the ports, and small selection helpers. Each room adds its logic to the ONE
 * top module `<prefix>_core` (the emitted Verilog keeps one module per file); top.ts calls the rooms in order and
 * hands each the signals of the rooms before it.
 */
import { mux, type Expr, type Module, type Signal } from '../../../hdl/index.js';
import type { CoreConfig } from '../config.js';
import type { CoreShape } from './shape.js';

export interface CoreCtx {
  m: Module;
  cfg: CoreConfig;
  S: CoreShape;
  prefix: string;
  /** output pixel banks and their index bits */
  NB: number;
  PBB: number;
  /** accumulator bits; serializer depth max(G, GP) */
  AB: number;
  GM: number;
  /** pass counter bits (pools: passes = cinGroups <= cDepth/N) */
  PB: number;
  /** signed pixel coordinate bits (16-bit fields + kernel offsets) */
  CW: number;
  /** pool reducer value bits */
  SB: number;
  /** a 1-bit register reset to 0 */
  flag: (name: string) => Signal;
}

/** The core's streams as the rooms see them (s_wgt may be the program ROM; s_res constant 0 when absent). */
export interface CorePorts {
  wgtData: Expr;
  wgtValid: Expr;
  wgtReady: Signal;
  actData: Signal;
  actValid: Signal;
  actReady: Signal;
  resData: Expr;
  resValid: Expr;
  resReady: Signal;
  outData: Signal;
  outValid: Signal;
  outReady: Signal;
  outLast: Signal;
}

/** x1 when b, else x0. */
export const sel2 = (b: Expr, x1: Expr, x0: Expr): Expr => mux(b, x1, x0);

/** arr[b] of a two-entry array. */
export const pick = (arr: Signal[], b: Expr): Expr => sel2(b, arr[1]!, arr[0]!);

