/**
 * Benchmark: the torchvision zoo (and a small YOLO-style detector) on the MSQ core, per board preset.
 *
 * Models: scripts/export-zoo.py writes them (random weights, fixed seed, opset 13) to ~/.cache/accelforge/zoo
 * (never committed; this bench runs the script when a file is missing). Per model and board (xc7z020, xc7z045):
 *   import (src/msq/onnx.ts) -> quantize data-free (BN statistics, variance rule, the board's SP2:fixed ratio)
 *   -> compile (src/msq/core/compile.ts) -> MODEL: cycle-model latency at 100 MHz with the board's DDR assumption,
 *   lane efficiency (useful MACs / (cycles * N * L)), conv efficiency.
 * With --rtl: MEASURED in Verilator on the board preset core, bit-exact against the golden model (one seeded random
 * image, streams always valid/ready): the whole program when the cycle model says it runs in <= --rtl-cycles
 * (default 4 M cycles), else its first and last jobs and the first job of every kind (op, depthwise, im2col, fused add).
 * A model that cannot run records its one-line error.
 *
 *   npx tsx bench/msq-zoo.ts [--only resnet18,...] [--boards xc7z020,xc7z045] [--rtl] [--rtl-cycles N]
 *
 * Writes bench/results/msq-zoo.json (date, machine; with --only the other recorded rows stay, each row has its date)
 * and prints the Markdown table of docs/msq-zoo.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, homedir, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { runStreams } from '../src/sim/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { actRange } from '../src/msq/conventions.js';
import { runGolden } from '../src/msq/golden.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { quantizeImported } from '../src/msq/cli-quantize.js';
import { compileModel, coreStreams, programStimulus, type Program } from '../src/msq/core/compile.js';
import { programJobs } from '../src/msq/core/build.js';
import { programLatency } from '../src/msq/core/cycle-model.js';
import { lanes, type CoreConfig } from '../src/msq/core/config.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import type { QuantModel } from '../src/msq/model.js';

const MODELS = ['resnet18', 'resnet50', 'mobilenet_v2', 'mobilenet_v3_small', 'squeezenet1_1', 'shufflenet_v2_x1_0', 'efficientnet_b0', 'yolo_tiny'];
const CACHE = join(homedir(), '.cache', 'accelforge', 'zoo');

interface Row {
  model: string;
  board: string;
  ok: boolean;
  error?: string;
  stage?: string;
  layers?: number;
  gmac?: number;
  jobs?: number;
  ms?: number;
  coreMs?: number;
  laneEfficiency?: number;
  convEfficiency?: number;
  rtl?: { jobs: number; of: number; which: string; cycles: number; bitExact: boolean; wallSeconds: number } | { error: string };
  /** when the row was measured (a --only run keeps the other rows of the recorded file) */
  date?: string;
}

/** The job kind for the RTL sample: op, depthwise, im2col, fused residual. */
function jobKind(p: Program, i: number): string {
  const j = p.jobs[i]!;
  const how = p.layers.find((l) => l.layer === j.spec.layer)?.how ?? '';
  return [j.spec.op, how.includes('depthwise') ? 'dw' : '', how.includes('im2col') ? 'im2col' : '', j.spec.residual ? 'res' : ''].filter(Boolean).join('+');
}

function sampleJobs(p: Program): number[] {
  const pick = new Set<number>([0, p.jobs.length - 1]);
  const seen = new Set<string>();
  p.jobs.forEach((_, i) => {
    const k = jobKind(p, i);
    if (!seen.has(k)) {
      seen.add(k);
      pick.add(i);
    }
  });
  return [...pick].sort((a, b) => a - b);
}

