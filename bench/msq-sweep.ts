/**
 * Benchmark: `msq sweep` for a board — synthesizes the sizing slices (yosys, parallel workers), extrapolates, picks
 * the best (Pf, Ps, N), and records it with the fixed-only baseline, date and machine in
 * bench/results/msq-sweep-<board>.json (read by bench/msq-engine.ts for the ResNet-18 figures).
 *
 *   npx tsx bench/msq-sweep.ts --board xc7z020 [--n 8,16] [--workers 2] [--dsp-pack 2] [--reuse bench/results/msq-sweep-xc7z020.json]
 *
 * --reuse takes the slice syntheses of an earlier run (they do not depend on the board) instead of synthesizing.
 *
 * Resources of the board-size engine are EXTRAPOLATED from 1/2/4-lane slices (linearity checked on 2 lanes);
 * fmax figures are yosys ESTIMATES without place and route.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { formatSweep, sweepBoard, type SliceData } from '../src/msq/rtl/sweep.js';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      board: { type: 'string', default: 'xc7z020' },
      n: { type: 'string', default: '8,16' },
      workers: { type: 'string' },
      'dsp-pack': { type: 'string', default: '1' },
      reuse: { type: 'string' },
      suffix: { type: 'string', default: '' },
    },
    strict: true,
  });
  const board = loadBoard(values.board);
  const t0 = Date.now();
  const reuse = values.reuse ? (JSON.parse(readFileSync(values.reuse, 'utf8')) as { result: SliceData }).result : undefined;
  const result = await sweepBoard(board, {
    Ns: values.n.split(',').map(Number),
    dspPack: values['dsp-pack'] === '2' ? 2 : 1,
    reuse: reuse ? { slices: reuse.slices, overhead: reuse.overhead, notes: reuse.notes.filter((n) => !/EXTRAPOLATED|ESTIMATES|ResNet-18 latency|dsp-pack/.test(n)) } : undefined,
    workers: values.workers ? Number(values.workers) : undefined,
    onProgress: (d, t, label) => process.stderr.write(`  ${d}/${t} ${label}\n`),
  });
  const text = formatSweep(result);
  process.stdout.write(text + '\n');
  await writeFileAtomic(
    join(PROJECT_ROOT, 'bench', 'results', `msq-sweep-${board.id}${values.suffix}.json`),
    JSON.stringify(
      {
        bench: 'msq-sweep',
        date: new Date().toISOString(),
        machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
        generator: GENERATOR_VERSION,
        wallSeconds: Math.round((Date.now() - t0) / 1000),
        slicesReusedFrom: values.reuse ?? null,
        result,
        table: text.split('\n'),
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
