/**
 * Real yosys runs (the embedded WebAssembly build unless a system yosys ≥ 0.40 is on PATH) on tiny designs whose
 * structure is known, run in parallel through synthesizeMany. One batch, shared by all tests in this file.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeMany, type SynthResult } from '../src/synth/many.js';
import { DELAY_MODEL as M } from '../src/synth/timing.js';
import { parseStatJson } from '../src/synth/stat.js';
import { formatSynthReport, synthReportJson } from '../src/synth/report.js';
import { yosysInfo, resetYosysCache, parseYosysVersion, MIN_SYSTEM_YOSYS } from '../src/tools/yosys.js';
import { parseVersion, versionAtLeast } from '../src/tools/find.js';
import { loadBoard } from '../src/board/index.js';
import { synthesize, type SynthReport } from '../src/synth/synthesize.js';

const FIX = join(import.meta.dirname, 'fixtures', 'yosys');
const job = (top: string) => ({ top, name: top, files: new Map([[`${top}.v`, readFileSync(join(FIX, `${top}.v`), 'utf8')]]) });

let results: SynthResult[] = [];
const cacheDir = mkdtempSync(join(tmpdir(), 'af-synth-cache-'));
const progress: number[] = [];
const report = (top: string): SynthReport => {
  const r = results.find((x) => x.job.top === top)!;
  if (!r.ok) throw new Error(r.error);
  return r.report;
};

beforeAll(async () => {
  resetYosysCache();
  results = await synthesizeMany(
    [
      job('lut_chain'),
      { ...job('adder32'), cache: cacheDir },
      job('dsp_mul'),
      job('mix'),
      { top: 'broken', name: 'broken', files: new Map([['broken.v', 'module broken(input wire a, output wire y);\n  assign y = a &;\nendmodule\n']]) },
    ],
    { workers: 2, onProgress: (done) => progress.push(done) },
  );
}, 600_000);

describe('synthesis with yosys (real runs)', () => {
  it('ran every job, reported progress, and says which yosys ran', () => {
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    const r = report('adder32');
    if (r.yosys.kind === 'system') {
      expect(versionAtLeast(parseVersion(r.yosys.version)!, MIN_SYSTEM_YOSYS)).toBe(true);
    } else {
      expect(r.yosys).toEqual({ kind: 'wasm', version: '0.55' });
    }
    expect(r.command).toBe('synth_xilinx -family xc7 -noiopad -noclkbuf -flatten -top adder32');
    expect(formatSynthReport(r)).toContain(r.yosys.kind === 'wasm' ? 'embedded WebAssembly' : r.yosys.path!);
  });

  it('register -> 5 chained LUT6 -> register: 5 LUT levels and the modelled delay', () => {
    const r = report('lut_chain');
    expect(r.resources.cells).toEqual({ FDRE: 27, LUT6: 5 });
    expect(r.timing.levels).toBe(5);
    expect(r.timing.breakdown.lut).toBe(5);
    expect(r.timing.path.slice(1, 6)).toEqual([0, 1, 2, 3, 4].map((k) => `g_layer[${k}].u_lut`));
    const period = M.ffClkToQ + 5 * (M.netBase + M.lut) + M.netBase + M.ffSetupD;
    expect(r.timing.estPeriodNs).toBeCloseTo(period, 3);
  });

  it('a 32-bit adder between registers: one LUT level then 8 CARRY4', () => {
    const r = report('adder32');
    expect(r.resources.carry4).toBe(8);
    expect(r.resources.ff).toBe(96);
    expect(r.timing.breakdown).toEqual({ lut: 1, carry4: 8, muxf: 0, lutram: 0, dsp: 0 });
    expect(r.timing.startType).toBe('FDRE');
    expect(r.timing.endType).toBe('FDRE');
    expect(r.timing.steps.at(-1)!.net).toBe('s_q[31]');
    // Slower than the 5-LUT chain? No: the carry chain is fast; but slower than a single LUT level.
    expect(r.timing.estPeriodNs!).toBeGreaterThan(M.ffClkToQ + 2 * M.netBase + M.lut + M.ffSetupD);
    expect(r.timing.estPeriodNs!).toBeLessThan(report('lut_chain').timing.estPeriodNs!);
  });

  it('reuses cached yosys outputs for an identical run, and only then', async () => {
    const first = report('adder32');
    expect(first.cached).toBe(false);
    const again = await synthesize({ ...job('adder32'), cache: cacheDir });
    expect(again.cached).toBe(true);
    expect(again.resources).toEqual(first.resources);
    expect(again.timing).toEqual(first.timing);
    expect(formatSynthReport(again)).toContain('reused from the synthesis cache');
    // A different source is a different key: made invalid, so only a real yosys run (failing fast) can answer.
    const other = job('adder32');
    other.files.set('adder32.v', `${other.files.get('adder32.v')!}\nmodule oops(;\n`);
    await expect(synthesize({ ...other, cache: cacheDir })).rejects.toThrow(/adder32\.v:\d+: ERROR/);
    expect(readdirSync(cacheDir)).toHaveLength(1);
  });

  it('a registered multiply packs into one DSP48E1 with AREG/BREG/MREG/PREG', () => {
    const r = report('dsp_mul');
    expect(r.resources.dsp48e1).toBe(1);
    expect(r.resources.ff).toBe(0);
    expect(r.resources.lut.total).toBe(0);
    expect(r.timing.path).toHaveLength(1);
    expect(r.timing.estPeriodNs).toBeCloseTo(M.dspClkToOut + M.dspMultiplier + M.dspInternalSetup, 3);
  });

  it('the mixed design gives the resources captured in the fixture for this yosys version', () => {
    const r = report('mix');
    const fixture = r.yosys.version === '0.55' ? 'mix.stat.yosys-0.55.json' : null;
    if (fixture) expect(r.resources).toEqual(parseStatJson(readFileSync(join(FIX, fixture), 'utf8')));
    expect(r.resources.dsp48e1).toBe(1);
    expect(r.resources.ramb18e1).toBe(1);
    expect(r.resources.lutram).toBeGreaterThan(0);
    expect(r.resources.srl).toBe(1);
    const board = loadBoard('xc7z020');
    const md = formatSynthReport(r, board);
    expect(md).toContain('estimate (post-synthesis, no P&R)');
    expect(md).toMatch(/\| DSP48E1 \| 1 \| 220 \| 0\.5% \|/);
    expect(md).not.toMatch(/(?<!not )timing closure/);
    const json = synthReportJson(r, board) as { utilization: { fits: boolean }; timing: { label: string }; netlist?: unknown };
    expect(json.utilization.fits).toBe(true);
    expect(json.timing.label).toBe('estimate (post-synthesis, no P&R)');
    expect(json.netlist).toBeUndefined();
  });

  it('a Verilog syntax error is a one-line user error naming the file and line', () => {
    const r = results[4]!;
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.userError).toBe(true);
    expect(r.error).toMatch(/^yosys 0\.\d+.*: broken\.v:2: ERROR: syntax error/);
    expect(r.error).not.toContain('\n');
  });
});

describe('choosing yosys', () => {
  const saved = process.env.ACCELFORGE_YOSYS;
  afterEach(() => {
    if (saved === undefined) delete process.env.ACCELFORGE_YOSYS;
    else process.env.ACCELFORGE_YOSYS = saved;
    resetYosysCache();
  });
  const fake = (version: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'af-fake-yosys-'));
    const p = join(dir, 'yosys');
    writeFileSync(p, `#!/bin/sh\necho "Yosys ${version} (git sha1 0000000, fake)"\n`);
    chmodSync(p, 0o755);
    return p;
  };

  it('parses version lines', () => {
    expect(parseYosysVersion('Yosys 0.23 (git sha1 7ce5011c24b)')).toEqual({ version: '0.23', major: 0, minor: 23 });
    expect(parseYosysVersion('Yosys 0.45+148 (git sha1 x)')).toEqual({ version: '0.45+148', major: 0, minor: 45 });
    expect(parseYosysVersion('nonsense')).toBeNull();
    expect(versionAtLeast([0, 39], [0, 40])).toBe(false);
    expect(versionAtLeast([0, 40], [0, 40])).toBe(true);
    expect(versionAtLeast([1, 0], [0, 40])).toBe(true);
  });

  it('uses a system yosys that is new enough', async () => {
    process.env.ACCELFORGE_YOSYS = fake('0.45+148');
    resetYosysCache();
    const info = await yosysInfo();
    expect(info.selected).toEqual({ kind: 'system', version: '0.45+148', path: process.env.ACCELFORGE_YOSYS });
  });

  it('refuses an old yosys (Debian 0.23) named explicitly, and never picks one from PATH', async () => {
    process.env.ACCELFORGE_YOSYS = fake('0.23');
    resetYosysCache();
    await expect(yosysInfo()).rejects.toThrow(/yosys 0\.23, older than 0\.40/);
    delete process.env.ACCELFORGE_YOSYS;
    resetYosysCache();
    const info = await yosysInfo();
    if (info.selected.kind === 'system') expect(versionAtLeast(parseVersion(info.selected.version)!, [0, 40])).toBe(true);
    else expect(info.systemNote).toMatch(/embedded WebAssembly/);
  });

  it('ACCELFORGE_YOSYS=wasm forces the embedded build', async () => {
    process.env.ACCELFORGE_YOSYS = 'wasm';
    resetYosysCache();
    expect((await yosysInfo()).selected).toEqual({ kind: 'wasm', version: '0.55' });
  });
});
