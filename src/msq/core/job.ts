/**
 * MSQ core jobs (docs/msq-core.md "Job program on s_wgt"): the JobSpec a compiler fills in, its encoding as `s_wgt`
 * beats (descriptor, fixed weights, SP2 weights, channel map, parameters), the limits a job must respect, and the
 * packing of activation / residual tiles and output beats.
 *
 * Weight words are kept exactly as the stream items carry them: `fixedWords[a * Pf + l]` is lane `l`'s word at
 * address `a` (N codes of `wb` bits, code for activation lane `n` at bits `[n*wb +: wb]`, two's complement, as an
 * unsigned bigint); `sp2Words[a * Ps + l]` likewise with m-bit SP2 codes.
 */
import { DESCRIPTOR, packDescriptor, type DescValues } from './descriptor.js';
import { fail } from '../../util/errors.js';
import { REQUANT_M_MAX, REQUANT_S } from '../conventions.js';
import type { Geometry } from '../geometry.js';
import { CHANNEL_BITS, DESC_WORDS, lanes, poolBits, poolStepsMax, streamWidth, type CoreConfig } from './config.js';
import { LUT_ENTRIES } from '../lut.js';
import { ceilDiv } from '../../util/math.js';

export type JobOp = 'gemm' | 'maxpool' | 'avgpool';

/** Descriptor op codes (word 0 bits 3:0). */
export const OP_CODE: Record<JobOp, number> = { gemm: 0, maxpool: 1, avgpool: 2 };

/** Requantization parameters of one job-local output channel (section 5). */
export interface ChannelParams {
  bias: number;
  M: number;
  S: number;
}

/** A job's tile geometry (geometry.ts spelling; bottom / right padding are implied by the tile's input rows and width). */
export type JobGeometry = Pick<Geometry, 'inH' | 'inW' | 'outH' | 'outW' | 'kh' | 'kw' | 'sh' | 'sw' | 'padT' | 'padL'>;

export interface JobSpec extends JobGeometry {
  /** readable job name, e.g. `conv1[r0-13,c0-15]` (metadata, not encoded) */
  name: string;
  /** model layer this job computes (metadata) */
  layer: string;
  op: JobOp;
  actSigned: boolean;
  /** fixed weights travel as 4-bit codes (every fixed-lane code in [-8, 7]) */
  fixed4: boolean;
  residual: boolean;
  resSigned: boolean;
  cinGroups: number;
  passes: number;
  steps: number;
  passCycles: number;
  cout: number;
  coutGroups: number;
  wordsPerLane: number;
  actWords: number;
  rowStride: number;
  rowStep: number;
  colStep: number;
  /** requantizer clamp (GEMM / AVGPOOL) */
  lo: number;
  hi: number;
  /** fused residual add (only with `residual`; 0 otherwise) */
  addLo: number;
  addHi: number;
  Ma: number;
  Mb: number;
  addS: number;
  /** `wordsPerLane * Pf` fixed lane words, item order `a * Pf + l` (GEMM; empty otherwise) */
  fixedWords: bigint[];
  /** `wordsPerLane * Ps` SP2 lane words, item order `a * Ps + l` (GEMM; empty otherwise) */
  sp2Words: bigint[];
  /** `passes * L` entries, `p * L + j`: job-local output channel of lane `j` in pass `p`, or -1 (idle lane). GEMM only. */
  chanMap: number[];
  /** `cout` entries (GEMM, AVGPOOL; empty for MAXPOOL) */
  params: ChannelParams[];
  /**
   * per-layer lookup table after the requantizer's clamp (GEMM, AVGPOOL; src/msq/lut.ts): the result y becomes
   * `lutTable[y mod 256]` (LUT_ENTRIES entries in the core's layout, lutWords); absent or false: no table
   */
  lut?: boolean;
  lutTable?: number[];
  /**
   * AVGPOOL with one pass and one output pixel: the pool sums start from the previous job's (a chain of row bands
   * of one global pool, lower-pool.ts), not from 0. The previous job must be the chain's previous AVGPOOL job.
   */
  poolAcc?: boolean;
  /**
   * GEMM: the program has no SP2 weight section (a fixed-only job: every valid channel-map lane is a fixed lane); the
   * SP2 lanes keep older weights and compute nothing used. `sp2Words` are still given (zeros), not streamed.
   */
  noSp2?: boolean;
  /** the table's values are signed (how the host reads m_out; only with `lut`) */
  lutSigned?: boolean;
}

