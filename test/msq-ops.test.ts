import { describe, expect, it } from 'vitest';
import { runGolden } from '../src/msq/golden.js';
import { hostSoftmax } from '../src/msq/golden-ops.js';
import { runFloat } from '../src/msq/float.js';
import { buildLut, lutWords } from '../src/msq/lut.js';
import { parseQuantModel, poolOut, type FloatModel, type QuantLayer, type QuantModel } from '../src/msq/model.js';
import { quantizeFloatModel, rangesFromSamples } from '../src/msq/ptq.js';
import { mulberry32 as rng } from '../src/util/random.js';

const model = (input: QuantModel['input'], layers: QuantLayer[], output?: string): QuantModel =>
  parseQuantModel({ format: 'accelforge-msq', version: 1, input, layers, ...(output ? { output } : {}) });
const run = (m: QuantModel, x: number[]): number[] => Array.from(runGolden(m, Int32Array.from(x)).output.data);
const u8 = (shape: number[]): QuantModel['input'] => ({ name: 'input', shape, bits: 8, signed: false, scale: 1 });
const X33 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const out8 = { bits: 8, signed: false, scale: 1 };

describe('pooling with ceil_mode and both count_include_pad conventions (hand-computed)', () => {
  it('maxpool 3x3 stride 2 on 4x4: ceil_mode keeps the partial windows', () => {
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    const mp = (ceil: boolean): QuantLayer => ({ name: 'p', op: 'maxpool', input: 'input', kernel: [3, 3], stride: [2, 2], padding: [0, 0, 0, 0], ceil });
    expect(run(model(u8([1, 4, 4]), [mp(false)]), x)).toEqual([11]);
    expect(run(model(u8([1, 4, 4]), [mp(true)]), x)).toEqual([11, 12, 15, 16]);
    // a last window that would start past the input is dropped: 5 wide, k 2, s 2 -> ceil(3/2)+1 = 3 (starts 0, 2, 4)
    expect(poolOut(5, 2, 2, 0, 0, true)).toBe(3);
    expect(poolOut(4, 2, 2, 0, 1, true)).toBe(2); // the window at 4 would lie in the end pad only
  });

  it('avgpool ceil_mode: windows clipped at the input end average fewer positions (Mdiv)', () => {
    // 2x2 stride 2 on 3x3: sums 12 (4 positions) 9 (2) 15 (2) 9 (1); Mdiv = round(16/d), S 4
    const ap: QuantLayer = {
      name: 'a', op: 'avgpool', input: 'input', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], ceil: true,
      M: 4, S: 4, Mdiv: [16, 8, 5, 4], out: out8,
    };
    expect(run(model(u8([1, 3, 3]), [ap]), X33)).toEqual([3, 5, 8, 9]);
    const { Mdiv: _drop, ...noDiv } = ap as Extract<QuantLayer, { op: 'avgpool' }>;
    expect(() => model(u8([1, 3, 3]), [noDiv])).toThrow(/Mdiv/);
  });

  it('avgpool 3x3 stride 2 pad 1: count_include_pad 1 divides by 9, 0 by the 4 real positions', () => {
    // sums of the valid positions: 12 16 24 28
    const base = { name: 'a', op: 'avgpool' as const, input: 'input', kernel: [3, 3] as [number, number], stride: [2, 2] as [number, number], padding: [1, 1, 1, 1] as [number, number, number, number], out: out8 };
    const inc: QuantLayer = { ...base, M: 7282, S: 16 }; // 2^16 / 9
    expect(run(model(u8([1, 3, 3]), [inc]), X33)).toEqual([1, 2, 3, 3]);
    const Mdiv = Array.from({ length: 9 }, (_, d) => Math.round(2 ** 16 / (d + 1)));
    const exc: QuantLayer = { ...base, countIncludePad: false, M: Mdiv[8]!, S: 16, Mdiv };
    expect(run(model(u8([1, 3, 3]), [exc]), X33)).toEqual([3, 4, 6, 7]);
  });
});

