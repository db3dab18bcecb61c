/**
 * The shape-level planner of the MSQ core's sizing search: network shapes (ResNet-18 by shape) and their job program
 * as docs/msq-core.md "Host compilation" describes it (im2col of thin inputs, row bands, filter groups, spill of SP2
 * filters to spare fixed lanes, fused residual adds). bench/msq-core.ts checks it against src/msq/core/compile.ts on
 * the real example; replacing it by the compiler itself is open (issue 10 item 4).
 */
import { fail } from '../../util/errors.js';
import { fixedCount } from '../scheme.js';
import { maxIntWeight } from '../conventions.js';
import { lanes, sp2ActBitsOf, type CoreConfig } from './config.js';
import { minPassCycles } from './job.js';
import { type JobFields, type ProgramJob } from './cycle-model.js';
import { ceilDiv } from '../../util/math.js';

// ---------------------------------------------------------------------------------------------------------------
// Network shapes

/** A conv2d / linear layer by shape and scheme split. */
export interface GemmShape {
  kind: 'conv' | 'linear';
  name: string;
  cin: number;
  inH: number;
  inW: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** top, left, bottom, right */
  pad: [number, number, number, number];
  nFixed: number;
  nSp2: number;
  /** fixed weight bits (4 -> fixed4 jobs) */
  fixedBits: number;
  /** SP2 code width (for the spill rule: SP2 integer weights must fit WF bits) */
  sp2Bits: number;
  /** output fused with a residual add (s_res stream) */
  residual: boolean;
  /** bits of the input activations: wider than the core's sp2ActBits -> every filter on the fixed lanes */
  actBits: number;
}

export interface PoolShape {
  kind: 'maxpool' | 'avgpool';
  name: string;
  c: number;
  inH: number;
  inW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pad: [number, number, number, number];
}

export type NetShape = GemmShape | PoolShape;

export function isPool(s: NetShape): s is PoolShape {
  return s.kind === 'maxpool' || s.kind === 'avgpool';
}

const outDim = (i: number, k: number, s: number, p0: number, p1: number): number => Math.floor((i + p0 + p1 - k) / s) + 1;

/**
 * ResNet-18 (ImageNet 224x224) as the shipped example quantizes it (scripts/make-resnet18.ts): conv1 4-bit MSQ weights
 * on 8-bit input activations, the block convs and downsamples 4-bit MSQ on 4-bit activations, fc 8-bit fixed on 4-bit
 * activations; split round(n / (1 + r))
 * fixed (scheme.ts fixedCount) at SP2-per-fixed ratio `ratio`; every block's conv2 fused with its residual add.
 */
export function resnet18Shapes(ratio: number): NetShape[] {
  const L: NetShape[] = [];
  const conv = (name: string, cin: number, hw: number, cout: number, k: number, s: number, p: number, residual = false): void => {
    const nFixed = fixedCount(cout, ratio, name);
    const actBits = name === 'conv1' ? 8 : 4;
    L.push({ kind: 'conv', name, cin, inH: hw, inW: hw, cout, kh: k, kw: k, sh: s, sw: s, pad: [p, p, p, p], nFixed, nSp2: cout - nFixed, fixedBits: 4, sp2Bits: 4, residual, actBits });
  };
  conv('conv1', 3, 224, 64, 7, 2, 3);
  L.push({ kind: 'maxpool', name: 'maxpool', c: 64, inH: 112, inW: 112, kh: 3, kw: 3, sh: 2, sw: 2, pad: [1, 1, 1, 1] });
  let cin = 64;
  let hw = 56;
  [64, 128, 256, 512].forEach((c, stage) => {
    for (let b = 0; b < 2; b++) {
      const n = `layer${stage + 1}.${b}`;
      const s = stage > 0 && b === 0 ? 2 : 1;
      conv(`${n}.conv1`, cin, hw, c, 3, s, 1);
      const ohw = hw / s;
      if (s !== 1 || cin !== c) conv(`${n}.downsample`, cin, hw, c, 1, s, 0);
      conv(`${n}.conv2`, c, ohw, c, 3, 1, 1, true);
      cin = c;
      hw = ohw;
    }
  });
  L.push({ kind: 'avgpool', name: 'avgpool', c: 512, inH: 7, inW: 7, kh: 7, kw: 7, sh: 1, sw: 1, pad: [0, 0, 0, 0] });
  L.push({ kind: 'linear', name: 'fc', cin: 512, inH: 1, inW: 1, cout: 1000, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0, 0, 0], nFixed: 1000, nSp2: 0, fixedBits: 8, sp2Bits: 4, residual: false, actBits: 4 });
  return L;
}

/** Multiply-accumulates of a layer (cin * kh * kw * cout * OH * OW). */
export function shapeMacs(s: NetShape): number {
  if (isPool(s)) return 0;
  return s.cin * s.kh * s.kw * s.cout * outDim(s.inH, s.kh, s.sh, s.pad[0], s.pad[2]) * outDim(s.inW, s.kw, s.sw, s.pad[1], s.pad[3]);
}

