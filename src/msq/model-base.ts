/**
 * The zod primitives the QuantModel schemas share (src/msq/model.ts, src/msq/vit/model.ts): integers, the
 * requantizer's multiplier and shift, an activation spec, a layer's name.
 */
import { z } from 'zod';
import { ACT_BITS, REQUANT_M_MAX, REQUANT_S } from './conventions.js';

export const int = z.int();
export const posInt = z.int().min(1);
export const int32 = z.int().min(-(2 ** 31)).max(2 ** 31 - 1);

export const ActSpecSchema = z
  .object({
    bits: z.int().min(ACT_BITS.min).max(ACT_BITS.max),
    signed: z.boolean().describe('false: unsigned [0, 2^bits-1] (after ReLU); true: [-2^(bits-1), 2^(bits-1)-1]'),
    scale: z.number().positive().describe('real value = integer * scale (zero point 0)'),
  })
  .strict();

export const Mul = z.int().min(0).max(REQUANT_M_MAX);
export const Shift = z.int().min(REQUANT_S.min).max(REQUANT_S.max);

export const base = { name: z.string().min(1) };
/** The two input tensor names of a binary layer (add, matmul). */
export const inputPair = z.tuple([z.string().min(1), z.string().min(1)]);
