/**
 * ONNX import of vision transformers (torchvision VisionTransformer and graphs of the same ops) into a FloatModel.
 * The node walk: values are constants, element references (refs.ts) or half-recognized patterns (onnx-ctx.ts);
 * per op type one handler (onnx-move.ts: data movement and constant folding; onnx-math.ts / onnx-matmul.ts: layers).
 * importOnnx (onnx.ts) hands a graph here when it holds a transformer op (TRANSFORMER_OPS).
 */
import { basename } from 'node:path';
import { fail } from '../../util/errors.js';
import { numel } from '../model.js';
import { attrs, cleanName, decodeOnnx, num, tensorData, type OnnxImport } from '../onnx.js';
import { VitImport, type Handler, type NodeHelp, type Val } from './onnx-ctx.js';
import { MATH_HANDLERS } from './onnx-math.js';
import { MOVE_HANDLERS } from './onnx-move.js';
import { identityRefs } from './refs.js';

/** Ops whose presence sends a graph to this importer. */
export const TRANSFORMER_OPS = new Set(['Softmax', 'LayerNormalization', 'Erf', 'ReduceMean', 'Transpose']);

const HANDLERS: Record<string, Handler> = { ...MOVE_HANDLERS, ...MATH_HANDLERS };

export function importVitOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxImport {
  const proto = decodeOnnx(bytes, file);
  const graph = proto.graph!;
  const opset = Math.max(0, ...(proto.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => num(o.version)));
  const ctx = new VitImport(opset);
  for (const init of graph.initializer ?? []) ctx.values.set(init.name ?? '', tensorData(init, `initializer '${init.name}'`));
  const gIn = (graph.input ?? []).find((i) => i.name && !ctx.values.has(i.name));
  if (!gIn) fail(`${file}: graph.input`, 'the graph has no data input');
  const dims = (gIn.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue) : -1));
  if (dims.length !== 4 || dims.slice(1).some((d) => d <= 0) || dims[0]! > 1) {
    fail(`input '${gIn.name}'`, `shape [${dims.join(', ')}] is not supported: expected [1, C, H, W] with fixed C, H, W`);
  }
  const inputName = cleanName(gIn.name!);
  const shape = dims.slice(1);
  ctx.values.set(gIn.name!, identityRefs(ctx.addInput(inputName, shape), [1, ...shape]));
  for (const n of graph.node ?? []) for (const i of n.input ?? []) if (i) ctx.consumers.set(i, (ctx.consumers.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) if (o.name) ctx.consumers.set(o.name, (ctx.consumers.get(o.name) ?? 0) + 1);

  (graph.node ?? []).forEach((node, idx) => {
    const op = node.opType ?? '';
    const name = node.name || `${op}_${idx}`;
    const at = `node '${name}' (${op})`;
    const ins = node.input ?? [];
    const outs = node.output ?? [];
    if (!outs[0]) fail(at, 'has no output');
    const h: NodeHelp = {
      at,
      name,
      a: attrs(node),
      has: (i) => !!ins[i],
      get: (i, what) => {
        const nm = ins[i];
        if (!nm) fail(at, `missing input ${i} (${what})`);
        const v = ctx.values.get(nm);
        if (!v) fail(at, `input '${nm}' (${what}) is not produced by any earlier node: nodes out of order or file truncated`);
        return v;
      },
      constIn: (i, what) => {
        const v = h.get(i, what);
        if (v.kind !== 'const') fail(at, `input ${i} (${what}) must be a constant`);
        return v;
      },
      out: (v: Val, i = 0) => {
        if (outs[i]) ctx.values.set(outs[i]!, v);
      },
      outName: (i = 0) => outs[i]!,
    };
    const handler = HANDLERS[op];
    if (!handler) fail(at, `unsupported op type '${op}' in a transformer graph: supported are ${Object.keys(HANDLERS).sort().join(', ')}`);
    handler(ctx, node, h);
  });

  const gOut = (graph.output ?? [])[0];
  if (!gOut?.name) fail(`${file}: graph.output`, 'the graph has no output');
  const v = ctx.values.get(gOut.name);
  if (!v || v.kind !== 'refs') fail(`${file}: graph.output`, `output '${gOut.name}' is not computed by the graph`);
  let out = ctx.plainTensor(v);
  if (out === undefined || !v.off.every((o, i) => o === i)) {
    const n = numel(v.dims);
    out = ctx.materialize(v, [n], Int32Array.from({ length: n }, (_, i) => i), 'output');
  }
  return {
    model: { name: basename(file).replace(/\.onnx$/i, '') || undefined, input: { name: inputName, shape }, layers: ctx.layers, output: ctx.tensors[out]!.name },
    rangeHints: new Map(),
    bnStats: new Map(),
    origin: ctx.origin,
    opset,
    producer: `${proto.producerName ?? ''} ${proto.producerVersion ?? ''}`.trim(),
  };
}
