/**
 * Host compiler of the MSQ core (docs/msq-core.md "Host compilation"): a QuantModel becomes a Program, a list of jobs.
 * Every job carries its JobSpec (encoded with job.ts), where its s_act beats come from (a tile of a host tensor, or an
 * im2col gather), its s_res beats (fused residual add) and where its m_out beats go (a region of a host tensor).
 *
 * Lowering:
 *  - conv2d / linear → GEMM; depthwise conv2d → dense GEMM per channel group whose input is only that group's channels
 *    (zero weights off the filter's own channel); linear after flatten of [C, H, W] = a conv with kernel [H, W] over
 *    the [C, H, W] tensor (the weight order [c][y][x] is already the conv's [ci][ky][kx]; flatten costs nothing).
 *  - maxpool / avgpool / globalavgpool → MAXPOOL / AVGPOOL jobs (channel groups split across jobs when needed).
 *  - relu after a GEMM (its only consumer) → the GEMM's clamp (lo = max(lo, 0)); after an add → the add's clamp;
 *    otherwise an AVGPOOL 1x1 job with M = 2, S = 1 (requantize(x, 2, 1, 0, hi) = max(x, 0)).
 *  - add → fused into a GEMM producing one of its inputs (that GEMM's only consumer, possibly through a fused relu);
 *    the other input streams on s_res. The fused job runs at the add's position.
 *  - flatten → an alias (host tensors keep their [C, H, W] layout).
 * Lanes: fixed filters on fixed lanes, SP2 filters on SP2 lanes, SP2 filters whose integer values fit WF bits also on
 * spare fixed lanes; a GEMM whose input activations are wider than core.sp2ActBits puts every filter on the fixed
 * lanes (its SP2 lanes' channel map entries are invalid).
 * Tiling: output rows in bands (halo rows, per-tile padT) so actWords <= actDepth; output channels in filter groups so
 * passes <= maxPasses, passes * steps <= wDepth, cout <= cDepth; the reduction (steps * N <= kMax) cannot be split.
 */
