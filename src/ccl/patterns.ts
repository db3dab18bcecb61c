/**
 * Seeded test images for the CCL core (golden tests, RTL tests, benchmarks).
 *
 * Every generator returns a gray8 RasterImage whose foreground pixels are ≥ 128 and background pixels < 128, so the
 * default threshold (128) separates them. With `levels: 'textured'` (default) the gray values inside each class
 * are pseudo-random (seeded), which exercises the histogram; `levels: 'flat'` uses 255 / 0.
 *
 * Shapes are drawn on a grid of `unit`×`unit` pixel blocks: pass unit = C (the cell size) to get the same shape at
 * cell level as at pixel level (strokes one cell wide, gaps one cell wide). unit = 1 is the pixel level.
 * `asFormat` converts a pattern to 'binary' or 'rgb24' with the same foreground under the default configuration.
 */
import type { PixelFormat } from './config.js';
import type { RasterImage } from '../image/io.js';
import { fail } from '../util/errors.js';

/** Small deterministic PRNG (xorshift32 with a seed scrambler); `next()` in [0, 2^32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    let s = (seed ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.s = (s ^ (s >>> 16)) >>> 0 || 1;
  }
  next(): number {
    let s = this.s;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  /** Uniform integer in 0..n−1. */
  int(n: number): number {
    return this.next() % n;
  }
  /** Uniform real in [0, 1). */
  real(): number {
    return this.next() / 4294967296;
  }
}

export interface PatternOptions {
  /** 'textured' (default): random gray levels per class; 'flat': foreground 255, background 0. */
  levels?: 'textured' | 'flat';
  /** Seed for textures and random shapes (default 1). */
  seed?: number;
}

/** A 0/1 drawing surface in units of `unit`×`unit` pixel blocks. */
class Canvas {
  readonly mask: Uint8Array;
  readonly cols: number;
  readonly rows: number;
  constructor(readonly width: number, readonly height: number, readonly unit: number) {
    if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
      fail('pattern', `size ${width}×${height} must be positive integers`);
    }
    if (!Number.isInteger(unit) || unit < 1) fail('pattern.unit', `must be a positive integer, got ${unit}`);
    this.mask = new Uint8Array(width * height);
    this.cols = Math.ceil(width / unit);
    this.rows = Math.ceil(height / unit);
  }
  /** Set block (bx, by) (in units); out-of-range blocks are ignored. */
  block(bx: number, by: number, v = 1): void {
    if (bx < 0 || by < 0 || bx >= this.cols || by >= this.rows) return;
    const u = this.unit;
    for (let y = by * u; y < Math.min(this.height, (by + 1) * u); y++) {
      for (let x = bx * u; x < Math.min(this.width, (bx + 1) * u); x++) this.mask[y * this.width + x] = v;
    }
  }
  rect(bx0: number, by0: number, bx1: number, by1: number, v = 1): void {
    for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) this.block(bx, by, v);
  }
  pixel(x: number, y: number, v = 1): void {
    if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.mask[y * this.width + x] = v;
  }
}

/** Turn a 0/1 mask into a gray8 image (foreground ≥ 128, background < 128). */
export function maskToImage(width: number, height: number, mask: Uint8Array, opts: PatternOptions = {}): RasterImage {
  const data = new Uint8Array(width * height);
  if ((opts.levels ?? 'textured') === 'flat') {
    for (let i = 0; i < data.length; i++) data[i] = mask[i] ? 255 : 0;
  } else {
    const rng = new Rng((opts.seed ?? 1) * 7919 + 17);
    for (let i = 0; i < data.length; i++) data[i] = mask[i] ? 128 + rng.int(128) : rng.int(128);
  }
  return { width, height, format: 'gray8', data };
}

function finish(c: Canvas, opts: PatternOptions): RasterImage {
  return maskToImage(c.width, c.height, c.mask, opts);
}

/** No foreground at all. */
export function blank(width: number, height: number, opts: PatternOptions = {}): RasterImage {
  return finish(new Canvas(width, height, 1), opts);
}

/** Every pixel foreground: one object covering the image. */
export function full(width: number, height: number, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, 1);
  c.mask.fill(1);
  return finish(c, opts);
}

