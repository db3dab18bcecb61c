/**
 * The GEMM view of a conv2d / linear layer (docs/msq-core.md "Host compilation"): conv2d / linear → GEMM; depthwise
 * conv2d → dense GEMM per channel group whose input is only that group's channels (zero weights off the filter's own
 * channel); linear after flatten of [C, H, W] = a conv with kernel [H, W] over the [C, H, W] tensor (the weight order
 * [c][y][x] is already the conv's [ci][ky][kx]; flatten costs nothing).
 */
import type { Filter, QuantLayer } from '../model.js';
import type { HostTensor } from './program.js';

/** A conv-shaped GEMM over a [cin, H, W] input (linear = kernel [H, W] or 1x1). */
export interface Gemm {
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

/** Marker returned by Gemm.code for a structural zero weight (depthwise off-channel). */
export const ZERO = -1;

export type GemmLayer = Extract<QuantLayer, { op: 'conv2d' | 'linear' }>;

/** The GEMM of layer `l` on host tensor `x`, output shape `outShape` ([C, H, W] or [F]), clamp [lo, hi]. */
export function gemmOf(l: GemmLayer, x: HostTensor, outShape: readonly number[], lo: number, hi: number): Gemm {
  const [C, H, W] = x.shape;
  if (l.op === 'conv2d') {
    const dw = l.groups !== 1;
    const { kernel: [kh, kw], stride: [sh, sw] } = l;
    return {
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
      outH: outShape[1]!,
      outW: outShape[2]!,
      filters: l.filters,
      code: dw ? (j, ci, ky, kx) => (ci === j ? ky * kw + kx : ZERO) : (_j, ci, ky, kx) => (ci * kh + ky) * kw + kx,
      depthwise: dw,
      lo,
      hi,
    };
  }
  // linear over a [C, H, W] host tensor (flatten alias) = conv with kernel [H, W]; flat [F] = [F, 1, 1]
  return {
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
