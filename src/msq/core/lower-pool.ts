/**
 * Lowering of pools to core jobs: maxpool / avgpool / globalavgpool → MAXPOOL / AVGPOOL jobs (channel groups split
 * across jobs when needed; output rows in bands as for GEMMs). The 1x1 AVGPOOL with M = 2, S = 1 is the identity
 * (requantize(x, 2, 1, 0, hi) = x): a standalone relu (lo = 0) and the copies of concat / resize use it.
 */
import { fail } from '../../util/errors.js';
import type { Window } from '../geometry.js';
import { lutFields, type JobLut } from './lower-ops.js';
import { poolBits, poolStepsMax, type CoreConfig } from './config.js';
import { minPassCycles, type ChannelParams, type JobSpec } from './job.js';
import { emptyResidual, finishJob, type ActSource, type CompiledJob, type HostTensor, type OutPlace, type TensorRegion } from './program.js';
import { bandRows, makeBands } from './tiling.js';
import { ceilDiv } from '../../util/math.js';

/** A pool job's window and output size in geometry.ts's spelling (input: the host tensor's shape). */
export interface PoolOpts extends Window {
  layer: string;
  op: 'maxpool' | 'avgpool';
  input: HostTensor;
  outName: string;
  outSigned: boolean;
  place?: OutPlace;
  outH: number;
  outW: number;
  /** AVGPOOL requantizer */
  M: number;
  S: number;
  lo: number;
  hi: number;
  /** lookup table after the requantizer (AVGPOOL) */
  lut?: JobLut;
}

/** The jobs of one pool: per row band, per channel-group block. */
export function lowerPool(cfg: CoreConfig, o: PoolOpts): CompiledJob[] {
  const { N } = cfg;
  const at = `layer '${o.layer}'`;
  const [C, H, W] = o.input.shape;
  const steps = o.kh * o.kw;
  if (steps > poolStepsMax(cfg)) fail(at, `window of ${steps} positions exceeds the ${poolStepsMax(cfg)} a pool lane's ${poolBits(cfg)}-bit sum holds (core.kMax sizes the sums: raise it)`);
  if (steps > 2 ** 16 - 1) fail(`${at}.kernel`, 'window too large');
  if (o.padL > 255 || o.sh > 255 || o.sw > 255) fail(`${at}.padding`, 'padding / stride above 255 not supported');
  const totalGroups = ceilDiv(C, N);
  if (isGlobal(o, H, W) && H * W > cfg.actDepth) return lowerPoolChain(cfg, o);
  // channel groups per job: passes <= maxPasses, cout <= cDepth, and one output row must fit actDepth
  let gp = Math.min(totalGroups, cfg.maxPasses, Math.floor(cfg.cDepth / N));
  const oneRow = bandRows({ ...o, inH: H }, 0, 1).inRows;
  while (gp > 1 && Math.max(1, oneRow) * W * gp > cfg.actDepth) gp--;
  if (gp < 1) fail(at, `core.cDepth = ${cfg.cDepth} holds no channel group`);
  const bands = makeBands(at, { ...o, inH: H }, W * gp, cfg.actDepth);
  const jobs: CompiledJob[] = [];
  for (const band of bands) {
    for (let g0 = 0; g0 < totalGroups; g0 += gp) {
      const cinGroups = Math.min(gp, totalGroups - g0);
      const c0 = g0 * N;
      const cCount = Math.min(C - c0, cinGroups * N);
      // AVGPOOL: lanes past the tensor's channels are 0 (cout = cCount: no parameters, and a table never sees them)
      const cout = o.op === 'avgpool' ? cCount : cinGroups * N;
      const params: ChannelParams[] = o.op === 'avgpool' ? Array.from({ length: cout }, () => ({ bias: 0, M: o.M, S: o.S })) : [];
      const spec: JobSpec = {
        name: `${o.layer}[r${band.oy0}+${band.rows},c${c0}+${cCount}]`,
        layer: o.layer,
        op: o.op,
        actSigned: o.input.signed,
        fixed4: false,
        ...emptyResidual(),
        inH: band.inRows,
        inW: W,
        outH: band.rows,
        outW: o.outW,
        kh: o.kh,
        kw: o.kw,
        sh: o.sh,
        sw: o.sw,
        padT: band.padT,
        padL: o.padL,
        cinGroups,
        passes: cinGroups,
        steps,
        passCycles: minPassCycles(cfg, o.op, steps),
        cout,
        coutGroups: cinGroups,
        wordsPerLane: 0,
        actWords: band.inRows * W * cinGroups,
        rowStride: W * cinGroups,
        rowStep: o.sh * W * cinGroups,
        colStep: o.sw * cinGroups,
        lo: o.op === 'avgpool' ? o.lo : 0,
        hi: o.op === 'avgpool' ? o.hi : 0,
        fixedWords: [],
        sp2Words: [],
        chanMap: [],
        params,
        ...lutFields(o.lut),
      };
      const act: ActSource = { kind: 'tile', tensor: o.input.name, shape: o.input.shape, y0: band.y0, rows: band.inRows, c0, cCount };
      const out: TensorRegion = { tensor: o.outName, shape: o.place?.shape ?? [C, o.outH, o.outW], y0: band.oy0, rows: band.rows, c0: (o.place?.c0 ?? 0) + c0, cCount, signed: o.outSigned };
      jobs.push(finishJob(cfg, spec, act, out, undefined, 0));
    }
  }
  return jobs;
}

