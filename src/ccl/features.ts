/**
 * CCL feature definitions — the one place where "what a pixel contributes" and "how wide every sum is" are
 * written down. The golden model (golden.ts) and the RTL generator (rtl/**) both import this module.
 *
 * Conventions (see docs/ccl.md):
 *  - x counts columns from 0 at the left, y counts rows from 0 at the top.
 *  - Features of an object are summed over the FOREGROUND pixels inside the object's active cells (background
 *    pixels inside an active cell contribute nothing).
 *  - The gray value of a pixel (for the histogram): gray8 → the byte; rgb24 → luma (77·R + 150·G + 29·B) >> 8
 *    (integer BT.601, weights sum to 256, so 0..255); binary → 255 for a foreground pixel.
 *  - Histogram with B bins (B a power of two): bin = gray >> (8 − log2 B), i.e. equal-width bins of 256/B values:
 *    bin k holds gray values k·256/B .. (k+1)·256/B − 1.
 *  - Widths: each field's width is the number of bits of the largest value it can reach in a W×H frame, so no sum
 *    can overflow by construction (the worst case is a frame whose every pixel is foreground and one object).
 */
import type { CclConfig, PixelFormat } from './config.js';
import { cellCols, cellRows } from './config.js';
import { luma } from '../image/format.js';
export { bytesPerPixel, luma } from '../image/format.js';

/** One labeled object. Key order here is the CLI's JSON key order. */
export interface CclObject {
  /** Number of foreground pixels. */
  area: number;
  /** Σx over the object's foreground pixels. */
  sumX: number;
  /** Σy. */
  sumY: number;
  /** Σx². */
  sumXX: number;
  /** Σy². */
  sumYY: number;
  /** Σx·y. */
  sumXY: number;
  /** Bounding box of the foreground pixels, inclusive: [xmin, ymin, xmax, ymax]. */
  bbox: [number, number, number, number];
  /** Number of active cells in the object. */
  cells: number;
  /** B-bin histogram of the gray values of the foreground pixels (present only when histBins > 0). */
  hist?: number[];
  /** Third-order moments Σx³, Σx²y, Σxy², Σy³ (present only when thirdMoments; Hu invariants 3..7 need them). */
  sumXXX?: number;
  sumXXY?: number;
  sumXYY?: number;
  sumYYY?: number;
  /**
   * Colour histogram (present only when colorBits q > 0): 2^(3q) bins over coarse RGB, bin = (R >> (8−q)) +
   * (G >> (8−q))·2^q + (B >> (8−q))·4^q (`colorBin`). For recognition by colour histogram (Bhattacharyya distance
   * on the normalised histogram): q = 1 gives the 8 corners of the RGB cube, q = 2 gives 64 bins.
   */
  colorHist?: number[];
}

/** Third-order moment fields in record order (after sumXY, when thirdMoments). */
export const THIRD_MOMENT_FIELDS = ['sumXXX', 'sumXXY', 'sumXYY', 'sumYYY'] as const;
export type ThirdMomentField = (typeof THIRD_MOMENT_FIELDS)[number];

/** What the feature widths and layout depend on (thirdMoments / colorBits absent = off). */
export type FeatureCfg = Pick<CclConfig, 'width' | 'height' | 'cell' | 'histBins'> &
  Partial<Pick<CclConfig, 'thirdMoments' | 'colorBits'>>;

/** Scalar feature fields in record order (the histogram bins follow, hist0..hist{B-1}). */
export const FEATURE_FIELDS = [
  'area', 'sumX', 'sumY', 'sumXX', 'sumYY', 'sumXY', 'xmin', 'ymin', 'xmax', 'ymax', 'cells',
] as const;
export type FeatureField = (typeof FEATURE_FIELDS)[number];

/**
 * Bits of each feature counter: one per scalar feature of CclObject (area, Σx … Σxy, cells; Σx³ … Σy³, 0 when
 * thirdMoments is off), then the box coordinates and the histograms.
 */
export interface FeatureWidths extends Required<Pick<CclObject, 'area' | 'sumX' | 'sumY' | 'sumXX' | 'sumYY' | 'sumXY' | 'cells' | ThirdMomentField>> {
  /** xmin / xmax width. */
  x: number;
  /** ymin / ymax width. */
  y: number;
  /** Width of one histogram bin counter (0 when there is no histogram). */
  histBin: number;
  /** Number of histogram bins (0 = none). */
  histBins: number;
  /** Width of one colour-histogram bin counter (0 when there is none) and the number of colour bins 2^(3q). */
  colorBin: number;
  colorBins: number;
}

/** Number of bits needed to hold every value 0..max (at least 1). */
export function bitsFor(max: bigint | number): number {
  let m = BigInt(max);
  if (m < 0n) throw new Error(`bitsFor: negative maximum ${m}`);
  let bits = 0;
  while (m > 0n) {
    bits++;
    m >>= 1n;
  }
  return Math.max(1, bits);
}

