/** Pooling: MaxPool, AveragePool (floor mode; padded average only with count_include_pad = 1), GlobalAveragePool. */
import type { NodeCtx } from './ctx.js';
import { attrInt, attrInts } from './proto.js';

export function pool(n: NodeCtx): void {
  const max = n.op === 'MaxPool';
  const x = n.tensorIn(0, 'X');
  const k = attrInts(n.a, 'kernel_shape');
  if (!k || k.length !== 2) n.fail('kernel_shape must have 2 values');
  if (attrInt(n.a, 'ceil_mode', 0) !== 0) n.fail('ceil_mode = 1 is not supported');
  if (max && attrInt(n.a, 'storage_order', 0) !== 0) n.fail('storage_order = 1 is not supported');
  if (max && n.outs.length > 1 && n.outs[1]) n.fail('the Indices output is not supported');
  const win = n.window(x, [k[0]!, k[1]!]);
  if (!max && attrInt(n.a, 'count_include_pad', 0) === 0 && win.padding.some((p) => p > 0)) {
    n.fail('padded AveragePool needs count_include_pad = 1 (the divisor is always kh*kw)');
  }
  n.emit(
    { op: max ? 'maxpool' : 'avgpool', name: '', input: x.layer, kernel: [k[0]!, k[1]!], stride: win.stride, padding: win.padding },
    [x.shape[0]!, win.oh, win.ow],
  );
}

export function globalAvgPool(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  if (x.shape.length !== 3) n.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  n.emit({ op: 'globalavgpool', name: '', input: x.layer }, [x.shape[0]!, 1, 1]);
}
