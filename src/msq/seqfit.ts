/**
 * Sequential (layer-by-layer) weight fit on the already-quantized input, the default with calibration data.
 *
 * ptq.ts first quantizes every layer with statistics of the float model's own activations. This pass then walks the
 * integer model (golden.ts) in order on the calibration images: at each conv/linear layer it pairs the layer's
 * input in the integer model built so far (x̂, dequantized) with the float model's input x at the same patch
 * positions, accumulates the covariance of x̂, the cross-covariance Cov(x̂, x) and both means, and re-fits the
 * layer (scheme split, scale, AdaRound-style rounding, bias correction; fit.ts) so that q·x̂ tracks w·x. The
 * layer's output in the integer model is then computed with the re-fitted filters and the walk goes on, so every
 * layer is fitted to the errors of all layers before it, as they really are.
 *
 * Cost: one integer and one float run per image (images capped by SEQ_SAMPLES and by SEQ_VALUE_BUDGET stored float
 * values), plus K² per patch vector for the statistics. Layers whose K exceeds SEQ_MAX_K keep their first fit.
 */
import { floatShapes, runFloat } from './float.js';
import { prepareModel, quantizeInput, runLayer } from './golden.js';
import { layerInputs, type FloatModel, type Filter, type QuantModel } from './model.js';
import { patchVectors, shrinkOffDiagonal, StatsAccumulator, STATS_POSITIONS, type LayerInputStats } from './fit.js';

/** Most calibration images the sequential pass runs. */
export const SEQ_SAMPLES = 256;
/** Most float values kept (the float inputs of the weighted layers over all images): 32 M = 256 MB. */
export const SEQ_VALUE_BUDGET = 32 * 2 ** 20;
/** Layers with longer filter vectors keep their first fit (the K×K paired statistics would dominate the time). */
export const SEQ_MAX_K = 1200;

/** Most paired vectors kept per layer and group for the output rule's measured error (and at most SEQ_PAIR_VALUES values). */
export const SEQ_PAIRS = 4096;
export const SEQ_PAIR_VALUES = 4 * 2 ** 20;

/** Σx̂, Σx̂x̂ᵀ (fit.ts StatsAccumulator), Σx and Σx̂xᵀ of paired K-vectors per group, and the first vectors themselves. */
class PairAccumulator {
  private own: StatsAccumulator;
  private sf: Float64Array[];
  private qf: Float64Array[];
  private kept: { xq: Float64Array; xf: Float64Array; n: number }[];
  private cap: number;
  constructor(readonly K: number, readonly groups: number, expected: number) {
    const z = (len: number): Float64Array[] => Array.from({ length: groups }, () => new Float64Array(len));
    this.own = new StatsAccumulator(K, groups);
    this.sf = z(K);
    this.qf = z(K * K);
    this.cap = Math.max(1, Math.min(SEQ_PAIRS, expected, Math.floor(SEQ_PAIR_VALUES / (K * groups))));
    this.kept = Array.from({ length: groups }, () => ({ xq: new Float64Array(this.cap * K), xf: new Float64Array(this.cap * K), n: 0 }));
  }
  add(q: Float64Array[], f: Float64Array[]): void {
    this.own.add(q);
    const K = this.K;
    for (let g = 0; g < this.groups; g++) {
      const kp = this.kept[g]!;
      if (kp.n >= this.cap) continue;
      kp.xq.set(q[g]!, kp.n * K);
      kp.xf.set(f[g]!, kp.n * K);
      kp.n++;
    }
    for (let g = 0; g < this.groups; g++) {
      const a = q[g]!;
      const b = f[g]!;
      const sf = this.sf[g]!;
      const qf = this.qf[g]!;
      for (let j = 0; j < K; j++) sf[j] += b[j]!;
      for (let i = 0; i < K; i++) {
        const ai = a[i]!;
        if (ai === 0) continue;
        const row = i * K;
        for (let j = 0; j < K; j++) qf[row + j] += ai * b[j]!;
      }
    }
  }
  result(): LayerInputStats {
    const K = this.K;
    const r = this.own.result();
    for (const C of r.cov) shrinkOffDiagonal(C, K);
    const n = Math.max(1, r.count);
    const meanFloat = this.sf.map((s) => s.map((v) => v / n));
    const cross = this.qf.map((s, g) => {
      const m = r.mean[g]!;
      const mf = meanFloat[g]!;
      const c = new Float64Array(K * K);
      for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) c[i * K + j] = s[i * K + j]! / n - m[i]! * mf[j]!;
      shrinkOffDiagonal(c, K);
      return c;
    });
    return { ...r, cross, meanFloat, pairs: this.kept };
  }
}

