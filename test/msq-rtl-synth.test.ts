/**
 * Synthesis split check (yosys synth_xilinx, xc7): the fixed core uses exactly Pf * N DSP48E1 (one per multiplier),
 * the SP2 core uses none (shift-add in LUTs). Resource counts only; no timing claims here.
 */
import { describe, expect, it } from 'vitest';
import { synthesize } from '../src/synth/index.js';
import { randomLayerModel } from '../src/msq/rtl/random-layer.js';
import { buildEngine } from '../src/msq/rtl/verify.js';
import { fixedCoreDsps } from '../src/msq/rtl/plan.js';

describe('msq engine synthesis split', () => {
  it('fixed core: Pf*N DSP48E1; SP2 core: 0 DSP48E1', async () => {
    const model = randomLayerModel(
      { op: 'conv2d', cin: 8, h: 4, w: 4, cout: 10, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.6,
        inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4 },
      3,
    );
    const shape = { N: 4, Pf: 3, Ps: 2 };
    const e = buildEngine(model, shape);
    const [fixed, sp2] = await Promise.all([
      synthesize({ files: e.rtl.files, top: e.rtl.fixedCore }),
      synthesize({ files: e.rtl.files, top: e.rtl.sp2Core }),
    ]);
    expect(fixed.resources.dsp48e1).toBe(shape.Pf * shape.N);
    expect(sp2.resources.dsp48e1).toBe(0);
    expect(sp2.resources.lut.total).toBeGreaterThan(0);
  });

  it('--dsp-pack 2: the fixed core uses ceil(Pf/2)*N DSP48E1 (two 4-bit products per DSP)', async () => {
    const model = randomLayerModel(
      { op: 'conv2d', cin: 8, h: 4, w: 4, cout: 10, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.4,
        inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4 },
      3,
    );
    const shape = { N: 4, Pf: 4, Ps: 2, dspPack: 2 as const };
    const e = buildEngine(model, shape);
    const fixed = await synthesize({ files: e.rtl.files, top: e.rtl.fixedCore });
    expect(fixed.resources.dsp48e1).toBe(fixedCoreDsps(shape));
    expect(fixedCoreDsps(shape)).toBe(8);
  });
});
