/**
 * CCL core configuration, shared by the golden model (src/ccl/golden.ts) and the RTL generator (src/ccl/rtl/**).
 *
 * One configuration describes one labeling problem: the frame size, how pixels become foreground, the cell size,
 * how many foreground pixels make a cell active, the connectivity, the optional histogram and the optional bound
 * on live objects (N). RTL-only parameters (pixels per clock, board) live with the RTL generator.
 *
 * `makeCclConfig` fills defaults and validates; `validateCclConfig` checks a complete object. Both throw a
 * UserError naming the field and what to do.
 */
import { fail } from '../util/errors.js';

/** Allowed cell edge lengths C (a cell is C×C pixels; cells at the right/bottom edge may be partial). */
export const CELL_SIZES = [1, 2, 4, 8, 16] as const;
export type CellSize = (typeof CELL_SIZES)[number];

/** Cell adjacency: 8 = the 8 neighbours (default), 4 = left/right/up/down only. */
export type Connectivity = 4 | 8;

/**
 * Pixel formats, raster order, one frame:
 *  - `gray8`:  1 byte per pixel, foreground when gray ≥ threshold.
 *  - `rgb24`:  3 bytes per pixel (R, G, B), foreground when every channel c satisfies rgbLo[c] ≤ c ≤ rgbHi[c].
 *  - `binary`: 1 byte per pixel holding 0 or 1, foreground when 1.
 */
import type { PixelFormat } from '../image/format.js';
import { PIXEL_FORMATS } from '../image/format.js';
export type { PixelFormat } from '../image/format.js';
export { PIXEL_FORMATS } from '../image/format.js';

/** Allowed histogram bin counts B (0 = no histogram). Bins have equal width 256/B over the gray range 0..255. */
export const HIST_BINS = [0, 2, 4, 8, 16, 32, 64, 128, 256] as const;

/** Largest frame edge: keeps every feature sum exact in a JS number (< 2^53), see features.ts. */
export const MAX_EDGE = 8192;

export type Rgb = readonly [number, number, number];

export interface CclConfig {
  /** Frame width W in pixels (1..MAX_EDGE). */
  width: number;
  /** Frame height H in pixels (1..MAX_EDGE). */
  height: number;
  /** Cell edge C ∈ {1, 2, 4, 8, 16}. */
  cell: CellSize;
  /** T: a cell is active when it holds ≥ T foreground pixels; 1 ≤ T ≤ C². Default 1. */
  minPixels: number;
  /** 8 (default) or 4. */
  connectivity: Connectivity;
  /** Input pixel format. Default 'gray8'. */
  pixelFormat: PixelFormat;
  /** gray8: foreground when gray ≥ threshold, 0..255. Default 128. (Ignored for rgb24/binary.) */
  threshold: number;
  /** rgb24: inclusive per-channel lower bound. Default [128, 128, 128]. */
  rgbLo: Rgb;
  /** rgb24: inclusive per-channel upper bound. Default [255, 255, 255]. */
  rgbHi: Rgb;
  /** Histogram bins B ∈ HIST_BINS; 0 = no histogram. Default 0. */
  histBins: number;
  /**
   * N: the most objects that may be live at once (see docs/ccl.md "Overflow"). Undefined = unbounded (the golden
   * model never reports overflow). The RTL requires it.
   */
  maxObjects?: number;
  /** Also sum the third-order moments Σx³, Σx²y, Σxy², Σy³ (for Hu invariants 3..7). W, H ≤ 2048. Default false. */
  thirdMoments: boolean;
  /** q: colour histogram of 2^(3q) coarse RGB bins (features.ts `colorBin`); 0 = none, 1, 2. rgb24 only. Default 0. */
  colorBits: number;
}

/** Largest frame edge with thirdMoments: H·(W(W−1)/2)² stays below 2^53. */
export const MAX_EDGE_THIRD = 2048;

export const CCL_DEFAULTS = {
  cell: 1 as CellSize,
  minPixels: 1,
  connectivity: 8 as Connectivity,
  pixelFormat: 'gray8' as PixelFormat,
  threshold: 128,
  rgbLo: [128, 128, 128] as Rgb,
  rgbHi: [255, 255, 255] as Rgb,
  histBins: 0,
  thirdMoments: false,
  colorBits: 0,
};

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function checkIntRange(field: string, v: unknown, lo: number, hi: number): void {
  if (!isInt(v) || v < lo || v > hi) fail(field, `must be an integer in ${lo}..${hi}, got ${String(v)}`);
}

