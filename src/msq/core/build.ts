/**
 * `msq build --core`: the MSQ core (one run-time programmed design) plus the job program of a model, written as a
 * folder a user can simulate with nothing but Icarus:
 *
 *   <prefix>_core.v ...      the core RTL (generateCore, HDL builder)
 *   s_wgt.hex s_act.hex s_res.hex   every job's program / input tile / residual beats, jobs back to back (a --rom
 *                                   core has no s_wgt; s_res only with fused residual adds)
 *   m_out.expected.hex       every job's output beats from the golden model (tlast on each job's last beat)
 *   tb_<top>.v               self-checking testbench, random valid/ready stalls on all four streams
 *   program.json             the jobs: layer, op, geometry, beats, cycle model
 *   model.q.json             the model the program was compiled from (export recompiles it for the host runtime)
 *   report.{json,md}, summary.{json,md,html}
 *
 * The jobs' inputs are the golden model's tensors (a seeded random model input), so all jobs run in one simulation
 * and each job's output is checked against the golden tensor it produces; chaining them is what the host does.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Board } from '../../board/index.js';
import { writeFolderReport } from '../../report/from-folder.js';
import { testbenchFolder } from '../../sim/testbench.js';
import { fail } from '../../util/errors.js';
import { writeDirAtomic } from '../../util/fsx.js';
import { renderTemplate } from '../../util/templates.js';
import { GENERATOR_VERSION } from '../../version.js';
import { runGolden } from '../golden.js';
import { checkModel, type QuantModel } from '../model.js';
import { checkCoreConfig, lanes, streamWidth, type CoreConfig } from './config.js';
import { compileModel, coreStreams, programStimulus, type CompileOptions, type Program } from './compile.js';
import { peakGops, programLatency, type ProgramJob } from './cycle-model.js';
import { coreLaneMultipliers } from './lanes.js';
import { coreRqaDsps } from './rqa.js';
import { coreInputs, coreSimDesign, generateCore } from './rtl/index.js';
import { randomInput } from './random-input.js';
import { checkRomFits, programRom } from './rom.js';
import { checkFits, recordedSlices } from './sizing.js';
import { writeCoreDesign } from './design.js';

export interface BuildCoreOptions {
  board: Board;
  cfg: CoreConfig;
  outDir: string;
  seed?: number;
  compile?: CompileOptions;
  /** testbench stall probability per stream and cycle, percent (default 20) */
  stallPercent?: number;
}

export interface BuiltCore {
  top: string;
  testbench: string;
  jobs: number;
  beats: { wgt: number; act: number; res: number; out: number };
  /** the input streams of the design (no s_wgt with a program ROM) */
  inputs: string[];
  dsp48e1: number;
  modelCycles: number;
  program: Program;
}

/** DSP48E1 of a core configuration: lane multipliers + requantizer / residual-add units. */
export function coreDsps(cfg: CoreConfig): number {
  return coreLaneMultipliers(cfg) + cfg.Rq * coreRqaDsps(cfg);
}

/** The cycle model's view of a compiled program (one ProgramJob per job). */
export function programJobs(model: QuantModel, program: Program): ProgramJob[] {
  const ops = new Map(model.layers.map((l) => [l.name, l.op]));
  return program.jobs.map((j) => ({
    name: j.spec.name,
    layer: j.spec.layer,
    fields: j.spec,
    macs: j.macs,
    ddrBytes: j.ddrBytes,
    conv: ops.get(j.spec.layer) === 'conv2d',
  }));
}