import { fail } from '../../util/errors.js';
import { actRange, levels, weightValue } from '../conventions.js';
import { checkModel, layerInputs, numel, outputName, type Filter, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import { checkCoreConfig, sp2ActBitsOf, type CoreConfig } from './config.js';
import { lowerChannelOps } from './lower-channels.js';
import { concatCopies, concatPlacements, refusal, refuse } from './lower-ops.js';
import {
  checkJob,
  jobDdrBytes,
  minPassCycles,
  packCodes,
  type ChannelParams,
  type JobSpec,
} from './job.js';

export type Shape3 = [number, number, number];

/** A host tensor as the core sees it: [C, H, W] (flat tensors [F] are [F, 1, 1]). */
export interface HostTensor {
  name: string;
  shape: Shape3;
  bits: number;
  signed: boolean;
}

/** s_act of a job: a tile of a host tensor, or the im2col expansion of one. */
export type ActSource =
  | { kind: 'tile'; tensor: string; shape: Shape3; y0: number; rows: number; c0: number; cCount: number }
  | {
      kind: 'im2col';
      tensor: string;
      shape: Shape3;
      /** conv geometry on the original tensor */
      kh: number;
      kw: number;
      sh: number;
      sw: number;
      padT: number;
      padL: number;
      /** output rows oy0 .. oy0+rows-1, outW columns; expanded channel k = (ky*kw + kx)*C + ci */
      oy0: number;
      rows: number;
      outW: number;
    }
  /** a tile of the nearest upsampling of `tensor` (shape = the source's) by factors f: rows / channels of the result */
  | { kind: 'upsample'; tensor: string; shape: Shape3; f: [number, number]; y0: number; rows: number; c0: number; cCount: number };

/** A region of a host tensor: rows y0.., all columns, channels c0 .. c0+cCount-1. */
export interface TensorRegion {
  tensor: string;
  shape: Shape3;
  y0: number;
  rows: number;
  c0: number;
  cCount: number;
  signed: boolean;
}

export interface CompiledJob {
  spec: JobSpec;
  act: ActSource;
  /** residual operand (fused add), rows / channels of the job's output */
  res?: TensorRegion;
  /** where m_out goes (job-local channel c → tensor channel c0 + c, c < cCount; pool pad lanes dropped) */
  out: TensorRegion;
  /** program + s_act + s_res + m_out bytes (W/8 bytes per beat) */
  ddrBytes: number;
  /** issue-work estimate: outH * outW * passes * passCycles */
  work: number;
  /** useful multiply-accumulates of the model layer done by this job (outH * outW * cout * fan-in; pools 0) */
  macs: number;
}

export interface Program {
  cfg: CoreConfig;
  model: string;
  /** the model input as a host tensor */
  input: HostTensor;
  /** host tensor holding the model output (flatten aliases resolved) */
  output: HostTensor;
  /** every host tensor a job writes, by name */
  tensors: Map<string, HostTensor>;
  jobs: CompiledJob[];
  /** per layer: how it was lowered (jobs, im2col, fused into, ...) */
  layers: { layer: string; how: string; jobs: number }[];
}

export interface CompileOptions {
  /** im2col for thin inputs: 'auto' (when it cuts the steps * passes work), 'never', 'always' (every non-1x1 dense conv) */
  im2col?: 'auto' | 'never' | 'always';
  /** skip checkJob on every job (tests of malformed jobs); default false */
  unchecked?: boolean;
}

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

// ---------------------------------------------------------------------------------------------------------------
// GEMM lowering

/** A conv-shaped GEMM over a [cin, H, W] input (linear = kernel [H, W] or 1x1). */
interface Gemm {
  layer: string;
  cin: number;
  H: number;
  W: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** [top, left, bottom, right] */
  pad: [number, number, number, number];
  outH: number;
  outW: number;
  filters: Filter[];
  /** code of filter j at (input channel ci, ky, kx); ci in 0..cin-1 */
  code: (j: number, ci: number, ky: number, kx: number) => number;
  depthwise: boolean;
  lo: number;
  hi: number;
}

/** Lane class of a filter: F = fixed lanes only, S = SP2 lanes only, X = either (SP2 whose integers fit WF bits). */
type LaneClass = 'F' | 'S' | 'X';

interface FilterLanes {
  cls: LaneClass;
  /** integer weights (fixed-lane values) by fan-in index, or undefined when the filter cannot use a fixed lane */
  fixedValues?: Int32Array;
  /** m-bit SP2 codes by fan-in index, or undefined when the filter cannot use an SP2 lane */
  sp2Codes?: Int32Array;
}

/**
 * Whether a GEMM job reading `input` may put filters on the SP2 lanes: an SP2 lane multiplies only the low
 * `sp2ActBits` bits of each activation lane (sign-extended when actSigned, docs/msq-core.md "Semantics"), which is
 * the activation itself exactly when its `bits <= sp2ActBits` (signed or not).
 */
export function sp2LanesFit(cfg: CoreConfig, input: Pick<HostTensor, 'bits' | 'signed'>): boolean {
  return input.bits <= sp2ActBitsOf(cfg);
}

/** The GEMM's input when its activations are too wide for the SP2 lanes (every filter then needs a fixed lane). */
interface WideInput {
  tensor: string;
  bits: number;
}

function wideInput(cfg: CoreConfig, input: HostTensor): WideInput | undefined {
  return sp2LanesFit(cfg, input) ? undefined : { tensor: input.name, bits: input.bits };
}

/**
 * Per filter: which lanes it can run on, with its codes re-expressed for them. With `wide` (input activations wider
 * than core.sp2ActBits) no filter may use an SP2 lane.
 */
function classifyFilters(cfg: CoreConfig, layer: string, filters: Filter[], wide?: WideInput): FilterLanes[] {
  const wfLo = -(2 ** (cfg.WF - 1));
  const wfHi = 2 ** (cfg.WF - 1) - 1;
  const sp2ByValue = new Map<number, number>();
  for (const lv of levels('sp2', cfg.m)) sp2ByValue.set(lv.value, lv.code);
  return filters.map((f, j) => {
    const n = f.weights.length;
    const vals = new Int32Array(n);
    let fitsWF = true;
    for (let k = 0; k < n; k++) {
      const v = weightValue(f.scheme, f.bits, f.weights[k]!);
      vals[k] = v;
      if (v < wfLo || v > wfHi) fitsWF = false;
    }
    let sp2Codes: Int32Array | undefined;
    if (f.scheme === 'sp2') {
      if (f.bits === cfg.m) sp2Codes = Int32Array.from(f.weights);
      else {
        sp2Codes = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          const c = sp2ByValue.get(vals[k]!);
          if (c === undefined) {
            sp2Codes = undefined;
            break;
          }
          sp2Codes[k] = c;
        }
      }
    }
    const canF = fitsWF && cfg.Pf > 0;
    const canS = sp2Codes !== undefined && cfg.Ps > 0 && !wide;
    if (!canF && !canS) {
      const why = wide
        ? `its input '${wide.tensor}' has ${wide.bits}-bit activations, more than core.sp2ActBits = ${sp2ActBitsOf(cfg)} (the SP2 lanes' width), so it needs a fixed lane, and ${
            cfg.Pf === 0 ? 'the core has none (core.Pf = 0)' : `its weights do not fit core.WF = ${cfg.WF} bits`
          }`
        :
        f.scheme === 'fixed'
          ? cfg.Pf === 0
            ? 'the core has no fixed lanes (core.Pf = 0)'
            : `its weights do not fit core.WF = ${cfg.WF} bits`
          : `its ${f.bits}-bit SP2 values are not ${cfg.m}-bit SP2 values (core.m) and do not fit core.WF = ${cfg.WF} bits${cfg.Pf ? '' : ' (no fixed lanes)'}`;
      fail(`layer '${layer}'.filters[${j}]`, `cannot run on the core: ${why}`);
    }
    const cls: LaneClass = canF && canS ? 'X' : canF ? 'F' : 'S';
    return { cls, fixedValues: canF ? vals : undefined, sp2Codes: canS ? sp2Codes : undefined };
  });
}

/** Smallest passes for F fixed-only, S SP2-only and X either filters on Pf : Ps lanes. */
function passesFor(cfg: CoreConfig, F: number, S: number, X: number): number {
  const { Pf, Ps } = cfg;
  let p = ceilDiv(F + S + X, Pf + Ps);
  if (Pf) p = Math.max(p, ceilDiv(F, Pf));
  if (Ps) p = Math.max(p, ceilDiv(S, Ps));
  return Math.max(1, p);
}

/** Lane lists of one filter group: fixed lane slots (pass-major) and SP2 lane slots, with filter indices or -1. */
function assignLanes(cfg: CoreConfig, cls: LaneClass[], members: number[], passes: number): { fixed: number[]; sp2: number[] } {
  const F = members.filter((j) => cls[j] === 'F');
  const S = members.filter((j) => cls[j] === 'S');
  const X = members.filter((j) => cls[j] === 'X');
  // SP2 filters stay on SP2 lanes; only the excess spills onto spare fixed lanes
  const sp2Room = passes * cfg.Ps - S.length;
  const xs = X.slice(0, Math.max(0, sp2Room));
  const xf = X.slice(xs.length);
  const fixed = [...F, ...xf];
  const sp2 = [...S, ...xs];
  if (fixed.length > passes * cfg.Pf || sp2.length > passes * cfg.Ps) throw new Error('assignLanes: passes too small');
  const pad = (list: number[], n: number): number[] => [...list, ...new Array<number>(n - list.length).fill(-1)];
  return { fixed: pad(fixed, passes * cfg.Pf), sp2: pad(sp2, passes * cfg.Ps) };
}