// ---------------------------------------------------------------------------------------------------------------
// Shape-level compiler

/** Whether a GEMM on `actBits`-bit input activations may use the SP2 lanes (docs/msq-core.md "Semantics": an SP2
 *  lane takes the low sp2ActBits bits of each activation, exact when the activations fit them, signed or not). */
export function sp2LanesTake(cfg: CoreConfig, actBits: number): boolean {
  return actBits <= sp2ActBitsOf(cfg);
}

/** Passes for nFixed fixed and nSp2 SP2 filters: fixed filters need fixed lanes; SP2 filters use SP2 lanes (only when
 *  the input's `actBits` fit the core's sp2ActBits) or, when their integer weights fit WF bits, spare fixed lanes. */
export function passesFor(nFixed: number, nSp2: number, cfg: CoreConfig, sp2Bits: number, actBits = cfg.A): number {
  const spill = maxIntWeight('sp2', sp2Bits) <= 2 ** (cfg.WF - 1) - 1;
  const Ps = sp2LanesTake(cfg, actBits) ? cfg.Ps : 0;
  if (nFixed > 0 && cfg.Pf === 0) fail('core.Pf', `${nFixed} fixed filters need fixed lanes`);
  if (nSp2 > 0 && Ps === 0 && !spill) {
    fail('core.Ps', cfg.Ps === 0 ? `${nSp2} SP2 filters need SP2 lanes` : `${nSp2} SP2 filters on ${actBits}-bit activations (> sp2ActBits ${sp2ActBitsOf(cfg)}) need fixed lanes, and their weights do not fit WF`);
  }
  let p = Math.max(1, cfg.Pf ? ceilDiv(nFixed, cfg.Pf) : 0);
  for (;; p++) {
    const spareFixed = spill ? p * cfg.Pf - nFixed : 0;
    if (nFixed <= p * cfg.Pf && nSp2 <= p * Ps + spareFixed) return p;
  }
}

interface TileJob {
  fields: JobFields;
  name: string;
  macs: number;
}

/**
 * Jobs of one layer on `cfg` (docs/msq-core.md "Host compilation"): im2col when it shortens the reduction
 * (thin inputs), filter groups of at most min(maxPasses, wDepth / steps) passes and cDepth channels, output-row bands
 * whose input rows fit actDepth. Throws a UserError naming the layer when a tile cannot fit.
 */
