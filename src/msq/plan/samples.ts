/**
 * Inputs for the planner's sensitivities: calibration images (a data-set name, an IDX file or a folder), or
 * generated data when data-free: `generate` optimizes images until the BatchNorm statistics match (src/msq/datafree),
 * `none` takes seeded uniform images over the model's input range.
 */
import { checkImageShape, DATASET_NAMES, imageToFloat, isIdxPath, loadCalibSet } from '../../data/datasets.js';
import { inputRange, loadCalibFolder } from '../calib.js';
import { numel, type FloatModel } from '../model.js';
import { mulberry32 } from '../../util/random.js';
import type { ChannelStats } from '../onnx.js';
import { generatedCalib } from '../datafree/cli.js';

/** Sensitivity samples: fewer for big networks (one backward pass each). */
export function sampleCount(macs: number): number {
  return macs > 1e8 ? 2 : 16;
}

/** Seeded uniform inputs over the model's real input range. */
export function generatedSamples(fm: FloatModel, n: number, seed = 14): Float64Array[] {
  const r = mulberry32(seed);
  const { min, max } = inputRange(fm);
  const len = numel(fm.input.shape);
  return Array.from({ length: n }, () => Float64Array.from({ length: len }, () => min + (max - min) * r()));
}

/** Adam steps of `--calib generate` for a network of `macs` multiply-accumulates (the planner needs few samples). */
export function generateSteps(macs: number): number {
  return macs > 1e8 ? 5 : 30;
}

/** `--calib` value → samples and a description (`generate` needs the model's folded BatchNorm statistics). */
export async function planSamples(
  fm: FloatModel, calib: string | undefined, n: number, o: { bnStats?: Map<string, ChannelStats>; steps?: number } = {},
): Promise<{ samples: ArrayLike<number>[]; what: string }> {
  const spec = calib ?? 'mnist';
  if (spec === 'generate') return generatedCalib(fm, o.bnStats ?? new Map(), n, { steps: o.steps });
  if (spec === 'none') return { samples: generatedSamples(fm, n), what: `${n} generated images (uniform over the input range)` };
  if ((DATASET_NAMES as readonly string[]).includes(spec) || isIdxPath(spec)) {
    const set = loadCalibSet(spec, n);
    checkImageShape(set, fm.input.shape, '--calib');
    return { samples: set.images.map(imageToFloat), what: set.what };
  }
  const samples = await loadCalibFolder(spec, fm.input.shape, n);
  return { samples, what: `${samples.length} images from ${spec}` };
}
