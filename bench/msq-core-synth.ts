/**
 * Benchmark: each board preset of the MSQ core (src/msq/core/presets.ts) synthesized WHOLE (yosys synth_xilinx, the
 * core `msq build --core --board B` writes), recorded beside the sizing's figures for the same configuration:
 * the exact block-RAM count of the banks (src/synth/bram.ts via src/msq/core/sizing.ts `coreBram`) and the
 * extrapolation from lane slices (bench/results/msq-core-slices.json).
 *
 *   npx tsx bench/msq-core-synth.ts [--board xc7z020|xc7z045] [--no-cache]
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
import { synthesize } from '../src/synth/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

const RESULTS = join(PROJECT_ROOT, 'bench', 'results');
const OUT = join(RESULTS, 'msq-core-synth.json');
type Json = Record<string, unknown>;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { board: { type: 'string' }, 'no-cache': { type: 'boolean' } }, strict: true });
  const boards = values.board ? [values.board] : ['xc7z020', 'xc7z045'];
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as Json) : {};
  const out: Json = { ...prev, bench: 'msq-core-synth', boards: { ...((prev.boards as Json | undefined) ?? {}) } };
  for (const id of boards) {
    const board = loadBoard(id);
    const cfg = defaultCoreConfig(board);
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
    (out.boards as Json)[id] = rec;
    console.log(`${id}: ${JSON.stringify(rec.synthesized)} (${Math.round((Date.now() - t0) / 1000)} s)`);
    await writeFileAtomic(OUT, JSON.stringify(out, null, 2) + '\n');
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
