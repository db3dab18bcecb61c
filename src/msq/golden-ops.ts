/**
 * Golden model of the channel and pointwise ops (issue 12): concat, channel slice, channel shuffle, nearest
 * resize, lookup-table activations and the per-channel multiply of squeeze-excite; and the host-side softmax.
 * Bit-exact integer semantics (model.ts describes each layer; lut.ts the table convention).
 */
import { applyLut } from './lut.js';
import { requantize } from './conventions.js';
import type { QuantLayer, TensorInfo } from './model.js';
import { concatArrays } from '../util/arrays.js';

type ChannelOp = Extract<QuantLayer, { op: 'concat' | 'slice' | 'shuffle' | 'resize' | 'lut' | 'mulchannel' }>;

/** Channel j*g + gi of the shuffled tensor is input channel gi*(C/g) + j: the input channel of output channel k. */
export function shuffleSource(k: number, channels: number, groups: number): number {
  const per = channels / groups;
  return (k % groups) * per + Math.floor(k / groups);
}

export function runChannelOp(
  l: ChannelOp,
  inputs: Int32Array[],
  infos: readonly TensorInfo[],
  out: TensorInfo,
): Int32Array {
  const x = inputs[0]!;
  const xs = infos[0]!.shape;
  switch (l.op) {
    case 'concat':
      return concatArrays(Int32Array, inputs);
    case 'slice': {
      const plane = xs[1]! * xs[2]!;
      return x.slice(l.c0 * plane, (l.c0 + l.cCount) * plane);
    }
    case 'shuffle': {
      const [C, H, W] = xs as [number, number, number];
      const plane = H * W;
      const y = new Int32Array(x.length);
      for (let k = 0; k < C; k++) y.set(x.subarray(shuffleSource(k, C, l.groups) * plane, (shuffleSource(k, C, l.groups) + 1) * plane), k * plane);
      return y;
    }
    case 'resize': {
      const [C, H, W] = xs as [number, number, number];
      const [fy, fx] = l.scale;
      const OH = H * fy;
      const OW = W * fx;
      const y = new Int32Array(C * OH * OW);
      for (let c = 0; c < C; c++) {
        for (let oy = 0; oy < OH; oy++) {
          const row = (c * H + Math.floor(oy / fy)) * W;
          for (let ox = 0; ox < OW; ox++) y[(c * OH + oy) * OW + ox] = x[row + Math.floor(ox / fx)]!;
        }
      }
      return y;
    }
    case 'lut': {
      const { bits, signed } = infos[0]!;
      return x.map((v) => applyLut(l.table, v, bits, signed));
    }
    case 'mulchannel': {
      const s = inputs[1]!;
      const plane = xs.length === 3 ? xs[1]! * xs[2]! : 1;
      return x.map((v, i) => requantize(v * s[Math.floor(i / plane)]!, l.M, l.S, out.lo, out.hi));
    }
  }
}

/** Softmax of the model output on the host (real values = integers * scale), over all values. */
export function hostSoftmax(data: ArrayLike<number>, scale: number): Float64Array {
  let mx = -Infinity;
  for (let i = 0; i < data.length; i++) mx = Math.max(mx, data[i]! * scale);
  const e = Float64Array.from({ length: data.length }, (_, i) => Math.exp(data[i]! * scale - mx));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
