/**
 * Quantization of the channel and pointwise ops (issue 12), called by ptq.ts:
 *  - Scale groups: a concat's producers write one tensor, so every tensor joined by a concat — and every tensor that
 *    passes its input's scale through (maxpool, relu, flatten, slice, shuffle, resize) — shares one activation
 *    spec: the union of the members' ranges at the largest of their activation bits.
 *  - concat / slice / shuffle / resize keep their input's scale; `act` becomes a `lut` (lut.ts) from the input's
 *    spec to the output's; mulchannel gets (M, S) for s_x * s_s / s_out.
 *  - avgpool with ceil_mode or count_include_pad = false: one multiplier per divisor (Mdiv), one shared S chosen for
 *    the largest factor (divisor 1).
 */
import { fail } from '../util/errors.js';
import { chooseMultiplier } from './conventions.js';
import { buildLut } from './lut.js';
import { avgPoolVaries, floatLayerInputs, type ActSpec, type FloatChannelOp, type FloatModel, type FloatPool, type QuantLayer } from './model.js';
import { actSpec, type Range } from './ptq.js';

const PASS = new Set(['maxpool', 'relu', 'flatten', 'slice', 'shuffle', 'resize']);

export interface ScaleGroup {
  range: Range;
  bits: number;
  members: string[];
}

/**
 * The scale groups of a model (only groups that contain a concat), keyed by member tensor name (names after ReLU
 * fusion: `alias`). `bitsOf` gives a member's configured activation bits, `rangeOf` its calibrated range.
 */
export function scaleGroups(
  fm: FloatModel,
  alias: (n: string) => string,
  rangeOf: (n: string) => Range,
  bitsOf: (n: string) => number,
): Map<string, ScaleGroup> {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let r = a;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(a, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const concats: string[] = [];
  for (const l of fm.layers) {
    const me = alias(l.name);
    if (me !== l.name) continue; // a fused ReLU
    if (l.op === 'concat') {
      concats.push(me);
      for (const n of l.inputs) union(alias(n), me);
    } else if (PASS.has(l.op)) union(alias(floatLayerInputs(l)[0]!), me);
  }
  const roots = new Set(concats.map(find));
  const byRoot = new Map<string, ScaleGroup>();
  for (const t of parent.keys()) {
    const r = find(t);
    if (!roots.has(r)) continue;
    if (!byRoot.has(r)) byRoot.set(r, { range: { min: Infinity, max: -Infinity }, bits: 0, members: [] });
    byRoot.get(r)!.members.push(t);
  }
  const out = new Map<string, ScaleGroup>();
  for (const g of byRoot.values()) {
    for (const m of g.members) {
      const r = rangeOf(m);
      g.range = { min: Math.min(g.range.min, r.min), max: Math.max(g.range.max, r.max) };
      g.bits = Math.max(g.bits, bitsOf(m));
    }
    for (const m of g.members) out.set(m, g);
  }
  return out;
}

/**
 * The spec of a scale-group member. A group whose range goes negative is signed b-bit; a member with a fused ReLU
 * then is unsigned (b-1)-bit at the same scale: exactly the non-negative half, so the concat tensor holds it.
 */
export function groupSpec(g: ScaleGroup, relu: boolean, at: string): ActSpec {
  const s = actSpec(g.range, g.bits, false, at);
  if (relu && s.signed) return { bits: s.bits - 1, signed: false, scale: s.scale };
  return s;
}

/** QuantModel layer of a channel op (not avgpool); `scales` holds every earlier tensor's spec. */
export function quantizeChannelOp(
  l: FloatChannelOp,
  scales: Map<string, ActSpec>,
  alias: (n: string) => string,
  outSpec: () => ActSpec,
  at: string,
): { layer: QuantLayer; spec: ActSpec } {
  const sin = scales.get(alias(floatLayerInputs(l)[0]!))!;
  switch (l.op) {
    case 'concat': {
      const inputs = l.inputs.map(alias);
      const specs = inputs.map((n) => scales.get(n)!);
      specs.forEach((s, j) => {
        if (s.scale !== sin.scale) fail(`${at}.inputs[${j}]`, `'${inputs[j]}' has scale ${s.scale}, '${inputs[0]}' ${sin.scale}: a concat's inputs need one scale`);
      });
      const signed = specs.some((s) => s.signed);
      return { layer: { name: l.name, op: 'concat', inputs }, spec: { bits: Math.max(...specs.map((s) => s.bits)), signed, scale: sin.scale } };
    }
    case 'slice':
      return { layer: { name: l.name, op: 'slice', input: alias(l.input), c0: l.c0, cCount: l.cCount }, spec: sin };
    case 'shuffle':
      return { layer: { name: l.name, op: 'shuffle', input: alias(l.input), groups: l.groups }, spec: sin };
    case 'resize':
      return { layer: { name: l.name, op: 'resize', input: alias(l.input), scale: [...l.scale] }, spec: sin };
    case 'act': {
      const out = outSpec();
      const table = buildLut(l.fn, l.params, sin, out, at);
      return { layer: { name: l.name, op: 'lut', input: alias(l.input), fn: l.fn, table, out }, spec: out };
    }
    case 'mulchannel': {
      const ss = scales.get(alias(l.inputs[1]))!;
      const out = outSpec();
      const { M, S } = chooseMultiplier((sin.scale * ss.scale) / out.scale, at);
      return { layer: { name: l.name, op: 'mulchannel', inputs: [alias(l.inputs[0]), alias(l.inputs[1])], M, S, out }, spec: out };
    }
  }
}

/** (M, S) of an average pool, and Mdiv when windows differ in size (ceil_mode, count_include_pad = false). */
export function avgPoolParams(
  l: FloatPool,
  sin: ActSpec,
  out: ActSpec,
  inShape: number[],
  at: string,
): { M: number; S: number; Mdiv?: number[]; ceil?: boolean; countIncludePad?: boolean } {
  const kk = l.kernel[0] * l.kernel[1];
  const extra = { ...(l.ceil ? { ceil: true } : {}), ...(l.countIncludePad === false ? { countIncludePad: false } : {}) };
  if (!avgPoolVaries(l, inShape[1]!, inShape[2]!)) return { ...chooseMultiplier(sin.scale / (kk * out.scale), at), ...extra };
  const { S } = chooseMultiplier(sin.scale / out.scale, at);
  const Mdiv = Array.from({ length: kk }, (_, d) => Math.round((sin.scale / ((d + 1) * out.scale)) * 2 ** S));
  return { M: Mdiv[kk - 1]!, S, Mdiv, ...extra };
}
