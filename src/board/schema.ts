/**
 * Board description: the FPGA part, its resource capacities, and the assumptions the generators and latency
 * models use (default clock, MSQ filter ratio, DDR bandwidth). One JSON file per board in boards/.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const positive = z.number().positive();

export const BoardSchema = z
  .object({
    $schema: z.string().optional().describe('path to board.schema.json (editor help only)'),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, - and _ only')
      .describe('short identifier, same as the file name without .json (e.g. xc7z020)'),
    board: z.string().min(1).describe('board name (e.g. pynq-z2)'),
    description: z.string().optional(),
    part: z
      .string()
      .regex(/^xc7[a-z0-9]+-[0-9]L?$/, 'a 7-series part name with speed grade, e.g. xc7z020clg400-1')
      .describe('full Xilinx part name including package and speed grade'),
    family: z.literal('xc7').describe('yosys synth_xilinx family'),
    speedGrade: z.enum(['-1', '-2', '-3', '-1L', '-2L']).describe('speed grade, must match the part name suffix'),
    resources: z
      .object({
        lut: count.describe('6-input LUTs'),
        lutram: count.describe('LUTs usable as distributed memory or shift registers (SLICEM)'),
        ff: count.describe('slice flip-flops'),
        dsp48e1: count.describe('DSP48E1 slices'),
        bram36: count.describe('36 Kb block RAMs (each splits into two RAMB18E1)'),
      })
      .strict(),
    defaultClockMHz: positive.describe('clock the generators and latency models assume unless told otherwise'),
    msq: z
      .object({
        sp2PerFixedRatio: positive.describe(
          'default MSQ filter split: SP2 (shift-add) filters per fixed-point (DSP) filter, e.g. 1.5 means 1:1.5',
        ),
      })
      .strict(),
    ddr: z
      .object({
        description: z.string().min(1),
        busWidthBits: z.number().int().positive(),
        clockMHz: positive.describe('DDR I/O clock; data moves on both edges'),
        peakGBps: positive.describe('busWidthBits/8 * 2 * clockMHz / 1000'),
        deratedGBps: positive.describe('sustained figure assumed by latency models'),
        source: z.string().min(1).describe('where the figures come from'),
      })
      .strict(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const suffix = b.part.slice(b.part.lastIndexOf('-'));
    if (suffix.toLowerCase() !== b.speedGrade.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        path: ['speedGrade'],
        message: `must match the part name suffix '${suffix}' of '${b.part}'`,
      });
    }
    if (b.resources.lutram > b.resources.lut) {
      ctx.addIssue({ code: 'custom', path: ['resources', 'lutram'], message: 'cannot exceed resources.lut' });
    }
    const peak = (b.ddr.busWidthBits / 8) * 2 * b.ddr.clockMHz / 1000;
    if (Math.abs(peak - b.ddr.peakGBps) > 0.01 * peak) {
      ctx.addIssue({
        code: 'custom',
        path: ['ddr', 'peakGBps'],
        message: `expected ${peak.toFixed(3)} (busWidthBits/8 * 2 * clockMHz / 1000)`,
      });
    }
    if (b.ddr.deratedGBps > b.ddr.peakGBps) {
      ctx.addIssue({ code: 'custom', path: ['ddr', 'deratedGBps'], message: 'cannot exceed ddr.peakGBps' });
    }
  });

export type Board = z.infer<typeof BoardSchema>;

/** JSON Schema of a board file (written to boards/board.schema.json). */
export function boardJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(BoardSchema, { io: 'input' }) as Record<string, unknown>;
  return { title: 'accelforge board file', ...schema };
}
