/**
 * Layer plan: how one conv2d / linear layer runs on the heterogeneous GEMM engine (see docs/msq-engine.md).
 *
 * The layer is a GEMM: every output pixel is `cout` dot products of length kh*kw*cin. Fixed-scheme filters go to the
 * fixed core (Pf `fixedLane`s, multipliers on DSP48E1), SP2 filters to the SP2 core (Ps `sp2Lane`s, shift-add in
 * LUTs). Both cores see the same activation word (N channels of one input pixel) every clock. A pixel takes
 * `passes` passes; in pass p fixed lane l computes fixed filter p*Pf + l and SP2 lane l computes SP2 filter p*Ps + l.
 * A pass walks `steps` = kh*kw*ceil(cin/N) activation words, ordered (ky, kx, channel group).
 *
 * Everything here is plain numbers: widths, ROM contents and the schedule. The Verilog emitter (engine.ts) and the
 * cycle model (../cycle-model.ts) both read this plan, so they cannot disagree about the schedule.
 */
import { fail } from '../../util/errors.js';
import { actRange, maxIntWeight, signedBitsFor, sp2P, weightValue } from '../conventions.js';
import type { Conv2dLayer, Filter, LinearLayer, TensorInfo } from '../model.js';

/** Engine size: N activations per lane per clock, Pf fixed lanes, Ps SP2 lanes. */
export interface EngineShape {
  /** activations (input channels) consumed per lane per clock */
  N: number;
  /** fixed-point filter lanes (each N multipliers on DSP48E1) */
  Pf: number;
  /** SP2 filter lanes (each N shift-add units in LUTs) */
  Ps: number;
  /** requantizer units working in parallel (default 1); each serializes ceil((Pf + Ps) / Rq) lane results per pass */
  Rq?: number;
  /** fixed products per DSP48E1: 1, or 2 (`--dsp-pack 2`: two filters share each multiplier, exact) */
  dspPack?: 1 | 2;
}

/** DSP48E1 of the fixed core: one per multiplier, or one per two with --dsp-pack 2 (an odd last lane unpacked). */
export function fixedCoreDsps(s: EngineShape): number {
  return (s.dspPack === 2 ? Math.floor(s.Pf / 2) + (s.Pf % 2) : s.Pf) * s.N;
}

/** Lane results each requantizer unit serializes per pass: ceil((Pf + Ps) / Rq). */
export function requantGroupLanes(s: EngineShape): number {
  return Math.ceil((s.Pf + s.Ps) / (s.Rq ?? 1));
}

export interface LayerPlan {
  name: string;
  shape: EngineShape;
  /** depthwise conv2d (groups = cin), run as a dense conv with zero weights off the filter's own channel */
  depthwise: boolean;
  /** input feature map [C, H, W] (linear: [inFeatures, 1, 1]) */
  cin: number;
  inH: number;
  inW: number;
  cout: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** [top, left, bottom, right] */
  pad: [number, number, number, number];
  /** input channel groups of N: ceil(cin / N) */
  cinGroups: number;
  /** output channel groups of N: ceil(cout / N), output beats per pixel */
  coutGroups: number;
  /** activation words per pass: kh * kw * cinGroups */
  steps: number;
  /** issue cycles per pass: max(steps, ceil((Pf + Ps) / Rq)) (each requantizer unit serializes that many results) */
  passCycles: number;
  /** passes per output pixel: max(ceil(#fixed / Pf), ceil(#sp2 / Ps)) */
  passes: number;
  /** output channel index of every fixed / SP2 filter, in lane order */
  fixedFilters: number[];
  sp2Filters: number[];
  /** input activation: bits, signed, range */
  inBits: number;
  inSigned: boolean;
  /** output activation: bits, signed, clamp range */
  outBits: number;
  outSigned: boolean;
  outLo: number;
  outHi: number;
  /** fixed lane weight width (two's complement), 2..8 (4 when the layer has no fixed filter) */
  fixedBits: number;
  /** SP2 code width m and its P (shift amounts 0..P-1); m = 4 when the layer has no SP2 filter */
  sp2Bits: number;
  sp2P: number;
  /** accumulator widths (two's complement) of the fixed and SP2 lanes, from the exact per-filter bounds */
  fixedAccBits: number;
  sp2AccBits: number;
  /** fixed weight ROM: word [pass * steps + step] holds Pf * N codes (lane-major, then activation lane) */
  fixedRom: bigint[];
  /** SP2 weight ROM: word [pass * steps + step] holds Ps * N m-bit codes */
  sp2Rom: bigint[];
  /** per output channel requantization parameters */
  bias: number[];
  mul: number[];
  shift: number[];
}

