/**
 * Benchmark: the streaming CCL core at 512×512 — the issue's targets.
 *
 *   npx tsx bench/ccl-fps.ts [--designs 8x4,8x8,1x1] [--no-synth] [--frames 3] [--per-image] [--out ccl-fps]
 *
 * Pixel-exact designs (C = 1, P > 1: the run labeler) also get a full frame and the run-dense worst cases (pixel
 * checkerboard, 1-pixel vertical stripes, 50 % pixel noise) in the frame pool; --per-image records each image's own steady-state period (the image twice back to back), --out the result
 * file name (bench/results/<out>.json).
 *
 * For each design (C×P): generate the core (N = 1024, gray8, 8-connectivity), synthesize it for the XC7Z020 with
 * yosys (resources and an fmax ESTIMATE — no place & route), simulate frames back to back on Verilator without
 * stalls (bit-exact against the golden model), and record
 *  - the measured frame period in cycles (between end-of-frame records of back-to-back frames) next to the cycle
 *    model, and the frames per second ESTIMATED as fmax_est / period;
 *  - on-chip storage bits against a 512×512×10-bit full-frame label buffer (target ≤ 5%);
 *  - the Verilator wall time per 512×512 frame (target: well under a second).
 * Results with date and machine: bench/results/ccl-fps.json.
 *
 *   npx tsx bench/ccl-fps.ts --designs 1x8 --no-sim [--periods-from ccl-fps-pixel-exact] --out ccl-fps-pixel-exact-synth
 *
 * --no-sim: synthesis only (resources, fmax estimate); --periods-from NAME takes each image's measured period of the
 * same design from bench/results/NAME.json (a --per-image run) and records fps = fmax estimate / period per image.
 *
 *   npx tsx bench/ccl-fps.ts --classes 6 [--designs 8x4] [--color-bits 1] [--third-moments] [--frames 3]
 *
 * The multi-class core (rtl/multi.ts): K colour classes (the six SCENE_PALETTE colours as RGB boxes, K ≤ 6) over
 * rgb24 512×512 scenes, bit-exact against the golden labelClasses; resources of the whole core and of one class
 * channel (`<core>_channel` synthesized alone) and memory per channel. Results: bench/results/ccl-fps-classes.json
 * (with --third-moments, the cores summing Σx³, Σx²y, Σxy², Σy³ as the tracker's recognition uses them:
 * bench/results/ccl-fps-classes-third-c<q>.json).
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { makeCclConfig, type CellSize } from '../src/ccl/config.js';
import { generateCclRtl, generateCclMultiRtl, cclCycleModel, cclMemoryModel } from '../src/ccl/rtl/index.js';
import { labelClassFramesWithRtl } from '../src/ccl/rtl-run.js';
import { classChannel, labelClasses, parseClasses } from '../src/ccl/classes.js';
import { diffResults } from '../src/ccl/golden.js';
import { colorScene, SCENE_PALETTE } from '../src/ccl/patterns.js';
import { cellNoise } from '../src/ccl/rtl/testvectors.js';
import { checkRtlFrames } from '../src/ccl/rtl/testvectors.js';
import { blobs, spiral, noise, full, checkerboard, liveStripes, maxLiveStripes } from '../src/ccl/patterns.js';
import type { RasterImage } from '../src/image/io.js';
import { synthesize } from '../src/synth/index.js';
import { simulatorVersions } from '../src/sim/index.js';

const { values } = parseArgs({
  options: {
    designs: { type: 'string', default: '8x4,8x8,16x16,4x4,1x1' },
    'no-synth': { type: 'boolean' },
    frames: { type: 'string', default: '3' },
    classes: { type: 'string', default: '0' },
    'color-bits': { type: 'string', default: '1' },
    'third-moments': { type: 'boolean' },
    'per-image': { type: 'boolean' },
    'no-sim': { type: 'boolean' },
    'periods-from': { type: 'string' },
    out: { type: 'string', default: 'ccl-fps' },
  },
});

const W = 512, H = 512, N = 1024;
const K = Number(values.classes);
if (K > 0) {
  await classesBench();
  process.exit(0);
}
const rows: Record<string, unknown>[] = [];
for (const d of values.designs!.split(',')) {
  const [c, p] = d.split('x').map(Number) as [number, number];
  const cfg = makeCclConfig({ width: W, height: H, cell: c as CellSize, maxObjects: N });
  const rtl = generateCclRtl(cfg, { ppc: p });
  const model = cclCycleModel(rtl.params);
  const mem = cclMemoryModel(rtl.params);
  process.stdout.write(`C=${c} P=${p}: `);
  let synth: Awaited<ReturnType<typeof synthesize>> | null = null;
  if (!values['no-synth']) {
    synth = await synthesize({ files: rtl.files, top: rtl.top });
    process.stdout.write(`fmax est ${synth.timing.estFmaxMHz} MHz, ${synth.resources.lut.total} LUT, ${synth.resources.ff} FF, ${synth.resources.dsp48e1} DSP, ${synth.resources.bram36Equivalent} BRAM36, ${synth.resources.lutram} LUTRAM; `);
  }
  if (values['no-sim']) {
    rows.push(synthOnlyRow(c, p, rtl.params.Nt, mem, model, synth));
    process.stdout.write('\n');
    continue;
  }
  // frames: textured blobs, cell-level noise (many objects, merges), spiral; then the first again
  const nFrames = Number(values.frames);
  const pool = [
    { name: 'blobs', image: blobs(W, H, 40, { seed: 3 }) },
    { name: 'cellNoise45', image: cellNoise(cfg, 0.45, 7) },
    { name: 'spiral', image: spiral(W, H, c) },
    { name: 'noise10', image: noise(W, H, 0.1, { seed: 5 }) },
  ];
  if (c === 1 && p > 1) {
    // the run-dense worst cases: a run every other pixel (checkerboard, 1-pixel stripes), pixel noise at 50 %
    pool.push({ name: 'full', image: full(W, H) }, { name: 'pixelChecker', image: checkerboard(W, H, 1) },
      { name: 'stripes1', image: liveStripes(W, H, 1, maxLiveStripes(W, 1)) }, { name: 'noise50', image: noise(W, H, 0.5, { seed: 9 }) });
  }
  const frames = Array.from({ length: nFrames }, (_, i) => pool[i % pool.length]!);
  const t0 = Date.now();
  const { checks, run } = await checkRtlFrames(cfg, frames, { ppc: p });
  const wallMs = Date.now() - t0;
  const bad = checks.filter((x) => x.diff);
  if (bad.length) throw new Error(`C=${c} P=${p}: RTL differs from golden: ${bad.map((b) => `${b.name}: ${b.diff}`).join('; ')}`);
  const eof = run.frames.map((f) => f.eofCycle);
  const periods = eof.slice(1).map((e, i) => e - eof[i]!);
  // steady-state frame period = input cycles per frame (the source offers a word every cycle; any excess is the
  // core holding s_tready low); EOF-to-EOF distances vary with each frame's flush and are recorded beside it
  const inputCyclesPerFrame = (run.lastInputCycle + 1) / nFrames;
  const period = Math.ceil(inputCyclesPerFrame);
  const eofLatency = eof[eof.length - 1]! - run.lastInputCycle;
  const fmax = synth?.timing.estFmaxMHz ?? null;
  const row = {
    cell: c, ppc: p, maxObjects: N, labelTable: rtl.params.Nt,
    objectsPerFrame: checks.map((x) => `${x.name}:${x.golden.objects.length}`),
    bitExact: true,
    inputCyclesPerFrame, eofToEofCycles: periods, lastEofAfterLastPixelCycles: eofLatency,
    modelPixelCycles: model.pixelCyclesPerFrame,
    modelWorstCycles: model.framePeriodWorst,
    memory: mem,
    synth: synth ? {
      fmaxMHzEstimate: fmax, lut: synth.resources.lut.total, ff: synth.resources.ff, dsp: synth.resources.dsp48e1,
      bram36: synth.resources.bram36Equivalent, lutram: synth.resources.lutram, synthWallMs: synth.wallTimeMs,
    } : null,
    fpsEstimateMeasuredPeriod: fmax ? Math.floor((fmax * 1e6) / period) : null,
    fpsEstimateWorstCaseImage: fmax ? Math.floor((fmax * 1e6) / model.framePeriodWorst) : null,
    verilator: { buildMs: Math.round(run.buildMs), runMsAllFrames: Math.round(run.runMs), runMsPerFrame: Math.round(run.runMs / nFrames), endToEndMs: wallMs },
  };
  if (values['per-image']) Object.assign(row, { perImage: await perImage(cfg, p, pool, fmax) });
  rows.push(row);
  process.stdout.write(`period ${period} cycles (model ${model.pixelCyclesPerFrame}..${model.framePeriodWorst}), `
    + `${row.fpsEstimateMeasuredPeriod ?? '-'} fps est, memory ${mem.percentOfFullFrame}% of full frame, `
    + `sim ${row.verilator.runMsPerFrame} ms/frame\n`);
}

const flags = `${values['no-synth'] ? ' --no-synth' : ''}${values['no-sim'] ? ' --no-sim' : ` --frames ${values.frames}`}${values['per-image'] ? ' --per-image' : ''}`
  + `${values['periods-from'] ? ` --periods-from ${values['periods-from']}` : ''}${values.out !== 'ccl-fps' ? ` --out ${values.out}` : ''}`;
await writeResult(values.out!, '512x512 streaming CCL core: resources, ESTIMATED fmax (yosys, no P&R) and fps, on-chip memory vs a 512x512x10-bit label buffer, Verilator time per frame',
  `npx tsx bench/ccl-fps.ts --designs ${values.designs}${flags}`,
  'fps figures are ESTIMATES: yosys post-synthesis fmax estimate (7-series -1 delay model, no placement/routing) divided by the frame period in cycles measured in simulation (input cycles per frame, frames back to back, the source never stalling: any excess over W*H/P is the core holding s_tready low). fpsEstimateWorstCaseImage uses the cycle model worst case. Verilator run times are wall times on a shared 2-core machine (loadavg recorded) and include writing stimulus and reading records.',
  rows);

/** A synthesis-only row; with --periods-from, fps estimates from the measured periods of an earlier run. */
function synthOnlyRow(c: number, p: number, labelTable: number, mem: unknown, model: ReturnType<typeof cclCycleModel>, synth: Awaited<ReturnType<typeof synthesize>> | null) {
  const fmax = synth?.timing.estFmaxMHz ?? null;
  const row: Record<string, unknown> = {
    cell: c, ppc: p, maxObjects: N, labelTable, memory: mem, modelPixelCycles: model.pixelCyclesPerFrame, modelWorstCycles: model.framePeriodWorst,
    synth: synth ? { ...synthSummary(synth), criticalPath: { levels: synth.timing.levels, startType: synth.timing.startType, endType: synth.timing.endType, breakdown: synth.timing.breakdown } } : null,
  };
  const from = values['periods-from'];
  if (from && fmax) {
    const prev = JSON.parse(readFileSync(join(PROJECT_ROOT, 'bench', 'results', `${from}.json`), 'utf8')) as { date: string; results: Array<{ cell: number; ppc: number; perImage?: Array<{ image: string; objects: number; periodCycles: number }> }> };
    const r = prev.results.find((x) => x.cell === c && x.ppc === p);
    if (!r?.perImage) throw new Error(`--periods-from ${from}: no per-image periods for C=${c} P=${p}`);
    row.periodsFrom = { file: `bench/results/${from}.json`, date: prev.date };
    row.perImage = r.perImage.map((x) => ({ ...x, fpsEstimate: Math.floor((fmax * 1e6) / x.periodCycles) }));
    for (const x of row.perImage as Array<{ image: string; periodCycles: number; fpsEstimate: number }>) process.stdout.write(`  ${x.image}: ${x.periodCycles} cycles, ${x.fpsEstimate} fps est\n`);
  }
  return row;
}

