/**
 * Model formats of the MSQ flow.
 *  - QuantModel: the quantized network (JSON, validated by zod + a semantic pass; JSON Schema in
 *    schemas/msq-model.schema.json). Executed bit-exactly by golden.ts and by the generated RTL.
 *  - FloatModel: the same graph with float weights (BatchNorm already folded), produced by the ONNX importer and
 *    executed by float.ts; quantizeFloatModel (ptq.ts) turns it into a QuantModel.
 *
 * Tensor layout: batch 1, spatial tensors [C, H, W] row-major, flat tensors [N]. Conv weights per filter are ordered
 * [ci][ky][kx] (ci over inChannels/groups); linear weights per filter (= output feature) over the input features.
 * Layers reference their inputs by name; the network input is called `input.name` (default "input"). Names are
 * unique. The model output is `output` (default: the last layer).
 */
import { z } from 'zod';
import { fail } from '../util/errors.js';
import { POINTWISE_FNS, type PointwiseFn, type PointwiseParams } from './lut.js';
import { channelOpInfo } from './model-ops.js';
import {
  ACT_BITS,
  actRange,
  checkWeightBits,
  codeRange,
  type Scheme,
} from './conventions.js';
import { checkVitLayer, isVitLayer } from './vit/check.js';
import { ActSpecSchema, base, inputPair, int, int32, Mul, posInt, Shift } from './model-base.js';
import { AddConstQSchema, GatherQSchema, GeluQSchema, LayerNormQSchema, MatMulQSchema, SoftmaxQSchema, type FloatVitLayer } from './vit/model.js';

export { ActSpecSchema } from './model-base.js';
export { AddConstQSchema, GatherQSchema, GeluQSchema, LayerNormQSchema, MatMulQSchema, SoftmaxQSchema } from './vit/model.js';
export type { FloatGather, FloatLayerNorm, FloatMatMul, FloatSoftmax, FloatVitLayer } from './vit/model.js';

export const MODEL_FORMAT = 'accelforge-msq' as const;
export const MODEL_VERSION = 1 as const;

const pair = z.tuple([posInt, posInt]);
const pads = z.tuple([z.int().min(0), z.int().min(0), z.int().min(0), z.int().min(0)]).describe('[top, left, bottom, right]');

export const FilterSchema = z
  .object({
    scheme: z.enum(['fixed', 'sp2']),
    bits: z.int().min(2).max(8),
    alpha: z.number().positive().describe('real weight = weightValue(code) * alpha / weightDenominator(scheme, bits)'),
    weights: z.array(int).describe('codes: fixed = signed k in [-Q, Q]; sp2 = unsigned bit pattern [sign|e1|e2]'),
    bias: int32.describe('added to the accumulator, in accumulator units (input scale * weight scale)'),
    M: Mul,
    S: Shift,
  })
  .strict();


export const Conv2dSchema = z
  .object({
    ...base,
    op: z.literal('conv2d'),
    input: z.string().min(1),
    inChannels: posInt,
    outChannels: posInt,
    kernel: pair.describe('[kh, kw]'),
    stride: pair.describe('[sh, sw]'),
    padding: pads,
    groups: posInt.describe('1 or inChannels (depthwise, outChannels = inChannels)'),
    out: ActSpecSchema,
    filters: z.array(FilterSchema),
  })
  .strict();

export const LinearSchema = z
  .object({
    ...base,
    op: z.literal('linear'),
    input: z.string().min(1),
    inFeatures: posInt,
    outFeatures: posInt,
    out: ActSpecSchema,
    filters: z.array(FilterSchema),
  })
  .strict();

export const ReluSchema = z.object({ ...base, op: z.literal('relu'), input: z.string().min(1) }).strict();

const ceil = z.boolean().optional().describe('ceil_mode: output size rounds up; a window starting past the input and begin pad is dropped');

export const MaxPoolSchema = z
  .object({ ...base, op: z.literal('maxpool'), input: z.string().min(1), kernel: pair, stride: pair, padding: pads, ceil })
  .strict();

export const AvgPoolSchema = z
  .object({
    ...base,
    op: z.literal('avgpool'),
    input: z.string().min(1),
    kernel: pair,
    stride: pair,
    padding: pads.describe('[top, left, bottom, right]; padded zeros count in the window (fixed divisor kh*kw)'),
    M: Mul,
    S: Shift,
    out: ActSpecSchema,
    ceil,
    countIncludePad: z.boolean().optional().describe('default true: the divisor counts padded positions (not those past the end pad)'),
    Mdiv: z.array(Mul).optional().describe('per divisor d = 1..kh*kw: the multiplier of a window of d positions (same S); needed when windows differ'),
  })
  .strict();

