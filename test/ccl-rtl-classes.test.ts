/**
 * Multi-class CCL core (src/ccl/rtl/multi.ts): K colour classes in one pass, bit-exact against the golden
 * labelClasses on Verilator with random valid/ready stalls — RGB and HSV (wrapping hue) classes that overlap, the
 * gray and colour histograms, C = 1 / 4 / 8, both connectivities, T > 1, frames back to back (coloured scenes,
 * uniform random pixels for the HSV boundaries, blank, one class everywhere), third-order moments; lint; one
 * configuration on Icarus; the pixel-exact channels (C = 1, P = 4, run labeler) on Icarus.
 */
import { describe, expect, it } from 'vitest';
import { makeCclConfig, type CclConfig } from '../src/ccl/config.js';
import { classChannel, labelClasses, parseClasses, type ColorClass } from '../src/ccl/classes.js';
import { diffResults } from '../src/ccl/golden.js';
import { colorScene, Rng } from '../src/ccl/patterns.js';
import { labelClassFramesWithRtl } from '../src/ccl/rtl-run.js';
import { generateCclMultiRtl } from '../src/ccl/rtl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import type { RasterImage } from '../src/image/io.js';
import type { SimulatorName } from '../src/sim/index.js';

const CLASSES = parseClasses({
  classes: [
    { name: 'red', hsvLo: [340, 120, 100], hsvHi: [20, 255, 255] },
    { name: 'green', rgbLo: [0, 150, 0], rgbHi: [120, 255, 120] },
    { name: 'bright', rgbLo: [150, 150, 0], rgbHi: [255, 255, 255] }, // overlaps yellow, cyan, magenta scenes' colours
    { name: 'blue', hsvLo: [200, 100, 90], hsvHi: [260, 255, 255] },
    { name: 'yellow', rgbLo: [180, 180, 0], rgbHi: [255, 255, 90] },
    { name: 'lowsat', hsvLo: [0, 0, 30], hsvHi: [359, 90, 200] },
  ],
});

function randomPixels(w: number, h: number, seed: number): RasterImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(3 * w * h);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width: w, height: h, format: 'rgb24', data };
}

function frames(w: number, h: number): RasterImage[] {
  const one = new Uint8Array(3 * w * h);
  for (let i = 0; i < w * h; i++) one.set([40, 220, 40], 3 * i);
  return [
    colorScene(w, h, 10, { seed: 1 }), randomPixels(w, h, 7), { width: w, height: h, format: 'rgb24', data: new Uint8Array(3 * w * h) },
    colorScene(w, h, 6, { seed: 2 }), { width: w, height: h, format: 'rgb24', data: one },
  ];
}

async function check(cfg: CclConfig, classes: readonly ColorClass[], ppc: number, sim: SimulatorName, imgs: RasterImage[]): Promise<void> {
  const run = await labelClassFramesWithRtl(imgs, cfg, classes, { ppc, sim, seed: 3, validProb: 0.7, readyProb: 0.6 });
  expect(run.results.length).toBe(imgs.length);
  let objects = 0;
  imgs.forEach((img, f) => {
    const want = labelClasses(img, cfg, classes);
    const got = run.results[f]!;
    expect(got.classOverflow).toEqual(want.classOverflow);
    classes.forEach((_, k) => {
      const d = diffResults(classChannel(want, k), classChannel(got, k));
      expect(d, `frame ${f} class ${k}`).toBeNull();
    });
    if (!want.overflow) {
      expect(got.objects.map((o) => [o.class, o.className])).toEqual(want.objects.map((o) => [o.class, o.className]));
      expect(got.firstPixel).toEqual(want.firstPixel);
    }
    objects += want.objects.length;
  });
  expect(objects).toBeGreaterThan(2); // the vectors are not trivially empty
}

describe('multi-class ccl rtl (Verilator, random stalls)', () => {
  it('C = 1, P = 1, 6 classes (RGB + HSV), gray and colour histograms', async () => {
    const cfg = makeCclConfig({ width: 24, height: 16, cell: 1, pixelFormat: 'rgb24', histBins: 4, colorBits: 1 });
    await check(cfg, CLASSES, 1, 'verilator', frames(24, 16));
  }, 300_000);
  it('C = 4, P = 2, 4-connectivity, T = 2, 8-bin colour histogram, N = 6', async () => {
    const cfg = makeCclConfig({ width: 32, height: 20, cell: 4, connectivity: 4, minPixels: 2, pixelFormat: 'rgb24', colorBits: 1, maxObjects: 6 });
    await check(cfg, CLASSES.slice(0, 4), 2, 'verilator', frames(32, 20));
  }, 300_000);
  it('C = 1, P = 4 (pixel-exact run labeler channels), 3 classes, 8-bin colour histogram, on Icarus', async () => {
    const cfg = makeCclConfig({ width: 24, height: 12, cell: 1, pixelFormat: 'rgb24', colorBits: 1 });
    await check(cfg, CLASSES.slice(0, 3), 4, 'icarus', frames(24, 12));
  }, 300_000);
  it('C = 8, P = 4, one class, 64-bin colour histogram, third-order moments', async () => {
    const cfg = makeCclConfig({ width: 64, height: 40, cell: 8, pixelFormat: 'rgb24', colorBits: 2, thirdMoments: true });
    await check(cfg, CLASSES.slice(5, 6), 4, 'verilator', frames(64, 40));
  }, 300_000);
});

describe('multi-class ccl rtl: lint and Icarus', () => {
  it('lints clean (verilator -Wall, iverilog) with one module per file', async () => {
    const cfg = makeCclConfig({ width: 32, height: 16, cell: 2, pixelFormat: 'rgb24', histBins: 2, colorBits: 1, maxObjects: 8 });
    const rtl = generateCclMultiRtl(cfg, CLASSES, { ppc: 2 });
    expect([...rtl.files.keys()]).toEqual(expect.arrayContaining(['ccl_core.v', 'ccl_core_classify.v', 'ccl_core_channel.v', 'ccl_core_merge.v']));
    await lintVerilog(rtl.files, rtl.top);
    expect(() => generateCclMultiRtl(makeCclConfig({ width: 32, height: 16 }), CLASSES, { ppc: 1 })).toThrow(/^pixelFormat: colour classes need rgb24/);
  }, 120_000);
  it('Icarus: C = 2, P = 2, 3 classes', async () => {
    const cfg = makeCclConfig({ width: 16, height: 12, cell: 2, pixelFormat: 'rgb24', histBins: 2, colorBits: 1 });
    await check(cfg, CLASSES.slice(0, 3), 2, 'icarus', frames(16, 12).slice(0, 3));
  }, 300_000);
});
