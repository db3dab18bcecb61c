/**
 * Constant folding for the transformer importer: elementwise arithmetic with numpy broadcasting on constants (the
 * shape arithmetic exporters emit: Shape → Gather → Add/Div/Mul → Slice, ConstantOfShape / Equal / Where / Expand).
 */
import { fail } from '../../util/errors.js';
import { numel } from '../model.js';
import type { Const } from '../onnx.js';
import { strides } from './refs.js';

export function broadcastDims(at: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) fail(at, `shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index map: for each element of `to`, the flat index into a tensor of dims `from` broadcast to `to`. */
export function broadcastIndex(from: readonly number[], to: readonly number[]): Int32Array {
  const n = numel(to);
  const st = strides(from);
  const lead = to.length - from.length;
  const out = new Int32Array(n);
  const idx = new Array<number>(to.length).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < from.length; d++) if (from[d] !== 1) k += idx[d + lead]! * st[d]!;
    out[i] = k;
    for (let d = to.length - 1; d >= 0; d--) {
      if (++idx[d]! < to[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The constant broadcast to `dims` (a fresh array). */
export function expandTo(at: string, c: Const, dims: readonly number[]): Float64Array {
  broadcastDims(at, c.dims, dims);
  const ix = broadcastIndex(c.dims, dims);
  return Float64Array.from(ix, (k) => c.data[k]!);
}

const BIN: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
  Pow: (x, y) => x ** y,
  Equal: (x, y) => (x === y ? 1 : 0),
  Less: (x, y) => (x < y ? 1 : 0),
  Greater: (x, y) => (x > y ? 1 : 0),
};
const UN: Record<string, (x: number) => number> = { Sqrt: Math.sqrt, Neg: (x) => -x, Floor: Math.floor, Ceil: Math.ceil };

export const FOLDABLE_BINARY = new Set(Object.keys(BIN));
export const FOLDABLE_UNARY = new Set(Object.keys(UN));

/** Fold a binary op on two constants; integer division for integer shape arithmetic is the caller's (Cast) business. */
export function foldBinary(at: string, op: string, a: Const, b: Const, integer: boolean): Const {
  const dims = broadcastDims(at, a.dims, b.dims);
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  const f = BIN[op]!;
  const data = new Float64Array(numel(dims));
  for (let i = 0; i < data.length; i++) {
    const v = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
    data[i] = integer && op === 'Div' ? Math.trunc(v) : v;
  }
  return { kind: 'const', dims, data };
}

export function foldUnary(op: string, a: Const): Const {
  return { kind: 'const', dims: [...a.dims], data: a.data.map(UN[op]!) };
}

export function whereConst(at: string, c: Const, x: Const, y: Const): Const {
  const dims = broadcastDims(at, broadcastDims(at, c.dims, x.dims), y.dims);
  const [ic, ix, iy] = [c, x, y].map((t) => broadcastIndex(t.dims, dims)) as [Int32Array, Int32Array, Int32Array];
  const data = new Float64Array(numel(dims));
  for (let i = 0; i < data.length; i++) data[i] = c.data[ic[i]!] ? x.data[ix[i]!]! : y.data[iy[i]!]!;
  return { kind: 'const', dims, data };
}
