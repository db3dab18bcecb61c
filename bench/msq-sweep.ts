/**
 * Benchmark: `msq sweep` for a board — synthesizes the sizing slices (yosys, parallel workers), extrapolates, picks
 * the best (Pf, Ps, N), and records it with the fixed-only baseline, date and machine in
 * bench/results/msq-sweep-<board>.json (read by bench/msq-engine.ts for the ResNet-18 figures).
 *
 *   npx tsx bench/msq-sweep.ts --board xc7z020 [--n 8,16] [--workers 2]
 *
 * Resources of the board-size engine are EXTRAPOLATED from 1/2/4-lane slices (linearity checked on 2 lanes);
 * fmax figures are yosys ESTIMATES without place and route.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { formatSweep, sweepBoard } from '../src/msq/rtl/sweep.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { board: { type: 'string', default: 'xc7z020' }, n: { type: 'string', default: '8,16' }, workers: { type: 'string' } },
    strict: true,
  });
  const board = loadBoard(values.board);
  const t0 = Date.now();
  const result = await sweepBoard(board, {
    Ns: values.n.split(',').map(Number),
    workers: values.workers ? Number(values.workers) : undefined,
    onProgress: (d, t, label) => process.stderr.write(`  ${d}/${t} ${label}\n`),
  });
  const text = formatSweep(result);
  process.stdout.write(text + '\n');
  await writeFileAtomic(
    join(PROJECT_ROOT, 'bench', 'results', `msq-sweep-${board.id}.json`),
    JSON.stringify(
      {
        bench: 'msq-sweep',
        date: new Date().toISOString(),
        machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
        generator: GENERATOR_VERSION,
        wallSeconds: Math.round((Date.now() - t0) / 1000),
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
