/**
 * MSQ streaming layer units (src/msq/rtl/units) against the golden model: random shapes, random and worst-case
 * inputs, several frames back to back, random valid/ready stalls, Verilator (Icarus on a subset), lint clean.
 */
import { describe, expect, it } from 'vitest';
import { emitVerilog, lintVerilog, type Module } from '../src/hdl/index.js';
import { runBoth, runStreams, type Beat, type SimDesign } from '../src/sim/index.js';
import { actRange, addRequantize, chooseMultiplier } from '../src/msq/conventions.js';
import { runGolden } from '../src/msq/golden.js';
import { MODEL_FORMAT, MODEL_VERSION, type QuantLayer, type QuantModel } from '../src/msq/model.js';
import { outputBeats, packActivations } from '../src/msq/rtl/index.js';
import { addUnit, globalAvgPoolUnit, poolUnit, poolOutShape, type PoolUnitSpec } from '../src/msq/rtl/units/index.js';
import { mulberry32 } from '../src/util/random.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';

function design(m: Module, ins: [string, number][], outW: number): SimDesign {
  return {
    top: m.name,
    files: emitVerilog(m),
    streams: [...ins.map(([name, w]) => ({ name, dir: 'in' as const, dataWidth: w })), { name: 'm_out', dir: 'out', dataWidth: outW, last: true }],
  };
}

/** Random frames plus the two worst cases (every value at the bottom / top of the range). */
function frames(n: number, lo: number, hi: number, seed: number, count: number): Int32Array[] {
  const r = mulberry32(seed);
  const out: Int32Array[] = [new Int32Array(n).fill(hi), new Int32Array(n).fill(lo)];
  for (let i = 0; i < count; i++) out.push(Int32Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1))));
  return out;
}

function oneLayer(C: number, H: number, W: number, bits: number, signed: boolean, layer: QuantLayer): QuantModel {
  return { format: MODEL_FORMAT, version: MODEL_VERSION, input: { name: 'input', shape: [C, H, W], bits, signed, scale: 1 }, layers: [layer] };
}

interface PoolCase {
  kind: 'max' | 'avg';
  C: number;
  N: number;
  H: number;
  W: number;
  k: [number, number];
  s: [number, number];
  pad: [number, number, number, number];
  bits: number;
  signed: boolean;
}

const poolCases: PoolCase[] = [
  { kind: 'max', C: 5, N: 4, H: 7, W: 6, k: [3, 3], s: [2, 2], pad: [1, 1, 1, 1], bits: 4, signed: true },
  { kind: 'max', C: 8, N: 8, H: 6, W: 6, k: [2, 2], s: [2, 2], pad: [0, 0, 0, 0], bits: 4, signed: false },
  { kind: 'max', C: 3, N: 2, H: 5, W: 7, k: [2, 3], s: [3, 1], pad: [1, 0, 0, 2], bits: 8, signed: true },
  { kind: 'avg', C: 6, N: 4, H: 6, W: 5, k: [3, 3], s: [1, 2], pad: [1, 1, 2, 0], bits: 4, signed: false },
  { kind: 'avg', C: 3, N: 4, H: 5, W: 5, k: [2, 2], s: [2, 2], pad: [0, 0, 1, 1], bits: 8, signed: true },
];

function poolLayer(c: PoolCase): { layer: QuantLayer; out: { bits: number; signed: boolean } } {
  if (c.kind === 'max') return { layer: { name: 'pool', op: 'maxpool', input: 'input', kernel: c.k, stride: c.s, padding: c.pad }, out: c };
  const out = { bits: c.signed ? 4 : 3, signed: c.signed };
  // scale chosen so the averages overflow the output range on the extremes (clamping is exercised)
  const { M, S } = chooseMultiplier(1.7 / (c.k[0] * c.k[1]) / 2 ** (c.bits - out.bits));
  return { layer: { name: 'pool', op: 'avgpool', input: 'input', kernel: c.k, stride: c.s, padding: c.pad, M, S, out: { ...out, scale: 1 } }, out };
}

