/**
 * kx-unrolling (first-layer rewrite): the golden model gives identical outputs on the original layer and on the
 * unrolled layer with the packed input, and the engine running the unrolled layer equals the original layer's
 * golden output (random stalls), while needing fewer cycles.
 */
import { describe, expect, it } from 'vitest';
import { checkModel, type Conv2dLayer, type QuantModel } from '../src/msq/model.js';
import { runGolden } from '../src/msq/golden.js';
import { randomInput, randomLayerModel } from '../src/msq/rtl/random-layer.js';
import { unrollKx } from '../src/msq/rtl/unroll.js';
import { buildEngine, verifyEngine } from '../src/msq/rtl/verify.js';

describe('kx-unrolled first layer', () => {
  it('is bit-identical to the original conv and runs faster on the engine', async () => {
    const model = randomLayerModel(
      { op: 'conv2d', cin: 3, h: 13, w: 12, cout: 8, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 2], sp2Fraction: 0,
        inBits: 8, inSigned: true, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4 },
      21,
    );
    const layer = model.layers[0] as Conv2dLayer;
    const u = unrollKx(layer, checkModel(model).get('input')!);
    const unrolled: QuantModel = { ...model, input: { ...model.input, shape: u.inputShape }, layers: [u.layer] };
    checkModel(unrolled);
    for (let s = 0; s < 3; s++) {
      const x = randomInput(model, 40 + s, s === 0);
      const a = runGolden(model, x).output;
      const b = runGolden(unrolled, u.pack(x)).output;
      expect(b.shape).toEqual(a.shape);
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    }
    const shape = { N: 8, Pf: 4, Ps: 1 };
    const orig = buildEngine(model, shape);
    const e = buildEngine(unrolled, shape);
    expect(e.model_cycles.total).toBeLessThan(orig.model_cycles.total);
    const x = randomInput(model, 50);
    // verifyEngine compares with the golden model of the unrolled model, shown equal to the original's above
    const r = await verifyEngine(e, u.pack(x), { seed: 3, validProb: 0.7, readyProb: 0.6 });
    expect(r.outputs.m_out!.length).toBe(7 * 6); // 8 channels = one beat per output pixel, 7 x 6 pixels
  });
});
