/**
 * Test vectors for the RTL proof (tests and benches): the golden engineer's standard patterns drawn in cell units,
 * plus cell-level random patterns (random active cells, each filled with a random number of foreground pixels, and
 * inactive cells holding fewer than T foreground pixels so that T is exercised), the maximum number of objects in
 * a frame, and a check helper that streams the frames back to back through the simulated core and compares every
 * frame with the golden model.
 */
import type { CclConfig } from '../config.js';
import { cellCols, cellRows } from '../config.js';
import type { RasterImage } from '../../image/io.js';
import { Rng, standardPatterns, dots, maxDots, asFormat, maskToImage, type NamedPattern } from '../patterns.js';
import { labelImageDetailed, diffResults, type CclResult } from '../golden.js';
import { labelFramesWithRtl, type RtlRunOptions, type RtlRunResult } from '../rtl-run.js';

/** Random active cells at `density`; an active cell gets T..C² foreground pixels, an inactive one 0..T−1. */
export function cellNoise(cfg: Pick<CclConfig, 'width' | 'height' | 'cell' | 'minPixels'>, density: number, seed: number): RasterImage {
  const { width: W, height: H, cell: C, minPixels: T } = cfg;
  const rng = new Rng(seed);
  const mask = new Uint8Array(W * H);
  for (let cr = 0; cr < cellRows(cfg); cr++) {
    for (let cc = 0; cc < cellCols(cfg); cc++) {
      const px: number[] = [];
      for (let y = cr * C; y < Math.min(H, cr * C + C); y++) for (let x = cc * C; x < Math.min(W, cc * C + C); x++) px.push(y * W + x);
      const want = rng.real() < density
        ? Math.min(px.length, T + rng.int(px.length - T + 1)) // may stay below T in a partial cell: fine
        : rng.int(Math.min(T, px.length + 1));
      for (let k = 0; k < want; k++) {
        const j = k + rng.int(px.length - k);
        [px[k], px[j]] = [px[j]!, px[k]!];
        mask[px[k]!] = 1;
      }
    }
  }
  return maskToImage(W, H, mask, { seed });
}

/** Isolated single cells on a 2-cell grid, `perRow` of them in every other cell row: many objects, livePeak = perRow. */
export function dotRows(cfg: Pick<CclConfig, 'width' | 'height' | 'cell'>, perRow: number, seed: number): RasterImage {
  const { width: W, height: H, cell: C } = cfg;
  const mask = new Uint8Array(W * H);
  for (let cr = 0; cr < cellRows(cfg); cr += 2) {
    for (let k = 0; k < perRow && 2 * k < cellCols(cfg); k++) {
      for (let y = cr * C; y < Math.min(H, cr * C + C); y++) for (let x = 2 * k * C; x < Math.min(W, 2 * k * C + C); x++) mask[y * W + x] = 1;
    }
  }
  return maskToImage(W, H, mask, { seed });
}

/** The proof's frame set for one configuration, in the configuration's pixel format. */
export function rtlVectors(cfg: CclConfig, seed = 1): NamedPattern[] {
  const C = cfg.cell;
  const list: NamedPattern[] = standardPatterns(cfg.width, cfg.height, C, { seed, ...(cfg.maxObjects !== undefined ? { maxObjects: cfg.maxObjects } : {}) });
  for (const d of [0.2, 0.45, 0.7]) list.push({ name: `cellNoise${Math.round(d * 100)}`, image: cellNoise(cfg, d, seed * 101 + d * 100) });
  const md = maxDots(cfg.width, cfg.height, C);
  if (cfg.maxObjects === undefined || Math.ceil(cellCols(cfg) / 2) <= cfg.maxObjects) {
    list.push({ name: `dots${md}`, image: dots(cfg.width, cfg.height, C, md, { seed }) });
  } else {
    list.push({ name: `dotRows${cfg.maxObjects}`, image: dotRows(cfg, cfg.maxObjects, seed) });
  }
  return list.map((p) => ({ name: p.name, image: asFormat(p.image, cfg.pixelFormat) }));
}

export interface FrameCheck {
  name: string;
  golden: CclResult;
  rtl: CclResult;
  /** null when equal (diffResults). */
  diff: string | null;
  livePeak: number;
}

/** Stream `frames` back to back through the simulated core and compare each with the golden model. */
export async function checkRtlFrames(cfg: CclConfig, frames: NamedPattern[], opts: RtlRunOptions): Promise<{ checks: FrameCheck[]; run: RtlRunResult }> {
  const run = await labelFramesWithRtl(frames.map((f) => f.image), cfg, opts);
  const checks = frames.map((f, i) => {
    const g = labelImageDetailed(f.image, cfg);
    const rtl = run.results[i]!;
    return { name: f.name, golden: g.result, rtl, diff: diffResults(g.result, rtl), livePeak: g.stats.livePeak };
  });
  return { checks, run };
}
