/**
 * Cross-layer equalization (cle.ts): the equalized network computes the same function, each pair's two sides end
 * with equal per-channel ranges (weights mode), depthwise and flatten->linear readers are found, and a tensor that
 * another layer also reads (a residual) is never rescaled.
 */
import { describe, expect, it } from 'vitest';
import { runFloat } from '../src/msq/float.js';
import { channelMaxima, clePairs, equalize } from '../src/msq/cle.js';
import { floatShapes } from '../src/msq/float.js';
import type { FloatLayer, FloatModel } from '../src/msq/model.js';
import { mulberry32 as rng } from '../src/util/random.js';

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

function net(seed: number): FloatModel {
  const r = rng(seed);
  const conv = (name: string, input: string, cin: number, cout: number, groups: number, k: number): FloatLayer => {
    const fan = (cin / groups) * k * k;
    // very unequal channel scales, as BatchNorm folding leaves them
    const weight = Float32Array.from({ length: cout * fan }, (_, i) => gauss(r) * 0.05 * 2 ** (Math.floor(i / fan) % 5));
    return { op: 'conv2d', name, input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [1, 1], padding: [1, 1, 1, 1].map(() => (k - 1) / 2) as [number, number, number, number], groups, weight, bias: Float32Array.from({ length: cout }, () => gauss(r) * 0.1) };
  };
  return {
    input: { shape: [2, 8, 8] },
    layers: [
      conv('c1', 'input', 2, 6, 1, 3), { op: 'relu', name: 'r1', input: 'c1' },
      conv('dw', 'r1', 6, 6, 6, 3), { op: 'relu', name: 'r2', input: 'dw' },
      { op: 'maxpool', name: 'mp', input: 'r2', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      conv('pw', 'mp', 6, 8, 1, 1), { op: 'relu', name: 'r3', input: 'pw' },
      conv('c4', 'r3', 8, 8, 1, 3),
      { op: 'add', name: 'res', inputs: ['r3', 'c4'] },
      { op: 'flatten', name: 'fl', input: 'res' },
      { op: 'linear', name: 'fc', input: 'fl', inFeatures: 8 * 16, outFeatures: 5, weight: Float32Array.from({ length: 5 * 128 }, () => gauss(r) * 0.1), bias: new Float32Array(5) },
    ],
  };
}

describe('cross-layer equalization', () => {
  const fm = net(11);
  const r = rng(2);
  const xs = Array.from({ length: 6 }, () => Float64Array.from({ length: 128 }, () => r()));

  it('finds conv->depthwise, depthwise->pool->pointwise; not across a residual', () => {
    expect(clePairs(fm).map((p) => `${p.a}>${p.b}`)).toEqual(['c1>dw', 'dw>pw']);
  });

  it('keeps the function and equalizes both sides per channel (weights); act keeps the function too', () => {
    const shapes = floatShapes(fm);
    const actMax = channelMaxima(xs.map((x) => runFloat(fm, x, { keepAll: true, shapes }).tensors!), shapes, new Set(['r1', 'r2']));
    for (const mode of ['weights', 'act'] as const) {
      const e = equalize(fm, mode, { actMax });
      expect(e.pairs.length).toBe(2);
      for (const x of xs) {
        const a = runFloat(fm, x).output;
        const b = runFloat(e.model, x).output;
        for (let k = 0; k < a.length; k++) expect(b[k]).toBeCloseTo(a[k]!, 5);
      }
      expect(e.pairs.some((p) => p.maxScale / p.minScale > 2)).toBe(true); // it did rescale
    }
    // weights: after one pass over c1>dw, c1's filter ranges equal the ranges dw reads them with (dw's 9 taps)
    const e = equalize(fm, 'weights').model;
    const c1 = e.layers.find((l) => l.name === 'c1') as Extract<FloatLayer, { op: 'conv2d' }>;
    const dwOrig = fm.layers.find((l) => l.name === 'dw') as Extract<FloatLayer, { op: 'conv2d' }>;
    const c1Orig = fm.layers.find((l) => l.name === 'c1') as Extract<FloatLayer, { op: 'conv2d' }>;
    const mx = (w: ArrayLike<number>, i: number, K: number): number => Math.max(...Array.from(Array.prototype.slice.call(w, i * K, (i + 1) * K) as number[], Math.abs));
    for (let i = 0; i < 6; i++) {
      const s = Math.sqrt(mx(c1Orig.weight, i, 18) / mx(dwOrig.weight, i, 9));
      expect(mx(c1.weight, i, 18)).toBeCloseTo(mx(c1Orig.weight, i, 18) / s, 5);
      expect(mx(c1.weight, i, 18)).toBeCloseTo(mx(dwOrig.weight, i, 9) * s, 5);
    }
  });
});
