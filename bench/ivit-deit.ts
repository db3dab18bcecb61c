/**
 * Benchmark: DeiT-tiny (224², patch 16, dim 192, 3 heads, 12 layers, MLP 768; random weights) on the MSQ core of both
 * board presets, by the CYCLE MODEL at 100 MHz with the board's DDR assumption (src/msq/vit/latency.ts): import
 * (torchvision VisionTransformer ONNX, opset 17, written by `scripts/train-vit.py --deit` when missing) -> I-ViT PTQ
 * (one seeded random calibration image; INT8 or MSQ-4 encoder linears) -> lowering (src/msq/vit/lower.ts) -> cycle
 * model per step, for nonlinear vectors of 1..16 lanes (src/msq/ivit/rtl/vec.ts; each row says whether its lanes fit
 * the DSP48E1 left beside the preset core). MSQ-4 also on the preset with SP2 lanes on 8-bit activations (a core
 * configuration not synthesized: I-ViT's INT8 activations cannot enter the presets' 4-bit SP2 lanes).
 * One encoder block in RTL: bench/ivit-block-rtl.ts.
 *
 *   npx tsx bench/ivit-deit.ts
 *
 * Writes bench/results/ivit-deit.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadBoard } from '../src/board/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { importOnnx } from '../src/msq/onnx.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { checkFits } from '../src/msq/core/sizing.js';
import { CORE_NL_UNIT } from '../src/msq/core/rtl/nl-config.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit } from '../src/msq/vit/lower.js';
import { vitLatency } from '../src/msq/vit/latency.js';

const ONNX = join(PROJECT_ROOT, '.cache', 'vit', 'deit-tiny-random.onnx');
const TARGET_MS: Record<string, number> = { xc7z020: 30, xc7z045: 8 };
/** DSP48E1 of the preset cores when no synthesis record is there (presets.ts: XC7Z020 yosys, XC7Z045 extrapolated). */
const CORE_DSP: Record<string, number> = { xc7z020: 192, xc7z045: 896 };
/** DSP48E1 of one all-mode nonlinear unit (inBits 16, maxLen 256; yosys, bench/results/ivit-units.json). */
const UNIT_DSP_DEFAULT = 11;
const LANES = [1, 2, 4, 8, 16];

const log = (s: string): void => void process.stderr.write(`${s}\n`);

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/** DSP48E1 left beside the preset core and the vector lanes they hold (the lanes' only scarce resource on both boards). */
function dspBudget(id: string, dsps: number): { coreDsp: number; source: string; unitDsp: number; lanesThatFit: number } {
  const synth = readJson<{ boards: Record<string, { synthesized?: { dsp48e1: number } }> }>(join(PROJECT_ROOT, 'bench', 'results', 'msq-core-synth.json'));
  const rec = synth?.boards[id]?.synthesized?.dsp48e1;
  const units = readJson<{ units: { config: { inBits: number; maxLen: number; modes?: string[] }; synthesized: { dsp48e1: number } }[] }>(join(PROJECT_ROOT, 'bench', 'results', 'ivit-units.json'));
  const unit = units?.units.find((u) => u.config.inBits === CORE_NL_UNIT.inBits && u.config.maxLen === CORE_NL_UNIT.maxLen && !u.config.modes)?.synthesized.dsp48e1 ?? UNIT_DSP_DEFAULT;
  const coreDsp = rec ?? CORE_DSP[id]!;
  return { coreDsp, source: rec ? 'bench/results/msq-core-synth.json (yosys)' : 'src/msq/core/presets.ts comment', unitDsp: unit, lanesThatFit: Math.max(0, Math.floor((dsps - coreDsp) / unit)) };
}