export const GlobalAvgPoolSchema = z
  .object({ ...base, op: z.literal('globalavgpool'), input: z.string().min(1), M: Mul, S: Shift, out: ActSpecSchema })
  .strict();

export const AddSchema = z
  .object({
    ...base,
    op: z.literal('add'),
    inputs: inputPair,
    Ma: Mul,
    Mb: Mul,
    S: Shift,
    out: ActSpecSchema,
  })
  .strict();

export const FlattenSchema = z.object({ ...base, op: z.literal('flatten'), input: z.string().min(1) }).strict();

// --- channel and pointwise ops (issue 12) ---
const name1 = z.string().min(1);
export const ConcatSchema = z
  .object({ ...base, op: z.literal('concat'), inputs: z.array(name1).min(2).describe('[C, H, W] tensors of one H, W and one bits/signed/scale; channels in order') })
  .strict();
export const SliceSchema = z
  .object({ ...base, op: z.literal('slice'), input: name1, c0: z.int().min(0), cCount: posInt }).strict()
  .describe('channels c0 .. c0+cCount-1 of a [C, H, W] tensor (ONNX Split / Slice on the channel axis)');
export const ShuffleSchema = z
  .object({ ...base, op: z.literal('shuffle'), input: name1, groups: posInt }).strict()
  .describe('channel shuffle: output channel j*groups + g = input channel g*(C/groups) + j');
export const ResizeSchema = z
  .object({ ...base, op: z.literal('resize'), input: name1, scale: pair.describe('[fy, fx] integer nearest upsampling') })
  .strict();
export const LutSchema = z
  .object({
    ...base,
    op: z.literal('lut'),
    input: name1,
    fn: z.enum(POINTWISE_FNS),
    table: z.array(int).describe('2^b entries for a b-bit input (b <= 8): y -> table[y - lo] (src/msq/lut.ts)'),
    out: ActSpecSchema,
  })
  .strict();
export const MulChannelSchema = z
  .object({
    ...base,
    op: z.literal('mulchannel'),
    inputs: z.tuple([name1, name1]).describe('[x [C, H, W], s [C, 1, 1] or [C]]: y = clamp((x * s[c] * M + 2^(S-1)) >> S)'),
    M: Mul,
    S: Shift,
    out: ActSpecSchema,
  })
  .strict();
export const LayerSchema = z.discriminatedUnion('op', [
  Conv2dSchema,
  LinearSchema,
  ReluSchema,
  MaxPoolSchema,
  AvgPoolSchema,
  GlobalAvgPoolSchema,
  AddSchema,
  FlattenSchema,
  ConcatSchema,
  SliceSchema,
  ShuffleSchema,
  ResizeSchema,
  LutSchema,
  MulChannelSchema,
  LayerNormQSchema,
  SoftmaxQSchema,
  GeluQSchema,
  MatMulQSchema,
  GatherQSchema,
  AddConstQSchema,
]);

export const InputSchema = z
  .object({
    name: z.string().min(1).default('input'),
    shape: z.array(posInt).min(1).max(3).describe('[C, H, W] or [N]'),
    bits: z.int().min(ACT_BITS.min).max(ACT_BITS.max),
    signed: z.boolean(),
    scale: z.number().positive(),
    normalize: z
      .object({ mean: z.array(z.number()), std: z.array(z.number().positive()) })
      .strict()
      .optional()
      .describe('images: x = (pixel/255 - mean[c]) / std[c] before quantization'),
  })
  .strict();

export const QuantModelSchema = z
  .object({
    $schema: z.string().optional(),
    format: z.literal(MODEL_FORMAT),
    version: z.literal(MODEL_VERSION),
    name: z.string().optional(),
    note: z.string().optional().describe('free text, e.g. "synthetic weights"'),
    input: InputSchema,
    layers: z.array(LayerSchema).min(1),
    output: z.string().optional(),
    softmax: z.boolean().optional().describe('the host applies softmax over the output (channels) after the core'),
  })
  .strict();

export type ActSpec = z.infer<typeof ActSpecSchema>;
export type Filter = z.infer<typeof FilterSchema>;
export type Conv2dLayer = z.infer<typeof Conv2dSchema>;
export type LinearLayer = z.infer<typeof LinearSchema>;
export type ReluLayer = z.infer<typeof ReluSchema>;
export type MaxPoolLayer = z.infer<typeof MaxPoolSchema>;
export type AvgPoolLayer = z.infer<typeof AvgPoolSchema>;
export type GlobalAvgPoolLayer = z.infer<typeof GlobalAvgPoolSchema>;
export type AddLayer = z.infer<typeof AddSchema>;
export type FlattenLayer = z.infer<typeof FlattenSchema>;
export type ConcatLayer = z.infer<typeof ConcatSchema>;
export type LutLayer = z.infer<typeof LutSchema>;
export type QuantLayer = z.infer<typeof LayerSchema>;
export type QuantInput = z.infer<typeof InputSchema>;
export type QuantModel = z.infer<typeof QuantModelSchema>;

