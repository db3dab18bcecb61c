/**
 * `--calib none` (src/msq/datafree/ranges.ts): the range of a ReLU output is the Gaussian bound of its
 * pre-activation (not the far lower rectified mean + 3 rectified std), pools keep their input's bounds, and the
 * analytic layer input statistics (per-channel means, diagonal variances) feed ptq.ts's output-aware fit: the
 * output rule works with no data, and the biases absorb the expected output shift of the quantized weights.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelStats } from '../src/msq/onnx.js';
import { quantizeFloatModelWithReport } from '../src/msq/ptq.js';
import { calibrateDataFree, dataFreeCalibration, rectifiedGaussian } from '../src/msq/datafree/ranges.js';
import { tinyModel } from './support/plan-tiny.js';

describe('msq datafree: --calib none ranges and input statistics', () => {
  const m = tinyModel();
  const bn = new Map<string, ChannelStats>([
    ['c1', { mean: [0.2, -0.5, 1, 0, 0.3, -1, 0.1, 0.6], std: [1, 0.5, 2, 0.8, 1.2, 0.3, 0.7, 1.5] }],
    ['c3', { mean: Array.from({ length: 10 }, (_, c) => 0.1 * c - 0.4), std: Array.from({ length: 10 }, (_, c) => 0.5 + 0.1 * c) }],
  ]);

  it('a ReLU output reaches the top of its Gaussian pre-activation; pools keep their input bounds', () => {
    const r = calibrateDataFree(m, bn);
    const st = bn.get('c1')!;
    const top = Math.max(...st.mean.map((mu, c) => mu + 3 * st.std[c]!));
    expect(r.get('c1')!.max).toBeCloseTo(top, 12);
    expect(r.get('r1')).toEqual({ min: 0, max: r.get('c1')!.max });
    const rect = Math.max(...st.mean.map((mu, c) => { const g = rectifiedGaussian(mu, st.std[c]!); return g.mean + 3 * g.std; }));
    expect(r.get('r1')!.max).toBeGreaterThan(rect * 1.1);
    expect(r.get('mp')!.max).toBe(r.get('r2')!.max);
    expect(r.get('gap')!.max).toBe(r.get('ap')!.max);
    // the residual add spans at least each of its operands
    expect(r.get('sum')!.max).toBeGreaterThanOrEqual(Math.max(r.get('c2')!.max, r.get('r1')!.max));
  });

  it('input statistics: per-channel means and variances of the rectified BN Gaussian, diagonal covariance', () => {
    const { stats } = dataFreeCalibration(m, bn);
    const dw = stats.get('c2')!; // depthwise: one group per channel, K = 9
    expect(dw.mean.length).toBe(8);
    expect(dw.K).toBe(9);
    const st = bn.get('c1')!;
    for (let g = 0; g < 8; g++) {
      const rg = rectifiedGaussian(st.mean[g]!, st.std[g]!);
      for (let j = 0; j < 9; j++) {
        expect(dw.mean[g]![j]).toBeCloseTo(rg.mean, 12);
        for (let i = 0; i < 9; i++) expect(dw.cov[g]![j * 9 + i]).toBeCloseTo(i === j ? rg.std ** 2 : 0, 12);
      }
    }
    expect(stats.get('fc')!.K).toBe(10);
  });

  it('the output rule quantizes with no data, and the bias absorbs the expected output shift', () => {
    const { ranges, stats } = dataFreeCalibration(m, bn);
    const q = (biasCorrection: boolean) => quantizeFloatModelWithReport(m, { rule: 'output', ratio: 1, actRanges: ranges, inputStats: stats, biasCorrection }).model;
    const on = q(true);
    const off = q(false);
    let moved = 0;
    on.layers.forEach((l, i) => {
      if (!('filters' in l) || !l.filters) return;
      const o = off.layers[i] as typeof l;
      l.filters.forEach((f, k) => {
        expect(f.weights).toEqual(o.filters![k]!.weights); // same codes: only the bias differs
        if (f.bias !== o.filters![k]!.bias) moved++;
      });
    });
    expect(moved).toBeGreaterThan(5);
  });
});