function checkRgb(field: string, v: unknown): void {
  if (!Array.isArray(v) || v.length !== 3) fail(field, `must be three channel values [r, g, b], got ${JSON.stringify(v)}`);
  v.forEach((c, i) => checkIntRange(`${field}[${i}]`, c, 0, 255));
}

/** Check a complete configuration; returns it (frozen copy) or throws a one-line UserError. */
export function validateCclConfig(cfg: CclConfig): CclConfig {
  checkIntRange('width', cfg.width, 1, MAX_EDGE);
  checkIntRange('height', cfg.height, 1, MAX_EDGE);
  if (!(CELL_SIZES as readonly number[]).includes(cfg.cell)) {
    fail('cell', `must be one of ${CELL_SIZES.join(', ')}, got ${String(cfg.cell)}`);
  }
  if (!isInt(cfg.minPixels) || cfg.minPixels < 1) fail('minPixels', `must be an integer ≥ 1, got ${String(cfg.minPixels)}`);
  if (cfg.minPixels > cfg.cell * cfg.cell) {
    fail('minPixels', `${cfg.minPixels} exceeds the ${cfg.cell * cfg.cell} pixels of a ${cfg.cell}×${cfg.cell} cell: no cell could ever be active; lower it`);
  }
  if (cfg.connectivity !== 4 && cfg.connectivity !== 8) fail('connectivity', `must be 8 or 4, got ${String(cfg.connectivity)}`);
  if (!PIXEL_FORMATS.includes(cfg.pixelFormat)) fail('pixelFormat', `must be one of ${PIXEL_FORMATS.join(', ')}, got ${String(cfg.pixelFormat)}`);
  checkIntRange('threshold', cfg.threshold, 0, 255);
  checkRgb('rgbLo', cfg.rgbLo);
  checkRgb('rgbHi', cfg.rgbHi);
  if (!(HIST_BINS as readonly number[]).includes(cfg.histBins)) {
    fail('histBins', `must be 0 (none) or a power of two 2..256, got ${String(cfg.histBins)}`);
  }
  if (cfg.maxObjects !== undefined) checkIntRange('maxObjects', cfg.maxObjects, 1, 1 << 20);
  const thirdMoments = cfg.thirdMoments ?? false;
  if (typeof thirdMoments !== 'boolean') fail('thirdMoments', `must be true or false, got ${String(thirdMoments)}`);
  if (thirdMoments && Math.max(cfg.width, cfg.height) > MAX_EDGE_THIRD) {
    fail('thirdMoments', `needs width and height ≤ ${MAX_EDGE_THIRD} (exact sums), got ${cfg.width}×${cfg.height}`);
  }
  const colorBits = cfg.colorBits ?? 0;
  checkIntRange('colorBits', colorBits, 0, 2);
  if (colorBits > 0 && cfg.pixelFormat !== 'rgb24') {
    fail('colorBits', `a colour histogram needs pixelFormat rgb24, got ${cfg.pixelFormat}`);
  }
  const out: CclConfig = {
    width: cfg.width,
    height: cfg.height,
    cell: cfg.cell,
    minPixels: cfg.minPixels,
    connectivity: cfg.connectivity,
    pixelFormat: cfg.pixelFormat,
    threshold: cfg.threshold,
    rgbLo: [cfg.rgbLo[0], cfg.rgbLo[1], cfg.rgbLo[2]],
    rgbHi: [cfg.rgbHi[0], cfg.rgbHi[1], cfg.rgbHi[2]],
    histBins: cfg.histBins,
    thirdMoments,
    colorBits,
  };
  if (cfg.maxObjects !== undefined) out.maxObjects = cfg.maxObjects;
  return Object.freeze(out);
}

/** Fill defaults for everything but width/height, then validate. */
export function makeCclConfig(partial: Partial<CclConfig> & { width: number; height: number }): CclConfig {
  const cfg: CclConfig = { ...CCL_DEFAULTS, ...stripUndefined(partial) } as CclConfig;
  return validateCclConfig(cfg);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Number of cell columns ⌈W/C⌉. */
export function cellCols(cfg: Pick<CclConfig, 'width' | 'cell'>): number {
  return Math.ceil(cfg.width / cfg.cell);
}

/** Number of cell rows ⌈H/C⌉. */
export function cellRows(cfg: Pick<CclConfig, 'height' | 'cell'>): number {
  return Math.ceil(cfg.height / cfg.cell);
}