/** Pack N values of `bits` bits (two's complement / patterns) into one word; fast path for 4- and 8-bit codes. */
function packWord(vals: ArrayLike<number>, bits: number): bigint {
  if (bits === 4 || bits === 8) {
    const digits = bits / 4;
    let s = '';
    for (let n = vals.length - 1; n >= 0; n--) {
      const v = vals[n]! & ((1 << bits) - 1);
      s += v.toString(16).padStart(digits, '0');
    }
    return BigInt('0x' + (s || '0'));
  }
  return packCodes(vals, bits);
}

interface Band {
  oy0: number;
  rows: number;
  /** input rows of the tile */
  y0: number;
  inRows: number;
  padT: number;
}

/** Input rows a band of output rows needs, clipped to the tensor, and the tile's own top padding. */
function bandRows(H: number, kh: number, sh: number, padT: number, oy0: number, rows: number): Band {
  const first = oy0 * sh - padT;
  const last = (oy0 + rows - 1) * sh - padT + kh - 1;
  const y0 = Math.max(0, first);
  const y1 = Math.min(H - 1, last);
  const inRows = Math.max(0, y1 - y0 + 1);
  return { oy0, rows, y0, inRows, padT: y0 - first };
}

/** Output-row bands whose tiles fit `maxWords` activation words (wordsPerRow per input row). */
function makeBands(
  at: string,
  H: number,
  outH: number,
  kh: number,
  sh: number,
  padT: number,
  wordsPerRow: number,
  maxWords: number,
): Band[] {
  const bands: Band[] = [];
  let oy0 = 0;
  while (oy0 < outH) {
    let best: Band | undefined;
    let lo = 1;
    let hi = outH - oy0;
    // largest rows with inRows * wordsPerRow <= maxWords (monotonic in rows)
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = bandRows(H, kh, sh, padT, oy0, mid);
      if (Math.max(1, b.inRows) * wordsPerRow <= maxWords) {
        best = b;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!best) {
      const b = bandRows(H, kh, sh, padT, oy0, 1);
      fail(`${at}`, `one output row needs ${b.inRows * wordsPerRow} activation words, core.actDepth is ${maxWords}: raise core.actDepth (column tiling is not supported)`);
    }
    if (best.padT > 255) fail(at, `tile top padding ${best.padT} exceeds 255`);
    bands.push(best);
    oy0 += best.rows;
  }
  return bands;
}

function emptyResidual(): Pick<JobSpec, 'residual' | 'resSigned' | 'addLo' | 'addHi' | 'Ma' | 'Mb' | 'addS'> {
  return { residual: false, resSigned: false, addLo: 0, addHi: 0, Ma: 0, Mb: 0, addS: 0 };
}

interface Fusion {
  /** the add layer and its other input */
  add: Extract<QuantLayer, { op: 'add' }>;
  /** true when the GEMM chain is the add's second input (Ma / Mb swapped) */
  second: boolean;
  other: HostTensor;
  addLo: number;
  addHi: number;
}

/** A job output written inside a larger tensor (a concat's) at channel offset c0. */
interface OutPlace {
  shape: Shape3;
  c0: number;
}

interface GemmPlanOpts {
  gemm: Gemm;
  input: HostTensor;
  outName: string;
  outSigned: boolean;
  place?: OutPlace;
  fusion?: Fusion;
  im2col: boolean;
}

/** Work (issue cycles) and step count of a GEMM lowering, without building weights. */
function gemmEstimate(cfg: CoreConfig, g: Gemm, cls: LaneClass[], im2col: boolean): { steps: number; work: number } | undefined {
  const cinEff = im2col ? g.kh * g.kw * g.cin : g.cin;
  const steps = im2col ? ceilDiv(cinEff, cfg.N) : g.kh * g.kw * ceilDiv(g.cin, cfg.N);
  if (steps * cfg.N > cfg.kMax || steps > cfg.wDepth) return undefined;
  // one output row's tile must fit the activation bank
  const rowWords = im2col ? g.outW * steps : Math.max(1, bandRows(g.H, g.kh, g.sh, g.pad[0], 0, 1).inRows) * g.W * ceilDiv(g.cin, cfg.N);
  if (rowWords > cfg.actDepth) return undefined;
  const groups = filterGroups(cfg, g, cls, steps);
  let work = 0;
  for (const grp of groups) work += g.outH * g.outW * grp.passes * minPassCycles(cfg, 'gemm', steps);
  return { steps, work };
}

interface FilterGroup {
  c0: number;
  count: number;
  passes: number;
}

/** Output channels in contiguous groups (multiples of N where possible) within the passes / wDepth / cDepth limits. */
function filterGroups(cfg: CoreConfig, g: Gemm, cls: LaneClass[], steps: number): FilterGroup[] {
  const maxP = Math.min(cfg.maxPasses, Math.floor(cfg.wDepth / steps));
  const pre = { F: [0], S: [0], X: [0] };
  for (const c of cls) {
    pre.F.push(pre.F.at(-1)! + (c === 'F' ? 1 : 0));
    pre.S.push(pre.S.at(-1)! + (c === 'S' ? 1 : 0));
    pre.X.push(pre.X.at(-1)! + (c === 'X' ? 1 : 0));
  }
  const passesOf = (c0: number, n: number): number =>
    passesFor(cfg, pre.F[c0 + n]! - pre.F[c0]!, pre.S[c0 + n]! - pre.S[c0]!, pre.X[c0 + n]! - pre.X[c0]!);
  // Fewest total passes (= least issue work: all groups have the same steps), then fewest groups (act re-sends,
  // job overheads), then fewest split points that are not multiples of N (partial output words): dynamic
  // programming over the split points.
  type Best = { passes: number; groups: number; ragged: number; from: number };
  const better = (a: Best, b: Best): boolean =>
    a.passes !== b.passes ? a.passes < b.passes : a.groups !== b.groups ? a.groups < b.groups : a.ragged < b.ragged;
  const best: Best[] = [{ passes: 0, groups: 0, ragged: 0, from: -1 }];
  for (let i = 1; i <= g.cout; i++) {
    let cur: Best = { passes: Infinity, groups: Infinity, ragged: Infinity, from: -1 };
    for (let j = i - 1; j >= 0 && i - j <= cfg.cDepth; j--) {
      if (best[j]!.passes === Infinity) continue;
      const p = passesOf(j, i - j);
      if (p > maxP) continue;
      const cand = { passes: best[j]!.passes + p, groups: best[j]!.groups + 1, ragged: best[j]!.ragged + (i % cfg.N && i !== g.cout ? 1 : 0), from: j };
      if (better(cand, cur)) cur = cand;
    }
    best.push(cur);
  }
  if (best[g.cout]!.passes === Infinity) {
    fail(`layer '${g.layer}'`, `no filter fits one job (core.maxPasses = ${cfg.maxPasses}, core.wDepth = ${cfg.wDepth} words for ${steps} steps)`);
  }
  const groups: FilterGroup[] = [];
  for (let i = g.cout; i > 0; i = best[i]!.from) {
    const j = best[i]!.from;
    groups.unshift({ c0: j, count: i - j, passes: passesOf(j, i - j) });
  }
  return groups;
}

