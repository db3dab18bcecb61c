/**
 * Transformer importer handlers that compute: Conv (patch embedding), MatMul / Gemm (per-token linears as 1x1
 * convolutions; activation x activation products as `matmul` layers), LayerNormalization and its decomposed form,
 * Softmax, GELU as Erf, Add (residual, bias, position embedding), scalar Mul/Div, Relu. Constant operands fold.
 */
import { fail } from '../../util/errors.js';
import { numel, type FloatConv2d, type FloatLayerNorm } from '../model.js';
import { attrFloat, attrInt, attrInts, type Const } from '../onnx.js';
import type { Handler, NodeHelp, Partial, Val, VitImport } from './onnx-ctx.js';
import { FOLDABLE_BINARY, broadcastDims, expandTo, foldBinary, foldUnary } from './onnx-const.js';
import { identityRefs, rowsOf, soleTensor, type Refs } from './refs.js';
import { matmulHandler } from './onnx-matmul.js';

const isInt = (c: Const): boolean => c.data.every((v) => Number.isInteger(v));
const scalar = (c: Const): number | undefined => (numel(c.dims) === 1 ? c.data[0]! : undefined);

/** Same references onto tensor `tid` (a new layer of the same shape and layout). */
const sameLayout = (r: Refs, tid: number): Refs => ({ ...identityRefs(tid, r.dims), off: r.off });

/** As channel rows, re-laid out by a gather when needed. */
function asChannelRows(ctx: VitImport, r: Refs, at: string): { tid: number; refs: Refs; perm: Int32Array } {
  const c = ctx.channelRows(r);
  if (c) return { tid: c.tid, refs: r, perm: c.perm };
  const t = ctx.tokens(r, at);
  const L = r.dims[r.dims.length - 1]!;
  return { tid: t.tid, refs: t.refs, perm: Int32Array.from({ length: L }, (_, k) => k) };
}

/** An elementwise input: a plain tensor, re-laid out as tokens when it is not one. */
function plainInput(ctx: VitImport, r: Refs, at: string): { tid: number; refs: Refs } {
  const t = ctx.plainTensor(r);
  return t !== undefined ? { tid: t, refs: r } : ctx.tokens(r, at);
}

function emitLayerNorm(ctx: VitImport, h: NodeHelp, x: Refs, eps: number, gamma?: Const, beta?: Const): void {
  const c = asChannelRows(ctx, x, h.name);
  const C = c.perm.length;
  const g = new Float64Array(C).fill(1);
  const b = new Float64Array(C);
  const gk = gamma ? expandTo(h.at, gamma, [C]) : undefined;
  const bk = beta ? expandTo(h.at, beta, [C]) : undefined;
  for (let k = 0; k < C; k++) {
    if (gk) g[c.perm[k]!] = gk[k]!;
    if (bk) b[c.perm[k]!] = bk[k]!;
  }
  const l: FloatLayerNorm = { op: 'layernorm', name: '', input: ctx.tensors[c.tid]!.name, gamma: g, beta: b, eps };
  const tid = ctx.emit(l, [...ctx.tensors[c.tid]!.shape], h.name, h.outName());
  h.out(sameLayout(c.refs, tid));
}

/** Per-channel values of a constant broadcast over `r`, if it depends on the channel only (undefined otherwise). */
function perChannel(ctx: VitImport, r: Refs, c: Const, at: string): Float64Array | undefined {
  const t = soleTensor(r);
  if (t === undefined) return undefined;
  const shape = ctx.tensors[t]!.shape;
  const P = ctx.plane(t);
  const full = expandTo(at, c, r.dims);
  const out = new Float64Array(shape[0]!).fill(NaN);
  for (let i = 0; i < full.length; i++) {
    const ch = Math.floor(r.off[i]! / P);
    if (Number.isNaN(out[ch]!)) out[ch] = full[i]!;
    else if (out[ch] !== full[i]) return undefined;
  }
  return out.some(Number.isNaN) ? undefined : out;
}

/** The conv / layernorm that solely produces `r` (ONNX value `name` read by this node only). */
function foldable(ctx: VitImport, r: Refs, name: string): FloatConv2d | FloatLayerNorm | undefined {
  const t = ctx.plainTensor(r);
  if (t === undefined) return undefined;
  const it = ctx.tensors[t]!;
  if (it.onnx !== name || (ctx.consumers.get(name) ?? 0) !== 1) return undefined;
  return it.layer?.op === 'conv2d' || it.layer?.op === 'layernorm' ? it.layer : undefined;
}

