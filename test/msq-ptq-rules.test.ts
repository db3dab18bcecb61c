/**
 * The split rules with calibration data: 'error' ranks filters by their weight MSE, 'output' by their fitted output
 * error. Before the fix, 'error' with input statistics ranked by the output errors too and gave the output rule's
 * split; this test fails on that.
 */
import { describe, expect, it } from 'vitest';
import { floatShapes, runFloat } from '../src/msq/float.js';
import { InputStatsCollector } from '../src/msq/fit.js';
import type { FloatModel } from '../src/msq/model.js';
import { quantizeFloatModelWithReport, rangesFromSamples, type PtqOptions } from '../src/msq/ptq.js';
import { mulberry32 as rng } from '../src/util/random.js';

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** in(16) -> fc1(16->16) -> relu -> fc2(16->24) -> relu -> fc3(24->4); inputs with very unequal feature scales. */
function mlp(seed: number): { fm: FloatModel; xs: Float64Array[] } {
  const r = rng(seed);
  const lin = (name: string, input: string, nin: number, nout: number) => ({
    op: 'linear' as const, name, input, inFeatures: nin, outFeatures: nout,
    weight: Float32Array.from({ length: nin * nout }, () => gauss(r) * (0.2 + r())),
    bias: Float32Array.from({ length: nout }, () => gauss(r) * 0.1),
  });
  const fm: FloatModel = {
    input: { shape: [16] },
    layers: [
      lin('fc1', 'input', 16, 16), { op: 'relu', name: 'r1', input: 'fc1' },
      lin('fc2', 'r1', 16, 24), { op: 'relu', name: 'r2', input: 'fc2' },
      lin('fc3', 'r2', 24, 4),
    ],
  };
  // a few inputs dominate: a filter's weight MSE says little about its output error
  const xs = Array.from({ length: 200 }, () => Float64Array.from({ length: 16 }, (_, i) => r() * (i < 3 ? 1 : 0.05)));
  return { fm, xs };
}

describe('split rules with calibration data', () => {
  it("'error' ranks by weight MSE (same split as without data), 'output' by the output error (a different split)", () => {
    const { fm, xs } = mlp(5);
    const shapes = floatShapes(fm);
    const col = new InputStatsCollector(fm, shapes);
    for (const x of xs) col.add(runFloat(fm, x, { keepAll: true, shapes }).tensors!);
    const stats = col.result();
    const actRanges = rangesFromSamples(fm, xs);
    const base: PtqOptions = { actRanges, ratio: 1.5 };
    const split = (o: PtqOptions): string =>
      quantizeFloatModelWithReport(fm, o).model.layers.flatMap((l) => ('filters' in l ? l.filters.map((f) => f.scheme[0]) : [])).join('');
    const errNoData = split({ ...base, rule: 'error' });
    const errData = split({ ...base, rule: 'error', inputStats: stats });
    const outData = split({ ...base, rule: 'output', inputStats: stats });
    expect(errData).toBe(errNoData);
    expect(outData).not.toBe(errData);
    expect(errData).toContain('s');
  });
});