/** Fixed weight code width on the stream: 4 in fixed4 mode, else WF. */
export function fixedItemBits(cfg: CoreConfig, job: Pick<JobSpec, 'fixed4'>): number {
  return job.fixed4 ? 4 : cfg.WF;
}

/**
 * Smallest issue cycles per pass: every requantizer unit serializes its share of the results. GEMM lane j is
 * requantizer unit j mod Rq's item j div Rq (docs/msq-core-rtl.md), so a job whose valid lanes are all below `used`
 * (default: all L lanes; e.g. Pf for a fixed-only job) needs ceil(used / Rq) cycles per pass.
 */
export function minPassCycles(cfg: CoreConfig, op: JobOp, steps: number, used: number = lanes(cfg)): number {
  if (op === 'gemm') return Math.max(steps, ceilDiv(Math.max(1, used), cfg.Rq));
  if (op === 'avgpool') return Math.max(steps, ceilDiv(cfg.N, cfg.Rq));
  return steps;
}

/** 1 + the highest lane with a valid channel-map entry in any pass (chanMap item p * L + j): the lanes a pass serves. */
export function usedLanes(cfg: CoreConfig, chanMap: readonly number[]): number {
  const L = lanes(cfg);
  let u = 0;
  chanMap.forEach((c, i) => {
    if (c !== -1) u = Math.max(u, (i % L) + 1);
  });
  return u;
}

/**
 * The lanes a GEMM pass serves when `onFixed` filters sit on fixed lanes and `onSp2` on SP2 lanes, filled pass 0 first
 * in lane order (filter-lanes.ts assignLanes): 1 + the highest lane used (SP2 lane l is lane Pf + l).
 */
export function lanesServed(cfg: CoreConfig, onFixed: number, onSp2: number): number {
  return onSp2 > 0 ? cfg.Pf + Math.min(cfg.Ps, onSp2) : Math.min(cfg.Pf, onFixed);
}

/** GEMM fields that follow from the lanes a job's passes serve: the shortest passes, no SP2 section when none is used. */
export function servedFields(cfg: CoreConfig, steps: number, used: number): Pick<JobSpec, 'passCycles' | 'noSp2'> {
  const passCycles = minPassCycles(cfg, 'gemm', steps, used);
  return cfg.Ps > 0 && cfg.Pf > 0 && used <= cfg.Pf ? { passCycles, noSp2: true } : { passCycles };
}

/** N codes (two's complement or unsigned patterns) of `bits` each into one word, code `n` at bits `[n*bits +: bits]`. */
export function packCodes(codes: ArrayLike<number>, bits: number): bigint {
  const mask = (1n << BigInt(bits)) - 1n;
  let word = 0n;
  for (let n = codes.length - 1; n >= 0; n--) word = (word << BigInt(bits)) | (BigInt(codes[n]!) & mask);
  return word;
}

/** Inverse of packCodes for `count` codes; `signed` sign-extends each. */
export function unpackCodes(word: bigint, bits: number, count: number, signed: boolean): number[] {
  const mask = (1n << BigInt(bits)) - 1n;
  const out: number[] = [];
  for (let n = 0; n < count; n++) {
    let v = Number((word >> BigInt(n * bits)) & mask);
    if (signed && v >= 2 ** (bits - 1)) v -= 2 ** bits;
    out.push(v);
  }
  return out;
}

/** Items of `b` bits packed `floor(W / b)` per beat (docs "Job program"): one section's beats. */
export function packItems(items: readonly bigint[], b: number, W: number): bigint[] {
  if (b > W) throw new Error(`packItems: item of ${b} bits wider than the ${W}-bit stream`);
  const k = Math.floor(W / b);
  const mask = (1n << BigInt(b)) - 1n;
  const beats: bigint[] = [];
  for (let i = 0; i < items.length; i += k) {
    let beat = 0n;
    for (let j = Math.min(k, items.length - i) - 1; j >= 0; j--) beat = (beat << BigInt(b)) | (items[i + j]! & mask);
    beats.push(beat);
  }
  return beats;
}

