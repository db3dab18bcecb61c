/**
 * Host side of a compiled Program (compile.ts): the s_act / s_res / expected m_out beats of each job from host tensors,
 * scattering m_out back, the core's concatenated streams, running a whole program through a job executor, totals.
 */
import type { Beat } from '../../sim/index.js';
import type { Tensor } from '../golden.js';
import { numel } from '../model.js';
import type { CoreConfig } from './config.js';
import { encodeProgram, packCodes, packTile, programBeats, unpackBeats } from './job.js';
import { seProgram, upsampleBeats } from './lower-ops.js';
import type { CompiledJob, Program } from './compile.js';
import { ceilDiv } from '../../util/math.js';

/** The s_wgt beats of a job (a squeeze-excite job's weights from its gate tensor). */
export function jobProgram(cfg: CoreConfig, job: CompiledJob, tensors: ReadonlyMap<string, Tensor | Int32Array>): bigint[] {
  return job.se ? seProgram(cfg, job.spec, job.se, dataOf(tensors, job.se.tensor)) : encodeProgram(cfg, job.spec);
}

/** s_act beats of a job from the host tensors (tile, or im2col gather). */
export function jobActBeats(cfg: CoreConfig, job: CompiledJob, tensors: ReadonlyMap<string, Tensor | Int32Array>): bigint[] {
  const a = job.act;
  const data = dataOf(tensors, a.tensor);
  if (a.kind === 'tile') return packTile(cfg, data, a.shape, { y0: a.y0, rows: a.rows, c0: a.c0, cCount: a.cCount });
  if (a.kind === 'upsample') return upsampleBeats(cfg, data, a.shape, a.f, a);
  const [C, H, W] = a.shape;
  const K = a.kh * a.kw * C;
  const groups = ceilDiv(K, cfg.N);
  const beats: bigint[] = [];
  const vals = new Array<number>(cfg.N);
  for (let oy = a.oy0; oy < a.oy0 + a.rows; oy++) {
    for (let ox = 0; ox < a.outW; ox++) {
      for (let g = 0; g < groups; g++) {
        for (let n = 0; n < cfg.N; n++) {
          const k = g * cfg.N + n;
          vals[n] = 0;
          if (k >= K) continue;
          const ci = k % C;
          const t = Math.floor(k / C);
          const iy = oy * a.sh - a.padT + Math.floor(t / a.kw);
          const ix = ox * a.sw - a.padL + (t % a.kw);
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) vals[n] = data[(ci * H + iy) * W + ix]!;
        }
        beats.push(packCodes(vals, cfg.A));
      }
    }
  }
  return beats;
}

/** s_res beats of a job (empty without residual). */
export function jobResBeats(cfg: CoreConfig, job: CompiledJob, tensors: ReadonlyMap<string, Tensor | Int32Array>): bigint[] {
  if (!job.res) return [];
  const r = job.res;
  return packTile(cfg, dataOf(tensors, r.tensor), r.shape, { y0: r.y0, rows: r.rows, c0: r.c0, cCount: r.cCount });
}

/** The m_out beats a job must produce, from the golden value of its output tensor. */
export function jobExpectedOut(cfg: CoreConfig, job: CompiledJob, tensors: ReadonlyMap<string, Tensor | Int32Array>): bigint[] {
  const o = job.out;
  if (job.partial) return new Array<bigint>(job.spec.outH * job.spec.outW * job.spec.coutGroups).fill(0n);
  return packTile(cfg, dataOf(tensors, o.tensor), o.shape, { y0: o.y0, rows: o.rows, c0: o.c0, cCount: o.cCount });
}

/** Write a job's m_out beats into its output tensor (row-major [C, H, W] data). */
export function scatterOut(cfg: CoreConfig, job: CompiledJob, beats: readonly bigint[], into: Int32Array): void {
  const o = job.out;
  const [, H, W] = o.shape;
  const pixels = o.rows * W;
  const vals = unpackBeats(cfg, beats, job.spec.cout, pixels, o.signed);
  for (let c = 0; c < o.cCount; c++) {
    for (let p = 0; p < pixels; p++) into[((o.c0 + c) * H + o.y0) * W + p] = vals[c * pixels + p]!;
  }
}