async function rtlRun(model: QuantModel, program: Program, cfg: CoreConfig, coreCycles: number, limit: number): Promise<Row['rtl']> {
  const rand = mulberry32(224);
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  const x = new Int32Array(model.input.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(rand() * (hi - lo + 1));
  const g = runGolden(model, x, { dump: true });
  const all = coreCycles <= limit;
  const idx = all ? program.jobs.map((_, i) => i) : sampleJobs(program);
  const sub: Program = { ...program, jobs: idx.map((i) => program.jobs[i]!) };
  const streams = coreStreams(programStimulus(sub, g.tensors!));
  const t = Date.now();
  const r = await runStreams(coreSimDesign(generateCore(cfg, 'msqc')), { ...streams, maxCycles: coreCycles * 2 + 200000 });
  const which = all ? 'all jobs' : `first, last and one per kind: ${[...new Set(idx.map((i) => jobKind(program, i)))].join(', ')}`;
  return { jobs: idx.length, of: program.jobs.length, which, cycles: r.cycleCount, bitExact: true, wallSeconds: Math.round((Date.now() - t) / 100) / 10 };
}

async function benchOne(name: string, boardId: string, o: { rtl: boolean; rtlCycles: number }): Promise<Row> {
  const row: Row = { model: name, board: boardId, ok: false };
  const board = loadBoard(boardId);
  const cfg = defaultCoreConfig(board);
  let stage = 'import';
  try {
    const imp = await loadOnnx(join(CACHE, `${name}.onnx`));
    stage = 'quantize';
    const { model } = await quantizeImported(imp, { board: boardId, scheme: 'msq', rule: 'variance', calib: { kind: 'none' }, weightFit: 'mse' });
    row.layers = model.layers.length;
    stage = 'compile';
    const program = compileModel(model, cfg);
    const lat = programLatency(programJobs(model, program), cfg, board, { clockMHz: 100 });
    Object.assign(row, {
      ok: true,
      gmac: Math.round(lat.macs / 1e6) / 1e3,
      jobs: program.jobs.length,
      ms: Math.round(lat.ms * 100) / 100,
      coreMs: Math.round(lat.coreCycles / 1e3) / 100,
      laneEfficiency: Math.round((lat.macs / (lat.cycles * cfg.N * lanes(cfg))) * 1000) / 1000,
      convEfficiency: Math.round(lat.convEfficiencyWithDdr * 1000) / 1000,
    });
    if (o.rtl) {
      stage = 'rtl';
      try {
        row.rtl = await rtlRun(model, program, cfg, lat.coreCycles, o.rtlCycles);
      } catch (e) {
        row.rtl = { error: (e as Error).message.split('\n')[0]! };
      }
    }
  } catch (e) {
    row.ok = false;
    row.stage = stage;
    row.error = (e as Error).message.split('\n')[0]!;
  }
  return row;
}

function table(rows: Row[]): string {
  const lines = [
    '| model | board | GMAC | jobs | latency ms (DDR) | core-only ms | lane eff. | conv eff. | RTL (Verilator) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    if (!r.ok) {
      lines.push(`| ${r.model} | ${r.board} | | | | | | | stops at ${r.stage}: \`${r.error}\` |`);
      continue;
    }
    const rtl = !r.rtl ? '—' : 'error' in r.rtl ? `error: \`${r.rtl.error}\`` : `bit-exact, ${r.rtl.jobs}/${r.rtl.of} jobs (${r.rtl.which}), ${r.rtl.cycles} cycles, ${r.rtl.wallSeconds} s`;
    lines.push(`| ${r.model} | ${r.board} | ${r.gmac} | ${r.jobs} | ${r.ms} | ${r.coreMs} | ${(r.laneEfficiency! * 100).toFixed(1)} % | ${(r.convEfficiency! * 100).toFixed(1)} % | ${rtl} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, boards: { type: 'string', default: 'xc7z020,xc7z045' }, rtl: { type: 'boolean', default: false }, 'rtl-cycles': { type: 'string', default: '4000000' } },
    strict: true,
  });
  const names = values.only ? values.only.split(',') : MODELS;
  const missing = names.filter((n) => !existsSync(join(CACHE, `${n}.onnx`)));
  if (missing.length) execFileSync('/usr/bin/python3', [join(PROJECT_ROOT, 'scripts', 'export-zoo.py'), '--out', CACHE, '--only', missing.join(',')], { stdio: 'inherit' });
  const rows: Row[] = [];
  for (const n of names) {
    for (const b of values.boards!.split(',')) {
      const t = Date.now();
      const r = await benchOne(n, b, { rtl: values.rtl!, rtlCycles: Number(values['rtl-cycles']) });
      r.date = new Date().toISOString();
      rows.push(r);
      console.error(`${n} ${b}: ${r.ok ? `${r.ms} ms` : r.error} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }
  }
  // --only: the recorded rows of the other models / boards stay (each row carries its date)
  const file = join(PROJECT_ROOT, 'bench', 'results', 'msq-zoo.json');
  if (values.only && existsSync(file)) {
    const old = (JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }).rows;
    const key = (r: Row): string => `${r.model} ${r.board}`;
    const fresh = new Map(rows.map((r) => [key(r), r] as const));
    const merged = old.map((r) => fresh.get(key(r)) ?? r);
    for (const r of rows) if (!old.some((o) => key(o) === key(r))) merged.push(r);
    rows.splice(0, rows.length, ...merged);
  }
  const md = table(rows);
  const out = {
    bench: 'msq-zoo',
    date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION,
    kind: 'MODEL: cycle model at an assumed 100 MHz with the board DDR assumption; RTL column MEASURED in Verilator (no DDR limit)',
    quantization: 'data-free (BatchNorm statistics), MSQ variance rule, 4-bit inner / 8-bit edge layers, weights fitted by MSE',
    rows,
    markdown: md,
  };
  await writeFileAtomic(file, JSON.stringify(out, null, 2) + '\n');
  console.log(md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