function lowerGemm(cfg: CoreConfig, o: GemmPlanOpts): CompiledJob[] {
  const { gemm: g, input } = o;
  const { N, Pf, Ps } = cfg;
  const at = `layer '${g.layer}'`;
  // input activations wider than core.sp2ActBits: every filter on the fixed lanes (SP2 lanes' map entries invalid)
  const wide = wideInput(cfg, input);
  const cls = classifyFilters(cfg, g.layer, g.filters, wide);
  const classes = cls.map((c) => c.cls);
  const jobs: CompiledJob[] = [];
  // the per-job view: input channels, kernel, padding
  const cinEff = o.im2col ? g.kh * g.kw * g.cin : g.cin;
  const kh = o.im2col ? 1 : g.kh;
  const kw = o.im2col ? 1 : g.kw;
  const sh = o.im2col ? 1 : g.sh;
  const sw = o.im2col ? 1 : g.sw;
  const padT = o.im2col ? 0 : g.pad[0];
  const padL = o.im2col ? 0 : g.pad[1];
  const inH = o.im2col ? g.outH : g.H;
  const inW = o.im2col ? g.outW : g.W;
  if (padL > 255) fail(`${at}.padding`, `left padding ${padL} exceeds 255`);
  if (g.sh > 255 || g.sw > 255) fail(`${at}.stride`, 'strides above 255 are not supported');
  // depthwise: a group's input is only its own channels
  const groupCin = (grp: FilterGroup): number => (g.depthwise ? grp.count : cinEff);
  const stepsFor = (cin: number): number => kh * kw * ceilDiv(cin, N);
  const minSteps = stepsFor(g.depthwise ? 1 : cinEff);
  if (minSteps * N > cfg.kMax) {
    fail(at, `reduction of ${minSteps} steps x N = ${minSteps * N} exceeds core.kMax = ${cfg.kMax} (a reduction cannot be split across jobs): raise core.kMax`);
  }
  if (minSteps > cfg.wDepth) fail(at, `one filter needs ${minSteps} weight words per lane, core.wDepth is ${cfg.wDepth}: raise core.wDepth`);
  let groups: FilterGroup[];
  if (g.depthwise) {
    // groups of at most N channels (one input word per kernel position: steps = kh * kw; a wider group would step
    // through every input word of the group in every pass), shrunk until the reduction fits kMax and passes * steps
    // fits wDepth
    groups = [];
    let c0 = 0;
    while (c0 < g.cout) {
      let n = Math.min(g.cout - c0, cfg.cDepth, N);
      const ok = (k: number): boolean => {
        const st = stepsFor(k);
        if (st * N > cfg.kMax || st > cfg.wDepth) return false;
        const sub = classes.slice(c0, c0 + k);
        const p = passesFor(cfg, sub.filter((c) => c === 'F').length, sub.filter((c) => c === 'S').length, sub.filter((c) => c === 'X').length);
        return p <= cfg.maxPasses && p * st <= cfg.wDepth;
      };
      while (n > 0 && !ok(n)) n--;
      if (n === 0) fail(at, 'no channel of the depthwise conv fits one job (core.wDepth / core.kMax)');
      const sub = classes.slice(c0, c0 + n);
      groups.push({ c0, count: n, passes: passesFor(cfg, sub.filter((c) => c === 'F').length, sub.filter((c) => c === 'S').length, sub.filter((c) => c === 'X').length) });
      c0 += n;
    }
  } else groups = filterGroups(cfg, g, classes, minSteps);

  // row bands: for dense GEMMs every group reads all input channels; depthwise groups read their own
  const maxGroupCin = Math.max(...groups.map(groupCin));
  const bands = makeBands(at, inH, g.outH, kh, sh, padT, inW * ceilDiv(maxGroupCin, N), cfg.actDepth);

  // weights and lane maps per filter group (shared by all bands)
  const groupSpecs = groups.map((grp) => {
    const cin = groupCin(grp);
    const cinGroups = ceilDiv(cin, N);
    const steps = kh * kw * cinGroups;
    const members = Array.from({ length: grp.count }, (_, i) => grp.c0 + i);
    const lanesOf = assignLanes(cfg, classes, members, grp.passes);
    if (wide && lanesOf.sp2.some((j) => j >= 0)) throw new Error(`compile: ${at}: an SP2 lane got a filter on a too-wide input`);
    // fixed4 when every value placed on a fixed lane fits [-8, 7]
    let fixed4 = Pf > 0;
    for (const j of lanesOf.fixed) {
      if (j < 0) continue;
      const v = cls[j]!.fixedValues!;
      for (let k = 0; k < v.length && fixed4; k++) if (v[k]! < -8 || v[k]! > 7) fixed4 = false;
    }
    const wb = fixed4 ? 4 : cfg.WF;
    // model fan-in position of job input channel ciJob at kernel position (ky, kx)
    const codeAt = (ciJob: number, ky: number, kx: number): { ci: number; ky: number; kx: number } => {
      if (o.im2col) {
        const ci = ciJob % g.cin;
        const t = Math.floor(ciJob / g.cin);
        return { ci, ky: Math.floor(t / g.kw), kx: t % g.kw };
      }
      return { ci: g.depthwise ? grp.c0 + ciJob : ciJob, ky, kx };
    };
    const weightsOf = (list: number[], laneCount: number, bits: number, sp2: boolean): bigint[] => {
      const words: bigint[] = [];
      const vals = new Array<number>(N);
      for (let p = 0; p < grp.passes; p++) {
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            for (let gi = 0; gi < cinGroups; gi++) {
              for (let l = 0; l < laneCount; l++) {
                const j = list[p * laneCount + l]!;
                for (let n = 0; n < N; n++) {
                  const ciJob = gi * N + n;
                  if (j < 0 || ciJob >= cin) {
                    vals[n] = 0;
                    continue;
                  }
                  const pos = codeAt(ciJob, ky, kx);
                  const code = g.code(j, pos.ci, pos.ky, pos.kx);
                  // code < 0 marks "structural zero" (depthwise off-channel)
                  if (code === ZERO) vals[n] = 0;
                  else vals[n] = sp2 ? cls[j]!.sp2Codes![code]! : cls[j]!.fixedValues![code]!;
                }
                words.push(packWord(vals, bits));
              }
            }
          }
        }
      }
      return words;
    };
    const chanMap: number[] = [];
    for (let p = 0; p < grp.passes; p++) {
      for (let l = 0; l < Pf; l++) {
        const j = lanesOf.fixed[p * Pf + l]!;
        chanMap.push(j < 0 ? -1 : j - grp.c0);
      }
      for (let l = 0; l < Ps; l++) {
        const j = lanesOf.sp2[p * Ps + l]!;
        chanMap.push(j < 0 ? -1 : j - grp.c0);
      }
    }
    const params: ChannelParams[] = members.map((j) => ({ bias: g.filters[j]!.bias, M: g.filters[j]!.M, S: g.filters[j]!.S }));
    return {
      grp,
      cin,
      cinGroups,
      steps,
      fixed4,
      fixedWords: Pf ? weightsOf(lanesOf.fixed, Pf, wb, false) : [],
      sp2Words: Ps ? weightsOf(lanesOf.sp2, Ps, cfg.m, true) : [],
      chanMap,
      params,
    };
  });

  for (const band of bands) {
    for (const gs of groupSpecs) {
      const { grp, cinGroups, steps } = gs;
      const tileRows = o.im2col ? band.rows : band.inRows;
      const spec: JobSpec = {
        name: `${g.layer}[r${band.oy0}+${band.rows},c${grp.c0}+${grp.count}]`,
        layer: g.layer,
        op: 'gemm',
        actSigned: input.signed,
        fixed4: gs.fixed4,
        ...emptyResidual(),
        inH: tileRows,
        inW,
        outH: band.rows,
        outW: g.outW,
        kh,
        kw,
        sh,
        sw,
        padT: o.im2col ? 0 : band.padT,
        padL,
        cinGroups,
        passes: grp.passes,
        steps,
        passCycles: minPassCycles(cfg, 'gemm', steps),
        cout: grp.count,
        coutGroups: ceilDiv(grp.count, N),
        wordsPerLane: grp.passes * steps,
        actWords: tileRows * inW * cinGroups,
        rowStride: inW * cinGroups,
        rowStep: sh * inW * cinGroups,
        colStep: sw * cinGroups,
        lo: g.lo,
        hi: g.hi,
        fixedWords: gs.fixedWords,
        sp2Words: gs.sp2Words,
        chanMap: gs.chanMap,
        params: gs.params,
      };
      let res: TensorRegion | undefined;
      if (o.fusion) {
        const f = o.fusion;
        spec.residual = true;
        spec.resSigned = f.other.signed;
        spec.addLo = f.addLo;
        spec.addHi = f.addHi;
        spec.Ma = f.second ? f.add.Mb : f.add.Ma;
        spec.Mb = f.second ? f.add.Ma : f.add.Mb;
        spec.addS = f.add.S;
        res = { tensor: f.other.name, shape: [g.cout, g.outH, g.outW], y0: band.oy0, rows: band.rows, c0: grp.c0, cCount: grp.count, signed: f.other.signed };
      }
      const act: ActSource = o.im2col
        ? { kind: 'im2col', tensor: input.name, shape: input.shape, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, padT: g.pad[0], padL: g.pad[1], oy0: band.oy0, rows: band.rows, outW: g.outW }
        : { kind: 'tile', tensor: input.name, shape: input.shape, y0: band.y0, rows: band.inRows, c0: g.depthwise ? grp.c0 : 0, cCount: gs.cin };
      const out: TensorRegion = { tensor: o.outName, shape: o.place?.shape ?? [g.cout, g.outH, g.outW], y0: band.oy0, rows: band.rows, c0: (o.place?.c0 ?? 0) + grp.c0, cCount: grp.count, signed: o.outSigned };
      jobs.push(finishJob(cfg, spec, act, out, res, g.depthwise ? g.kh * g.kw : g.cin * g.kh * g.kw));
    }
  }
  return jobs;
}

