/**
 * MatMul / Gemm in a transformer graph.
 *  - constant right operand: a per-token linear = a 1x1 convolution over the token tensor [K, 1, T] (weights
 *    permuted to the tensor's channel order, a scalar factor folded in);
 *  - computed right operand: a `matmul` layer (model.ts FloatMatMul), batch axis = heads. The right operand B is
 *    read as filters over its tokens (Q.K^T: B[g, k, n] = K-tensor channel k of head g at token n) or over its channels
 *    (A.V: B[g, k, n] = V-tensor channel n of head g at token k); references that are neither are re-laid out.
 */
import { fail } from '../../util/errors.js';
import { numel, type FloatMatMul } from '../model.js';
import { attrFloat, attrInt, type Const } from '../onnx.js';
import type { Handler, NodeHelp, VitImport } from './onnx-ctx.js';
import { soleTensor, type Refs } from './refs.js';

export const matmulHandler: Handler = (ctx, node, h) => {
  const gemm = node.opType === 'Gemm';
  const va = ctx.refsOrConst(h.get(0, 'A'), h.at);
  const vb = ctx.refsOrConst(h.get(1, 'B'), h.at);
  if (va.kind === 'const') fail(h.at, 'the left operand must be computed by the graph');
  if (gemm && attrInt(h.a, 'transA', 0) !== 0) fail(h.at, 'transA = 1 is not supported');
  if (vb.kind === 'const') {
    if (vb.dims.length !== 2) fail(h.at, `constant weight must be 2-D, got [${vb.dims.join(', ')}]`);
    const transB = gemm ? attrInt(h.a, 'transB', 0) : 0;
    const alpha = gemm ? attrFloat(h.a, 'alpha', 1) : 1;
    const beta = gemm ? attrFloat(h.a, 'beta', 1) : 1;
    const [r, c] = vb.dims as [number, number];
    const K = transB ? c : r;
    const N = transB ? r : c;
    // w[n][k]
    const w = new Float64Array(N * K);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] = alpha * (transB ? vb.data[n * K + k]! : vb.data[k * N + n]!);
    const bias = new Float64Array(N);
    if (gemm && h.has(2)) {
      const cc = h.constIn(2, 'C');
      if (numel(cc.dims) !== N && numel(cc.dims) !== 1) fail(h.at, `bias C has ${numel(cc.dims)} values, expected ${N}`);
      for (let n = 0; n < N; n++) bias[n] = beta * cc.data[numel(cc.dims) === 1 ? 0 : n]!;
    }
    return linear(ctx, h, va, w, bias, K, N);
  }
  actMatmul(ctx, h, va, vb);
};

function linear(ctx: VitImport, h: NodeHelp, x: Refs, w: Float64Array, bias: Float64Array, K: number, N: number): void {
  if (x.dims[x.dims.length - 1] !== K) fail(h.at, `weight expects ${K} input features, the input has ${x.dims[x.dims.length - 1]}`);
  let c = ctx.channelRows({ ...x, mul: 1 });
  let refs = x;
  let mul = x.mul;
  if (!c) {
    refs = ctx.tokens(x, h.name).refs;
    mul = 1;
    c = ctx.channelRows(refs)!;
  }
  const X = ctx.tensors[c.tid]!;
  const weight = new Float64Array(N * K);
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) weight[n * K + c.perm[k]!] = mul * w[n * K + k]!;
  const tid = ctx.emit(
    { op: 'conv2d', name: '', input: X.name, inChannels: K, outChannels: N, kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], groups: 1, weight, bias },
    [N, X.shape[1]!, X.shape[2]!], h.name, h.outName(),
  );
  const P = ctx.plane(c.tid);
  const rows = refs.off.length / K;
  const off = new Int32Array(rows * N);
  for (let m = 0; m < rows; m++) for (let n = 0; n < N; n++) off[m * N + n] = n * P + c.pos[m]!;
  h.out({ kind: 'refs', dims: [...x.dims.slice(0, -1), N], tid: new Int32Array(rows * N).fill(tid), off, mul: 1 });
}

interface Side {
  tid: number;
  c0: number;
  /** position of each ONNX index along the token axis */
  pos: Int32Array;
}

