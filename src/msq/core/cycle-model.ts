/**
 * Cycle model of the MSQ core (docs/msq-core.md): cycles of one job from its descriptor fields and the CoreConfig,
 * and the latency of a job program with loading overlapped and a DDR bound. Derived from the RTL's schedule
 * (docs/msq-core-rtl.md), not fitted: `scheduleProgram` replays the program loader (sections at the RTL's items per
 * clock), the activation and residual loaders, the issuer (pixels, passes, claims of output banks and residual slots,
 * row waits, the quiet rule between ops), the result path and the emitter, job by job and pixel by pixel.
 *
 *   DDR       every stream beat moves W = N*A bits through DDR (the host's DMA streams the packed words): per job
 *             bytes = (actWords + programBeats + residual beats + output beats) * W / 8, at the board's derated
 *             bandwidth (an ASSUMPTION written in the board file). With transfers overlapped, a job costs
 *             max(its core cycles, its DDR cycles).
 *
 * Checked against Verilator with streams always valid / ready: test/msq-core-cycle.test.ts (single jobs, the MNIST
 * program), test/msq-core-cycle-program.test.ts (every job end exact: load-bound fixed-only linear jobs, residual
 * graphs), bench/msq-core-resnet18-rtl.ts (ResNet-18 on the board presets: every job end exact, 2026-11-22).
 */
import type { Board } from '../../board/index.js';
import { coreProgramCycles, coreRtlTiming, gemmServe, type CoreRtlTiming } from './rtl/index.js';
import { lanes, streamWidth, type CoreConfig } from './config.js';
import { programBeats, type JobOp, type JobSpec } from './job.js';

export type { JobOp };

/** The descriptor fields the model reads (docs/msq-core.md "Descriptor"): a subset of job.ts's JobSpec. */
export type JobFields = Pick<
  JobSpec,
  | 'op' | 'fixed4' | 'residual' | 'padT' | 'padL' | 'sh' | 'inH' | 'inW' | 'outH' | 'outW' | 'kh' | 'kw'
  | 'cinGroups' | 'passes' | 'steps' | 'passCycles' | 'cout' | 'coutGroups' | 'wordsPerLane' | 'actWords' | 'lut' | 'noSp2'
>;

/** The schedule's constants come from the RTL generator (docs/msq-core-rtl.md "Result path", "Emitter"). */
export type CoreTiming = CoreRtlTiming;

/** The core's timing constants for `cfg` with `pixelBanks` output pixel banks (RTL default 4). */
export function coreTiming(cfg: CoreConfig, pixelBanks?: number): CoreTiming {
  return coreRtlTiming(cfg, pixelBanks);
}

/**
 * Program loader cycles after the descriptor's DERIVE step (docs/msq-core-rtl.md "Program loader"): each section the
 * job uses costs one fetch cycle plus its items / items per clock (GEMM: fixed if Pf > 0, SP2 if Ps > 0, channel map,
 * parameters; AVGPOOL: parameters). A weight section whose beats pack k > 1 items and whose lane count is a multiple
 * of k writes a whole beat per clock (`weightItemsPerClock`); a fixed-only job with `noSp2` has no SP2 section; one without it (every SP2 item zero)
 * still streams through the loader, so a load-bound fc job pays it in full.
 */
export function sectionCycles(f: JobFields, cfg: CoreConfig): number {
  const p = coreProgramCycles(cfg, f);
  return p.total - p.descValid;
}

/** Result path: from the cycle a pixel's last step issues to the first cycle the pixel is complete. */
export function resultLatency(op: JobOp, t: CoreTiming): number {
  return t.complete[op];
}

/** Per job cycle stamps of a program run (cycle 0 = first cycle after reset; no stalls on the streams). */
export interface JobStamps {
  /** last program item (s_wgt) */
  progEnd: number;
  /** last activation beat accepted */
  actEnd: number;
  /** first pixel start */
  start: number;
  /** last issued step */
  issueEnd: number;
  /** handshake cycle of the job's last m_out beat */
  lastBeat: number;
}