async function main(): Promise<void> {
  if (!existsSync(ONNX)) execFileSync('/usr/bin/python3', [join(PROJECT_ROOT, 'scripts', 'train-vit.py'), '--deit'], { stdio: 'inherit' });
  let t = Date.now();
  const { model: fm } = importOnnx(readFileSync(ONNX), 'deit-tiny-random.onnx');
  log(`imported ${fm.layers.length} layers in ${Date.now() - t} ms`);
  const r = mulberry32(13);
  const img = Float64Array.from({ length: 3 * 224 * 224 }, () => r());
  const boards = [];
  for (const linears of ['int8', 'msq4'] as const) {
    t = Date.now();
    const qm = quantizeVit(fm, [img], { linears });
    log(`quantized (${linears}) in ${Date.now() - t} ms`);
    for (const id of ['xc7z020', 'xc7z045']) {
      const board = loadBoard(id);
      const budget = dspBudget(id, board.resources.dsp48e1);
      // MSQ-4: the preset (SP2 lanes on 4-bit activations: I-ViT's INT8 activations keep every filter on the fixed
      // lanes) and the same core with SP2 lanes on 8-bit activations (a core configuration not synthesized)
      const cores = linears === 'int8' ? [{ name: 'preset', cfg: defaultCoreConfig(board) }] : [{ name: 'preset', cfg: defaultCoreConfig(board) }, { name: 'preset with sp2ActBits 8 (not synthesized)', cfg: { ...defaultCoreConfig(board), sp2ActBits: 8 } }];
      for (const core of cores) {
        t = Date.now();
        const p = lowerVit(qm, core.cfg);
        log(`${id} ${linears} ${core.name}: lowered to ${p.steps.length} steps in ${Date.now() - t} ms`);
        let fits: string = 'yes';
        try {
          checkFits(core.cfg, board);
        } catch (e) {
          fits = e instanceof Error ? e.message : String(e);
        }
        const rows = LANES.map((lanes) => {
          const lat = vitLatency(p, board, { clockMHz: 100, nlLanes: lanes });
          const byKindMs = Object.fromEntries(Object.entries(lat.byKind).map(([k, c]) => [k, Math.round(c / 1e2) / 1e3]));
          const fitsDsp = lanes <= budget.lanesThatFit;
          log(`  ${lanes} NL lanes: ${lat.ms.toFixed(2)} ms ${JSON.stringify(byKindMs)} lane use ${(100 * lat.coreLaneUse).toFixed(1)} % (fixed ${(100 * lat.fixedLaneUse).toFixed(1)} %)${fitsDsp ? '' : ' [lanes do not fit the DSP left]'}`);
          return { nlLanes: lanes, kind: 'cycle model', lanesFitBesideCoreDsp: fitsDsp, ms: Math.round(lat.ms * 1000) / 1000, met: lat.ms <= TARGET_MS[id]!, cycles: lat.cycles, gmac: Math.round(lat.macs / 1e6) / 1e3, msByKind: byKindMs, coreLaneUse: lat.coreLaneUse, fixedLaneUse: lat.fixedLaneUse };
        });
        const zero = vitLatency(p, board, { clockMHz: 100, nlLanes: 1 });
        const nlFree = zero.cycles - Object.entries(zero.byKind).filter(([k]) => k.startsWith('nl:')).reduce((a, [, c]) => a + c, 0);
        const top = zero.steps.slice().sort((a, b) => b.cycles - a.cycles).slice(0, 6).map((s) => ({ layer: s.layer, kind: s.kind, ms: s.cycles / 1e5, ddrMs: s.ddrCycles / 1e5 }));
        boards.push({ board: id, linears, core: core.name, coreConfig: core.cfg, coreFitsBoard: fits, dspBudget: budget, ddrGBps: board.ddr.deratedGBps, clockMHz: 100, targetMs: TARGET_MS[id], msWithoutNlSteps: nlFree / 1e5, rows, biggestStepsOneLane: top });
      }
    }
  }
  const out = {
    bench: 'ivit-deit', date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION, command: 'npx tsx bench/ivit-deit.ts',
    model: 'DeiT-tiny shapes (torchvision VisionTransformer 224, patch 16, 12 layers, 3 heads, dim 192, MLP 768), random weights, I-ViT INT8 activations, INT8 or MSQ-4 (fixed/SP2 at 4 bits) encoder linears',
    notes: 'latency = sum of steps (each waits for the one before); core jobs: core cycle model with DDR bound; nonlinear steps: the nonlinear vector\'s exact cycle formula (nlLanes lanes, checked in Verilator) with a DDR bound on its streams (32-bit word in, 16-bit out per element and lane); host steps (class token, position embedding, residual adds): DDR traffic only (a lower bound)',
    boards,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'ivit-deit.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
