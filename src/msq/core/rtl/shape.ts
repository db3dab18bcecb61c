/**
 * Generation-time sizes, limits and cycle constants of the MSQ core RTL (docs/msq-core-rtl.md): what the builders in
 * this folder, the cycle model and the tests share.
 */
import { fail } from '../../../util/errors.js';
import { accBits, checkCoreConfig, lanes, streamWidth, type CoreConfig } from '../config.js';
import { coreLaneLatency } from '../lanes.js';
import { coreRqaLatency } from '../rqa.js';
import { LUT_ENTRIES } from '../../lut.js';
import { ceilDiv } from '../../../util/math.js';

/** Bits to address 0..n-1 (at least 1). */
export function abits(n: number): number {
  let b = 1;
  while (2 ** b < n) b++;
  return b;
}

/** Bits to hold 0..n (at least 1). */
export function cbits(n: number): number {
  return abits(n + 1);
}

export const isPow2 = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** Derived sizes of one core (all generation-time constants). */
export interface CoreShape {
  W: number;
  L: number;
  /** accumulator lanes served per requantizer unit (GEMM) */
  G: number;
  /** pool lanes served per requantizer unit (AVGPOOL) */
  GP: number;
  accBits: number;
  laneLatency: number;
  rqaLatency: number;
  /** activation / weight / channel-map / parameter / residual / output-word address bits (one bank) */
  AW: number;
  WAB: number;
  CMA: number;
  CB: number;
  CGB: number;
  /** log2 N */
  LN: number;
}

export function coreShape(cfg: CoreConfig): CoreShape {
  const L = lanes(cfg);
  const LN = Math.log2(cfg.N);
  return {
    W: streamWidth(cfg),
    L,
    G: ceilDiv(L, cfg.Rq),
    GP: ceilDiv(cfg.N, cfg.Rq),
    accBits: accBits(cfg),
    laneLatency: coreLaneLatency(cfg),
    rqaLatency: coreRqaLatency(cfg),
    AW: abits(cfg.actDepth),
    WAB: abits(cfg.wDepth),
    CMA: abits(cfg.maxPasses * ceilDiv(L, cfg.Rq)),
    CB: Math.max(1, abits(cfg.cDepth)),
    CGB: abits(cfg.cDepth / cfg.N),
    LN,
  };
}

/**
 * Cycle constants of the schedule (docs/msq-core-rtl.md), for the cycle model. `complete`: from the cycle that issues
 * a pixel's last step to the first cycle in which the pixel is complete (all its results written); `emit`: from
 * that cycle to its first m_out beat (output FIFO empty, m_out ready).
 */
export interface CoreRtlTiming {
  laneLatency: number;
  rqaLatency: number;
  G: number;
  GP: number;
  pixelBanks: number;
  complete: { gemm: number; avgpool: number; maxpool: number };
  emit: number;
  /** idle issue cycles between two jobs whose banks are loaded (IDLE + SETUP) */
  jobGap: number;
  /** program loader: descriptor section cycles; every other section costs items + 1 */
  descCycles: number;
  /** a job whose op differs from the previous (non-MAXPOOL) job waits until no step was issued for this many cycles */
  quiet: number;
}

export function coreRtlTiming(cfg: CoreConfig, pixelBanks: number = DEFAULT_PIXEL_BANKS): CoreRtlTiming {
  const S = coreShape(cfg);
  return {
    laneLatency: S.laneLatency,
    rqaLatency: S.rqaLatency,
    G: S.G,
    GP: S.GP,
    pixelBanks,
    complete: {
      gemm: 1 + S.laneLatency + S.G + 3 + S.rqaLatency + LUT_STAGES + 1,
      avgpool: 2 + S.GP + 3 + S.rqaLatency + LUT_STAGES + 1,
      maxpool: 3,
    },
    emit: 3,
    jobGap: 2,
    descCycles: 25,
    quiet: quietCycles(S),
  };
}