/** B as filters: mode 'tokens' (channel = c0 + g*K + k, position = pos[n]) or 'channels' (c0 + g*N + n, pos[k]). */
function readB(ctx: VitImport, b: Refs, G: number, K: number, N: number, mode: FloatMatMul['filtersFrom']): Side | undefined {
  const t = soleTensor(b);
  if (t === undefined) return undefined;
  const s = ctx.tensors[t]!.shape;
  const P = ctx.plane(t);
  if (s.length !== 3 || P !== (mode === 'tokens' ? N : K)) return undefined;
  const pos = new Int32Array(P).fill(-1);
  const c0 = Math.floor(b.off[0]! / P);
  for (let g = 0; g < G; g++) {
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        const o = b.off[(g * K + k) * N + n]!;
        const p = o % P;
        const ch = (o - p) / P;
        const tok = mode === 'tokens' ? n : k;
        if (pos[tok] === -1) pos[tok] = p;
        if (pos[tok] !== p || ch !== c0 + (mode === 'tokens' ? g * K + k : g * N + n)) return undefined;
      }
    }
  }
  return new Set(pos).size === P ? { tid: t, c0, pos } : undefined;
}

/** A: channel = c0 + g*K + sigma[k], position = pos[m] (all positions of its tensor). */
function readA(ctx: VitImport, a: Refs, G: number, M: number, K: number, sigma: Int32Array): Side | undefined {
  const t = soleTensor(a);
  if (t === undefined || ctx.tensors[t]!.shape.length !== 3 || ctx.plane(t) !== M) return undefined;
  const P = M;
  const pos = new Int32Array(M).fill(-1);
  const c0 = Math.floor(a.off[0]! / P) - sigma[0]!;
  for (let g = 0; g < G; g++) {
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        const o = a.off[(g * M + m) * K + k]!;
        const p = o % P;
        if (pos[m] === -1) pos[m] = p;
        if (pos[m] !== p || (o - p) / P !== c0 + g * K + sigma[k]!) return undefined;
      }
    }
  }
  return new Set(pos).size === M ? { tid: t, c0, pos } : undefined;
}

function actMatmul(ctx: VitImport, h: NodeHelp, a: Refs, b: Refs): void {
  const ra = a.dims.length;
  if (ra < 2 || b.dims.length !== ra || a.dims.slice(0, -2).join(',') !== b.dims.slice(0, -2).join(',')) {
    fail(h.at, `MatMul of [${a.dims.join(', ')}] and [${b.dims.join(', ')}]: needs equal batch (head) dimensions`);
  }
  const G = numel(a.dims.slice(0, -2));
  const [M, K] = a.dims.slice(-2) as [number, number];
  const N = b.dims[ra - 1]!;
  if (b.dims[ra - 2] !== K) fail(h.at, `inner dimensions differ: ${K} vs ${b.dims[ra - 2]}`);
  let alpha = 1;
  let mode: FloatMatMul['filtersFrom'] = 'tokens';
  let sb = readB(ctx, b, G, K, N, 'tokens');
  if (!sb) {
    sb = readB(ctx, b, G, K, N, 'channels');
    if (sb) mode = 'channels';
  }
  if (sb) alpha *= b.mul;
  else {
    const dest = Int32Array.from({ length: G * K * N }, (_, i) => i);
    const tid = ctx.materialize(b, [G * K, 1, N], dest, `${h.name}_b`);
    sb = { tid, c0: 0, pos: Int32Array.from({ length: N }, (_, n) => n) };
  }
  const sigma = mode === 'tokens' ? Int32Array.from({ length: K }, (_, k) => k) : sb.pos;
  let sa = readA(ctx, a, G, M, K, sigma);
  if (sa) alpha *= a.mul;
  else {
    const dest = new Int32Array(G * M * K);
    for (let g = 0; g < G; g++) for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) dest[(g * M + m) * K + k] = (g * K + sigma[k]!) * M + m;
    const tid = ctx.materialize(a, [G * K, 1, M], dest, `${h.name}_a`);
    sa = { tid, c0: 0, pos: Int32Array.from({ length: M }, (_, m) => m) };
  }
  const A = ctx.tensors[sa.tid]!;
  const perHead = mode === 'tokens' ? ctx.plane(sb.tid) : N;
  const l: FloatMatMul = {
    op: 'matmul', name: '', inputs: [A.name, ctx.tensors[sb.tid]!.name], heads: G, headSize: mode === 'tokens' ? K : N,
    filtersFrom: mode, offsets: [sa.c0, sb.c0], alpha,
  };
  const tid = ctx.emit(l, [G * perHead, A.shape[1]!, A.shape[2]!], h.name, h.outName());
  const off = new Int32Array(G * M * N);
  for (let g = 0; g < G; g++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) off[(g * M + m) * N + n] = (g * perHead + (mode === 'tokens' ? sb.pos[n]! : n)) * M + sa.pos[m]!;
    }
  }
  h.out({ kind: 'refs', dims: [...a.dims.slice(0, -1), N], tid: new Int32Array(off.length).fill(tid), off, mul: 1 });
}

export type { Const };
