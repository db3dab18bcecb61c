/**
 * Cycle model of the MSQ core (docs/msq-core.md): cycles of one job from its descriptor fields and the CoreConfig,
 * and the latency of a job program with loading overlapped and a DDR bound. Derived from the schedule, not fitted:
 *
 *   program   s_wgt beats of the job program: the five sections of the contract, each section
 *             ceil(items / floor(W / itemBits)) beats (`programBeats`)
 *   load      activations (actWords beats on s_act) and the program (on s_wgt) arrive in parallel, one beat per clock
 *             each, into the job's banks: load = max(actWords, programBeats)
 *   issue     pixels * passes * passCycles cycles (steady state: passCycles per pass per output pixel, requantization
 *             and output of a pixel overlap the next pixel's passes)
 *   fill      `CoreTiming.fill` cycles from the job's start to its first issued step (descriptor decode, bank switch)
 *   drain     from the last issued step to the job's last m_out beat: bank read, lane pipeline, requantizer
 *             serialization of the last pass, requantizer / residual-add stages, the last pixel's output beats
 *   program   jobs in order with no reset; job j+1 loads into the other banks while job j computes. The banks of job
 *             j+2 are free once job j has finished (its last output beat). Job j+1 starts after job j's last beat
 *             (fill / drain are paid per job), and once its own load is complete.
 *   DDR       every stream beat moves W = N*A bits through DDR (the host's DMA streams the packed words): per job
 *             bytes = (actWords + programBeats + residual beats + output beats) * W / 8, at the board's derated
 *             bandwidth (an ASSUMPTION written in the board file). With transfers overlapped, a job costs
 *             max(its core cycles, its DDR cycles).
 *
 * The pipeline constants (`CoreTiming`) follow the core's RTL schedule (docs/msq-core-rtl.md); test/msq-core-cycle.test.ts
 * checks the model against Verilator cycle counts.
 */
import type { Board } from '../../board/index.js';
import { coreLaneLatency } from './lanes.js';
import { DESC_WORDS, lanes, streamWidth, type CoreConfig } from './config.js';
import type { JobOp } from './job.js';

export type { JobOp };

/** The descriptor fields the model reads (docs/msq-core.md "Descriptor"); job.ts's JobSpec has them all. */
export interface JobFields {
  /** 0 / 'gemm', 1 / 'maxpool', 2 / 'avgpool' */
  op: JobOp | number;
  fixed4: boolean;
  residual: boolean;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  cinGroups: number;
  passes: number;
  steps: number;
  passCycles: number;
  cout: number;
  coutGroups: number;
  wordsPerLane: number;
  actWords: number;
}

/** Pipeline constants of the core's schedule (cycles). */
export interface CoreTiming {
  /** job start (banks loaded, previous job done) to its first issued step */
  fill: number;
  /** activation / weight bank read latency (issue to lane inputs) */
  readLatency: number;
  /** requantizer + residual-add stages after a lane result is taken */
  requantStages: number;
  /** output register stages before m_out */
  outStages: number;
}

/** The schedule's constants (docs/msq-core-rtl.md): descriptor decode and bank switch, 2-cycle bank reads,
 *  requantizer and residual-add pipeline, registered m_out. */
export const DEFAULT_TIMING: CoreTiming = { fill: 2, readLatency: 2, requantStages: 6, outStages: 1 };

export function jobOp(f: JobFields): JobOp {
  if (typeof f.op === 'string') return f.op;
  return f.op === 0 ? 'gemm' : f.op === 1 ? 'maxpool' : 'avgpool';
}

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** Beats of a section of `items` items of `bits` bits on a W-bit stream (0 for an empty section). */
export function sectionBeats(items: number, bits: number, W: number): number {
  if (items <= 0) return 0;
  return ceilDiv(items, Math.floor(W / bits));
}

/** s_wgt beats of a job program: descriptor, fixed weights, SP2 weights, channel map, parameters. */
export function programBeats(f: JobFields, cfg: CoreConfig): number {
  const W = streamWidth(cfg);
  const op = jobOp(f);
  const L = lanes(cfg);
  let beats = sectionBeats(DESC_WORDS, 32, W);
  if (op === 'gemm') {
    beats += sectionBeats(f.wordsPerLane * cfg.Pf, cfg.N * (f.fixed4 ? 4 : cfg.WF), W);
    beats += sectionBeats(f.wordsPerLane * cfg.Ps, cfg.N * cfg.m, W);
    beats += sectionBeats(f.passes * L, 16, W);
  }
  if (op === 'gemm' || op === 'avgpool') beats += sectionBeats(f.cout, 96, W);
  return beats;
}

