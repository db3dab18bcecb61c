import { describe, expect, it } from 'vitest';
import { actRange, levels, weightValue, type Scheme } from '../src/msq/conventions.js';
import { assertExactInDoubles, modelBounds } from '../src/msq/bounds.js';
import { prepareModel, runGolden } from '../src/msq/golden.js';
import { checkModel, parseQuantModel, type Filter, type QuantLayer, type QuantModel } from '../src/msq/model.js';
import { mulberry32 as rng } from '../src/util/random.js';

function model(input: QuantModel['input'], layers: QuantLayer[]): QuantModel {
  return parseQuantModel({ format: 'accelforge-msq', version: 1, input, layers });
}
const fx = (weights: number[], bias: number, M: number, S: number, bits = 4): Filter => ({ scheme: 'fixed', bits, alpha: 1, weights, bias, M, S });
const sp = (weights: number[], bias: number, M: number, S: number): Filter => ({ scheme: 'sp2', bits: 4, alpha: 1, weights, bias, M, S });
const run = (m: QuantModel, x: number[]): number[] => Array.from(runGolden(m, Int32Array.from(x)).output.data);
const X33 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const in33 = { name: 'input', shape: [1, 3, 3], bits: 4, signed: false, scale: 1 };

describe('golden model on hand-computed layers', () => {
  it('conv2d 2x2, a fixed and an SP2 filter, requant rounding and clamp', () => {
    // fixed [1,-2,3,0] + 5:  acc 14 16 20 22; *3/8 rounded half up: 5 6 8 8 -> clamp signed 4-bit: 5 6 7 7
    // sp2 codes [11,7,0,14] = [-8,5,0,-1] - 2: acc -5 -9 -17 -21; (acc+1)>>1: -2 -4 -8 -10 -> clamp: -2 -4 -8 -8
    const m = model(in33, [
      {
        name: 'c', op: 'conv2d', input: 'input', inChannels: 1, outChannels: 2, kernel: [2, 2], stride: [1, 1],
        padding: [0, 0, 0, 0], groups: 1, out: { bits: 4, signed: true, scale: 1 },
        filters: [fx([1, -2, 3, 0], 5, 3, 3), sp([11, 7, 0, 14], -2, 1, 1)],
      },
    ]);
    expect([11, 7, 0, 14].map((c) => weightValue('sp2', 4, c))).toEqual([-8, 5, 0, -1]);
    expect(run(m, X33)).toEqual([5, 6, 7, 7, -2, -4, -8, -8]);
  });

  it('conv2d 3x3 stride 2 padding 1, then avgpool and globalavgpool', () => {
    // all-ones 3x3 at the four corners: 12 16 24 28; (acc+2)>>2: 3 4 6 7; avg 2x2: (20+2)>>2 = 5
    const conv: QuantLayer = {
      name: 'c', op: 'conv2d', input: 'input', inChannels: 1, outChannels: 1, kernel: [3, 3], stride: [2, 2],
      padding: [1, 1, 1, 1], groups: 1, out: { bits: 8, signed: false, scale: 1 }, filters: [fx([1, 1, 1, 1, 1, 1, 1, 1, 1], 0, 1, 2)],
    };
    expect(run(model(in33, [conv]), X33)).toEqual([3, 4, 6, 7]);
    const avg: QuantLayer = { name: 'a', op: 'avgpool', input: 'c', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], M: 1, S: 2, out: { bits: 8, signed: false, scale: 1 } };
    expect(run(model(in33, [conv, avg]), X33)).toEqual([5]);
    const gap: QuantLayer = { name: 'g', op: 'globalavgpool', input: 'c', M: 1, S: 2, out: { bits: 8, signed: false, scale: 1 } };
    expect(run(model(in33, [conv, gap]), X33)).toEqual([5]);
  });

  it('avgpool with padding counts padded zeros (fixed divisor); maxpool ignores padding', () => {
    // windows of 2x2 stride 2 with top/left padding 1 over [[1,2,3],[4,5,6],[7,8,9]]: sums 1 5 11 28
    const avg: QuantLayer = { name: 'a', op: 'avgpool', input: 'input', kernel: [2, 2], stride: [2, 2], padding: [1, 1, 0, 0], M: 1, S: 2, out: { bits: 8, signed: false, scale: 1 } };
    expect(run(model(in33, [avg]), X33)).toEqual([0, 1, 3, 7]);
    const mp: QuantLayer = { name: 'p', op: 'maxpool', input: 'input', kernel: [2, 2], stride: [2, 2], padding: [1, 1, 0, 0] };
    const neg = { ...in33, bits: 8, signed: true };
    expect(run(model(neg, [mp]), [-1, -2, -3, -4, -5, -6, -7, -8, -9])).toEqual([-1, -2, -4, -5]);
    const mp2: QuantLayer = { name: 'p', op: 'maxpool', input: 'input', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0] };
    expect(run(model(in33, [mp2]), X33)).toEqual([5, 6, 8, 9]);
  });

  it('residual add, relu, flatten and linear', () => {
    const in22 = { name: 'input', shape: [1, 2, 2], bits: 8, signed: true, scale: 1 };
    // add(x, relu(x)), Ma 3, Mb 2, S 2:  (9+6+2)>>2 = 4, (-12+2)>>2 = -3, (18+12+2)>>2 = 8 -> 7, (-21+2)>>2 = -5
    const layers: QuantLayer[] = [
      { name: 'r', op: 'relu', input: 'input' },
      { name: 's', op: 'add', inputs: ['input', 'r'], Ma: 3, Mb: 2, S: 2, out: { bits: 4, signed: true, scale: 1 } },
    ];
    const x = [3, -4, 6, -7];
    expect(run(model(in22, layers), x)).toEqual([4, -3, 7, -5]);
    // linear: fixed 8-bit [1,2,3,4] + 10 = -5; sp2 [8,-1,5,0] = 58; (acc+1)>>1: -2, 29
    const lin: QuantLayer[] = [
      { name: 'f', op: 'flatten', input: 'input' },
      {
        name: 'fc', op: 'linear', input: 'f', inFeatures: 4, outFeatures: 2, out: { bits: 8, signed: true, scale: 1 },
        filters: [fx([1, 2, 3, 4], 10, 1, 1, 8), sp([3, 14, 7, 0], 0, 1, 1)],
      },
    ];
    expect(run(model(in22, lin), x)).toEqual([-2, 29]);
  });

  it('depthwise conv2d', () => {
    const in2 = { name: 'input', shape: [2, 2, 2], bits: 8, signed: false, scale: 1 };
    const dw: QuantLayer = {
      name: 'd', op: 'conv2d', input: 'input', inChannels: 2, outChannels: 2, kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0],
      groups: 2, out: { bits: 8, signed: true, scale: 1 }, filters: [fx([1, 1, 1, 1], 0, 2, 1), fx([1, 0, 0, -1], 0, 2, 1)],
    };
    expect(run(model(in2, [dw]), [1, 2, 3, 4, 5, 6, 7, 8])).toEqual([10, -3]);
  });

  it('dump keeps every intermediate tensor with its shape', () => {
    const in22 = { name: 'input', shape: [1, 2, 2], bits: 8, signed: true, scale: 1 };
    const m = model(in22, [
      { name: 'r', op: 'relu', input: 'input' },
      { name: 'f', op: 'flatten', input: 'r' },
    ]);
    const r = runGolden(m, Int32Array.from([3, -4, 6, -7]), { dump: true });
    expect([...r.tensors!.keys()]).toEqual(['input', 'r', 'f']);
    expect(Array.from(r.tensors!.get('r')!.data)).toEqual([3, 0, 6, 0]);
    expect(r.tensors!.get('r')!.shape).toEqual([1, 2, 2]);
    expect(r.tensors!.get('f')!.shape).toEqual([4]);
  });

  it('rejects inputs outside the input range or of the wrong size', () => {
    const m = model(in33, [{ name: 'r', op: 'relu', input: 'input' }]);
    expect(() => runGolden(m, Int32Array.from([16, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/input\[0\]: value 16 outside/);
    expect(() => runGolden(m, Int32Array.from([1, 2]))).toThrow(/input: has 2 values/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Differential test against an independent, naive reference (direct loops, BigInt requantization).

function naive(m: QuantModel, input: number[]): number[] {
  const infos = checkModel(m);
  const t = new Map<string, number[]>([[m.input.name, input]]);
  const rq = (acc: bigint, M: number, S: number, lo: number, hi: number): number => {
    const y = Number((acc * BigInt(M) + (1n << BigInt(S - 1))) >> BigInt(S));
    return Math.max(lo, Math.min(hi, y));
  };
  for (const l of m.layers) {
    const o = infos.get(l.name)!;
    if (l.op === 'add') {
      const a = t.get(l.inputs[0])!;
      const b = t.get(l.inputs[1])!;
      t.set(l.name, a.map((v, i) => rq(BigInt(v * l.Ma + b[i]! * l.Mb), 1, l.S, o.lo, o.hi)));
      continue;
    }
    if ('inputs' in l) throw new Error(`reference: ${l.op} not covered`);
    const x = t.get(l.input)!;
    const xs = infos.get(l.input)!.shape;
    const at = (c: number, y: number, xx: number): number | undefined =>
      y < 0 || y >= xs[1]! || xx < 0 || xx >= xs[2]! ? undefined : x[(c * xs[1]! + y) * xs[2]! + xx]!;
    const out: number[] = [];
    if (l.op === 'conv2d') {
      const cpg = l.inChannels / l.groups;
      for (let oc = 0; oc < l.outChannels; oc++) {
        const f = l.filters[oc]!;
        for (let oy = 0; oy < o.shape[1]!; oy++) {
          for (let ox = 0; ox < o.shape[2]!; ox++) {
            let acc = BigInt(f.bias);
            for (let ci = 0; ci < cpg; ci++) {
              const c = l.groups === 1 ? ci : oc;
              for (let ky = 0; ky < l.kernel[0]; ky++) {
                for (let kx = 0; kx < l.kernel[1]; kx++) {
                  const v = at(c, oy * l.stride[0] - l.padding[0] + ky, ox * l.stride[1] - l.padding[1] + kx) ?? 0;
                  acc += BigInt(v * weightValue(f.scheme, f.bits, f.weights[(ci * l.kernel[0] + ky) * l.kernel[1] + kx]!));
                }
              }
            }
            out.push(rq(acc, f.M, f.S, o.lo, o.hi));
          }
        }
      }
    } else if (l.op === 'linear') {
      for (const f of l.filters) {
        let acc = BigInt(f.bias);
        f.weights.forEach((c, k) => (acc += BigInt(x[k]! * weightValue(f.scheme, f.bits, c))));
        out.push(rq(acc, f.M, f.S, o.lo, o.hi));
      }
    } else if (l.op === 'maxpool' || l.op === 'avgpool') {
      for (let c = 0; c < xs[0]!; c++) {
        for (let oy = 0; oy < o.shape[1]!; oy++) {
          for (let ox = 0; ox < o.shape[2]!; ox++) {
            const win: number[] = [];
            for (let ky = 0; ky < l.kernel[0]; ky++) {
              for (let kx = 0; kx < l.kernel[1]; kx++) {
                const v = at(c, oy * l.stride[0] - l.padding[0] + ky, ox * l.stride[1] - l.padding[1] + kx);
                if (v !== undefined) win.push(v);
              }
            }
            out.push(l.op === 'maxpool' ? Math.max(...win) : rq(BigInt(win.reduce((a, b) => a + b, 0)), l.M, l.S, o.lo, o.hi));
          }
        }
      }
    } else if (l.op === 'globalavgpool') {
      const plane = xs[1]! * xs[2]!;
      for (let c = 0; c < xs[0]!; c++) out.push(rq(BigInt(x.slice(c * plane, (c + 1) * plane).reduce((a, b) => a + b, 0)), l.M, l.S, o.lo, o.hi));
    } else if (l.op === 'relu') out.push(...x.map((v) => Math.max(0, v)));
    else out.push(...x);
    t.set(l.name, out);
  }
  return t.get(m.layers[m.layers.length - 1]!.name)!;
}

function randomFilter(r: () => number, fanIn: number, inHi: number, outHi: number, wide: boolean): Filter {
  const scheme: Scheme = r() < 0.5 ? 'fixed' : 'sp2';
  const bits = wide ? 8 : scheme === 'fixed' ? 2 + Math.floor(r() * 7) : 3 + Math.floor(r() * 6);
  const lv = levels(scheme, bits);
  const weights = Array.from({ length: fanIn }, () => lv[Math.floor(r() * lv.length)]!.code);
  const maxW = Math.max(...lv.map((l) => l.value));
  const typical = Math.sqrt(fanIn) * inHi * maxW * 0.5 + 1;
  const factor = (outHi / typical) * (0.5 + r());
  const S = Math.min(62, 31 + Math.max(0, Math.ceil(-Math.log2(factor))));
  const M = Math.min(2 ** 31 - 1, Math.round(factor * 2 ** S));
  return { scheme, bits, alpha: 1, weights, bias: Math.round((r() - 0.5) * typical), M, S };
}

function randomModel(r: () => number): QuantModel {
  const C = 1 + Math.floor(r() * 3);
  const H = 4 + Math.floor(r() * 5);
  const W = 4 + Math.floor(r() * 5);
  const inBits = r() < 0.5 ? 8 : 4;
  const signedIn = r() < 0.5;
  const layers: QuantLayer[] = [];
  const act = (bits: number, signed: boolean) => ({ bits, signed, scale: 1 });
  const k = 1 + Math.floor(r() * 3);
  const s = 1 + Math.floor(r() * 2);
  const p = Math.floor(r() * k);
  const C1 = 2 + Math.floor(r() * 4);
  const inHi = 2 ** (inBits - (signedIn ? 1 : 0));
  layers.push({
    name: 'c1', op: 'conv2d', input: 'input', inChannels: C, outChannels: C1, kernel: [k, k], stride: [s, s], padding: [p, p, p, p],
    groups: 1, out: act(4, false), filters: Array.from({ length: C1 }, () => randomFilter(r, C * k * k, inHi, 15, r() < 0.2)),
  });
  layers.push({
    name: 'c2', op: 'conv2d', input: 'c1', inChannels: C1, outChannels: C1, kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1],
    groups: r() < 0.5 ? 1 : C1, out: act(4, true), filters: [],
  });
  const c2 = layers[1] as Extract<QuantLayer, { op: 'conv2d' }>;
  c2.filters = Array.from({ length: C1 }, () => randomFilter(r, (C1 / c2.groups) * 9, 15, 7, false));
  layers.push({ name: 'res', op: 'add', inputs: ['c1', 'c2'], Ma: 1 + Math.floor(r() * 2 ** 20), Mb: 1 + Math.floor(r() * 2 ** 20), S: 21, out: act(4, false) });
  layers.push(r() < 0.5
    ? { name: 'pool', op: 'maxpool', input: 'res', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 1, 1] }
    : { name: 'pool', op: 'avgpool', input: 'res', kernel: [2, 2], stride: [1, 1], padding: [1, 1, 0, 0], M: 3 << 28, S: 32, out: act(4, false) });
  layers.push({ name: 'relu', op: 'relu', input: 'pool' });
  const useGap = r() < 0.5;
  if (useGap) layers.push({ name: 'gap', op: 'globalavgpool', input: 'relu', M: 1 << 30, S: 34, out: act(8, false) });
  layers.push({ name: 'flat', op: 'flatten', input: useGap ? 'gap' : 'relu' });
  const mm: QuantModel = {
    format: 'accelforge-msq', version: 1,
    input: { name: 'input', shape: [C, H, W], bits: inBits, signed: signedIn, scale: 1 }, layers,
  };
  const n = checkModel(mm).get('flat')!.shape[0]!;
  layers.push({
    name: 'fc', op: 'linear', input: 'flat', inFeatures: n, outFeatures: 3, out: act(8, true),
    filters: Array.from({ length: 3 }, () => randomFilter(r, n, 15, 127, r() < 0.5)),
  });
  return parseQuantModel(mm);
}

describe('golden model vs a naive reference (random small networks, random and extreme inputs)', () => {
  it('agrees bit for bit on every tensor', () => {
    const r = rng(1234);
    let nonTrivial = 0;
    for (let t = 0; t < 40; t++) {
      const m = randomModel(r);
      const pm = prepareModel(m);
      const [lo, hi] = actRange(m.input.bits, m.input.signed);
      const n = m.input.shape.reduce((a, b) => a * b, 1);
      for (let v = 0; v < 4; v++) {
        const x = Array.from({ length: n }, () => (v === 0 ? hi : v === 1 ? lo : lo + Math.floor(r() * (hi - lo + 1))));
        const got = Array.from(runGolden(pm, Int32Array.from(x)).output.data);
        const want = naive(m, x);
        expect(got).toEqual(want);
        if (new Set(want).size > 1) nonTrivial++;
      }
    }
    expect(nonTrivial).toBeGreaterThan(40); // the comparison is not between constant outputs
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('accumulator bounds', () => {
  it('hold for random inputs and are attained exactly by worst-case inputs', () => {
    const r = rng(77);
    for (let t = 0; t < 30; t++) {
      const C = 1 + Math.floor(r() * 3);
      const k = 1 + Math.floor(r() * 3);
      const signed = r() < 0.5;
      const input = { name: 'input', shape: [C, k + 2, k + 2], bits: 6, signed, scale: 1 };
      const filters: Filter[] = Array.from({ length: 3 }, () => {
        const scheme: Scheme = r() < 0.5 ? 'fixed' : 'sp2';
        const lv = levels(scheme, 5);
        // M = 2, S = 1 makes y = acc exactly, and a 16-bit output holds it: the output shows the raw accumulator
        return { scheme, bits: 5, alpha: 1, weights: Array.from({ length: C * k * k }, () => lv[Math.floor(r() * lv.length)]!.code), bias: Math.floor((r() - 0.5) * 2000), M: 2, S: 1 };
      });
      const m = model(input, [{
        name: 'c', op: 'conv2d', input: 'input', inChannels: C, outChannels: 3, kernel: [k, k], stride: [1, 1], padding: [0, 0, 0, 0],
        groups: 1, out: { bits: 16, signed: true, scale: 1 }, filters,
      }]);
      const b = modelBounds(m)[0]!;
      const [lo, hi] = actRange(6, signed);
      expect([b.inLo, b.inHi]).toEqual([lo, hi]);
      const n = C * (k + 2) * (k + 2);
      for (let v = 0; v < 20; v++) {
        const y = runGolden(m, Int32Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)))).output.data;
        for (let f = 0; f < 3; f++) {
          for (let p = 0; p < 9; p++) {
            expect(y[f * 9 + p]).toBeGreaterThanOrEqual(b.filters![f]!.accMin);
            expect(y[f * 9 + p]).toBeLessThanOrEqual(b.filters![f]!.accMax);
          }
        }
      }
      // worst case for filter f at the centre output pixel (1,1): every input at the extreme the weight's sign wants
      for (let f = 0; f < 3; f++) {
        for (const want of ['max', 'min'] as const) {
          const x = new Int32Array(n);
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const w = weightValue(filters[f]!.scheme, 5, filters[f]!.weights[(c * k + ky) * k + kx]!);
                const up = want === 'max' ? w > 0 : w < 0;
                x[(c * (k + 2) + 1 + ky) * (k + 2) + 1 + kx] = up ? hi : lo;
              }
            }
          }
          const y = runGolden(m, x).output.data;
          expect(y[f * 9 + 4]).toBe(want === 'max' ? b.filters![f]!.accMax : b.filters![f]!.accMin);
        }
      }
      // the reported width holds the range and one bit less would not
      const w = b.accBits;
      expect(b.accMin).toBeGreaterThanOrEqual(-(2 ** (w - 1)));
      expect(b.accMax).toBeLessThanOrEqual(2 ** (w - 1) - 1);
      expect(b.accMin < -(2 ** (w - 2)) || b.accMax > 2 ** (w - 2) - 1).toBe(true);
    }
  });

  it('bounds avgpool, globalavgpool and add', () => {
    const in33s = { name: 'input', shape: [2, 3, 3], bits: 4, signed: true, scale: 1 };
    const m = model(in33s, [
      { name: 'a', op: 'avgpool', input: 'input', kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], M: 1, S: 2, out: { bits: 8, signed: true, scale: 1 } },
      { name: 'g', op: 'globalavgpool', input: 'input', M: 1, S: 2, out: { bits: 8, signed: true, scale: 1 } },
      { name: 's', op: 'add', inputs: ['input', 'input'], Ma: 5, Mb: 3, S: 2, out: { bits: 8, signed: true, scale: 1 } },
    ]);
    const [a, g, s] = modelBounds(m);
    expect([a!.accMin, a!.accMax]).toEqual([-32, 28]);
    expect([g!.accMin, g!.accMax]).toEqual([-72, 63]);
    expect([s!.accMin, s!.accMax]).toEqual([-8 * 8 + 2, 7 * 8 + 2]);
  });

  it('refuses a model whose accumulators would not be exact in doubles', () => {
    const m = model(in33, [{ name: 'r', op: 'relu', input: 'input' }]);
    expect(() => assertExactInDoubles([{ name: 'r', op: 'conv2d', inLo: 0, inHi: 1, accMin: 0, accMax: 2 ** 60, accBits: 62, productBits: 93 }], m)).toThrow(
      /layers\[0\]: accumulator needs 62 bits/,
    );
  });
});
