/**
 * Generation parameters of the MSQ core (docs/msq-core.md "Generation parameters"): sizes only, no model.
 * Shared by the RTL generator, the job encoder / compiler and the cycle model.
 */
import { fail } from '../../util/errors.js';
import { ACT_BITS, SP2_BITS, maxIntWeight } from '../conventions.js';
import { bitsFor } from '../bounds.js';

export interface CoreConfig {
  /** activations per clock = lanes of every stream word; N * A >= 96 */
  N: number;
  /** fixed lanes (multipliers on DSP48E1) */
  Pf: number;
  /** SP2 lanes (shift-add in LUTs); L = Pf + Ps filters per pass */
  Ps: number;
  /** requantizer units (each with a residual-add unit); 1 <= Rq <= L */
  Rq: number;
  /** 1, or 2 = two fixed products per DSP48E1 */
  dspPack: 1 | 2;
  /** activation bits per stream lane */
  A: number;
  /** fixed weight bits held per code */
  WF: number;
  /** SP2 code width of every SP2 lane (3..8) */
  m: number;
  /**
   * activation bits the SP2 lanes take (2..A, default A): an SP2 lane multiplies the low sp2ActBits bits of each
   * activation lane (sign-extended when actSigned); jobs whose activations need more bits run on the fixed lanes
   */
  sp2ActBits?: number;
  /** words (N * A bits) per activation bank; two banks */
  actDepth: number;
  /** words per lane per weight bank (passes * steps of a job); two banks */
  wDepth: number;
  /** passes per job (channel map depth maxPasses * L per bank) */
  maxPasses: number;
  /** output channels per job (parameter bank depth); multiple of N */
  cDepth: number;
  /** largest reduction length steps * N of a job (sizes the accumulators) */
  kMax: number;
  /**
   * the whole job program (every job's descriptor, weights, channel map, parameters: the s_wgt beats) is held in an
   * on-chip ROM initialized from one compiled program and replayed for every input; the s_wgt port is absent
   * (docs/msq-core-rtl.md "Program ROM"). The generator then needs the program (CoreRtlOptions.rom).
   */
  rom?: boolean;
}

/** Descriptor words at the start of every job program. */
export const DESC_WORDS = 24;

/** Bits of the channel-map item's channel field (bits 14:0). */
export const CHANNEL_BITS = 15;

/** L = Pf + Ps: filters per pass. */
export function lanes(cfg: CoreConfig): number {
  return cfg.Pf + cfg.Ps;
}

/** W = N * A: width of every stream word. */
export function streamWidth(cfg: CoreConfig): number {
  return cfg.N * cfg.A;
}

/** Activation bits the SP2 lanes take: cfg.sp2ActBits, default A. */
export function sp2ActBitsOf(cfg: CoreConfig): number {
  return cfg.sp2ActBits ?? cfg.A;
}

/** Largest |activation| of an A-bit lane, signed or not: 2^A - 1 (unsigned). */
export function maxAbsAct(cfg: CoreConfig): bigint {
  return (1n << BigInt(cfg.A)) - 1n;
}

/** Largest |integer weight| a lane multiplies by: WF-bit two's complement (2^(WF-1)) or an m-bit SP2 value (2^P). */
export function maxAbsWeight(cfg: CoreConfig): bigint {
  const fixed = cfg.Pf > 0 ? 1n << BigInt(cfg.WF - 1) : 0n;
  const sp2 = cfg.Ps > 0 ? BigInt(maxIntWeight('sp2', cfg.m)) : 0n;
  return fixed > sp2 ? fixed : sp2;
}

/**
 * Signed accumulator bits: hold ±kMax * max|act| * max|w| (GEMM, any sign of acts / weights) and ±kMax * max|act|
 * (AVGPOOL window sum, at most kMax terms). The bias is added in the requantizer (its own width there).
 */
export function accBits(cfg: CoreConfig): number {
  const k = BigInt(cfg.kMax);
  const a = maxAbsAct(cfg);
  let w = maxAbsWeight(cfg);
  if (w < 1n) w = 1n;
  const v = k * a * w;
  return bitsFor(-v, v);
}

function int(cfg: CoreConfig, field: keyof CoreConfig, lo: number, hi: number): void {
  const v = cfg[field] as unknown;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail(`core.${field}`, `must be an integer in ${lo}..${hi}, got ${String(v)}`);
  }
}

