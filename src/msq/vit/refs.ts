/**
 * Element references: how the transformer importer follows ONNX data movement without emitting layers.
 *
 * A computed ONNX value is held as an N-d array (its ONNX dims, batch included) of references: element i is
 * `mul * tensors[tid[i]][off[i]]` (an IR tensor of the FloatModel, in its [C, H, W] layout) or, where tid[i] = -1, the
 * constant cval[i]. Reshape, Transpose, Squeeze, Unsqueeze, Slice, Split, Gather with constant indices and Concat only
 * rearrange the references; a scalar Mul/Div only changes `mul`. An operator that computes (convolution, MatMul,
 * LayerNorm, Softmax, GELU, Add) asks the references for the IR layout it needs (`rowsOf`) and, when they do not have
 * it, the importer inserts one `gather` layer (materialize in onnx-vit.ts).
 *
 * IR layout of a token sequence [T, D]: a [D, 1, T] tensor (channels = features, width = tokens).
 */
import { fail } from '../../util/errors.js';
import { numel } from '../model.js';

export interface Refs {
  kind: 'refs';
  dims: number[];
  /** IR tensor index per element (into the importer's tensor table), -1 = constant */
  tid: Int32Array;
  off: Int32Array;
  /** constants where tid = -1 (zeros elsewhere); undefined when there are none */
  cval?: Float64Array;
  mul: number;
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** References onto a whole IR tensor in its own order, viewed with ONNX dims `dims`. */
export function identityRefs(tid: number, dims: number[]): Refs {
  const n = numel(dims);
  const off = new Int32Array(n);
  for (let i = 0; i < n; i++) off[i] = i;
  return { kind: 'refs', dims, tid: new Int32Array(n).fill(tid), off, mul: 1 };
}

/** A new Refs with the elements picked by `src` (indices into r). */
export function pick(r: Refs, dims: number[], src: ArrayLike<number>): Refs {
  const n = src.length;
  const tid = new Int32Array(n);
  const off = new Int32Array(n);
  const cval = r.cval ? new Float64Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    tid[i] = r.tid[k]!;
    off[i] = r.off[k]!;
    if (cval) cval[i] = r.cval![k]!;
  }
  return { kind: 'refs', dims, tid, off, cval, mul: r.mul };
}

export function reshapeDims(at: string, from: readonly number[], to: readonly number[]): number[] {
  const n = numel(from);
  const out = to.map((d, i) => (d === 0 ? from[i]! : d));
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1 || out.some((d) => d < -1)) fail(at, `reshape target [${to.join(', ')}] is invalid`);
  if (neg === 1) {
    const rest = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    out[out.indexOf(-1)] = rest ? n / rest : 0;
  }
  if (numel(out) !== n || out.some((d) => !Number.isInteger(d))) fail(at, `reshape of [${from.join(', ')}] to [${to.join(', ')}]: element counts differ`);
  return out;
}

export function transpose(r: Refs, perm: readonly number[]): Refs {
  const dims = perm.map((p) => r.dims[p]!);
  const st = strides(r.dims);
  const n = numel(dims);
  const src = new Int32Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < dims.length; d++) k += idx[d]! * st[perm[d]!]!;
    src[i] = k;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++idx[d]! < dims[d]!) break;
      idx[d] = 0;
    }
  }
  return pick(r, dims, src);
}

/** Elements with index in [start, end) step `step` along `axis`. */
export function sliceAxis(r: Refs, axis: number, start: number, end: number, step: number): Refs {
  const keep: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) keep.push(i);
  return selectAxis(r, axis, keep);
}

export function selectAxis(r: Refs, axis: number, keep: readonly number[]): Refs {
  const dims = [...r.dims];
  dims[axis] = keep.length;
  const outer = numel(r.dims.slice(0, axis));
  const inner = numel(r.dims.slice(axis + 1));
  const src = new Int32Array(numel(dims));
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of keep) for (let b = 0; b < inner; b++) src[o++] = (a * r.dims[axis]! + k) * inner + b;
  }
  return pick(r, dims, src);
}

/** Concatenation along `axis` (all parts are Refs with one mul; constants become tid -1 elements). */
export function concatAxis(parts: Refs[], axis: number): Refs {
  const dims = [...parts[0]!.dims];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  const outer = numel(dims.slice(0, axis));
  const inner = numel(dims.slice(axis + 1));
  const n = numel(dims);
  const tid = new Int32Array(n);
  const off = new Int32Array(n);
  const anyConst = parts.some((p) => p.cval);
  const cval = anyConst ? new Float64Array(n) : undefined;
  const mul = parts.find((p) => p.tid.some((t) => t >= 0))?.mul ?? 1;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const len = p.dims[axis]! * inner;
      for (let j = 0; j < len; j++, o++) {
        const k = a * len + j;
        tid[o] = p.tid[k]!;
        off[o] = p.off[k]!;
        if (cval && p.cval) cval[o] = p.cval[k]!;
      }
    }
  }
  return { kind: 'refs', dims, tid, off, cval, mul };
}

/** Constant data as references (all tid -1). */
export function constRefs(dims: number[], data: Float64Array): Refs {
  const n = numel(dims);
  return { kind: 'refs', dims, tid: new Int32Array(n).fill(-1), off: new Int32Array(n), cval: Float64Array.from(data), mul: 1 };
}

/** The one IR tensor all elements reference, or undefined (mixed tensors or constants). */
export function soleTensor(r: Refs): number | undefined {
  const t = r.tid[0]!;
  if (t < 0) return undefined;
  for (let i = 1; i < r.tid.length; i++) if (r.tid[i] !== t) return undefined;
  return t;
}

/** True when the references cover every element of a tensor of `size` elements exactly once. */
export function isBijection(r: Refs, size: number): boolean {
  if (r.off.length !== size) return false;
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const o = r.off[i]!;
    if (o < 0 || o >= size || seen[o]) return false;
    seen[o] = 1;
  }
  return true;
}

/**
 * Rows view: the last ONNX axis (length L) as channels, everything before it as positions. For a tensor of IR shape
 * [C, H, W] (plane P) returns per row its position and per (row, k) its channel, if every reference of the row lies
 * at one position; undefined otherwise.
 */
export function rowsOf(r: Refs, plane: number): { rows: number; L: number; pos: Int32Array; ch: Int32Array } | undefined {
  const L = r.dims[r.dims.length - 1] ?? 1;
  const rows = r.off.length / L;
  const pos = new Int32Array(rows);
  const ch = new Int32Array(r.off.length);
  for (let m = 0; m < rows; m++) {
    const p = r.off[m * L]! % plane;
    pos[m] = p;
    for (let k = 0; k < L; k++) {
      const o = r.off[m * L + k]!;
      if (o % plane !== p) return undefined;
      ch[m * L + k] = (o - p) / plane;
    }
  }
  return { rows, L, pos, ch };
}
