/**
 * ONNX import of padding conventions and of the issue-12 ops, on tiny graphs built here: asymmetric pads and
 * auto_pad SAME_UPPER / SAME_LOWER at stride 2 (checked against a direct ONNX-semantics evaluation written here),
 * channel Split / Concat / shuffle / Resize, SiLU / HardSwish / squeeze-excite patterns, ceil_mode pooling, the
 * host softmax, and one-line refusals.
 */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { runFloat } from '../src/msq/float.js';
import { importOnnx } from '../src/msq/onnx.js';
import type { FloatLayer } from '../src/msq/model.js';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };
const AT = onnx.AttributeProto.AttributeType;

const tensor = (name: string, dims: number[], data: number[]): OnnxNs.ITensorProto => ({ name, dims, dataType: 1, floatData: data });
const i64 = (name: string, data: number[]): OnnxNs.ITensorProto => ({ name, dims: [data.length], dataType: 7, int64Data: data });
const node = (opType: string, input: string[], output: string[], attribute: OnnxNs.IAttributeProto[] = []): OnnxNs.INodeProto => ({ opType, name: `${opType}_${output[0]}`, input, output, attribute });
const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: AT.INTS, ints: v });
const int = (name: string, v: number): OnnxNs.IAttributeProto => ({ name, type: AT.INT, i: v });
const str = (name: string, v: string): OnnxNs.IAttributeProto => ({ name, type: AT.STRING, s: new TextEncoder().encode(v) });
const vi = (name: string, dims: number[]): OnnxNs.IValueInfoProto => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
function graph(nodes: OnnxNs.INodeProto[], inits: OnnxNs.ITensorProto[], inDims: number[], out: string): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 't', node: nodes, initializer: inits, input: [vi('x', inDims)], output: [vi(out, [])] },
  });
  return onnx.ModelProto.encode(m).finish();
}
const seq = (n: number, f = (i: number) => ((i * 37) % 11) / 10 - 0.5): number[] => Array.from({ length: n }, (_, i) => f(i));
const layer = (layers: FloatLayer[], op: string): FloatLayer => layers.find((l) => l.op === op)!;
const oneLine = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

/** ONNX Conv (one group) / MaxPool evaluated directly: pads [top, left, bottom, right] = [x1_begin, x2_begin, x1_end, x2_end]. */
function reference(
  x: number[], [C, H, W]: number[], k: [number, number], s: [number, number], pads: number[], conv?: { w: number[]; cout: number },
): { y: number[]; oh: number; ow: number } {
  const [pt, pl, pb, pr] = pads as [number, number, number, number];
  const oh = Math.floor((H + pt + pb - k[0]) / s[0]) + 1;
  const ow = Math.floor((W + pl + pr - k[1]) / s[1]) + 1;
  const y: number[] = [];
  for (let o = 0; o < (conv ? conv.cout : C); o++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let acc = conv ? 0 : -Infinity;
        for (let c = 0; c < (conv ? C : 1); c++) {
          for (let a = 0; a < k[0]; a++) {
            for (let b = 0; b < k[1]; b++) {
              const yy = i * s[0] - pt + a;
              const xx = j * s[1] - pl + b;
              if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
              const v = x[((conv ? c : o) * H + yy) * W + xx]!;
              if (conv) acc += conv.w[((o * C + c) * k[0] + a) * k[1] + b]! * v;
              else acc = Math.max(acc, v);
            }
          }
        }
        y.push(acc);
      }
    }
  }
  return { y, oh, ow };
}