function addConst(ctx: VitImport, h: NodeHelp, r: Refs, c: Const, rName: string): void {
  broadcastDims(h.at, c.dims, r.dims);
  const target = foldable(ctx, r, rName);
  const pc = target ? perChannel(ctx, r, c, h.at) : undefined;
  if (target && pc) {
    if (target.op === 'conv2d') target.bias = Float64Array.from(target.bias, (v, k) => v + pc[k]!);
    else target.beta = Float64Array.from(target.beta, (v, k) => v + pc[k]!);
    ctx.origin.set(target.name, `${ctx.origin.get(target.name)} + ${h.name}`);
    ctx.tensors[ctx.tensors.findIndex((t) => t.layer === target)]!.onnx = h.outName();
    return h.out(r);
  }
  const x = plainInput(ctx, r, h.name);
  if (ctx.tensors[x.tid]!.layer?.op === 'matmul') {
    fail(h.at, 'adds a constant to attention scores (relative position bias): the core runs plain softmax(Q.K^T) attention only');
  }
  const full = expandTo(h.at, c, r.dims);
  const value = new Float64Array(full.length);
  for (let i = 0; i < full.length; i++) value[x.refs.off[i]!] = full[i]!;
  const tid = ctx.emit({ op: 'addconst', name: '', input: ctx.tensors[x.tid]!.name, value }, [...ctx.tensors[x.tid]!.shape], h.name, h.outName());
  h.out(sameLayout(x.refs, tid));
}

function mulConst(ctx: VitImport, h: NodeHelp, v: Val, c: Const, rName: string, div: boolean): void {
  const s = scalar(c);
  if (v.kind === 'partial') {
    if (v.what === 'gelu' && s !== undefined && !div) return h.out({ ...v, factor: (v.factor ?? 1) * s });
    fail(h.at, `scaling an unfinished ${v.what} pattern`);
  }
  const r = v as Refs;
  if (s !== undefined) {
    const k = div ? 1 / s : s;
    return h.out({ ...r, mul: r.mul * k, cval: r.cval?.map((x) => x * k) });
  }
  const target = foldable(ctx, r, rName);
  const pc = target ? perChannel(ctx, r, c, h.at) : undefined;
  if (!target || !pc || div) fail(h.at, 'a per-element constant factor is only supported as LayerNorm gamma or right after a convolution');
  if (target.op === 'layernorm') {
    target.gamma = Float64Array.from(target.gamma, (g, k) => g * pc[k]!);
    target.beta = Float64Array.from(target.beta, (b, k) => b * pc[k]!);
  } else {
    const per = target.weight.length / target.outChannels;
    target.weight = Float64Array.from(target.weight, (w, i) => w * pc[Math.floor(i / per)]!);
    target.bias = Float64Array.from(target.bias, (b, k) => b * pc[k]!);
  }
  ctx.tensors[ctx.tensors.findIndex((t) => t.layer === target)]!.onnx = h.outName();
  h.out(r);
}

const partial = (what: Partial['what'], x: Refs, extra: Omit<Partial, 'kind' | 'what' | 'x'> = {}): Partial => ({ kind: 'partial', what, x, ...extra });
const sameRefs = (a: Refs, b: Refs): boolean => a.mul === b.mul && a.off.every((o, i) => o === b.off[i] && a.tid[i] === b.tid[i]);

function binary(op: string): Handler {
  return (ctx, node, h) => {
    const va = h.get(0, 'A');
    const vb = h.get(1, 'B');
    const [na, nb] = [node.input![0]!, node.input![1]!];
    if (va.kind === 'const' && vb.kind === 'const') return h.out(foldBinary(h.at, op, va, vb, isInt(va) && isInt(vb)));
    // the decomposed LayerNorm: Sub(x, mean) … Pow(·, 2) … Add(var, eps) … Div(centered, std)
    if (op === 'Sub' && vb.kind === 'partial' && vb.what === 'mean' && va.kind === 'refs' && sameRefs(va, vb.x)) return h.out(partial('centered', va));
    if (op === 'Pow' && va.kind === 'partial' && va.what === 'centered' && vb.kind === 'const' && scalar(vb) === 2) return h.out(partial('sq', va.x));
    if (op === 'Div' && va.kind === 'partial' && va.what === 'centered' && vb.kind === 'partial' && vb.what === 'std' && sameRefs(va.x, vb.x)) {
      return emitLayerNorm(ctx, h, va.x, vb.eps!);
    }
    if (op === 'Add') {
      const p = va.kind === 'partial' ? va : vb.kind === 'partial' ? vb : undefined;
      const c = va.kind === 'const' ? va : vb.kind === 'const' ? vb : undefined;
      if (p && c && p.what === 'var') return h.out(partial('vareps', p.x, { eps: scalar(c) }));
      if (p && c && p.what === 'erf' && scalar(c) === 1) return h.out(partial('gelu', p.x, { factor: 1, haveX: false }));
    }
    if (op === 'Mul') {
      const p = va.kind === 'partial' ? va : vb.kind === 'partial' ? vb : undefined;
      const o = p === va ? vb : va;
      if (p?.what === 'gelu' && o.kind === 'refs' && !p.haveX && sameRefs(o, p.x)) return finishGelu(ctx, h, { ...p, haveX: true });
      if (p?.what === 'gelu' && o.kind === 'const') return finishGelu(ctx, h, { ...p, factor: (p.factor ?? 1) * (scalar(o) ?? NaN) });
    }
    if (op === 'Mul' || op === 'Div') {
      if (vb.kind === 'const') return mulConst(ctx, h, va, vb, na, op === 'Div');
      if (va.kind === 'const' && op === 'Mul') return mulConst(ctx, h, vb, va, nb, false);
    }
    if (op === 'Add' && va.kind !== 'partial' && vb.kind !== 'partial') {
      if (va.kind === 'const') return addConst(ctx, h, vb as Refs, va, nb);
      if (vb.kind === 'const') return addConst(ctx, h, va, vb, na);
      return residual(ctx, h, va, vb);
    }
    if (op === 'Sub' && vb.kind === 'const' && va.kind === 'refs') return addConst(ctx, h, va, { ...vb, data: vb.data.map((x) => -x) }, na);
    fail(h.at, `${op} of computed tensors is not supported here (supported: residual Add, bias/position-embedding Add, scalar Mul/Div, the LayerNorm and GELU patterns)`);
  };
}