/** JSON Schema for editors (schemas/msq-model.schema.json is this, kept up to date by a test). */
export function quantModelJsonSchema(): unknown {
  const s = z.toJSONSchema(QuantModelSchema, { io: 'input' }) as Record<string, unknown>;
  return { title: 'accelforge MSQ quantized model', ...s };
}

/** `layers[3].filters[7].weights[12]` from a zod path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(model)';
}

/** Static facts about one tensor in the graph. */
export interface TensorInfo {
  /** [C, H, W] or [N] */
  shape: number[];
  bits: number;
  signed: boolean;
  scale: number;
  /** integer range of the values this tensor can hold */
  lo: number;
  hi: number;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Output size of a sliding window. */
export function windowOut(size: number, k: number, s: number, padA: number, padB: number): number {
  return Math.floor((size + padA + padB - k) / s) + 1;
}

export function layerInputs(l: QuantLayer): string[] {
  return 'inputs' in l ? [...l.inputs] : [l.input];
}

/** Output size of a pooling window with ceil_mode: rounds up, dropping a last window that starts past the input. */
export function poolOut(size: number, k: number, s: number, padA: number, padB: number, ceil = false): number {
  if (!ceil) return windowOut(size, k, s, padA, padB);
  let o = Math.ceil((size + padA + padB - k) / s) + 1;
  if ((o - 1) * s >= size + padA) o--;
  return o;
}

/** Positions of a window starting at `start` (>= -padA) that count in an average: inside the input, or inside the pads. */
export function poolCount(start: number, k: number, size: number, padA: number, padB: number, includePad: boolean): number {
  const lo = includePad ? -padA : 0;
  const hi = includePad ? size + padB : size;
  return Math.min(start + k, hi) - Math.max(start, lo);
}

/** Whether some window of an average pool has a divisor other than kh*kw (then the layer needs Mdiv). */
export function avgPoolVaries(
  l: { kernel: [number, number]; stride: [number, number]; padding: [number, number, number, number]; ceil?: boolean; countIncludePad?: boolean },
  h: number,
  w: number,
): boolean {
  const inc = l.countIncludePad ?? true;
  const dims: [number, number, number, number, number][] = [
    [h, l.kernel[0], l.stride[0], l.padding[0], l.padding[2]],
    [w, l.kernel[1], l.stride[1], l.padding[1], l.padding[3]],
  ];
  return dims.some(([n, k, s, a, b]) => {
    const o = poolOut(n, k, s, a, b, l.ceil);
    for (let i = 0; i < o; i++) if (poolCount(i * s - a, k, n, a, b, inc) !== k) return true;
    return false;
  });
}

function tensorOf(spec: ActSpec, shape: number[]): TensorInfo {
  const [lo, hi] = actRange(spec.bits, spec.signed);
  return { shape, bits: spec.bits, signed: spec.signed, scale: spec.scale, lo, hi };
}

/**
 * Semantic checks after the schema: names, references (earlier layers only), shapes, filter counts, weight code
 * ranges per scheme and bits. Returns the tensor facts of every named tensor (input first, then layers in order).
 * Every error names the JSON path.
 */
export function checkModel(m: QuantModel): Map<string, TensorInfo> {
  const t = new Map<string, TensorInfo>();
  const [ilo, ihi] = actRange(m.input.bits, m.input.signed);
  if (m.input.normalize) {
    const c = m.input.shape[0]!;
    if (m.input.shape.length !== 3) fail('input.normalize', 'needs an image input shape [C, H, W]');
    if (m.input.normalize.mean.length !== c || m.input.normalize.std.length !== c) {
      fail('input.normalize', `mean and std need ${c} entries (one per channel)`);
    }
  }
  t.set(m.input.name, { shape: [...m.input.shape], bits: m.input.bits, signed: m.input.signed, scale: m.input.scale, lo: ilo, hi: ihi });
  m.layers.forEach((l, i) => {
    const at = `layers[${i}]`;
    if (t.has(l.name)) fail(`${at}.name`, `duplicate tensor name '${l.name}'; names must be unique`);
    const ins = layerInputs(l).map((n, j) => {
      const info = t.get(n);
      const f = 'inputs' in l ? `${at}.inputs[${j}]` : `${at}.input`;
      if (!info) fail(f, `unknown tensor '${n}'; inputs must name the model input or an earlier layer`);
      return info;
    });
    const x = ins[0]!;
    const spatial = (what: string): [number, number, number] => {
      if (x.shape.length !== 3) fail(`${at}.input`, `${what} needs a [C, H, W] input, '${layerInputs(l)[0]}' has shape [${x.shape.join(', ')}]`);
      return x.shape as [number, number, number];
    };
    switch (l.op) {
      case 'conv2d': {
        const [c, h, w] = spatial('conv2d');
        if (c !== l.inChannels) fail(`${at}.inChannels`, `is ${l.inChannels} but the input has ${c} channels`);
        const dw = l.groups !== 1;
        if (dw && (l.groups !== l.inChannels || l.outChannels !== l.inChannels)) {
          fail(`${at}.groups`, `must be 1 or inChannels (depthwise with outChannels = inChannels), got ${l.groups}`);
        }
        const oh = windowOut(h, l.kernel[0], l.stride[0], l.padding[0], l.padding[2]);
        const ow = windowOut(w, l.kernel[1], l.stride[1], l.padding[1], l.padding[3]);
        if (oh < 1 || ow < 1) fail(`${at}.kernel`, `kernel larger than the padded input ${h}x${w}`);
        checkFilters(l.filters, l.outChannels, (l.inChannels / l.groups) * l.kernel[0] * l.kernel[1], at);
        t.set(l.name, tensorOf(l.out, [l.outChannels, oh, ow]));
        break;
      }
      case 'linear': {
        const n = numel(x.shape);
        if (n !== l.inFeatures) fail(`${at}.inFeatures`, `is ${l.inFeatures} but the input has ${n} elements`);
        if (x.shape.length !== 1) fail(`${at}.input`, `linear needs a flat input; add a flatten layer before it`);
        checkFilters(l.filters, l.outFeatures, l.inFeatures, at);
        t.set(l.name, tensorOf(l.out, [l.outFeatures]));
        break;
      }
      case 'relu':
        t.set(l.name, { ...x, shape: [...x.shape], signed: false, lo: Math.max(0, x.lo), hi: Math.max(0, x.hi) });
        break;
      case 'maxpool':
      case 'avgpool': {
        const [c, h, w] = spatial(l.op);
        const oh = poolOut(h, l.kernel[0], l.stride[0], l.padding[0], l.padding[2], l.ceil);
        const ow = poolOut(w, l.kernel[1], l.stride[1], l.padding[1], l.padding[3], l.ceil);
        if (oh < 1 || ow < 1) fail(`${at}.kernel`, `kernel larger than the padded input ${h}x${w}`);
        if (l.padding[0] >= l.kernel[0] || l.padding[2] >= l.kernel[0] || l.padding[1] >= l.kernel[1] || l.padding[3] >= l.kernel[1]) {
          fail(`${at}.padding`, 'each padding must be smaller than the kernel');
        }
        if (l.op === 'maxpool') t.set(l.name, { ...x, shape: [c, oh, ow] });
        else {
          const kk = l.kernel[0] * l.kernel[1];
          if (l.Mdiv && (l.Mdiv.length !== kk || l.Mdiv[kk - 1] !== l.M)) fail(`${at}.Mdiv`, `needs ${kk} multipliers (one per divisor 1..${kk}) ending with M = ${l.M}`);
          if (!l.Mdiv && avgPoolVaries(l, h, w)) fail(`${at}.Mdiv`, 'some windows average fewer than kh*kw positions (ceil / count_include_pad = false): give one multiplier per divisor');
          t.set(l.name, tensorOf(l.out, [c, oh, ow]));
        }
        break;
      }
      case 'globalavgpool': {
        const [c] = spatial('globalavgpool');
        t.set(l.name, tensorOf(l.out, [c, 1, 1]));
        break;
      }
      case 'add': {
        const y = ins[1]!;
        if (x.shape.join(',') !== y.shape.join(',')) {
          fail(`${at}.inputs`, `shapes differ: [${x.shape.join(', ')}] vs [${y.shape.join(', ')}]`);
        }
        t.set(l.name, tensorOf(l.out, [...x.shape]));
        break;
      }
      case 'flatten':
        t.set(l.name, { ...x, shape: [numel(x.shape)] });
        break;
      default:
        t.set(l.name, isVitLayer(l) ? checkVitLayer(l, ins, at) : channelOpInfo(l, ins, at, spatial));
    }
  });
  if (m.output !== undefined && !t.has(m.output)) fail('output', `unknown tensor '${m.output}'`);
  return t;
}

function checkFilters(filters: Filter[], count: number, fanIn: number, at: string): void {
  if (filters.length !== count) fail(`${at}.filters`, `has ${filters.length} filters, expected ${count} (one per output channel)`);
  // filters sharing one code array (the sizing search's stand-in networks) have their codes checked once; each
  // scheme / bits pair once
  const seen = new Map<ArrayLike<number>, Filter>();
  const pairs = new Set<number>();
  for (let j = 0; j < filters.length; j++) {
    const f = filters[j]!;
    const pair = f.scheme === 'fixed' ? f.bits : -f.bits;
    if (!pairs.has(pair)) {
      checkWeightBits(f.scheme as Scheme, f.bits, `${at}.filters[${j}].bits`);
      pairs.add(pair);
    }
    if (f.weights.length !== fanIn) fail(`${at}.filters[${j}].weights`, `has ${f.weights.length} codes, expected ${fanIn}`);
    const prev = seen.get(f.weights);
    if (prev && prev.scheme === f.scheme && prev.bits === f.bits) continue;
    seen.set(f.weights, f);
    const [lo, hi] = codeRange(f.scheme, f.bits);
    const w = f.weights;
    for (let k = 0; k < w.length; k++) {
      const c = w[k]!;
      if (c < lo || c > hi) fail(`${at}.filters[${j}].weights[${k}]`, `code ${c} outside ${f.scheme} ${f.bits}-bit range [${lo}, ${hi}]`);
    }
  }
}

/** Validate an untrusted object as a QuantModel; the first problem becomes a one-line UserError naming its path. */
export function parseQuantModel(data: unknown): QuantModel {
  const r = QuantModelSchema.safeParse(data);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problems)` : '';
    fail(formatPath(iss.path), `${iss.message}${more}`);
  }
  checkModel(r.data);
  return r.data;
}

/** Name of the model's output tensor. */
export function outputName(m: QuantModel): string {
  return m.output ?? m.layers[m.layers.length - 1]!.name;
}

// ---------------------------------------------------------------------------------------------------------------
// FloatModel: what the ONNX importer produces and float.ts executes. Same ops; ReLU stays a separate layer (the
// quantizer fuses it into the preceding conv/linear/add/avgpool when that layer feeds only the ReLU).

export interface FloatConv2d {
  op: 'conv2d';
  name: string;
  input: string;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right] */
  padding: [number, number, number, number];
  groups: number;
  /** [outChannels][inChannels/groups][kh][kw], BatchNorm folded */
  weight: ArrayLike<number>;
  /** [outChannels] */
  bias: ArrayLike<number>;
}

export interface FloatLinear {
  op: 'linear';
  name: string;
  input: string;
  inFeatures: number;
  outFeatures: number;
  /** [outFeatures][inFeatures] */
  weight: ArrayLike<number>;
  bias: ArrayLike<number>;
}

export interface FloatPool {
  op: 'maxpool' | 'avgpool';
  name: string;
  input: string;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  ceil?: boolean;
  /** avgpool: divisor counts padded positions (default true) */
  countIncludePad?: boolean;
}

export type FloatLayer =
  | FloatConv2d
  | FloatLinear
  | FloatPool
  | { op: 'relu' | 'globalavgpool' | 'flatten'; name: string; input: string }
  | { op: 'add'; name: string; inputs: [string, string] }
  | FloatVitLayer
  | FloatChannelOp;

/** Channel and pointwise ops (issue 12), same meaning as their QuantModel layers; `act` becomes a `lut`. */
export type FloatChannelOp =
  | { op: 'concat'; name: string; inputs: string[] }
  | { op: 'slice'; name: string; input: string; c0: number; cCount: number }
  | { op: 'shuffle'; name: string; input: string; groups: number }
  | { op: 'resize'; name: string; input: string; scale: [number, number] }
  | { op: 'act'; name: string; input: string; fn: PointwiseFn; params: PointwiseParams }
  | { op: 'mulchannel'; name: string; inputs: [string, string] };

export interface FloatModel {
  name?: string;
  input: {
    name?: string;
    /** [C, H, W] or [N] */
    shape: number[];
    /** images: x = (pixel/255 - mean[c]) / std[c]; carried over to the QuantModel */
    normalize?: { mean: number[]; std: number[] };
  };
  layers: FloatLayer[];
  output?: string;
  /** softmax over the output, applied on the host */
  softmax?: boolean;
}

export function floatLayerInputs(l: FloatLayer): string[] {
  return 'inputs' in l ? [...l.inputs] : [l.input];
}