/** The largest value each field can take in a frame of this size (exact, as bigint). */
export function featureMaxima(
  cfg: Pick<CclConfig, 'width' | 'height' | 'cell'>,
): Record<FeatureField | ThirdMomentField, bigint> & { histBin: bigint } {
  const W = BigInt(cfg.width);
  const H = BigInt(cfg.height);
  const sx = (W * (W - 1n)) / 2n; // Σ_{x<W} x
  const sy = (H * (H - 1n)) / 2n;
  const sxx = ((W - 1n) * W * (2n * W - 1n)) / 6n; // Σ_{x<W} x²
  const syy = ((H - 1n) * H * (2n * H - 1n)) / 6n;
  return {
    area: W * H,
    sumX: H * sx,
    sumY: W * sy,
    sumXX: H * sxx,
    sumYY: W * syy,
    sumXY: sx * sy,
    sumXXX: H * sx * sx, // Σ_{x<W} x³ = (Σ x)²
    sumXXY: sxx * sy,
    sumXYY: sx * syy,
    sumYYY: W * sy * sy,
    xmin: W - 1n,
    ymin: H - 1n,
    xmax: W - 1n,
    ymax: H - 1n,
    cells: BigInt(cellCols(cfg)) * BigInt(cellRows(cfg)),
    histBin: W * H,
  };
}

/** Bit width of every feature field, derived from W, H, C and B. */
export function featureWidths(cfg: FeatureCfg): FeatureWidths {
  const m = featureMaxima(cfg);
  const third = (f: ThirdMomentField): number => (cfg.thirdMoments ? bitsFor(m[f]) : 0);
  const q = cfg.colorBits ?? 0;
  return {
    area: bitsFor(m.area),
    sumX: bitsFor(m.sumX),
    sumY: bitsFor(m.sumY),
    sumXX: bitsFor(m.sumXX),
    sumYY: bitsFor(m.sumYY),
    sumXY: bitsFor(m.sumXY),
    x: bitsFor(m.xmax),
    y: bitsFor(m.ymax),
    cells: bitsFor(m.cells),
    histBin: cfg.histBins > 0 ? bitsFor(m.histBin) : 0,
    histBins: cfg.histBins,
    sumXXX: third('sumXXX'),
    sumXXY: third('sumXXY'),
    sumXYY: third('sumXYY'),
    sumYYY: third('sumYYY'),
    colorBin: q > 0 ? bitsFor(m.histBin) : 0,
    colorBins: q > 0 ? 1 << (3 * q) : 0,
  };
}

export interface FeatureSlot {
  /** 'area' … 'cells', or 'hist0' … 'hist{B-1}'. */
  name: string;
  width: number;
}

/**
 * A canonical order and width of every field of one object record: FEATURE_FIELDS, then hist0..hist{B-1}.
 * Useful to pack/unpack a record as one bit vector (first slot in the least significant bits is the packer's
 * choice; this only fixes the order and widths).
 */
export function featureLayout(cfg: FeatureCfg): FeatureSlot[] {
  const w = featureWidths(cfg);
  const slots: FeatureSlot[] = [
    { name: 'area', width: w.area },
    { name: 'sumX', width: w.sumX },
    { name: 'sumY', width: w.sumY },
    { name: 'sumXX', width: w.sumXX },
    { name: 'sumYY', width: w.sumYY },
    { name: 'sumXY', width: w.sumXY },
    ...(cfg.thirdMoments ? THIRD_MOMENT_FIELDS.map((f) => ({ name: f as string, width: w[f] })) : []),
    { name: 'xmin', width: w.x },
    { name: 'ymin', width: w.y },
    { name: 'xmax', width: w.x },
    { name: 'ymax', width: w.y },
    { name: 'cells', width: w.cells },
  ];
  for (let b = 0; b < cfg.histBins; b++) slots.push({ name: `hist${b}`, width: w.histBin });
  for (let b = 0; b < w.colorBins; b++) slots.push({ name: `color${b}`, width: w.colorBin });
  return slots;
}

/** Total bits of one record in featureLayout order. */
export function featureRecordBits(cfg: FeatureCfg): number {
  return featureLayout(cfg).reduce((s, f) => s + f.width, 0);
}

/** Bits per pixel on the wire (AXI4-Stream tdata lane width per pixel). */
export function bitsPerPixel(format: PixelFormat): number {
  return format === 'rgb24' ? 24 : format === 'gray8' ? 8 : 1;
}

/** Histogram bin of a gray value: gray >> (8 − log2 B). */
export function histBin(gray: number, bins: number): number {
  return gray >> (8 - Math.log2(bins));
}

/** Colour-histogram bin of an RGB pixel with q bits per channel: (R >> (8−q)) + (G >> (8−q))·2^q + (B >> (8−q))·4^q. */
export function colorBin(r: number, g: number, b: number, q: number): number {
  const s = 8 - q;
  return (r >> s) | ((g >> s) << q) | ((b >> s) << (2 * q));
}

/** Is pixel i (index in pixels, raster order) of `data` foreground under cfg? */
export function isForeground(
  cfg: Pick<CclConfig, 'pixelFormat' | 'threshold' | 'rgbLo' | 'rgbHi'>,
  data: Uint8Array,
  i: number,
): boolean {
  switch (cfg.pixelFormat) {
    case 'gray8':
      return data[i]! >= cfg.threshold;
    case 'binary':
      return data[i] === 1;
    case 'rgb24': {
      const r = data[3 * i]!, g = data[3 * i + 1]!, b = data[3 * i + 2]!;
      return (
        r >= cfg.rgbLo[0] && r <= cfg.rgbHi[0] &&
        g >= cfg.rgbLo[1] && g <= cfg.rgbHi[1] &&
        b >= cfg.rgbLo[2] && b <= cfg.rgbHi[2]
      );
    }
  }
}

/** Gray value of pixel i for the histogram (binary pixels: 255 when 1, 0 when 0). */
export function pixelGray(format: PixelFormat, data: Uint8Array, i: number): number {
  switch (format) {
    case 'gray8':
      return data[i]!;
    case 'binary':
      return data[i] === 1 ? 255 : 0;
    case 'rgb24':
      return luma(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!);
  }
}
