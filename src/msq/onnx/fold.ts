/** ONNX ops folded into the Conv / Gemm / MatMul right before them: BatchNormalization, Add of a constant (bias). */
import { numel } from '../model.js';
import type { NodeCtx } from './ctx.js';
import { attrFloat, attrInt, type ChannelStats, type Const, type Tensor } from './proto.js';

export function batchNorm(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  const [scale, beta, mean, variance] = [1, 2, 3, 4].map((i, k) => n.constIn(i, ['scale', 'B', 'mean', 'var'][k]!));
  if (n.outs.length > 1 && n.outs.slice(1).some((o) => o)) n.fail('training-mode BatchNormalization (extra outputs) is not supported: export in eval mode');
  if (attrInt(n.a, 'training_mode', 0) !== 0) n.fail('training_mode = 1 is not supported: export in eval mode');
  const eps = attrFloat(n.a, 'epsilon', 1e-5);
  const target = n.foldTarget(x, n.ins[0]!);
  if (!target || (target.op !== 'conv2d' && target.op !== 'linear')) {
    n.fail('BatchNormalization must directly follow a Conv/Gemm/MatMul whose output it alone reads (it is folded into it)');
  }
  const ch = target.op === 'conv2d' ? target.outChannels : target.outFeatures;
  for (const [nm, t] of [['scale', scale], ['B', beta], ['mean', mean], ['var', variance]] as const) {
    if (numel(t.dims) !== ch) n.fail(`${nm} has ${numel(t.dims)} values, expected ${ch} (one per channel)`);
  }
  const per = target.weight.length / ch;
  const wNew = Float64Array.from(target.weight);
  const bNew = Float64Array.from(target.bias);
  const stats: ChannelStats = { mean: [], std: [] };
  for (let k = 0; k < ch; k++) {
    if (variance.data[k]! + eps <= 0) n.fail(`var[${k}] + epsilon = ${variance.data[k]! + eps} must be positive`);
    const g = scale.data[k]! / Math.sqrt(variance.data[k]! + eps);
    for (let j = 0; j < per; j++) wNew[k * per + j] = wNew[k * per + j]! * g;
    bNew[k] = (bNew[k]! - mean.data[k]!) * g + beta.data[k]!;
    stats.mean.push(beta.data[k]!);
    stats.std.push(Math.abs(scale.data[k]!));
  }
  target.weight = wNew;
  target.bias = bNew;
  n.ctx.bnStats.set(target.name, stats);
  n.foldedInto(target);
  n.alias(x);
}

/** Add of two tensors of one shape (a residual add layer), or of a tensor and a constant (a folded bias). */
export function add(n: NodeCtx): void {
  const va = n.get(0, 'A');
  const vb = n.get(1, 'B');
  if (va.kind === 'tensor' && vb.kind === 'tensor') {
    if (va.shape.join(',') !== vb.shape.join(',')) {
      n.fail(`shapes differ: [${va.shape.join(', ')}] vs [${vb.shape.join(', ')}] (broadcasting is not supported)`);
    }
    n.emit({ op: 'add', name: '', inputs: [va.layer, vb.layer] }, [...va.shape]);
    return;
  }
  // tensor + constant: a bias, folded into the conv / linear that solely produces the tensor
  const x = va.kind === 'tensor' ? va : (vb as Tensor);
  const c = va.kind === 'const' ? va : (vb as Const);
  if (x.kind !== 'tensor') n.fail('adds two constants; fold constants before export');
  const target = n.foldTarget(x, va.kind === 'tensor' ? n.ins[0]! : n.ins[1]!);
  if (!target || (target.op !== 'conv2d' && target.op !== 'linear')) {
    n.fail('adding a constant is only supported as the bias of the Conv/Gemm/MatMul right before it');
  }
  const ch = target.op === 'conv2d' ? target.outChannels : target.outFeatures;
  const cn = numel(c.dims);
  if (cn !== ch && cn !== 1) n.fail(`constant has ${cn} values, expected ${ch} (one per channel)`);
  const bNew = Float64Array.from(target.bias);
  for (let k = 0; k < ch; k++) bNew[k] = bNew[k]! + c.data[cn === 1 ? 0 : k]!;
  target.bias = bNew;
  n.foldedInto(target);
  n.alias(x);
}
