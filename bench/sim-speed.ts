/**
 * Benchmark: clock rate of the Verilator C++ driver (src/sim) on a small design — the streaming MAC of
 * src/sim/example-mac.ts (w=8, 20-bit accumulator) — with and without random stalls; Icarus for comparison.
 * Records the figures with date and machine in bench/results/sim-speed.json.
 *
 *   npx tsx bench/sim-speed.ts [--beats 2000000] [--icarus-beats 50000]
 *
 * Figures: cycles per CPU second of the driver's clock loop (measured inside the driver with
 * CLOCK_PROCESS_CPUTIME_ID, so other jobs on a shared machine do not distort it), the same per wall second, and
 * end-to-end beats per second of runStreams (writing stimulus, simulating, reading and checking responses). Icarus
 * has no in-process timer: its figure is cycles per wall second of the whole vvp process. Builds are cached and
 * not timed here.
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { runStreams, simulatorVersions, toUnsigned, type Beat, type RunResult } from '../src/sim/index.js';
import { macDesign, macGolden } from '../src/sim/example-mac.js';

const W = 8;
const ACC = 20;

function workload(n: number): { inputs: Beat[]; expected: Beat[] } {
  let x = 12345;
  const pairs: [bigint, bigint][] = [];
  const lasts: boolean[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const a = BigInt(((x >>> 0) & 0xff) - 128);
    const b = BigInt(((x >>> 8) & 0xff) - 128);
    pairs.push([a, b]);
    lasts.push((i & 7) === 7 || i === n - 1);
  }
  const inputs = pairs.map(([a, b], i) => ({ data: (toUnsigned(b, W) << BigInt(W)) | toUnsigned(a, W), last: lasts[i] }));
  const expected = macGolden(pairs, lasts, 0n, ACC).map((data) => ({ data }));
  return { inputs, expected };
}

interface Row {
  sim: string;
  case: string;
  beats: number;
  cycles: number;
  loopCpuMs?: number;
  loopWallMs?: number;
  simProcessMs: number;
  endToEndMs: number;
  mCyclesPerCpuSecond?: number;
  mCyclesPerWallSecond: number;
  endToEndBeatsPerSecond: number;
}

function row(r: RunResult, name: string, beats: number): Row {
  const out: Row = {
    sim: r.sim,
    case: name,
    beats,
    cycles: r.cycles,
    simProcessMs: +r.simMs.toFixed(1),
    endToEndMs: +r.runMs.toFixed(1),
    mCyclesPerWallSecond: +(r.cycles / (r.loop ? r.loop.wallMs : r.simMs) / 1e3).toFixed(3),
    endToEndBeatsPerSecond: Math.round(beats / (r.runMs / 1e3)),
  };
  if (r.loop) {
    out.loopCpuMs = +r.loop.cpuMs.toFixed(1);
    out.loopWallMs = +r.loop.wallMs.toFixed(1);
    out.mCyclesPerCpuSecond = +(r.cycles / r.loop.cpuMs / 1e3).toFixed(3);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { beats: { type: 'string', default: '2000000' }, 'icarus-beats': { type: 'string', default: '50000' } },
    strict: true,
  });
  const beats = Number(values.beats);
  const icarusBeats = Number(values['icarus-beats']);
  const design = macDesign(W, ACC);
  const cases = [
    { name: 'no stalls', validProb: 1, readyProb: 1 },
    { name: 'stalls valid 0.7 / ready 0.6', validProb: 0.7, readyProb: 0.6 },
  ];
  const rows: Row[] = [];
  // Warm the build caches (not timed).
  const warm = workload(16);
  for (const sim of ['verilator', 'icarus'] as const) {
    await runStreams(design, { sim, inputs: { x: warm.inputs }, expected: { y: warm.expected }, constValues: { init: 0n } });
  }
  for (const [sim, n] of [['verilator', beats], ['icarus', icarusBeats]] as const) {
    const w = workload(n);
    for (const c of cases) {
      const r = await runStreams(design, {
        sim,
        inputs: { x: w.inputs },
        expected: { y: w.expected },
        constValues: { init: 0n },
        validProb: c.validProb,
        readyProb: c.readyProb,
        seed: 1,
      });
      const x = row(r, c.name, n);
      rows.push(x);
      process.stdout.write(`${JSON.stringify(x)}\n`);
    }
  }
  const result = {
    benchmark: 'sim-speed',
    what: `Verilator driver clock rate on ${design.top} (streaming signed MAC, 16-bit in / ${ACC}-bit out, 2 pipeline stages), Icarus for comparison`,
    command: 'npx tsx bench/sim-speed.ts',
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, host: hostname(), node: process.version, loadavg1m: loadavg()[0] },
    tools: await simulatorVersions(),
    generatorVersion: GENERATOR_VERSION,
    notes:
      'mCyclesPerCpuSecond: clock cycles simulated per CPU second of the driver loop (Verilator, in-process timer). ' +
      'mCyclesPerWallSecond: per wall second (Verilator: loop only; Icarus: whole vvp process incl. start-up). ' +
      'endToEndBeatsPerSecond: input beats per wall second of runStreams incl. stimulus/response files and checking. ' +
      'Shared 2-core machine: wall figures depend on load (loadavg recorded).',
    results: rows,
  };
  await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'sim-speed.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write('wrote bench/results/sim-speed.json\n');
}

await main();