/**
 * Results a GEMM pass serializes per requantizer unit: min(G, passCycles) (lane j is unit j mod Rq's item j div Rq;
 * a pass shorter than G cycles serves only its first passCycles items, so its valid lanes are below passCycles * Rq).
 * `complete.gemm` is for G items; a job serving fewer is complete G - serve cycles earlier.
 */
export function gemmServe(t: Pick<CoreRtlTiming, 'G'>, passCycles: number): number {
  return Math.min(t.G, passCycles);
}

/** Items the program loader writes per clock in a weight section: k when the section packs k items per beat and its
 *  lane count is a multiple of k (whole-beat writes), else 1. */
export function weightItemsPerClock(cfg: CoreConfig, section: 'fixed' | 'fixed4' | 'sp2'): number {
  const W = streamWidth(cfg);
  const [k, P] = section === 'sp2' ? [Math.floor(W / (cfg.N * cfg.m)), cfg.Ps] : [Math.floor(W / (cfg.N * (section === 'fixed4' ? 4 : cfg.WF))), cfg.Pf];
  return k > 1 && P > 0 && P % k === 0 ? k : 1;
}

/** Descriptor fields that fix the program loader's time (docs/msq-core-rtl.md "Program loader"). */
export interface ProgramFields {
  op: 'gemm' | 'maxpool' | 'avgpool';
  fixed4: boolean;
  padT: number;
  padL: number;
  wordsPerLane: number;
  passes: number;
  cout: number;
  lut?: boolean;
  noSp2?: boolean;
}

/**
 * Cycles of the program loader for one job with s_wgt always valid: from the DESC state's first cycle to the cycle
 * after the program's last item (prog_ok visible), i.e. descriptor + DERIVE + each non-empty section (items / items
 * per clock + 1). `descValid` is the offset at which the descriptor (and the start address) is valid.
 */
export function coreProgramCycles(cfg: CoreConfig, f: ProgramFields): { descValid: number; total: number } {
  const L = cfg.Pf + cfg.Ps;
  const descValid = 25 + f.padT + f.padL + 1;
  let total = descValid;
  if (f.op === 'gemm') {
    if (cfg.Pf > 0) total += (f.wordsPerLane * cfg.Pf) / weightItemsPerClock(cfg, f.fixed4 ? 'fixed4' : 'fixed') + 1;
    if (cfg.Ps > 0 && !f.noSp2) total += (f.wordsPerLane * cfg.Ps) / weightItemsPerClock(cfg, 'sp2') + 1;
    total += f.passes * L + 1;
  }
  if (f.op !== 'maxpool') total += f.cout + 1;
  if (f.lut) total += LUT_ENTRIES + 1;
  return { descValid, total };
}

export function quietCycles(S: CoreShape): number {
  return S.laneLatency + Math.max(S.G, S.GP) + S.rqaLatency + LUT_STAGES + 10;
}

/** Generation limits of this RTL beyond checkCoreConfig (one-line UserErrors naming the field). */
export function checkCoreRtl(cfg: CoreConfig): void {
  checkCoreConfig(cfg);
  if (!isPow2(cfg.N) || cfg.N < 2) fail('core.N', `the core RTL needs N a power of two >= 2 (channel -> lane / word by bit slicing), got ${cfg.N}`);
  if (!isPow2(cfg.cDepth)) fail('core.cDepth', `the core RTL needs cDepth a power of two, got ${cfg.cDepth}`);
  if (cfg.A > 16) fail('core.A', `the core RTL supports A <= 16 (16-bit clamps), got ${cfg.A}`);
}

/** Register stages of the lookup-table stage after the requantizers (result-path.ts lutStage), with or without a table. */
export const LUT_STAGES = 1;

/** Output pixel banks unless CoreRtlOptions says otherwise. */
export const DEFAULT_PIXEL_BANKS = 4;
