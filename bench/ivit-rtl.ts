/**
 * Benchmark: the whole small ViT (models/vit/vit-fashion.op17.onnx, I-ViT INT8 and MSQ-4 linears) on the MSQ core in
 * RTL, MEASURED: every core job of the model (patch conv, every linear, every per-head Q.K^T and A.V job with its
 * run-time filters) in one Verilator run with random valid/ready stalls on every stream, each job's s_act / s_res /
 * run-time filters from the golden model's tensors and every m_out beat compared with the golden model; then the
 * chained run (executeVit: each job's RTL output feeds the next job, nonlinear and host steps by the golden layer
 * functions) whose logits must equal the golden model's; Icarus on a subset (the first --icarus-jobs jobs); and every
 * nonlinear step (I-LayerNorm, Shiftmax, ShiftGELU) in one Verilator run of the nonlinear vector (--lanes lanes of the
 * preset cores' unit) with random stalls, each result equal to the golden model's tensor (bench/ivit-nl-vec.ts).
 * Core: the test configuration of test/vit-lower.test.ts (smallCoreConfig; Verilator build shared via the cache).
 *
 *   npx tsx bench/ivit-rtl.ts [--images 2] [--icarus-jobs 6] [--lanes 4]
 *
 * Writes bench/results/ivit-rtl.json.
 */
import { readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runStreams } from '../src/sim/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { loadCalibSet, loadEvalSet } from '../src/data/datasets.js';
import { runGolden } from '../src/msq/golden.js';
import { importOnnx } from '../src/msq/onnx.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { coreStreams, type JobExecutor } from '../src/msq/core/compile.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit } from '../src/msq/vit/lower.js';
import { executeVit, vitStimulus } from '../src/msq/vit/execute.js';
import { CORE_NL_UNIT } from '../src/msq/core/rtl/nl-config.js';
import { nlStepsOnVector } from './ivit-nl-vec.js';

const cfg = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });
const STALLS = { validProb: { s_wgt: 0.7, s_act: 0.6, s_res: 0.5 }, readyProb: 0.6 };
const log = (s: string): void => void process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { images: { type: 'string', default: '2' }, 'icarus-jobs': { type: 'string', default: '6' }, lanes: { type: 'string', default: '4' } }, strict: true });
  const lanes = Number(values.lanes);
  const nImages = Number(values.images);
  const icJobs = Number(values['icarus-jobs']);
  const { model: fm } = importOnnx(readFileSync(join(PROJECT_ROOT, 'models', 'vit', 'vit-fashion.op17.onnx')), 'vit-fashion.op17.onnx');
  const calib = loadCalibSet('fashion-mnist', 64).images.map((im) => Float64Array.from(im, (p) => p / 255));
  const ev = loadEvalSet('fashion-mnist', undefined, nImages);
  const design = coreSimDesign(generateCore(cfg));
  const rows = [];
  for (const linears of ['int8', 'msq4'] as const) {
    const qm = quantizeVit(fm, calib, { linears });
    const p = lowerVit(qm, cfg);
    for (let i = 0; i < nImages; i++) {
      const x = Int32Array.from(ev.images[i]!);
      const g = runGolden(qm, x, { dump: true });
      const { jobs, stim } = vitStimulus(p, g.tensors!);
      const streams = coreStreams(stim);
      let t0 = Date.now();
      // runStreams compares every m_out beat with the expected ones and throws on the first mismatch
      const res = await runStreams(design, { ...streams, seed: 11 + i, ...STALLS, maxCycles: 100_000_000 });
      const allJobs = (res.outputs.m_out ?? []).length === streams.expected.m_out.length;
      const verilatorS = (Date.now() - t0) / 1000;
      // chained: each job's RTL output is the next job's input
      t0 = Date.now();
      let seed = 100 + i;
      const exec: JobExecutor = async (wgt, act, resBeats, job) => {
        const s = coreStreams([{ wgt, act, res: resBeats, expectedOut: [] }]);
        const r = await runStreams(design, { inputs: s.inputs, expect: { m_out: job.spec.outH * job.spec.outW * job.spec.coutGroups }, seed: seed++, ...STALLS, maxCycles: 20_000_000 });
        return (r.outputs.m_out ?? []).map((b) => b.data);
      };
      const t = await executeVit(p, x, exec);
      const outName = qm.output ?? qm.layers.at(-1)!.name;
      const logits = Array.from(t.get(outName)!);
      const chained = logits.length === g.output.data.length && logits.every((v, k) => v === g.output.data[k]);
      const chainedS = (Date.now() - t0) / 1000;
      let icarus: Record<string, unknown> | undefined;
      if (i === 0 && icJobs > 0) {
        const sub = coreStreams(stim.slice(0, icJobs));
        t0 = Date.now();
        const r = await runStreams(design, { ...sub, sim: 'icarus', seed: 3, ...STALLS, maxCycles: 50_000_000 });
        const o = r.outputs.m_out ?? [];
        icarus = { jobs: Math.min(icJobs, stim.length), layers: [...new Set(jobs.slice(0, icJobs).map((j) => j.spec.layer))], beats: o.length, bitExact: o.length === sub.expected.m_out.length, cycles: r.cycles, wallSeconds: Math.round((Date.now() - t0) / 1000) };
      }
      const nlVector = await nlStepsOnVector({ ...p, nl: CORE_NL_UNIT }, g.tensors!, { unit: CORE_NL_UNIT, lanes }, 31 + i);
      const row = { linears, image: i, jobs: jobs.length, outBeats: streams.expected.m_out.length, cycles: res.cycles, allJobsBitExact: allJobs, verilatorSeconds: verilatorS, chainedLogitsEqualGolden: chained, chainedSeconds: chainedS, ...(icarus ? { icarus } : {}), nlVector };
      log(JSON.stringify(row));
      rows.push(row);
    }
  }
  const out = {
    bench: 'ivit-rtl', date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION, command: `npx tsx bench/ivit-rtl.ts --images ${nImages} --icarus-jobs ${icJobs} --lanes ${lanes}`,
    core: cfg, stalls: STALLS, kind: 'Verilator / Icarus (measured), against the golden model', rows,
    allBitExact: rows.every((r) => r.allJobsBitExact && r.chainedLogitsEqualGolden && r.nlVector.allBitExact && (!('icarus' in r) || (r.icarus as { bitExact: boolean }).bitExact)),
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'ivit-rtl.json'), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
