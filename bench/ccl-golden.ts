/**
 * Benchmark: CCL golden model (labelImage) on 512×512 frames, single thread.
 * Records best-of-N wall and CPU time per frame, for C = 1 and C = 8, on several patterns, with date and machine,
 * in bench/results/ccl-golden.json. There is no target: the golden model is a reference, not the product; the
 * figure tells how long RTL-vs-golden comparisons and `ccl label` spend in it.
 *
 *   npx tsx bench/ccl-golden.ts [--runs 5] [--size 512]
 *
 * Wall-clock on a machine shared with other jobs: the 1-minute load average is recorded beside the figures, and
 * the process CPU time (less disturbed by other jobs) is recorded too.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCclConfig } from '../src/ccl/config.js';
import type { CellSize } from '../src/ccl/config.js';
import { labelImageDetailed } from '../src/ccl/golden.js';
import * as P from '../src/ccl/patterns.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, size: { type: 'string', default: '512' } }, strict: true });
  const runs = Math.max(1, Number(values.runs));
  const S = Number(values.size);
  const patterns = [
    { name: 'noise50', image: P.noise(S, S, 0.5, { seed: 1 }) },
    { name: 'noise10', image: P.noise(S, S, 0.1, { seed: 2 }) },
    { name: 'blobs', image: P.blobs(S, S, 40, { seed: 3 }) },
    { name: 'full', image: P.full(S, S) },
  ];
  const rows: Array<Record<string, unknown>> = [];
  for (const cell of [1, 8] as CellSize[]) {
    for (const hist of [0, 16]) {
      const cfg = makeCclConfig({ width: S, height: S, cell, histBins: hist });
      for (const p of patterns) {
        const wall: number[] = [];
        const cpu: number[] = [];
        let objects = 0;
        let livePeak = 0;
        for (let i = 0; i < runs + 1; i++) {
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const d = labelImageDetailed(p.image, cfg);
          const t = performance.now() - t0;
          const cu = process.cpuUsage(c0);
          if (i === 0) continue; // warm-up (JIT)
          wall.push(t);
          cpu.push((cu.user + cu.system) / 1000);
          objects = d.stats.objects;
          livePeak = d.stats.livePeak;
        }
        const bestWall = Math.min(...wall);
        const bestCpu = Math.min(...cpu);
        rows.push({
          cell, histBins: hist, pattern: p.name, objects, livePeak,
          bestWallMs: +bestWall.toFixed(2), bestCpuMs: +bestCpu.toFixed(2),
          framesPerSecondWall: +(1000 / bestWall).toFixed(1),
          framesPerSecondCpu: +(1000 / bestCpu).toFixed(1),
        });
        process.stdout.write(`C=${cell} B=${String(hist).padEnd(2)} ${p.name.padEnd(8)} objects ${String(objects).padStart(6)}  best ${bestWall.toFixed(1)} ms wall, ${bestCpu.toFixed(1)} ms CPU\n`);
      }
    }
  }
  const result = {
    benchmark: 'ccl-golden',
    what: `labelImageDetailed (golden model) on one ${S}×${S} gray8 frame, single thread, best of ${runs} after one warm-up`,
    command: 'npx tsx bench/ccl-golden.ts',
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, host: hostname(), node: process.version, loadavg1m: loadavg()[0] },
    generatorVersion: GENERATOR_VERSION,
    results: rows,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench/results/ccl-golden.json'), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write('written bench/results/ccl-golden.json\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