/** Marker returned by Gemm.code for a structural zero weight (depthwise off-channel). */
const ZERO = -1;

function finishJob(cfg: CoreConfig, spec: JobSpec, act: ActSource, out: TensorRegion, res: TensorRegion | undefined, fanIn: number): CompiledJob {
  if (spec.inH === 0) {
    // a band entirely in padding (possible only with huge padding): stream one zero row instead
    fail(`layer '${spec.layer}'`, 'an output band reads no input row (padding larger than the input); not supported');
  }
  return {
    spec,
    act,
    res,
    out,
    ddrBytes: jobDdrBytes(cfg, spec),
    work: spec.outH * spec.outW * spec.passes * spec.passCycles,
    macs: spec.outH * spec.outW * out.cCount * fanIn,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Pools

interface PoolOpts {
  layer: string;
  op: 'maxpool' | 'avgpool';
  input: HostTensor;
  outName: string;
  outSigned: boolean;
  place?: OutPlace;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: [number, number, number, number];
  outH: number;
  outW: number;
  /** AVGPOOL requantizer */
  M: number;
  S: number;
  lo: number;
  hi: number;
}

function lowerPool(cfg: CoreConfig, o: PoolOpts): CompiledJob[] {
  const { N } = cfg;
  const at = `layer '${o.layer}'`;
  const [C, H, W] = o.input.shape;
  const steps = o.kh * o.kw;
  if (steps * N > cfg.kMax) fail(at, `window of ${steps} positions x N = ${steps * N} exceeds core.kMax = ${cfg.kMax}: raise core.kMax`);
  if (steps > 2 ** 16 - 1) fail(`${at}.kernel`, 'window too large');
  if (o.pad[1] > 255 || o.sh > 255 || o.sw > 255) fail(`${at}.padding`, 'padding / stride above 255 not supported');
  const totalGroups = ceilDiv(C, N);
  // channel groups per job: passes <= maxPasses, cout <= cDepth, and one output row must fit actDepth
  let gp = Math.min(totalGroups, cfg.maxPasses, Math.floor(cfg.cDepth / N));
  const oneRow = bandRows(H, o.kh, o.sh, o.pad[0], 0, 1).inRows;
  while (gp > 1 && Math.max(1, oneRow) * W * gp > cfg.actDepth) gp--;
  if (gp < 1) fail(at, `core.cDepth = ${cfg.cDepth} holds no channel group`);
  const bands = makeBands(at, H, o.outH, o.kh, o.sh, o.pad[0], W * gp, cfg.actDepth);
  const jobs: CompiledJob[] = [];
  for (const band of bands) {
    for (let g0 = 0; g0 < totalGroups; g0 += gp) {
      const cinGroups = Math.min(gp, totalGroups - g0);
      const c0 = g0 * N;
      const cCount = Math.min(C - c0, cinGroups * N);
      const cout = cinGroups * N;
      const params: ChannelParams[] =
        o.op === 'avgpool' ? Array.from({ length: cout }, (_, c) => (c < cCount ? { bias: 0, M: o.M, S: o.S } : { bias: 0, M: 0, S: 1 })) : [];
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
        padL: o.pad[1],
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
      };
      const act: ActSource = { kind: 'tile', tensor: o.input.name, shape: o.input.shape, y0: band.y0, rows: band.inRows, c0, cCount };
      const out: TensorRegion = { tensor: o.outName, shape: o.place?.shape ?? [C, o.outH, o.outW], y0: band.oy0, rows: band.rows, c0: (o.place?.c0 ?? 0) + c0, cCount, signed: o.outSigned };
      jobs.push(finishJob(cfg, spec, act, out, undefined, 0));
    }
  }
  return jobs;
}

// ---------------------------------------------------------------------------------------------------------------
// Model → program

function shape3(s: readonly number[]): Shape3 {
  return s.length === 3 ? [s[0]!, s[1]!, s[2]!] : [numel(s), 1, 1];
}

/** Compile a model into core jobs. Errors: one line naming the layer and field (or the core.<field> to raise). */
export function compileModel(given: QuantModel, cfg: CoreConfig, opts: CompileOptions = {}): Program {
  checkCoreConfig(cfg);
  const model = lowerChannelOps(given).model; // slices / shuffles: folded into convs or 0/1 copy convs
  const infos = checkModel(model);
  const im2colMode = opts.im2col ?? 'auto';
  const outName = outputName(model);
  // consumers of every tensor (the model output counts as one)
  const consumers = new Map<string, QuantLayer[]>();
  for (const l of model.layers) {
    for (const n of layerInputs(l)) {
      if (!consumers.has(n)) consumers.set(n, []);
      consumers.get(n)!.push(l);
    }
  }
  const soleConsumer = (t: string): QuantLayer | undefined => {
    const c = consumers.get(t) ?? [];
    return c.length === 1 && t !== outName ? c[0] : undefined;
  };
  const byName = new Map(model.layers.map((l) => [l.name, l] as const));
  const info = (t: string): TensorInfo => infos.get(t)!;
  for (const l of model.layers) {
    const why = refusal(l, infos);
    if (why) refuse(l, why);
  }
  const placed = concatPlacements(model, infos, soleConsumer);

  const checkBits = (t: string, field: string): void => {
    const i = info(t);
    if (i.bits > cfg.A) fail(field, `tensor '${t}' has ${i.bits}-bit activations, the core streams core.A = ${cfg.A} bits`);
  };

  // --- fusion plan ---------------------------------------------------------------------------------------------
  /** GEMM layer → the layer whose output its job writes (itself, a fused relu, a fused add, or add + relu) */
  const gemmEnd = new Map<string, { relu?: string; add?: Extract<QuantLayer, { op: 'add' }>; second?: boolean; addRelu?: string }>();
  const skip = new Set<string>(); // layers folded into another job
  const deferred = new Map<string, string>(); // add name → GEMM emitted at the add's position
  for (const l of model.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const e: { relu?: string } = {};
    const c = soleConsumer(l.name);
    if (c?.op === 'relu') {
      e.relu = c.name;
      skip.add(c.name);
    }
    gemmEnd.set(l.name, e);
  }
  for (const l of model.layers) {
    if (l.op !== 'add') continue;
    // candidates: inputs produced by a GEMM chain whose only consumer is this add
    const cands: { gemm: string; second: boolean; idx: number }[] = [];
    l.inputs.forEach((t, k) => {
      if (l.inputs[0] === l.inputs[1]) return;
      const prod = byName.get(t);
      let gemm: string | undefined;
      if (prod && (prod.op === 'conv2d' || prod.op === 'linear') && !gemmEnd.get(prod.name)!.relu) gemm = prod.name;
      if (prod && prod.op === 'relu') {
        const inner = byName.get(prod.input);
        if (inner && (inner.op === 'conv2d' || inner.op === 'linear') && gemmEnd.get(inner.name)!.relu === prod.name) gemm = inner.name;
      }
      if (gemm && soleConsumer(t) === l) cands.push({ gemm, second: k === 1, idx: model.layers.findIndex((x) => x.name === gemm) });
    });
    if (!cands.length) {
      fail(`layer '${l.name}' (add)`, 'cannot be fused: neither input is a conv2d/linear output used only by this add (the core adds residuals only inside a GEMM job)');
    }
    cands.sort((a, b) => b.idx - a.idx); // the later GEMM: its partner is computed before it
    const pick = cands[0]!;
    const e = gemmEnd.get(pick.gemm)!;
    Object.assign(e, { add: l, second: pick.second });
    const c = soleConsumer(l.name);
    if (c?.op === 'relu') {
      Object.assign(e, { addRelu: c.name });
      skip.add(c.name);
    }
    skip.add(pick.gemm);
    deferred.set(l.name, pick.gemm);
  }

  // --- host tensors ------------------------------------------------------------------------------------------------
  const host = new Map<string, HostTensor>(); // model tensor name → host tensor (flatten aliases its input)
  const tensors = new Map<string, HostTensor>();
  const input: HostTensor = { name: model.input.name, shape: shape3(model.input.shape), bits: model.input.bits, signed: model.input.signed };
  host.set(input.name, input);
  checkBits(input.name, 'input.bits');
  const jobs: CompiledJob[] = [];
  const report: Program['layers'] = [];
  const produce = (name: string): HostTensor => {
    const i = info(name);
    const t: HostTensor = { name, shape: shape3(i.shape), bits: i.bits, signed: i.signed };
    checkBits(name, `layer '${name}'.out.bits`);
    tensors.set(name, t);
    host.set(name, t);
    return t;
  };
  /** where the job writing tensor `name` puts it: its own host tensor, or its channel offset in a concat's */
  const target = (name: string): { out: HostTensor; place?: OutPlace } => {
    const p = placed.get(name);
    if (!p) return { out: produce(name) };
    const out = tensors.get(p.concat) ?? produce(p.concat);
    return { out, place: { shape: out.shape, c0: p.c0 } };
  };
  const hostOf = (t: string, who: string): HostTensor => {
    const h = host.get(t);
    if (!h) throw new Error(`compile: tensor '${t}' used by '${who}' has no host tensor`);
    return h;
  };

  const emitGemm = (l: Extract<QuantLayer, { op: 'conv2d' | 'linear' }>): void => {
    const e = gemmEnd.get(l.name)!;
    const x = hostOf(l.input, l.name);
    const [C, H, W] = x.shape;
    const outInfo = info(l.name);
    let [lo, hi] = actRange(outInfo.bits, outInfo.signed);
    if (e.relu) lo = Math.max(lo, 0);
    let g: Gemm;
    if (l.op === 'conv2d') {
      const dw = l.groups !== 1;
      const { kernel: [kh, kw], stride: [sh, sw] } = l;
      g = {
        layer: l.name,
        cin: C,
        H,
        W,
        cout: l.outChannels,
        kh,
        kw,
        sh,
        sw,
        pad: [...l.padding],
        outH: outInfo.shape[1]!,
        outW: outInfo.shape[2]!,
        filters: l.filters,
        code: dw ? (j, ci, ky, kx) => (ci === j ? ky * kw + kx : ZERO) : (_j, ci, ky, kx) => (ci * kh + ky) * kw + kx,
        depthwise: dw,
        lo,
        hi,
      };
    } else {
      // linear over a [C, H, W] host tensor (flatten alias) = conv with kernel [H, W]; flat [F] = [F, 1, 1]
      g = {
        layer: l.name,
        cin: C,
        H,
        W,
        cout: l.outFeatures,
        kh: H,
        kw: W,
        sh: 1,
        sw: 1,
        pad: [0, 0, 0, 0],
        outH: 1,
        outW: 1,
        filters: l.filters,
        code: (_j, ci, ky, kx) => (ci * H + ky) * W + kx,
        depthwise: false,
        lo,
        hi,
      };
    }
    // the job writes the last fused tensor
    const endName = e.add ? (e.addRelu ?? e.add.name) : (e.relu ?? l.name);
    let fusion: Fusion | undefined;
    if (e.add) {
      const addInfo = info(e.add.name);
      let [alo, ahi] = actRange(addInfo.bits, addInfo.signed);
      if (e.addRelu) alo = Math.max(alo, 0);
      const other = hostOf(e.add.inputs[e.second ? 0 : 1], e.add.name);
      fusion = { add: e.add, second: !!e.second, other, addLo: alo, addHi: ahi };
    }
    const { out, place } = target(endName);
    // output values: the fused relu / add clamps decide the sign
    const outSigned = (fusion ? fusion.addLo : lo) < 0;
    // im2col choice
    let im2col = false;
    if (!g.depthwise && g.kh * g.kw > 1 && im2colMode !== 'never') {
      const cls = classifyFilters(cfg, g.layer, g.filters, wideInput(cfg, x)).map((c) => c.cls);
      const direct = gemmEstimate(cfg, g, cls, false);
      const expanded = gemmEstimate(cfg, g, cls, true);
      if (im2colMode === 'always') im2col = !!expanded;
      else im2col = !!expanded && (!direct || expanded.work < direct.work);
    }
    const js = lowerGemm(cfg, { gemm: g, input: x, outName: out.name, outSigned, fusion, im2col, place });
    jobs.push(...js);
    const sp2Spill = !sp2LanesFit(cfg, x) && cfg.Ps > 0 && g.filters.some((f) => f.scheme === 'sp2');
    const how = [
      l.op === 'linear' && (H > 1 || W > 1) ? `linear as ${H}x${W} conv` : l.op,
      g.depthwise ? 'depthwise' : '',
      im2col ? 'im2col' : '',
      sp2Spill ? `fixed lanes only (${x.bits}-bit input > core.sp2ActBits = ${sp2ActBitsOf(cfg)})` : '',
      e.relu ? `+relu '${e.relu}'` : '',
      e.add ? `+add '${e.add.name}'` : '',
      e.addRelu ? `+relu '${e.addRelu}'` : '',
    ]
      .filter(Boolean)
      .join(' ');
    report.push({ layer: l.name, how, jobs: js.length });
  };

  /** identity jobs (1x1 avgpool, M 2, S 1): a concat's inputs not written in place; a resize (upsample gather) */
  const emitCopies = (l: Extract<QuantLayer, { op: 'concat' | 'resize' }>): { jobs: CompiledJob[]; how: string } => {
    const copy = (src: string, dst: { out: HostTensor; place?: OutPlace }, f?: [number, number]): CompiledJob[] => {
      const x = hostOf(src, l.name);
      const [C, H, W] = x.shape;
      const sh: Shape3 = f ? [C, H * f[0], W * f[1]] : x.shape;
      const [lo, hi] = actRange(info(src).bits, info(src).signed);
      const js = lowerPool(cfg, {
        layer: l.name, op: 'avgpool', input: { ...x, shape: sh }, outName: dst.out.name, outSigned: info(src).signed, place: dst.place,
        kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0, 0, 0], outH: sh[1], outW: sh[2], M: 2, S: 1, lo, hi,
      });
      if (f) for (const j of js) if (j.act.kind === 'tile') j.act = { ...j.act, kind: 'upsample', shape: x.shape, f };
      return js;
    };
    if (l.op === 'resize') {
      const dst = target(l.name);
      const into = dst.place ? ` into '${dst.out.name}' at channel ${dst.place.c0}` : '';
      return { jobs: copy(l.input, dst, l.scale), how: `nearest x${l.scale.join('x')} as a 1x1 identity job on an upsampling gather${into}` };
    }
    const out = tensors.get(l.name) ?? produce(l.name);
    const copies = concatCopies(l, placed, infos);
    const jobs = copies.flatMap((c) => copy(c.input, { out, place: { shape: out.shape, c0: c.c0 } }));
    const inPlace = l.inputs.filter((t) => !copies.some((c) => c.input === t));
    return { jobs, how: `concat: ${inPlace.length ? `${inPlace.map((t) => `'${t}'`).join(', ')} written in place` : 'nothing in place'}${copies.length ? `, ${copies.map((c) => `'${c.input}'`).join(', ')} copied` : ''}` };
  };

  for (const l of model.layers) {
    const at = `layer '${l.name}'`;
    if (l.op === 'add') {
      const gemm = deferred.get(l.name)!;
      emitGemm(byName.get(gemm) as Extract<QuantLayer, { op: 'conv2d' | 'linear' }>);
      continue;
    }
    if (skip.has(l.name)) continue;
    switch (l.op) {
      case 'conv2d':
      case 'linear':
        emitGemm(l);
        break;
      case 'flatten':
        host.set(l.name, hostOf(l.input, l.name));
        report.push({ layer: l.name, how: 'alias (no job)', jobs: 0 });
        break;
      case 'maxpool':
      case 'avgpool':
      case 'globalavgpool':
      case 'relu': {
        const x = hostOf(l.input, l.name);
        const [, H, W] = x.shape;
        const outInfo = info(l.name);
        if (l.op !== 'relu' && info(l.input).shape.length !== 3) fail(`${at}.input`, 'pooling needs a [C, H, W] input');
        const [lo, hi] = l.op === 'relu' ? [0, x.signed ? actRange(x.bits, true)[1] : actRange(x.bits, false)[1]] : actRange(outInfo.bits, outInfo.signed);
        const { out, place } = target(l.name);
        const common = { layer: l.name, input: x, outName: out.name, outSigned: info(l.name).signed, lo, hi, place };
        let js: CompiledJob[];
        if (l.op === 'globalavgpool') {
          js = lowerPool(cfg, { ...common, op: 'avgpool', kh: H, kw: W, sh: 1, sw: 1, pad: [0, 0, 0, 0], outH: 1, outW: 1, M: l.M, S: l.S });
        } else if (l.op === 'relu') {
          js = lowerPool(cfg, { ...common, op: 'avgpool', kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0, 0, 0], outH: H, outW: W, M: 2, S: 1 });
        } else {
          js = lowerPool(cfg, {
            ...common,
            op: l.op,
            kh: l.kernel[0],
            kw: l.kernel[1],
            sh: l.stride[0],
            sw: l.stride[1],
            pad: [...l.padding],
            outH: outInfo.shape[1]!,
            outW: outInfo.shape[2]!,
            M: l.op === 'avgpool' ? l.M : 0,
            S: l.op === 'avgpool' ? l.S : 1,
          });
        }
        jobs.push(...js);
        report.push({ layer: l.name, how: (l.op === 'relu' ? 'relu as 1x1 avgpool' : l.op) + (place ? ` into '${out.name}' at channel ${place.c0}` : ''), jobs: js.length });
        break;
      }
      case 'concat':
      case 'resize': {
        const r = emitCopies(l);
        jobs.push(...r.jobs);
        report.push({ layer: l.name, how: r.how, jobs: r.jobs.length });
        break;
      }
      default:
        fail(`layer '${l.name}' (${l.op})`, 'the compiler has no lowering for this op');
    }
  }
  if (!opts.unchecked) for (const j of jobs) checkJob(cfg, j.spec);
  return { cfg, model: model.name ?? '(model)', input, output: hostOf(outName, 'output'), tensors, jobs, layers: report };
}

// the host side (stream beats from tensors and back) lives in streams.ts; importable from here as before
export {
  coreStreams,
  executeProgram,
  jobActBeats,
  jobExpectedOut,
  jobResBeats,
  programStimulus,
  programTotals,
  scatterOut,
  type CoreStreams,
  type JobExecutor,
  type JobStimulus,
} from './streams.js';