/**
 * The core's schedule, job by job and pixel by pixel (docs/msq-core-rtl.md), with sources always valid and the sink
 * always ready:
 *  - program loader: WAIT (the bank is free once job j-2's last output word is read), DESC (descCycles), DERIVE
 *    (padT + padL + 1 cycles), then `sectionCycles`; jobs in order;
 *  - activation loader: arms the cycle after the job's descriptor is derived (and two cycles after job j-1's last
 *    activation beat, and after job j-2's last issued step), then one beat per clock;
 *  - residual loader: in job order, per pixel coutGroups beats into one of two slots once the slot's previous pixel
 *    has read it (R2 of its last result); one cycle per job without residuals, s_res_tready the cycle after the
 *    loader sees the job's descriptor;
 *  - issuer: IDLE (job j-1 issued, program and activations loaded; a job whose op differs from the previous
 *    non-MAXPOOL job's waits until no step was issued for `quiet` cycles), SETUP, then per pixel passes * passCycles
 *    cycles; a pixel claims its output bank (pixel index mod pixelBanks, counted across jobs) and residual slot at
 *    the last step of its first pass, stalling there until pixel i - pixelBanks has left the bank and the pixel's own
 *    residual is in its slot;
 *  - result path `complete`, then the emitter: coutGroups words per pixel, one per clock, in pixel order, the first
 *    beat `emit` cycles after the pixel is complete; a pixel leaves its bank when its last word is read.
 */
export function scheduleProgram(
  jobs: readonly JobFields[],
  cfg: CoreConfig,
  t: CoreTiming = coreTiming(cfg),
  o: { pixelByPixel?: boolean } = {},
): JobStamps[] {
  const out: JobStamps[] = [];
  const B = t.pixelBanks;
  // pixel banks across jobs: the cycle the latest pixel in each bank read its last word; the next bank
  const bankFree: number[] = new Array<number>(B).fill(-1);
  let bank = 0;
  let emitLast = -1; // last emitter read (E0) so far
  let progEnd = -1;
  let actEnd = -Infinity;
  let issueEnd = -1; // previous job's last issued step
  let lastIssue = -Infinity;
  let lastOp: JobOp = 'gemm';
  // residual loader: the first cycle it may look at the next job's descriptor; the last s_res beat so far; per slot
  // the cycle its current pixel's residual has been read out (res_full cleared, visible)
  let resLook = 0;
  let resCursor = -1;
  const slotClr = [-Infinity, -Infinity];
  let slot = 0;
  const jobDone: number[] = []; // emitter's last read per job
  jobs.forEach((f, j) => {
    const op = f.op;
    // program loader
    const w0 = Math.max(progEnd + 1, j >= 2 ? jobDone[j - 2]! + 1 : 0);
    const deriveEnd = w0 + 1 + t.descCycles + f.padT + f.padL;
    const pEnd = deriveEnd + sectionCycles(f, cfg);
    // activation loader
    const aStart = Math.max(deriveEnd + 1, actEnd + 2, j >= 2 ? out[j - 2]!.issueEnd + 1 : 0);
    const aEnd = aStart + f.actWords;
    // residual loader: armed after this job's descriptor and the previous jobs' residual beats
    // (in job order: one cycle per job without residuals; s_res_tready the cycle after it sees the descriptor)
    const resArm = Math.max(resLook, deriveEnd + 1);
    if (f.residual) resCursor = resArm;
    else resLook = resArm + 1;
    // issuer: starts once the program is in and the tile is loading (or loaded)
    let ready = Math.max(issueEnd + 1, pEnd + 1, aStart + 1);
    if (op !== lastOp && lastOp !== 'maxpool') ready = Math.max(ready, lastIssue + 1 + t.quiet);
    let s = ready + t.jobGap;
    // a GEMM pass serves min(G, passCycles) results per unit (gemmServe)
    const short = op === 'gemm' ? t.G - gemmServe(t, f.passCycles) : 0;
    const complete = t.complete[op] - short;
    const drained = op === 'gemm' ? 3 + t.laneLatency + t.G - short : op === 'avgpool' ? 4 + t.GP : 2;
    const pixels = f.outH * f.outW;
    let start = -1;
    let tEnd = -1;
    // identical pixels: the max-plus recurrence becomes periodic (every state value advances by the same amount
    // every B pixels); once it is, whole periods are skipped exactly
    const snap = (): number[] => {
      const v = [...bankFree.slice(bank), ...bankFree.slice(0, bank), emitLast, s, tEnd];
      if (f.residual) v.push(resCursor, slotClr[slot]!, slotClr[slot ^ 1]!);
      return v;
    };
    const period = B % 2 === 0 ? B : 2 * B;
    let prev: number[] | null = null;
    for (let i = 0; i < pixels; i++) {
      // skip only once the whole tile is in (no more row waits)
      if (!o.pixelByPixel && i >= period && i % period === 0 && s > aEnd) {
        const cur = snap();
        if (prev) {
          const d: number = cur[0]! - prev[0]!;
          if (cur.every((v, k) => v - prev![k]! === d)) {
            const n = Math.floor((pixels - i) / period);
            for (let k = 0; k < B; k++) bankFree[k]! += n * d;
            emitLast += n * d;
            s += n * d;
            tEnd += n * d;
            if (f.residual) {
              resCursor += n * d;
              slotClr[0]! += n * d;
              slotClr[1]! += n * d;
            }
            i += n * period;
            prev = null;
            if (i >= pixels) break;
          } else prev = cur;
        } else prev = cur;
      }
      // while the tile streams in (one beat per clock from aStart + 1), the pixel's first cycle waits until the
      // input rows of its window are complete; the job's last pixel waits for the whole tile
      if (s <= aEnd) {
        const oy = Math.floor(i / f.outW);
        const need = i === pixels - 1 ? f.inH : Math.min(f.inH, oy * f.sh - f.padT + f.kh);
        if (need > 0) s = Math.max(s, aStart + 1 + need * f.inW * f.cinGroups);
      }
      if (i === 0) start = s;
      let claim = Math.max(s + f.passCycles - 1, bankFree[bank]! + 1);
      if (f.residual) {
        // this pixel's residual beats into its slot once the slot's previous pixel has read it; the claim waits for
        // the pixel's own residual (res_full with the slot's generation bit matching the issuer's)
        const ld = Math.max(resCursor + 1, slotClr[slot]!);
        resCursor = ld + f.coutGroups - 1;
        claim = Math.max(claim, resCursor + 1);
      }
      tEnd = claim + (f.passes - 1) * f.passCycles;
      if (f.residual) {
        slotClr[slot] = tEnd + drained + 1;
        slot ^= 1;
      }
      const e0 = Math.max(tEnd + complete, emitLast + 1);
      emitLast = e0 + f.coutGroups - 1;
      bankFree[bank] = emitLast;
      bank = (bank + 1) % B;
      s = tEnd + 1;
    }
    if (f.residual) resLook = resCursor + 1;
    lastOp = op;
    lastIssue = tEnd;
    issueEnd = tEnd;
    progEnd = pEnd;
    actEnd = aEnd;
    jobDone.push(emitLast);
    out.push({ progEnd: pEnd, actEnd: aEnd, start, issueEnd: tEnd, lastBeat: emitLast + t.emit });
  });
  return out;
}

