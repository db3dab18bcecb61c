/**
 * The nonlinear unit's generation parameters and every width derived from them (docs/ivit.md "Nonlinear unit").
 * Widths follow from the conventions' bounds: a width mistake is a builder error, never a silent wrap.
 */
import { fail } from '../../../util/errors.js';
import { EXP_FRAC, IN_BITS, LEN_MAX, RECIP_FRAC } from '../conventions.js';
import { NL_MODES, type NlMode } from '../job.js';

export interface NlUnitConfig {
  /** element width of s_in data words (signed), 4..16 */
  inBits: number;
  /** longest row the unit holds (row buffer depth), 2..4096 */
  maxLen: number;
  /** the modes built in (default all three); a one-mode unit ignores the job's mode field */
  modes?: readonly NlMode[];
}

export const bitsFor = (v: number): number => Math.max(1, Math.ceil(Math.log2(v + 1)));

export function checkNlUnitConfig(c: NlUnitConfig): void {
  if (!Number.isInteger(c.inBits) || c.inBits < IN_BITS.min || c.inBits > IN_BITS.max) fail('inBits', `must be ${IN_BITS.min}..${IN_BITS.max}, got ${c.inBits}`);
  if (!Number.isInteger(c.maxLen) || c.maxLen < 2 || c.maxLen > LEN_MAX) fail('maxLen', `must be 2..${LEN_MAX}, got ${c.maxLen}`);
  if (c.modes && (c.modes.length < 1 || c.modes.some((x) => !NL_MODES.includes(x)))) fail('modes', `must be a non-empty list of ${NL_MODES.join(', ')}`);
}

export function nlWidths(c: NlUnitConfig) {
  checkNlUnitConfig(c);
  const W = c.inBits;
  const LB = bitsFor(c.maxLen); // holds len = 1..maxLen
  const AB = Math.max(1, Math.ceil(Math.log2(c.maxLen))); // row buffer address
  const SXW = W + LB; // Σx, signed
  const SXXW = 2 * W - 1 + LB; // Σx², unsigned (x² ≤ 2^(2W-2))
  const DW0 = Math.max(LB + SXXW, 32) + 1; // D = n·Σx² − (Σx)² + eps ≤ n·Σx² + eps
  const DW = DW0 + (DW0 % 2); // even: the digit recurrence takes 2 bits a step
  const RTW = DW / 2; // floor(sqrt(D))
  const TW = LB + EXP_FRAC + 1; // Σ t ≤ maxLen·2^E
  const VW = Math.max(RTW, TW); // reciprocal input
  const FW = RECIP_FRAC + 2; // f ∈ (2^R, 2^(R+1)]
  const BW = bitsFor(VW); // b = bitlength(v) ≤ VW
  const NW = W + LB + 1; // n·x − Σx, signed
  const ZW = bitsFor(Math.ceil(2 * Math.sqrt(c.maxLen) * 256) + 1) + 1; // |z| < 2·sqrt(n)·2^Z + 1 (docs)
  const LNAW = Math.max(8 + ZW, 24) + 1; // γ·z + β
  const GAW = W + 10; // x·σ, σ ≤ 2^8
  const AW = Math.max(LNAW, GAW, 10); // the requantizer's input
  const PW = AW + 32; // acc·M
  const MW = Math.max(LB, SXW); // sequential multiplier's multiplier register
  return { W, LB, AB, SXW, SXXW, DW, RTW, TW, VW, FW, BW, NW, ZW, AW, PW, MW };
}
export type NlWidths = ReturnType<typeof nlWidths>;
