/**
 * Lowering of one GEMM (a conv2d / linear, gemm.ts) to core jobs: filters classified onto lanes (filter-lanes.ts),
 * output channels in filter groups and output rows in bands (tiling.ts), per group the weight words and channel map
 * (shared by every band), per (band, group) one GEMM job, with a fused residual add when the fusion plan says so.
 */
import { fail } from '../../util/errors.js';
import type { Geometry } from '../geometry.js';
import type { CoreConfig } from './config.js';
import { assignLanes, classifyFilters, packWord, wideInput, type FilterLanes, type LaneClass } from './filter-lanes.js';
import type { Fusion } from './fusion.js';
import { ZERO, type Gemm } from './gemm.js';
import { lanesServed, servedFields, type ChannelParams, type JobSpec } from './job.js';
import { lutFields, type JobLut } from './lower-ops.js';
import { emptyResidual, finishJob, type ActSource, type CompiledJob, type HostTensor, type OutPlace, type TensorRegion } from './program.js';
import { depthwiseGroups, filterGroups, makeBands, type Band, type FilterGroup } from './tiling.js';
import { ceilDiv } from '../../util/math.js';

export interface GemmPlanOpts {
  gemm: Gemm;
  input: HostTensor;
  outName: string;
  outSigned: boolean;
  place?: OutPlace;
  fusion?: Fusion;
  im2col: boolean;
  /** lookup table after the requantizer (a fused `lut` layer) */
  lut?: JobLut;
  /** false: no weight words (CompileOptions.weights) */
  weights?: boolean;
  /** the filters' lanes when the caller classified them (classifyFilters on this input) */
  lanes?: FilterLanes[];
}

/** The per-job view of the GEMM: im2col turns the kernel into input channels (1x1, stride 1, no padding). */
interface JobView extends Pick<Geometry, 'kh' | 'kw' | 'sh' | 'sw' | 'padT' | 'padL' | 'inH' | 'inW'> {
  cinEff: number;
}

function jobView(g: Gemm, im2col: boolean): JobView {
  return {
    cinEff: im2col ? g.kh * g.kw * g.cin : g.cin,
    kh: im2col ? 1 : g.kh,
    kw: im2col ? 1 : g.kw,
    sh: im2col ? 1 : g.sh,
    sw: im2col ? 1 : g.sw,
    padT: im2col ? 0 : g.padT,
    padL: im2col ? 0 : g.padL,
    inH: im2col ? g.outH : g.inH,
    inW: im2col ? g.outW : g.inW,
  };
}

/** One filter group's job parts shared by all bands: weights, channel map, parameters. */
interface GroupSpec {
  grp: FilterGroup;
  cin: number;
  cinGroups: number;
  steps: number;
  fixed4: boolean;
  fixedWords: bigint[];
  sp2Words: bigint[];
  chanMap: number[];
  params: ChannelParams[];
  /** lanes a pass serves (job.ts lanesServed) */
  used: number;
}

function groupSpec(cfg: CoreConfig, o: GemmPlanOpts, v: JobView, cls: FilterLanes[], classes: LaneClass[], grp: FilterGroup): GroupSpec {
  const { gemm: g } = o;
  const { N, Pf, Ps } = cfg;
  const { kh, kw } = v;
  const cin = g.depthwise ? grp.count : v.cinEff;
  const cinGroups = ceilDiv(cin, N);
  const steps = kh * kw * cinGroups;
  const lanesOf = assignLanes(cfg, classes, grp.c0, grp.count, grp.passes);
  if (wideInput(cfg, o.input) && lanesOf.sp2.some((j) => j >= 0)) throw new Error(`compile: layer '${g.layer}': an SP2 lane got a filter on a too-wide input`);
  // fixed4 when every value placed on a fixed lane fits [-8, 7]
  let fixed4 = Pf > 0;
  for (const j of lanesOf.fixed) if (j >= 0 && !cls[j]!.fits4) fixed4 = false;
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
  // without weights (CompileOptions.weights false): no channel parameters either (a program for pricing); the
  // channel map stays (the lanes a job uses set its passCycles and noSp2)
  const data = o.weights !== false;
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
  const params: ChannelParams[] = [];
  for (let j = grp.c0; data && j < grp.c0 + grp.count; j++) params.push({ bias: g.filters[j]!.bias, M: g.filters[j]!.M, S: g.filters[j]!.S });
  return {
    grp,
    cin,
    cinGroups,
    steps,
    fixed4,
    fixedWords: Pf && data ? weightsOf(lanesOf.fixed, Pf, wb, false) : [],
    sp2Words: Ps && data ? weightsOf(lanesOf.sp2, Ps, cfg.m, true) : [],
    chanMap,
    used: lanesServed(cfg, lanesOf.fixed.filter((j) => j >= 0).length, lanesOf.sp2.filter((j) => j >= 0).length),
    params,
  };
}