/** Each pixel independently foreground with probability `density` (0..1). */
export function noise(width: number, height: number, density: number, opts: PatternOptions = {}): RasterImage {
  if (!(density >= 0 && density <= 1)) fail('pattern.density', `must be in 0..1, got ${density}`);
  const c = new Canvas(width, height, 1);
  const rng = new Rng(opts.seed ?? 1);
  for (let i = 0; i < c.mask.length; i++) c.mask[i] = rng.real() < density ? 1 : 0;
  return finish(c, opts);
}

/** A square spiral (stroke and gap one unit wide) winding in from the border: one long object. */
export function spiral(width: number, height: number, unit = 1, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  let x0 = 0, y0 = 0, x1 = c.cols - 1, y1 = c.rows - 1;
  // top edge, right edge, bottom edge, left edge (stopping 2 below the top), then shrink by 2
  while (x0 <= x1 && y0 <= y1) {
    c.rect(x0, y0, x1, y0);
    if (y0 + 1 > y1) break;
    c.rect(x1, y0, x1, y1);
    if (x1 - 1 < x0) break;
    c.rect(x0, y1, x1, y1);
    if (y1 - 1 < y0 + 2) break;
    c.rect(x0, y0 + 2, x0, y1);
    if (x0 + 1 > x1) break;
    c.block(x0 + 1, y0 + 2);
    x0 += 2;
    y0 += 2;
    x1 -= 2;
    y1 -= 2;
  }
  return finish(c, opts);
}

/**
 * A comb: a bar one unit high with teeth one unit wide every two units. 'up' (default) puts the bar at the bottom
 * and teeth pointing up — every tooth starts as its own label and all merge at the last row (worst case for merge
 * tables); 'down' hangs the teeth from a top bar.
 */
export function comb(width: number, height: number, unit = 1, opts: PatternOptions & { teeth?: 'up' | 'down' } = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  const barRow = (opts.teeth ?? 'up') === 'up' ? c.rows - 1 : 0;
  c.rect(0, barRow, c.cols - 1, barRow);
  for (let bx = 0; bx < c.cols; bx += 2) c.rect(bx, 0, bx, c.rows - 1);
  return finish(c, opts);
}

/** Nested U shapes (open at the top), one unit thick, one unit apart: each U's arms merge only at its bottom. */
export function nestedU(width: number, height: number, unit = 1, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  let x0 = 0, x1 = c.cols - 1, y1 = c.rows - 1;
  while (x1 - x0 >= 2 && y1 >= 0) {
    c.rect(x0, 0, x0, y1);
    c.rect(x1, 0, x1, y1);
    c.rect(x0, y1, x1, y1);
    x0 += 2;
    x1 -= 2;
    y1 -= 2;
  }
  return finish(c, opts);
}

/**
 * Staircases: diagonal runs of unit blocks touching only at corners (one object with 8-connectivity, many with 4),
 * alternating with solid steps (blocks sharing edges, one object either way), going down-right and down-left.
 */
export function staircase(width: number, height: number, unit = 1, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  for (let start = 0, k = 0; start < c.cols; start += 6, k++) {
    for (let i = 0; i < c.rows; i++) {
      const down = k % 2 === 0;
      const bx = down ? start + i : start + Math.min(c.rows, 8) - i;
      if (k % 4 < 2) c.block(bx, i); // corner-touching diagonal
      else {
        c.block(bx, i); // solid step: block plus the one beside it
        c.block(down ? bx + 1 : bx - 1, i);
      }
    }
  }
  return finish(c, opts);
}

/** Checkerboard of unit squares: one object with 8-connectivity, one object per square with 4. */
export function checkerboard(width: number, height: number, unit = 1, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  for (let by = 0; by < c.rows; by++) for (let bx = 0; bx < c.cols; bx++) if ((bx + by) % 2 === 0) c.block(bx, by);
  return finish(c, opts);
}

/**
 * Objects touching every border and corner: the four corner blocks, a bar along the middle of each edge, and a
 * single foreground pixel at each image corner (inside the corner blocks' cells when unit = C).
 */
