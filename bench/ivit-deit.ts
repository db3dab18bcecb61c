/**
 * Benchmark: DeiT-tiny (224², patch 16, dim 192, 3 heads, 12 layers, MLP 768; random weights) on the MSQ core of both
 * board presets, by the CYCLE MODEL at 100 MHz with the board's DDR assumption (src/msq/vit/latency.ts): import
 * (torchvision VisionTransformer ONNX, opset 17, written by `scripts/train-vit.py --deit` when missing) -> I-ViT PTQ
 * (one seeded random calibration image; INT8 linears) -> lowering (src/msq/vit/lower.ts) -> cycle model per step.
 * Rows: the design as built (one nonlinear unit, fed from DDR: 32-bit word in, 16-bit out per element), and
 * PROJECTIONS of designs not built (labelled): the unit fed from the core's activation path (1 byte in and out per
 * element), 4 / 8 units in parallel.
 * With --rtl: encoder block 0's core jobs (its linears and per-head attention jobs with run-time filters) MEASURED in
 * Verilator on the XC7Z020 preset core against the golden model (streams always valid / ready).
 *
 *   npx tsx bench/ivit-deit.ts [--rtl]
 *
 * Writes bench/results/ivit-deit.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { runStreams } from '../src/sim/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { runGolden } from '../src/msq/golden.js';
import { importOnnx } from '../src/msq/onnx.js';
import { coreStreams } from '../src/msq/core/compile.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit, type VitProgram } from '../src/msq/vit/lower.js';
import { vitStimulus } from '../src/msq/vit/execute.js';
import { vitLatency, type VitLatencyOptions } from '../src/msq/vit/latency.js';

const ONNX = join(PROJECT_ROOT, '.cache', 'vit', 'deit-tiny-random.onnx');
const TARGET_MS: Record<string, number> = { xc7z020: 30, xc7z045: 8 };
const VARIANTS: { name: string; label: string; o: Omit<VitLatencyOptions, 'clockMHz'> }[] = [
  { name: 'as built', label: 'cycle model', o: {} },
  { name: 'NL unit fed from the activation path (1 B in / 1 B out per element)', label: 'cycle model of a design not built (projection)', o: { nlBytesIn: 1, nlBytesOut: 1 } },
  { name: '+ 4 NL units in parallel', label: 'cycle model of a design not built (projection)', o: { nlBytesIn: 1, nlBytesOut: 1, nlUnits: 4 } },
  { name: '+ 8 NL units in parallel', label: 'cycle model of a design not built (projection)', o: { nlBytesIn: 1, nlBytesOut: 1, nlUnits: 8 } },
];

const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** Encoder block 0's core jobs in Verilator on the board's preset core, against the golden streams. */
async function rtlBlock0(p: VitProgram, x: Int32Array): Promise<Record<string, unknown>> {
  const g = runGolden(p.model, x, { dump: true });
  const block0 = new Set(p.model.layers.filter((l) => /layer_0[^0-9]|layer_0$/.test(l.name)).map((l) => l.name));
  const sub: VitProgram = { ...p, steps: p.steps.filter((s) => block0.has(s.layer)) };
  const { jobs, stim } = vitStimulus(sub, g.tensors!);
  const streams = coreStreams(stim);
  const t0 = Date.now();
  const res = await runStreams(coreSimDesign(generateCore(p.cfg)), { ...streams, seed: 1, maxCycles: 200_000_000 });
  const got = res.outputs.m_out ?? [];
  const exp = streams.expected.m_out;
  const bitExact = got.length === exp.length && got.every((v, i) => v === exp[i]);
  return { kind: 'Verilator (measured)', layers: [...block0], jobs: jobs.length, outBeats: exp.length, cycles: res.cycles, bitExact, wallSeconds: Math.round((Date.now() - t0) / 1000) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rtl: { type: 'boolean' } }, strict: true });
  if (!existsSync(ONNX)) execFileSync('/usr/bin/python3', [join(PROJECT_ROOT, 'scripts', 'train-vit.py'), '--deit'], { stdio: 'inherit' });
  let t = Date.now();
  const { model: fm } = importOnnx(readFileSync(ONNX), 'deit-tiny-random.onnx');
  log(`imported ${fm.layers.length} layers in ${Date.now() - t} ms`);
  const r = mulberry32(13);
  const img = Float64Array.from({ length: 3 * 224 * 224 }, () => r());
  t = Date.now();
  const qm = quantizeVit(fm, [img], { linears: 'int8' });
  log(`quantized in ${Date.now() - t} ms`);
  const boards = [];
  for (const id of ['xc7z020', 'xc7z045']) {
    const board = loadBoard(id);
    const cfg = defaultCoreConfig(board);
    t = Date.now();
    const p = lowerVit(qm, cfg);
    log(`${id}: lowered to ${p.steps.length} steps in ${Date.now() - t} ms`);
    const rows = VARIANTS.map((v) => {
      const lat = vitLatency(p, board, { clockMHz: 100, ...v.o });
      const byKindMs = Object.fromEntries(Object.entries(lat.byKind).map(([k, c]) => [k, Math.round(c / 1e2) / 1e3]));
      log(`  ${v.name}: ${lat.ms.toFixed(2)} ms ${JSON.stringify(byKindMs)} lane use ${(100 * lat.coreLaneUse).toFixed(1)} % (fixed lanes ${(100 * lat.fixedLaneUse).toFixed(1)} %)`);
      return { variant: v.name, kind: v.label, ms: Math.round(lat.ms * 1000) / 1000, cycles: lat.cycles, gmac: Math.round(lat.macs / 1e6) / 1e3, msByKind: byKindMs, coreLaneUse: lat.coreLaneUse, fixedLaneUse: lat.fixedLaneUse };
    });
    const top = vitLatency(p, board, { clockMHz: 100 }).steps.slice().sort((a, b) => b.cycles - a.cycles).slice(0, 8).map((s) => ({ layer: s.layer, kind: s.kind, ms: s.cycles / 1e5, ddrMs: s.ddrCycles / 1e5 }));
    const rtl = values.rtl && id === 'xc7z020' ? await rtlBlock0(p, Int32Array.from(img, (v) => Math.round(v * 255))) : undefined;
    boards.push({ board: id, core: cfg, ddrGBps: board.ddr.deratedGBps, clockMHz: 100, targetMs: TARGET_MS[id], met: rows[0]!.ms <= TARGET_MS[id]!, rows, biggestSteps: top, ...(rtl ? { rtlBlock0: rtl } : {}) });
  }
  const out = {
    bench: 'ivit-deit', date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION, command: `npx tsx bench/ivit-deit.ts${values.rtl ? ' --rtl' : ''}`,
    model: 'DeiT-tiny shapes (torchvision VisionTransformer 224, patch 16, 12 layers, 3 heads, dim 192, MLP 768), random weights, I-ViT INT8 linears',
    notes: 'latency = sum of steps (each waits for the one before); core jobs: core cycle model with DDR bound; nonlinear steps: the unit\'s exact cycle formula with a DDR bound on its streams; host steps (class token, position embedding, residual adds): DDR traffic only (a lower bound)',
    boards,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'ivit-deit.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
