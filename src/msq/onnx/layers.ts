/** ONNX ops that become FloatModel layers with weights: Conv, Gemm / MatMul (constant right operand). */
import { numel } from '../model.js';
import type { NodeCtx } from './ctx.js';
import { attrFloat, attrInt, attrInts } from './proto.js';

export function conv(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  const w = n.constIn(1, 'W');
  const b = n.optConst(2, 'B');
  if (w.dims.length !== 4) n.fail(`weight must be 4-D [O, I/groups, kh, kw], got [${w.dims.join(', ')}]`);
  const [o, ig, kh, kw] = w.dims as [number, number, number, number];
  const ks = attrInts(n.a, 'kernel_shape') ?? [kh, kw];
  if (ks[0] !== kh || ks[1] !== kw) n.fail(`kernel_shape [${ks.join(', ')}] does not match the weight [${w.dims.join(', ')}]`);
  const groups = attrInt(n.a, 'group', 1);
  const c = x.shape[0]!;
  if (x.shape.length !== 3) n.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  if (ig * groups !== c) n.fail(`weight expects ${ig * groups} input channels (${ig} x group ${groups}), the input has ${c}`);
  if (groups !== 1 && !(groups === c && o === c)) n.fail(`group ${groups} is not supported (only 1 or depthwise)`);
  if (b && numel(b.dims) !== o) n.fail(`bias has ${numel(b.dims)} values, expected ${o}`);
  const win = n.window(x, [kh, kw]);
  n.emit(
    {
      op: 'conv2d', name: '', input: x.layer, inChannels: c, outChannels: o, kernel: [kh, kw], stride: win.stride,
      padding: win.padding, groups, weight: Float64Array.from(w.data), bias: b ? Float64Array.from(b.data) : new Float64Array(o),
    },
    [o, win.oh, win.ow],
  );
}

/** Gemm (transA 0, any transB / alpha / beta) and MatMul with a constant right operand. */
export function gemm(n: NodeCtx): void {
  const isGemm = n.op === 'Gemm';
  const x = n.tensorIn(0, 'A');
  const w = n.constIn(1, 'B');
  if (x.shape.length !== 1) n.fail(`needs a flat input [N] (add Flatten before it), got [${x.shape.join(', ')}]`);
  if (w.dims.length !== 2) n.fail(`weight must be 2-D, got [${w.dims.join(', ')}]`);
  const transA = isGemm ? attrInt(n.a, 'transA', 0) : 0;
  const transB = isGemm ? attrInt(n.a, 'transB', 0) : 0;
  if (transA !== 0) n.fail('transA = 1 is not supported');
  const alpha = isGemm ? attrFloat(n.a, 'alpha', 1) : 1;
  const beta = isGemm ? attrFloat(n.a, 'beta', 1) : 1;
  const [r, cdim] = w.dims as [number, number];
  const inF = transB ? cdim : r;
  const outF = transB ? r : cdim;
  if (inF !== x.shape[0]) n.fail(`weight expects ${inF} input features, the input has ${x.shape[0]}`);
  const weight = new Float64Array(outF * inF);
  for (let oi = 0; oi < outF; oi++) {
    for (let ii = 0; ii < inF; ii++) weight[oi * inF + ii] = alpha * (transB ? w.data[oi * inF + ii]! : w.data[ii * outF + oi]!);
  }
  const bias = new Float64Array(outF);
  const c = isGemm ? n.optConst(2, 'C') : undefined;
  if (c) {
    const cn = numel(c.dims);
    if (cn !== outF && cn !== 1) n.fail(`bias C has ${cn} values, expected ${outF}`);
    for (let oi = 0; oi < outF; oi++) bias[oi] = beta * c.data[cn === 1 ? 0 : oi]!;
  }
  n.emit({ op: 'linear', name: '', input: x.layer, inFeatures: inF, outFeatures: outF, weight, bias }, [outF]);
}
