/** A tiny float CNN with every op the planner's gradient pass covers (test/msq-plan*.test.ts). */
import type { FloatModel } from '../../src/msq/model.js';
import { mulberry32 } from '../../src/util/random.js';

const rand = mulberry32(14);
export const randn = (n: number, s: number): Float64Array => Float64Array.from({ length: n }, () => (rand() * 2 - 1) * s);

/** conv → relu → depthwise conv → add → relu → maxpool → 1x1 conv → avgpool → gap → flatten → linear */
export function tinyModel(): FloatModel {
  const conv = (name: string, input: string, cin: number, cout: number, k: number, groups = 1) => ({
    op: 'conv2d' as const, name, input, inChannels: cin, outChannels: cout, kernel: [k, k] as [number, number], stride: [1, 1] as [number, number],
    padding: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2] as [number, number, number, number], groups,
    weight: randn((cout * cin * k * k) / groups, 0.6), bias: randn(cout, 0.1),
  });
  return {
    input: { shape: [2, 6, 6] },
    layers: [
      conv('c1', 'input', 2, 8, 3),
      { op: 'relu', name: 'r1', input: 'c1' },
      conv('c2', 'r1', 8, 8, 3, 8),
      { op: 'add', name: 'sum', inputs: ['c2', 'r1'] },
      { op: 'relu', name: 'r2', input: 'sum' },
      { op: 'maxpool', name: 'mp', input: 'r2', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      conv('c3', 'mp', 8, 10, 1),
      { op: 'avgpool', name: 'ap', input: 'c3', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0] },
      { op: 'globalavgpool', name: 'gap', input: 'ap' },
      { op: 'flatten', name: 'fl', input: 'gap' },
      { op: 'linear', name: 'fc', input: 'fl', inFeatures: 10, outFeatures: 5, weight: randn(50, 0.8), bias: randn(5, 0.1) },
    ],
  };
}