/**
 * Steady-state frame period of each image alone: the image twice back to back (the source never stalls), the
 * period = input cycles of the pair / 2; every frame bit-exact against the golden model.
 */
async function perImage(cfg: ReturnType<typeof makeCclConfig>, p: number, pool: Array<{ name: string; image: RasterImage }>, fmax: number | null) {
  const out: Record<string, unknown>[] = [];
  for (const f of pool) {
    const { checks, run } = await checkRtlFrames(cfg, [f, f], { ppc: p });
    const bad = checks.filter((x) => x.diff);
    if (bad.length) throw new Error(`P=${p} ${f.name}: RTL differs from golden: ${bad[0]!.diff}`);
    const period = Math.ceil((run.lastInputCycle + 1) / 2);
    out.push({ image: f.name, objects: checks[0]!.golden.objects.length, periodCycles: period, fpsEstimate: fmax ? Math.floor((fmax * 1e6) / period) : null });
    process.stdout.write(`  ${f.name}: ${period} cycles${fmax ? `, ${Math.floor((fmax * 1e6) / period)} fps est` : ''}\n`);
  }
  return out;
}

/** Write bench/results/<name>.json with date, machine and tool versions. */
async function writeResult(name: string, what: string, command: string, notes: string, results: unknown[]): Promise<void> {
  const result = {
    benchmark: name, what, command,
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, host: hostname(), node: process.version, loadavg1m: loadavg()[0] },
    tools: await simulatorVersions(),
    generatorVersion: GENERATOR_VERSION,
    notes,
    results,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote bench/results/${name}.json\n`);
}

function synthSummary(r: Awaited<ReturnType<typeof synthesize>>) {
  return {
    fmaxMHzEstimate: r.timing.estFmaxMHz, lut: r.resources.lut.total, ff: r.resources.ff, dsp: r.resources.dsp48e1,
    bram36: r.resources.bram36Equivalent, lutram: r.resources.lutram, synthWallMs: r.wallTimeMs,
  };
}

/** The multi-class core at 512×512: K classes, resources per channel, fps estimate, bit-exact check. */
async function classesBench(): Promise<void> {
  if (K > SCENE_PALETTE.length) throw new Error(`--classes: at most ${SCENE_PALETTE.length} palette classes`);
  const classes = parseClasses({
    classes: SCENE_PALETTE.slice(0, K).map((c, k) => ({
      name: `c${k}`, rgbLo: c.map((v) => (v > 128 ? 170 : 0)), rgbHi: c.map((v) => (v > 128 ? 255 : 85)),
    })),
  });
  const designs = values.designs === '8x4,8x8,16x16,4x4,1x1' ? '8x4' : values.designs!;
  const out: Record<string, unknown>[] = [];
  for (const d of designs.split(',')) {
    const [c, p] = d.split('x').map(Number) as [number, number];
    const cfg = makeCclConfig({ width: W, height: H, cell: c as CellSize, maxObjects: N, pixelFormat: 'rgb24', colorBits: Number(values['color-bits']), thirdMoments: values['third-moments'] ?? false });
    const rtl = generateCclMultiRtl(cfg, classes, { ppc: p });
    const ch = rtl.params.ch;
    const model = cclCycleModel(ch);
    const mem = cclMemoryModel(ch);
    process.stdout.write(`K=${K} C=${c} P=${p}: `);
    let whole = null, channel = null;
    if (!values['no-synth']) {
      whole = synthSummary(await synthesize({ files: rtl.files, top: rtl.top }));
      channel = synthSummary(await synthesize({ files: rtl.files, top: `${rtl.top}_channel` }));
      process.stdout.write(`whole core fmax est ${whole.fmaxMHzEstimate} MHz ${whole.lut} LUT ${whole.ff} FF ${whole.dsp} DSP ${whole.bram36} BRAM36 ${whole.lutram} LUTRAM; `
        + `one channel ${channel.lut} LUT ${channel.ff} FF ${channel.dsp} DSP ${channel.bram36} BRAM36 ${channel.lutram} LUTRAM; `);
    }
    const nFrames = Number(values.frames);
    const images = Array.from({ length: nFrames }, (_, i) => colorScene(W, H, 40, { seed: 11 + i }));
    const t0 = Date.now();
    const run = await labelClassFramesWithRtl(images, cfg, classes, { ppc: p });
    const wallMs = Date.now() - t0;
    const objects: number[] = [];
    images.forEach((img, f) => {
      const want = labelClasses(img, cfg, classes);
      objects.push(want.objects.length);
      for (let k = 0; k < K; k++) {
        const diff = diffResults(classChannel(want, k), classChannel(run.results[f]!, k));
        if (diff) throw new Error(`K=${K} C=${c} P=${p} frame ${f} class ${k}: RTL differs from golden: ${diff}`);
      }
    });
    const period = Math.ceil((run.lastInputCycle + 1) / nFrames);
    const fmax = whole?.fmaxMHzEstimate ?? null;
    const row = {
      classes: K, cell: c, ppc: p, colorBits: cfg.colorBits, thirdMoments: cfg.thirdMoments, maxObjects: N, labelTable: ch.Nt, objectsPerFrame: objects, bitExact: true,
      inputCyclesPerFrame: (run.lastInputCycle + 1) / nFrames, modelPixelCycles: model.pixelCyclesPerFrame, modelWorstCycles: model.framePeriodWorst,
      memoryPerChannel: mem, memoryAllChannelsBits: K * mem.totalBits,
      synthWholeCore: whole, synthOneChannel: channel,
      fpsEstimateMeasuredPeriod: fmax ? Math.floor((fmax * 1e6) / period) : null,
      fpsEstimateWorstCaseImage: fmax ? Math.floor((fmax * 1e6) / model.framePeriodWorst) : null,
      verilator: { buildMs: Math.round(run.buildMs), runMsPerFrame: Math.round(run.runMs / nFrames), endToEndMs: wallMs },
    };
    out.push(row);
    process.stdout.write(`period ${period} cycles, ${row.fpsEstimateMeasuredPeriod ?? '-'} fps est (worst image ${row.fpsEstimateWorstCaseImage ?? '-'}), `
      + `memory ${mem.totalBits} bits per channel (${mem.percentOfFullFrame}% of a full-frame label buffer), sim ${row.verilator.runMsPerFrame} ms/frame\n`);
  }
  const third = values['third-moments'] ?? false;
  await writeResult(values.out !== 'ccl-fps' ? values.out! : third ? `ccl-fps-classes-third-c${values['color-bits']}` : 'ccl-fps-classes',
    '512x512 multi-class CCL core (K colour classes in one pass): resources of the core and of one class channel, ESTIMATED fmax (yosys, no P&R) and fps, memory per channel',
    `npx tsx bench/ccl-fps.ts --classes ${K} --designs ${designs} --color-bits ${values['color-bits']}${third ? ' --third-moments' : ''}${values['no-synth'] ? ' --no-synth' : ''} --frames ${values.frames}${values.out !== 'ccl-fps' ? ` --out ${values.out}` : ''}`,
    'fps figures are ESTIMATES: the yosys fmax estimate of the whole multi-class core (7-series -1 delay model, no placement/routing) divided by the input cycles per frame measured in simulation (frames back to back, no stalls). Resources are yosys synth_xilinx estimates; "one channel" is <core>_channel synthesized alone.',
    out);
}