function isGlobal(o: PoolOpts, H: number, W: number): boolean {
  return o.op === 'avgpool' && o.outH === 1 && o.outW === 1 && o.kh === H && o.kw === W && o.padT === 0 && o.padL === 0;
}

/**
 * A global average pool whose map does not fit one activation bank: per channel group, a chain of AVGPOOL jobs over
 * row bands of at most actDepth words. Each job after the first continues the pool sums of the one before
 * (`poolAcc`); the chain's last job requantizes the whole sum (M, S, clamp, table). The others are partial: M = 0 and
 * clamp [0, 0] make their m_out all 0 (the host writes it to the output region, which the last job overwrites).
 */
function lowerPoolChain(cfg: CoreConfig, o: PoolOpts): CompiledJob[] {
  const { N } = cfg;
  const [C, H, W] = o.input.shape;
  if (W > cfg.actDepth) fail(`layer '${o.layer}'`, `one input row of the global pool needs ${W} activation words, core.actDepth is ${cfg.actDepth}: raise core.actDepth`);
  const bandH = Math.floor(cfg.actDepth / W);
  const jobs: CompiledJob[] = [];
  for (let c0 = 0; c0 < C; c0 += N) {
    const cCount = Math.min(N, C - c0);
    for (let y0 = 0; y0 < H; y0 += bandH) {
      const rows = Math.min(bandH, H - y0);
      const last = y0 + rows >= H;
      const steps = rows * W;
      const spec: JobSpec = {
        name: `${o.layer}[r${y0}+${rows},c${c0}+${cCount}]`,
        layer: o.layer,
        op: 'avgpool',
        actSigned: o.input.signed,
        fixed4: false,
        ...emptyResidual(),
        inH: rows, inW: W, outH: 1, outW: 1, kh: rows, kw: W, sh: 1, sw: 1, padT: 0, padL: 0,
        cinGroups: 1, passes: 1, steps, passCycles: minPassCycles(cfg, 'avgpool', steps),
        cout: cCount, coutGroups: 1, wordsPerLane: 0,
        actWords: steps, rowStride: W, rowStep: W, colStep: 1,
        lo: last ? o.lo : 0,
        hi: last ? o.hi : 0,
        fixedWords: [], sp2Words: [], chanMap: [],
        params: Array.from({ length: cCount }, () => ({ bias: 0, M: last ? o.M : 0, S: o.S })),
        ...(last ? lutFields(o.lut) : {}),
        ...(y0 > 0 ? { poolAcc: true } : {}),
      };
      const act: ActSource = { kind: 'tile', tensor: o.input.name, shape: o.input.shape, y0, rows, c0, cCount };
      const out: TensorRegion = { tensor: o.outName, shape: o.place?.shape ?? [C, 1, 1], y0: 0, rows: 1, c0: (o.place?.c0 ?? 0) + c0, cCount, signed: o.outSigned };
      jobs.push({ ...finishJob(cfg, spec, act, out, undefined, 0), ...(last ? {} : { partial: true as const }) });
    }
  }
  return jobs;
}
