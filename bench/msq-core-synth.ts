/**
 * Benchmark: each board preset of the MSQ core (src/msq/core/presets.ts) synthesized WHOLE (yosys synth_xilinx, the
 * core `msq build --core --board B` writes), recorded beside the sizing's figures for the same configuration:
 * the exact block-RAM count of the banks (src/synth/bram.ts via src/msq/core/sizing.ts `coreBram`) and the
 * extrapolation from lane slices (bench/results/msq-core-slices.json).
 *
 *   npx tsx bench/msq-core-synth.ts [--board xc7z020|xc7z045] [--act-depth D] [--no-cache]
 *
 * --act-depth D synthesizes the preset with another activation depth (recorded under boards["<board>@actDepth=D"],
 * e.g. the presets as they were before the exact BRAM count: xc7z020 2560, xc7z045 5120).
 *
 * Writes bench/results/msq-core-synth.json (merged per board). Kinds: resources are yosys synthesis figures (no place
 * and route); fmax is a yosys ESTIMATE; the sizing's LUT/FF/DSP are EXTRAPOLATED from slices. A whole XC7Z020 preset
 * takes ~15 min in the embedded yosys (one at a time on a shared machine; results are cached by content).
 */
import { cpus, hostname, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { generateCore } from '../src/msq/core/rtl/index.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { bankBram, coreResources, fitProblem, PLACEHOLDER_OVERHEAD, recordedSlices } from '../src/msq/core/sizing.js';
import { synthesize } from '../src/synth/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const OUT = join(RESULTS, 'msq-core-synth.json');
type Json = Record<string, unknown>;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { board: { type: 'string' }, 'act-depth': { type: 'string' }, 'no-cache': { type: 'boolean' } }, strict: true });
  const boards = values.board ? [values.board] : ['xc7z020', 'xc7z045'];
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as Json) : {};
  const out: Json = { ...prev, bench: 'msq-core-synth', boards: { ...((prev.boards as Json | undefined) ?? {}) } };
  for (const id of boards) {
    const board = loadBoard(id);
    const actDepth = values['act-depth'] === undefined ? undefined : Number(values['act-depth']);
    const cfg = { ...defaultCoreConfig(board), ...(actDepth ? { actDepth } : {}) };
    const key = actDepth ? `${id}@actDepth=${actDepth}` : id;
    const rtl = generateCore(cfg);
    const t0 = Date.now();
    process.stderr.write(`${id}: synthesizing the whole preset core ${rtl.top} (N=${cfg.N} Pf=${cfg.Pf} Ps=${cfg.Ps} Rq=${cfg.Rq})...\n`);
    const r = await synthesize({ files: rtl.files, top: rtl.top, cache: !values['no-cache'] });
    const res = r.resources;
    const R = board.resources;
    const rec: Json = {
      date: new Date().toISOString(),
      machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
      generator: GENERATOR_VERSION,
      config: cfg,
      yosys: `${r.yosys.kind} ${r.yosys.version}`,
      command: r.command,
      wallSeconds: Math.round(r.wallTimeMs / 1000),
      cached: r.cached,
      synthesized: {
        kind: 'yosys synth_xilinx of the whole core (no place and route)',
        lut: res.lut.total, ff: res.ff, dsp48e1: res.dsp48e1, lutram: res.lutram,
        ramb36e1: res.cells.RAMB36E1 ?? 0, ramb18e1: res.cells.RAMB18E1 ?? 0, bram36: res.bram36Equivalent,
        util: { lut: res.lut.total / R.lut, dsp: res.dsp48e1 / R.dsp48e1, bram36: res.bram36Equivalent / R.bram36 },
        estFmaxMHz: r.timing.estFmaxMHz, estFmaxLabel: 'yosys estimate (post-synthesis, no place and route)',
      },
    };
    const slices = recordedSlices();
    const bram = bankBram(cfg);
    const est = slices ? coreResources(cfg, slices, PLACEHOLDER_OVERHEAD, board) : null;
    rec.sizing = {
      kind: 'LUT/FF/DSP EXTRAPOLATED from lane slices (bench/results/msq-core-slices.json); block RAM counted exactly (src/synth/bram.ts)',
      lut: est?.lut ?? null, ff: est?.ff ?? null, dsp48e1: est?.dsp ?? null, ramb36e1: bram.ramb36, ramb18e1: bram.ramb18, bram36: bram.total,
      util: est ? { lut: est.util.lut, dsp: est.util.dsp, bram36: est.util.bram36 } : null,
    };
    const s = rec.synthesized as { lut: number; dsp48e1: number; bram36: number };
    const problem = fitProblem({ lut: s.lut, dsp: s.dsp48e1, bram36: s.bram36 }, board);
    rec.fits = problem === null ? 'yes (LUT <= 80 %, BRAM36 <= 100 %, DSP <= 100 %)' : `NO: ${problem}`;
    rec.bramCountMatches = bram.ramb36 === (s as unknown as { ramb36e1: number }).ramb36e1 && bram.ramb18 === (s as unknown as { ramb18e1: number }).ramb18e1;
    (out.boards as Json)[key] = rec;
    console.log(`${id}: ${JSON.stringify(rec.synthesized)} (${Math.round((Date.now() - t0) / 1000)} s)`);
    await writeFileAtomic(OUT, JSON.stringify(out, null, 2) + '\n');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
