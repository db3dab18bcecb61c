/**
 * Parse yosys `stat -json` output for a synth_xilinx (7-series) netlist into resource counts.
 *
 * Yosys versions differ: ≤ 0.56 write numbers as JSON numbers, newer versions may write them as strings; 0.23+
 * already add a `design` section (the whole-hierarchy total). Both shapes are accepted.
 */
import { fail } from '../util/errors.js';

export interface Resources {
  /** Logic LUTs (LUT1..LUT6 cells); LUTs used as memory are counted in `lutram` and `srl`. */
  lut: { total: number; byInputs: Record<1 | 2 | 3 | 4 | 5 | 6, number> };
  /** Flip-flops (FDRE/FDSE/FDCE/FDPE and latches LDCE/LDPE). */
  ff: number;
  carry4: number;
  muxf7: number;
  muxf8: number;
  /** LUTs used as distributed RAM (LUT-equivalents: RAM32M = 4, RAM64X1D = 2, RAM32X1S = 1, ...). */
  lutram: number;
  /** Shift-register LUTs (SRL16E / SRLC16E / SRLC32E, one LUT each). */
  srl: number;
  dsp48e1: number;
  ramb18e1: number;
  ramb36e1: number;
  /** RAMB36E1 + RAMB18E1 / 2. */
  bram36Equivalent: number;
  /** Raw cell counts by type, as yosys reported them. */
  cells: Record<string, number>;
}

/** LUT-equivalents of each 7-series distributed-RAM primitive (UG474, "Distributed RAM"). */
export const LUTRAM_LUTS: Readonly<Record<string, number>> = {
  RAM16X1S: 1, RAM32X1S: 1, RAM64X1S: 1, RAM128X1S: 2, RAM256X1S: 4,
  RAM16X1D: 2, RAM32X1D: 2, RAM64X1D: 2, RAM128X1D: 4,
  RAM32M: 4, RAM64M: 4, RAM32M16: 8, RAM64M8: 8, RAM32X16DR8: 8, RAM64X8SW: 8,
};
const SRL_CELLS = new Set(['SRL16', 'SRL16E', 'SRLC16E', 'SRLC32E']);
const FF_CELLS = new Set(['FDRE', 'FDSE', 'FDCE', 'FDPE', 'FDRE_1', 'FDSE_1', 'FDCE_1', 'FDPE_1', 'LDCE', 'LDPE']);

function toCount(v: unknown, where: string): number {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) fail(where, `expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

type StatSection = { num_cells_by_type?: Record<string, unknown> } & Record<string, unknown>;

function cellCounts(section: StatSection, where: string): Record<string, number> {
  const by = section.num_cells_by_type;
  if (!by || typeof by !== 'object') fail(`${where}.num_cells_by_type`, 'missing: is this yosys `stat -json` output?');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(by)) out[k] = toCount(v, `${where}.num_cells_by_type.${k}`);
  return out;
}

/** Pick the cell counts for the design: the `design` section (hierarchy total) when present, else the top module. */
export function statCellCounts(stat: unknown, top?: string): Record<string, number> {
  let obj: unknown = stat;
  if (typeof stat === 'string') {
    try {
      obj = JSON.parse(stat);
    } catch (e) {
      fail('stat -json', `not valid JSON (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (!obj || typeof obj !== 'object') fail('stat -json', 'expected a JSON object');
  const o = obj as { design?: StatSection; modules?: Record<string, StatSection> };
  if (o.design && typeof o.design === 'object' && o.design.num_cells_by_type) return cellCounts(o.design, 'design');
  const modules = o.modules ?? {};
  const names = Object.keys(modules);
  const key = top !== undefined ? names.find((n) => n === top || n === `\\${top}`) : names.length === 1 ? names[0] : undefined;
  if (key === undefined) {
    fail('stat -json.modules', top !== undefined ? `no module '${top}' (have ${names.join(', ') || 'none'})` : 'several modules and no design section: name the top module');
  }
  return cellCounts(modules[key]!, `modules.${key}`);
}

/** Classify raw xc7 cell counts into resources. Unknown cell types stay only in `cells`. */
export function resourcesFromCells(cells: Record<string, number>): Resources {
  const byInputs: Record<1 | 2 | 3 | 4 | 5 | 6, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0 };
  let ff = 0;
  let lutram = 0;
  let srl = 0;
  for (const [type, n] of Object.entries(cells)) {
    const m = /^LUT([1-6])$/.exec(type);
    if (m) byInputs[Number(m[1]) as 1 | 2 | 3 | 4 | 5 | 6] += n;
    else if (FF_CELLS.has(type)) ff += n;
    else if (type in LUTRAM_LUTS) lutram += n * LUTRAM_LUTS[type]!;
    else if (SRL_CELLS.has(type)) srl += n;
  }
  const c = (t: string) => cells[t] ?? 0;
  const ramb18e1 = c('RAMB18E1');
  const ramb36e1 = c('RAMB36E1');
  return {
    lut: { total: byInputs[1] + byInputs[2] + byInputs[3] + byInputs[4] + byInputs[5] + byInputs[6], byInputs },
    ff,
    carry4: c('CARRY4'),
    muxf7: c('MUXF7'),
    muxf8: c('MUXF8'),
    lutram,
    srl,
    dsp48e1: c('DSP48E1'),
    ramb18e1,
    ramb36e1,
    bram36Equivalent: ramb36e1 + ramb18e1 / 2,
    cells: Object.fromEntries(Object.entries(cells).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/** Parse `stat -json` text (or parsed object) into resources. */
export function parseStatJson(stat: unknown, top?: string): Resources {
  return resourcesFromCells(statCellCounts(stat, top));
}

/** Cell types left unmapped (yosys internal `$...` cells): a sign the synthesis did not finish mapping. */
export function unmappedCells(cells: Record<string, number>): string[] {
  return Object.keys(cells).filter((t) => t.startsWith('$'));
}
