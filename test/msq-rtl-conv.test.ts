/**
 * MSQ layer engine vs the golden model: conv2d shapes (kernel 1/3/5/7, stride 1/2, odd and asymmetric padding,
 * channel counts that are not multiples of N, Pf or Ps), random codes, random and worst-case inputs, random
 * valid/ready stalls; lint of every generated module; cycle model vs simulated cycles (no stalls).
 */
import { describe, expect, it } from 'vitest';
import { lintVerilog } from '../src/hdl/lint.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';
import { buildEngine, verifyEngine } from '../src/msq/rtl/verify.js';
import type { EngineShape } from '../src/msq/rtl/plan.js';

const base: RandomLayerSpec = {
  op: 'conv2d', cin: 5, h: 6, w: 7, cout: 7, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.6,
  inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4,
};

const cases: Array<{ name: string; spec: RandomLayerSpec; shape: EngineShape; seed: number; icarus?: boolean }> = [
  { name: 'k3 s1 pad1, cin 5 / N 4, cout 7 on Pf 2 + Ps 3', spec: base, shape: { N: 4, Pf: 2, Ps: 3 }, seed: 1, icarus: true },
  {
    name: 'k5 s2 asymmetric pad, cin 3 / N 2, cout 6 on Pf 2 + Ps 2',
    spec: { ...base, cin: 3, h: 9, w: 8, cout: 6, k: [5, 5], stride: [2, 2], pad: [2, 1, 2, 2], sp2Fraction: 0.5 },
    shape: { N: 2, Pf: 2, Ps: 2 }, seed: 2,
  },
  {
    name: 'k7 s2 pad3, 8-bit unsigned in, 8-bit fixed + 5-bit SP2, cout 5 on Pf 1 + Ps 2',
    spec: { ...base, cin: 3, h: 11, w: 10, cout: 5, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3], inBits: 8, fixedBits: 8, sp2Bits: 5, outBits: 8, outSigned: true },
    shape: { N: 4, Pf: 1, Ps: 2 }, seed: 3,
  },
  {
    name: 'k1x3 s2x1, signed 8-bit in, cin 9 / N 4, cout 11, 2 requantizer units',
    spec: { ...base, cin: 9, h: 7, w: 5, cout: 11, k: [1, 3], stride: [2, 1], pad: [0, 1, 0, 0], inBits: 8, inSigned: true, fixedBits: 8, sp2Bits: 6, outBits: 8, outSigned: true },
    shape: { N: 4, Pf: 3, Ps: 4, Rq: 2 }, seed: 4,
  },
];

describe('msq layer engine: conv2d vs golden model', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const model = randomLayerModel(c.spec, c.seed);
      const e = buildEngine(model, c.shape);
      await lintVerilog(e.rtl.files, e.rtl.top);
      // 1) worst-case input (range ends), no stalls: exact data and the cycle model
      const r0 = await verifyEngine(e, randomInput(model, c.seed, true));
      expect(Math.abs(r0.cycleCount - e.model_cycles.total) / r0.cycleCount).toBeLessThanOrEqual(0.02);
      // 2) random inputs with random valid/ready stalls; then three frames back to back (the engine re-arms)
      for (let s = 0; s < 2; s++) {
        await verifyEngine(e, randomInput(model, 100 + s), { seed: 7 + s, validProb: 0.6, readyProb: 0.5 });
      }
      await verifyEngine(e, [0, 1, 2].map((k) => randomInput(model, 150 + k)), { seed: 9, validProb: 0.8, readyProb: 0.7 });
      // 3) Icarus as second opinion on a subset (same stalls, identical beats and cycles)
      if (c.icarus) await verifyEngine(e, randomInput(model, 200), { sim: 'both', seed: 11, validProb: 0.7, readyProb: 0.6 });
    });
  }
});