/**
 * Bits of the pool reducer's per-lane sums: the accumulator width, at most what 2^16 - 1 window positions of A-bit
 * values need. Pool windows are bounded by these bits (poolStepsMax), not by kMax (a lane sums `steps` values).
 */
export function poolBits(cfg: CoreConfig): number {
  return Math.min(accBits(cfg), cfg.A + 18);
}

/** Largest pool window (kh * kw positions) a lane's sum holds: (2^(poolBits-1) - 1) / (2^A - 1), at most 2^16 - 1. */
export function poolStepsMax(cfg: CoreConfig): number {
  return Math.min(2 ** 16 - 1, Math.floor((2 ** (poolBits(cfg) - 1) - 1) / (2 ** cfg.A - 1)));
}

/** Throws a UserError naming `core.<field>` when the configuration is not buildable. */
export function checkCoreConfig(cfg: CoreConfig): void {
  int(cfg, 'N', 1, 4096);
  int(cfg, 'A', ACT_BITS.min, ACT_BITS.max);
  if (cfg.N * cfg.A < 96) fail('core.N', `N * A must be >= 96 (96-bit parameter items), got ${cfg.N} * ${cfg.A}: raise N`);
  int(cfg, 'Pf', 0, 4096);
  int(cfg, 'Ps', 0, 4096);
  if (cfg.Pf + cfg.Ps < 1) fail('core.Pf', 'Pf + Ps must be >= 1 (no lanes)');
  int(cfg, 'Rq', 1, cfg.Pf + cfg.Ps);
  if (cfg.dspPack !== 1 && cfg.dspPack !== 2) fail('core.dspPack', `must be 1 or 2, got ${String(cfg.dspPack)}`);
  int(cfg, 'WF', 4, 16);
  if (cfg.WF > cfg.A) fail('core.WF', `must be <= A = ${cfg.A} (a fixed weight item N*WF must fit one stream word), got ${cfg.WF}`);
  int(cfg, 'm', SP2_BITS.min, SP2_BITS.max);
  if (cfg.sp2ActBits !== undefined) int(cfg, 'sp2ActBits', 2, cfg.A);
  if (cfg.m > cfg.A) fail('core.m', `must be <= A = ${cfg.A} (an SP2 weight item N*m must fit one stream word), got ${cfg.m}`);
  int(cfg, 'actDepth', 1, 2 ** 24 - 1);
  int(cfg, 'wDepth', 1, 2 ** 24 - 1);
  int(cfg, 'maxPasses', 1, 2 ** 16 - 1);
  if (cfg.maxPasses > cfg.wDepth) fail('core.maxPasses', `must be <= wDepth = ${cfg.wDepth} (each pass holds >= 1 weight word), got ${cfg.maxPasses}`);
  int(cfg, 'cDepth', 1, 2 ** CHANNEL_BITS);
  if (cfg.cDepth % cfg.N !== 0) fail('core.cDepth', `must be a multiple of N = ${cfg.N}, got ${cfg.cDepth}`);
  int(cfg, 'kMax', cfg.N, (2 ** 16 - 1) * cfg.N);
  if (cfg.kMax % cfg.N !== 0) fail('core.kMax', `must be a multiple of N = ${cfg.N}, got ${cfg.kMax}`);
  if (cfg.rom !== undefined && typeof cfg.rom !== 'boolean') fail('core.rom', `must be true or false, got ${String(cfg.rom)}`);
  if (accBits(cfg) > 64) fail('core.kMax', `accumulators would need ${accBits(cfg)} bits (> 64): lower kMax, A or WF`);
}

/** A small design for tests (fast in Verilator): N=16, A=8, Pf=2, Ps=3, Rq=2, WF=8, m=4, modest depths. */
export function smallCoreConfig(over: Partial<CoreConfig> = {}): CoreConfig {
  const cfg: CoreConfig = {
    N: 16,
    Pf: 2,
    Ps: 3,
    Rq: 2,
    dspPack: 1,
    A: 8,
    WF: 8,
    m: 4,
    actDepth: 1024,
    wDepth: 256,
    maxPasses: 16,
    cDepth: 64,
    kMax: 4096,
    ...over,
  };
  return cfg;
}
