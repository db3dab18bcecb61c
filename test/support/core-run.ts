/**
 * The scaffolding of the MSQ core's whole-design RTL tests (test/msq-core-rtl*, test/msq-plan-rtl): many models'
 * jobs back to back in one simulation — compile each model, append its jobs' s_wgt / s_act / s_res beats and the
 * golden model's m_out beats — and the run with stalls on every stream.
 */
import { actRange } from '../../src/msq/conventions.js';
import { runGolden } from '../../src/msq/golden.js';
import { numel, type QuantModel } from '../../src/msq/model.js';
import type { CoreConfig } from '../../src/msq/core/config.js';
import { compileModel, coreStreams, programStimulus, type CompiledJob, type CompileOptions } from '../../src/msq/core/compile.js';
import { runStreams, type Beat, type RunOptions, type RunResult, type SimDesign } from '../../src/sim/index.js';

export interface CoreRun {
  jobs: CompiledJob[];
  wgt: Beat[];
  act: Beat[];
  res: Beat[];
  out: Beat[];
  /** index of each job's first output beat */
  outStart: number[];
}

export const emptyRun = (): CoreRun => ({ jobs: [], wgt: [], act: [], res: [], out: [], outStart: [] });

/** Compile `model` for `cfg` and append every job's streams and golden m_out beats to `run`. */
export function addModel(run: CoreRun, model: QuantModel, input: Int32Array, cfg: CoreConfig, opts: CompileOptions = {}): void {
  const prog = compileModel(model, cfg, opts);
  const stim = programStimulus(prog, runGolden(model, input, { dump: true }).tensors!);
  const st = coreStreams(stim);
  let at = run.out.length;
  for (const s of stim) {
    run.outStart.push(at);
    at += s.expectedOut.length;
  }
  run.jobs.push(...prog.jobs);
  run.wgt.push(...st.inputs.s_wgt);
  run.act.push(...st.inputs.s_act);
  run.res.push(...st.inputs.s_res);
  run.out.push(...st.expected.m_out);
}

/** Every input at the bottom ('min') or top ('max') of its range. */
export function flatInput(model: QuantModel, at: 'min' | 'max'): Int32Array {
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  return new Int32Array(numel(model.input.shape)).fill(at === 'min' ? lo : hi);
}

/** The stalls of these tests unless `stalls` says otherwise: slower residual than activation than weight stream. */
export const CORE_STALLS = { validProb: { s_wgt: 0.8, s_act: 0.6, s_res: 0.5 }, readyProb: 0.6, maxCycles: 2_000_000 };

/** Simulate `run` on the core `design` (Verilator), every m_out beat checked against the golden beats. */
export async function runCore(design: SimDesign, run: CoreRun, seed: number, stalls: Partial<RunOptions> = CORE_STALLS): Promise<RunResult> {
  return runStreams(design, {
    inputs: { s_wgt: run.wgt, s_act: run.act, s_res: run.res },
    expected: { m_out: run.out },
    seed,
    ...stalls,
  });
}
