/** Checks shared by the QAT tests: every weight of a quantized QAT model decodes back to the ONNX's float weight. */
import { expect } from 'vitest';
import { weightDenominator, weightValue } from '../../src/msq/conventions.js';
import type { FloatModel, QuantModel } from '../../src/msq/model.js';

/** Every filter of `q` decodes (code · alpha / denominator) to `fm`'s weights; returns the filter and SP2 counts. */
export function expectCodesExact(fm: FloatModel, q: QuantModel): { filters: number; sp2: number } {
  const floatLayers = new Map(fm.layers.map((l) => [l.name, l]));
  let filters = 0;
  let sp2 = 0;
  for (const l of q.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const fl = floatLayers.get(l.name)!;
    if (fl.op !== 'conv2d' && fl.op !== 'linear') throw new Error('layer kind changed');
    const K = l.filters[0]!.weights.length;
    l.filters.forEach((f, o) => {
      filters++;
      if (f.scheme === 'sp2') sp2++;
      const d = weightDenominator(f.scheme, f.bits);
      for (let k = 0; k < K; k++) {
        const back = (weightValue(f.scheme, f.bits, f.weights[k]!) * f.alpha) / d;
        expect(Math.abs(back - fl.weight[o * K + k]!)).toBeLessThanOrEqual(1e-6 * f.alpha);
      }
    });
  }
  return { filters, sp2 };
}
