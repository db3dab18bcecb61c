/**
 * Semantic checks of the transformer layers of a QuantModel (called by checkModel in model.ts): shapes, references,
 * ranges. Returns the output tensor's facts.
 */
import { fail } from '../../util/errors.js';
import { actRange } from '../conventions.js';
import type { ActSpec, QuantLayer, TensorInfo } from '../model.js';
import { matmulShape } from './float-ops.js';

export type VitQuantLayer = Extract<QuantLayer, { op: 'layernorm' | 'softmax' | 'gelu' | 'matmul' | 'gather' | 'addconst' }>;

export const VIT_QUANT_OPS: ReadonlySet<string> = new Set(['layernorm', 'softmax', 'gelu', 'matmul', 'gather', 'addconst']);

export function isVitLayer(l: QuantLayer): l is VitQuantLayer {
  return VIT_QUANT_OPS.has(l.op);
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function tensorOf(spec: ActSpec, shape: number[]): TensorInfo {
  const [lo, hi] = actRange(spec.bits, spec.signed);
  return { shape, bits: spec.bits, signed: spec.signed, scale: spec.scale, lo, hi };
}

function spatial(x: TensorInfo, at: string): [number, number, number] {
  if (x.shape.length !== 3) fail(`${at}.input`, `needs a [C, H, W] input, got [${x.shape.join(', ')}]`);
  return x.shape as [number, number, number];
}

export function checkVitLayer(l: QuantLayer, ins: TensorInfo[], at: string): TensorInfo {
  const x = ins[0]!;
  const v = l as VitQuantLayer;
  switch (v.op) {
    case 'layernorm':
    case 'gelu':
      spatial(x, at);
      return tensorOf(v.out, [...x.shape]);
    case 'softmax': {
      const [c] = spatial(x, at);
      if (c % v.groups) fail(`${at}.groups`, `${v.groups} does not divide the ${c} channels`);
      return tensorOf(v.out, [...x.shape]);
    }
    case 'addconst':
      if (v.value.length !== numel(x.shape)) fail(`${at}.value`, `has ${v.value.length} values, the input ${numel(x.shape)}`);
      v.value.forEach((c, i) => {
        if (Math.abs(c) >= 2 ** 15) fail(`${at}.value[${i}]`, `${c} does not fit 16 bits (the residual-add operand width)`);
      });
      return tensorOf(v.out, [...x.shape]);
    case 'matmul': {
      if (x.bits > 8 || ins[1]!.bits > 8) fail(`${at}.inputs`, 'matmul operands must be at most 8-bit (they enter fixed 8-bit lanes as weights)');
      const shape = matmulShape({ ...v, name: v.name, alpha: 1 }, spatial(x, at), spatial(ins[1]!, at), at);
      return tensorOf(v.out, shape);
    }
    case 'gather': {
      const n = numel(v.shape);
      if (v.src.length !== n || v.off.length !== n || v.consts.length !== n) fail(at, `src/off/consts need ${n} entries`);
      ins.forEach((t, j) => {
        if (t.scale !== x.scale || t.bits !== x.bits || t.signed !== x.signed) fail(`${at}.inputs[${j}]`, 'gather inputs must share bits, signedness and scale');
      });
      for (let i = 0; i < n; i++) {
        const s = v.src[i]!;
        if (s >= ins.length || (s >= 0 && v.off[i]! >= numel(ins[s]!.shape))) fail(`${at}.src[${i}]`, 'refers outside its input');
        if (s < 0 && (v.consts[i]! < x.lo || v.consts[i]! > x.hi)) fail(`${at}.consts[${i}]`, `${v.consts[i]} outside [${x.lo}, ${x.hi}]`);
      }
      return { ...x, shape: [...v.shape] };
    }
  }
  fail(at, `unknown op '${(l as { op: string }).op}'`);
}
