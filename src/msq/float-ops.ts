/**
 * Float reference and data-free statistics of the channel and pointwise ops (issue 12): concat, channel slice,
 * channel shuffle, nearest resize, pointwise activations (`act`) and the per-channel multiply (squeeze-excite).
 * float.ts and calib.ts dispatch here; the integer semantics are golden-ops.ts.
 */
import { fail } from '../util/errors.js';
import { concatArrays } from '../util/arrays.js';
import { shuffleSource } from './golden-ops.js';
import { pointwiseReal } from './lut.js';
import { numel, type FloatChannelOp } from './model.js';

/** Output shape of a channel op; `ins` are the input shapes. Errors name the layer (`at`). */
export function floatChannelShape(l: FloatChannelOp, ins: number[][], at: string): number[] {
  const x = ins[0]!;
  const spatial = (): [number, number, number] => {
    if (x.length !== 3) fail(at, `${l.op} needs a [C, H, W] input, got [${x.join(', ')}]`);
    return x as [number, number, number];
  };
  switch (l.op) {
    case 'concat': {
      const [, h, w] = spatial();
      let c = 0;
      for (const s of ins) {
        if (s.length !== 3 || s[1] !== h || s[2] !== w) fail(at, `concat inputs differ in H, W: [${s.join(', ')}] vs [${x.join(', ')}]`);
        c += s[0]!;
      }
      return [c, h, w];
    }
    case 'slice': {
      const [c, h, w] = spatial();
      if (l.c0 < 0 || l.cCount < 1 || l.c0 + l.cCount > c) fail(at, `channels ${l.c0}..${l.c0 + l.cCount - 1} outside the input's ${c}`);
      return [l.cCount, h, w];
    }
    case 'shuffle':
      if (spatial()[0] % l.groups !== 0) fail(at, `${x[0]} channels do not split into ${l.groups} groups`);
      return [...x];
    case 'resize': {
      const [c, h, w] = spatial();
      return [c, h * l.scale[0], w * l.scale[1]];
    }
    case 'act':
      return [...x];
    case 'mulchannel': {
      const c = spatial()[0];
      if (numel(ins[1]!) !== c) fail(at, `scale vector has ${numel(ins[1]!)} values, expected ${c} (one per channel)`);
      return [...x];
    }
  }
}

/** Execute a channel op in float64. */
export function runFloatChannelOp(l: FloatChannelOp, inputs: Float64Array[], ins: number[][]): Float64Array {
  const x = inputs[0]!;
  const xs = ins[0]!;
  const plane = xs.length === 3 ? xs[1]! * xs[2]! : 1;
  switch (l.op) {
    case 'concat':
      return concatArrays(Float64Array, inputs);
    case 'slice':
      return x.slice(l.c0 * plane, (l.c0 + l.cCount) * plane);
    case 'shuffle': {
      const y = new Float64Array(x.length);
      for (let k = 0; k < xs[0]!; k++) {
        const src = shuffleSource(k, xs[0]!, l.groups);
        y.set(x.subarray(src * plane, (src + 1) * plane), k * plane);
      }
      return y;
    }
    case 'resize': {
      const [C, H, W] = xs as [number, number, number];
      const [fy, fx] = l.scale;
      const y = new Float64Array(C * H * fy * W * fx);
      let o = 0;
      for (let c = 0; c < C; c++) {
        for (let oy = 0; oy < H * fy; oy++) {
          for (let ox = 0; ox < W * fx; ox++) y[o++] = x[(c * H + Math.floor(oy / fy)) * W + Math.floor(ox / fx)]!;
        }
      }
      return y;
    }
    case 'act':
      return x.map((v) => pointwiseReal(l.fn, v, l.params));
    case 'mulchannel': {
      const s = inputs[1]!;
      return x.map((v, i) => v * s[Math.floor(i / plane)]!);
    }
  }
}

/** Per-channel statistics as calib.ts keeps them. */
export interface ChannelStatsF {
  mean: Float64Array;
  std: Float64Array;
  relu: boolean;
}

/** Mean and std of f(X), X ~ N(mu, sigma^2), by 33 Gauss-Hermite-like quantile points (data-free calibration). */
function mapGaussian(f: (v: number) => number, mu: number, sigma: number): { mean: number; std: number } {
  const n = 33;
  let m = 0;
  let m2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const z = -4 + (8 * i) / (n - 1);
    const w = Math.exp(-z * z / 2);
    const v = f(mu + sigma * z);
    m += w * v;
    m2 += w * v * v;
    wsum += w;
  }
  m /= wsum;
  return { mean: m, std: Math.sqrt(Math.max(0, m2 / wsum - m * m)) };
}

/** Data-free statistics of a channel op's output from its inputs' statistics. */
export function channelOpStats(l: FloatChannelOp, ins: ChannelStatsF[], inShapes: number[][]): ChannelStatsF {
  const x = ins[0]!;
  switch (l.op) {
    case 'concat': {
      const cat = (k: 'mean' | 'std'): Float64Array => concatArrays(Float64Array, ins.map((s) => s[k]));
      return { mean: cat('mean'), std: cat('std'), relu: ins.every((s) => s.relu) };
    }
    case 'slice':
      return { mean: x.mean.slice(l.c0, l.c0 + l.cCount), std: x.std.slice(l.c0, l.c0 + l.cCount), relu: x.relu };
    case 'shuffle': {
      const C = inShapes[0]![0]!;
      const idx = Array.from({ length: C }, (_, k) => shuffleSource(k, C, l.groups));
      return { mean: Float64Array.from(idx, (i) => x.mean[i]!), std: Float64Array.from(idx, (i) => x.std[i]!), relu: x.relu };
    }
    case 'resize':
      return { mean: Float64Array.from(x.mean), std: Float64Array.from(x.std), relu: x.relu };
    case 'act': {
      const r = Array.from(x.mean, (mu, c) => mapGaussian((v) => pointwiseReal(l.fn, v, l.params), mu, x.std[c]!));
      return { mean: Float64Array.from(r, (v) => v.mean), std: Float64Array.from(r, (v) => v.std), relu: false };
    }
    case 'mulchannel': {
      const s = ins[1]!;
      const mean = x.mean.map((m, c) => m * s.mean[c]!);
      const std = x.std.map((v, c) => {
        const a = v * v + x.mean[c]! ** 2;
        const b = s.std[c]! ** 2 + s.mean[c]! ** 2;
        return Math.sqrt(Math.max(0, a * b - (x.mean[c]! * s.mean[c]!) ** 2));
      });
      return { mean, std, relu: false };
    }
  }
}

const CHANNEL_OPS = new Set(['concat', 'slice', 'shuffle', 'resize', 'act', 'mulchannel']);

/** Whether a float layer is one of the channel / pointwise ops of this file. */
export function isFloatChannelOp(l: { op: string }): l is FloatChannelOp {
  return CHANNEL_OPS.has(l.op);
}
