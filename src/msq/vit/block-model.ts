/**
 * A one-block ViT built from its shapes with seeded weights (tests and benches): patch conv, class token, position
 * embedding, one encoder block (LN, QKV, Q.K^T, softmax, A.V, projection, residual add, LN, MLP with GELU, residual
 * add), final LN, class-token select, classifier. test/vit-lower uses a tiny one, bench/ivit-block-rtl one with
 * DeiT-tiny's dim / heads / MLP.
 */
import { mulberry32 } from '../../util/random.js';
import type { FloatLayer, FloatModel } from '../model.js';

export interface VitBlockShape {
  channels: number;
  image: number;
  patch: number;
  dim: number;
  heads: number;
  mlp: number;
  classes: number;
}

export function vitBlockModel(sh: VitBlockShape, seed: number): FloatModel {
  const r = mulberry32(seed);
  const w = (n: number, s: number): Float64Array => Float64Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const conv = (name: string, input: string, cin: number, cout: number, k = 1): FloatLayer => ({
    op: 'conv2d', name, input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [k, k], padding: [0, 0, 0, 0], groups: 1,
    weight: w(cout * cin * k * k, 1 / Math.sqrt(cin * k * k)), bias: w(cout, 0.1),
  });
  const D = sh.dim;
  const G = sh.image / sh.patch;
  const T = G * G + 1;
  const hs = D / sh.heads;
  const src = new Int32Array(D * T);
  const off = new Int32Array(D * T);
  const consts = new Float64Array(D * T);
  for (let c = 0; c < D; c++) {
    for (let t = 0; t < T; t++) {
      src[c * T + t] = t === 0 ? -1 : 0;
      off[c * T + t] = t === 0 ? 0 : c * (T - 1) + t - 1;
      consts[c * T + t] = t === 0 ? r() - 0.5 : 0;
    }
  }
  const ln = (name: string, input: string): FloatLayer => ({ op: 'layernorm', name, input, gamma: w(D, 1).map((v) => 1 + 0.2 * v), beta: w(D, 0.1), eps: 1e-6 });
  const sel = { src: new Int32Array(D), off: Int32Array.from({ length: D }, (_, c) => c * T), consts: new Float64Array(D) };
  return {
    name: `vit-block-d${D}-h${sh.heads}-t${T}`,
    input: { shape: [sh.channels, sh.image, sh.image] },
    layers: [
      conv('patch', 'input', sh.channels, D, sh.patch),
      { op: 'gather', name: 'tokens', inputs: ['patch'], shape: [D, 1, T], src, off, consts, mul: 1 },
      { op: 'addconst', name: 'pos', input: 'tokens', value: w(D * T, 0.3) },
      ln('ln1', 'pos'),
      conv('qkv', 'ln1', D, 3 * D),
      { op: 'matmul', name: 'qk', inputs: ['qkv', 'qkv'], heads: sh.heads, headSize: hs, filtersFrom: 'tokens', offsets: [0, D], alpha: 1 / Math.sqrt(hs) },
      { op: 'softmax', name: 'attn', input: 'qk', groups: sh.heads },
      { op: 'matmul', name: 'av', inputs: ['attn', 'qkv'], heads: sh.heads, headSize: hs, filtersFrom: 'channels', offsets: [0, 2 * D], alpha: 1 },
      conv('proj', 'av', D, D),
      { op: 'add', name: 'res1', inputs: ['proj', 'pos'] },
      ln('ln2', 'res1'),
      conv('fc1', 'ln2', D, sh.mlp),
      { op: 'gelu', name: 'gelu', input: 'fc1' },
      conv('fc2', 'gelu', sh.mlp, D),
      { op: 'add', name: 'res2', inputs: ['fc2', 'res1'] },
      ln('lnf', 'res2'),
      { op: 'gather', name: 'cls', inputs: ['lnf'], shape: [D, 1, 1], ...sel, mul: 1 },
      conv('head', 'cls', D, sh.classes),
    ],
  };
}
