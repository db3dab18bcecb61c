/**
 * Records of one frame from the golden model: every colour class labeled as its own channel (classes.ts
 * `labelClasses`), each record tagged with its class, with the gray and colour histograms and the third-order
 * moments the recognition uses.
 */
import type { CellSize, CclConfig } from '../config.js';
import { makeCclConfig } from '../config.js';
import { labelClasses, type ColorClass } from '../classes.js';
import type { RasterImage } from '../../image/io.js';
import type { Detection } from './records.js';

export interface LabelOptions {
  /** Cell edge C. */
  cell: CellSize;
  /** Gray histogram bins (0 = none). */
  histBins: number;
  /** Colour histogram: 2^(3q) bins (0 = none). */
  colorBits: number;
}

export const LABEL_DEFAULTS: LabelOptions = { cell: 8, histBins: 0, colorBits: 2 };

/** The labeling configuration of a W×H sequence. */
export function trackConfig(width: number, height: number, opts: LabelOptions): CclConfig {
  return makeCclConfig({
    width, height, cell: opts.cell, pixelFormat: 'rgb24', histBins: opts.histBins, colorBits: opts.colorBits,
    thirdMoments: width <= 2048 && height <= 2048,
  });
}

/** Golden records of one frame. */
export function labelFrame(image: RasterImage, classes: readonly ColorClass[], cfg: CclConfig): Detection[] {
  return labelClasses(image, cfg, classes).objects.map(({ className: _n, ...o }) => o);
}