export async function buildCore(model: QuantModel, o: BuildCoreOptions): Promise<BuiltCore> {
  checkModel(model);
  checkCoreConfig(o.cfg);
  const dsp = coreDsps(o.cfg);
  if (dsp > o.board.resources.dsp48e1) {
    fail('--pf', `the core needs ${dsp} DSP48E1 (lanes ${coreLaneMultipliers(o.cfg)} + ${o.cfg.Rq} requantizer units), ${o.board.id} has ${o.board.resources.dsp48e1}: lower --pf / --n / --rq or use --dsp-pack 2`);
  }
  const program = compileModel(model, o.cfg, o.compile);
  // a program ROM: its own budget (half the board's block RAM), checked first as the more specific refusal
  const rom = o.cfg.rom ? programRom(program) : undefined;
  if (rom) checkRomFits(rom, program, o.board);
  // block RAM exactly (a ROM core's with its program), LUTs from the recorded slices: refuse what does not fit
  // (src/msq/core/sizing.ts)
  checkFits(o.cfg, o.board, { slices: recordedSlices(), dsps: dsp, what: `msq build --board ${o.board.id}`, romBeats: rom?.beats.length });
  const rtl = generateCore(o.cfg, 'msqc', { rom });
  const has = (s: 's_wgt' | 's_res'): boolean => rtl.inputs.includes(s);
  const W = streamWidth(o.cfg);

  // a seeded random model input, in the range of the model's input spec
  const g = runGolden(model, randomInput(model, o.seed ?? 1), { dump: true });
  const stim = programStimulus(program, g.tensors!);

  const { inputs, expected } = coreStreams(stim);
  const { s_wgt: wgt, s_act: act, s_res: res } = inputs;
  const out = expected.m_out;
  const lat = programLatency(programJobs(model, program), o.cfg, o.board, { clockMHz: o.board.defaultClockMHz });
  // random stalls on every stream; allow 6x the modelled cycles of the program without DDR limits
  const stall = o.stallPercent ?? 20;
  if (!Number.isInteger(stall) || stall < 0 || stall > 90) fail('stallPercent', `must be an integer in 0..90, got ${stall}`);
  const stallProb = 1 - stall / 100;
  const tb = testbenchFolder(coreSimDesign(rtl), {
    inputs: coreInputs(rtl, inputs), expected, validProb: stallProb, readyProb: stallProb, seed: o.seed ?? 1, maxCycles: Math.ceil(lat.coreCycles * 6) + 10000,
  });
  const tbName = tb.testbench;
  const mhz = o.board.defaultClockMHz;
  const jobsJson = program.jobs.map((j, i) => {
    const { fixedWords: _f, sp2Words: _s, chanMap: _c, params: _p, ...desc } = j.spec;
    const l = lat.jobs[i]!;
    return {
      ...desc,
      beats: { wgt: stim[i]!.wgt.length, act: stim[i]!.act.length, res: stim[i]!.res.length, out: stim[i]!.expectedOut.length },
      macs: j.macs,
      ddrBytes: j.ddrBytes,
      cycleModel: { compute: l.compute, load: l.load, coreCycles: l.coreCycles, ddrCycles: l.ddrCycles, cycles: l.cycles, bound: l.bound },
    };
  });
  const layerCycles = new Map<string, number>();
  for (const j of lat.jobs) layerCycles.set(j.layer, (layerCycles.get(j.layer) ?? 0) + j.cycles);
  const report = {
    generator: GENERATOR_VERSION,
    kind: 'msq-core',
    hash: rtl.hash,
    model: model.name ?? null,
    board: o.board.id,
    top: rtl.top,
    core: o.cfg,
    engine: { N: o.cfg.N, Pf: o.cfg.Pf, Ps: o.cfg.Ps, Rq: o.cfg.Rq, dspPack: o.cfg.dspPack },
    dsp48e1: { lanes: coreLaneMultipliers(o.cfg), requant: o.cfg.Rq * coreRqaDsps(o.cfg), total: dsp, board: o.board.resources.dsp48e1 },
    peakGopsAt: { [`${mhz}MHz`]: peakGops(o.cfg, mhz) },
    testbench: tbName,
    seed: o.seed ?? 1,
    jobs: program.jobs.length,
    beats: { wgt: wgt.length, act: act.length, res: res.length, out: out.length },
    lowering: program.layers,
    layers: [...layerCycles].map(([layer, cycles]) => ({ layer, cycles })),
    cycleModel: {
      kind: 'MODEL (cycle model of the core schedule, board DDR bandwidth is an assumption of the board file)',
      coreCycles: lat.coreCycles, cycles: lat.cycles, ms: lat.ms, effectiveGops: lat.effectiveGops,
      convEfficiency: lat.convEfficiency, overallEfficiency: lat.overallEfficiency, ddrGBps: lat.ddrGBps,
    },
    rom: rom ? { beats: rom.beats.length, bits: rom.beats.length * W, streams: rtl.inputs } : null,
    notes: [
      rom
        ? `program ROM: the whole job program (${rom.beats.length} beats) is on chip and replays for every input; the host streams only each job's input tile on s_act${has('s_res') ? ' and the residual operand of each fused residual add on s_res' : ''}, and takes m_out`
        : 'one design runs every job; the host (here: the testbench) streams each job program, input tile and residual operand',
      'job inputs are the golden model tensors of a seeded random model input; every output beat is checked against the golden model',
      'cycles: cycle model (no stalls); DSP48E1 by configuration (lanes + requantizer units)',
    ],
  };
  const md = renderTemplate('msq/report.md.hbs', {
    model: model.name ?? 'model', board: o.board.id, top: rtl.top, cfg: o.cfg, lanes: lanes(o.cfg),
    peakGops: peakGops(o.cfg, mhz).toFixed(1), mhz, dsp, boardDsp: o.board.resources.dsp48e1,
    program: rom
      ? `Program: ${program.jobs.length} jobs held in the core's program ROM (${rom.beats.length} beats, ${(rom.beats.length * W).toLocaleString('en-US')} bits; no s_wgt port); ${act.length} s_act${has('s_res') ? ` + ${res.length} s_res` : ''} beats in, ${out.length} m_out beats out.`
      : `Program: ${program.jobs.length} jobs, ${wgt.length} s_wgt + ${act.length} s_act + ${res.length} s_res beats in, ${out.length} m_out beats out.`,
    layers: program.layers.map((l) => ({ layer: l.layer, how: l.how, jobs: l.jobs, cycles: layerCycles.get(l.layer) ?? '—' })),
    cycles: lat.cycles, ms: lat.ms.toFixed(3), ddrGBps: lat.ddrGBps,
    hexFiles: rtl.inputs.map((x) => `${x}.hex`).join(', '),
  });
  await writeDirAtomic(o.outDir, async (tmp) => {
    for (const [f, t] of rtl.files) await writeFile(join(tmp, f), t);
    for (const [f, t] of tb.files) await writeFile(join(tmp, f), t);
    await writeFile(join(tmp, 'model.q.json'), JSON.stringify(model) + '\n');
    await writeFile(join(tmp, 'program.json'), JSON.stringify({ generator: GENERATOR_VERSION, core: o.cfg, jobs: jobsJson }, null, 2) + '\n');
    await writeFile(join(tmp, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(tmp, 'report.md'), md);
    await writeCoreDesign(tmp, { module: rtl.module, files: rtl.files.keys(), hash: rtl.hash, program, summary: { model: report.model, board: o.board.id, engine: report.engine, peakGops: peakGops(o.cfg, mhz), clockMHz: mhz, layers: report.layers, notes: report.notes } });
    await writeFolderReport(tmp);
  });
  return {
    top: rtl.top,
    testbench: tbName,
    jobs: program.jobs.length,
    beats: { wgt: wgt.length, act: act.length, res: res.length, out: out.length },
    inputs: rtl.inputs,
    dsp48e1: dsp,
    modelCycles: lat.cycles,
    program,
  };
}
