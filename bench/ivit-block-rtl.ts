/**
 * Benchmark: one encoder block with DeiT-tiny's shapes (dim 192, 3 heads of 64, MLP 768, patch 16; --image 224 gives
 * DeiT's 197 tokens, smaller images fewer tokens; seeded random weights, src/msq/vit/block-model.ts) in RTL,
 * MEASURED against the golden model with random valid/ready stalls on every stream:
 *   1. every core job (patch conv, QKV, per-head Q.K^T and A.V with run-time filters, projection, MLP, classifier) in
 *      one Verilator run of the MSQ core (the default smallCoreConfig: N 16, Pf 2, Ps 3, Rq 2);
 *   2. every nonlinear step (I-LayerNorm x 3, Shiftmax, ShiftGELU; src/msq/vit/nl-jobs.ts) in one Verilator run of the
 *      nonlinear vector (--lanes lanes of the preset cores' unit CORE_NL_UNIT), each result read back into its tensor
 *      and compared with the golden model's.
 * The residual adds, class token and position embedding are host steps (the golden layer functions).
 *
 *   npx tsx bench/ivit-block-rtl.ts [--image 224] [--lanes 4] [--linears int8|msq4]
 *
 * Writes bench/results/ivit-block-rtl.json.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runStreams } from '../src/sim/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { runGolden } from '../src/msq/golden.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { coreStreams } from '../src/msq/core/compile.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { CORE_NL_UNIT } from '../src/msq/core/rtl/nl-config.js';
import { vitBlockModel } from '../src/msq/vit/block-model.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit } from '../src/msq/vit/lower.js';
import { vitStimulus } from '../src/msq/vit/execute.js';
import { nlStepsOnVector } from './ivit-nl-vec.js';

/** The default small core (smallCoreConfig: N 16, Pf 2, Ps 3; DeiT's 224² patch conv needs its wDepth 256 and kMax 4096). */
const cfg = smallCoreConfig();
const STALLS = { validProb: { s_wgt: 0.7, s_act: 0.6, s_res: 0.5 }, readyProb: 0.6 };
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { image: { type: 'string', default: '224' }, lanes: { type: 'string', default: '4' }, linears: { type: 'string', default: 'int8' } }, strict: true });
  const image = Number(values.image);
  const lanes = Number(values.lanes);
  const linears = values.linears === 'msq4' ? 'msq4' : 'int8';
  const shape = { channels: 3, image, patch: 16, dim: 192, heads: 3, mlp: 768, classes: 10 };
  const fm = vitBlockModel(shape, 13);
  const r = mulberry32(5);
  const px = 3 * image * image;
  const calib = Array.from({ length: 4 }, () => Float64Array.from({ length: px }, () => r()));
  let t = Date.now();
  const qm = quantizeVit(fm, calib, { linears });
  const p = { ...lowerVit(qm, cfg), nl: CORE_NL_UNIT };
  const x = Int32Array.from({ length: px }, () => Math.floor(r() * 256));
  const g = runGolden(qm, x, { dump: true });
  log(`quantized, lowered (${p.steps.length} steps), golden in ${Date.now() - t} ms`);
  // 1. core jobs
  t = Date.now();
  const { jobs, stim } = vitStimulus(p, g.tensors!);
  const streams = coreStreams(stim);
  log(`${jobs.length} core jobs, ${streams.expected.m_out.length} output beats; Verilator...`);
  const core = await runStreams(coreSimDesign(generateCore(cfg)), { ...streams, seed: 17, ...STALLS, maxCycles: 2_000_000_000 });
  const coreOk = core.outputs.m_out!.length === streams.expected.m_out.length;
  const coreSec = Math.round((Date.now() - t) / 1000);
  log(`core jobs bit-exact: ${coreOk}, ${core.cycleCount} cycles with stalls, ${coreSec} s`);
  // 2. nonlinear steps on the vector
  const nl = await nlStepsOnVector(p, g.tensors!, { unit: CORE_NL_UNIT, lanes }, 21);
  log(`nonlinear steps: ${JSON.stringify(nl.steps)}, ${nl.cyclesWithStalls} cycles with stalls, ${nl.wallSeconds} s`);
  const out = {
    bench: 'ivit-block-rtl', date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION, command: `npx tsx bench/ivit-block-rtl.ts --image ${image} --lanes ${lanes} --linears ${linears}`,
    kind: 'Verilator (measured), against the golden model, random valid/ready stalls',
    model: { ...shape, tokens: (image / 16) ** 2 + 1, linears, weights: 'seeded random (vitBlockModel seed 13)' },
    core: { config: cfg, jobs: jobs.length, outBeats: streams.expected.m_out.length, cyclesWithStalls: core.cycleCount, stalls: STALLS, allBeatsBitExact: coreOk, wallSeconds: coreSec },
    nlVector: nl,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'ivit-block-rtl.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