describe('channel ops (hand-computed)', () => {
  const X = [1, 2, 3, 4, 5, 6, 7, 8]; // [2, 2, 2]: channel 0 = 1..4, channel 1 = 5..8
  it('slice + concat swaps channels; shuffle permutes; resize repeats pixels', () => {
    const layers: QuantLayer[] = [
      { name: 's0', op: 'slice', input: 'input', c0: 0, cCount: 1 },
      { name: 's1', op: 'slice', input: 'input', c0: 1, cCount: 1 },
      { name: 'cat', op: 'concat', inputs: ['s1', 's0', 's1'] },
    ];
    expect(run(model(u8([2, 2, 2]), layers), X)).toEqual([5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    // 4 channels, 2 groups: output channel k <- input (k % 2) * 2 + floor(k / 2) = 0, 2, 1, 3
    const sh = model(u8([4, 1, 1]), [{ name: 'sh', op: 'shuffle', input: 'input', groups: 2 }]);
    expect(run(sh, [10, 11, 12, 13])).toEqual([10, 12, 11, 13]);
    const rs = model(u8([1, 1, 2]), [{ name: 'up', op: 'resize', input: 'input', scale: [2, 2] }]);
    expect(run(rs, [3, 4])).toEqual([3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('concat refuses inputs of different scales', () => {
    const layers: QuantLayer[] = [
      { name: 'g', op: 'avgpool', input: 'input', kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], M: 1, S: 1, out: { bits: 8, signed: false, scale: 2 } },
      { name: 'cat', op: 'concat', inputs: ['input', 'g'] },
    ];
    expect(() => model(u8([2, 2, 2]), layers)).toThrow(/layers\[1\]\.inputs\[1\]: concat inputs need one scale/);
  });

  it('lut maps the offset-binary index; mulchannel requantizes x * s[c]', () => {
    const in3 = { name: 'input', shape: [1, 1, 4], bits: 3, signed: true, scale: 1 };
    const table = [7, 6, 5, 4, 3, 2, 1, 0]; // index y + 4
    expect(run(model(in3, [{ name: 't', op: 'lut', input: 'input', fn: 'sigmoid', table, out: { bits: 3, signed: false, scale: 1 } }]), [-4, -1, 0, 3])).toEqual([7, 4, 3, 0]);
    expect(() => model(in3, [{ name: 't', op: 'lut', input: 'input', fn: 'sigmoid', table: [1, 2], out: out8 }])).toThrow(/table.*8/);
    // s = globalavgpool(x): channel sums 10, 26 -> (s+1)>>1 = 5, 13;  y = (x*s*3 + 2) >> 2
    const layers: QuantLayer[] = [
      { name: 's', op: 'globalavgpool', input: 'input', M: 1, S: 1, out: out8 },
      { name: 'y', op: 'mulchannel', inputs: ['input', 's'], M: 3, S: 2, out: { bits: 6, signed: false, scale: 1 } },
    ];
    expect(run(model(u8([2, 2, 2]), layers), X)).toEqual([4, 8, 11, 15, 49, 59, 63, 63]);
  });

  it('buildLut: hardsigmoid / hardswish entries and the 256-word core table', () => {
    // 4-bit unsigned input at scale 0.5 (0..7.5), hardsigmoid(x) = clamp(x/6 + 1/2) at output scale 1/15
    const t = buildLut('hardsigmoid', { alpha: 1 / 6, beta: 0.5 }, { bits: 4, signed: false, scale: 0.5 }, { bits: 4, signed: false, scale: 1 / 15 });
    expect(t.length).toBe(16);
    expect(t[0]).toBe(8); // 0.5 * 15 = 7.5 rounds half up
    expect(t[6]).toBe(15); // x = 3: 1.0
    expect(t[2]).toBe(10); // x = 1: 2/3 * 15 = 10
    const hs = buildLut('hardswish', {}, { bits: 4, signed: true, scale: 0.5 }, { bits: 8, signed: true, scale: 1 / 32 });
    expect(hs[0]).toBe(Math.floor(((-4 * Math.max(0, -4 / 6 + 0.5)) * 32) + 0.5)); // x = -4 -> 0
    expect(hs[8 + 2]).toBe(Math.floor(1 * (1 / 6 + 0.5) * 32 + 0.5)); // x = 1 -> 2/3 -> 21
    expect(lutWords(t)).toHaveLength(256);
    const p = hostSoftmax([0, 2], 0.5);
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 12);
  });
});

describe('float model vs quantized golden model on the new ops', () => {
  it('conv -> [resize | act | slice/concat | shuffle | SE mul] quantized at 8 bits follows the float model', () => {
    const r = rng(12);
    const conv = (name: string, input: string, cin: number, cout: number) => ({
      op: 'conv2d' as const, name, input, inChannels: cin, outChannels: cout, kernel: [1, 1] as [number, number], stride: [1, 1] as [number, number],
      padding: [0, 0, 0, 0] as [number, number, number, number], groups: 1,
      weight: Float64Array.from({ length: cin * cout }, () => r() - 0.5), bias: Float64Array.from({ length: cout }, () => (r() - 0.5) * 0.2),
    });
    const fm: FloatModel = {
      input: { shape: [3, 4, 4] },
      layers: [
        conv('c1', 'input', 3, 4),
        { op: 'act', name: 'hs', input: 'c1', fn: 'hardswish', params: {} },
        { op: 'maxpool', name: 'p', input: 'hs', kernel: [3, 3], stride: [2, 2], padding: [0, 0, 0, 0], ceil: true },
        { op: 'resize', name: 'up', input: 'p', scale: [2, 2] },
        conv('c2', 'input', 3, 4),
        { op: 'relu', name: 'r2', input: 'c2' },
        { op: 'slice', name: 'half', input: 'r2', c0: 2, cCount: 2 },
        { op: 'concat', name: 'cat', inputs: ['up', 'half'] },
        { op: 'shuffle', name: 'sh', input: 'cat', groups: 2 },
        { op: 'globalavgpool', name: 'gap', input: 'sh' },
        conv('fc', 'gap', 6, 6),
        { op: 'act', name: 'sig', input: 'fc', fn: 'sigmoid', params: {} },
        { op: 'mulchannel', name: 'se', inputs: ['sh', 'sig'] },
        { op: 'avgpool', name: 'ap', input: 'se', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], countIncludePad: false, ceil: true },
      ],
    };
    const samples = Array.from({ length: 8 }, () => Float64Array.from({ length: 48 }, () => r()));
    const qm = quantizeFloatModel(fm, { actRanges: rangesFromSamples(fm, samples), rule: 'fixed', defaults: { weightBits: 8, actBits: 8 } });
    const cat = qm.layers.find((l) => l.op === 'concat')!;
    expect(cat.op === 'concat' && cat.inputs).toEqual(['up', 'half']);
    // hardswish is signed, the ReLU'd slice joins it as unsigned 7-bit at the same scale
    const spec = (n: string) => (qm.layers.find((l) => l.name === n) as { out: { bits: number; signed: boolean; scale: number } }).out;
    expect(spec('c2')).toEqual({ bits: 7, signed: false, scale: spec('hs').scale });
    let worst = 0;
    let peak = 0;
    for (const x of samples.slice(0, 3)) {
      const f = runFloat(fm, x).output;
      const g = runGolden(qm, Int32Array.from(x, (v) => Math.floor(v / qm.input.scale + 0.5)));
      for (let i = 0; i < f.length; i++) {
        worst = Math.max(worst, Math.abs(f[i]! - g.output.data[i]! * g.scale));
        peak = Math.max(peak, Math.abs(f[i]!));
      }
    }
    expect(peak).toBeGreaterThan(0.01);
    expect(worst / peak).toBeLessThan(0.08);
  });
});
