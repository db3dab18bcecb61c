/**
 * The transformer (I-ViT) layers of the model formats (src/msq/model.ts re-exports them): the QuantModel layer
 * schemas (checks in vit/check.ts, golden in vit/golden-ops.ts) and the FloatModel layers (executed by
 * vit/float-ops.ts). docs/vit.md.
 */
import { z } from 'zod';
import { ActSpecSchema, base, inputPair, int, int32, Mul, posInt, Shift } from '../model-base.js';

// Transformer layers (I-ViT integer ops; docs/vit.md, checks in vit/check.ts, golden in vit/golden-ops.ts).
const ivitParams = z
  .record(z.string(), z.union([z.number(), z.array(z.number())]))
  .describe('integer constants of the I-ViT operator (src/msq/ivit conventions)');
const vitIn = { ...base, input: z.string().min(1), out: ActSpecSchema };
export const LayerNormQSchema = z.object({ ...vitIn, op: z.literal('layernorm'), params: ivitParams }).strict();
export const SoftmaxQSchema = z.object({ ...vitIn, op: z.literal('softmax'), groups: posInt, params: ivitParams }).strict();
export const GeluQSchema = z.object({ ...vitIn, op: z.literal('gelu'), params: ivitParams }).strict();
export const MatMulQSchema = z
  .object({
    ...base,
    op: z.literal('matmul'),
    inputs: inputPair,
    heads: posInt,
    headSize: posInt,
    filtersFrom: z.enum(['tokens', 'channels']),
    offsets: z.tuple([z.int().min(0), z.int().min(0)]),
    M: Mul,
    S: Shift,
    out: ActSpecSchema,
  })
  .strict();
export const GatherQSchema = z
  .object({
    ...base,
    op: z.literal('gather'),
    inputs: z.array(z.string().min(1)).min(1),
    shape: z.array(posInt).min(1).max(3),
    src: z.array(z.int().min(-1)).describe('input index per element, -1 = the constant'),
    off: z.array(z.int().min(0)),
    consts: z.array(int).describe('integer constants at the output scale (= the inputs\' scale)'),
  })
  .strict();
export const AddConstQSchema = z
  .object({ ...vitIn, op: z.literal('addconst'), value: z.array(int32), Ma: Mul, Mb: Mul, S: Shift })
  .strict();

// Transformer ops (docs/vit.md; executed by vit/float-ops.ts). A token sequence [T, D] is a [D, 1, T] tensor:
// channels = features, width = tokens; per-token linears are 1x1 convolutions.

/** LayerNorm over the channels at each position: y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]. */
export interface FloatLayerNorm {
  op: 'layernorm';
  name: string;
  input: string;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  eps: number;
}

/** Softmax over each of `groups` equal channel ranges at each position (one group per attention head). */
export interface FloatSoftmax {
  op: 'softmax';
  name: string;
  input: string;
  groups: number;
}

/**
 * Activation x activation product per head h < heads, as a 1x1 convolution of input a whose filters come from
 * input b at run time ("the second operand enters as the job's weights"). Positions p of a, positions j of b:
 *   filtersFrom 'tokens'   (Q.K^T): y[h*Nb + j, p] = alpha * sum_k<headSize a[a0 + h*headSize + k, p] * b[b0 + h*headSize + k, j]
 *   filtersFrom 'channels' (A.V):   y[h*headSize + c, p] = alpha * sum_j<Nb a[a0 + h*Nb + j, p] * b[b0 + h*headSize + c, j]
 * with Nb = b's positions and [a0, b0] = offsets (channel ranges of a packed Q/K/V projection).
 */
export interface FloatMatMul {
  op: 'matmul';
  name: string;
  inputs: [string, string];
  heads: number;
  headSize: number;
  filtersFrom: 'tokens' | 'channels';
  offsets: [number, number];
  alpha: number;
}

/** Data movement: y[i] = src[i] < 0 ? consts[i] : mul * inputs[src[i]][off[i]] (class token, token select, re-layout). */
export interface FloatGather {
  op: 'gather';
  name: string;
  inputs: string[];
  shape: number[];
  src: Int32Array;
  off: Int32Array;
  consts: Float64Array;
  mul: number;
}

export type FloatVitLayer =
  | FloatLayerNorm
  | FloatSoftmax
  | FloatMatMul
  | FloatGather
  | { op: 'gelu'; name: string; input: string }
  /** y = x + value (a constant of x's shape: the position embedding) */
  | { op: 'addconst'; name: string; input: string; value: ArrayLike<number> };
