/**
 * The CNN importer's op table: ONNX op type → handler. Adding an op = a handler `(n: NodeCtx) => void` in its own file
 * (see ctx.ts for what a handler may use) + one line here. The unsupported-op error lists these keys in this order.
 */
import type { Handler } from './ctx.js';
import { clip, relu } from './act.js';
import { batchNorm } from './fold.js';
import { concat, reshape, resize, slice, split, transpose } from './channel.js';
import { add, div, hardSigmoid, hardSwish, mul, reduceMean, sigmoid, softmax } from './pointwise.js';
import { conv, gemm } from './layers.js';
import { globalAvgPool, pool } from './pool.js';
import { cast, constant, flatten, gather, identity, shapeOf, squeeze } from './shape.js';

/** Ops on graph tensors. */
export const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: gemm,
  Relu: relu,
  Clip: clip,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: globalAvgPool,
  Add: add,
  Flatten: flatten,
  Reshape: reshape,
  BatchNormalization: batchNorm,
  Identity: identity,
  Dropout: identity,
  Constant: constant,
  // channel and pointwise ops (issue 12: onnx/channel.ts, onnx/pointwise.ts)
  Concat: concat,
  Split: split,
  Slice: slice,
  Transpose: transpose,
  Resize: resize,
  Upsample: resize,
  Sigmoid: sigmoid,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Mul: mul,
  Softmax: softmax,
  ReduceMean: reduceMean,
};

/** Shape arithmetic on constants (folded at import), as exporters emit for `x.view(x.size(0), -1)`. */
export const CONST_HANDLERS: Record<string, Handler> = {
  Shape: shapeOf,
  Gather: gather,
  Unsqueeze: squeeze,
  Squeeze: squeeze,
  Cast: cast,
  Div: div,
};

export function handlerFor(op: string): Handler | undefined {
  return Object.hasOwn(HANDLERS, op) ? HANDLERS[op] : Object.hasOwn(CONST_HANDLERS, op) ? CONST_HANDLERS[op] : undefined;
}

export function supportedOps(): string {
  return `${Object.keys(HANDLERS).join(', ')} (and ${Object.keys(CONST_HANDLERS).join('/')} on constants)`;
}
