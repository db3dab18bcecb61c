/**
 * Transformer importer handlers that move data or fold constants: no layer is emitted, references are rearranged
 * (refs.ts). Constants go through the same code as constant references.
 */
import { fail } from '../../util/errors.js';
import { numel } from '../model.js';
import { attrFloat, attrInt, attrInts, tensorData, type Const } from '../onnx.js';
import type { Handler, NodeHelp, Val, VitImport } from './onnx-ctx.js';
import { FOLDABLE_UNARY, expandTo, foldUnary, whereConst } from './onnx-const.js';
import { concatAxis, reshapeDims, selectAxis, sliceAxis, transpose, type Refs } from './refs.js';

/** Back to a Const when no element references a tensor. */
function settle(r: Refs): Val {
  if (r.tid.every((t) => t < 0)) return { kind: 'const', dims: r.dims, data: Float64Array.from(r.cval ?? new Float64Array(r.tid.length)) };
  return r;
}

const axisOf = (at: string, ax: number, rank: number): number => {
  const a = ax < 0 ? ax + rank : ax;
  if (a < 0 || a >= rank) fail(at, `axis ${ax} out of range for rank ${rank}`);
  return a;
};

function dimsOfVal(v: Val, at: string): number[] {
  if (v.kind === 'partial') fail(at, 'shape of an unfinished LayerNorm/GELU pattern');
  return v.dims;
}

function axesInput(h: NodeHelp, ctx: VitImport, i: number, attr: string): number[] | undefined {
  if (ctx.opset >= 13 && h.has(i)) return Array.from(h.constIn(i, 'axes').data);
  return attrInts(h.a, attr);
}

const withDims = (ctx: VitImport, v: Val, dims: number[], at: string): Val => {
  if (v.kind === 'const') return { kind: 'const', dims, data: v.data };
  const r = ctx.refsOf(v, at);
  return { ...r, dims };
};

