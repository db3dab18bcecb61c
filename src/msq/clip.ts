/**
 * Activation clipping search per tensor (`--act-clip mse|kl|percentile`, default mse).
 *
 * From all calibration values of a tensor (sorted), a 2,048-bin histogram of |x| (unsigned tensors: x ≥ 0 after
 * a ReLU; signed ones: symmetric clip) and, for candidate clips c = max·t, t on a grid in (0, 1]:
 *  - mse: Σ_bins count · (x − q_c(x))², q_c = uniform quantizer of the tensor's bits with top level c (values
 *    beyond c saturate); the c of least error wins.
 *  - kl: the TensorRT-style divergence: P = histogram up to c with the outliers added to the last bin, Q = P merged
 *    into the 2^b − 1 (unsigned) or 2^(b−1) − 1 (signed magnitude) levels and spread back over the non-empty bins;
 *    the c of least KL(P‖Q) wins.
 */

export type ClipMethod = 'mse' | 'kl' | 'percentile';
export const CLIP_METHODS: readonly ClipMethod[] = ['mse', 'kl', 'percentile'];
const BINS = 2048;

function histogram(sorted: Float32Array, signed: boolean): { hist: Float64Array; top: number } {
  const top = Math.max(Math.abs(sorted[0] ?? 0), Math.abs(sorted[sorted.length - 1] ?? 0));
  const hist = new Float64Array(BINS);
  if (top === 0) return { hist, top };
  for (let i = 0; i < sorted.length; i++) {
    const v = signed ? Math.abs(sorted[i]!) : Math.max(0, sorted[i]!);
    hist[Math.min(BINS - 1, Math.floor((v / top) * BINS))]++;
  }
  return { hist, top };
}

/** Best clip (magnitude) of a tensor's values for `bits`-bit quantization. */
export function searchClip(sorted: Float32Array, bits: number, signed: boolean, method: 'mse' | 'kl'): number {
  const { hist, top } = histogram(sorted, signed);
  if (top === 0) return 0;
  const levelsN = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const w = top / BINS;
  let best = { c: top, e: Infinity };
  const steps = 128;
  for (let s = 1; s <= steps; s++) {
    const c = (top * s) / steps;
    const e = method === 'mse' ? mseAt(hist, w, c, levelsN) : klAt(hist, Math.max(1, Math.round(c / w)), levelsN);
    if (e < best.e) best = { c, e };
  }
  return best.c;
}

function mseAt(hist: Float64Array, w: number, c: number, levelsN: number): number {
  const step = c / levelsN;
  let e = 0;
  for (let i = 0; i < hist.length; i++) {
    const h = hist[i]!;
    if (h === 0) continue;
    const x = (i + 0.5) * w;
    const q = Math.min(levelsN, Math.round(x / step)) * step;
    e += h * (x - q) ** 2;
  }
  return e;
}

function klAt(hist: Float64Array, cut: number, levelsN: number): number {
  const n = Math.min(cut, hist.length);
  const p = Float64Array.from(hist.subarray(0, n));
  for (let i = n; i < hist.length; i++) p[n - 1] += hist[i]!;
  const q = new Float64Array(n);
  const per = n / levelsN;
  for (let j = 0; j < levelsN; j++) {
    const a = Math.floor(j * per);
    const b = j === levelsN - 1 ? n : Math.max(a + 1, Math.floor((j + 1) * per));
    let sum = 0;
    let nz = 0;
    for (let i = a; i < b && i < n; i++) {
      sum += p[i]!;
      if (p[i]! > 0) nz++;
    }
    for (let i = a; i < b && i < n; i++) if (p[i]! > 0) q[i] = sum / nz;
  }
  const sp = p.reduce((x, y) => x + y, 0);
  const sq = q.reduce((x, y) => x + y, 0);
  if (sp === 0 || sq === 0) return Infinity;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    if (p[i]! === 0) continue;
    const pi = p[i]! / sp;
    const qi = Math.max(q[i]! / sq, 1e-12);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}
