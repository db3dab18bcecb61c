/**
 * ONNX protobuf decoding shared by the importers (onnx.ts, onnx/*.ts, vit/onnx-*.ts): the generated `onnx` namespace,
 * TensorProto → float64 constants, attribute readers, layer-name cleaning and the file decoder.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { fail } from '../../util/errors.js';
import { numel, type FloatModel } from '../model.js';

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
export interface Tensor {
  kind: 'tensor';
  /** the FloatModel tensor (layer or input) holding this value */
  layer: string;
  /** [C, H, W] or [N] */
  shape: number[];
}
export type Value = Const | Tensor;

export const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11, FLOAT16: 10 } as const;

/** The data types tensorData reads: bytes per value in raw_data, the raw reader, the typed field (and its name). */
const DECODERS: Record<number, {
  bytes: number;
  raw: (v: DataView, at: number) => number;
  list: (t: OnnxNs.ITensorProto) => ArrayLike<LongLike> | null | undefined;
  field: string;
}> = {
  [DT.FLOAT]: { bytes: 4, raw: (v, at) => v.getFloat32(at, true), list: (t) => t.floatData, field: 'float_data' },
  [DT.DOUBLE]: { bytes: 8, raw: (v, at) => v.getFloat64(at, true), list: (t) => t.doubleData, field: 'double_data' },
  [DT.INT64]: { bytes: 8, raw: (v, at) => Number(v.getBigInt64(at, true)), list: (t) => t.int64Data, field: 'int64_data' },
  [DT.INT32]: { bytes: 4, raw: (v, at) => v.getInt32(at, true), list: (t) => t.int32Data, field: 'int32_data' },
};

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
  const dec = DECODERS[dt];
  if (!dec) fail(what, `tensor data type ${onnx.TensorProto.DataType[dt] ?? dt} is not supported (use float32)`);
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (view.byteLength !== n * dec.bytes) {
      fail(what, `raw data has ${view.byteLength} bytes, dims [${dims.join(', ')}] need ${n * dec.bytes}: file truncated or corrupt`);
    }
    for (let i = 0; i < n; i++) out[i] = dec.raw(view, i * dec.bytes);
  } else {
    const l = dec.list(t) ?? [];
    if (l.length !== n) fail(what, `${dec.field} has ${l.length} values, dims [${dims.join(', ')}] need ${n}`);
    for (let i = 0; i < n; i++) out[i] = num(l[i]);
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
export function attrString(a: Map<string, OnnxNs.IAttributeProto>, key: string, dflt: string): string {
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

