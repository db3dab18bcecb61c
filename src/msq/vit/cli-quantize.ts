/**
 * `accelforge quantize vit.onnx --board B [--scheme fixed|msq] --calib <images> -o vit.q.json` for a vision
 * transformer (an imported model with transformer layers): the I-ViT post-training quantizer (quantize.ts), INT8
 * linears for `--scheme fixed`, MSQ-4 fixed/SP2 linears (board ratio) for `--scheme msq`; then the lowering onto the
 * board's preset core (lower.ts) so that a model the core cannot run is refused here, in one line naming the node.
 * Called by src/msq/cli-quantize.ts; nothing is written on any error.
 */
import { fail } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fsx.js';
import { loadBoard } from '../../board/index.js';
import { defaultCoreConfig } from '../core/presets.js';
import type { FloatModel } from '../model.js';
import { boardRatio } from '../scheme.js';
import { lowerVit } from './lower.js';
import { quantizeVit } from './quantize.js';

const FLOAT_VIT_OPS: ReadonlySet<string> = new Set(['layernorm', 'softmax', 'gelu', 'matmul', 'gather', 'addconst']);

/** A float model with transformer layers (the I-ViT quantizer's input). */
export function isVitModel(fm: FloatModel): boolean {
  return fm.layers.some((l) => FLOAT_VIT_OPS.has(l.op));
}

export interface VitQuantizeCommand {
  file: string;
  board: string;
  scheme: string;
  /** options given that only apply to CNNs (named in the error) */
  cnnOnly: string[];
  /** calibration images as network inputs (null for --calib none) */
  samples: ArrayLike<number>[] | null;
  calibWhat: string;
  percentile?: number;
  output: string;
}

export async function quantizeVitCommand(fm: FloatModel, c: VitQuantizeCommand): Promise<void> {
  if (c.cnnOnly.length) fail(c.cnnOnly[0]!, `does not apply to a vision transformer (${c.file}): its I-ViT quantizer takes --board, --scheme fixed|msq, --calib, --calib-n, --percentile`);
  if (c.scheme !== 'fixed' && c.scheme !== 'msq') fail('--scheme', `a vision transformer takes fixed (I-ViT INT8 linears) or msq (4-bit fixed/SP2 linears), got '${c.scheme}'`);
  if (!c.samples) fail('--calib', 'a vision transformer needs calibration images (e.g. --calib fashion-mnist, or a folder): there is no data-free I-ViT calibration');
  const linears = c.scheme === 'fixed' ? 'int8' : 'msq4';
  const model = quantizeVit(fm, c.samples, { linears, ratio: boardRatio(c.board), percentile: c.percentile });
  const p = lowerVit(model, defaultCoreConfig(loadBoard(c.board)));
  await writeFileAtomic(c.output, `${JSON.stringify(model)}\n`);
  const count = (k: string): number => p.steps.filter((s) => s.kind === k).length;
  process.stdout.write(
    `quantized ${c.file} -> ${c.output}\n  vision transformer, I-ViT ${linears === 'int8' ? 'INT8 linears' : 'MSQ-4 fixed/SP2 linears'}, board ${c.board}; ` +
      `activation ranges: ${c.calibWhat}, ${c.percentile ?? 99.99}th percentile\n  ${model.layers.length} layers; on the ${c.board} preset core: ` +
      `${count('core')} linear steps, ${count('runtime')} attention head steps, ${count('nl')} nonlinear-unit steps, ${count('host')} host steps\n`,
  );
}
