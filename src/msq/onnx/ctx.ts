/**
 * The CNN importer's state (ImportCtx: ONNX values, emitted layers, range hints, BN statistics, naming) and the
 * per-node view an op handler works through (NodeCtx: typed inputs, emit/alias of the output, fold target, window
 * geometry, one-line errors naming the node). A handler is `(n: NodeCtx) => void`, registered in onnx/handlers.ts.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { fail } from '../../util/errors.js';
import type { FloatLayer } from '../model.js';
import { attrInts, attrString, attrs, cleanName, type ChannelStats, type Const, type Tensor, type Value } from './proto.js';

export type Handler = (n: NodeCtx) => void;

/** The whole-graph state of one import. */
export class ImportCtx {
  /** ONNX value name → constant or graph tensor */
  readonly values = new Map<string, Value>();
  readonly layers: FloatLayer[] = [];
  readonly byName = new Map<string, FloatLayer>();
  readonly used = new Set<string>();
  readonly rangeHints = new Map<string, [number, number]>();
  readonly bnStats = new Map<string, ChannelStats>();
  readonly origin = new Map<string, string>();
  /** how many nodes read each ONNX tensor (folding BN / bias needs a sole consumer) */
  readonly consumers = new Map<string, number>();
  /** layer name → the ONNX tensor it was last written as (to check sole consumers) */
  readonly lastOnnxOf = new Map<string, string>();

  constructor(readonly opset: number) {}
}

/** One node under import: its attributes, typed inputs and the ways to define its output. */
export class NodeCtx {
  readonly op: string;
  readonly name: string;
  /** `node 'name' (Op)`: the subject of every error about this node */
  readonly at: string;
  readonly a: Map<string, OnnxNs.IAttributeProto>;
  readonly ins: string[];
  readonly outs: string[];

  constructor(
    readonly ctx: ImportCtx,
    node: OnnxNs.INodeProto,
    idx: number,
  ) {
    this.op = node.opType ?? '';
    this.name = node.name || `${this.op}_${idx}`;
    this.at = `node '${this.name}' (${this.op})`;
    this.a = attrs(node);
    this.ins = (node.input ?? []).map((n) => n);
    this.outs = node.output ?? [];
    if (this.outs.length === 0 || !this.outs[0]) fail(this.at, 'has no output');
  }

  get opset(): number {
    return this.ctx.opset;
  }

  /** A one-line error about this node. */
  fail(msg: string): never {
    fail(this.at, msg);
  }

  get(i: number, what: string): Value {
    const nm = this.ins[i];
    if (!nm) this.fail(`missing input ${i} (${what})`);
    const v = this.ctx.values.get(nm);
    if (!v) this.fail(`input '${nm}' (${what}) is not produced by any earlier node: nodes out of order or file truncated`);
    return v;
  }

  tensorIn(i: number, what: string): Tensor {
    const v = this.get(i, what);
    if (v.kind !== 'tensor') this.fail(`input ${i} (${what}) must be a tensor computed by the graph, not a constant`);
    return v;
  }

  constIn(i: number, what: string): Const {
    const v = this.get(i, what);
    if (v.kind !== 'const') this.fail(`input ${i} (${what}) must be a constant initializer`);
    return v;
  }

  optConst(i: number, what: string): Const | undefined {
    return this.ins[i] ? this.constIn(i, what) : undefined;
  }

  /** Add `layer` (named after the node) as the node's output tensor of shape `outShape`. */
  emit(layer: FloatLayer, outShape: number[]): void {
    const c = this.ctx;
    let nm = cleanName(this.name);
    for (let k = 2; c.used.has(nm); k++) nm = `${cleanName(this.name)}_${k}`;
    c.used.add(nm);
    layer.name = nm;
    c.layers.push(layer);
    c.byName.set(nm, layer);
    c.origin.set(nm, this.name);
    c.values.set(this.outs[0]!, { kind: 'tensor', layer: nm, shape: outShape });
    c.lastOnnxOf.set(nm, this.outs[0]!);
  }

  /** The node's output is `v` itself (no layer). */
  alias(v: Value): void {
    this.ctx.values.set(this.outs[0]!, v);
    if (v.kind === 'tensor') this.ctx.lastOnnxOf.set(v.layer, this.outs[0]!);
  }

  /** The node's output is a constant (folded at import). */
  setConst(dims: number[], data: Float64Array): void {
    this.ctx.values.set(this.outs[0]!, { kind: 'const', dims, data });
  }

  /** The conv/linear layer that solely produces `x` (ONNX value `onnxName`), if any (to fold BN / bias into it). */
  foldTarget(x: Tensor, onnxName: string): FloatLayer | undefined {
    const l = this.ctx.byName.get(x.layer);
    if (!l || (l.op !== 'conv2d' && l.op !== 'linear')) return undefined;
    if (this.ctx.lastOnnxOf.get(l.name) !== onnxName || (this.ctx.consumers.get(onnxName) ?? 0) !== 1) return undefined;
    return l;
  }

  /** Record that `folded` (this node) was merged into layer `target`. */
  foldedInto(target: FloatLayer): void {
    this.ctx.origin.set(target.name, `${this.ctx.origin.get(target.name)} + ${this.name}`);
  }

  /** [top, left, bottom, right] padding from `pads` / `auto_pad` for kernel `k` over input [C, H, W] `x`. */
  pads2d(k: [number, number], x: number[], strides: [number, number]): [number, number, number, number] {
    const autoPad = attrString(this.a, 'auto_pad', 'NOTSET');
    if (autoPad === 'NOTSET') {
      const p = attrInts(this.a, 'pads') ?? [0, 0, 0, 0];
      if (p.length !== 4 || p.some((v) => v < 0)) this.fail(`pads [${p.join(', ')}] must be 4 non-negative values`);
      return [p[0]!, p[1]!, p[2]!, p[3]!];
    }
    if (autoPad === 'VALID') return [0, 0, 0, 0];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const tot = [0, 1].map((d) => Math.max(0, (Math.ceil(x[d + 1]! / strides[d]!) - 1) * strides[d]! + k[d]! - x[d + 1]!));
      const small = tot.map((t) => Math.floor(t / 2));
      const big = tot.map((t, d) => t - small[d]!);
      return autoPad === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
    }
    this.fail(`auto_pad '${autoPad}' is not supported`);
  }

  /** Stride, padding and output size of a 2-D window `k` (Conv, pooling) over `x`. */
  window(x: Tensor, k: [number, number]): { stride: [number, number]; padding: [number, number, number, number]; oh: number; ow: number } {
    if (x.shape.length !== 3) this.fail(`needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
    const s = attrInts(this.a, 'strides') ?? [1, 1];
    const d = attrInts(this.a, 'dilations') ?? [1, 1];
    if (s.length !== 2 || d.length !== 2) this.fail('only 2-D (NCHW) windows are supported');
    if (d.some((v) => v !== 1)) this.fail(`dilations [${d.join(', ')}] are not supported (only 1)`);
    if (s.some((v) => v < 1)) this.fail(`strides [${s.join(', ')}] must be >= 1`);
    const stride: [number, number] = [s[0]!, s[1]!];
    const padding = this.pads2d(k, x.shape, stride);
    const oh = Math.floor((x.shape[1]! + padding[0] + padding[2] - k[0]) / stride[0]) + 1;
    const ow = Math.floor((x.shape[2]! + padding[1] + padding[3] - k[1]) / stride[1]) + 1;
    if (oh < 1 || ow < 1) this.fail(`window ${k.join('x')} larger than the padded input ${x.shape[1]}x${x.shape[2]}`);
    return { stride, padding, oh, ow };
  }
}
