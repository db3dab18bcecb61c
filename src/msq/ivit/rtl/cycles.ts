/**
 * Cycle model of the nonlinear unit (exact when s_in never stalls and m_out is always ready; test/ivit-unit-rtl
 * checks it against Verilator): per job NL_HDR_WORDS header cycles (+ n for I-LayerNorm's parameters), then per row
 *   Shiftmax   n (LOAD) + n + NL_SUM_STAGE + 1 (SUM) + 1 + (VW − 1) + FW (reciprocal) + n + PIPE (EMIT)
 *   ShiftGELU  n (streamed), plus PIPE + 1 per job to drain the pipeline
 *   I-LayerNorm n + 1 + LB + MW (D) + RTW (sqrt) + 1 + (VW − 1) + FW + n + PIPE
 * with PIPE = NL_PIPE_STAGES and the widths of nlWidths(cfg).
 */
import { NL_HDR_WORDS, type NlJob, type NlMode } from '../job.js';
import { nlWidths, type NlUnitConfig } from './params.js';
import { NL_PIPE_STAGES, NL_SUM_STAGE } from './unit.js';

export function nlRowCycles(mode: NlMode, n: number, cfg: NlUnitConfig): number {
  const w = nlWidths(cfg);
  const recip = 1 + (w.VW - 1) + w.FW;
  const emit = n + NL_PIPE_STAGES;
  if (mode === 'shiftmax') return n + (n + NL_SUM_STAGE + 1) + recip + emit;
  if (mode === 'shiftgelu') return n;
  return n + 1 + w.LB + w.MW + w.RTW + recip + emit;
}

/** Cycles of a job of `rows` rows of n elements. */
export function nlModeJobCycles(mode: NlMode, rows: number, n: number, cfg: NlUnitConfig): number {
  const fixed = mode === 'layernorm' ? n : mode === 'shiftgelu' ? NL_PIPE_STAGES + 1 : 0;
  return NL_HDR_WORDS + fixed + rows * nlRowCycles(mode, n, cfg);
}

export function nlJobCycles(job: NlJob, cfg: NlUnitConfig): number {
  return nlModeJobCycles(job.mode, job.rows.length, job.rows[0]!.length, cfg);
}