export function borders(width: number, height: number, unit = 1, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  const L = c.cols - 1, B = c.rows - 1;
  for (const [bx, by] of [[0, 0], [L, 0], [0, B], [L, B]] as const) c.block(bx, by);
  const mx0 = Math.floor(c.cols / 3), mx1 = Math.max(mx0, Math.floor((2 * c.cols) / 3) - 1);
  const my0 = Math.floor(c.rows / 3), my1 = Math.max(my0, Math.floor((2 * c.rows) / 3) - 1);
  if (c.cols >= 5) {
    c.rect(mx0, 0, mx1, 0);
    c.rect(mx0, B, mx1, B);
  }
  if (c.rows >= 5) {
    c.rect(0, my0, 0, my1);
    c.rect(L, my0, L, my1);
  }
  return finish(c, opts);
}

/** The most objects `liveStripes` can place: ⌈cols/2⌉ with cols = ⌈width/unit⌉. */
export function maxLiveStripes(width: number, unit = 1): number {
  return Math.ceil(Math.ceil(width / unit) / 2);
}

/**
 * `count` vertical stripes, one unit wide, one unit apart, each spanning the full height: `count` objects that are
 * all live at once in every cell row (golden livePeak = openPeak = count when unit = C). Use count = N and N + 1
 * for "the maximum number of objects and one more".
 */
export function liveStripes(width: number, height: number, unit: number, count: number, opts: PatternOptions = {}): RasterImage {
  const max = maxLiveStripes(width, unit);
  if (!Number.isInteger(count) || count < 0 || count > max) {
    fail('pattern.count', `${count} stripes do not fit: at most ${max} in width ${width} with unit ${unit}`);
  }
  const c = new Canvas(width, height, unit);
  for (let k = 0; k < count; k++) c.rect(2 * k, 0, 2 * k, c.rows - 1);
  return finish(c, opts);
}

/** The most dots `dots` can place: ⌈cols/2⌉·⌈rows/2⌉. */
export function maxDots(width: number, height: number, unit = 1): number {
  return Math.ceil(Math.ceil(width / unit) / 2) * Math.ceil(Math.ceil(height / unit) / 2);
}

/** `count` isolated unit blocks on a 2-unit grid, in raster order: `count` objects in total. */
export function dots(width: number, height: number, unit: number, count: number, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, unit);
  const perRow = Math.ceil(c.cols / 2);
  const max = maxDots(width, height, unit);
  if (!Number.isInteger(count) || count < 0 || count > max) {
    fail('pattern.count', `${count} dots do not fit: at most ${max} in ${width}×${height} with unit ${unit}`);
  }
  for (let k = 0; k < count; k++) c.block(2 * (k % perRow), 2 * Math.floor(k / perRow));
  return finish(c, opts);
}

/** Random filled rectangles (overlapping ones merge): blob-like scenes. */
export function blobs(width: number, height: number, count: number, opts: PatternOptions = {}): RasterImage {
  const c = new Canvas(width, height, 1);
  const rng = new Rng((opts.seed ?? 1) + 101);
  for (let k = 0; k < count; k++) {
    const w = 1 + rng.int(Math.max(1, Math.floor(width / 4)));
    const h = 1 + rng.int(Math.max(1, Math.floor(height / 4)));
    const x0 = rng.int(width), y0 = rng.int(height);
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) c.pixel(x, y);
  }
  return finish(c, opts);
}

export interface NamedPattern {
  name: string;
  image: RasterImage;
}

/**
 * The standard set for one frame size and unit (use unit = C): blank, full, noise 10/30/50/70/90 %, spiral, combs
 * up and down, nested U, staircase, checkerboard, borders, blobs, and the stripes for `maxObjects` (N) and N + 1
 * when N is given and N + 1 stripes fit.
 */
