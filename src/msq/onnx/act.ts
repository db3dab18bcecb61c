/** Pointwise activations: Relu; Clip (ReLU / identity plus a range hint for the quantizer). */
import type { NodeCtx } from './ctx.js';
import { attrFloat, type Tensor } from './proto.js';

export function relu(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  n.emit({ op: 'relu', name: '', input: x.layer }, [...x.shape]);
}

/** Clip(lo, hi): ReLU when lo = 0 (identity when lo < 0) plus the range hint [lo, hi] for the output tensor. */
export function clip(n: NodeCtx): void {
  const x = n.tensorIn(0, 'input');
  let lo: number;
  let hi: number;
  if (n.opset < 11 && (n.a.has('min') || n.a.has('max'))) {
    lo = attrFloat(n.a, 'min', -Infinity);
    hi = attrFloat(n.a, 'max', Infinity);
  } else {
    const cmin = n.optConst(1, 'min');
    const cmax = n.optConst(2, 'max');
    lo = cmin ? cmin.data[0]! : -Infinity;
    hi = cmax ? cmax.data[0]! : Infinity;
  }
  if (!(hi > 0) || lo > 0 || !(lo < hi)) n.fail(`Clip(${lo}, ${hi}) is not supported: need min <= 0 < max`);
  if (lo === 0) n.emit({ op: 'relu', name: '', input: x.layer }, [...x.shape]);
  else n.alias(x);
  const t = n.ctx.values.get(n.outs[0]!) as Tensor;
  if (Number.isFinite(hi)) n.ctx.rangeHints.set(t.layer, [lo === 0 ? 0 : Number.isFinite(lo) ? lo : -hi, hi]);
}