export interface JobCycles {
  op: JobOp;
  /** s_wgt beats */
  programBeats: number;
  /** max(actWords, programBeats): cycles to fill the job's banks */
  load: number;
  pixels: number;
  /** pixels * passes * passCycles */
  issue: number;
  fill: number;
  drain: number;
  /** fill + issue + drain: the job's core cycles once its banks are loaded */
  compute: number;
  /** load + compute: the job run alone from an idle core (what a single-job simulation counts) */
  standalone: number;
  /** stream beats: s_act, s_res, m_out */
  actBeats: number;
  resBeats: number;
  outBeats: number;
  /** MAC slots the lanes offer while the job computes: compute * N * L (GEMM) */
  slots: number;
}

/** Requantizer serialization of one pass: the results of L lanes (GEMM) or N lanes (AVGPOOL) through Rq units. */
export function requantCycles(op: JobOp, cfg: CoreConfig): number {
  if (op === 'maxpool') return 1;
  return ceilDiv(op === 'gemm' ? lanes(cfg) : cfg.N, cfg.Rq);
}

/** Cycles of one job from its descriptor fields (no stalls: sources always valid, sink always ready). */
export function jobCycles(f: JobFields, cfg: CoreConfig, t: CoreTiming = DEFAULT_TIMING): JobCycles {
  const op = jobOp(f);
  const pb = programBeats(f, cfg);
  const load = Math.max(f.actWords, pb);
  const pixels = f.outH * f.outW;
  const issue = pixels * f.passes * f.passCycles;
  const laneLat = op === 'gemm' ? coreLaneLatency(cfg) : 2;
  // after the last step of the last pass: bank read, lanes, the pass's requantizer serialization and stages, then
  // the last pixel's coutGroups output beats
  const drain = t.readLatency + laneLat + requantCycles(op, cfg) + (op === 'maxpool' ? 1 : t.requantStages) + t.outStages + f.coutGroups;
  const compute = t.fill + issue + drain;
  return {
    op,
    programBeats: pb,
    load,
    pixels,
    issue,
    fill: t.fill,
    drain,
    compute,
    standalone: load + compute,
    actBeats: f.actWords,
    resBeats: f.residual ? pixels * f.coutGroups : 0,
    outBeats: pixels * f.coutGroups,
    slots: op === 'gemm' ? compute * cfg.N * lanes(cfg) : 0,
  };
}

/** One job of a program, with what the latency report needs beside the descriptor. */
export interface ProgramJob {
  /** job label (layer name, band / group) */
  name: string;
  /** model layer the job belongs to */
  layer: string;
  fields: JobFields;
  /** useful multiply-accumulates of the job (GEMM: the layer's real MACs inside this tile) */
  macs: number;
  /** DDR bytes of the job; default: every stream beat, W / 8 bytes each */
  ddrBytes?: number;
  /** a convolution (conv2d, not linear): counted in the compute efficiency */
  conv?: boolean;
}

export interface JobLatency extends JobCycles {
  name: string;
  layer: string;
  macs: number;
  ddrBytes: number;
  ddrCycles: number;
  /** cycles the job adds to the program without DDR limits (overlapped loading) */
  coreCycles: number;
  /** max(coreCycles, ddrCycles) */
  cycles: number;
  bound: 'compute' | 'ddr' | 'load';
}

export interface ProgramLatency {
  clockMHz: number;
  ddrGBps: number;
  jobs: JobLatency[];
  /** the program's cycles without a DDR bound (streams always valid) */
  coreCycles: number;
  /** with the DDR bound per job */
  cycles: number;
  ms: number;
  macs: number;
  /** 2 * MACs / latency */
  effectiveGops: number;
  peakGops: number;
  /** useful conv MACs / (conv jobs' compute cycles * N * L): the lanes' use while convolutions run */
  convEfficiency: number;
  /** useful conv MACs / (conv jobs' cycles incl. DDR and load waits * N * L) */
  convEfficiencyWithDdr: number;
  /** all MACs / (program cycles * N * L) */
  overallEfficiency: number;
}

/** Peak GOPS of a configuration: 2 * N * (Pf + Ps) operations per clock. */
export function peakGops(cfg: CoreConfig, clockMHz: number): number {
  return (2 * cfg.N * lanes(cfg) * clockMHz) / 1000;
}

