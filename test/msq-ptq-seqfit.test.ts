/**
 * The sequential fit (seqfit.ts): each layer re-fitted on its input in the integer model built so far. On a small
 * MLP at 3-bit activations the quantized model's logits must track the float logits more closely (held-out inputs)
 * than with the fit on the float model's own activations; a pass that does nothing or fits the wrong target fails.
 */
import { describe, expect, it } from 'vitest';
import { floatShapes, runFloat } from '../src/msq/float.js';
import { fitFilter, InputStatsCollector } from '../src/msq/fit.js';
import type { FloatModel, QuantModel } from '../src/msq/model.js';
import { quantizeFloatModelWithReport, rangesFromSamples, type PtqOptions } from '../src/msq/ptq.js';
import { prepareModel, quantizeInput, runGolden } from '../src/msq/golden.js';
import { mulberry32 as rng } from '../src/util/random.js';

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

function mlp(seed: number): { fm: FloatModel; xs: Float64Array[] } {
  const r = rng(seed);
  const lin = (name: string, input: string, nin: number, nout: number) => ({
    op: 'linear' as const, name, input, inFeatures: nin, outFeatures: nout,
    weight: Float32Array.from({ length: nin * nout }, () => gauss(r) * (0.3 + r()) / Math.sqrt(nin)),
    bias: Float32Array.from({ length: nout }, () => gauss(r) * 0.1),
  });
  const fm: FloatModel = {
    input: { shape: [12] },
    layers: [
      lin('fc1', 'input', 12, 20), { op: 'relu', name: 'r1', input: 'fc1' },
      lin('fc2', 'r1', 20, 20), { op: 'relu', name: 'r2', input: 'fc2' },
      lin('fc3', 'r2', 20, 20), { op: 'relu', name: 'r3', input: 'fc3' },
      lin('fc4', 'r3', 20, 6),
    ],
  };
  const xs = Array.from({ length: 400 }, () => Float64Array.from({ length: 12 }, () => r()));
  return { fm, xs };
}

/** mean squared logit error of the integer model against the float model */
function logitMse(fm: FloatModel, qm: QuantModel, xs: Float64Array[]): number {
  const pm = prepareModel(qm);
  let e = 0;
  for (const x of xs) {
    const g = runGolden(pm, quantizeInput(qm, x));
    const f = runFloat(fm, x).output;
    for (let k = 0; k < f.length; k++) e += (g.output.data[k]! * g.scale - f[k]!) ** 2;
  }
  return e / xs.length;
}

describe('sequential fit on the quantized input', () => {
  it('tracks the float logits better than the fit on float activations (held-out inputs), for fixed, SP2 and MSQ', () => {
    const { fm, xs } = mlp(11);
    const calib = xs.slice(0, 200);
    const held = xs.slice(200);
    const shapes = floatShapes(fm);
    const col = new InputStatsCollector(fm, shapes);
    for (const x of calib) col.add(runFloat(fm, x, { keepAll: true, shapes }).tensors!);
    const base: PtqOptions = { actRanges: rangesFromSamples(fm, calib), ratio: 1.5, inputStats: col.result(), inner: { weightBits: 4, actBits: 3 } };
    for (const rule of ['fixed', 'sp2', 'output'] as const) {
      const plain = logitMse(fm, quantizeFloatModelWithReport(fm, { ...base, rule }).model, held);
      const seq = logitMse(fm, quantizeFloatModelWithReport(fm, { ...base, rule, sequentialSamples: calib }).model, held);
      expect(seq, rule).toBeLessThan(0.8 * plain);
    }
  });

  it('fitFilter with the cross-covariance lowers E[(q·x̂ − w·x)²] against the fit that ignores x̂', () => {
    const r = rng(4);
    const K = 10;
    const n = 2000;
    const w = Float64Array.from({ length: K }, () => gauss(r) * 0.5);
    // x̂ = x plus a correlated quantization-like error that is biased on some inputs
    const X = Array.from({ length: n }, () => Float64Array.from({ length: K }, () => r()));
    const Xq = X.map((x) => x.map((v, i) => v + (i < 4 ? 0.15 * v : 0) + 0.02 * gauss(r)));
    const mean = (A: Float64Array[]): Float64Array => Float64Array.from({ length: K }, (_, i) => A.reduce((s, a) => s + a[i]!, 0) / n);
    const mq = mean(Xq);
    const mf = mean(X);
    const cov = (A: Float64Array[], ma: Float64Array, B: Float64Array[], mb: Float64Array): Float64Array => {
      const c = new Float64Array(K * K);
      for (let s = 0; s < n; s++) for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) c[i * K + j] += (A[s]![i]! - ma[i]!) * (B[s]![j]! - mb[j]!) / n;
      return c;
    };
    const Cqq = cov(Xq, mq, Xq, mq);
    const Cqf = cov(Xq, mq, X, mf);
    const err = (values: Int32Array, alpha: number, shift: number): number => {
      const step = alpha / 7; // fixed, 4 bits
      let e = 0;
      for (let s = 0; s < n; s++) {
        let d = -shift;
        for (let i = 0; i < K; i++) d += values[i]! * step * Xq[s]![i]! - w[i]! * X[s]![i]!;
        e += d * d;
      }
      return e / n;
    };
    const aware = fitFilter(w, Cqq, mq, 'fixed', 4, { cross: Cqf, muFloat: mf });
    const blind = fitFilter(w, Cqq, mq, 'fixed', 4);
    expect(err(aware.values, aware.alpha, aware.shift)).toBeLessThan(0.5 * err(blind.values, blind.alpha, blind.shift));
  });
});