function finishGelu(ctx: VitImport, h: NodeHelp, p: Partial): void {
  if (!p.haveX || Math.abs((p.factor ?? 1) - 0.5) > 1e-6) return h.out(p);
  const x = plainInput(ctx, p.x, h.name);
  const tid = ctx.emit({ op: 'gelu', name: '', input: ctx.tensors[x.tid]!.name }, [...ctx.tensors[x.tid]!.shape], h.name, h.outName());
  h.out(sameLayout(x.refs, tid));
}

function residual(ctx: VitImport, h: NodeHelp, a: Refs, b: Refs): void {
  if (a.dims.join(',') !== b.dims.join(',')) fail(h.at, `Add of [${a.dims.join(', ')}] and [${b.dims.join(', ')}]: broadcasting computed tensors is not supported`);
  const x = plainInput(ctx, a, h.name);
  let tb = ctx.plainTensor(b);
  const xs = ctx.tensors[x.tid]!.shape;
  if (tb === undefined || ctx.tensors[tb]!.shape.join(',') !== xs.join(',') || !b.off.every((o, i) => o === x.refs.off[i])) {
    tb = ctx.materialize(b, [...xs], x.refs.off, h.name);
  }
  const tid = ctx.emit({ op: 'add', name: '', inputs: [ctx.tensors[x.tid]!.name, ctx.tensors[tb]!.name] }, [...xs], h.name, h.outName());
  h.out(sameLayout(x.refs, tid));
}

function lastAxisOnly(h: NodeHelp, rank: number, axes: number[] | undefined): void {
  if (!axes || axes.length !== 1 || (axes[0]! !== -1 && axes[0]! !== rank - 1)) fail(h.at, `only the last axis is supported (axes [${(axes ?? []).join(', ')}])`);
}

