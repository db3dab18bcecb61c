/**
 * Cycle model of the nonlinear unit (exact when s_in never stalls and m_out is always ready; test/ivit-unit-rtl
 * checks it against Verilator): per job NL_HDR_WORDS header cycles (+ n for I-LayerNorm's parameters), then per row
 *   Shiftmax   n (LOAD) + n + NL_SUM_STAGE + 1 (SUM) + 1 + (VW − 1) + FW (reciprocal) + n + PIPE (EMIT)
 *   ShiftGELU  n + n + PIPE
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
  if (mode === 'shiftgelu') return n + emit;
  return n + 1 + w.LB + w.MW + w.RTW + recip + emit;
}

export function nlJobCycles(job: NlJob, cfg: NlUnitConfig): number {
  const n = job.rows[0]!.length;
  return NL_HDR_WORDS + (job.mode === 'layernorm' ? n : 0) + job.rows.length * nlRowCycles(job.mode, n, cfg);
}
