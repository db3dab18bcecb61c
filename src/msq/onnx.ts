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
 * Anything else is an error naming the op type and the node.
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
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { fail } from '../util/errors.js';
import { numel, type FloatLayer, type FloatModel } from './model.js';
import { TRANSFORMER_OPS, importVitOnnx } from './vit/onnx-vit.js';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };

export type LongLike = number | { toNumber(): number } | null | undefined;
export const num = (v: LongLike): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Per-channel statistics of a pre-activation tensor, from a folded BatchNorm (β, |γ|). */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

export interface OnnxImport {
  model: FloatModel;
  /** tensor (layer) name → [lo, hi] from a Clip in the graph */
  rangeHints: Map<string, [number, number]>;
  /** conv/linear layer name → per-output-channel statistics of its output, from the BatchNorm folded into it */
  bnStats: Map<string, ChannelStats>;
  /** ONNX node name(s) each layer came from (for messages) */
  origin: Map<string, string>;
  opset: number;
  producer: string;
}

export interface Const {
  kind: 'const';
  dims: number[];
  data: Float64Array;
}
interface Tensor {
  kind: 'tensor';
  /** the FloatModel tensor (layer or input) holding this value */
  layer: string;
  /** [C, H, W] or [N] */
  shape: number[];
}
type Value = Const | Tensor;

const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11, FLOAT16: 10 } as const;

/** Decode a TensorProto into float64 values, checking its size. `what` names it in errors. */
export function tensorData(t: OnnxNs.ITensorProto, what: string): Const {
  const dims = (t.dims ?? []).map(num);
  const n = numel(dims);
  if (dims.some((d) => d < 0)) fail(what, `negative dimension in [${dims.join(', ')}]`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData && t.externalData.length > 0)) {
    fail(what, 'weights stored in an external data file are not supported; re-export with the weights inside the .onnx');
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const out = new Float64Array(n);
  const dt = t.dataType ?? 0;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const need = (bytes: number): void => {
    if (view && view.byteLength !== n * bytes) {
      fail(what, `raw data has ${view.byteLength} bytes, dims [${dims.join(', ')}] need ${n * bytes}: file truncated or corrupt`);
    }
  };
  const fromList = (list: ArrayLike<LongLike> | null | undefined, field: string): void => {
    const l = list ?? [];
    if (l.length !== n) fail(what, `${field} has ${l.length} values, dims [${dims.join(', ')}] need ${n}`);
    for (let i = 0; i < n; i++) out[i] = num(l[i]);
  };
  switch (dt) {
    case DT.FLOAT:
      if (view) {
        need(4);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      } else fromList(t.floatData, 'float_data');
      break;
    case DT.DOUBLE:
      if (view) {
        need(8);
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      } else fromList(t.doubleData, 'double_data');
      break;
    case DT.INT64:
      if (view) {
        need(8);
        for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      } else fromList(t.int64Data, 'int64_data');
      break;
    case DT.INT32:
      if (view) {
        need(4);
        for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      } else fromList(t.int32Data, 'int32_data');
      break;
    default:
      fail(what, `tensor data type ${onnx.TensorProto.DataType[dt] ?? dt} is not supported (use float32)`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]!)) fail(what, `value ${out[i]} at index ${i}: weights must be finite (NaN/Inf found)`);
  }
  return { kind: 'const', dims, data: out };
}

export function attrs(node: OnnxNs.INodeProto): Map<string, OnnxNs.IAttributeProto> {
  const m = new Map<string, OnnxNs.IAttributeProto>();
  for (const a of node.attribute ?? []) if (a.name) m.set(a.name, a);
  return m;
}