export const MATH_HANDLERS: Record<string, Handler> = {
  Conv: (ctx, node, h) => {
    const x = ctx.refsOf(h.get(0, 'X'), h.at);
    const w = h.constIn(1, 'W');
    if (x.dims.length !== 4 || x.dims[0] !== 1 || w.dims.length !== 4) fail(h.at, 'needs a [1, C, H, W] input and a 4-D weight');
    let t = ctx.plainTensor(x);
    if (t === undefined || !x.off.every((o, i) => o === i)) t = ctx.materialize(x, x.dims.slice(1), x.off.map((_, i) => i), h.name);
    const [o, ig, kh, kw] = w.dims as [number, number, number, number];
    const [, c, H, W] = x.dims as [number, number, number, number];
    if (attrInt(h.a, 'group', 1) !== 1 || ig !== c) fail(h.at, 'only group 1 patch convolutions are supported in a transformer graph');
    if ((attrInts(h.a, 'dilations') ?? [1, 1]).some((d) => d !== 1)) fail(h.at, 'dilations must be 1');
    const s = attrInts(h.a, 'strides') ?? [1, 1];
    const p = attrInts(h.a, 'pads') ?? [0, 0, 0, 0];
    const oh = Math.floor((H + p[0]! + p[2]! - kh) / s[0]!) + 1;
    const ow = Math.floor((W + p[1]! + p[3]! - kw) / s[1]!) + 1;
    const b = h.has(2) ? h.constIn(2, 'B').data : new Float64Array(o);
    const l: FloatConv2d = {
      op: 'conv2d', name: '', input: ctx.tensors[t]!.name, inChannels: c, outChannels: o, kernel: [kh, kw], stride: [s[0]!, s[1]!],
      padding: [p[0]!, p[1]!, p[2]!, p[3]!], groups: 1, weight: Float64Array.from(w.data), bias: Float64Array.from(b),
    };
    const tid = ctx.emit(l, [o, oh, ow], h.name, node.output![0]!);
    h.out(identityRefs(tid, [1, o, oh, ow]));
  },
  MatMul: matmulHandler,
  Gemm: matmulHandler,
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Pow: binary('Pow'),
  ReduceMean: (ctx, _n, h) => {
    const v = h.get(0, 'data');
    if (attrInt(h.a, 'keepdims', 1) !== 1) fail(h.at, 'keepdims = 0 is not supported');
    if (v.kind === 'partial' && v.what === 'sq') {
      lastAxisOnly(h, v.x.dims.length, attrInts(h.a, 'axes'));
      return h.out(partial('var', v.x));
    }
    const r = ctx.refsOf(v, h.at);
    lastAxisOnly(h, r.dims.length, ctx.opset >= 18 && h.has(1) ? Array.from(h.constIn(1, 'axes').data) : attrInts(h.a, 'axes'));
    h.out(partial('mean', r));
  },
  Sqrt: (_c, _n, h) => {
    const v = h.get(0, 'X');
    if (v.kind === 'const') return h.out(foldUnary('Sqrt', v));
    if (v.kind === 'partial' && v.what === 'vareps') return h.out(partial('std', v.x, { eps: v.eps }));
    fail(h.at, 'Sqrt of a computed tensor is only supported inside the LayerNorm pattern');
  },
  Erf: (ctx, _n, h) => {
    const r = ctx.refsOf(h.get(0, 'input'), h.at);
    if (Math.abs(r.mul * Math.SQRT2 - 1) > 1e-6) fail(h.at, 'Erf is only supported as GELU: 0.5 * x * (1 + erf(x / sqrt 2))');
    h.out(partial('erf', { ...r, mul: 1, cval: r.cval?.map((c) => c * Math.SQRT2) }));
  },
  LayerNormalization: (ctx, _n, h) => {
    const x = ctx.refsOf(h.get(0, 'X'), h.at);
    lastAxisOnly(h, x.dims.length, [attrInt(h.a, 'axis', -1)]);
    emitLayerNorm(ctx, h, x, attrFloat(h.a, 'epsilon', 1e-5), h.constIn(1, 'Scale'), h.has(2) ? h.constIn(2, 'B') : undefined);
  },
  Softmax: (ctx, _n, h) => {
    const x = ctx.refsOf(h.get(0, 'input'), h.at);
    const ax = attrInt(h.a, 'axis', ctx.opset >= 13 ? -1 : 1);
    if (ax !== -1 && ax !== x.dims.length - 1) fail(h.at, `softmax over axis ${ax}: only the last axis is supported`);
    softmax(ctx, h, x);
  },
  Relu: (ctx, _n, h) => {
    const x = plainInput(ctx, ctx.refsOf(h.get(0, 'X'), h.at), h.name);
    const tid = ctx.emit({ op: 'relu', name: '', input: ctx.tensors[x.tid]!.name }, [...ctx.tensors[x.tid]!.shape], h.name, h.outName());
    h.out(sameLayout(x.refs, tid));
  },
};
for (const op of FOLDABLE_BINARY) MATH_HANDLERS[op] ??= binary(op);

/** Softmax over the last axis: rows must be aligned channel groups of one tensor at one position. */
function softmax(ctx: VitImport, h: NodeHelp, x: Refs): void {
  const L = x.dims[x.dims.length - 1]!;
  let tid = ctx.plainTensor(x);
  let refs = x;
  let ok = tid !== undefined && ctx.tensors[tid]!.shape.length === 3 && ctx.tensors[tid]!.shape[0]! % L === 0;
  if (ok) {
    const v = rowsOf(x, ctx.plane(tid!));
    ok = !!v && Array.from({ length: v.rows }, (_, m) => m).every((m) => {
      const base = v.ch[m * L]!;
      return base % L === 0 && Array.from({ length: L }, (_, k) => k).every((k) => v.ch[m * L + k] === base + k);
    });
  }
  if (!ok) ({ tid, refs } = ctx.tokens(x, h.name));
  const shape = ctx.tensors[tid!]!.shape;
  const out = ctx.emit({ op: 'softmax', name: '', input: ctx.tensors[tid!]!.name, groups: shape[0]! / L }, [...shape], h.name, h.outName());
  h.out(sameLayout(refs, out));
}
