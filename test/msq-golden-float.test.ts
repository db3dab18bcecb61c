import { describe, expect, it } from 'vitest';
import { floatShapes, runFloat } from '../src/msq/float.js';
import type { FloatLayer, FloatModel } from '../src/msq/model.js';

const X33 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const fm = (shape: number[], layers: FloatLayer[]): FloatModel => ({ input: { shape }, layers });
const run = (m: FloatModel, x: number[]): number[] => Array.from(runFloat(m, x).output);

describe('float reference on hand-computed layers', () => {
  const conv: FloatLayer = {
    op: 'conv2d', name: 'c', input: 'input', inChannels: 1, outChannels: 1, kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0],
    groups: 1, weight: [1, -2, 3, 0], bias: [0.5],
  };

  it('conv2d, relu, avgpool, globalavgpool', () => {
    expect(run(fm([1, 3, 3], [conv]), X33)).toEqual([9.5, 11.5, 15.5, 17.5]);
    expect(run(fm([1, 3, 3], [conv, { op: 'avgpool', name: 'a', input: 'c', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0] }]), X33)).toEqual([13.5]);
    expect(run(fm([1, 3, 3], [conv, { op: 'globalavgpool', name: 'g', input: 'c' }]), X33)).toEqual([13.5]);
    const neg = X33.map((v) => -v);
    expect(run(fm([1, 3, 3], [{ ...conv, bias: [0] }, { op: 'relu', name: 'r', input: 'c' }]), neg)).toEqual([0, 0, 0, 0]);
  });

  it('conv2d stride 2 padding 1; maxpool ignores padding; avgpool counts padded zeros', () => {
    const c3: FloatLayer = { ...conv, kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], weight: new Array(9).fill(1), bias: [0] };
    expect(run(fm([1, 3, 3], [c3]), X33)).toEqual([12, 16, 24, 28]);
    const pad = [1, 1, 0, 0] as [number, number, number, number];
    expect(run(fm([1, 3, 3], [{ op: 'maxpool', name: 'p', input: 'input', kernel: [2, 2], stride: [2, 2], padding: pad }]), X33.map((v) => -v))).toEqual([-1, -2, -4, -5]);
    expect(run(fm([1, 3, 3], [{ op: 'avgpool', name: 'p', input: 'input', kernel: [2, 2], stride: [2, 2], padding: pad }]), X33)).toEqual([0.25, 1.25, 2.75, 7]);
  });

  it('depthwise, add, flatten, linear; keepAll returns every tensor', () => {
    const dw: FloatLayer = {
      op: 'conv2d', name: 'd', input: 'input', inChannels: 2, outChannels: 2, kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0],
      groups: 2, weight: [1, 1, 1, 1, 1, 0, 0, -1], bias: [0, 0.5],
    };
    const m = fm([2, 2, 2], [
      dw,
      { op: 'add', name: 's', inputs: ['d', 'd'] },
      { op: 'flatten', name: 'f', input: 's' },
      { op: 'linear', name: 'fc', input: 'f', inFeatures: 2, outFeatures: 2, weight: [1, 2, -1, 0.5], bias: [0, 1] },
    ]);
    // d = [10, -2.5]; s = [20, -5]; fc = [20 - 10, -20 - 2.5 + 1]
    const r = runFloat(m, [1, 2, 3, 4, 5, 6, 7, 8], { keepAll: true });
    expect(Array.from(r.output)).toEqual([10, -21.5]);
    expect([...r.tensors!.keys()]).toEqual(['input', 'd', 's', 'f', 'fc']);
    expect(Array.from(r.tensors!.get('d')!)).toEqual([10, -2.5]);
  });

  it('the im2col path equals direct summation on random multi-channel convolutions', () => {
    let seed = 5;
    const r = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let t = 0; t < 10; t++) {
      const C = 1 + (t % 3);
      const O = 2 + (t % 4);
      const k = 1 + (t % 3);
      const s = 1 + (t % 2);
      const p = t % k;
      const H = 5 + t;
      const W = 4 + (t % 5);
      const weight = Array.from({ length: O * C * k * k }, r);
      const bias = Array.from({ length: O }, r);
      const x = Array.from({ length: C * H * W }, r);
      const m = fm([C, H, W], [{ op: 'conv2d', name: 'c', input: 'input', inChannels: C, outChannels: O, kernel: [k, k], stride: [s, s], padding: [p, p, p, p], groups: 1, weight, bias }]);
      const got = run(m, x);
      const OH = Math.floor((H + 2 * p - k) / s) + 1;
      const OW = Math.floor((W + 2 * p - k) / s) + 1;
      expect(got.length).toBe(O * OH * OW);
      for (let o = 0; o < O; o++) {
        for (let oy = 0; oy < OH; oy++) {
          for (let ox = 0; ox < OW; ox++) {
            let acc = bias[o]!;
            for (let c = 0; c < C; c++) {
              for (let ky = 0; ky < k; ky++) {
                for (let kx = 0; kx < k; kx++) {
                  const iy = oy * s - p + ky;
                  const ix = ox * s - p + kx;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc += weight[((o * C + c) * k + ky) * k + kx]! * x[(c * H + iy) * W + ix]!;
                }
              }
            }
            expect(got[(o * OH + oy) * OW + ox]).toBeCloseTo(acc, 12);
          }
        }
      }
    }
  });

  it('bad models: NaN weight, unknown input, shape mismatch, unsupported groups', () => {
    const nan = fm([1, 3, 3], [{ ...conv, weight: [1, NaN, 0, 0] } as FloatLayer]);
    expect(() => floatShapes(nan)).toThrow(/^layers\[0\] \(c\)\.weight\[1\]: is NaN/);
    expect(() => floatShapes(fm([1, 3, 3], [{ op: 'relu', name: 'r', input: 'x' }]))).toThrow(/layers\[0\] \(r\): unknown input tensor 'x'/);
    expect(() => floatShapes(fm([2, 3, 3], [conv]))).toThrow(/inChannels 1 but the input has 2 channels/);
    expect(() => floatShapes(fm([1, 3, 3], [{ op: 'add', name: 'a', inputs: ['input', 'c'] }]))).toThrow(/unknown input tensor 'c'/);
    expect(() => floatShapes(fm([4, 3, 3], [{ ...conv, inChannels: 4, outChannels: 4, groups: 2, weight: new Array(32).fill(0), bias: [0, 0, 0, 0] } as FloatLayer]))).toThrow(/groups 2 unsupported/);
    expect(() => runFloat(fm([1, 3, 3], [conv]), [1, 2])).toThrow(/input: has 2 values, the model expects 9/);
  });
});