export function planShapeJobs(s: NetShape, cfg: CoreConfig): TileJob[] {
  const { N } = cfg;
  const L = lanes(cfg);
  const at = (f: string): string => `layer '${s.name}'.${f}`;
  const outH = outDim(s.inH, s.kh, s.sh, s.pad[0], s.pad[2]);
  const outW = outDim(s.inW, s.kw, s.sw, s.pad[1], s.pad[3]);
  if (isPool(s)) {
    const cinGroups = ceilDiv(s.c, N);
    const steps = s.kh * s.kw;
    const rowWords = s.inW * cinGroups;
    const rowsFit = Math.floor(cfg.actDepth / rowWords);
    const R = rowsFit >= s.inH ? outH : Math.min(outH, Math.floor((rowsFit - s.kh) / s.sh) + 1);
    if (!(R >= 1)) fail(at('inW'), `a row band of ${s.kh} input rows (${s.kh * rowWords} words) does not fit actDepth ${cfg.actDepth}`);
    const jobs: TileJob[] = [];
    for (let r0 = 0; r0 < outH; r0 += R) {
      const rows = Math.min(R, outH - r0);
      const iy0 = Math.max(0, r0 * s.sh - s.pad[0]);
      const iy1 = Math.min(s.inH, (r0 + rows - 1) * s.sh - s.pad[0] + s.kh);
      const inH = iy1 - iy0;
      jobs.push({
        name: `${s.name}[r${r0}]`,
        macs: 0,
        fields: {
          op: s.kind, fixed4: false, residual: false, padT: r0 === 0 ? s.pad[0] : 0, padL: s.pad[1], sh: s.sh, inH, inW: s.inW, outH: rows, outW, kh: s.kh, kw: s.kw, cinGroups,
          passes: cinGroups, steps, passCycles: minPassCycles(cfg, s.kind, steps), cout: cinGroups * N, coutGroups: cinGroups,
          wordsPerLane: 0, actWords: inH * s.inW * cinGroups,
        },
      });
    }
    return jobs;
  }
  // GEMM: im2col when fewer steps (the host expands the input: kh*kw*cin channels, 1x1 kernel on the output grid)
  let g = { cin: s.cin, inH: s.inH, inW: s.inW, kh: s.kh, kw: s.kw, sh: s.sh, sw: s.sw, pad: s.pad };
  if (s.kh * s.kw > 1 && ceilDiv(s.cin * s.kh * s.kw, N) < s.kh * s.kw * ceilDiv(s.cin, N)) {
    g = { cin: s.cin * s.kh * s.kw, inH: outH, inW: outW, kh: 1, kw: 1, sh: 1, sw: 1, pad: [0, 0, 0, 0] };
  }
  const cinGroups = ceilDiv(g.cin, N);
  const steps = g.kh * g.kw * cinGroups;
  if (steps * N > cfg.kMax) fail(at('cin'), `reduction ${steps * N} exceeds kMax ${cfg.kMax}`);
  if (steps > cfg.wDepth) fail(at('cin'), `one pass needs ${steps} weight words per lane, wDepth is ${cfg.wDepth}`);
  const P = passesFor(s.nFixed, s.nSp2, cfg, s.sp2Bits, s.actBits);
  const perJob = Math.min(cfg.maxPasses, Math.floor(cfg.wDepth / steps), Math.max(1, Math.floor(cfg.cDepth / L)));
  // input wider than sp2ActBits: every filter on the fixed lanes, groups of whole jobs' worth of filters (as the
  // compiler fills them); else filters spread evenly over the groups (fixed and SP2 alike)
  const fixedOnly = !sp2LanesTake(cfg, s.actBits) && cfg.Ps > 0;
  const chunk = Math.min(perJob * cfg.Pf, cfg.cDepth);
  const groups = fixedOnly ? ceilDiv(s.cout, chunk) : Math.max(ceilDiv(P, perJob), ceilDiv(s.cout, cfg.cDepth));
  const range = (gi: number, fixed: boolean): [number, number] => {
    const n = fixed ? s.nFixed : s.nSp2;
    if (!fixedOnly) return [Math.floor((gi * n) / groups), Math.floor(((gi + 1) * n) / groups)];
    // fixed filters first, then the SP2 ones, cut into chunks of `chunk` filters
    const lo = Math.min(s.cout, gi * chunk), hi = Math.min(s.cout, (gi + 1) * chunk);
    const inF = (x: number): number => Math.min(x, s.nFixed);
    return fixed ? [inF(lo), inF(hi)] : [lo - inF(lo), hi - inF(hi)];
  };
  const rowWords = g.inW * cinGroups;
  const rowsFit = Math.floor(cfg.actDepth / rowWords);
  const R = rowsFit >= g.inH ? outH : Math.min(outH, Math.floor((rowsFit - g.kh) / g.sh) + 1);
  if (!(R >= 1)) fail(at('inW'), `a row band of ${g.kh} input rows (${g.kh * rowWords} words) does not fit actDepth ${cfg.actDepth}`);
  const jobs: TileJob[] = [];
  for (let gi = 0; gi < groups; gi++) {
    const [f0, f1] = range(gi, true);
    const [q0, q1] = range(gi, false);
    const nF = f1 - f0, nQ = q1 - q0;
    const cout = nF + nQ;
    const passes = passesFor(nF, nQ, cfg, s.sp2Bits, s.actBits);
    // fixed4 unless SP2 filters spill to fixed lanes with integer weights past [-8, 7] (the compiler checks the values;
    // the shape level assumes the largest SP2 value occurs)
    const spilled = nQ > passes * (sp2LanesTake(cfg, s.actBits) ? cfg.Ps : 0);
    const fixed4 = s.fixedBits <= 4 && (!spilled || maxIntWeight('sp2', s.sp2Bits) <= 7);
    const coutGroups = ceilDiv(cout, N);
    const passCycles = Math.max(minPassCycles(cfg, 'gemm', steps), ceilDiv(coutGroups, passes));
    for (let r0 = 0; r0 < outH; r0 += R) {
      const rows = Math.min(R, outH - r0);
      const iy0 = Math.max(0, r0 * g.sh - g.pad[0]);
      const iy1 = Math.min(g.inH, (r0 + rows - 1) * g.sh - g.pad[0] + g.kh);
      const inH = iy1 - iy0;
      jobs.push({
        name: `${s.name}[g${gi},r${r0}]`,
        macs: s.cin * s.kh * s.kw * cout * rows * outW,
        fields: {
          op: 'gemm', fixed4, residual: s.residual, padT: Math.max(0, g.pad[0] - r0 * g.sh), padL: g.pad[1], sh: g.sh, inH, inW: g.inW, outH: rows, outW, kh: g.kh, kw: g.kw,
          cinGroups, passes, steps, passCycles, cout, coutGroups, wordsPerLane: passes * steps, actWords: inH * g.inW * cinGroups,
        },
      });
    }
  }
  return jobs;
}

/** The job program of a network on `cfg` (shape level). */
export function planNetwork(shapes: NetShape[], cfg: CoreConfig): ProgramJob[] {
  return shapes.flatMap((s) =>
    planShapeJobs(s, cfg).map((j) => ({ name: j.name, layer: s.name, fields: j.fields, macs: j.macs, conv: s.kind === 'conv' })),
  );
}

