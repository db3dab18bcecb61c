/**
 * `--calib generate [--calib-n N]` for `accelforge quantize` and `accelforge msq plan`: the generated calibration
 * set (generate.ts) as the calibration samples, and the images written where the user can look at them: a folder
 * next to the output (`model.q.json` → `model.q.calib/`, img-0000.pgm … for gray models, .png for colour), which
 * `--calib <folder>` accepts again. See docs/datafree.md.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { writeFileAtomic } from '../../util/fsx.js';
import { encodePgm, encodePng } from '../../image/io.js';
import type { FloatModel } from '../model.js';
import type { ChannelStats } from '../onnx.js';
import { generateCalibration, toPixelGrid, type GenerateOptions } from './generate.js';

/** Images generated when --calib-n is not given. */
export const DEFAULT_GENERATE_N = 64;
/** Adam steps per batch for the command line (measured on the zoo, docs/datafree.md). */
export const DEFAULT_GENERATE_STEPS = 100;

/** The folder next to an output file: `out/model.q.json` → `out/model.q.calib`. */
export function generatedDir(output: string): string {
  const b = basename(output);
  const stem = extname(b) ? b.slice(0, -extname(b).length) : b;
  return join(dirname(output), `${stem}.calib`);
}

/** Write the images (pixels of `fm`'s input layout) into `dir`, replacing earlier generated ones. */
export async function writeGeneratedImages(fm: FloatModel, images: Float64Array[], dir: string): Promise<void> {
  const [C, H, W] = fm.input.shape as [number, number, number];
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(dir)) if (/^img-\d+\.(pgm|png)$/.test(f)) await rm(join(dir, f));
  const digits = Math.max(4, String(images.length - 1).length);
  for (let i = 0; i < images.length; i++) {
    const px = toPixelGrid(fm, images[i]!).pixels;
    const name = join(dir, `img-${String(i).padStart(digits, '0')}`);
    if (C === 1) await writeFileAtomic(`${name}.pgm`, encodePgm({ width: W, height: H, format: 'gray8', data: px }));
    else {
      const rgb = new Uint8Array(3 * H * W);
      for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = px[(Math.min(c, C - 1)) * H * W + p]!;
      await writeFileAtomic(`${name}.png`, encodePng({ width: W, height: H, format: 'rgb24', data: rgb }));
    }
  }
}

/** Generated calibration samples; with `dir` the images are also written there and the folder is printed. */
export async function generatedCalib(
  fm: FloatModel, bnStats: Map<string, ChannelStats>, n: number, o: { dir?: string } & Omit<GenerateOptions, 'n'> = {},
): Promise<{ samples: Float64Array[]; what: string }> {
  const g = generateCalibration(fm, bnStats, { ...o, steps: o.steps ?? DEFAULT_GENERATE_STEPS, n });
  let what = `${n} images generated from the BatchNorm statistics (loss ${g.lossStart.toPrecision(3)} -> ${g.lossEnd.toPrecision(3)}, ${g.seconds.toFixed(0)} s)`;
  if (o.dir && fm.input.shape.length === 3) {
    await writeGeneratedImages(fm, g.images, o.dir);
    process.stdout.write(`generated calibration images: ${o.dir}/ (${n} images; reuse with --calib ${o.dir})\n`);
    what += `, in ${o.dir}`;
  }
  return { samples: g.images, what };
}
