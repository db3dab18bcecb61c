/**
 * Golden model of the transformer layers (bit-exact integer semantics; docs/vit.md): matmul with run-time filters,
 * gather, addconst here; layernorm / softmax / gelu through the I-ViT operators of src/msq/ivit (int-ops.ts).
 * Called by golden.ts.
 */
import { addRequantize, requantize } from '../conventions.js';
import type { TensorInfo } from '../model.js';
import type { VitQuantLayer } from './check.js';
import { geluInt, layerNormInt, softmaxInt } from './int-ops.js';
import { putRows, tensorRows } from './nl-jobs.js';

/** A run-time filter weight: the operand's value, -128 read as -127 (fixed lanes hold codes in [-127, 127]). */
export const runtimeWeight = (v: number): number => (v < -127 ? -127 : v);

export function runVitLayer(layer: unknown, live: Map<string, Int32Array>, infos: Map<string, TensorInfo>): Int32Array {
  const l = layer as VitQuantLayer;
  const out = infos.get(l.name)!;
  switch (l.op) {
    case 'matmul':
      return matmulInt(l, live, infos, out);
    case 'gather': {
      const ins = l.inputs.map((n) => live.get(n)!);
      return Int32Array.from(l.src, (s, i) => (s < 0 ? l.consts[i]! : ins[s]![l.off[i]!]!));
    }
    case 'addconst': {
      const x = live.get(l.input)!;
      return Int32Array.from(x, (v, i) => addRequantize(v, l.Ma, l.value[i]!, l.Mb, l.S, out.lo, out.hi));
    }
    case 'layernorm':
    case 'softmax':
    case 'gelu':
      return perPosition(l, live.get(l.input)!, infos.get(l.input)!.shape, out);
  }
}

/** Apply a vector operator to the channels of every position (softmax: to each of its channel groups). */
function perPosition(l: Extract<VitQuantLayer, { op: 'layernorm' | 'softmax' | 'gelu' }>, x: Int32Array, shape: number[], out: TensorInfo): Int32Array {
  const groups = l.op === 'softmax' ? l.groups : 1;
  const o = { bits: out.bits, signed: out.signed, scale: out.scale };
  const rows = tensorRows(x, shape, groups).map((v) => (l.op === 'layernorm' ? layerNormInt(v, l.params, o) : l.op === 'softmax' ? softmaxInt(v, l.params) : geluInt(v, l.params, o)));
  return putRows(rows, shape, groups);
}

function matmulInt(l: Extract<VitQuantLayer, { op: 'matmul' }>, live: Map<string, Int32Array>, infos: Map<string, TensorInfo>, out: TensorInfo): Int32Array {
  const a = live.get(l.inputs[0])!;
  const b = live.get(l.inputs[1])!;
  const sa = infos.get(l.inputs[0])!.shape;
  const sb = infos.get(l.inputs[1])!.shape;
  const P = sa[1]! * sa[2]!;
  const Nb = sb[1]! * sb[2]!;
  const [a0, b0] = l.offsets;
  const hs = l.headSize;
  const tokens = l.filtersFrom === 'tokens';
  const perHead = tokens ? Nb : hs;
  const K = tokens ? hs : Nb;
  const y = new Int32Array(l.heads * perHead * P);
  const w = new Float64Array(K);
  for (let h = 0; h < l.heads; h++) {
    const aBase = tokens ? a0 + h * hs : a0 + h * Nb;
    for (let f = 0; f < perHead; f++) {
      for (let k = 0; k < K; k++) w[k] = runtimeWeight(tokens ? b[(b0 + h * hs + k) * Nb + f]! : b[(b0 + h * hs + f) * Nb + k]!);
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[(aBase + k) * P + p]! * w[k]!;
        y[(h * perHead + f) * P + p] = requantize(s, l.M, l.S, out.lo, out.hi);
      }
    }
  }
  return y;
}
