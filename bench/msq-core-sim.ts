/**
 * Benchmark: Verilator simulation speed of the MSQ core (src/msq/core) — issue 4's target "Verilator speed of the
 * XC7Z020-size engine >= 1 M cycles/s". Records bench/results/msq-core-sim.json with date, machine and load.
 *
 *   npx tsx bench/msq-core-sim.ts [--core xc7z020|small|both] [--h 56] [--w 56] [--small-h 14] [--small-w 14]
 *                                 [--repeat 3] [--rtl-dir DIR --label TEXT] [--config JSON] [--out FILE]
 *
 * Workload: a random one-layer ResNet-like model (3x3 conv, 64 -> 64 channels, stride 1, pad 1, 4-bit fixed and SP2
 * filters in the core's Pf : Ps ratio, 8-bit unsigned input), compiled to a job program (row bands of the 56-wide
 * map), streamed with no stalls; every output beat is checked against the golden model inside the simulator.
 * Figures (the build is cached and excluded):
 *   - loop: cycles per CPU second and per wall second of the driver's clock loop alone (in-process timers, after the
 *     stimulus files are parsed): the simulator speed;
 *   - process: cycles per wall second of the whole Vsim process (incl. reading stimulus / writing responses);
 *   - lane utilization: useful MACs / (cycles x N x (Pf + Ps)) over the run.
 * The XC7Z020 core is the board preset (src/msq/core/presets.ts); the small test core is smallCoreConfig().
 * `--config '{"N":16,"Pf":24,...}'` overrides fields of the chosen core's configuration (checked by checkCoreConfig).
 * Each case runs `--repeat` times on the same (cached) binary; the best CPU time is the figure (the machine is shared,
 * so CPU time varies by +-15 % between runs), every run is recorded.
 *
 * `--rtl-dir DIR` simulates the Verilog files of DIR (a hand-edited copy of the generated core, same top and ports)
 * instead of generateCore's output, to measure an RTL change before it is made in the generator; `--label` names it
 * in the results. Such rows say `rtl: "hand-edited: <label>"`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { UserError } from '../src/util/errors.js';
import { runStreams, simulatorVersions, type Beat, type RunResult } from '../src/sim/index.js';
import { runGolden } from '../src/msq/golden.js';
import { randomInput, randomLayerModel } from '../src/msq/rtl/random-layer.js';
import { checkCoreConfig, lanes, smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { compileModel, programStimulus, programTotals } from '../src/msq/core/compile.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl.js';
import { loadBoard } from '../src/board/index.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';

interface CoreCase {
  name: string;
  cfg: CoreConfig;
  h: number;
  w: number;
  repeat: number;
  /** folder of hand-edited Verilog replacing the generated files */
  rtlDir?: string;
  label?: string;
}

interface Run {
  loopCpuMs: number;
  loopWallMs: number;
  simProcessMs: number;
  endToEndMs: number;
  loadavg1m: number;
}

interface Row {
  core: string;
  rtl: string;
  cfg: CoreConfig;
  layer: string;
  jobs: number;
  beats: { wgt: number; act: number; out: number };
  cycles: number;
  cycleCount: number;
  macs: number;
  laneUtilization: number;
  buildMs: number;
  cached: boolean;
  /** best run (least loop CPU time) */
  kCyclesPerCpuSecond: number;
  kCyclesPerWallSecond: number;
  kCyclesPerProcessWallSecond: number;
  runs: Run[];
}

const toBeats = (xs: bigint[]): Beat[] => xs.map((data) => ({ data }));

