/**
 * Pooling: MaxPool, AveragePool (ceil_mode 0/1; count_include_pad 0/1: the divisor per window, model.ts poolCount),
 * GlobalAveragePool.
 */
import type { NodeCtx } from './ctx.js';
import { poolOut } from '../model.js';
import { attrInt, attrInts } from './proto.js';

export function pool(n: NodeCtx): void {
  const max = n.op === 'MaxPool';
  const x = n.tensorIn(0, 'X');
  const k = attrInts(n.a, 'kernel_shape');
  if (!k || k.length !== 2) n.fail('kernel_shape must have 2 values');
  const ceil = attrInt(n.a, 'ceil_mode', 0) !== 0;
  if (max && attrInt(n.a, 'storage_order', 0) !== 0) n.fail('storage_order = 1 is not supported');
  if (max && n.outs.length > 1 && n.outs[1]) n.fail('the Indices output is not supported');
  const win = n.window(x, [k[0]!, k[1]!]);
  const p = win.padding;
  const oh = poolOut(x.shape[1]!, k[0]!, win.stride[0], p[0], p[2], ceil);
  const ow = poolOut(x.shape[2]!, k[1]!, win.stride[1], p[1], p[3], ceil);
  const extra = { ...(ceil ? { ceil: true } : {}), ...(max ? {} : { countIncludePad: attrInt(n.a, 'count_include_pad', 0) !== 0 }) };
  n.emit(
    { op: max ? 'maxpool' : 'avgpool', name: '', input: x.layer, kernel: [k[0]!, k[1]!], stride: win.stride, padding: p, ...extra },
    [x.shape[0]!, oh, ow],
  );
}

export function globalAvgPool(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  if (x.shape.length !== 3) n.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  n.emit({ op: 'globalavgpool', name: '', input: x.layer }, [x.shape[0]!, 1, 1]);
}