describe('padding conventions at stride 2 (pad ends are not pad begins)', () => {
  const shape = [2, 6, 7];
  const x = seq(84, (i) => ((i * 29) % 17) / 8 - 1);
  const w = seq(2 * 2 * 3 * 4);
  const cases: { what: string; attrs: OnnxNs.IAttributeProto[]; pads: number[] }[] = [
    { what: 'pads [0, 1, 2, 0]', attrs: [ints('pads', [0, 1, 2, 0])], pads: [0, 1, 2, 0] },
    // SAME: out = ceil(in / 2) = 3 x 4; total pad H (3-1)*2+3-6 = 1, W (4-1)*2+4-7 = 3; UPPER puts the extra at the end
    { what: 'auto_pad SAME_UPPER', attrs: [str('auto_pad', 'SAME_UPPER')], pads: [0, 1, 1, 2] },
    { what: 'auto_pad SAME_LOWER', attrs: [str('auto_pad', 'SAME_LOWER')], pads: [1, 2, 0, 1] },
  ];
  for (const c of cases) {
    it(`Conv 3x4 and MaxPool 3x4, ${c.what}`, () => {
      const k = [ints('kernel_shape', [3, 4]), ints('strides', [2, 2]), ...c.attrs];
      const bytes = graph([node('Conv', ['x', 'w'], ['c'], k), node('MaxPool', ['x'], ['p'], k), node('Concat', ['c', 'p'], ['y'], [int('axis', 1)])], [tensor('w', [2, 2, 3, 4], w)], [1, ...shape], 'y');
      const imp = importOnnx(bytes);
      const conv = layer(imp.model.layers, 'conv2d');
      expect(conv.op === 'conv2d' && conv.padding).toEqual(c.pads);
      const rc = reference(x, shape, [3, 4], [2, 2], c.pads, { w, cout: 2 });
      const rp = reference(x, shape, [3, 4], [2, 2], c.pads);
      const f = runFloat(imp.model, x);
      expect(f.shape).toEqual([4, rc.oh, rc.ow]);
      [...rc.y, ...rp.y].forEach((v, i) => expect(f.output[i]).toBeCloseTo(v, 5));
    });
  }
});

