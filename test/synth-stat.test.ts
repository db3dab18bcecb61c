import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStatJson, resourcesFromCells, statCellCounts } from '../src/synth/stat.js';
import { utilization } from '../src/synth/utilization.js';
import { loadBoard } from '../src/board/index.js';
import { UserError } from '../src/util/errors.js';
import { formatSynthReport, synthReportJson } from '../src/synth/report.js';
import type { SynthReport } from '../src/synth/synthesize.js';

const FIX = join(import.meta.dirname, 'fixtures', 'yosys');
const fixture = (f: string) => readFileSync(join(FIX, f), 'utf8');

// test/fixtures/yosys/mix.v synthesized with `synth_xilinx -family xc7 -noiopad -noclkbuf -flatten -top mix`:
// captured from yosys 0.55 (npm @yowasp/yosys) and Debian's 0.23; the 0.57-shape file is hand-written.
const FIXTURES = ['mix.stat.yosys-0.55.json', 'mix.stat.yosys-0.23.json', 'mix.stat.yosys-0.57-shape.json'];

describe('stat -json parser', () => {
  for (const f of FIXTURES) {
    it(`classifies the mixed design's cells (${f})`, () => {
      const r = parseStatJson(fixture(f), 'mix');
      expect(r.lut).toEqual({ total: 35, byInputs: { 1: 0, 2: 32, 3: 1, 4: 0, 5: 0, 6: 2 } });
      expect(r.ff).toBe(105);
      expect(r.carry4).toBe(8);
      expect(r.lutram).toBe(8); // 2 x RAM32M, 4 LUTs each
      expect(r.srl).toBe(1);
      expect(r.dsp48e1).toBe(1);
      expect(r.ramb18e1).toBe(1);
      expect(r.ramb36e1).toBe(0);
      expect(r.bram36Equivalent).toBe(0.5);
      expect(r.muxf7 + r.muxf8).toBe(0);
      expect(r.cells).toEqual({ CARRY4: 8, DSP48E1: 1, FDRE: 105, LUT2: 32, LUT3: 1, LUT6: 2, RAM32M: 2, RAMB18E1: 1, SRLC32E: 1 });
    });
  }

  it('gives the same answer for every yosys version shape', () => {
    const all = FIXTURES.map((f) => parseStatJson(fixture(f), 'mix'));
    expect(all[1]).toEqual(all[0]);
    expect(all[2]).toEqual(all[0]);
  });

  it('falls back to the top module when there is no design section', () => {
    const stat = JSON.parse(fixture('mix.stat.yosys-0.55.json')) as Record<string, unknown>;
    delete stat.design;
    expect(statCellCounts(stat, 'mix').FDRE).toBe(105);
    expect(statCellCounts(stat).FDRE).toBe(105); // single module
    expect(() => statCellCounts(stat, 'other')).toThrow(/no module 'other'/);
  });

  it('counts every LUT size, MUXF, RAMB36, latches and LUTRAM primitives', () => {
    const r = resourcesFromCells({
      LUT1: 1, LUT4: 4, LUT5: 5, LUT6: 6, MUXF7: 7, MUXF8: 8, RAMB36E1: 3, RAMB18E1: 3, FDSE: 2, FDCE: 1, LDCE: 1,
      RAM64X1D: 2, RAM128X1D: 1, RAM64M: 1, SRL16E: 2, DSP48E1: 4, BUFG: 1,
    });
    expect(r.lut.total).toBe(16);
    expect(r.muxf7).toBe(7);
    expect(r.muxf8).toBe(8);
    expect(r.ff).toBe(4);
    expect(r.lutram).toBe(2 * 2 + 4 + 4);
    expect(r.srl).toBe(2);
    expect(r.bram36Equivalent).toBe(4.5);
    expect(r.dsp48e1).toBe(4);
  });

  it('rejects malformed stat output with the JSON path', () => {
    expect(() => parseStatJson('{ nope')).toThrow(UserError);
    expect(() => parseStatJson('{ nope')).toThrow(/not valid JSON/);
    expect(() => parseStatJson({ design: { num_cells_by_type: { LUT2: 'many' } } })).toThrow(
      /design\.num_cells_by_type\.LUT2: expected a non-negative integer, got "many"/);
    expect(() => parseStatJson({ design: { num_cells_by_type: { LUT2: -1 } } })).toThrow(/non-negative integer/);
    expect(() => parseStatJson({ modules: { '\\a': {}, '\\b': {} } })).toThrow(/name the top module/);
    expect(() => parseStatJson({ modules: { '\\a': { num_cells: 3 } } })).toThrow(/num_cells_by_type: missing/);
  });
});

