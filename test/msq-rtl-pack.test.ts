/**
 * `--dsp-pack 2`: two fixed filters share each DSP48E1 (packed weight wa + wb * 2^K, exact split with the floor
 * correction). Bit-exact against the golden model on worst-case and random inputs with stalls, for 4-bit and 8-bit
 * signed activations and an odd Pf (one lane left unpacked).
 */
import { describe, expect, it } from 'vitest';
import { lintVerilog } from '../src/hdl/lint.js';
import { randomInput, randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';
import { buildEngine, verifyEngine } from '../src/msq/rtl/verify.js';
import { fixedCoreDsps } from '../src/msq/rtl/plan.js';

const spec: RandomLayerSpec = {
  op: 'conv2d', cin: 6, h: 5, w: 6, cout: 9, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.3,
  inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4,
};

describe('msq engine --dsp-pack 2', () => {
  it('packed fixed lanes equal the golden model (4-bit unsigned and 8-bit signed activations, odd Pf)', async () => {
    for (const [i, s] of [
      { ...spec },
      { ...spec, inBits: 8, inSigned: true, fixedBits: 8, outBits: 8, outSigned: true, worstCase: true },
    ].entries()) {
      const model = randomLayerModel(s, 30 + i);
      const e = buildEngine(model, { N: 4, Pf: 3, Ps: 2, dspPack: 2 });
      expect([...e.rtl.files.keys()]).toContain('msq_fixed_lane_pair.v');
      expect(fixedCoreDsps(e.plan.shape)).toBe(2 * 4);
      await lintVerilog(e.rtl.files, e.rtl.top);
      const r = await verifyEngine(e, randomInput(model, 31, true));
      expect(Math.abs(r.cycleCount - e.model_cycles.total) / r.cycleCount).toBeLessThanOrEqual(0.02);
      await verifyEngine(e, randomInput(model, 32), { seed: 5, validProb: 0.6, readyProb: 0.6 });
    }
  });
});
