/**
 * Benchmark: yosys resources of the I-ViT nonlinear unit (src/msq/ivit/rtl) per configuration and per mode (a
 * one-mode unit: the other modes' logic removed) and of the nonlinear vector (vec.ts: 2 and 4 lanes of the preset
 * cores' unit), and their share of the XC7Z020 MSQ preset core (whole-core figure from
 * bench/results/msq-core-synth.json) and of the board.
 *
 *   npx tsx bench/ivit-units.ts [--no-cache]
 *
 * Writes bench/results/ivit-units.json. Kinds: LUT/FF/DSP/BRAM are yosys synth_xilinx figures (no place and route);
 * fmax is a yosys ESTIMATE. Cycle figures are the unit's exact cycle formula (rtl/cycles.ts, checked in Verilator).
 */
import { cpus, hostname, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import type { NlMode } from '../src/msq/ivit/job.js';
import { generateNlUnit, generateNlVec, nlRowCycles, type NlUnitConfig } from '../src/msq/ivit/rtl/index.js';
import { synthesize } from '../src/synth/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const OUT = join(RESULTS, 'ivit-units.json');
const CONFIGS: (NlUnitConfig & { lanes?: number })[] = [
  { inBits: 16, maxLen: 256 },
  { inBits: 8, maxLen: 256 },
  { inBits: 16, maxLen: 256, modes: ['shiftmax'] },
  { inBits: 16, maxLen: 256, modes: ['shiftgelu'] },
  { inBits: 16, maxLen: 256, modes: ['layernorm'] },
  { inBits: 16, maxLen: 256, lanes: 2 },
  { inBits: 16, maxLen: 256, lanes: 4 },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'no-cache': { type: 'boolean' } }, strict: true });
  const board = loadBoard('xc7z020');
  const R = board.resources;
  const coreFile = join(RESULTS, 'msq-core-synth.json');
  const core = existsSync(coreFile)
    ? ((JSON.parse(readFileSync(coreFile, 'utf8')) as { boards: Record<string, { synthesized: { lut: number; ff: number; dsp48e1: number; bram36: number } }> }).boards.xc7z020?.synthesized ?? null)
    : null;
  const units = [];
  for (const { lanes, ...cfg } of CONFIGS) {
    const rtl = lanes ? generateNlVec({ unit: cfg, lanes }) : generateNlUnit(cfg);
    process.stderr.write(`synthesizing ${rtl.top}...\n`);
    const r = await synthesize({ files: rtl.files, top: rtl.top, cache: !values['no-cache'] });
    const res = r.resources;
    const s = { lut: res.lut.total, ff: res.ff, dsp48e1: res.dsp48e1, lutram: res.lutram, ramb36e1: res.cells.RAMB36E1 ?? 0, ramb18e1: res.cells.RAMB18E1 ?? 0, bram36: res.bram36Equivalent };
    const modes = (cfg.modes ?? ['shiftmax', 'shiftgelu', 'layernorm']) as NlMode[];
    units.push({
      top: rtl.top,
      config: cfg,
      lanes: lanes ?? 1,
      yosys: `${r.yosys.kind} ${r.yosys.version}`,
      command: r.command,
      wallSeconds: Math.round(r.wallTimeMs / 1000),
      cached: r.cached,
      synthesized: { kind: 'yosys synth_xilinx (no place and route)', ...s },
      estFmaxMHz: r.timing.estFmaxMHz,
      estFmaxLabel: 'yosys estimate (post-synthesis, no place and route)',
      shareOfXc7z020Core: core ? { lut: s.lut / core.lut, ff: s.ff / core.ff, dsp: s.dsp48e1 / core.dsp48e1, bram36: s.bram36 / core.bram36 } : null,
      shareOfXc7z020: { lut: s.lut / R.lut, dsp: s.dsp48e1 / R.dsp48e1, bram36: s.bram36 / R.bram36 },
      cyclesPerRow: Object.fromEntries(modes.map((mo) => [mo, { formula: `${nlRowCycles(mo, 1, cfg) - nlRowCycles(mo, 0, cfg)}n + ${nlRowCycles(mo, 0, cfg)}`, n197: nlRowCycles(mo, 197, cfg), n192: nlRowCycles(mo, 192, cfg) }])),
    });
    console.log(`${rtl.top}: ${JSON.stringify(s)} est. fmax ${r.timing.estFmaxMHz} MHz`);
  }
  const out = {
    bench: 'ivit-units',
    date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION,
    coreXc7z020: core ? { source: 'bench/results/msq-core-synth.json (whole XC7Z020 preset core, yosys)', ...core } : null,
    board: { id: 'xc7z020', lut: R.lut, dsp48e1: R.dsp48e1, bram36: R.bram36 },
    units,
  };
  await writeFileAtomic(OUT, JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