/** Re-fits one weighted layer from paired statistics: its new filters. */
export type LayerRefit = (name: string, stats: LayerInputStats) => Filter[];

/**
 * The sequential pass over `model` (quantized from `fm`), in place: every conv/linear layer with K ≤ SEQ_MAX_K gets
 * `refit`'s filters. `samples` are real network inputs (as for runFloat). Returns the names of the re-fitted layers.
 */
export function refitSequential(fm: FloatModel, model: QuantModel, samples: ArrayLike<number>[], refit: LayerRefit): string[] {
  const shapes = floatShapes(fm);
  const floatByName = new Map(fm.layers.map((l) => [l.name, l] as const));
  const weighted = model.layers.filter((l) => (l.op === 'conv2d' || l.op === 'linear') && (l.filters[0]?.weights.length ?? 0) <= SEQ_MAX_K);
  const floatInputs = new Set(weighted.map((l) => (floatByName.get(l.name) as { input: string }).input));
  const perSample = [...floatInputs].reduce((a, n) => a + shapes.get(n)!.reduce((x, y) => x * y, 1), 0);
  const n = Math.min(samples.length, SEQ_SAMPLES, Math.max(1, Math.floor(SEQ_VALUE_BUDGET / Math.max(1, perSample))));
  if (weighted.length === 0 || n === 0) return [];
  // the float inputs of the weighted layers, per image
  const floats = samples.slice(0, n).map((x) => {
    const t = runFloat(fm, x, { keepAll: true, shapes }).tensors!;
    return new Map([...floatInputs].map((name) => [name, t.get(name)!] as const));
  });
  const lastUse = new Map<string, number>();
  model.layers.forEach((l, i) => {
    for (const nm of layerInputs(l)) lastUse.set(nm, i);
  });
  let pm = prepareModel(model);
  const lives = samples.slice(0, n).map((x) => new Map([[model.input.name, quantizeInput(model, x)]]));
  const todo = new Set(weighted.map((l) => l.name));
  const done: string[] = [];
  let seed = 12345;
  const rand = (m: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % m;
  };
  model.layers.forEach((l, i) => {
    if ((l.op === 'conv2d' || l.op === 'linear') && todo.has(l.name)) {
      const fl = floatByName.get(l.name) as { input: string };
      const xs = pm.infos.get(l.input)!;
      const scale = xs.scale;
      const K = l.filters[0]!.weights.length;
      const groups = l.op === 'conv2d' ? l.groups : 1;
      const acc = new PairAccumulator(K, groups, l.op === 'linear' ? lives.length : lives.length * STATS_POSITIONS);
      const vq = Array.from({ length: groups }, () => new Float64Array(K));
      const vf = Array.from({ length: groups }, () => new Float64Array(K));
      lives.forEach((live, s) => {
        const xq = live.get(l.input)!;
        const xf = floats[s]!.get(fl.input)!;
        if (l.op === 'linear') {
          acc.add([Float64Array.from(xq, (v) => v * scale)], [xf]);
          return;
        }
        const os = pm.infos.get(l.name)!.shape;
        const positions = os[1]! * os[2]!;
        for (let p = 0; p < Math.min(STATS_POSITIONS, positions); p++) {
          const pos = rand(positions);
          patchVectors(l, xq, xs.shape, Math.floor(pos / os[2]!), pos % os[2]!, vq);
          patchVectors(l, xf, xs.shape, Math.floor(pos / os[2]!), pos % os[2]!, vf);
          for (const v of vq) for (let k = 0; k < K; k++) v[k] *= scale;
          acc.add(vq, vf);
        }
      });
      l.filters = refit(l.name, acc.result());
      pm = prepareModel(model);
      done.push(l.name);
    }
    for (const live of lives) {
      live.set(l.name, runLayer(pm, l, live));
      for (const nm of layerInputs(l)) if (lastUse.get(nm) === i && nm !== pm.output) live.delete(nm);
    }
  });
  return done;
}