export function attrInts(a: Map<string, OnnxNs.IAttributeProto>, key: string): number[] | undefined {
  const v = a.get(key);
  return v ? (v.ints ?? []).map(num) : undefined;
}
export function attrInt(a: Map<string, OnnxNs.IAttributeProto>, key: string, dflt: number): number {
  const v = a.get(key);
  return v ? num(v.i) : dflt;
}
export function attrFloat(a: Map<string, OnnxNs.IAttributeProto>, key: string, dflt: number): number {
  const v = a.get(key);
  return v ? (v.f ?? 0) : dflt;
}
function attrString(a: Map<string, OnnxNs.IAttributeProto>, key: string, dflt: string): string {
  const v = a.get(key);
  return v && v.s ? new TextDecoder().decode(v.s) : dflt;
}

/** A FloatModel layer name from an ONNX node name: [A-Za-z0-9_], starting with a letter. */
export function cleanName(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!s) s = 'layer';
  if (!/^[A-Za-z]/.test(s)) s = `n_${s}`;
  return s;
}

/** Decode an ONNX file's bytes; any protobuf error is a one-line "malformed or truncated" error. */
export function decodeOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxNs.ModelProto {
  if (bytes.length === 0) fail(file, 'empty file: expected an ONNX model');
  let m: OnnxNs.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    fail(file, `malformed or truncated ONNX file (${(e as Error).message.split('\n')[0]}); re-export the model`);
  }
  if (!m.graph || (m.graph.node ?? []).length === 0) {
    fail(file, 'no graph (or an empty graph) in this file: malformed or truncated ONNX, or not an ONNX model');
  }
  return m;
}

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