export const MOVE_HANDLERS: Record<string, Handler> = {
  Constant: (_c, _n, h) => {
    const t = h.a.get('value');
    if (t?.t) h.out(tensorData(t.t, h.at));
    else if (h.a.get('value_float')) h.out({ kind: 'const', dims: [], data: Float64Array.of(attrFloat(h.a, 'value_float', 0)) });
    else if (h.a.get('value_int')) h.out({ kind: 'const', dims: [], data: Float64Array.of(attrInt(h.a, 'value_int', 0)) });
    else if (h.a.get('value_ints')) {
      const v = attrInts(h.a, 'value_ints')!;
      h.out({ kind: 'const', dims: [v.length], data: Float64Array.from(v) });
    } else fail(h.at, 'Constant without a supported value attribute (value, value_float, value_int, value_ints)');
  },
  Identity: (_c, _n, h) => h.out(h.get(0, 'input')),
  Dropout: (_c, _n, h) => h.out(h.get(0, 'data')),
  Cast: (_c, _n, h) => {
    const v = h.get(0, 'input');
    const to = attrInt(h.a, 'to', 1);
    h.out(v.kind === 'const' && (to === 6 || to === 7) ? { ...v, data: v.data.map(Math.trunc) } : v);
  },
  Shape: (_c, _n, h) => {
    const d = dimsOfVal(h.get(0, 'data'), h.at);
    h.out({ kind: 'const', dims: [d.length], data: Float64Array.from(d) });
  },
  ConstantOfShape: (_c, _n, h) => {
    const s = Array.from(h.constIn(0, 'input').data);
    const t = h.a.get('value')?.t;
    const fill = t ? tensorData(t, h.at).data[0]! : 0;
    h.out({ kind: 'const', dims: s, data: new Float64Array(numel(s)).fill(fill) });
  },
  Expand: (ctx, _n, h) => {
    const v = h.get(0, 'input');
    const s = Array.from(h.constIn(1, 'shape').data);
    if (v.kind !== 'const') {
      const r = ctx.refsOf(v, h.at);
      if (s.every((d) => d === 1) || numel(s) === 1) return h.out(r);
      fail(h.at, 'Expand of a computed tensor is not supported');
    }
    const target = s.length >= v.dims.length ? s.map((d, i) => (d === 1 ? (v.dims[v.dims.length - s.length + i] ?? 1) : d)) : s;
    const dims = target.map((d, i) => Math.max(d, v.dims[v.dims.length - target.length + i] ?? 1));
    h.out({ kind: 'const', dims, data: expandTo(h.at, v, dims) });
  },
  Where: (_c, _n, h) => h.out(whereConst(h.at, h.constIn(0, 'condition'), h.constIn(1, 'X'), h.constIn(2, 'Y'))),
  Reshape: (ctx, _n, h) => {
    const v = h.get(0, 'data');
    const dims = reshapeDims(h.at, dimsOfVal(v, h.at), Array.from(h.constIn(1, 'shape').data));
    h.out(withDims(ctx, v, dims, h.at));
  },
  Flatten: (ctx, _n, h) => {
    const v = h.get(0, 'input');
    const d = dimsOfVal(v, h.at);
    const ax = axisOf(h.at, attrInt(h.a, 'axis', 1), d.length + 1);
    h.out(withDims(ctx, v, [numel(d.slice(0, ax)), numel(d.slice(ax))], h.at));
  },
  Unsqueeze: (ctx, _n, h) => {
    const v = h.get(0, 'data');
    const d = dimsOfVal(v, h.at);
    const axes = axesInput(h, ctx, 1, 'axes') ?? [];
    const rank = d.length + axes.length;
    const dims = [...d];
    for (const x of axes.map((x) => (x < 0 ? x + rank : x)).sort((p, q) => p - q)) dims.splice(x, 0, 1);
    h.out(withDims(ctx, v, dims, h.at));
  },
  Squeeze: (ctx, _n, h) => {
    const v = h.get(0, 'data');
    const d = dimsOfVal(v, h.at);
    const axes = new Set((axesInput(h, ctx, 1, 'axes') ?? []).map((x) => (x < 0 ? x + d.length : x)));
    h.out(withDims(ctx, v, d.filter((n, i) => (axes.size ? !axes.has(i) : n !== 1)), h.at));
  },
  Transpose: (ctx, _n, h) => {
    const r = ctx.refsOf(h.get(0, 'data'), h.at);
    const perm = attrInts(h.a, 'perm') ?? r.dims.map((_, i) => r.dims.length - 1 - i);
    h.out(settle(transpose(r, perm)));
  },
  Gather: (ctx, _n, h) => {
    const r = ctx.refsOf(h.get(0, 'data'), h.at);
    const ix = h.constIn(1, 'indices');
    const ax = axisOf(h.at, attrInt(h.a, 'axis', 0), r.dims.length);
    const n = r.dims[ax]!;
    const keep = Array.from(ix.data, (i) => {
      const k = i < 0 ? i + n : i;
      if (k < 0 || k >= n) fail(h.at, `index ${i} out of range for ${n} values`);
      return k;
    });
    const sel = selectAxis(r, ax, keep);
    const dims = [...r.dims.slice(0, ax), ...ix.dims, ...r.dims.slice(ax + 1)];
    h.out(settle({ ...sel, dims }));
  },
  Slice: (ctx, _n, h) => {
    let r = ctx.refsOf(h.get(0, 'data'), h.at);
    const starts = ctx.opset >= 10 ? Array.from(h.constIn(1, 'starts').data) : attrInts(h.a, 'starts')!;
    const ends = ctx.opset >= 10 ? Array.from(h.constIn(2, 'ends').data) : attrInts(h.a, 'ends')!;
    const axes = ctx.opset >= 10 && h.has(3) ? Array.from(h.constIn(3, 'axes').data) : (attrInts(h.a, 'axes') ?? starts.map((_, i) => i));
    const steps = ctx.opset >= 10 && h.has(4) ? Array.from(h.constIn(4, 'steps').data) : starts.map(() => 1);
    axes.forEach((axRaw, i) => {
      const ax = axisOf(h.at, axRaw, r.dims.length);
      const n = r.dims[ax]!;
      const step = steps[i]!;
      if (step === 0) fail(h.at, 'slice step 0');
      const clampIx = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
      const s = step > 0 ? clampIx(starts[i]!, 0, n) : clampIx(starts[i]!, -1, n - 1);
      const e = step > 0 ? clampIx(ends[i]!, 0, n) : clampIx(ends[i]!, -1, n - 1);
      r = sliceAxis(r, ax, s, e, step);
    });
    h.out(settle(r));
  },
  Split: (ctx, node, h) => {
    const r = ctx.refsOf(h.get(0, 'input'), h.at);
    const ax = axisOf(h.at, attrInt(h.a, 'axis', 0), r.dims.length);
    const outs = (node.output ?? []).length;
    const sizes = ctx.opset >= 13 && h.has(1) ? Array.from(h.constIn(1, 'split').data) : (attrInts(h.a, 'split') ?? new Array<number>(outs).fill(r.dims[ax]! / outs));
    let s = 0;
    sizes.forEach((len, i) => {
      h.out(settle(sliceAxis(r, ax, s, s + len, 1)), i);
      s += len;
    });
  },
  Concat: (ctx, node, h) => {
    const parts = (node.input ?? []).map((_, i) => ctx.refsOf(h.get(i, `input ${i}`), h.at));
    const rank = parts[0]!.dims.length;
    const ax = axisOf(h.at, attrInt(h.a, 'axis', 0), rank);
    const muls = new Set(parts.filter((p) => p.tid.some((t) => t >= 0)).map((p) => p.mul));
    if (muls.size > 1) fail(h.at, 'concatenates tensors scaled by different constants');
    parts.forEach((p) => {
      if (p.dims.length !== rank || p.dims.some((d, i) => i !== ax && d !== parts[0]!.dims[i])) {
        fail(h.at, `Concat inputs [${p.dims.join(', ')}] and [${parts[0]!.dims.join(', ')}] differ off axis ${ax}`);
      }
    });
    // constants concatenated to a scaled tensor are stored pre-scaled (value = cval, not mul * cval)
    h.out(settle(concatAxis(parts, ax)));
  },
};

for (const op of FOLDABLE_UNARY) {
  MOVE_HANDLERS[op] ??= (_c, _n, h) => h.out(foldUnary(op, h.constIn(0, 'X')));
}

export function isConst(v: Val): v is Const {
  return v.kind === 'const';
}