const u = (v: number, bits: number): number => (v < 0 ? v + 2 ** bits : v);

/** The 24 descriptor words (unsigned 32-bit numbers): the job's fields at the places of the one layout (descriptor.ts). */
export function descriptorWords(job: JobSpec): number[] {
  const v = {} as DescValues;
  for (const x of DESCRIPTOR) {
    const val = x.name === 'op' ? OP_CODE[job.op] : job[x.name];
    v[x.name] = typeof val === 'boolean' ? Number(val) : (val ?? 0);
  }
  return packDescriptor(v);
}

/** The job program: `s_wgt` beats of W = N*A bits, sections 1..5 of the doc, each starting on a new beat. */
export function encodeProgram(cfg: CoreConfig, job: JobSpec): bigint[] {
  const W = streamWidth(cfg);
  const L = lanes(cfg);
  const out: bigint[] = [];
  out.push(...packItems(descriptorWords(job).map((x) => BigInt(x)), 32, W));
  if (job.op === 'gemm') {
    out.push(...packItems(job.fixedWords, cfg.N * fixedItemBits(cfg, job), W));
    if (!job.noSp2) out.push(...packItems(job.sp2Words, cfg.N * cfg.m, W));
    const map: bigint[] = [];
    for (let i = 0; i < job.passes * L; i++) {
      const c = job.chanMap[i]!;
      map.push(c < 0 ? 0n : BigInt(0x8000 | c));
    }
    out.push(...packItems(map, 16, W));
  }
  if (job.op !== 'maxpool') {
    const items = job.params.map((p) => (BigInt(p.S) << 64n) | (BigInt(p.M) << 32n) | BigInt(u(p.bias, 32)));
    out.push(...packItems(items, 96, W));
  }
  if (job.lut) out.push(...packItems(job.lutTable!.map((x) => BigInt(u(x, 16))), 16, W));
  return out;
}

/** Number of `s_wgt` beats of a job (without encoding it). */
export function programBeats(cfg: CoreConfig, job: Pick<JobSpec, 'op' | 'fixed4' | 'wordsPerLane' | 'passes' | 'cout' | 'lut' | 'noSp2'>): number {
  const W = streamWidth(cfg);
  const beats = (items: number, b: number): number => ceilDiv(items, Math.floor(W / b));
  let n = beats(DESC_WORDS, 32);
  if (job.op === 'gemm') {
    n += beats(job.wordsPerLane * cfg.Pf, cfg.N * fixedItemBits(cfg, job));
    if (!job.noSp2) n += beats(job.wordsPerLane * cfg.Ps, cfg.N * cfg.m);
    n += beats(job.passes * lanes(cfg), 16);
  }
  if (job.op !== 'maxpool') n += beats(job.cout, 96);
  if (job.lut) n += beats(LUT_ENTRIES, 16);
  return n;
}

/** Beats of the job's s_act, s_res and m_out streams. */
export function jobStreamBeats(job: JobSpec): { act: number; res: number; out: number } {
  const pix = job.outH * job.outW;
  return { act: job.actWords, res: job.residual ? pix * job.coutGroups : 0, out: pix * job.coutGroups };
}

/** DDR bytes moved for a job: program + activations + residual + output beats, W/8 bytes each. */
export function jobDdrBytes(cfg: CoreConfig, job: JobSpec): number {
  const s = jobStreamBeats(job);
  return ((programBeats(cfg, job) + s.act + s.res + s.out) * streamWidth(cfg)) / 8;
}

/**
 * Check that a job fits the core (banks, limits, field widths) and is self-consistent. Errors are one line naming the
 * job's layer and the field.
 */