/** Import ONNX bytes into a FloatModel (BatchNorm folded), with range hints and BN statistics. */
export function importOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxImport {
  const proto = decodeOnnx(bytes, file);
  const graph = proto.graph!;
  if ((graph.node ?? []).some((n) => TRANSFORMER_OPS.has(n.opType ?? ''))) return importVitOnnx(bytes, file);
  const opset = Math.max(
    0,
    ...(proto.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx').map((o) => num(o.version)),
  );
  const values = new Map<string, Value>();
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

  const layers: FloatLayer[] = [];
  const byName = new Map<string, FloatLayer>();
  const used = new Set<string>([inputName]);
  const rangeHints = new Map<string, [number, number]>();
  const bnStats = new Map<string, ChannelStats>();
  const origin = new Map<string, string>();
  // how many nodes read each ONNX tensor (folding BN / bias needs a sole consumer)
  const consumers = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) if (i) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  for (const o of graph.output ?? []) if (o.name) consumers.set(o.name, (consumers.get(o.name) ?? 0) + 1);
  // layer name → the ONNX tensor it was last written as (to check sole consumers)
  const lastOnnxOf = new Map<string, string>();

  (graph.node ?? []).forEach((node, idx) => {
    const op = node.opType ?? '';
    const nodeName = node.name || `${op}_${idx}`;
    const at = `node '${nodeName}' (${op})`;
    const a = attrs(node);
    const ins = (node.input ?? []).map((n) => n);
    const outs = node.output ?? [];
    if (outs.length === 0 || !outs[0]) fail(at, 'has no output');
    const get = (i: number, what: string): Value => {
      const nm = ins[i];
      if (!nm) fail(at, `missing input ${i} (${what})`);
      const v = values.get(nm);
      if (!v) fail(at, `input '${nm}' (${what}) is not produced by any earlier node: nodes out of order or file truncated`);
      return v;
    };
    const tensorIn = (i: number, what: string): Tensor => {
      const v = get(i, what);
      if (v.kind !== 'tensor') fail(at, `input ${i} (${what}) must be a tensor computed by the graph, not a constant`);
      return v;
    };
    const constIn = (i: number, what: string): Const => {
      const v = get(i, what);
      if (v.kind !== 'const') fail(at, `input ${i} (${what}) must be a constant initializer`);
      return v;
    };
    const optConst = (i: number, what: string): Const | undefined => (ins[i] ? constIn(i, what) : undefined);
    const emit = (layer: FloatLayer, outShape: number[]): void => {
      let nm = cleanName(nodeName);
      for (let k = 2; used.has(nm); k++) nm = `${cleanName(nodeName)}_${k}`;
      used.add(nm);
      layer.name = nm;
      layers.push(layer);
      byName.set(nm, layer);
      origin.set(nm, nodeName);
      values.set(outs[0]!, { kind: 'tensor', layer: nm, shape: outShape });
      lastOnnxOf.set(nm, outs[0]!);
    };
    const alias = (v: Value): void => {
      values.set(outs[0]!, v);
      if (v.kind === 'tensor') lastOnnxOf.set(v.layer, outs[0]!);
    };
    /** the conv/linear layer that solely produces input 0, if any (for folding BN / bias into it) */
    const foldTarget = (x: Tensor, onnxName: string): FloatLayer | undefined => {
      const l = byName.get(x.layer);
      if (!l || (l.op !== 'conv2d' && l.op !== 'linear')) return undefined;
      if (lastOnnxOf.get(l.name) !== onnxName || (consumers.get(onnxName) ?? 0) !== 1) return undefined;
      return l;
    };
    const pads2d = (k: [number, number], x: number[], strides: [number, number]): [number, number, number, number] => {
      const autoPad = attrString(a, 'auto_pad', 'NOTSET');
      if (autoPad === 'NOTSET') {
        const p = attrInts(a, 'pads') ?? [0, 0, 0, 0];
        if (p.length !== 4 || p.some((v) => v < 0)) fail(at, `pads [${p.join(', ')}] must be 4 non-negative values`);
        return [p[0]!, p[1]!, p[2]!, p[3]!];
      }
      if (autoPad === 'VALID') return [0, 0, 0, 0];
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        const tot = [0, 1].map((d) => Math.max(0, (Math.ceil(x[d + 1]! / strides[d]!) - 1) * strides[d]! + k[d]! - x[d + 1]!));
        const small = tot.map((t) => Math.floor(t / 2));
        const big = tot.map((t, d) => t - small[d]!);
        return autoPad === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
      }
      fail(at, `auto_pad '${autoPad}' is not supported`);
    };
    const window = (
      x: Tensor,
      k: [number, number],
    ): { stride: [number, number]; padding: [number, number, number, number]; oh: number; ow: number } => {
      if (x.shape.length !== 3) fail(at, `needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
      const s = attrInts(a, 'strides') ?? [1, 1];
      const d = attrInts(a, 'dilations') ?? [1, 1];
      if (s.length !== 2 || d.length !== 2) fail(at, 'only 2-D (NCHW) windows are supported');
      if (d.some((v) => v !== 1)) fail(at, `dilations [${d.join(', ')}] are not supported (only 1)`);
      if (s.some((v) => v < 1)) fail(at, `strides [${s.join(', ')}] must be >= 1`);
      const stride: [number, number] = [s[0]!, s[1]!];
      const padding = pads2d(k, x.shape, stride);
      const oh = Math.floor((x.shape[1]! + padding[0] + padding[2] - k[0]) / stride[0]) + 1;
      const ow = Math.floor((x.shape[2]! + padding[1] + padding[3] - k[1]) / stride[1]) + 1;
      if (oh < 1 || ow < 1) fail(at, `window ${k.join('x')} larger than the padded input ${x.shape[1]}x${x.shape[2]}`);
      return { stride, padding, oh, ow };
    };

    switch (op) {
      case 'Constant': {
        const t = a.get('value');
        if (t?.t) values.set(outs[0]!, tensorData(t.t, at));
        else if (a.get('value_float')) values.set(outs[0]!, { kind: 'const', dims: [], data: Float64Array.of(attrFloat(a, 'value_float', 0)) });
        else if (a.get('value_int')) values.set(outs[0]!, { kind: 'const', dims: [], data: Float64Array.of(attrInt(a, 'value_int', 0)) });
        else if (a.get('value_ints')) {
          const v = attrInts(a, 'value_ints')!;
          values.set(outs[0]!, { kind: 'const', dims: [v.length], data: Float64Array.from(v) });
        } else fail(at, 'Constant without a supported value attribute (value, value_float, value_int, value_ints)');
        break;
      }
      case 'Identity':
      case 'Dropout':
        alias(get(0, 'X'));
        break;
      case 'Conv': {
        const x = tensorIn(0, 'X');
        const w = constIn(1, 'W');
        const b = optConst(2, 'B');
        if (w.dims.length !== 4) fail(at, `weight must be 4-D [O, I/groups, kh, kw], got [${w.dims.join(', ')}]`);
        const [o, ig, kh, kw] = w.dims as [number, number, number, number];
        const ks = attrInts(a, 'kernel_shape') ?? [kh, kw];
        if (ks[0] !== kh || ks[1] !== kw) fail(at, `kernel_shape [${ks.join(', ')}] does not match the weight [${w.dims.join(', ')}]`);
        const groups = attrInt(a, 'group', 1);
        const c = x.shape[0]!;
        if (x.shape.length !== 3) fail(at, `needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
        if (ig * groups !== c) fail(at, `weight expects ${ig * groups} input channels (${ig} x group ${groups}), the input has ${c}`);
        if (groups !== 1 && !(groups === c && o === c)) fail(at, `group ${groups} is not supported (only 1 or depthwise)`);
        if (b && numel(b.dims) !== o) fail(at, `bias has ${numel(b.dims)} values, expected ${o}`);
        const win = window(x, [kh, kw]);
        emit(
          {
            op: 'conv2d', name: '', input: x.layer, inChannels: c, outChannels: o, kernel: [kh, kw], stride: win.stride,
            padding: win.padding, groups, weight: Float64Array.from(w.data), bias: b ? Float64Array.from(b.data) : new Float64Array(o),
          },
          [o, win.oh, win.ow],
        );
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const x = tensorIn(0, 'A');
        const w = constIn(1, 'B');
        if (x.shape.length !== 1) fail(at, `needs a flat input [N] (add Flatten before it), got [${x.shape.join(', ')}]`);
        if (w.dims.length !== 2) fail(at, `weight must be 2-D, got [${w.dims.join(', ')}]`);
        const transA = op === 'Gemm' ? attrInt(a, 'transA', 0) : 0;
        const transB = op === 'Gemm' ? attrInt(a, 'transB', 0) : 0;
        if (transA !== 0) fail(at, 'transA = 1 is not supported');
        const alpha = op === 'Gemm' ? attrFloat(a, 'alpha', 1) : 1;
        const beta = op === 'Gemm' ? attrFloat(a, 'beta', 1) : 1;
        const [r, cdim] = w.dims as [number, number];
        const inF = transB ? cdim : r;
        const outF = transB ? r : cdim;
        if (inF !== x.shape[0]) fail(at, `weight expects ${inF} input features, the input has ${x.shape[0]}`);
        const weight = new Float64Array(outF * inF);
        for (let oi = 0; oi < outF; oi++) {
          for (let ii = 0; ii < inF; ii++) weight[oi * inF + ii] = alpha * (transB ? w.data[oi * inF + ii]! : w.data[ii * outF + oi]!);
        }
        const bias = new Float64Array(outF);
        const c = op === 'Gemm' ? optConst(2, 'C') : undefined;
        if (c) {
          const cn = numel(c.dims);
          if (cn !== outF && cn !== 1) fail(at, `bias C has ${cn} values, expected ${outF}`);
          for (let oi = 0; oi < outF; oi++) bias[oi] = beta * c.data[cn === 1 ? 0 : oi]!;
        }
        emit({ op: 'linear', name: '', input: x.layer, inFeatures: inF, outFeatures: outF, weight, bias }, [outF]);
        break;
      }
      case 'BatchNormalization': {
        const x = tensorIn(0, 'X');
        const [scale, beta, mean, variance] = [1, 2, 3, 4].map((i, k) => constIn(i, ['scale', 'B', 'mean', 'var'][k]!));
        if (outs.length > 1 && outs.slice(1).some((o) => o)) fail(at, 'training-mode BatchNormalization (extra outputs) is not supported: export in eval mode');
        if (attrInt(a, 'training_mode', 0) !== 0) fail(at, 'training_mode = 1 is not supported: export in eval mode');
        const eps = attrFloat(a, 'epsilon', 1e-5);
        const target = foldTarget(x, ins[0]!);
        if (!target || (target.op !== 'conv2d' && target.op !== 'linear')) {
          fail(at, 'BatchNormalization must directly follow a Conv/Gemm/MatMul whose output it alone reads (it is folded into it)');
        }
        const ch = target.op === 'conv2d' ? target.outChannels : target.outFeatures;
        for (const [nm, t] of [['scale', scale], ['B', beta], ['mean', mean], ['var', variance]] as const) {
          if (numel(t.dims) !== ch) fail(at, `${nm} has ${numel(t.dims)} values, expected ${ch} (one per channel)`);
        }
        const per = target.weight.length / ch;
        const wNew = Float64Array.from(target.weight);
        const bNew = Float64Array.from(target.bias);
        const stats: ChannelStats = { mean: [], std: [] };
        for (let k = 0; k < ch; k++) {
          if (variance.data[k]! + eps <= 0) fail(at, `var[${k}] + epsilon = ${variance.data[k]! + eps} must be positive`);
          const g = scale.data[k]! / Math.sqrt(variance.data[k]! + eps);
          for (let j = 0; j < per; j++) wNew[k * per + j] = wNew[k * per + j]! * g;
          bNew[k] = (bNew[k]! - mean.data[k]!) * g + beta.data[k]!;
          stats.mean.push(beta.data[k]!);
          stats.std.push(Math.abs(scale.data[k]!));
        }
        target.weight = wNew;
        target.bias = bNew;
        bnStats.set(target.name, stats);
        origin.set(target.name, `${origin.get(target.name)} + ${nodeName}`);
        alias(x);
        break;
      }
      case 'Relu':
        {
          const x = tensorIn(0, 'X');
          emit({ op: 'relu', name: '', input: x.layer }, [...x.shape]);
        }
        break;
      case 'Clip': {
        const x = tensorIn(0, 'input');
        let lo: number;
        let hi: number;
        if (opset < 11 && (a.has('min') || a.has('max'))) {
          lo = attrFloat(a, 'min', -Infinity);
          hi = attrFloat(a, 'max', Infinity);
        } else {
          const cmin = optConst(1, 'min');
          const cmax = optConst(2, 'max');
          lo = cmin ? cmin.data[0]! : -Infinity;
          hi = cmax ? cmax.data[0]! : Infinity;
        }
        if (!(hi > 0) || lo > 0 || !(lo < hi)) fail(at, `Clip(${lo}, ${hi}) is not supported: need min <= 0 < max`);
        if (lo === 0) emit({ op: 'relu', name: '', input: x.layer }, [...x.shape]);
        else alias(x);
        const t = values.get(outs[0]!) as Tensor;
        if (Number.isFinite(hi)) rangeHints.set(t.layer, [lo === 0 ? 0 : Number.isFinite(lo) ? lo : -hi, hi]);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const x = tensorIn(0, 'X');
        const k = attrInts(a, 'kernel_shape');
        if (!k || k.length !== 2) fail(at, 'kernel_shape must have 2 values');
        if (attrInt(a, 'ceil_mode', 0) !== 0) fail(at, 'ceil_mode = 1 is not supported');
        if (op === 'MaxPool' && attrInt(a, 'storage_order', 0) !== 0) fail(at, 'storage_order = 1 is not supported');
        if (op === 'MaxPool' && outs.length > 1 && outs[1]) fail(at, 'the Indices output is not supported');
        const win = window(x, [k[0]!, k[1]!]);
        if (op === 'AveragePool' && attrInt(a, 'count_include_pad', 0) === 0 && win.padding.some((p) => p > 0)) {
          fail(at, 'padded AveragePool needs count_include_pad = 1 (the divisor is always kh*kw)');
        }
        emit(
          { op: op === 'MaxPool' ? 'maxpool' : 'avgpool', name: '', input: x.layer, kernel: [k[0]!, k[1]!], stride: win.stride, padding: win.padding },
          [x.shape[0]!, win.oh, win.ow],
        );
        break;
      }
      case 'GlobalAveragePool': {
        const x = tensorIn(0, 'X');
        if (x.shape.length !== 3) fail(at, `needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
        emit({ op: 'globalavgpool', name: '', input: x.layer }, [x.shape[0]!, 1, 1]);
        break;
      }
      case 'Add': {
        const va = get(0, 'A');
        const vb = get(1, 'B');
        if (va.kind === 'tensor' && vb.kind === 'tensor') {
          if (va.shape.join(',') !== vb.shape.join(',')) {
            fail(at, `shapes differ: [${va.shape.join(', ')}] vs [${vb.shape.join(', ')}] (broadcasting is not supported)`);
          }
          emit({ op: 'add', name: '', inputs: [va.layer, vb.layer] }, [...va.shape]);
          break;
        }
        // tensor + constant: a bias, folded into the conv / linear that solely produces the tensor
        const x = va.kind === 'tensor' ? va : (vb as Tensor);
        const c = va.kind === 'const' ? va : (vb as Const);
        if (x.kind !== 'tensor') fail(at, 'adds two constants; fold constants before export');
        const target = foldTarget(x, va.kind === 'tensor' ? ins[0]! : ins[1]!);
        if (!target || (target.op !== 'conv2d' && target.op !== 'linear')) {
          fail(at, 'adding a constant is only supported as the bias of the Conv/Gemm/MatMul right before it');
        }
        const ch = target.op === 'conv2d' ? target.outChannels : target.outFeatures;
        const cn = numel(c.dims);
        if (cn !== ch && cn !== 1) fail(at, `constant has ${cn} values, expected ${ch} (one per channel)`);
        const bNew = Float64Array.from(target.bias);
        for (let k = 0; k < ch; k++) bNew[k] = bNew[k]! + c.data[cn === 1 ? 0 : k]!;
        target.bias = bNew;
        origin.set(target.name, `${origin.get(target.name)} + ${nodeName}`);
        alias(x);
        break;
      }
      // shape arithmetic on constants, as exporters emit for x.view(x.size(0), -1): folded at import time
      case 'Shape': {
        const v = get(0, 'data');
        const dimsOf = v.kind === 'tensor' ? [1, ...v.shape] : v.dims;
        values.set(outs[0]!, { kind: 'const', dims: [dimsOf.length], data: Float64Array.from(dimsOf) });
        break;
      }
      case 'Cast': {
        const v = get(0, 'input');
        const to = attrInt(a, 'to', DT.FLOAT);
        if (v.kind === 'tensor' && to !== DT.FLOAT && to !== DT.DOUBLE) fail(at, `cast of a computed tensor to type ${to} is not supported`);
        const integer = to === DT.INT32 || to === DT.INT64;
        alias(v.kind === 'const' && integer ? { ...v, data: v.data.map(Math.trunc) } : v);
        break;
      }
      case 'Gather': {
        const d = constIn(0, 'data');
        const ix = constIn(1, 'indices');
        if (attrInt(a, 'axis', 0) !== 0 || d.dims.length !== 1) fail(at, 'only Gather of a 1-D constant along axis 0 is supported');
        const n = d.data.length;
        const data = ix.data.map((i) => {
          const k = i < 0 ? i + n : i;
          if (k < 0 || k >= n) fail(at, `index ${i} out of range for ${n} values`);
          return d.data[k]!;
        });
        values.set(outs[0]!, { kind: 'const', dims: ix.dims, data });
        break;
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const d = constIn(0, 'data');
        const axes = opset >= 13 ? (ins[1] ? Array.from(constIn(1, 'axes').data) : []) : (attrInts(a, 'axes') ?? []);
        let dimsNew: number[];
        if (op === 'Unsqueeze') {
          const rank = d.dims.length + axes.length;
          const norm = axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q);
          dimsNew = [...d.dims];
          for (const x of norm) dimsNew.splice(x, 0, 1);
        } else {
          const norm = new Set(axes.map((x) => (x < 0 ? x + d.dims.length : x)));
          dimsNew = d.dims.filter((v, i) => (norm.size ? !norm.has(i) : v !== 1));
        }
        values.set(outs[0]!, { kind: 'const', dims: dimsNew, data: d.data });
        break;
      }
      case 'Concat': {
        const parts = ins.map((_, i) => constIn(i, `input ${i}`));
        if (parts.some((p) => p.dims.length > 1)) fail(at, 'only Concat of 1-D constants is supported');
        const data = Float64Array.from(parts.flatMap((p) => Array.from(p.data)));
        values.set(outs[0]!, { kind: 'const', dims: [data.length], data });
        break;
      }
      case 'Flatten': {
        const x = tensorIn(0, 'input');
        const axis = attrInt(a, 'axis', 1);
        if (axis !== 1) fail(at, `axis ${axis} is not supported (only 1: keep the batch)`);
        if (x.shape.length === 1) alias(x);
        else emit({ op: 'flatten', name: '', input: x.layer }, [numel(x.shape)]);
        break;
      }
      case 'Reshape': {
        const x = tensorIn(0, 'data');
        const s = constIn(1, 'shape');
        const target = Array.from(s.data);
        const n = numel(x.shape);
        const flatTo = target.length === 2 && (target[0] === 1 || target[0] === -1 || target[0] === 0) && (target[1] === n || target[1] === -1);
        const flat1 = target.length === 1 && (target[0] === n || target[0] === -1);
        if (flatTo || flat1) {
          if (x.shape.length === 1) alias(x);
          else emit({ op: 'flatten', name: '', input: x.layer }, [n]);
        } else if (target.length === x.shape.length + 1 && target.slice(1).every((d, i) => d === x.shape[i] || d === 0)) {
          alias(x);
        } else {
          fail(at, `reshape of [${x.shape.join(', ')}] to [${target.join(', ')}] is not supported (only flatten to [1, ${n}])`);
        }
        break;
      }
      default:
        fail(at, `unsupported op type '${op}': supported are Conv, Gemm, MatMul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, Add, Flatten, Reshape, BatchNormalization, Identity, Dropout, Constant (and Shape/Gather/Unsqueeze/Squeeze/Concat/Cast on constants)`);
    }
  });

  const gOut = (graph.output ?? [])[0];
  if (!gOut?.name) fail(`${file}: graph.output`, 'the graph has no output');
  const outV = values.get(gOut.name);
  if (!outV || outV.kind !== 'tensor') fail(`${file}: graph.output`, `output '${gOut.name}' is not computed by the graph: file truncated or malformed`);
  if (layers.length === 0) fail(file, 'the graph computes nothing');
  const model: FloatModel = {
    // the file's name: exporters' graph names are often generic ("torch_jit", "main_graph")
    name: basename(file).replace(/\.onnx$/i, '') || graph.name || undefined,
    input: { name: inputName, shape },
    layers,
    output: outV.layer,
  };
  return { model, rangeHints, bnStats, origin, opset, producer: `${proto.producerName ?? ''} ${proto.producerVersion ?? ''}`.trim() };
}