function checkShape(s: EngineShape): void {
  for (const k of ['N', 'Pf', 'Ps'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1 || s[k] > 256) fail(`engine.${k}`, `must be an integer in 1..256, got ${s[k]}`);
  }
  if (s.dspPack !== undefined && s.dspPack !== 1 && s.dspPack !== 2) fail('engine.dspPack', `must be 1 or 2, got ${String(s.dspPack)}`);
  const rq = s.Rq ?? 1;
  if (!Number.isInteger(rq) || rq < 1 || rq > s.Pf + s.Ps) fail('engine.Rq', `must be an integer in 1..Pf+Ps (${s.Pf + s.Ps}), got ${rq}`);
}

const ceilDiv = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/**
 * Plan a conv2d (groups = 1, or depthwise) or linear layer for an engine of the given shape. `input` is the tensor the layer
 * reads (from checkModel). Errors name the layer and the field.
 */
export function planLayer(
  layer: Conv2dLayer | LinearLayer,
  input: TensorInfo,
  shape: EngineShape,
  o: { /** size accumulators for any weights of these widths (engines whose weights are streamed) */ anyWeights?: boolean } = {},
): LayerPlan {
  checkShape(shape);
  const at = `layer '${layer.name}'`;
  let cin: number, inH: number, inW: number, cout: number;
  let kh = 1, kw = 1, sh = 1, sw = 1;
  let pad: [number, number, number, number] = [0, 0, 0, 0];
  let depthwise = false;
  if (layer.op === 'conv2d') {
    if (input.shape.length !== 3) fail(`${at}.input`, 'conv2d needs a [C, H, W] input');
    [cin, inH, inW] = input.shape as [number, number, number];
    if (layer.groups !== 1) {
      if (layer.groups !== cin || layer.outChannels !== cin) {
        fail(`${at}.groups`, `must be 1 or inChannels with outChannels = inChannels (depthwise), got groups ${layer.groups}`);
      }
      depthwise = true;
    }
    cout = layer.outChannels;
    [kh, kw] = layer.kernel;
    [sh, sw] = layer.stride;
    pad = [...layer.padding];
  } else {
    cin = layer.inFeatures;
    inH = 1;
    inW = 1;
    cout = layer.outFeatures;
  }
  const outH = Math.floor((inH + pad[0] + pad[2] - kh) / sh) + 1;
  const outW = Math.floor((inW + pad[1] + pad[3] - kw) / sw) + 1;
  if (outH < 1 || outW < 1) fail(`${at}.kernel`, 'kernel larger than the padded input');
  if (layer.filters.length !== cout) fail(`${at}.filters`, `has ${layer.filters.length} filters, expected ${cout}`);
  // depthwise runs as a dense conv whose filter j has zero weights outside input channel j (correct; 1/N of the
  // multipliers do useful work)
  const fanIn = (depthwise ? 1 : cin) * kh * kw;
  const { N, Pf, Ps } = shape;

  const fixedFilters: number[] = [];
  const sp2Filters: number[] = [];
  let fixedBits = 0;
  let sp2Bits = 0;
  layer.filters.forEach((f, j) => {
    if (f.weights.length !== fanIn) fail(`${at}.filters[${j}].weights`, `has ${f.weights.length} codes, expected ${fanIn}`);
    if (f.scheme === 'fixed') {
      fixedFilters.push(j);
      fixedBits = Math.max(fixedBits, f.bits);
    } else {
      sp2Filters.push(j);
      if (sp2Bits !== 0 && sp2Bits !== f.bits) {
        fail(`${at}.filters[${j}].bits`, `SP2 filters of one layer must share one width (found ${sp2Bits} and ${f.bits}); the SP2 lanes decode one code width`);
      }
      sp2Bits = f.bits;
    }
  });

  const [inLo, inHi] = actRange(input.bits, input.signed);
  const accBitsOf = (list: number[], prodBits: number): number => {
    // Exact bound of every partial sum (bias is added later, in the requantizer). Each term lies in
    // [min(w*lo, w*hi), max(w*lo, w*hi)] which contains 0, so every partial sum lies in [sum of mins, sum of maxes].
    let lo = 0, hi = 0;
    for (const j of list) {
      const f = layer.filters[j] as Filter;
      let flo = 0, fhi = 0;
      if (o.anyWeights) {
        const wmax = maxIntWeight(f.scheme, f.scheme === 'fixed' ? fixedBits : sp2Bits);
        const amax = Math.max(-inLo, inHi);
        flo = -f.weights.length * wmax * amax;
        fhi = -flo;
      } else {
        for (const code of f.weights) {
          const w = weightValue(f.scheme, f.bits, code);
          flo += Math.min(w * inLo, w * inHi);
          fhi += Math.max(w * inLo, w * inHi);
        }
      }
      lo = Math.min(lo, flo);
      hi = Math.max(hi, fhi);
    }
    if (hi > 2 ** 47 || lo < -(2 ** 47)) fail(`${at}.filters`, 'accumulator bound exceeds 48 bits; reduce bits or fan-in');
    // The adder tree output is never truncated: the accumulator is at least as wide as the tree sum.
    return Math.max(signedBitsFor(lo, hi), prodBits + Math.ceil(Math.log2(N)));
  };
  // A core with no filter in this layer still exists in the engine: give it a nominal width and all-zero weights.
  if (!fixedBits) fixedBits = 4;
  if (!sp2Bits) sp2Bits = 4;
  const aExt = input.bits + (input.signed ? 0 : 1);
  const p = sp2P(sp2Bits);
  const fixedAccBits = accBitsOf(fixedFilters, aExt + fixedBits);
  const sp2AccBits = accBitsOf(sp2Filters, aExt + p + 1);

  const cinGroups = ceilDiv(cin, N);
  const coutGroups = ceilDiv(cout, N);
  const steps = kh * kw * cinGroups;
  const passes = Math.max(ceilDiv(fixedFilters.length, Pf), ceilDiv(sp2Filters.length, Ps));
  const passCycles = Math.max(steps, requantGroupLanes(shape));

  // weight of filter j at (ci, ky, kx); model order is [ci][ky][kx]
  const code = (j: number, ci: number, ky: number, kx: number): number =>
    depthwise ? (ci === j ? layer.filters[j]!.weights[ky * kw + kx]! : 0) : layer.filters[j]!.weights[(ci * kh + ky) * kw + kx]!;
  const romOf = (list: number[], lanes: number, bits: number): bigint[] => {
    const rom: bigint[] = [];
    const mask = (1n << BigInt(bits)) - 1n;
    for (let pass = 0; pass < passes; pass++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          for (let g = 0; g < cinGroups; g++) {
            let word = 0n;
            for (let l = lanes - 1; l >= 0; l--) {
              const j = list[pass * lanes + l];
              for (let n = N - 1; n >= 0; n--) {
                const ci = g * N + n;
                const c = j === undefined || ci >= cin ? 0 : code(j, ci, ky, kx);
                word = (word << BigInt(bits)) | (BigInt(c) & mask);
              }
            }
            rom.push(word);
          }
        }
      }
    }
    return rom;
  };
  const [outLo, outHi] = actRange(layer.out.bits, layer.out.signed);
  return {
    name: layer.name,
    shape: { ...shape, Rq: shape.Rq ?? 1, dspPack: shape.dspPack ?? 1 },
    depthwise,
    cin, inH, inW, cout, outH, outW, kh, kw, sh, sw, pad,
    cinGroups, coutGroups, steps, passCycles, passes,
    fixedFilters, sp2Filters,
    inBits: input.bits,
    inSigned: input.signed,
    outBits: layer.out.bits,
    outSigned: layer.out.signed,
    outLo, outHi,
    fixedBits, sp2Bits, sp2P: p,
    fixedAccBits, sp2AccBits,
    fixedRom: romOf(fixedFilters, Pf, fixedBits),
    sp2Rom: romOf(sp2Filters, Ps, sp2Bits),
    bias: layer.filters.map((f) => f.bias),
    mul: layer.filters.map((f) => f.M),
    shift: layer.filters.map((f) => f.S),
  };
}

