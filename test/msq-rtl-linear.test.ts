/**
 * MSQ layer engine vs the golden model: linear layers, depthwise conv, a layer with every filter on one core, worst-case weights
 * and inputs (accumulator extremes, 8-bit SP2 with 15-bit shifts), random valid/ready stalls; cycle model.
 */
import { describe, expect, it } from 'vitest';
import { lintVerilog } from '../src/hdl/lint.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';
import { buildEngine, verifyEngine } from '../src/msq/rtl/verify.js';
import type { EngineShape } from '../src/msq/rtl/plan.js';

const lin: RandomLayerSpec = {
  op: 'linear', cin: 37, h: 1, w: 1, cout: 13, k: [1, 1], stride: [1, 1], pad: [0, 0, 0, 0], sp2Fraction: 0.6,
  inBits: 4, inSigned: false, outBits: 8, outSigned: true, fixedBits: 4, sp2Bits: 4,
};

const cases: Array<{ name: string; spec: RandomLayerSpec; shape: EngineShape; seed: number; icarus?: boolean }> = [
  { name: 'linear 37 -> 13 (signed 8-bit out) on N 8, Pf 2 + Ps 3', spec: lin, shape: { N: 8, Pf: 2, Ps: 3 }, seed: 5, icarus: true },
  {
    name: 'worst case (4 requantizer units): k3 conv, signed 8-bit in, 8-bit fixed + 8-bit SP2 at extreme levels, cin 8 = N',
    spec: { ...lin, op: 'conv2d', cin: 8, h: 5, w: 5, cout: 6, k: [3, 3], pad: [1, 1, 1, 1], inBits: 8, inSigned: true, fixedBits: 8, sp2Bits: 8, sp2Fraction: 0.5, worstCase: true },
    shape: { N: 8, Pf: 2, Ps: 2, Rq: 4 }, seed: 6,
  },
  {
    name: 'depthwise k3 s2 (dense conv with zero off-channel weights), 7 channels, asymmetric pad',
    spec: { ...lin, op: 'conv2d', depthwise: true, cin: 7, cout: 7, h: 7, w: 6, k: [3, 3], stride: [2, 2], pad: [1, 0, 1, 1], sp2Fraction: 0.5 },
    shape: { N: 4, Pf: 2, Ps: 2 }, seed: 8,
  },
  {
    name: 'all filters SP2 (fixed core idle), linear 20 -> 9, 3-bit SP2, 2-bit unsigned out',
    spec: { ...lin, cin: 20, cout: 9, sp2Fraction: 1, sp2Bits: 3, outBits: 2, outSigned: false },
    shape: { N: 4, Pf: 2, Ps: 2 }, seed: 7,
  },
];

describe('msq layer engine: linear and extremes vs golden model', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const model = randomLayerModel(c.spec, c.seed);
      const e = buildEngine(model, c.shape);
      await lintVerilog(e.rtl.files, e.rtl.top);
      const r0 = await verifyEngine(e, randomInput(model, c.seed, true));
      expect(Math.abs(r0.cycleCount - e.model_cycles.total) / r0.cycleCount).toBeLessThanOrEqual(0.02);
      for (let s = 0; s < 2; s++) {
        await verifyEngine(e, randomInput(model, 300 + s), { seed: 17 + s, validProb: 0.5, readyProb: 0.6 });
      }
      if (c.icarus) await verifyEngine(e, randomInput(model, 400), { sim: 'both', seed: 21, validProb: 0.7, readyProb: 0.7 });
    });
  }

  it('a mismatch is detected (the check can fail)', async () => {
    const model = randomLayerModel(lin, 5);
    const e = buildEngine(model, { N: 8, Pf: 2, Ps: 3 });
    // corrupt one requantization constant in the RTL only: the golden model must disagree
    const top = e.rtl.files.get('msq_engine.v')!;
    const broken = top.replace(/mul_rom_0\[0\] = 31'h([0-9a-f]+);/, (_m, h: string) => `mul_rom_0[0] = 31'h${(parseInt(h, 16) ^ 0x40000000).toString(16)};`);
    expect(broken).not.toBe(top);
    const files = new Map(e.rtl.files);
    files.set('msq_engine.v', broken);
    await expect(verifyEngine({ ...e, rtl: { ...e.rtl, files } }, randomInput(model, 9))).rejects.toThrow(/mismatch|differ|expected/i);
  });
});
