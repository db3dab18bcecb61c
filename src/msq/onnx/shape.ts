/**
 * Ops without arithmetic: Identity / Dropout (aliases), Flatten and Reshape to [1, n] (flatten layers), and the shape
 * arithmetic on constants exporters emit for `x.view(x.size(0), -1)` (Constant, Shape, Cast, Gather, Unsqueeze,
 * Squeeze, Concat), folded at import time.
 */
import { numel } from '../model.js';
import type { NodeCtx } from './ctx.js';
import { attrFloat, attrInt, attrInts, DT, tensorData } from './proto.js';

export function identity(n: NodeCtx): void {
  n.alias(n.get(0, 'X'));
}

export function constant(n: NodeCtx): void {
  const t = n.a.get('value');
  if (t?.t) n.alias(tensorData(t.t, n.at));
  else if (n.a.get('value_float')) n.setConst([], Float64Array.of(attrFloat(n.a, 'value_float', 0)));
  else if (n.a.get('value_int')) n.setConst([], Float64Array.of(attrInt(n.a, 'value_int', 0)));
  else if (n.a.get('value_ints')) {
    const v = attrInts(n.a, 'value_ints')!;
    n.setConst([v.length], Float64Array.from(v));
  } else n.fail('Constant without a supported value attribute (value, value_float, value_int, value_ints)');
}

export function shapeOf(n: NodeCtx): void {
  const v = n.get(0, 'data');
  const dimsOf = v.kind === 'tensor' ? [1, ...v.shape] : v.dims;
  n.setConst([dimsOf.length], Float64Array.from(dimsOf));
}

export function cast(n: NodeCtx): void {
  const v = n.get(0, 'input');
  const to = attrInt(n.a, 'to', DT.FLOAT);
  if (v.kind === 'tensor' && to !== DT.FLOAT && to !== DT.DOUBLE) n.fail(`cast of a computed tensor to type ${to} is not supported`);
  const integer = to === DT.INT32 || to === DT.INT64;
  n.alias(v.kind === 'const' && integer ? { ...v, data: v.data.map(Math.trunc) } : v);
}

export function gather(n: NodeCtx): void {
  const d = n.constIn(0, 'data');
  const ix = n.constIn(1, 'indices');
  if (attrInt(n.a, 'axis', 0) !== 0 || d.dims.length !== 1) n.fail('only Gather of a 1-D constant along axis 0 is supported');
  const len = d.data.length;
  const data = ix.data.map((i) => {
    const k = i < 0 ? i + len : i;
    if (k < 0 || k >= len) n.fail(`index ${i} out of range for ${len} values`);
    return d.data[k]!;
  });
  n.setConst(ix.dims, data);
}

/** Unsqueeze and Squeeze of a constant (axes as an attribute before opset 13, as input 1 from 13). */
export function squeeze(n: NodeCtx): void {
  const d = n.constIn(0, 'data');
  const axes = n.opset >= 13 ? (n.ins[1] ? Array.from(n.constIn(1, 'axes').data) : []) : (attrInts(n.a, 'axes') ?? []);
  let dimsNew: number[];
  if (n.op === 'Unsqueeze') {
    const rank = d.dims.length + axes.length;
    const norm = axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q);
    dimsNew = [...d.dims];
    for (const x of norm) dimsNew.splice(x, 0, 1);
  } else {
    const norm = new Set(axes.map((x) => (x < 0 ? x + d.dims.length : x)));
    dimsNew = d.dims.filter((v, i) => (norm.size ? !norm.has(i) : v !== 1));
  }
  n.setConst(dimsNew, d.data);
}

export function concatConst(n: NodeCtx): void {
  const parts = n.ins.map((_, i) => n.constIn(i, `input ${i}`));
  if (parts.some((p) => p.dims.length > 1)) n.fail('only Concat of 1-D constants is supported');
  const data = Float64Array.from(parts.flatMap((p) => Array.from(p.data)));
  n.setConst([data.length], data);
}

export function flatten(n: NodeCtx): void {
  const x = n.tensorIn(0, 'input');
  const axis = attrInt(n.a, 'axis', 1);
  if (axis !== 1) n.fail(`axis ${axis} is not supported (only 1: keep the batch)`);
  if (x.shape.length === 1) n.alias(x);
  else n.emit({ op: 'flatten', name: '', input: x.layer }, [numel(x.shape)]);
}

export function reshape(n: NodeCtx): void {
  const x = n.tensorIn(0, 'data');
  const s = n.constIn(1, 'shape');
  const target = Array.from(s.data);
  const len = numel(x.shape);
  const flatTo = target.length === 2 && (target[0] === 1 || target[0] === -1 || target[0] === 0) && (target[1] === len || target[1] === -1);
  const flat1 = target.length === 1 && (target[0] === len || target[0] === -1);
  if (flatTo || flat1) {
    if (x.shape.length === 1) n.alias(x);
    else n.emit({ op: 'flatten', name: '', input: x.layer }, [len]);
  } else if (target.length === x.shape.length + 1 && target.slice(1).every((d, i) => d === x.shape[i] || d === 0)) {
    n.alias(x);
  } else {
    n.fail(`reshape of [${x.shape.join(', ')}] to [${target.join(', ')}] is not supported (only flatten to [1, ${len}])`);
  }
}
