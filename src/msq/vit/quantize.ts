/**
 * Post-training quantization of an imported vision transformer (FloatModel with transformer ops) to an I-ViT
 * QuantModel: every activation INT8 with one scale per tensor (symmetric, max-abs over the calibration images, clipped
 * at a high percentile), softmax outputs unsigned 8-bit at 2^-8, per-filter weights.
 *   linears 'int8': every conv/linear fixed 8-bit (I-ViT);
 *   linears 'msq4': the encoder's linears at 4 bits with the MSQ fixed/SP2 split per filter (`ratio` SP2 filters per
 *     fixed one, variance rule); patch embedding and classifier stay 8-bit.
 * Nonlinear layers get their integer constants from the I-ViT operators (int-ops.ts); the inputs of softmax and GELU
 * get power-of-two scales 2^-frac (ivit's Shiftmax / ShiftGELU input convention).
 */
import { fail } from '../../util/errors.js';
import { actRange, chooseMultiplier, weightDenominator, type Scheme } from '../conventions.js';
import { floatInputName, floatOutputName, floatShapes, runFloat } from '../float.js';
import { floatLayerInputs, numel, type ActSpec, type FloatConv2d, type FloatModel, type Filter, type QuantLayer, type QuantModel } from '../model.js';
import { bestAlpha } from '../quant.js';
import { chooseSchemes } from '../scheme.js';
import { SOFTMAX_OUT, fracFor, geluParams, layerNormParams, softmaxParams } from './int-ops.js';

export interface VitQuantOptions {
  linears: 'int8' | 'msq4';
  /** SP2 filters per fixed filter for msq4 (board ratio); default 2 */
  ratio?: number;
  /** activation clip percentile of |x| per tensor; default 99.99 */
  percentile?: number;
}

/** Per tensor: the `percentile` of |x| over all samples. */
function tensorRanges(fm: FloatModel, samples: ArrayLike<number>[], pct: number): Map<string, number> {
  const shapes = floatShapes(fm);
  const all = new Map<string, number[]>();
  for (const s of samples) {
    const t = runFloat(fm, s, { keepAll: true, shapes }).tensors!;
    for (const [k, v] of t) {
      let arr = all.get(k);
      if (!arr) all.set(k, (arr = []));
      // subsample big tensors to bound memory: every element's |x| of up to 4096 per sample
      const step = Math.max(1, Math.floor(v.length / 4096));
      for (let i = 0; i < v.length; i += step) arr.push(Math.abs(v[i]!));
    }
  }
  const out = new Map<string, number>();
  for (const [k, arr] of all) {
    arr.sort((a, b) => a - b);
    out.set(k, Math.max(arr[Math.min(arr.length - 1, Math.floor((pct / 100) * arr.length))]!, 1e-6));
  }
  return out;
}

const signed8 = (maxAbs: number): ActSpec => ({ bits: 8, signed: true, scale: maxAbs / 127 });

function quantFilters(l: FloatConv2d, sIn: number, sOut: number, bits: number, schemes: Scheme[], at: string): Filter[] {
  const K = l.weight.length / l.outChannels;
  return schemes.map((scheme, o) => {
    const w = Array.from({ length: K }, (_, k) => l.weight[o * K + k]!);
    const r = bestAlpha(w, scheme, bits);
    const step = r.alpha / weightDenominator(scheme, bits);
    const { M, S } = chooseMultiplier((sIn * step) / sOut, `${at}.filters[${o}]`);
    return { scheme, bits, alpha: r.alpha, weights: Array.from(r.codes), bias: Math.round(l.bias[o]! / (sIn * step)), M, S };
  });
}

/** Scales tied by gathers (class token concat, token select): one scale for a gather and all its inputs. */
function tiedScales(fm: FloatModel, maxAbs: Map<string, number>): Map<string, number> {
  const root = new Map<string, string>();
  const find = (n: string): string => {
    const r = root.get(n);
    return !r || r === n ? n : find(r);
  };
  for (const l of fm.layers) {
    if (l.op !== 'gather') continue;
    for (const i of l.inputs) root.set(find(i), find(l.name));
  }
  const groupMax = new Map<string, number>();
  for (const [k, v] of maxAbs) groupMax.set(find(k), Math.max(groupMax.get(find(k)) ?? 0, v));
  return new Map([...maxAbs.keys()].map((k) => [k, groupMax.get(find(k))!]));
}

