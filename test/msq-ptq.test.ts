import { describe, expect, it } from 'vitest';
import { levels, weightDenominator, weightValue, type Scheme } from '../src/msq/conventions.js';
import { runFloat } from '../src/msq/float.js';
import { argmax, quantizeInput, runGolden, prepareModel } from '../src/msq/golden.js';
import { parseQuantModel, type FloatLayer, type FloatModel } from '../src/msq/model.js';
import { quantizeFloatModel, quantizeFloatModelWithReport, rangesFromSamples } from '../src/msq/ptq.js';
import { mulberry32 as rng } from '../src/util/random.js';

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** conv(1->c1) relu, conv(c1->c1) relu, add, maxpool, conv(c1->c2 stride 2) relu, gap, flatten, fc(->10). */
function smallCnn(seed: number, c1 = 8, c2 = 16): FloatModel {
  const r = rng(seed);
  const conv = (name: string, input: string, cin: number, cout: number, k: number, s: number, p: number): FloatLayer => {
    const fan = cin * k * k;
    const weight = new Float32Array(cout * fan);
    for (let o = 0; o < cout; o++) {
      const spread = (0.3 + 1.5 * r()) * Math.sqrt(2 / fan);
      for (let i = 0; i < fan; i++) weight[o * fan + i] = gauss(r) * spread;
    }
    const bias = Float32Array.from({ length: cout }, () => gauss(r) * 0.1);
    return { op: 'conv2d', name, input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [s, s], padding: [p, p, p, p], groups: 1, weight, bias };
  };
  const fcW = Float32Array.from({ length: 10 * c2 }, () => gauss(r) * Math.sqrt(1 / c2));
  return {
    input: { shape: [1, 12, 12] },
    layers: [
      conv('c1', 'input', 1, c1, 3, 1, 1),
      { op: 'relu', name: 'r1', input: 'c1' },
      conv('c2', 'r1', c1, c1, 3, 1, 1),
      { op: 'relu', name: 'r2', input: 'c2' },
      { op: 'add', name: 'res', inputs: ['r1', 'r2'] },
      { op: 'maxpool', name: 'mp', input: 'res', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      conv('c3', 'mp', c1, c2, 3, 2, 1),
      { op: 'relu', name: 'r3', input: 'c3' },
      { op: 'globalavgpool', name: 'gap', input: 'r3' },
      { op: 'flatten', name: 'flat', input: 'gap' },
      { op: 'linear', name: 'fc', input: 'flat', inFeatures: c2, outFeatures: 10, weight: fcW, bias: Float32Array.from({ length: 10 }, () => gauss(r) * 0.1) },
    ],
  };
}

function samples(seed: number, n: number, size = 144): Float64Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: size }, () => r()));
}