describe('utilization', () => {
  it('computes percentages and warns about each over-capacity resource', () => {
    const board = loadBoard('pynq-z2');
    const ok = utilization(parseStatJson(fixture('mix.stat.yosys-0.55.json')), board);
    expect(ok.fits).toBe(true);
    expect(ok.rows.find((r) => r.resource === 'DSP48E1')).toEqual({ resource: 'DSP48E1', used: 1, available: 220, percent: 0.5, over: false });
    expect(ok.rows.find((r) => r.resource === 'Slice LUTs')!.used).toBe(35 + 8 + 1);

    const big = resourcesFromCells({ DSP48E1: 300, LUT6: 1000, RAMB36E1: 150, FDRE: 10 });
    const u = utilization(big, board);
    expect(u.fits).toBe(false);
    expect(u.warnings).toHaveLength(2);
    expect(u.warnings[0]).toMatch(/OVER CAPACITY: DSP48E1 300 of 220 on pynq-z2 .*: 80 over \(136\.4%\)/);
    expect(u.warnings[1]).toMatch(/BRAM36 150 of 140 .*10 over/);
    // The same design fits the bigger ZC706.
    expect(utilization(big, loadBoard('zc706')).fits).toBe(true);
  });
});

describe('formatSynthReport', () => {
  const fakeReport = (cells: Record<string, number>): SynthReport => ({
    top: 'big',
    family: 'xc7',
    yosys: { kind: 'wasm', version: '0.55' },
    command: 'synth_xilinx -family xc7 -noiopad -noclkbuf -flatten -top big',
    resources: resourcesFromCells(cells),
    timing: {
      levels: 3, breakdown: { lut: 3, carry4: 0, muxf: 0, lutram: 0, dsp: 0 }, startType: 'FDRE', endType: 'FDRE',
      path: ['a', 'b', 'c', 'd', 'e'], steps: [], estPeriodNs: 12.5, estFmaxMHz: 80, label: 'estimate (post-synthesis, no P&R)',
      model: 'test model', notes: [],
    },
    warnings: [],
    wallTimeMs: 1000,
    cached: false,
  });

  it('marks over-capacity resources and a missed board clock, always as an estimate', () => {
    const md = formatSynthReport(fakeReport({ DSP48E1: 300, LUT6: 100, FDRE: 10 }), loadBoard('pynq-z2'));
    expect(md).toMatch(/\| DSP48E1 \| 300 \| 220 \| 136\.4% \*\*OVER\*\* \|/);
    expect(md).toMatch(/> \*\*OVER CAPACITY: DSP48E1 300 of 220 on pynq-z2 .*80 over/);
    expect(md).toContain('estimated fmax: **80 MHz**');
    expect(md).toContain('**estimate misses it**');
    expect(md).toContain('not timing closure');
    const json = synthReportJson(fakeReport({ DSP48E1: 300 }), loadBoard('pynq-z2')) as { utilization: { fits: boolean; warnings: string[] } };
    expect(json.utilization.fits).toBe(false);
    expect(json.utilization.warnings).toHaveLength(1);
  });

  it('says so when there is no fmax estimate', () => {
    const r = fakeReport({ LUT2: 1 });
    r.timing = { ...r.timing, estPeriodNs: null, estFmaxMHz: null, notes: ['no register-to-register path: fmax not estimated (I/O paths are not timed)'] };
    const md = formatSynthReport(r);
    expect(md).toContain('No register-to-register path: no fmax estimate.');
    expect(md).not.toContain('Util %'); // no board given: no utilization table
  });
});