export function checkJob(cfg: CoreConfig, job: JobSpec, o: { words?: boolean } = {}): void {
  const at = `layer '${job.layer}' job ${job.name}`;
  const bad = (field: string, problem: string): never => fail(`${at}.${field}`, problem);
  const range = (field: keyof JobSpec, lo: number, hi: number, why = ''): void => {
    const v = job[field] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) bad(field, `is ${v}, must be in ${lo}..${hi}${why}`);
  };
  const { N } = cfg;
  const L = lanes(cfg);
  const u16 = 2 ** 16 - 1;
  const u24 = 2 ** 24 - 1;
  range('inH', 1, u16);
  range('inW', 1, u16);
  range('outH', 1, u16);
  range('outW', 1, u16);
  range('kh', 1, u16);
  range('kw', 1, u16);
  range('sh', 1, 255);
  range('sw', 1, 255);
  range('padT', 0, 255);
  range('padL', 0, 255);
  range('cinGroups', 1, u16);
  range('passes', 1, cfg.maxPasses, ' (core.maxPasses: split the output channels into more jobs)');
  range('cout', 1, cfg.cDepth, ' (core.cDepth)');
  if (job.coutGroups !== ceilDiv(job.cout, N)) bad('coutGroups', `is ${job.coutGroups}, expected ceil(cout / N) = ${ceilDiv(job.cout, N)}`);
  range('actWords', 1, cfg.actDepth, ' (core.actDepth: use smaller row bands)');
  if (job.actWords !== job.inH * job.inW * job.cinGroups) bad('actWords', `is ${job.actWords}, expected inH * inW * cinGroups`);
  if (job.rowStride !== job.inW * job.cinGroups) bad('rowStride', 'must be inW * cinGroups');
  if (job.rowStep !== job.sh * job.rowStride) bad('rowStep', 'must be sh * rowStride');
  if (job.colStep !== job.sw * job.cinGroups) bad('colStep', 'must be sw * cinGroups');
  range('rowStep', 0, u24);
  range('colStep', 0, u16);
  if (job.op === 'gemm' && job.steps * N > cfg.kMax) bad('steps', `${job.steps} steps x N = ${job.steps * N} exceed core.kMax = ${cfg.kMax}`);
  if (job.op !== 'gemm' && job.steps > poolStepsMax(cfg)) bad('steps', `a pool window of ${job.steps} positions exceeds the ${poolStepsMax(cfg)} a lane's ${poolBits(cfg)}-bit sum holds`);
  range('passCycles', Math.max(1, minPassCycles(cfg, job.op, job.steps, job.op === 'gemm' ? usedLanes(cfg, job.chanMap) : undefined)), u16);
  if (job.op === 'gemm') {
    range('steps', 1, u16);
    if (job.steps !== job.kh * job.kw * job.cinGroups) bad('steps', 'must be kh * kw * cinGroups for GEMM');
    if (job.wordsPerLane !== job.passes * job.steps) bad('wordsPerLane', 'must be passes * steps for GEMM');
    range('wordsPerLane', 1, cfg.wDepth, ' (core.wDepth: split the output channels into more jobs)');
    // o.words false: a program compiled without weight words (compile.ts CompileOptions.weights, the sizing search)
    if (o.words !== false && job.fixedWords.length !== job.wordsPerLane * cfg.Pf) bad('fixedWords', `has ${job.fixedWords.length} words, expected wordsPerLane * Pf`);
    if (o.words !== false && job.sp2Words.length !== job.wordsPerLane * cfg.Ps) bad('sp2Words', `has ${job.sp2Words.length} words, expected wordsPerLane * Ps`);
    const fb = BigInt(N * fixedItemBits(cfg, job));
    for (const w of job.fixedWords) if (w < 0n || w >> fb) bad('fixedWords', `a word exceeds ${fb} bits`);
    const sb = BigInt(N * cfg.m);
    for (const w of job.sp2Words) if (w < 0n || w >> sb) bad('sp2Words', `a word exceeds ${sb} bits`);
    if (job.chanMap.length !== job.passes * L) bad('chanMap', `has ${job.chanMap.length} entries, expected passes * L = ${job.passes * L}`);
    const seen = new Set<number>();
    job.chanMap.forEach((c, i) => {
      if (c === -1) return;
      if (!Number.isInteger(c) || c < 0 || c >= job.cout || c >= 2 ** CHANNEL_BITS) bad(`chanMap[${i}]`, `channel ${c} outside 0..cout-1`);
      if (seen.has(c)) bad(`chanMap[${i}]`, `channel ${c} mapped twice`);
      seen.add(c);
    });
    // every output channel must be produced, or its output lanes would be undefined
    if (seen.size !== job.cout) bad('chanMap', `maps ${seen.size} of ${job.cout} output channels`);
  } else {
    if (job.steps !== job.kh * job.kw) bad('steps', 'must be kh * kw for pools');
    range('steps', 1, u16);
    if (job.passes !== job.cinGroups) bad('passes', 'must equal cinGroups for pools');
    if (ceilDiv(job.cout, N) !== job.cinGroups) bad('cout', 'must be in (cinGroups - 1) * N + 1 .. cinGroups * N for pools (lanes past cout are 0)');
    if (job.wordsPerLane !== 0 || job.fixedWords.length || job.sp2Words.length || job.chanMap.length) bad('wordsPerLane', 'pools carry no weights');
    if (job.residual) bad('residual', 'only GEMM jobs take a residual operand');
    if (job.op === 'maxpool') {
      // every window needs an inside position: its first row / column must reach the tile
      if (job.padT >= job.kh || job.padL >= job.kw) bad('padT', 'a max-pool window would have no inside position');
      if ((job.outH - 1) * job.sh - job.padT >= job.inH) bad('outH', 'the last max-pool window row starts below the tile');
      if ((job.outW - 1) * job.sw - job.padL >= job.inW) bad('outW', 'the last max-pool window column starts right of the tile');
    }
  }
  if (job.op !== 'maxpool') {
    // o.words false: a GEMM job may carry no parameters (lower-gemm.ts); the ones it carries are checked
    if ((o.words !== false || job.params.length) && job.params.length !== job.cout) bad('params', `has ${job.params.length} entries, expected cout = ${job.cout}`);
    job.params.forEach((p, c) => {
      if (!Number.isInteger(p.bias) || p.bias < -(2 ** 31) || p.bias >= 2 ** 31) bad(`params[${c}].bias`, `${p.bias} is not a signed 32-bit integer`);
      if (!Number.isInteger(p.M) || p.M < 0 || p.M > REQUANT_M_MAX) bad(`params[${c}].M`, `${p.M} outside 0..2^31-1`);
      if (!Number.isInteger(p.S) || p.S < REQUANT_S.min || p.S > REQUANT_S.max) bad(`params[${c}].S`, `${p.S} outside 1..62`);
    });
    const [alo, ahi] = cfg.A >= 16 ? [-(2 ** 15), 2 ** 15 - 1] : [-(2 ** (cfg.A - 1)), 2 ** cfg.A - 1];
    if (job.lo > job.hi || job.lo < alo || job.hi > ahi) bad('lo', `clamp [${job.lo}, ${job.hi}] does not fit A = ${cfg.A} bits`);
  }
  if (job.noSp2 && (job.op !== 'gemm' || usedLanes(cfg, job.chanMap) > cfg.Pf)) bad('noSp2', 'drops the SP2 section: GEMM jobs whose valid lanes are all fixed lanes only');
  if (job.poolAcc && (job.op !== 'avgpool' || job.passes !== 1 || job.outH * job.outW !== 1)) {
    bad('poolAcc', 'continues the pool sums of the previous job: AVGPOOL jobs of one pass and one output pixel only');
  }
  if (job.lut) {
    if (job.op === 'maxpool') bad('lut', 'a lookup table follows the requantizer: GEMM and AVGPOOL jobs only');
    if (cfg.A < 8) bad('lut', `a lookup table is indexed by the low 8 bits of the result: core.A = ${cfg.A} < 8`);
    const t = job.lutTable ?? [];
    if (t.length !== LUT_ENTRIES) bad('lutTable', `has ${t.length} entries, expected ${LUT_ENTRIES}`);
    const [olo, ohi] = job.lutSigned ? [-(2 ** (cfg.A - 1)), 2 ** (cfg.A - 1) - 1] : [0, 2 ** cfg.A - 1];
    t.forEach((x, i) => {
      if (!Number.isInteger(x) || x < olo || x > ohi) bad(`lutTable[${i}]`, `${x} does not fit A = ${cfg.A} ${job.lutSigned ? 'signed' : 'unsigned'} bits`);
    });
    const [clo, chi] = job.residual ? [job.addLo, job.addHi] : [job.lo, job.hi];
    if (chi - clo >= LUT_ENTRIES) bad('lo', `a lookup table indexes by y mod ${LUT_ENTRIES}: the clamp [${clo}, ${chi}] spans more than ${LUT_ENTRIES} values`);
  } else if (job.lutTable?.length || job.lutSigned) {
    bad('lut', 'lutTable / lutSigned need the lut flag');
  }
  if (job.residual) {
    if (job.addLo > job.addHi || job.addLo < -(2 ** 15) || job.addHi >= 2 ** 15) bad('addLo', `clamp [${job.addLo}, ${job.addHi}] invalid`);
    if (job.Ma < 0 || job.Ma > REQUANT_M_MAX) bad('Ma', `${job.Ma} outside 0..2^31-1`);
    if (job.Mb < 0 || job.Mb > REQUANT_M_MAX) bad('Mb', `${job.Mb} outside 0..2^31-1`);
    if (job.addS < REQUANT_S.min || job.addS > REQUANT_S.max) bad('addS', `${job.addS} outside 1..62`);
  } else if (job.resSigned || job.addLo || job.addHi || job.Ma || job.Mb || job.addS) {
    bad('residual', 'residual fields must be 0 without the residual flag');
  }
}