/**
 * Latency of a job program: the overlapped schedule of the header, then per job max(core cycles, DDR cycles) at the
 * board's derated DDR bandwidth and `clockMHz`.
 */
export function programLatency(
  jobs: ProgramJob[],
  cfg: CoreConfig,
  board: Pick<Board, 'ddr'>,
  o: { clockMHz: number; timing?: CoreTiming },
): ProgramLatency {
  const t = o.timing ?? DEFAULT_TIMING;
  const W = streamWidth(cfg);
  const L = lanes(cfg);
  const bytesPerCycle = (board.ddr.deratedGBps * 1e9) / (o.clockMHz * 1e6);
  const out: JobLatency[] = [];
  const end: number[] = [];
  let loadEnd = 0;
  jobs.forEach((j, i) => {
    const c = jobCycles(j.fields, cfg, t);
    const bankFree = i >= 2 ? end[i - 2]! : 0;
    const ls = Math.max(loadEnd, bankFree);
    loadEnd = ls + c.load;
    const prev = i > 0 ? end[i - 1]! : 0;
    const start = Math.max(loadEnd, prev);
    end.push(start + c.compute);
    const coreCycles = end[i]! - prev;
    const ddrBytes = j.ddrBytes ?? ((c.actBeats + c.programBeats + c.resBeats + c.outBeats) * W) / 8;
    const ddrCycles = Math.ceil(ddrBytes / bytesPerCycle);
    const cycles = Math.max(coreCycles, ddrCycles);
    const bound = ddrCycles > coreCycles ? 'ddr' : coreCycles > c.compute ? 'load' : 'compute';
    out.push({ ...c, name: j.name, layer: j.layer, macs: j.macs, ddrBytes, ddrCycles, coreCycles, cycles, bound });
  });
  const cycles = out.reduce((a, j) => a + j.cycles, 0);
  const macs = out.reduce((a, j) => a + j.macs, 0);
  const convIdx = jobs.map((j, i) => (j.conv ? i : -1)).filter((i) => i >= 0);
  const convMacs = convIdx.reduce((a, i) => a + out[i]!.macs, 0);
  const convCompute = convIdx.reduce((a, i) => a + out[i]!.compute, 0);
  const convCycles = convIdx.reduce((a, i) => a + out[i]!.cycles, 0);
  const ms = cycles / (o.clockMHz * 1e3);
  return {
    clockMHz: o.clockMHz,
    ddrGBps: board.ddr.deratedGBps,
    jobs: out,
    coreCycles: end.length ? end[end.length - 1]! : 0,
    cycles,
    ms,
    macs,
    effectiveGops: ms > 0 ? (2 * macs) / (ms * 1e6) : 0,
    peakGops: peakGops(cfg, o.clockMHz),
    convEfficiency: convCompute ? convMacs / (convCompute * cfg.N * L) : 0,
    convEfficiencyWithDdr: convCycles ? convMacs / (convCycles * cfg.N * L) : 0,
    overallEfficiency: cycles ? macs / (cycles * cfg.N * L) : 0,
  };
}

/** Per-layer sums of a program latency (jobs grouped by `layer`, in first-appearance order). */
export function layerTable(p: ProgramLatency, cfg: CoreConfig): {
  layer: string; jobs: number; macs: number; compute: number; cycles: number; ddrCycles: number; efficiency: number; bound: string;
}[] {
  const rows = new Map<string, { layer: string; jobs: number; macs: number; compute: number; cycles: number; ddrCycles: number; bounds: Set<string> }>();
  for (const j of p.jobs) {
    let r = rows.get(j.layer);
    if (!r) rows.set(j.layer, (r = { layer: j.layer, jobs: 0, macs: 0, compute: 0, cycles: 0, ddrCycles: 0, bounds: new Set() }));
    r.jobs++;
    r.macs += j.macs;
    r.compute += j.compute;
    r.cycles += j.cycles;
    r.ddrCycles += j.ddrCycles;
    r.bounds.add(j.bound);
  }
  const slotsPerCycle = cfg.N * lanes(cfg);
  return [...rows.values()].map((r) => ({
    layer: r.layer, jobs: r.jobs, macs: r.macs, compute: r.compute, cycles: r.cycles, ddrCycles: r.ddrCycles,
    efficiency: r.macs ? r.macs / (r.cycles * slotsPerCycle) : 0,
    bound: [...r.bounds].sort().join('+'),
  }));
}