async function measure(c: CoreCase): Promise<Row> {
  const cfg = c.cfg;
  const L = lanes(cfg);
  const spec = {
    op: 'conv2d' as const, cin: 64, h: c.h, w: c.w, cout: 64, k: [3, 3] as [number, number], stride: [1, 1] as [number, number],
    pad: [1, 1, 1, 1] as [number, number, number, number], sp2Fraction: cfg.Ps / L, inBits: 8, inSigned: false,
    outBits: 8, outSigned: false, fixedBits: 4, sp2Bits: cfg.m,
  };
  const model = randomLayerModel(spec, 1);
  const program = compileModel(model, cfg);
  const g = runGolden(model, randomInput(model, 1), { dump: true });
  const stim = programStimulus(program, g.tensors!);
  const wgt = stim.flatMap((s) => s.wgt);
  const act = stim.flatMap((s) => s.act);
  const res = stim.flatMap((s) => s.res);
  const out = stim.flatMap((s) => s.expectedOut);
  const design = coreSimDesign(generateCore(cfg));
  if (c.rtlDir) {
    const dir = resolve(c.rtlDir);
    const files = readdirSync(dir).filter((f) => f.endsWith('.v') && !f.startsWith('afsim_'));
    if (!files.length) throw new UserError(`--rtl-dir: no .v files in ${dir}`);
    design.files = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  }
  const rtlName = c.rtlDir ? `hand-edited: ${c.label ?? c.rtlDir}` : 'generated (generateCore)';
  process.stdout.write(`${c.name} [${rtlName}]: ${program.jobs.length} jobs, ${wgt.length} + ${act.length} beats in, ${out.length} out; building / running ...\n`);
  const inputs = { s_wgt: toBeats(wgt), s_act: toBeats(act), s_res: toBeats(res) };
  const expected = { m_out: toBeats(out) };
  const runs: Run[] = [];
  let first: RunResult | undefined;
  let best: RunResult | undefined;
  for (let i = 0; i < c.repeat; i++) {
    const r = await runStreams(design, { inputs, expected, maxCycles: 50_000_000 });
    first ??= r;
    if (!best || r.loop!.cpuMs < best.loop!.cpuMs) best = r;
    runs.push({
      loopCpuMs: +r.loop!.cpuMs.toFixed(1),
      loopWallMs: +r.loop!.wallMs.toFixed(1),
      simProcessMs: +r.simMs.toFixed(1),
      endToEndMs: +r.runMs.toFixed(1),
      loadavg1m: +loadavg()[0]!.toFixed(2),
    });
  }
  const r = best!;
  const macs = programTotals(program).macs;
  return {
    core: c.name,
    rtl: rtlName,
    cfg,
    layer: `conv2d 3x3 s1 p1 64->64 on ${c.h}x${c.w}, ${spec.fixedBits}-bit fixed / ${spec.sp2Bits}-bit SP2 (${cfg.Pf}:${cfg.Ps}), 8-bit unsigned input`,
    jobs: program.jobs.length,
    beats: { wgt: wgt.length, act: act.length, out: out.length },
    cycles: r.cycles,
    cycleCount: r.cycleCount,
    macs,
    laneUtilization: +(macs / (r.cycleCount * cfg.N * L)).toFixed(4),
    buildMs: Math.round(first!.buildMs),
    cached: first!.cached,
    kCyclesPerCpuSecond: Math.round(r.cycles / r.loop!.cpuMs),
    kCyclesPerWallSecond: Math.round(r.cycles / r.loop!.wallMs),
    kCyclesPerProcessWallSecond: Math.round(r.cycles / r.simMs),
    runs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      core: { type: 'string', default: 'both' },
      h: { type: 'string', default: '56' },
      w: { type: 'string', default: '56' },
      'small-h': { type: 'string', default: '14' },
      'small-w': { type: 'string', default: '14' },
      repeat: { type: 'string', default: '3' },
      'rtl-dir': { type: 'string' },
      label: { type: 'string' },
      config: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const which = values.core;
  if (which !== 'xc7z020' && which !== 'small' && which !== 'both') throw new UserError(`--core: xc7z020, small or both, got '${which}'`);
  const num = (k: 'h' | 'w' | 'small-h' | 'small-w' | 'repeat'): number => {
    const n = Number(values[k]);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--${k}: a positive integer, got '${values[k]}'`);
    return n;
  };
  if (values['rtl-dir'] && which === 'both') throw new UserError('--rtl-dir: name the core it belongs to with --core xc7z020 or --core small');
  let over: Partial<CoreConfig> = {};
  if (values.config !== undefined) {
    try {
      over = JSON.parse(values.config) as Partial<CoreConfig>;
    } catch {
      throw new UserError(`--config: not JSON: ${values.config}`);
    }
    if (typeof over !== 'object' || over === null || Array.isArray(over)) throw new UserError('--config: a JSON object of CoreConfig fields');
  }
  const withOver = (cfg: CoreConfig): CoreConfig => {
    const c = { ...cfg, ...over };
    checkCoreConfig(c);
    return c;
  };
  const extra = { repeat: num('repeat'), rtlDir: values['rtl-dir'], label: values.label };
  const cases: CoreCase[] = [];
  if (which !== 'small') cases.push({ name: 'xc7z020', cfg: withOver(defaultCoreConfig(loadBoard('xc7z020'))), h: num('h'), w: num('w'), ...extra });
  if (which !== 'xc7z020') cases.push({ name: 'small (smallCoreConfig)', cfg: withOver(smallCoreConfig()), h: num('small-h'), w: num('small-w'), ...extra });
  const rows: Row[] = [];
  for (const c of cases) {
    const row = await measure(c);
    rows.push(row);
    process.stdout.write(`${JSON.stringify({ ...row, cfg: undefined, runs: undefined })}\n`);
  }
  const result = {
    benchmark: 'msq-core-sim',
    what: 'Verilator clock rate of the MSQ core (one run-time programmed design) running a compiled job program, no stalls',
    target: 'issue 4: Verilator speed of the XC7Z020-size engine >= 1 M cycles/s',
    command: `npx tsx bench/msq-core-sim.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, host: hostname(), node: process.version, loadavg: loadavg().map((x) => +x.toFixed(2)) },
    tools: await simulatorVersions(),
    generatorVersion: GENERATOR_VERSION,
    notes:
      'kCyclesPerCpuSecond: clock cycles per CPU second of the driver clock loop (CLOCK_PROCESS_CPUTIME_ID, stimulus ' +
      'parsing excluded). kCyclesPerWallSecond: the same per wall second (depends on machine load). ' +
      'kCyclesPerProcessWallSecond: whole Vsim process (stimulus parsing and response writing included). ' +
      'Build (cached per content hash) excluded. laneUtilization: useful MACs / (cycleCount x N x (Pf+Ps)). ' +
      'Shared 2-core machine: load average recorded.',
    results: rows,
  };
  const file = values.out ?? join(PROJECT_ROOT, 'bench', 'results', 'msq-core-sim.json');
  await writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

await main();
