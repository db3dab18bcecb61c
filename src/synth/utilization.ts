/** Resource use against a board's capacity, with over-capacity warnings. */
import type { Board } from '../board/schema.js';
import type { Resources } from './stat.js';

export interface UtilRow {
  /** Resource name as printed (Slice LUTs, LUT as memory, FFs, DSP48E1, BRAM36). */
  resource: string;
  used: number;
  available: number;
  /** used / available * 100, one decimal. */
  percent: number;
  over: boolean;
}

export interface Utilization {
  board: string;
  part: string;
  rows: UtilRow[];
  /** One line per over-capacity resource: which resource and by how much. */
  warnings: string[];
  fits: boolean;
}

/**
 * Compare resources with a board. Slice LUTs count logic LUTs plus LUTs used as memory (LUTRAM and SRL), as
 * Vivado does; LUT as memory is also checked against the SLICEM LUT capacity.
 */
export function utilization(r: Resources, board: Board): Utilization {
  const cap = board.resources;
  const lutMem = r.lutram + r.srl;
  const rows: UtilRow[] = [
    row('Slice LUTs', r.lut.total + lutMem, cap.lut),
    row('LUT as memory', lutMem, cap.lutram),
    row('FFs', r.ff, cap.ff),
    row('DSP48E1', r.dsp48e1, cap.dsp48e1),
    row('BRAM36', r.bram36Equivalent, cap.bram36),
  ];
  const warnings = rows
    .filter((x) => x.over)
    .map((x) => `OVER CAPACITY: ${x.resource} ${fmt(x.used)} of ${fmt(x.available)} on ${board.board} (${board.part}): ` +
      `${fmt(x.used - x.available)} over (${x.percent}%)`);
  return { board: board.board, part: board.part, rows, warnings, fits: warnings.length === 0 };
}

function row(resource: string, used: number, available: number): UtilRow {
  const percent = available > 0 ? Math.round((used / available) * 1000) / 10 : used > 0 ? Infinity : 0;
  return { resource, used, available, percent, over: used > available };
}

export function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
