/**
 * ONNX import: an .onnx file → FloatModel (model.ts), parsed with protobufjs code generated from the official
 * onnx.proto3 (npm package `onnx-proto`, ONNX v1.10.2 schema; newer files decode too, unknown fields are skipped).
 *
 * Supported nodes (batch 1, NCHW, float32/float64 weights):
 *   Conv (groups 1 or depthwise, dilation 1, auto_pad NOTSET/VALID/SAME_*), Gemm (transA 0, any transB/alpha/beta),
 *   MatMul with a constant right operand (+ a following Add of a constant = bias), Relu, Clip (see below),
 *   MaxPool, AveragePool, GlobalAveragePool, Add (two tensors of one shape; or tensor + constant bias right after a
 *   conv/linear), Flatten (axis 1), Reshape to [1, n] / [n] (= flatten), BatchNormalization (folded into the
 *   preceding Conv, or Gemm/MatMul), Identity, Dropout (inference: identity), Constant; and shape arithmetic on
 *   constants (Shape of a known tensor, Gather, Unsqueeze, Squeeze, Concat, Cast), folded at import, as exporters
 *   emit for `x.view(x.size(0), -1)`.
 * Anything else is an error naming the op type and the node. One handler per op (family) in onnx/*.ts, registered
 * in onnx/handlers.ts; the per-node services (typed inputs, emit, fold target, window geometry) are in onnx/ctx.ts.
 *
 * Clip(lo, hi): imported as ReLU when lo = 0 (identity when lo < 0) plus a RANGE HINT [lo, hi] for that tensor.
 * The quantizer uses range hints as the tensor's calibrated range (QAT models carry their trained activation clips
 * this way). The float executor does not saturate at hi: the float model is the unclipped network.
 *
 * For data-free calibration the importer also keeps, per BN-folded layer, the BatchNorm's β (mean) and |γ| (std)
 * of every output channel: the pre-activation distribution the BN was trained to produce (see calib.ts).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fail } from '../util/errors.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import type { FloatModel } from './model.js';
import { ImportCtx, NodeCtx } from './onnx/ctx.js';
import { handlerFor, supportedOps } from './onnx/handlers.js';
import { hostSoftmaxAt } from './onnx/pointwise.js';
import { cleanName, decodeOnnx, num, tensorData, type OnnxImport } from './onnx/proto.js';
import { TRANSFORMER_OPS, importVitOnnx } from './vit/onnx-vit.js';

export {
  attrFloat, attrInt, attrInts, attrs, cleanName, decodeOnnx, num, tensorData,
  type ChannelStats, type Const, type LongLike, type OnnxImport,
} from './onnx/proto.js';

/** Read and import an .onnx file. */
export async function loadOnnx(path: string): Promise<OnnxImport> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    fail(path, `cannot read the ONNX file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return importOnnx(bytes, path);
}

/**
 * A transformer graph (vit/onnx-vit.ts imports it): one with LayerNormalization or Erf, or a Softmax / Transpose /
 * ReduceMean that is not a CNN's (a Softmax at the graph output, a channel shuffle's Transpose, ReduceMean over H, W).
 */
function isTransformerGraph(graph: OnnxNs.IGraphProto): boolean {
  const outs = new Set((graph.output ?? []).map((o) => o.name));
  return (graph.node ?? []).some((n) => {
    const op = n.opType ?? '';
    if (op === 'Softmax') return !outs.has(n.output?.[0]);
    if (op === 'Transpose') return (n.attribute ?? []).find((a) => a.name === 'perm')?.ints?.map(Number).join(',') !== '0,2,1,3,4';
    if (op === 'ReduceMean') return (n.attribute ?? []).find((a) => a.name === 'axes')?.ints?.map(Number).join(',') !== '2,3';
    return TRANSFORMER_OPS.has(op);
  });
}

/** Import ONNX bytes into a FloatModel (BatchNorm folded), with range hints and BN statistics. */
export function importOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxImport {
  const proto = decodeOnnx(bytes, file);
  const graph = proto.graph!;
  if (isTransformerGraph(graph)) return importVitOnnx(bytes, file);
  const opset = Math.max(
    0,
    ...(proto.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => num(o.version)),
  );
  const ctx = new ImportCtx(opset);
  const values = ctx.values;
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    values.set(name, tensorData(init, `initializer '${name}'`));
  }

  // network input: the first graph input that is not an initializer
  const gIn = (graph.input ?? []).find((i) => i.name && !values.has(i.name));
  if (!gIn) fail(`${file}: graph.input`, 'the graph has no data input');
  const dims = (gIn.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue) : -1));
  if (dims.length !== 4 && dims.length !== 2) {
    fail(`input '${gIn.name}'`, `shape [${dims.join(', ')}] is not supported: expected [1, C, H, W] or [1, N]`);
  }
  const shape = dims.slice(1);
  if (shape.some((d) => d <= 0)) fail(`input '${gIn.name}'`, `needs fixed dimensions after the batch, got [${dims.join(', ')}]`);
  if (dims[0]! > 1) fail(`input '${gIn.name}'`, `batch dimension is ${dims[0]}; export the model with batch 1 (or a symbolic batch)`);
  const inputName = cleanName(gIn.name!);
  values.set(gIn.name!, { kind: 'tensor', layer: inputName, shape });
  ctx.used.add(inputName);

  for (const n of graph.node ?? []) for (const i of n.input ?? []) if (i) ctx.consumers.set(i, (ctx.consumers.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) if (o.name) ctx.consumers.set(o.name, (ctx.consumers.get(o.name) ?? 0) + 1);
  (graph.node ?? []).forEach((node, idx) => {
    const n: NodeCtx = new NodeCtx(ctx, node, idx);
    const handler = handlerFor(n.op);
    if (!handler) n.fail(`unsupported op type '${n.op}': supported are ${supportedOps()}`);
    handler(n);
  });

  const gOut = (graph.output ?? [])[0];
  if (!gOut?.name) fail(`${file}: graph.output`, 'the graph has no output');
  const outV = values.get(gOut.name);
  if (!outV || outV.kind !== 'tensor') fail(`${file}: graph.output`, `output '${gOut.name}' is not computed by the graph: file truncated or malformed`);
  if (ctx.layers.length === 0) fail(file, 'the graph computes nothing');
  const model: FloatModel = {
    // the file's name: exporters' graph names are often generic ("torch_jit", "main_graph")
    name: basename(file).replace(/\.onnx$/i, '') || graph.name || undefined,
    input: { name: inputName, shape },
    layers: ctx.layers,
    output: outV.layer,
    ...(hostSoftmaxAt(ctx, gOut.name) ? { softmax: true } : {}),
  };
  return { model, rangeHints: ctx.rangeHints, bnStats: ctx.bnStats, origin: ctx.origin, opset, producer: `${proto.producerName ?? ''} ${proto.producerVersion ?? ''}`.trim() };
}
