/**
 * The CNN importer's op table: ONNX op type → handler. Adding an op = a handler `(n: NodeCtx) => void` in its own file
 * (see ctx.ts for what a handler may use) + one line here. The unsupported-op error lists these keys in this order.
 */
import type { Handler } from './ctx.js';
import { clip, relu } from './act.js';
import { add, batchNorm } from './fold.js';
import { conv, gemm } from './layers.js';
import { globalAvgPool, pool } from './pool.js';
import { cast, concatConst, constant, flatten, gather, identity, reshape, shapeOf, squeeze } from './shape.js';

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
};

/** Shape arithmetic on constants (folded at import), as exporters emit for `x.view(x.size(0), -1)`. */
export const CONST_HANDLERS: Record<string, Handler> = {
  Shape: shapeOf,
  Gather: gather,
  Unsqueeze: squeeze,
  Squeeze: squeeze,
  Concat: concatConst,
  Cast: cast,
};

export function handlerFor(op: string): Handler | undefined {
  return Object.hasOwn(HANDLERS, op) ? HANDLERS[op] : Object.hasOwn(CONST_HANDLERS, op) ? CONST_HANDLERS[op] : undefined;
}

export function supportedOps(): string {
  return `${Object.keys(HANDLERS).join(', ')} (and ${Object.keys(CONST_HANDLERS).join('/')} on constants)`;
}
