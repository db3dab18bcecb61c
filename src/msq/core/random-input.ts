/**
 * A seeded random model input in the range of the model's input spec: the input `msq build` compiles its test
 * program from (the job inputs are the golden model's tensors of this input), and the tests' random inputs.
 */
import { actRange } from '../conventions.js';
import type { QuantModel } from '../model.js';
import { mulberry32 } from '../../util/random.js';

/** A random input tensor in the input's range; `worstCase` alternates the range ends (lo, hi, hi, lo, ...). */
export function randomInput(model: QuantModel, seed: number, worstCase = false): Int32Array {
  const r = mulberry32(seed * 7919 + 13);
  const n = model.input.shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = actRange(model.input.bits, model.input.signed);
  const x = new Int32Array(n);
  for (let i = 0; i < n; i++) x[i] = worstCase ? (i % 3 === 0 ? lo : hi) : lo + Math.floor(r() * (hi - lo + 1));
  return x;
}