describe('msq rtl units: pooling', () => {
  poolCases.forEach((c, i) => {
    it(`${c.kind}pool C${c.C} N${c.N} ${c.H}x${c.W} k${c.k.join('x')} s${c.s.join('x')} pad[${c.pad.join(',')}] ${c.bits}-bit ${c.signed ? 's' : 'u'}`, async () => {
      const { layer, out } = poolLayer(c);
      const spec: PoolUnitSpec = {
        name: `poolunit_${i}`,
        kind: c.kind,
        input: { C: c.C, N: c.N, bits: c.bits, signed: c.signed },
        H: c.H,
        W: c.W,
        kernel: c.k,
        stride: c.s,
        padding: c.pad,
        ...(layer.op === 'avgpool' ? { M: layer.M, S: layer.S, out } : {}),
      };
      const m = poolUnit(spec);
      const { OH, OW } = poolOutShape(spec);
      const model = oneLayer(c.C, c.H, c.W, c.bits, c.signed, layer);
      const [lo, hi] = actRange(c.bits, c.signed);
      const xs = frames(c.C * c.H * c.W, lo, hi, 100 + i, 2);
      const ins = xs.flatMap((x) => packActivations(x, c.C, c.H, c.W, c.N, c.bits));
      const exp = xs.flatMap((x) => outputBeats(runGolden(model, x).output.data, c.C, OH, OW, c.N, out.bits));
      const d = design(m, [['s_act', c.N * c.bits]], c.N * out.bits);
      await lintVerilog(d.files, d.top);
      const opts = { inputs: { s_act: ins }, expected: { m_out: exp }, seed: 7 + i, validProb: 0.6, readyProb: 0.5 };
      if (i === 0 || i === 3) await runBoth(d, opts);
      else await runStreams(d, opts);
      // full speed too (no stalls): the pipeline's own back-pressure paths are different
      await runStreams(d, { ...opts, validProb: 1, readyProb: 1 });
    }, 120_000);
  });

  it('global average pool, C 7 N 4 5x3 and C 4 N 4 2x2, random and worst case', async () => {
    for (const [C, N, H, W, bits, signed] of [[7, 4, 5, 3, 4, true], [4, 4, 2, 2, 8, false]] as const) {
      const out = { bits: 4, signed };
      const { M, S } = chooseMultiplier(1.3 / (H * W) / 2 ** (bits - 4));
      const layer: QuantLayer = { name: 'gap', op: 'globalavgpool', input: 'input', M, S, out: { ...out, scale: 1 } };
      const model = oneLayer(C, H, W, bits, signed, layer);
      const m = globalAvgPoolUnit({ name: `gap_c${C}`, input: { C, N, bits, signed }, H, W, M, S, out });
      const [lo, hi] = actRange(bits, signed);
      const xs = frames(C * H * W, lo, hi, C, 3);
      const ins = xs.flatMap((x) => packActivations(x, C, H, W, N, bits));
      const exp = xs.flatMap((x) => outputBeats(runGolden(model, x).output.data, C, 1, 1, N, out.bits));
      const d = design(m, [['s_act', N * bits]], N * out.bits);
      await lintVerilog(d.files, d.top);
      await runStreams(d, { inputs: { s_act: ins }, expected: { m_out: exp }, seed: 3, validProb: 0.7, readyProb: 0.4 });
    }
  }, 120_000);
});

