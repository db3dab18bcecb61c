/**
 * Pointwise activations and products (issue 12): Sigmoid, HardSigmoid, HardSwish as `act` layers (lookup tables
 * after quantization); Mul(x, Sigmoid(x)) = SiLU and Mul(x, HardSigmoid(x)) = HardSwish folded into that act layer;
 * Mul of a [C, H, W] tensor by a [C, 1, 1] tensor = `mulchannel` (squeeze-excite); Softmax as the last node = the
 * host's softmax over the output; ReduceMean over H, W = global average pooling; Add / Mul / Div of constants fold.
 */
import { fail } from '../../util/errors.js';
import { numel } from '../model.js';
import type { ImportCtx, NodeCtx } from './ctx.js';
import { add as addLayer } from './fold.js';
import { attrFloat, attrInt, attrInts, type Const, type Tensor } from './proto.js';

export function sigmoid(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  n.emit({ op: 'act', name: '', input: x.layer, fn: 'sigmoid', params: {} }, [...x.shape]);
}

export function hardSigmoid(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  const params = { alpha: attrFloat(n.a, 'alpha', 0.2), beta: attrFloat(n.a, 'beta', 0.5) };
  n.emit({ op: 'act', name: '', input: x.layer, fn: 'hardsigmoid', params }, [...x.shape]);
}

export function hardSwish(n: NodeCtx): void {
  const x = n.tensorIn(0, 'X');
  n.emit({ op: 'act', name: '', input: x.layer, fn: 'hardswish', params: { alpha: 1 / 6, beta: 0.5 } }, [...x.shape]);
}

/** Elementwise arithmetic of constants (numpy broadcasting of a scalar or equal shapes), as shape code emits. */
function foldConsts(n: NodeCtx, a: Const, b: Const, f: (x: number, y: number) => number): void {
  const na = a.data.length;
  const nb = b.data.length;
  if (na !== nb && na !== 1 && nb !== 1) n.fail(`constant shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
  const len = Math.max(na, nb);
  const data = Float64Array.from({ length: len }, (_, i) => f(a.data[na === 1 ? 0 : i]!, b.data[nb === 1 ? 0 : i]!));
  n.setConst(na >= nb ? a.dims : b.dims, data);
}

export function add(n: NodeCtx): void {
  const a = n.get(0, 'A');
  const b = n.get(1, 'B');
  if (a.kind === 'const' && b.kind === 'const') return foldConsts(n, a, b, (x, y) => x + y);
  addLayer(n);
}

export function div(n: NodeCtx): void {
  const a = n.get(0, 'A');
  const b = n.get(1, 'B');
  if (a.kind !== 'const' || b.kind !== 'const') n.fail('Div of graph tensors is not supported (only of constants, as shape arithmetic)');
  const integer = [...a.data, ...b.data].every(Number.isInteger);
  foldConsts(n, a, b, (x, y) => (integer ? Math.trunc(x / y) : x / y));
}

export function mul(n: NodeCtx): void {
  const a = n.get(0, 'A');
  const b = n.get(1, 'B');
  if (a.kind === 'const' && b.kind === 'const') return foldConsts(n, a, b, (x, y) => x * y);
  if (a.kind !== 'tensor' || b.kind !== 'tensor') {
    n.fail('Mul of a graph tensor by a constant is not supported (fold the constant into the layer before it)');
  }
  // x * act(x): SiLU / HardSwish, when act(x) feeds only this Mul
  for (const [x, s, sName] of [[a, b, n.ins[1]!], [b, a, n.ins[0]!]] as [Tensor, Tensor, string][]) {
    const l = n.ctx.byName.get(s.layer);
    if (l?.op === 'act' && l.input === x.layer && (n.ctx.consumers.get(sName) ?? 0) === 1 && n.ctx.lastOnnxOf.get(l.name) === sName) {
      if (l.fn === 'sigmoid') l.fn = 'silu';
      else if (l.fn === 'hardsigmoid' && Math.abs((l.params.alpha ?? 0.2) - 1 / 6) < 1e-6 && Math.abs((l.params.beta ?? 0.5) - 0.5) < 1e-6) l.fn = 'hardswish';
      else continue;
      n.foldedInto(l);
      n.alias(s);
      return;
    }
  }
  // squeeze-excite: x [C, H, W] * s [C, 1, 1]
  const [x, s] = numel(a.shape) >= numel(b.shape) ? [a, b] : [b, a];
  const sn = numel(s.shape);
  if (x.shape.length !== 3 || sn !== x.shape[0] || (s.shape.length === 3 && (s.shape[1] !== 1 || s.shape[2] !== 1))) {
    n.fail(`Mul of [${a.shape.join(', ')}] by [${b.shape.join(', ')}] is not supported (only x * act(x) and x [C, H, W] * s [C, 1, 1])`);
  }
  n.emit({ op: 'mulchannel', name: '', inputs: [x.layer, s.layer] }, [...x.shape]);
}

/** ONNX value names that are a softmax of the model output (applied on the host). */
const softmaxOf = new WeakMap<ImportCtx, Set<string>>();

/** Whether the graph output `name` is a Softmax (applied on the host); a Softmax anywhere else is an error. */
export function hostSoftmaxAt(ctx: ImportCtx, name: string): boolean {
  const s = softmaxOf.get(ctx);
  for (const v of s ?? []) {
    if (v !== name) fail(`Softmax output '${v}'`, 'a Softmax is supported only as the last node (the graph output: the host applies it)');
  }
  return s?.has(name) ?? false;
}

export function softmax(n: NodeCtx): void {
  const x = n.tensorIn(0, 'input');
  const flat = x.shape.length === 1 || (x.shape.length === 3 && x.shape[1] === 1 && x.shape[2] === 1);
  const axis = attrInt(n.a, 'axis', n.opset >= 13 ? -1 : 1);
  if (!flat || (axis !== -1 && axis !== 1)) n.fail(`Softmax over [${x.shape.join(', ')}] axis ${axis}: only a softmax over the class vector at the output is supported (the host applies it)`);
  if (!softmaxOf.has(n.ctx)) softmaxOf.set(n.ctx, new Set());
  softmaxOf.get(n.ctx)!.add(n.outs[0]!);
  n.alias(x);
}

export function reduceMean(n: NodeCtx): void {
  const x = n.tensorIn(0, 'data');
  const axes = (n.opset >= 18 && n.ins[1] ? Array.from(n.constIn(1, 'axes').data) : attrInts(n.a, 'axes') ?? []).map((v) => (v < 0 ? v + 4 : v)).sort();
  if (x.shape.length !== 3 || axes.join(',') !== '2,3') n.fail(`ReduceMean over axes [${axes.join(', ')}] is not supported (only over H, W = global average pooling)`);
  n.emit({ op: 'globalavgpool', name: '', input: x.layer }, [x.shape[0]!, 1, 1]);
  if (attrInt(n.a, 'keepdims', 1) === 0) {
    const t = n.ctx.values.get(n.outs[0]!) as Tensor;
    n.emit({ op: 'flatten', name: '', input: t.layer }, [x.shape[0]!]);
  }
}