export function standardPatterns(width: number, height: number, unit = 1, opts: PatternOptions & { maxObjects?: number } = {}): NamedPattern[] {
  const o: PatternOptions = { levels: opts.levels, seed: opts.seed ?? 1 };
  const list: NamedPattern[] = [
    { name: 'blank', image: blank(width, height, o) },
    { name: 'full', image: full(width, height, o) },
  ];
  for (const d of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    list.push({ name: `noise${Math.round(d * 100)}`, image: noise(width, height, d, { ...o, seed: (o.seed ?? 1) * 31 + d * 100 }) });
  }
  list.push(
    { name: 'spiral', image: spiral(width, height, unit, o) },
    { name: 'combUp', image: comb(width, height, unit, { ...o, teeth: 'up' }) },
    { name: 'combDown', image: comb(width, height, unit, { ...o, teeth: 'down' }) },
    { name: 'nestedU', image: nestedU(width, height, unit, o) },
    { name: 'staircase', image: staircase(width, height, unit, o) },
    { name: 'checkerboard', image: checkerboard(width, height, unit, o) },
    { name: 'borders', image: borders(width, height, unit, o) },
    { name: 'blobs', image: blobs(width, height, 12, o) },
  );
  const n = opts.maxObjects;
  if (n !== undefined && n + 1 <= maxLiveStripes(width, unit)) {
    list.push({ name: `stripes${n}`, image: liveStripes(width, height, unit, n, o) });
    list.push({ name: `stripes${n + 1}`, image: liveStripes(width, height, unit, n + 1, o) });
  }
  return list;
}

/**
 * Convert a pattern (gray8, foreground ≥ 128) to another pixel format with the same foreground under the default
 * configuration: 'binary' → 1 where gray ≥ 128; 'rgb24' → every channel ≥ 128 exactly where gray ≥ 128 (default
 * rgbLo [128,128,128], rgbHi [255,255,255]), with channels that differ from each other.
 */
export function asFormat(image: RasterImage, format: PixelFormat): RasterImage {
  if (image.format !== 'gray8') fail('image', `asFormat expects a gray8 pattern, got ${image.format}`);
  const n = image.width * image.height;
  if (format === 'gray8') return image;
  if (format === 'binary') {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = image.data[i]! >= 128 ? 1 : 0;
    return { width: image.width, height: image.height, format, data };
  }
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const g = image.data[i]!;
    const hi = g & 0x80;
    data[3 * i] = g;
    data[3 * i + 1] = hi | ((g * 5 + 3) & 0x7f);
    data[3 * i + 2] = hi | ((g * 11 + 7) & 0x7f);
  }
  return { width: image.width, height: image.height, format, data };
}

/** The palette of `colorScene`: six saturated colours (R, G, B), each channel near 0 or near 255. */
export const SCENE_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [230, 30, 30], [30, 220, 40], [40, 40, 230], [230, 220, 40], [40, 220, 220], [220, 40, 220],
];

/**
 * An rgb24 scene for colour classes: a dark textured background, `count` random rectangles of the SCENE_PALETTE
 * colours (later ones overwrite earlier ones, so colours touch and overlap), every channel jittered by up to ±20,
 * and sensor noise (≈ 2 % of pixels set to a random colour).
 */
export function colorScene(width: number, height: number, count: number, opts: PatternOptions = {}): RasterImage {
  new Canvas(width, height, 1); // size check
  const rng = new Rng((opts.seed ?? 1) * 131 + 7);
  const paint = new Int16Array(width * height).fill(-1);
  for (let k = 0; k < count; k++) {
    const w = 1 + rng.int(Math.max(1, Math.floor(width / 3)));
    const h = 1 + rng.int(Math.max(1, Math.floor(height / 3)));
    const x0 = rng.int(width), y0 = rng.int(height), col = rng.int(SCENE_PALETTE.length);
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) paint[y * width + x] = col;
  }
  const data = new Uint8Array(3 * width * height);
  const clamp = (v: number): number => Math.max(0, Math.min(255, v));
  for (let i = 0; i < width * height; i++) {
    const p = paint[i]!;
    for (let c = 0; c < 3; c++) {
      if (rng.int(50) === 0) data[3 * i + c] = rng.int(256);
      else data[3 * i + c] = p < 0 ? rng.int(60) : clamp(SCENE_PALETTE[p]![c]! + rng.int(41) - 20);
    }
  }
  return { width, height, format: 'rgb24', data };
}