/**
 * Check that `set` (another layer's plan) can be streamed as a weight set into an engine generated for `engine`:
 * same dimensions, same number of fixed / SP2 filters, same code widths, accumulators that fit.
 */
export function checkWeightSet(engine: LayerPlan, set: LayerPlan): void {
  const at = `weight set '${set.name}'`;
  const dims = ['cin', 'inH', 'inW', 'cout', 'kh', 'kw', 'sh', 'sw', 'inBits', 'outBits'] as const;
  for (const k of dims) if (engine[k] !== set[k]) fail(`${at}.${k}`, `is ${set[k]}, the engine was built for ${engine[k]}`);
  if (engine.inSigned !== set.inSigned || engine.outSigned !== set.outSigned) fail(`${at}.signed`, 'input/output signedness differs from the engine');
  if (engine.pad.join() !== set.pad.join()) fail(`${at}.padding`, `is [${set.pad.join(', ')}], the engine was built for [${engine.pad.join(', ')}]`);
  if (engine.fixedFilters.length !== set.fixedFilters.length || engine.sp2Filters.length !== set.sp2Filters.length) {
    fail(`${at}.filters`, `has ${set.fixedFilters.length} fixed / ${set.sp2Filters.length} SP2 filters, the engine ${engine.fixedFilters.length} / ${engine.sp2Filters.length}`);
  }
  if (engine.fixedBits !== set.fixedBits || engine.sp2Bits !== set.sp2Bits) {
    fail(`${at}.bits`, `codes are ${set.fixedBits}-bit fixed / ${set.sp2Bits}-bit SP2, the engine takes ${engine.fixedBits} / ${engine.sp2Bits}`);
  }
  if (set.fixedAccBits > engine.fixedAccBits || set.sp2AccBits > engine.sp2AccBits) {
    fail(`${at}.weights`, 'accumulators would overflow the engine; build it with anyWeights');
  }
}
