/**
 * kx-unrolling of a conv2d with few input channels (the first layer of an image network): an exact rewrite that lets
 * the engine fill its N activation lanes. The host (or the DMA) sends, for every output column x', the kw input
 * columns the kernel needs side by side as channels:
 *
 *   packed[kx * C + ci, y, x'] = x[ci, y, x' * sw - padLeft + kx]   (0 outside the image)
 *
 * and the layer becomes a conv2d with C * kw input channels, kernel [kh, 1], stride [sh, 1], padding
 * [top, 0, bottom, 0] and weights w'[kx * C + ci][ky] = w[ci][ky][kx]. Every output is the same sum of the same
 * products, so the result is bit-identical (tested against the golden model). The price is kw / sw times more input
 * traffic for that layer.
 */
import { fail } from '../../util/errors.js';
import type { Conv2dLayer, TensorInfo } from '../model.js';

export interface UnrolledConv {
  layer: Conv2dLayer;
  /** shape of the packed input [C * kw, H, OW] */
  inputShape: [number, number, number];
  /** pack a [C, H, W] row-major input into the unrolled layer's input */
  pack(x: ArrayLike<number>): Int32Array;
}

export function unrollKx(layer: Conv2dLayer, input: TensorInfo): UnrolledConv {
  if (layer.groups !== 1) fail(`layer '${layer.name}'.groups`, 'kx-unrolling needs a dense conv2d (groups 1)');
  if (input.shape.length !== 3) fail(`layer '${layer.name}'.input`, 'kx-unrolling needs a [C, H, W] input');
  const [C, H, W] = input.shape as [number, number, number];
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  const [pt, pl, pb, pr] = layer.padding;
  const OW = Math.floor((W + pl + pr - kw) / sw) + 1;
  const filters = layer.filters.map((f) => {
    const w = new Array<number>(C * kw * kh);
    for (let kx = 0; kx < kw; kx++) {
      for (let ci = 0; ci < C; ci++) {
        for (let ky = 0; ky < kh; ky++) w[(kx * C + ci) * kh + ky] = f.weights[(ci * kh + ky) * kw + kx]!;
      }
    }
    return { ...f, weights: w };
  });
  const out: Conv2dLayer = {
    ...layer,
    name: layer.name,
    inChannels: C * kw,
    kernel: [kh, 1],
    stride: [sh, 1],
    padding: [pt, 0, pb, 0],
    groups: 1,
    filters,
  };
  const pack = (x: ArrayLike<number>): Int32Array => {
    if (x.length !== C * H * W) fail('input', `has ${x.length} values, expected ${C * H * W}`);
    const p = new Int32Array(C * kw * H * OW);
    for (let kx = 0; kx < kw; kx++) {
      for (let ci = 0; ci < C; ci++) {
        for (let y = 0; y < H; y++) {
          for (let xo = 0; xo < OW; xo++) {
            const ix = xo * sw - pl + kx;
            p[((kx * C + ci) * H + y) * OW + xo] = ix >= 0 && ix < W ? x[(ci * H + y) * W + ix]! : 0;
          }
        }
      }
    }
    return p;
  };
  return { layer: out, inputShape: [C * kw, H, OW], pack };
}
