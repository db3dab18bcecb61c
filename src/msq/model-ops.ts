/**
 * Semantic checks of the channel and pointwise layers of a QuantModel (issue 12), called by checkModel (model.ts):
 * shapes, the concat's shared scale, lookup-table sizes and ranges.
 */
import { fail } from '../util/errors.js';
import { actRange } from './conventions.js';
import { LUT_MAX_IN_BITS } from './lut.js';
import type { ActSpec, QuantLayer, TensorInfo } from './model.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
function tensorOf(spec: ActSpec, shape: number[]): TensorInfo {
  const [lo, hi] = actRange(spec.bits, spec.signed);
  return { shape, bits: spec.bits, signed: spec.signed, scale: spec.scale, lo, hi };
}

/** Tensor facts of the channel / pointwise ops (concat, slice, shuffle, resize, lut, mulchannel). */
export function channelOpInfo(
  l: Extract<QuantLayer, { op: 'concat' | 'slice' | 'shuffle' | 'resize' | 'lut' | 'mulchannel' }>,
  ins: TensorInfo[],
  at: string,
  spatial: (what: string) => [number, number, number],
): TensorInfo {
  const x = ins[0]!;
  switch (l.op) {
    case 'concat': {
      const [, h, w] = spatial('concat');
      // one tensor: signed if any input is, the widest input's bits; every input's range must fit it
      const signed = ins.some((y) => y.signed);
      const bits = Math.max(...ins.map((y) => y.bits));
      const [lo, hi] = actRange(bits, signed);
      let c = 0;
      ins.forEach((y, j) => {
        if (y.shape.length !== 3 || y.shape[1] !== h || y.shape[2] !== w) fail(`${at}.inputs[${j}]`, `shape [${y.shape.join(', ')}] does not match [*, ${h}, ${w}]`);
        if (y.scale !== x.scale || y.lo < lo || y.hi > hi) {
          fail(`${at}.inputs[${j}]`, `concat inputs need one scale and ranges inside ${signed ? 'signed' : 'unsigned'} ${bits}-bit (the producers write one tensor); got ${y.bits}-bit scale ${y.scale} vs scale ${x.scale}`);
        }
        c += y.shape[0]!;
      });
      return { shape: [c, h, w], bits, signed, scale: x.scale, lo: Math.min(...ins.map((y) => y.lo)), hi: Math.max(...ins.map((y) => y.hi)) };
    }
    case 'slice': {
      const [c, h, w] = spatial('slice');
      if (l.c0 + l.cCount > c) fail(`${at}.cCount`, `channels ${l.c0}..${l.c0 + l.cCount - 1} past the input's ${c}`);
      return { ...x, shape: [l.cCount, h, w] };
    }
    case 'shuffle': {
      const [c] = spatial('shuffle');
      if (c % l.groups !== 0) fail(`${at}.groups`, `${c} channels do not split into ${l.groups} groups`);
      return { ...x, shape: [...x.shape] };
    }
    case 'resize': {
      const [c, h, w] = spatial('resize');
      return { ...x, shape: [c, h * l.scale[0], w * l.scale[1]] };
    }
    case 'lut': {
      if (x.bits > LUT_MAX_IN_BITS) fail(`${at}.input`, `a lookup table reads at most ${LUT_MAX_IN_BITS}-bit values, '${l.input}' has ${x.bits}`);
      if (l.table.length !== 2 ** x.bits) fail(`${at}.table`, `has ${l.table.length} entries, a ${x.bits}-bit input needs ${2 ** x.bits}`);
      const [lo, hi] = actRange(l.out.bits, l.out.signed);
      l.table.forEach((v, k) => {
        if (v < lo || v > hi) fail(`${at}.table[${k}]`, `value ${v} outside the output range [${lo}, ${hi}]`);
      });
      return tensorOf(l.out, [...x.shape]);
    }
    case 'mulchannel': {
      const [c] = spatial('mulchannel');
      const s = ins[1]!;
      if (numel(s.shape) !== c) fail(`${at}.inputs[1]`, `scale vector has ${numel(s.shape)} values, expected ${c} (one per channel)`);
      return tensorOf(l.out, [...x.shape]);
    }
  }
}
