/**
 * The transformer importer's state and its two services to the op handlers: `emit` a FloatModel layer (a new IR
 * tensor) and `materialize` references into a given IR layout (one `gather` layer when they do not have it).
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import { fail } from '../../util/errors.js';
import { numel, type FloatLayer } from '../model.js';
import { cleanName, type Const } from '../onnx.js';
import { constRefs, identityRefs, isBijection, rowsOf, soleTensor, type Refs } from './refs.js';

/** Half-recognized decomposed LayerNorm / GELU (see onnx-vit-math.ts). */
export interface Partial {
  kind: 'partial';
  what: 'mean' | 'centered' | 'sq' | 'var' | 'vareps' | 'std' | 'erf' | 'gelu';
  x: Refs;
  eps?: number;
  factor?: number;
  haveX?: boolean;
}

export type Val = Const | Refs | Partial;

export interface IrTensor {
  name: string;
  shape: number[];
  /** the layer writing it (undefined for the model input) */
  layer?: FloatLayer;
  /** the ONNX value it was created as (folding a bias needs that value's sole consumer) */
  onnx?: string;
}

export class VitImport {
  readonly values = new Map<string, Val>();
  readonly tensors: IrTensor[] = [];
  readonly layers: FloatLayer[] = [];
  readonly origin = new Map<string, string>();
  readonly consumers = new Map<string, number>();
  private readonly used = new Set<string>();

  constructor(readonly opset: number) {}

  addInput(name: string, shape: number[]): number {
    this.used.add(name);
    this.tensors.push({ name, shape });
    return this.tensors.length - 1;
  }

  /** Add a layer producing a new IR tensor of `shape`; returns its tensor index. */
  emit(layer: FloatLayer, shape: number[], nodeName: string, onnxName?: string): number {
    let nm = cleanName(nodeName);
    for (let k = 2; this.used.has(nm); k++) nm = `${cleanName(nodeName)}_${k}`;
    this.used.add(nm);
    layer.name = nm;
    this.layers.push(layer);
    this.origin.set(nm, nodeName);
    this.tensors.push({ name: nm, shape, layer, onnx: onnxName });
    return this.tensors.length - 1;
  }

  plane(tid: number): number {
    const s = this.tensors[tid]!.shape;
    return s.length === 3 ? s[1]! * s[2]! : 1;
  }

  /** References that are exactly one IR tensor (every element once, no constants, mul 1), or undefined. */
  plainTensor(r: Refs): number | undefined {
    const t = soleTensor(r);
    if (t === undefined || r.mul !== 1) return undefined;
    return isBijection(r, numel(this.tensors[t]!.shape)) ? t : undefined;
  }

  /**
   * A gather layer holding the values of `r` in IR layout: element i of `r` goes to IR offset `dest[i]` of a new
   * tensor of shape `shape`. Returns the new tensor index.
   */
  materialize(r: Refs, shape: number[], dest: ArrayLike<number>, nodeName: string): number {
    const n = numel(shape);
    if (dest.length !== r.off.length || n !== r.off.length) fail(nodeName, 'internal: re-layout of a partial tensor');
    const names: string[] = [];
    const index = new Map<number, number>();
    const src = new Int32Array(n).fill(-1);
    const off = new Int32Array(n);
    const consts = new Float64Array(n);
    for (let i = 0; i < r.off.length; i++) {
      const d = dest[i]!;
      const t = r.tid[i]!;
      if (t < 0) {
        consts[d] = r.cval![i]!;
        continue;
      }
      let k = index.get(t);
      if (k === undefined) {
        k = names.length;
        names.push(this.tensors[t]!.name);
        index.set(t, k);
      }
      src[d] = k;
      off[d] = r.off[i]!;
    }
    return this.emit({ op: 'gather', name: '', inputs: names, shape, src, off, consts, mul: r.mul }, shape, `${nodeName}_gather`);
  }

  /** `r` as a token tensor [L, 1, rows] (last ONNX axis = channels): the references onto it (identity on rows). */
  tokens(r: Refs, nodeName: string): { tid: number; refs: Refs } {
    const L = r.dims[r.dims.length - 1] ?? 1;
    const rows = r.off.length / L;
    const dest = new Int32Array(r.off.length);
    for (let m = 0; m < rows; m++) for (let k = 0; k < L; k++) dest[m * L + k] = k * rows + m;
    const tid = this.materialize(r, [L, 1, rows], dest, nodeName);
    const refs = identityRefs(tid, r.dims);
    refs.off = dest;
    return { tid, refs };
  }

  /** References `r` as rows of whole channel sets of one tensor at distinct positions, channel = perm[k] per row. */
  channelRows(r: Refs): { tid: number; pos: Int32Array; perm: Int32Array } | undefined {
    const t = soleTensor(r);
    if (t === undefined || r.mul !== 1) return undefined;
    const shape = this.tensors[t]!.shape;
    if (shape.length !== 3) return undefined;
    const P = shape[1]! * shape[2]!;
    const v = rowsOf(r, P);
    if (!v || v.L !== shape[0] || v.rows !== P) return undefined;
    const seen = new Uint8Array(P);
    for (let m = 0; m < v.rows; m++) {
      if (seen[v.pos[m]!]) return undefined;
      seen[v.pos[m]!] = 1;
      for (let k = 0; k < v.L; k++) if (v.ch[m * v.L + k] !== v.ch[k]) return undefined;
    }
    return { tid: t, pos: v.pos, perm: v.ch.slice(0, v.L) };
  }

  /** A constant or references (a Partial is an unfinished pattern here). */
  refsOrConst(v: Val, at: string): Const | Refs {
    return v.kind === 'const' ? v : this.refsOf(v, at);
  }

  /** Refs or constant references of an input value; a Partial is an unfinished LayerNorm/GELU pattern here. */
  refsOf(v: Val, at: string): Refs {
    if (v.kind === 'const') return constRefs(v.dims, v.data);
    if (v.kind === 'partial') fail(at, `reads an unfinished ${v.what === 'erf' || v.what === 'gelu' ? 'GELU' : 'LayerNorm'} pattern (only the exported Erf GELU and ReduceMean/Sub/Pow/Sqrt/Div LayerNorm are recognized)`);
    return v;
  }
}

export type Handler = (ctx: VitImport, node: OnnxNs.INodeProto, h: NodeHelp) => void;

export interface NodeHelp {
  at: string;
  name: string;
  a: Map<string, OnnxNs.IAttributeProto>;
  get(i: number, what: string): Val;
  has(i: number): boolean;
  constIn(i: number, what: string): Const;
  out(v: Val, i?: number): void;
  outName(i?: number): string;
}
