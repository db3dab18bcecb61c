/**
 * The pixel-exact P-pixel design's word-level model (src/ccl/core-ppc.ts) against the golden model (itself tested
 * against a flood fill in ccl-golden.test.ts): random images and worst cases (checkerboards, spirals, combs, nested
 * U shapes that merge late, full frame, single-pixel noise, live stripes at N and N + 1) for P = 1, 2, 4, 8, both
 * connectivities, histograms, colour histogram and third-order moments; and the cycle model on images whose run
 * counts are known by hand.
 */
import { describe, expect, it } from 'vitest';
import { makeCclConfig, type CclConfig } from '../src/ccl/config.js';
import { labelImageDetailed, diffResults } from '../src/ccl/golden.js';
import { labelPixelExact } from '../src/ccl/core-ppc.js';
import * as Pt from '../src/ccl/patterns.js';
import type { RasterImage } from '../src/image/io.js';

function same(img: RasterImage, cfg: CclConfig, ppc: number): void {
  const g = labelImageDetailed(img, cfg);
  const m = labelPixelExact(img, cfg, { ppc });
  expect(diffResults(g.result, m.result)).toBeNull();
  expect(m.result.overflow).toBe(g.result.overflow);
  if (!g.result.overflow) expect(m.firstPixel).toEqual(g.firstPixel);
}

const W = 32, H = 20;

describe('pixel-exact P-pixel model = golden model', () => {
  for (const connectivity of [8, 4] as const) {
    it(`standard worst cases and random images, ${connectivity}-connectivity, P = 1, 2, 4, 8`, () => {
      const images = [
        ...Pt.standardPatterns(W, H, 1, { maxObjects: 7 }).map((p) => p.image),
        Pt.checkerboard(W, H, 1), Pt.spiral(W, H, 1), Pt.nestedU(W, H, 1), Pt.comb(W, H, 1, { teeth: 'up' }),
        Pt.comb(W, H, 1, { teeth: 'down' }), Pt.full(W, H), Pt.noise(W, H, 0.03, { seed: 9 }),
        ...Array.from({ length: 12 }, (_, k) => Pt.noise(W, H, 0.15 + 0.06 * k, { seed: 100 + k })),
      ];
      for (const ppc of [1, 2, 4, 8]) {
        for (const img of images) {
          same(img, makeCclConfig({ width: W, height: H, connectivity }), ppc);
          same(img, makeCclConfig({ width: W, height: H, connectivity, histBins: 8, thirdMoments: true }), ppc);
        }
      }
    });
  }

  it('overflow flag at N and N + 1 live objects (liveStripes) and on noise with a small N', () => {
    for (const ppc of [2, 4, 8]) {
      const n = Pt.maxLiveStripes(W, 1) - 1;
      for (const count of [n, n + 1]) {
        const img = Pt.liveStripes(W, H, 1, count);
        const cfg = makeCclConfig({ width: W, height: H, maxObjects: n });
        const m = labelPixelExact(img, cfg, { ppc });
        expect(m.result.overflow).toBe(count > n);
        same(img, cfg, ppc);
      }
      for (let s = 0; s < 6; s++) same(Pt.noise(W, H, 0.4, { seed: s }), makeCclConfig({ width: W, height: H, maxObjects: 4 + s }), ppc);
    }
  });

  it('rgb24 with the gray and the colour histogram', () => {
    const img = Pt.colorScene(48, 24, 5, { seed: 3 });
    for (const ppc of [2, 8]) {
      same(img, makeCclConfig({ width: 48, height: 24, pixelFormat: 'rgb24', rgbLo: [60, 0, 0], rgbHi: [255, 255, 255], histBins: 4, colorBits: 2, thirdMoments: true }), ppc);
    }
  });

  it('refuses cells, P not allowed, W not a multiple of P', () => {
    const cfg = makeCclConfig({ width: 30, height: 8 });
    expect(() => labelPixelExact(Pt.full(30, 8), makeCclConfig({ width: 30, height: 8, cell: 2 }), { ppc: 2 })).toThrow(/cell/);
    expect(() => labelPixelExact(Pt.full(30, 8), cfg, { ppc: 3 })).toThrow(/ppc: must be one of/);
    expect(() => labelPixelExact(Pt.full(30, 8), cfg, { ppc: 4 })).toThrow(/not a multiple of 4/);
  });
});

describe('cycle model of the P-pixel design', () => {
  it('full frame: one run per line, input-bound at W·H/P', () => {
    for (const ppc of [2, 4, 8]) {
      const f = labelPixelExact(Pt.full(64, 16), makeCclConfig({ width: 64, height: 16 }), { ppc }).figures;
      expect(f.runs).toBe(16);
      expect(f.maxRunsPerWord).toBe(1);
      expect(f.framePeriod).toBe((64 * 16) / ppc);
      expect(f.inputCycles).toBe((64 * 16) / ppc);
      expect(f.labelsPeak).toBe(1);
    }
  });

  it('pixel checkerboard: W/2 runs per line, every run overlaps two above (8-connectivity): labeler-bound', () => {
    const img = Pt.checkerboard(64, 16, 1);
    const f = labelPixelExact(img, makeCclConfig({ width: 64, height: 16 }), { ppc: 8 }).figures;
    expect(f.runs).toBe(32 * 16);
    expect(f.maxRunsPerWord).toBe(5); // ⌈P/2⌉ + 1: a word ending the line also closes the previous word's run
    // every walk step advances one pointer: line 0 32 steps, lines 1..15 32 + 32 each, the virtual line 32 retires;
    // 17 line ends, 1 completion (the checkerboard is one object at 8-connectivity), 1 end-of-frame record
    expect(f.steps).toBe(32 + 15 * 64 + 32 + 17 + 1 + 1);
    expect(f.framePeriod).toBe(f.steps);
    expect(f.framePeriod).toBeGreaterThan((64 * 16) / 8);
    // two steps per clock roughly halve the period
    const f2 = labelPixelExact(img, makeCclConfig({ width: 64, height: 16 }), { ppc: 8, stepsPerClock: 2 }).figures;
    expect(f2.framePeriod).toBe(Math.ceil(f.steps / 2));
    expect(f2.cycles).toBeLessThan(f.cycles);
  });
});