export interface JobCycles {
  op: JobOp;
  /** s_wgt beats */
  programBeats: number;
  pixels: number;
  /** pixels * passes * passCycles: the issuer's busy cycles */
  issue: number;
  /** the job alone from an idle core: last m_out beat + 1 (what a single-job simulation counts) */
  standalone: number;
  /** stream beats: s_act, s_res, m_out */
  actBeats: number;
  resBeats: number;
  outBeats: number;
}

/** Beats and issue cycles of a job (everything of JobCycles but `standalone`). */
function jobBeats(f: JobFields, cfg: CoreConfig): Omit<JobCycles, 'standalone'> {
  const pixels = f.outH * f.outW;
  return {
    op: f.op,
    programBeats: programBeats(cfg, f),
    pixels,
    issue: pixels * f.passes * f.passCycles,
    actBeats: f.actWords,
    resBeats: f.residual ? pixels * f.coutGroups : 0,
    outBeats: pixels * f.coutGroups,
  };
}

/** Cycles of one job from its descriptor fields (no stalls: sources always valid, sink always ready). */
export function jobCycles(f: JobFields, cfg: CoreConfig, t: CoreTiming = coreTiming(cfg)): JobCycles {
  return { ...jobBeats(f, cfg), standalone: scheduleProgram([f], cfg, t)[0]!.lastBeat + 1 };
}

