/**
 * Transformer import: the committed small torchvision ViT (opset 13: decomposed LayerNorm, GELU as Erf; opset 17:
 * LayerNormalization) against torch's own logits stored by scripts/train-vit.py; the layer list the importer makes
 * of it; an attention graph built here (heads as channel ranges, Q.K^T and A.V as matmul layers) against a direct
 * evaluation; bad input.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { runFloat } from '../src/msq/float.js';
import { importOnnx } from '../src/msq/onnx.js';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };
const VIT = join(PROJECT_ROOT, 'models', 'vit');
const ref = JSON.parse(readFileSync(join(VIT, 'vit-fashion.ref.json'), 'utf8')) as { logits: number[][]; labels: number[] };

describe('small torchvision ViT', () => {
  const set = loadEvalSet('fashion-mnist', undefined, 8);
  for (const opset of [13, 17]) {
    it(`opset ${opset}: float execution equals torch's logits`, () => {
      const { model } = importOnnx(readFileSync(join(VIT, `vit-fashion.op${opset}.onnx`)), `vit-fashion.op${opset}.onnx`);
      const ops = model.layers.map((l) => l.op);
      // patch conv, class token (gather with constants), position embedding, 2 x (LN, qkv, QK, softmax, AV, out, add,
      // LN, fc1, gelu, fc2, add), final LN, token 0, head
      const block = ['layernorm', 'conv2d', 'matmul', 'softmax', 'matmul', 'conv2d', 'add', 'layernorm', 'conv2d', 'gelu', 'conv2d', 'add'];
      expect(ops).toEqual(['conv2d', 'gather', 'addconst', ...block, ...block, 'layernorm', 'gather', 'conv2d']);
      const mm = model.layers.filter((l) => l.op === 'matmul');
      expect(mm.map((l) => l.op === 'matmul' && [l.filtersFrom, l.heads, l.headSize, ...l.offsets])).toEqual([
        ['tokens', 2, 32, 0, 64], ['channels', 2, 32, 0, 128], ['tokens', 2, 32, 0, 64], ['channels', 2, 32, 0, 128],
      ]);
      for (let i = 0; i < 8; i++) {
        const y = runFloat(model, Float64Array.from(set.images[i]!, (p) => p / 255)).output;
        expect(y.length).toBe(10);
        for (let k = 0; k < 10; k++) expect(Math.abs(y[k]! - ref.logits[i]![k]!)).toBeLessThan(2e-5);
      }
    });
  }
});

// ------------------------------------------------------------------------------------------ a tiny attention graph
const FLOAT = 1;
const t = (name: string, dims: number[], data: number[]): OnnxNs.ITensorProto => ({ name, dims, dataType: FLOAT, floatData: data });
const i64 = (name: string, data: number[]): OnnxNs.ITensorProto => ({ name, dims: [data.length], dataType: 7, int64Data: data });
const n = (opType: string, input: string[], output: string[], attribute: OnnxNs.IAttributeProto[] = []): OnnxNs.INodeProto => ({ opType, name: output[0], input, output, attribute });
const perm = (v: number[]): OnnxNs.IAttributeProto => ({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: v });
const info = (name: string, dims: number[]): OnnxNs.IValueInfoProto => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const rnd = (k: number, seed: number): number[] => Array.from({ length: k }, (_, i) => Math.sin(seed * 31 + i * 7.3) * 0.5);

/** x [1, D=4, 1, T=3] -> tokens [T, D] -> q = k = v = tokens, 2 heads of 2: softmax(q k^T) v -> [T, D]; optional bias. */
function attention(bias: boolean): Uint8Array {
  const nodes = [
    n('Reshape', ['x', 's1'], ['r']),
    n('Transpose', ['r'], ['tok'], [perm([1, 0])]),
    n('MatMul', ['tok', 'wq'], ['q']),
    n('Reshape', ['q', 's2'], ['qh']),
    n('Transpose', ['qh'], ['qt'], [perm([1, 0, 2])]),
    n('Transpose', ['qh'], ['kt'], [perm([1, 2, 0])]),
    n('MatMul', ['qt', 'kt'], ['sc']),
    ...(bias ? [n('Add', ['sc', 'rpb'], ['scb'])] : []),
    n('Softmax', [bias ? 'scb' : 'sc'], ['p']),
    n('MatMul', ['p', 'qt'], ['o']),
    n('Transpose', ['o'], ['ot'], [perm([1, 0, 2])]),
    n('Reshape', ['ot', 's1t'], ['y']),
  ];
  const inits = [i64('s1', [4, 3]), i64('s2', [3, 2, 2]), i64('s1t', [3, 4]), t('wq', [4, 4], rnd(16, 2)), t('rpb', [2, 3, 3], rnd(18, 3))];
  const m = onnx.ModelProto.create({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'att', node: nodes, initializer: inits, input: [info('x', [1, 4, 1, 3])], output: [info('y', [3, 4])] },
  });
  return onnx.ModelProto.encode(m).finish();
}

describe('attention pattern', () => {
  it('heads become channel ranges of matmul layers; the result equals a direct evaluation', () => {
    const { model } = importOnnx(attention(false), 'att.onnx');
    expect(model.layers.map((l) => l.op)).toEqual(['conv2d', 'matmul', 'softmax', 'matmul', 'gather']);
    const x = rnd(12, 5);
    const y = runFloat(model, x).output;
    const wq = rnd(16, 2);
    // direct: tok[t][d] = x[d*3 + t]; q = tok wq; per head h: s = q_h q_h^T, p = softmax rows, o = p q_h
    const q = [0, 1, 2].map((tt) => [0, 1, 2, 3].map((j) => [0, 1, 2, 3].reduce((s, d) => s + x[d * 3 + tt]! * wq[d * 4 + j]!, 0)));
    const want: number[][] = [[], [], []];
    for (let hh = 0; hh < 2; hh++) {
      for (let a = 0; a < 3; a++) {
        const s = [0, 1, 2].map((b) => q[a]![2 * hh]! * q[b]![2 * hh]! + q[a]![2 * hh + 1]! * q[b]![2 * hh + 1]!);
        const e = s.map((v) => Math.exp(v - Math.max(...s)));
        const p = e.map((v) => v / e.reduce((u, w) => u + w, 0));
        for (let c = 0; c < 2; c++) want[a]![2 * hh + c] = [0, 1, 2].reduce((u, b) => u + p[b]! * q[b]![2 * hh + c]!, 0);
      }
    }
    // the model output is laid out [D, 1, T]: a final gather puts it in ONNX order [T, D]
    expect(Array.from(y)).toHaveLength(12);
    want.flat().forEach((v, i) => expect(y[i]!).toBeCloseTo(v, 6)); // weights are float32 in the file;
  });

  it('refuses a relative position bias in one line naming the node', () => {
    let msg = '';
    try {
      importOnnx(attention(true), 'att.onnx');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/node 'scb' \(Add\).*relative position bias/);
    expect(msg).not.toContain('\n');
  });
});