/** The GEMM job of one (band, filter group). */
function gemmJob(cfg: CoreConfig, o: GemmPlanOpts, v: JobView, band: Band, gs: GroupSpec): CompiledJob {
  const { gemm: g, input } = o;
  const { grp, cinGroups, steps } = gs;
  const { kh, kw, sh, sw, padL, inW } = v;
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
    ...servedFields(cfg, steps, gs.used),
    cout: grp.count,
    coutGroups: ceilDiv(grp.count, cfg.N),
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
    ...lutFields(o.lut),
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
    ? { kind: 'im2col', tensor: input.name, shape: input.shape, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, padT: g.padT, padL: g.padL, oy0: band.oy0, rows: band.rows, outW: g.outW }
    : { kind: 'tile', tensor: input.name, shape: input.shape, y0: band.y0, rows: band.inRows, c0: g.depthwise ? grp.c0 : 0, cCount: gs.cin };
  const out: TensorRegion = { tensor: o.outName, shape: o.place?.shape ?? [g.cout, g.outH, g.outW], y0: band.oy0, rows: band.rows, c0: (o.place?.c0 ?? 0) + grp.c0, cCount: grp.count, signed: o.outSigned };
  return finishJob(cfg, spec, act, out, res, g.depthwise ? g.kh * g.kw : g.cin * g.kh * g.kw);
}

/** The jobs of one GEMM: per row band, per filter group. */
export function lowerGemm(cfg: CoreConfig, o: GemmPlanOpts): CompiledJob[] {
  const { gemm: g } = o;
  const { N } = cfg;
  const at = `layer '${g.layer}'`;
  // input activations wider than core.sp2ActBits: every filter on the fixed lanes (SP2 lanes' map entries invalid)
  const cls = o.lanes ?? classifyFilters(cfg, g.layer, g.filters, wideInput(cfg, o.input), { codes: o.weights !== false });
  const classes = cls.map((c) => c.cls);
  const v = jobView(g, o.im2col);
  if (v.padL > 255) fail(`${at}.padding`, `left padding ${v.padL} exceeds 255`);
  if (g.sh > 255 || g.sw > 255) fail(`${at}.stride`, 'strides above 255 are not supported');
  // depthwise: a group's input is only its own channels
  const groupCin = (grp: FilterGroup): number => (g.depthwise ? grp.count : v.cinEff);
  const stepsFor = (cin: number): number => v.kh * v.kw * ceilDiv(cin, N);
  const minSteps = stepsFor(g.depthwise ? 1 : v.cinEff);
  if (minSteps * N > cfg.kMax) {
    fail(at, `reduction of ${minSteps} steps x N = ${minSteps * N} exceeds core.kMax = ${cfg.kMax} (a reduction cannot be split across jobs): raise core.kMax`);
  }
  if (minSteps > cfg.wDepth) fail(at, `one filter needs ${minSteps} weight words per lane, core.wDepth is ${cfg.wDepth}: raise core.wDepth`);
  const groups = g.depthwise ? depthwiseGroups(cfg, at, g.cout, classes, stepsFor) : filterGroups(cfg, g, classes, minSteps);
  // row bands: for dense GEMMs every group reads all input channels; depthwise groups read their own
  const maxGroupCin = Math.max(...groups.map(groupCin));
  const bands = makeBands(at, { ...v, outH: g.outH }, v.inW * ceilDiv(maxGroupCin, N), cfg.actDepth);
  const groupSpecs = groups.map((grp) => groupSpec(cfg, o, v, cls, classes, grp));
  const jobs: CompiledJob[] = [];
  for (const band of bands) for (const gs of groupSpecs) jobs.push(gemmJob(cfg, o, v, band, gs));
  return jobs;
}
