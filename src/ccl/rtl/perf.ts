/**
 * Cycle and memory model of the streaming CCL core (the numbers `ccl gen` reports; the simulation bench checks the
 * cycle model against Verilator). Cycle counts follow the labeler state machine in core.ts:
 *
 *   per cell row: IDLE + RD; per cell DEC COMMIT when inactive (DEC alone when params.inlineCommit) or
 *   DEC F0 [F1 (F2)] WR COMMIT when active, + E0 E1 when an object completes; then the tail step (like an
 *   inactive cell). After the last cell row a virtual empty row (Wc inactive cells + tail) flushes every object,
 *   then one cycle for the end-of-frame record.
 *
 * Worst cell: 8-connectivity 6 cycles (an active cell that merges; an active cell never completes an object, since
 * its up-left neighbour is then part of it), 4-connectivity 7 (an active cell continuing a label while the label above-left ends).
 */
import type { CclRtlParams } from './params.js';
import { runQueueSlots } from './runlab.js';

export interface CclCycleModel {
  /** Input cycles per cell row and per frame at one word per clock (W/P words per line). */
  pixelCyclesPerCellRow: number;
  pixelCyclesPerFrame: number;
  /** Labeler cycles for one cell row: empty row (best) and worst-case row. */
  labelRowBest: number;
  labelRowWorst: number;
  /** Labeler cycles of the end-of-frame flush (virtual row + record), best / worst. */
  flushBest: number;
  flushWorst: number;
  /** Labeler cycles per frame, best (empty frame) / worst. */
  labelFrameBest: number;
  labelFrameWorst: number;
  /** Steady-state frame period bound, frames back to back: max(input, labeler); best case / worst-case image. */
  framePeriodBest: number;
  framePeriodWorst: number;
  /** Worst cycles per cell. */
  worstCellCycles: number;
}

export function cclCycleModel(p: CclRtlParams): CclCycleModel {
  if (p.pixelExact) return runCycleModel(p);
  const worstCell = p.cfg.connectivity === 8 ? 6 : 7;
  const pixelCyclesPerCellRow = p.C * p.WP;
  const pixelCyclesPerFrame = p.H * p.WP;
  const inactive = p.inlineCommit ? 1 : 2; // DEC (+ COMMIT)
  const labelRowBest = 2 + inactive * (p.Wc + 1);
  const labelRowWorst = 2 + worstCell * p.Wc + inactive + 2;
  const flushBest = inactive * (p.Wc + 1) + 1;
  const flushWorst = (inactive + 2) * (p.Wc + 1) + 1;
  const labelFrameBest = p.Hc * labelRowBest + flushBest;
  const labelFrameWorst = p.Hc * labelRowWorst + flushWorst;
  return {
    pixelCyclesPerCellRow,
    pixelCyclesPerFrame,
    labelRowBest,
    labelRowWorst,
    flushBest,
    flushWorst,
    labelFrameBest,
    labelFrameWorst,
    framePeriodBest: Math.max(pixelCyclesPerFrame, labelFrameBest),
    framePeriodWorst: Math.max(pixelCyclesPerFrame, labelFrameWorst),
    worstCellCycles: worstCell,
  };
}

/**
 * Pixel-exact core at P > 1 (runs.ts, runlab.ts): per line ("cell row" at C = 1) the input takes W/P clocks; the
 * run labeler takes 2 clocks for an empty line (end-of-line token, line end) and per run at most 4 (token, finish
 * decision, entry write, the winner's entry read after a merge) + 3 per overlap (decision, two clocks of feature
 * merge) + 2 per retired previous run (decision, record out). Worst line bound: R = ⌈W/2⌉ runs under R runs, at
 * most 2R overlaps: 12·R + 2 — a loose upper bound (every overlap merging and every run completing cannot happen in
 * one line); bench/ccl-fps.ts measures real frames (3 clocks per run on a pixel checkerboard and 1-pixel stripes).
 */
function runCycleModel(p: CclRtlParams): CclCycleModel {
  const R = Math.ceil(p.W / 2);
  const pixelCyclesPerFrame = p.H * p.WP;
  const labelRowBest = 2, labelRowWorst = 12 * R + 2;
  const flushBest = 2, flushWorst = 2 * R + 2;
  const labelFrameBest = p.H * labelRowBest + flushBest, labelFrameWorst = p.H * labelRowWorst + flushWorst;
  return {
    pixelCyclesPerCellRow: p.WP, pixelCyclesPerFrame, labelRowBest, labelRowWorst, flushBest, flushWorst,
    labelFrameBest, labelFrameWorst,
    framePeriodBest: Math.max(pixelCyclesPerFrame, labelFrameBest),
    framePeriodWorst: Math.max(pixelCyclesPerFrame, labelFrameWorst),
    worstCellCycles: 12,
  };
}

export interface CclMemoryModel {
  /** Storage bits by structure. */
  cellBanksBits: number;
  featureTableBits: number;
  freeStackBits: number;
  labelRingBits: number;
  totalBits: number;
  /** A full-frame label buffer of W·H labels of ⌈log2 N⌉ bits, for comparison. */
  fullFrameLabelBits: number;
  labelBitsFullFrame: number;
  /** totalBits / fullFrameLabelBits · 100. */
  percentOfFullFrame: number;
}

export function cclMemoryModel(p: CclRtlParams): CclMemoryModel {
  // pixel-exact at P > 1: no cell banks; the run queue (label, xs, xe, valid per slot) takes the ring's place
  const cellBanksBits = p.pixelExact ? 0 : 2 * Math.max(2, p.Wc) * p.cellWidth;
  const featureTableBits = Math.max(2, p.Nt + 1) * p.featWidth;
  const freeStackBits = Math.max(2, p.Nt) * p.LW;
  const labelRingBits = p.pixelExact ? runQueueSlots(p.W) * (p.LW + 2 * p.xW + 1) : p.Wc * p.LW;
  const totalBits = cellBanksBits + featureTableBits + freeStackBits + labelRingBits;
  const labelBitsFullFrame = Math.max(1, Math.ceil(Math.log2(p.N)));
  const fullFrameLabelBits = p.W * p.H * labelBitsFullFrame;
  return {
    cellBanksBits, featureTableBits, freeStackBits, labelRingBits, totalBits,
    fullFrameLabelBits, labelBitsFullFrame,
    percentOfFullFrame: Math.round((totalBits / fullFrameLabelBits) * 10000) / 100,
  };
}