/** Whether a job's output values are signed (how to sign-extend the low A bits of m_out). */
export function outputSigned(job: JobSpec): boolean {
  if (job.op === 'maxpool') return job.actSigned;
  if (job.lut) return !!job.lutSigned;
  return (job.residual ? job.addLo : job.lo) < 0;
}

/**
 * Stream beats of a tile of a [C, H, W] tensor (row-major `data`): rows `y0 .. y0+rows-1`, all columns, channels
 * `c0 .. c0+cCount-1`; per pixel ceil(cCount / N) beats, local channel `g*N + n` in lane `n` (A bits, two's
 * complement), lanes past cCount 0. Rows outside the tensor are not allowed (the job's padding covers them).
 */
export function packTile(
  cfg: CoreConfig,
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  tile: { y0: number; rows: number; c0: number; cCount: number },
): bigint[] {
  const [C, H, W] = shape;
  const { N, A } = cfg;
  if (tile.y0 < 0 || tile.y0 + tile.rows > H || tile.c0 < 0 || tile.c0 + tile.cCount > C) {
    throw new Error(`packTile: tile rows ${tile.y0}+${tile.rows}, channels ${tile.c0}+${tile.cCount} outside [${C}, ${H}, ${W}]`);
  }
  const groups = ceilDiv(tile.cCount, N);
  const beats: bigint[] = [];
  const codes = new Array<number>(N);
  for (let y = tile.y0; y < tile.y0 + tile.rows; y++) {
    for (let x = 0; x < W; x++) {
      for (let g = 0; g < groups; g++) {
        for (let n = 0; n < N; n++) {
          const c = g * N + n;
          codes[n] = c < tile.cCount ? data[((tile.c0 + c) * H + y) * W + x]! : 0;
        }
        beats.push(packCodes(codes, A));
      }
    }
  }
  return beats;
}

/**
 * Unpack output (or residual) beats: per pixel ceil(cout / N) beats → values `[c][pixel]` (c < cout), the low A bits
 * sign-extended when `signed`.
 */
export function unpackBeats(cfg: CoreConfig, beats: readonly bigint[], cout: number, pixels: number, signed: boolean): Int32Array {
  const groups = ceilDiv(cout, cfg.N);
  if (beats.length !== pixels * groups) throw new Error(`unpackBeats: ${beats.length} beats, expected ${pixels} pixels x ${groups}`);
  const out = new Int32Array(cout * pixels);
  for (let p = 0; p < pixels; p++) {
    for (let g = 0; g < groups; g++) {
      const vals = unpackCodes(beats[p * groups + g]!, cfg.A, cfg.N, signed);
      for (let n = 0; n < cfg.N; n++) {
        const c = g * cfg.N + n;
        if (c < cout) out[c * pixels + p] = vals[n]!;
      }
    }
  }
  return out;
}
