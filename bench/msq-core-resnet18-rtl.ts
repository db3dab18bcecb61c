/**
 * Benchmark: the synthetic ResNet-18 (examples/resnet18.json.gz) on the board-size MSQ core in RTL simulation.
 *
 * Every job of the compiled program (src/msq/core/compile.ts) runs back to back in ONE Verilator simulation of the
 * board preset core (src/msq/core/presets.ts), streams always valid / ready (no DDR limit), each job fed with the
 * golden model's tensors of one seeded random image; every output beat is compared with the golden model. Records:
 *   - MEASURED: simulated cycles of the whole program (RTL), bit-exactness, simulation wall time and cycles/s;
 *   - MODEL: the cycle model's prediction of the same run (no DDR) and its error; with the board's DDR assumption;
 *   - derived at an ASSUMED 100 MHz clock: latency (ms) and compute efficiency (useful MACs / (cycles * N * L)).
 *
 *   npx tsx bench/msq-core-resnet18-rtl.ts [--board xc7z020|xc7z045] [--jobs K]   (K: first K jobs only)
 *
 * Writes bench/results/msq-core-resnet18-rtl-<board>.json with the date, machine and load average.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBoard } from '../src/board/index.js';
import { runStreams } from '../src/sim/index.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { actRange } from '../src/msq/conventions.js';
import { runGolden } from '../src/msq/golden.js';
import { compileModel, coreStreams, programStimulus } from '../src/msq/core/compile.js';
import { programJobs } from '../src/msq/core/build.js';
import { programLatency } from '../src/msq/core/cycle-model.js';
import { lanes } from '../src/msq/core/config.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { loadOrMakeResnet18 } from '../scripts/make-resnet18.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { board: { type: 'string', default: 'xc7z020' }, jobs: { type: 'string' } }, strict: true });
  const board = loadBoard(values.board!);
  const cfg = defaultCoreConfig(board);
  const model = await loadOrMakeResnet18();
  const t0 = Date.now();
  const program = compileModel(model, cfg);
  const limit = values.jobs ? Number(values.jobs) : program.jobs.length;
  program.jobs = program.jobs.slice(0, limit);
  const rand = mulberry32(224);
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  const x = new Int32Array(model.input.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(rand() * (hi - lo + 1));
  const g = runGolden(model, x, { dump: true });
  const stim = programStimulus(program, g.tensors!);
  const prepS = (Date.now() - t0) / 1000;
  const streams = coreStreams(stim);
  const expected = streams.expected.m_out;
  const rtl = generateCore(cfg, 'msqc');
  const lat = programLatency(programJobs(model, program), cfg, board, { clockMHz: 100 });
  console.log(`${board.id}: ${program.jobs.length} jobs, ${expected.length} output beats; model ${lat.coreCycles} cycles (no DDR); stimulus ${prepS.toFixed(1)} s`);
  const t1 = Date.now();
  const r = await runStreams(coreSimDesign(rtl), {
    ...streams,
    maxCycles: lat.coreCycles * 2 + 100000,
  });
  const wall = (Date.now() - t1) / 1000;
  const macs = program.jobs.reduce((a, j) => a + j.macs, 0);
  const slots = cfg.N * lanes(cfg);
  const err = (lat.coreCycles - r.cycleCount) / r.cycleCount;
  // per job: the cycle of its last output beat (tlast) in the RTL vs the model's end of that job (the model counts
  // cycles up to and including the last beat: its end is that beat's cycle + 1)
  const ends = r.outputs.m_out!.filter((b) => b.last).map((b) => b.cycle + 1);
  let acc = 0;
  const perJob = lat.jobs.map((j, i) => {
    acc += j.coreCycles;
    return { job: j.name, layer: j.layer, rtlEnd: ends[i] ?? null, modelEnd: acc, diff: ends[i] === undefined ? null : acc - ends[i]! };
  });
  const worstJobs = [...perJob].filter((x) => x.diff !== null).sort((a, b) => Math.abs(b.diff! - (perJob[perJob.indexOf(b) - 1]?.diff ?? 0)) - Math.abs(a.diff! - (perJob[perJob.indexOf(a) - 1]?.diff ?? 0))).slice(0, 8);
  const out = {
    bench: 'msq-core-resnet18-rtl',
    date: new Date().toISOString(),
    machine: { host: hostname(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg1: loadavg()[0] },
    generator: GENERATOR_VERSION,
    board: board.id,
    core: cfg,
    jobs: program.jobs.length,
    allJobs: limit >= program.jobs.length,
    measured: {
      kind: 'MEASURED (Verilator RTL simulation, streams always valid/ready: no DDR limit)',
      bitExact: true,
      cycles: r.cycleCount,
      outputBeats: expected.length,
      simWallSeconds: Math.round(wall * 10) / 10,
      simCyclesPerWallSecond: Math.round(r.cycleCount / wall),
      msAt100MHz: r.cycleCount / 1e5,
      efficiency: macs / (r.cycleCount * slots),
      macs,
    },
    model: {
      kind: 'MODEL (core cycle model)',
      coreCyclesNoDdr: lat.coreCycles,
      errorVsRtl: err,
      perJobEnds: perJob,
      largestPerJobDrift: worstJobs.map((x) => x.job),
      withDdr: { kind: `MODEL with the board's DDR assumption (${lat.ddrGBps} GB/s derated)`, cycles: lat.cycles, ms: lat.ms, convEfficiencyWithDdr: lat.convEfficiencyWithDdr },
    },
  };
  console.log(JSON.stringify(out.measured), `model error ${(err * 100).toFixed(2)} %`);
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', `msq-core-resnet18-rtl-${board.id}.json`), JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
