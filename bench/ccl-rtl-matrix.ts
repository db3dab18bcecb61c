/**
 * Benchmark / extended proof: every allowed (C, P) pair, both connectivities, through Verilator with random
 * stalls, bit-exact against the golden model on the full vector set (src/ccl/rtl/testvectors.ts), frames back to
 * back. The unit tests cover one P per C; this covers them all. Records pass/fail, objects compared, cycles and
 * times in bench/results/ccl-rtl-matrix.json (with date and machine).
 *
 *   npx tsx bench/ccl-rtl-matrix.ts [--width 64] [--height 40] [--conn 8,4] [--cells 1,2,4,8,16]
 *
 * At C = 1 every P is allowed (P > 1: the pixel-exact run labeler).
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { makeCclConfig, CELL_SIZES, type Connectivity } from '../src/ccl/config.js';
import { PPC_VALUES } from '../src/ccl/rtl/index.js';
import { rtlVectors, checkRtlFrames } from '../src/ccl/rtl/testvectors.js';
import { maxLiveStripes } from '../src/ccl/patterns.js';

const { values } = parseArgs({ options: { width: { type: 'string', default: '64' }, height: { type: 'string', default: '40' }, conn: { type: 'string', default: '8,4' }, cells: { type: 'string' } } });
// --cells 1: only those cell sizes (results in ccl-rtl-matrix-c1.json, so the full matrix's file stays)
const cells = values.cells ? values.cells.split(',').map(Number) : [...CELL_SIZES];
const W = Number(values.width), H = Number(values.height);
const rows: Record<string, unknown>[] = [];
let failures = 0;
for (const conn of values.conn!.split(',').map(Number) as Connectivity[]) {
  for (const C of CELL_SIZES.filter((c) => cells.includes(c))) {
    for (const P of PPC_VALUES.filter((p) => (p <= C || C === 1) && W % p === 0)) { // C = 1: pixel-exact at every P
      const cfg = makeCclConfig({
        width: W, height: H, cell: C, connectivity: conn, histBins: C >= 4 ? 4 : 0, minPixels: C >= 4 ? 2 : 1,
        maxObjects: Math.max(1, maxLiveStripes(W, C) - 1),
      });
      const frames = rtlVectors(cfg, C * 17 + P);
      const t0 = Date.now();
      let row: Record<string, unknown>;
      try {
        const { checks, run } = await checkRtlFrames(cfg, frames, { ppc: P, seed: C * 31 + P, validProb: 0.75, readyProb: 0.6 });
        const bad = checks.filter((c) => c.diff).map((c) => `${c.name}: ${c.diff}`);
        failures += bad.length ? 1 : 0;
        row = {
          conn, cell: C, ppc: P, frames: frames.length, bitExact: bad.length === 0, diffs: bad,
          objectsCompared: checks.filter((c) => !c.golden.overflow).reduce((s, c) => s + c.golden.objects.length, 0),
          overflowFrames: checks.filter((c) => c.golden.overflow).length,
          cyclesWithStalls: run.frames[run.frames.length - 1]!.eofCycle, buildMs: Math.round(run.buildMs), runMs: Math.round(run.runMs),
          wallMs: Date.now() - t0,
        };
      } catch (e) {
        failures++;
        row = { conn, cell: C, ppc: P, bitExact: false, error: (e as Error).message.split('\n')[0] };
      }
      rows.push(row);
      process.stdout.write(`${conn}-conn C=${C} P=${P}: ${row.bitExact ? 'bit-exact' : 'FAIL'} (${row.objectsCompared ?? '-'} objects, ${row.wallMs ?? '-'} ms)\n`);
    }
  }
}
const result = {
  benchmark: 'ccl-rtl-matrix',
  what: `every (C, P) and connectivity, ${W}x${H}, Verilator with random stalls (valid 0.75, ready 0.6), bit-exact vs golden`,
  command: `npx tsx bench/ccl-rtl-matrix.ts --width ${W} --height ${H} --conn ${values.conn}${values.cells ? ` --cells ${values.cells}` : ''}`,
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, host: hostname(), node: process.version, loadavg1m: loadavg()[0] },
  generatorVersion: GENERATOR_VERSION,
  failures,
  results: rows,
};
const file = values.cells ? `ccl-rtl-matrix-c${cells.join('-')}.json` : 'ccl-rtl-matrix.json';
await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', file), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`wrote bench/results/${file} (${failures} failing configurations)\n`);
if (failures) process.exitCode = 1;
