/**
 * Records of one frame from the golden model: every colour class labeled on its own (one class channel each),
 * records tagged with their class.
 */
import type { CellSize, Rgb } from '../config.js';
import { makeCclConfig } from '../config.js';
import { labelImage } from '../golden.js';
import type { CclImage } from '../image.js';
import type { Detection } from './records.js';

export interface RgbClass {
  name: string;
  rgbLo: Rgb;
  rgbHi: Rgb;
}

export interface LabelOptions {
  cell: CellSize;
  histBins: number;
}

export function labelFrame(image: CclImage, classes: readonly RgbClass[], opts: LabelOptions): Detection[] {
  const out: Detection[] = [];
  classes.forEach((c, k) => {
    const cfg = makeCclConfig({ width: image.width, height: image.height, cell: opts.cell, pixelFormat: 'rgb24', rgbLo: c.rgbLo, rgbHi: c.rgbHi, histBins: opts.histBins });
    for (const o of labelImage(image, cfg).objects) out.push({ class: k, ...o });
  });
  return out;
}