describe('issue-12 ops', () => {
  it('Split + Concat + channel shuffle + Resize: the expected channel order and pixel repetition', () => {
    // x [1, 4, 1, 2]: channel c holds (10c, 10c+1); split 2+2, concat (b, a) = channels 2 3 0 1, shuffle g=2 -> 2 0 3 1
    const bytes = graph(
      [
        node('Split', ['x', 'sp'], ['a', 'b'], [int('axis', 1)]),
        node('Concat', ['b', 'a'], ['c'], [int('axis', 1)]),
        node('Reshape', ['c', 's5'], ['r5']),
        node('Transpose', ['r5'], ['t5'], [ints('perm', [0, 2, 1, 3, 4])]),
        node('Reshape', ['t5', 's4'], ['sh']),
        node('Resize', ['sh', '', 'scales'], ['y'], [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]),
      ],
      [i64('sp', [2, 2]), i64('s5', [1, 2, 2, 1, 2]), i64('s4', [1, 4, 1, 2]), tensor('scales', [4], [1, 1, 2, 3])],
      [1, 4, 1, 2], 'y',
    );
    const imp = importOnnx(bytes);
    expect(imp.model.layers.map((l) => l.op)).toEqual(['slice', 'slice', 'concat', 'shuffle', 'resize']);
    const x = [0, 1, 10, 11, 20, 21, 30, 31];
    const f = runFloat(imp.model, x);
    expect(f.shape).toEqual([4, 2, 6]);
    const row = (c: number): number[] => [c, c, c, c + 1, c + 1, c + 1];
    expect(Array.from(f.output)).toEqual([20, 0, 30, 10].flatMap((c) => [...row(c), ...row(c)]));
  });

  it('x * sigmoid(x) is SiLU, x * hardsigmoid(x) HardSwish, x * s[c] squeeze-excite; ceil_mode pooling; Softmax on the host', () => {
    const bytes = graph(
      [
        node('Sigmoid', ['x'], ['sg']),
        node('Mul', ['x', 'sg'], ['silu']),
        node('HardSigmoid', ['silu'], ['hs'], [{ name: 'alpha', type: AT.FLOAT, f: 1 / 6 }]),
        node('Mul', ['hs', 'silu'], ['hsw']),
        node('GlobalAveragePool', ['hsw'], ['g']),
        node('Sigmoid', ['g'], ['gs']),
        node('Mul', ['hsw', 'gs'], ['se']),
        node('AveragePool', ['se'], ['ap'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)]),
        node('Flatten', ['ap'], ['fl']),
        node('Softmax', ['fl'], ['y'], [int('axis', 1)]),
      ],
      [], [1, 2, 3, 3], 'y',
    );
    const imp = importOnnx(bytes);
    const ls = imp.model.layers;
    expect(ls.filter((l) => l.op === 'act').map((l) => (l as { fn: string }).fn)).toEqual(['silu', 'hardswish', 'sigmoid']);
    expect(layer(ls, 'mulchannel').op).toBe('mulchannel');
    const ap = layer(ls, 'avgpool');
    expect(ap.op === 'avgpool' && [ap.ceil, ap.countIncludePad]).toEqual([true, false]);
    expect(imp.model.softmax).toBe(true);
    const x = seq(18, (i) => i / 4 - 2);
    const f = runFloat(imp.model, x);
    expect(f.shape).toEqual([8]);
    // direct: silu, hardswish, SE with sigmoid of the channel means, 2x2/2 ceil average (windows of 4, 2, 2, 1)
    const silu = x.map((v) => v / (1 + Math.exp(-v)));
    const hsw = silu.map((v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)));
    const want: number[] = [];
    for (let c = 0; c < 2; c++) {
      const ch = hsw.slice(c * 9, c * 9 + 9);
      const s = 1 / (1 + Math.exp(-ch.reduce((a, b) => a + b, 0) / 9));
      const v = (i: number, j: number): number => ch[i * 3 + j]! * s;
      want.push((v(0, 0) + v(0, 1) + v(1, 0) + v(1, 1)) / 4, (v(0, 2) + v(1, 2)) / 2, (v(2, 0) + v(2, 1)) / 2, v(2, 2));
    }
    want.forEach((v, i) => expect(f.output[i]).toBeCloseTo(v, 6));
  });

  it('refusals name the node, the op and what would make it run', () => {
    const resize = (mode: string): Uint8Array =>
      graph([node('Resize', ['x', '', 'scales'], ['y'], [str('mode', mode)])], [tensor('scales', [4], [1, 1, 2, 2])], [1, 1, 2, 2], 'y');
    expect(oneLine(() => importOnnx(resize('linear')))).toMatch(/node 'Resize_y' \(Resize\): mode 'linear' is not supported \(only 'nearest'/);
    const frac = graph([node('Resize', ['x', '', 'scales'], ['y'])], [tensor('scales', [4], [1, 1, 1.5, 2])], [1, 1, 2, 2], 'y');
    expect(oneLine(() => importOnnx(frac))).toMatch(/Resize.*not integer upsampling factors/);
    // (other permutations send the graph to the transformer importer)
    const tr = graph([node('Transpose', ['x'], ['y'], [ints('perm', [0, 2, 1, 3, 4])])], [], [1, 1, 2, 2], 'y');
    expect(oneLine(() => importOnnx(tr))).toMatch(/\(Transpose\): Transpose perm \[0, 2, 1, 3, 4\] is supported only inside a channel shuffle/);
    const mc = graph([node('Mul', ['x', 'k'], ['y'])], [tensor('k', [1], [2])], [1, 1, 2, 2], 'y');
    expect(oneLine(() => importOnnx(mc))).toMatch(/\(Mul\): Mul of a graph tensor by a constant is not supported/);
    const cat = graph([node('Concat', ['x', 'x'], ['y'], [int('axis', 2)])], [], [1, 1, 2, 2], 'y');
    expect(oneLine(() => importOnnx(cat))).toMatch(/\(Concat\): axis 2 is not supported on a graph tensor \(only the channel axis 1\)/);
  });
});