describe('quantizeFloatModel', () => {
  it('fuses ReLUs, keeps the graph, and produces a valid QuantModel', () => {
    const fm = smallCnn(1);
    const m = quantizeFloatModel(fm, { rule: 'variance', ratio: 1.5, actRanges: rangesFromSamples(fm, samples(2, 8)) });
    parseQuantModel(JSON.parse(JSON.stringify(m)));
    expect(m.layers.map((l) => `${l.op}:${l.name}`)).toEqual([
      'conv2d:c1', 'conv2d:c2', 'add:res', 'maxpool:mp', 'conv2d:c3', 'globalavgpool:gap', 'flatten:flat', 'linear:fc',
    ]);
    // c1's only consumer is r1 -> fused (r1 -> c1); r1 feeds c2 and the add, which now read c1
    const add = m.layers[2] as { inputs: string[] };
    expect(add.inputs).toEqual(['c1', 'c2']);
    const c1 = m.layers[0] as { out: { signed: boolean; bits: number }; filters: { scheme: Scheme; bits: number }[] };
    expect(c1.out.signed).toBe(false); // fused ReLU
    expect(c1.filters.every((f) => f.scheme === 'fixed' && f.bits === 8)).toBe(true); // first layer 8-bit fixed
    const fc = m.layers[7] as { out: { bits: number; signed: boolean }; filters: { scheme: Scheme; bits: number }[] };
    expect(fc.out).toMatchObject({ bits: 8, signed: true });
    expect(fc.filters.every((f) => f.scheme === 'fixed' && f.bits === 8)).toBe(true);
    const c2 = m.layers[1] as { out: { bits: number }; filters: { scheme: Scheme; bits: number }[] };
    expect(c2.out.bits).toBe(4);
    expect(c2.filters.filter((f) => f.scheme === 'fixed').length).toBe(3); // round(8 / 2.5)
    expect(c2.filters.every((f) => f.bits === 4)).toBe(true);
    expect(m.input).toMatchObject({ bits: 8, signed: false });
  });

  it('tracks the float model closely at 8 bits everywhere and reasonably at 4 bits', () => {
    const fm = smallCnn(3);
    const ranges = rangesFromSamples(fm, samples(4, 16));
    const eight = quantizeFloatModel(fm, { rule: 'fixed', actRanges: ranges, defaults: { weightBits: 8, actBits: 8 } });
    const four = quantizeFloatModel(fm, { rule: 'error', ratio: 2, actRanges: ranges });
    const test = samples(5, 40);
    const agree = { eight: 0, four: 0 };
    let relErr8 = 0;
    const p8 = prepareModel(eight);
    const p4 = prepareModel(four);
    for (const x of test) {
      const f = runFloat(fm, x).output;
      const q8 = runGolden(p8, quantizeInput(eight, x));
      const q4 = runGolden(p4, quantizeInput(four, x));
      const d8 = Array.from(q8.output.data, (v) => v * q8.scale);
      let num = 0;
      let den = 0;
      f.forEach((v, i) => {
        num += (v - d8[i]!) ** 2;
        den += v * v;
      });
      relErr8 += Math.sqrt(num / den) / test.length;
      if (argmax(d8) === argmax(f)) agree.eight++;
      if (argmax(q4.output.data) === argmax(f)) agree.four++;
    }
    expect(relErr8).toBeLessThan(0.1);
    expect(agree.eight).toBeGreaterThanOrEqual(34);
    expect(agree.four).toBeGreaterThanOrEqual(16);
  });

  it('reports the per-layer split for both boards', () => {
    const fm = smallCnn(6, 10, 20);
    const ranges = rangesFromSamples(fm, samples(7, 4));
    for (const [board, c2Fixed, c3Fixed] of [['xc7z020', 3, 6], ['xc7z045', 4, 8]] as const) {
      // SP2:fixed 2.2 (xc7z020) and 40:24 (xc7z045), the preset cores' lanes:
      // 10 filters: round(10/3.2) = 3, round(3.75) = 4; 20 filters: round(6.25) = 6, round(7.5) = 8 (halves up)
      for (const rule of ['variance', 'error'] as const) {
        const { model, report } = quantizeFloatModelWithReport(fm, { rule, board, actRanges: ranges });
        const byName = new Map(report.layers.map((l) => [l.name, l]));
        expect(byName.get('c1')).toMatchObject({ fixed: 10, sp2: 0, weightBits: 8 });
        expect(byName.get('c2')).toMatchObject({ fixed: c2Fixed, sp2: 10 - c2Fixed, weightBits: 4 });
        expect(byName.get('c3')).toMatchObject({ fixed: c3Fixed, sp2: 20 - c3Fixed, weightBits: 4 });
        expect(byName.get('fc')).toMatchObject({ fixed: 10, sp2: 0, weightBits: 8 });
        const c3 = model.layers.find((l) => l.name === 'c3') as { filters: { scheme: string }[] };
        expect(c3.filters.filter((f) => f.scheme === 'fixed').length).toBe(c3Fixed);
      }
    }
  });

  it('config cascade: defaults -> byOp -> byName', () => {
    const fm = smallCnn(8);
    const ranges = rangesFromSamples(fm, samples(9, 4));
    const m = quantizeFloatModel(fm, {
      rule: 'sp2', actRanges: ranges, inputBits: 6,
      byOp: { conv2d: { weightBits: 5, actBits: 6 } },
      byName: { c3: { weightBits: 6, rule: 'fixed' }, r2: { actBits: 3 } },
    });
    const get = (n: string) => m.layers.find((l) => l.name === n) as { out: { bits: number }; filters: { scheme: string; bits: number }[] };
    expect(m.input.bits).toBe(6);
    expect(get('c1').filters[0]).toMatchObject({ bits: 5, scheme: 'fixed' }); // byOp bits; first layer rule stays fixed
    expect(get('c2').filters.every((f) => f.scheme === 'sp2' && f.bits === 5)).toBe(true);
    expect(get('c2').out.bits).toBe(3); // byName on the fused ReLU's name
    expect(get('c3').filters.every((f) => f.scheme === 'fixed' && f.bits === 6)).toBe(true);
    expect(get('c3').out.bits).toBe(6);
    expect(get('fc').filters[0]!.bits).toBe(8); // linear not affected by byOp.conv2d
  });

  it('keeps weights that already lie on scheme levels with exactly those codes and schemes (detectLevels)', () => {
    const fm = smallCnn(10);
    const r = rng(11);
    const want = new Map<string, { scheme: Scheme; codes: number[] }[]>();
    for (const l of fm.layers) {
      if (l.op !== 'conv2d' && l.op !== 'linear') continue;
      const n = l.op === 'conv2d' ? l.outChannels : l.outFeatures;
      const K = l.weight.length / n;
      const bits = l.name === 'c1' || l.name === 'fc' ? 8 : 4;
      const w = new Float32Array(l.weight.length);
      const list: { scheme: Scheme; codes: number[] }[] = [];
      for (let o = 0; o < n; o++) {
        const scheme: Scheme = bits === 8 ? 'fixed' : r() < 0.4 ? 'fixed' : 'sp2';
        const lv = levels(scheme, bits);
        const alpha = 0.1 + r();
        const idx = Array.from({ length: K }, () => Math.floor(r() * lv.length));
        // the top level (QAT clips at alpha) plus a level only this scheme has: fixed 3/7, SP2 5/8
        const only = scheme === 'fixed' ? 2 ** (bits - 1) - 1 - 4 : 5;
        idx[0] = lv.length - 1;
        idx[1] = lv.findIndex((x) => x.value === only);
        idx.forEach((i, k) => (w[o * K + k] = (lv[i]!.value * alpha) / weightDenominator(scheme, bits)));
        list.push({ scheme, codes: idx.map((i) => lv[i]!.code) });
      }
      (l as { weight: ArrayLike<number> }).weight = w;
      want.set(l.name, list);
    }
    const { model, report } = quantizeFloatModelWithReport(fm, { rule: 'variance', ratio: 1.5, detectLevels: true, actRanges: rangesFromSamples(fm, samples(12, 4)) });
    let checked = 0;
    for (const l of model.layers) {
      if (l.op !== 'conv2d' && l.op !== 'linear') continue;
      const exp = want.get(l.name)!;
      l.filters.forEach((f, o) => {
        expect(f.scheme).toBe(exp[o]!.scheme);
        expect(f.weights).toEqual(exp[o]!.codes);
        checked++;
      });
      expect(report.layers.find((x) => x.name === l.name)!.onLevels).toBe(l.filters.length);
    }
    expect(checked).toBe(8 + 8 + 16 + 10);
    // without detection the same weights are re-quantized by the MSE search (codes may differ)
    const plain = quantizeFloatModelWithReport(fm, { rule: 'variance', ratio: 1.5, actRanges: rangesFromSamples(fm, samples(12, 4)) });
    expect(plain.report.layers.every((x) => x.onLevels === 0)).toBe(true);
    // an explicit all-fixed / all-SP2 choice is honoured: filters on the other scheme's levels are re-quantized
    for (const rule of ['fixed', 'sp2'] as const) {
      const forced = quantizeFloatModelWithReport(fm, { rule, detectLevels: true, actRanges: rangesFromSamples(fm, samples(12, 4)) });
      const c2f = forced.model.layers.find((l) => l.name === 'c2') as { filters: { scheme: Scheme }[] };
      expect(c2f.filters.every((f) => f.scheme === rule)).toBe(true);
      const onRule = want.get('c2')!.filter((f) => f.scheme === rule).length;
      expect(forced.report.layers.find((x) => x.name === 'c2')!.onLevels).toBe(onRule);
    }
  });

  it('bad input: NaN weight, missing range, impossible ratio, missing ratio', () => {
    const fm = smallCnn(13);
    const ranges = rangesFromSamples(fm, samples(14, 2));
    const bad = smallCnn(13);
    ((bad.layers[2] as { weight: ArrayLike<number> }).weight as Float32Array)[5] = NaN;
    expect(() => quantizeFloatModel(bad, { rule: 'variance', ratio: 1.5, actRanges: ranges })).toThrow(/^layers\[2\] \(c2\)\.weight\[5\]: is NaN/);
    const partial = new Map(ranges);
    partial.delete('r3');
    expect(() => quantizeFloatModel(fm, { rule: 'variance', ratio: 1.5, actRanges: partial })).toThrow(/layers\[6\] \(c3\): no activation range for tensor 'r3'/);
    expect(() => quantizeFloatModel(fm, { rule: 'variance', ratio: 20, actRanges: ranges })).toThrow(/layers\[2\] \(c2\): ratio 1:20 cannot be met with 8 filters/);
    expect(() => quantizeFloatModel(fm, { rule: 'error', actRanges: ranges })).toThrow(/give a board or a ratio/);
  });
});