describe('msq rtl units: residual add', () => {
  const cases = [
    { C: 16, N: 8, pixels: 9, a: { bits: 4, signed: false }, b: { bits: 4, signed: true }, out: { bits: 4, signed: false } },
    { C: 5, N: 4, pixels: 7, a: { bits: 8, signed: true }, b: { bits: 3, signed: false }, out: { bits: 6, signed: true } },
  ];
  cases.forEach((c, i) => {
    it(`add C${c.C} N${c.N} a ${c.a.bits}${c.a.signed ? 's' : 'u'} + b ${c.b.bits}${c.b.signed ? 's' : 'u'} -> ${c.out.bits}${c.out.signed ? 's' : 'u'}`, async () => {
      const r = mulberry32(40 + i);
      const { M: Ma, S } = chooseMultiplier(0.6 * 2 ** (c.out.bits - c.a.bits));
      const Mb = Math.floor(Ma * (0.3 + r() * 0.7));
      const m = addUnit({ name: `addunit_${i}`, ...c, Ma, Mb, S });
      const [alo, ahi] = actRange(c.a.bits, c.a.signed);
      const [blo, bhi] = actRange(c.b.bits, c.b.signed);
      const [lo, hi] = actRange(c.out.bits, c.out.signed);
      const n = c.C * c.pixels;
      const as = frames(n, alo, ahi, 50 + i, 2);
      const bs = frames(n, blo, bhi, 60 + i, 2);
      bs.push(bs.shift()!); // worst cases paired both ways (max with min, min with max, max with max...)
      const exp: Beat[] = [];
      as.forEach((a, f) => {
        const y = a.map((v, j) => addRequantize(v, Ma, bs[f]![j]!, Mb, S, lo, hi));
        exp.push(...outputBeats(y, c.C, 1, c.pixels, c.N, c.out.bits));
      });
      const pa = as.flatMap((x) => packActivations(x, c.C, 1, c.pixels, c.N, c.a.bits));
      const pb = bs.flatMap((x) => packActivations(x, c.C, 1, c.pixels, c.N, c.b.bits));
      const d = design(m, [['s_a', c.N * c.a.bits], ['s_b', c.N * c.b.bits]], c.N * c.out.bits);
      await lintVerilog(d.files, d.top);
      const opts = { inputs: { s_a: pa, s_b: pb }, expected: { m_out: exp }, seed: 11 + i, validProb: { s_a: 0.5, s_b: 0.8 }, readyProb: 0.5 };
      if (i === 0) await runBoth(d, opts);
      else await runStreams(d, opts);
      await runStreams(d, { ...opts, validProb: 1, readyProb: 1 });
      expect(exp.length).toBe(as.length * c.pixels * Math.ceil(c.C / c.N));
    }, 120_000);
  });
});

describe('msq rtl units: depthwise conv2d', () => {
  const cases: RandomLayerSpec[] = [
    { op: 'conv2d', depthwise: true, cin: 5, h: 6, w: 7, cout: 5, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.4, inBits: 4, inSigned: false, outBits: 4, outSigned: true, fixedBits: 4, sp2Bits: 4 },
    { op: 'conv2d', depthwise: true, cin: 8, h: 7, w: 5, cout: 8, k: [3, 2], stride: [2, 1], pad: [1, 0, 0, 1], sp2Fraction: 0.5, inBits: 8, inSigned: true, outBits: 8, outSigned: false, fixedBits: 8, sp2Bits: 5, worstCase: true },
  ];
  cases.forEach((c, i) => {
    it(`depthwise C${c.cin} ${c.h}x${c.w} k${c.k.join('x')} s${c.stride.join('x')} ${c.worstCase ? 'worst-case weights' : 'random weights'}`, async () => {
      const model = randomLayerModel(c, 70 + i);
      const l = model.layers[0]!;
      if (l.op !== 'conv2d') throw new Error('conv2d expected');
      const N = 4;
      const spec: PoolUnitSpec = {
        name: `dwunit_${i}`,
        kind: 'dw',
        input: { C: c.cin, N, bits: c.inBits, signed: c.inSigned },
        H: c.h,
        W: c.w,
        kernel: c.k,
        stride: c.stride,
        padding: c.pad,
        out: { bits: c.outBits, signed: c.outSigned },
        filters: l.filters,
      };
      const m = poolUnit(spec);
      const { OH, OW } = poolOutShape(spec);
      const xs = [randomInput(model, 1, true), randomInput(model, 2), randomInput(model, 3)];
      const [lo, hi] = actRange(c.inBits, c.inSigned);
      xs.push(new Int32Array(c.cin * c.h * c.w).fill(hi), new Int32Array(c.cin * c.h * c.w).fill(lo));
      const ins = xs.flatMap((x) => packActivations(x, c.cin, c.h, c.w, N, c.inBits));
      const exp = xs.flatMap((x) => outputBeats(runGolden(model, x).output.data, c.cin, OH, OW, N, c.outBits));
      const d = design(m, [['s_act', N * c.inBits]], N * c.outBits);
      await lintVerilog(d.files, d.top);
      const opts = { inputs: { s_act: ins }, expected: { m_out: exp }, seed: 5 + i, validProb: 0.6, readyProb: 0.5 };
      if (i === 0) await runBoth(d, opts);
      else await runStreams(d, opts);
      await runStreams(d, { ...opts, validProb: 1, readyProb: 1 });
    }, 120_000);
  });
});