export function quantizeVit(fm: FloatModel, samples: ArrayLike<number>[], opts: VitQuantOptions): QuantModel {
  if (!samples.length) fail('calibration', 'needs at least one calibration image');
  const ranges = tiedScales(fm, tensorRanges(fm, samples, opts.percentile ?? 99.99));
  const inName = floatInputName(fm);
  const spec = new Map<string, ActSpec>([[inName, { bits: 8, signed: false, scale: 1 / 255 }]]);
  // inputs of Shiftmax / ShiftGELU take a power-of-two scale 2^-frac
  const pow2 = new Set(fm.layers.filter((l) => l.op === 'softmax' || l.op === 'gelu').map((l) => (l as { input: string }).input));
  const actSpec = (name: string): ActSpec => (pow2.has(name) ? { bits: 8, signed: true, scale: 2 ** -fracFor(ranges.get(name)!) } : signed8(ranges.get(name)!));
  const last = fm.layers.filter((l) => l.op === 'conv2d').at(-1)?.name;
  const first = fm.layers.find((l) => l.op === 'conv2d')?.name;
  const layers: QuantLayer[] = fm.layers.map((l, i) => {
    const at = `layers[${i}] (${l.name})`;
    const ins = floatLayerInputs(l).map((n) => spec.get(n)!);
    const sIn = ins[0]!.scale;
    const out: ActSpec = l.op === 'softmax' ? { ...SOFTMAX_OUT } : actSpec(l.name);
    spec.set(l.name, out);
    switch (l.op) {
      case 'conv2d': {
        const low = opts.linears === 'msq4' && l.name !== first && l.name !== last;
        const K = l.weight.length / l.outChannels;
        const rows = Array.from({ length: l.outChannels }, (_, o) => Array.from({ length: K }, (_, k) => l.weight[o * K + k]!));
        const schemes: Scheme[] = low ? chooseSchemes(rows, { rule: 'variance', ratio: opts.ratio ?? 2, field: at }) : rows.map(() => 'fixed');
        const { weight: _w, bias: _b, ...geo } = l;
        return { ...geo, out, filters: quantFilters(l, sIn, out.scale, low ? 4 : 8, schemes, at) };
      }
      case 'matmul': {
        const { M, S } = chooseMultiplier((l.alpha * sIn * ins[1]!.scale) / out.scale, at);
        const { alpha: _a, ...rest } = l;
        return { ...rest, inputs: [...l.inputs], offsets: [...l.offsets], M, S, out };
      }
      case 'add': {
        const fa = sIn / out.scale;
        const fb = ins[1]!.scale / out.scale;
        const { S } = chooseMultiplier(Math.max(fa, fb), at);
        return { name: l.name, op: 'add', inputs: [...l.inputs], Ma: Math.round(fa * 2 ** S), Mb: Math.round(fb * 2 ** S), S, out };
      }
      case 'addconst': {
        const { S } = chooseMultiplier(Math.max(sIn / out.scale, 1), at);
        const value = Array.from(l.value, (v) => Math.round(v / out.scale));
        return { name: l.name, op: 'addconst', input: l.input, value, Ma: Math.round((sIn / out.scale) * 2 ** S), Mb: 2 ** S, S, out };
      }
      case 'gather': {
        spec.set(l.name, ins[0]!);
        const [lo, hi] = actRange(ins[0]!.bits, ins[0]!.signed);
        const consts = Array.from(l.consts, (c, k) => (l.src[k]! < 0 ? Math.min(hi, Math.max(lo, Math.round(c / sIn))) : 0));
        return { name: l.name, op: 'gather', inputs: [...l.inputs], shape: [...l.shape], src: Array.from(l.src), off: Array.from(l.off, (o, k) => (l.src[k]! < 0 ? 0 : o)), consts };
      }
      case 'layernorm':
        return { name: l.name, op: 'layernorm', input: l.input, out, params: layerNormParams(sIn, l.gamma, l.beta, l.eps, out) };
      case 'softmax':
        return { name: l.name, op: 'softmax', input: l.input, groups: l.groups, out, params: softmaxParams(-Math.log2(sIn)) };
      case 'gelu':
        return { name: l.name, op: 'gelu', input: l.input, out, params: geluParams(-Math.log2(sIn), out) };
      default:
        fail(at, `${l.op} layers are not part of the I-ViT quantizer (use accelforge quantize for CNNs)`);
    }
  });
  if (numel(fm.input.shape) <= 0) fail('input', 'empty input');
  return {
    format: 'accelforge-msq', version: 1, name: fm.name, note: `I-ViT PTQ, linears ${opts.linears}`,
    input: { name: inName, shape: [...fm.input.shape], bits: 8, signed: false, scale: 1 / 255 },
    layers, output: floatOutputName(fm),
  };
}
