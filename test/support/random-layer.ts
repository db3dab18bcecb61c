/**
 * Seeded random one-layer MSQ models for differential tests and benchmarks of the MSQ core: a conv2d or linear
 * layer with a random mix of fixed and SP2 filters, random codes (worst-case codes on request), random bias and
 * requantization constants chosen so the outputs use the whole range (some clamp, most do not).
 */
import { actRange, chooseMultiplier, levels, weightValue } from '../../src/msq/conventions.js';
import type { Filter, QuantModel } from '../../src/msq/model.js';
import { mulberry32 } from '../../src/util/random.js';

export { randomInput } from '../../src/msq/core/random-input.js';

/** The project's seeded PRNG (floats in [0, 1)), re-exported for the tests. */
export const rng = mulberry32;

export interface RandomLayerSpec {
  op: 'conv2d' | 'linear';
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: [number, number];
  stride: [number, number];
  pad: [number, number, number, number];
  /** fraction of SP2 filters (0..1) */
  sp2Fraction: number;
  inBits: number;
  inSigned: boolean;
  outBits: number;
  outSigned: boolean;
  fixedBits: number;
  sp2Bits: number;
  /** depthwise conv2d (groups = cin, cout must equal cin) */
  depthwise?: boolean;
  /** every weight at its extreme level (largest |w|, sign matching the worst input) */
  worstCase?: boolean;
}

export function randomLayerModel(spec: RandomLayerSpec, seed: number): QuantModel {
  const r = rng(seed);
  const ri = (n: number): number => Math.floor(r() * n);
  const fanIn = spec.op === 'conv2d' ? (spec.depthwise ? 1 : spec.cin) * spec.k[0] * spec.k[1] : spec.cin * spec.h * spec.w;
  const nSp2 = Math.round(spec.cout * spec.sp2Fraction);
  // choose which filters are SP2: a random subset
  const order = Array.from({ length: spec.cout }, (_, i) => i).sort(() => r() - 0.5);
  const isSp2 = new Set(order.slice(0, nSp2));
  const [inLo, inHi] = actRange(spec.inBits, spec.inSigned);
  const [, outHi] = actRange(spec.outBits, spec.outSigned);
  const filters: Filter[] = [];
  for (let j = 0; j < spec.cout; j++) {
    const scheme = isSp2.has(j) ? 'sp2' : 'fixed';
    const bits = scheme === 'sp2' ? spec.sp2Bits : spec.fixedBits;
    const lv = levels(scheme, bits);
    const weights: number[] = [];
    let absSum = 0;
    for (let k = 0; k < fanIn; k++) {
      let code: number;
      if (spec.worstCase) {
        const ext = (j + k) % 2 === 0 ? lv[lv.length - 1]! : lv[0]!;
        code = ext.code;
      } else if (scheme === 'sp2') {
        code = ri(2 ** bits); // every bit pattern is a valid SP2 code (incl. non-canonical ones)
      } else {
        code = lv[ri(lv.length)]!.code;
      }
      weights.push(code);
      absSum += Math.abs(weightValue(scheme, bits, code));
    }
    const accSpan = Math.max(1, absSum * Math.max(Math.abs(inLo), inHi));
    const bias = Math.round((r() - 0.5) * accSpan * 0.2);
    // typical |acc| ~ accSpan / 4 maps to ~ the top of the output range: some clamping, mostly in range
    const { M, S } = chooseMultiplier((outHi * (0.5 + r())) / (accSpan / 4 + 1));
    filters.push({ scheme, bits, alpha: 1, weights, bias, M, S });
  }
  const out = { bits: spec.outBits, signed: spec.outSigned, scale: 1 };
  const input = {
    name: 'input',
    shape: spec.op === 'conv2d' ? [spec.cin, spec.h, spec.w] : [spec.cin * spec.h * spec.w],
    bits: spec.inBits,
    signed: spec.inSigned,
    scale: 1,
  };
  const layer =
    spec.op === 'conv2d'
      ? {
          name: 'layer0',
          op: 'conv2d' as const,
          input: 'input',
          inChannels: spec.cin,
          outChannels: spec.cout,
          kernel: spec.k,
          stride: spec.stride,
          padding: spec.pad,
          groups: spec.depthwise ? spec.cin : 1,
          out,
          filters,
        }
      : { name: 'layer0', op: 'linear' as const, input: 'input', inFeatures: spec.cin * spec.h * spec.w, outFeatures: spec.cout, out, filters };
  return { format: 'accelforge-msq', version: 1, note: 'random test layer', input, layers: [layer] };
}
