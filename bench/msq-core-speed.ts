/**
 * Benchmark: latency of quantized models (e.g. the torchvision zoo) on a board preset of the MSQ core — the cycle
 * model (src/msq/core/cycle-model.ts) with the board's derated DDR assumption at 100 MHz — with the per-layer share,
 * the conv efficiency, and where the time goes by layer kind (depthwise, dense conv, linear, pools).
 *
 *   accelforge quantize ~/.cache/accelforge/zoo/resnet18.onnx --board xc7z020 --calib none -o /tmp/r18.q.json
 *   npx tsx bench/msq-core-speed.ts --board xc7z020 /tmp/r18.q.json [more.q.json ...] [--top 8]
 *
 * (the ONNX files come from scripts/export-zoo.py). Writes bench/results/msq-core-speed.json (merged per
 * board/model). Every figure is a MODEL figure (cycle model; DDR bandwidth is the board file's assumption); nothing
 * is measured on a board.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { parseQuantModel } from '../src/msq/model.js';
import { compileModel } from '../src/msq/core/compile.js';
import { programJobs } from '../src/msq/core/build.js';
import { layerTable, programLatency } from '../src/msq/core/cycle-model.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';

const OUT = join(PROJECT_ROOT, 'bench', 'results', 'msq-core-speed.json');
type Json = Record<string, unknown>;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { board: { type: 'string' }, top: { type: 'string' } }, allowPositionals: true, strict: true });
  if (!values.board || positionals.length === 0) throw new Error('usage: bench/msq-core-speed.ts --board B model.q.json ...');
  const board = loadBoard(values.board);
  const cfg = defaultCoreConfig(board);
  const top = Number(values.top ?? 8);
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as Json) : {};
  const out: Json = { bench: 'msq-core-speed', kind: 'model (core cycle model, DDR at the board file\'s derated bandwidth, 100 MHz)', runs: { ...((prev.runs as Json | undefined) ?? {}) } };
  for (const path of positionals) {
    const model = parseQuantModel(JSON.parse(readFileSync(path, 'utf8')));
    const t0 = Date.now();
    const program = compileModel(model, cfg);
    const lat = programLatency(programJobs(model, program), cfg, board, { clockMHz: 100 });
    const kinds = new Map(program.layers.map((l) => [l.layer, l.how]));
    const rows = layerTable(lat, cfg).map((r) => ({ ...r, how: kinds.get(r.layer) ?? '', ms: r3(r.cycles / 1e5), share: r3(r.cycles / lat.cycles), efficiency: r3(r.efficiency) }));
    const byKind: Record<string, number> = {};
    for (const r of rows) {
      const k = /depthwise/.test(r.how) ? 'depthwise' : /^conv2d/.test(r.how) ? 'conv' : /linear/.test(r.how) ? 'linear' : 'other';
      byKind[k] = r3((byKind[k] ?? 0) + r.ms);
    }
    const name = basename(path).replace(/\.q\.json$/, '');
    const rec: Json = {
      date: new Date().toISOString(),
      machine: { host: hostname(), cpus: cpus().length, loadavg1: loadavg()[0] },
      generator: GENERATOR_VERSION,
      command: `npx tsx bench/msq-core-speed.ts --board ${values.board} ${path}`,
      config: cfg,
      ms: r3(lat.ms),
      cycles: lat.cycles,
      coreCyclesNoDdr: lat.coreCycles,
      macs: lat.macs,
      convEfficiency: r3(lat.convEfficiency),
      convEfficiencyWithDdr: r3(lat.convEfficiencyWithDdr),
      overallEfficiency: r3(lat.overallEfficiency),
      jobs: lat.jobs.length,
      ddrBoundJobs: lat.jobs.filter((j) => j.bound === 'ddr').length,
      msByKind: byKind,
      topLayers: [...rows].sort((a, b) => b.cycles - a.cycles).slice(0, top),
    };
    (out.runs as Json)[`${values.board}/${name}`] = rec;
    console.log(`${values.board} ${name}: ${rec.ms} ms (model, DDR ${lat.ddrGBps} GB/s, 100 MHz), conv eff ${rec.convEfficiency} (with DDR ${rec.convEfficiencyWithDdr}), ${rec.jobs} jobs, by kind ${JSON.stringify(byKind)} (${Math.round((Date.now() - t0) / 1000)} s)`);
    for (const r of rec.topLayers as typeof rows) console.log(`  ${r.layer.padEnd(48)} ${String(r.ms).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)} %  eff ${r.efficiency}  ${r.bound}  ${r.how}`);
  }
  await writeFileAtomic(OUT, JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