function dataOf(tensors: ReadonlyMap<string, Tensor | Int32Array>, name: string): Int32Array {
  const t = tensors.get(name);
  if (!t) throw new Error(`host tensor '${name}' is missing`);
  return t instanceof Int32Array ? t : t.data;
}

export interface JobStimulus {
  wgt: bigint[];
  act: bigint[];
  res: bigint[];
  expectedOut: bigint[];
}

/** The core's four streams for jobs run back to back, as src/sim beats. */
export interface CoreStreams {
  inputs: { s_wgt: Beat[]; s_act: Beat[]; s_res: Beat[] };
  /** the golden output beats, tlast on each job's last beat */
  expected: { m_out: Beat[] };
}

/** Concatenate the jobs' stimulus into the core's streams (one simulation runs them all without a reset). */
export function coreStreams(stim: readonly JobStimulus[]): CoreStreams {
  const beats = (pick: (s: JobStimulus) => bigint[]): Beat[] => stim.flatMap((s) => pick(s).map((data) => ({ data })));
  const out: Beat[] = [];
  for (const s of stim) s.expectedOut.forEach((data, i) => out.push({ data, last: i === s.expectedOut.length - 1 }));
  return { inputs: { s_wgt: beats((s) => s.wgt), s_act: beats((s) => s.act), s_res: beats((s) => s.res) }, expected: { m_out: out } };
}

/**
 * Per job: its s_wgt, s_act, s_res beats built from the golden per-layer tensors (runGolden with dump) and the
 * expected m_out from the golden output tensor — so every job of a program can run in one simulation.
 */
export function programStimulus(program: Program, golden: ReadonlyMap<string, Tensor | Int32Array>): JobStimulus[] {
  const cfg = program.cfg;
  return program.jobs.map((j) => ({
    wgt: jobProgram(cfg, j, golden),
    act: jobActBeats(cfg, j, golden),
    res: jobResBeats(cfg, j, golden),
    expectedOut: jobExpectedOut(cfg, j, golden),
  }));
}

/** A job executor: the interpreter, or an RTL simulation. */
export type JobExecutor = (wgt: bigint[], act: bigint[], res: bigint[], job: CompiledJob) => bigint[] | Promise<bigint[]>;

/**
 * Run a program as the host would: tensors start with the model input; each job's streams are built from the tensors
 * produced so far, its output scattered back. Returns every host tensor (model output = program.output.name).
 */
export async function executeProgram(program: Program, input: Int32Array, exec: JobExecutor): Promise<Map<string, Int32Array>> {
  const cfg = program.cfg;
  const t = new Map<string, Int32Array>([[program.input.name, input]]);
  for (const j of program.jobs) {
    const out = await exec(jobProgram(cfg, j, t), jobActBeats(cfg, j, t), jobResBeats(cfg, j, t), j);
    const n = j.spec.outH * j.spec.outW * j.spec.coutGroups;
    if (out.length !== n) throw new Error(`job ${j.spec.name}: ${out.length} output beats, expected ${n}`);
    let dst = t.get(j.out.tensor);
    if (!dst) {
      dst = new Int32Array(numel(j.out.shape));
      t.set(j.out.tensor, dst);
    }
    scatterOut(cfg, j, out, dst);
  }
  return t;
}

/** Totals of a program: jobs, s_wgt beats, DDR bytes, issue work (cycles), useful MACs. */
export function programTotals(program: Program): { jobs: number; programBeats: number; ddrBytes: number; work: number; macs: number } {
  let pb = 0;
  let bytes = 0;
  let work = 0;
  let macs = 0;
  for (const j of program.jobs) {
    pb += programBeats(program.cfg, j.spec);
    bytes += j.ddrBytes;
    work += j.work;
    macs += j.macs;
  }
  return { jobs: program.jobs.length, programBeats: pb, ddrBytes: bytes, work, macs };
}
