/**
 * The GEMM view of a conv2d / linear layer (docs/msq-core.md "Host compilation"): conv2d / linear → GEMM; depthwise
 * conv2d → dense GEMM per channel group whose input is only that group's channels (zero weights off the filter's own
 * channel); linear after flatten of [C, H, W] = a conv with kernel [H, W] over the [C, H, W] tensor (the weight order
 * [c][y][x] is already the conv's [ci][ky][kx]; flatten costs nothing).
 */
import type { Filter, QuantLayer } from '../model.js';
import { geometryOf, wholeWindow, windowOf, type Geometry } from '../geometry.js';
import type { HostTensor } from './program.js';

/** A conv-shaped GEMM over a [cin, inH, inW] input (linear = kernel [inH, inW] or 1x1), in geometry.ts's spelling. */
export interface Gemm extends Geometry {
  layer: string;
  filters: Filter[];
  /** code of filter j at (input channel ci, ky, kx); ci in 0..cin-1 */
  code: (j: number, ci: number, ky: number, kx: number) => number;
  depthwise: boolean;
  lo: number;
  hi: number;
}

/** Marker returned by Gemm.code for a structural zero weight (depthwise off-channel). */
export const ZERO = -1;

export type GemmLayer = Extract<QuantLayer, { op: 'conv2d' | 'linear' }>;

/** The GEMM of layer `l` on host tensor `x`, output shape `outShape` ([C, H, W] or [F]), clamp [lo, hi]. */
export function gemmOf(l: GemmLayer, x: HostTensor, outShape: readonly number[], lo: number, hi: number): Gemm {
  const [C, H, W] = x.shape;
  if (l.op === 'conv2d') {
    const dw = l.groups !== 1;
    const { kernel: [kh, kw] } = l;
    const code = dw ? (j: number, ci: number, ky: number, kx: number) => (ci === j ? ky * kw + kx : ZERO) : (_j: number, ci: number, ky: number, kx: number) => (ci * kh + ky) * kw + kx;
    return { layer: l.name, ...geometryOf(windowOf(l), x.shape, outShape), cout: l.outChannels, filters: l.filters, code, depthwise: dw, lo, hi };
  }
  // linear over a [C, H, W] host tensor (flatten alias) = conv with kernel [H, W]; flat [F] = [F, 1, 1]
  const code = (_j: number, ci: number, ky: number, kx: number): number => (ci * H + ky) * W + kx;
  return { layer: l.name, ...geometryOf(wholeWindow(H, W), [C, H, W], [l.outFeatures, 1, 1]), filters: l.filters, code, depthwise: false, lo, hi };
}