/** Peak GOPS of a configuration: 2 * N * (Pf + Ps) operations per clock. */
export function peakGops(cfg: CoreConfig, clockMHz: number): number {
  return (2 * cfg.N * lanes(cfg) * clockMHz) / 1000;
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

export interface JobLatency extends Omit<JobCycles, 'standalone'>, JobStamps {
  /** loading the job's banks from an idle loader: program (descriptor, DERIVE, sections) or activations, the longer */
  load: number;
  /** first pixel start to last output beat */
  compute: number;
  name: string;
  layer: string;
  macs: number;
  ddrBytes: number;
  ddrCycles: number;
  /** cycles the job adds to the program without DDR limits (overlapped loading) */
  coreCycles: number;
  /** max(coreCycles, ddrCycles) */
  cycles: number;
  /** 'compute': issuer busy >= 90 % of the job's core cycles; 'latency': loads / result path; 'ddr' */
  bound: 'compute' | 'ddr' | 'latency';
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
  /** useful conv MACs / (conv jobs' core cycles * N * L): the lanes' use while convolutions run (no DDR bound) */
  convEfficiency: number;
  /** useful conv MACs / (conv jobs' cycles incl. DDR and load waits * N * L) */
  convEfficiencyWithDdr: number;
  /** all MACs / (program cycles * N * L) */
  overallEfficiency: number;
}


/**
 * Latency of a job program: `scheduleProgram` (streams always valid), then per job max(core cycles, DDR cycles) at
 * the board's derated DDR bandwidth and `clockMHz` (core cycles of job j = its last beat - job j-1's last beat).
 */
export function programLatency(
  jobs: ProgramJob[],
  cfg: CoreConfig,
  board: Pick<Board, 'ddr'>,
  o: { clockMHz: number; timing?: CoreTiming },
): ProgramLatency {
  const t = o.timing ?? coreTiming(cfg);
  const W = streamWidth(cfg);
  const L = lanes(cfg);
  const bytesPerCycle = (board.ddr.deratedGBps * 1e9) / (o.clockMHz * 1e6);
  const stamps = scheduleProgram(jobs.map((j) => j.fields), cfg, t);
  const out: JobLatency[] = jobs.map((j, i) => {
    const c = jobBeats(j.fields, cfg);
    const st = stamps[i]!;
    const prev = i > 0 ? stamps[i - 1]!.lastBeat + 1 : 0;
    const coreCycles = st.lastBeat + 1 - prev;
    const ddrBytes = j.ddrBytes ?? ((c.actBeats + c.programBeats + c.resBeats + c.outBeats) * W) / 8;
    const ddrCycles = Math.ceil(ddrBytes / bytesPerCycle);
    const cycles = Math.max(coreCycles, ddrCycles);
    // compute-bound when the issuer was busy for most of the job's share; else bound by loads / result latency
    const bound = ddrCycles > coreCycles ? 'ddr' : c.issue >= 0.9 * coreCycles ? 'compute' : 'latency';
    const f = j.fields;
    const load = 27 + f.padT + f.padL + Math.max(sectionCycles(f, cfg), 1 + f.actWords);
    const compute = st.lastBeat - st.start + 1;
    return { ...c, ...st, load, compute, name: j.name, layer: j.layer, macs: j.macs, ddrBytes, ddrCycles, coreCycles, cycles, bound };
  });
  const cycles = out.reduce((a, j) => a + j.cycles, 0);
  const macs = out.reduce((a, j) => a + j.macs, 0);
  const convIdx = jobs.map((j, i) => (j.conv ? i : -1)).filter((i) => i >= 0);
  const convMacs = convIdx.reduce((a, i) => a + out[i]!.macs, 0);
  const convCore = convIdx.reduce((a, i) => a + out[i]!.coreCycles, 0);
  const convCycles = convIdx.reduce((a, i) => a + out[i]!.cycles, 0);
  const ms = cycles / (o.clockMHz * 1e3);
  return {
    clockMHz: o.clockMHz,
    ddrGBps: board.ddr.deratedGBps,
    jobs: out,
    coreCycles: stamps.length ? stamps[stamps.length - 1]!.lastBeat + 1 : 0,
    cycles,
    ms,
    macs,
    effectiveGops: ms > 0 ? (2 * macs) / (ms * 1e6) : 0,
    peakGops: peakGops(cfg, o.clockMHz),
    convEfficiency: convCore ? convMacs / (convCore * cfg.N * L) : 0,
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
    r.compute += j.coreCycles;
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
