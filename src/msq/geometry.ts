/**
 * Layer geometry in ONE spelling, shared by the compiler (core/gemm.ts, core/lower-pool.ts, core/tiling.ts), the
 * golden model (golden.ts), the interpreter and the cycle model (through the job descriptor, core/job.ts JobSpec,
 * whose geometry fields are a Pick of this type): input [cin, inH, inW], output [cout, outH, outW], kernel kh x kw,
 * stride sh, sw, padding padT, padL, padB, padR (dilation is always 1: the importer refuses others).
 * The model file keeps its own format (kernel: [kh, kw], stride: [sh, sw], padding: [top, left, bottom, right]);
 * `windowOf` / `geometryOf` are the one bridge from it.
 */

export interface Geometry {
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
  padT: number;
  padL: number;
  padB: number;
  padR: number;
}

/** The window of a conv / pool: kernel, stride, padding. */
export type Window = Pick<Geometry, 'kh' | 'kw' | 'sh' | 'sw' | 'padT' | 'padL' | 'padB' | 'padR'>;

/** A window op as the model file spells it. */
export interface ModelWindow {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  /** [top, left, bottom, right] */
  padding: readonly [number, number, number, number];
}

/** The window of a model layer (conv2d, maxpool, avgpool). */
export function windowOf(l: ModelWindow): Window {
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [padT, padL, padB, padR] = l.padding;
  return { kh, kw, sh, sw, padT, padL, padB, padR };
}

/** A window covering the whole input (global pooling, a linear layer over [C, H, W] as an H x W conv). */
export function wholeWindow(inH: number, inW: number): Window {
  return { kh: inH, kw: inW, sh: 1, sw: 1, padT: 0, padL: 0, padB: 0, padR: 0 };
}

/** The 1x1 window (pointwise jobs). */
export const POINT_WINDOW: Window = Object.freeze({ kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0, padB: 0, padR: 0 });

/** Geometry of a window op from its input shape [C, H, W] and output shape [C', H', W']. */
export function geometryOf(w: Window, inShape: readonly number[], outShape: readonly number[]): Geometry {
  return { cin: inShape[0]!, inH: inShape[1]!, inW: inShape[2]!, cout: outShape[0]!, outH: outShape[1]!, outW: outShape[2]!, ...w };
}

/**
 * The kernel taps of a window along one axis that fall inside the input (the rest read padding): for output
 * position `o` (stride `s`, leading padding `pad`), the offsets from tapFirst to tapEnd (exclusive) of a kernel of
 * `k` taps over an input of `n`, i.e. 0 <= o·s − pad + offset < n. The reference loops walk windows with them.
 */
export const tapFirst = (o: number, s: number, pad: number): number => Math.max(0, pad - o * s);
export const tapEnd = (o: number, s: number, pad: number, k: number, n: number): number => Math.min(k, n + pad - o * s);
