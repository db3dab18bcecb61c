/**
 * The run-time loadable 3-D lookup-table classifier: the golden table compiled from a class file (cell centres in
 * the boxes, index layout, refusals) and the RTL (src/ccl/rtl/classifier-lut.ts) on Verilator with random stalls
 * on the pixel stream and on every AXI4-Lite channel — a random (non-box) table loaded over AXI4-Lite, then random
 * and scene pixels classified, equal to lutClassMask; the write strobe, a write to the read-only INFO register and
 * reads of INFO, of the table and of an unmapped address answered as the register map says (lint: flow-lint).
 */
import { describe, expect, it } from 'vitest';
import { inClass, parseClasses } from '../src/ccl/classes.js';
import {
  AXIL_SLVERR, LUT_REG_CTRL, LUT_REG_INFO, compileClassLut, lutBoxAgreement, lutClassMask, lutEntryAddress, lutIndex, lutInfo,
  lutLoadWrites, type ClassLut,
} from '../src/ccl/classes-lut.js';
import { buildLutClassifier } from '../src/ccl/rtl/classifier-lut.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { classChannel, labelClasses } from '../src/ccl/classes.js';
import { diffResults } from '../src/ccl/golden.js';
import { labelClassFramesWithRtl } from '../src/ccl/rtl-run.js';
import { colorScene, Rng } from '../src/ccl/patterns.js';
import type { RasterImage } from '../src/image/io.js';

const CLASSES = parseClasses({
  classes: [
    { name: 'red', hsvLo: [340, 120, 100], hsvHi: [20, 255, 255] },
    { name: 'green', rgbLo: [0, 150, 0], rgbHi: [120, 255, 120] },
    { name: 'bright', rgbLo: [150, 150, 0], rgbHi: [255, 255, 255] },
  ],
});

describe('lookup-table classifier (golden)', () => {
  it('an entry holds the classes of its cell centre; index r, g, b from the top bits', () => {
    const lut = compileClassLut(CLASSES, 4);
    expect(lut.table.length).toBe(4096);
    expect(lutIndex(4, 0xf0, 0x10, 0x2f)).toBe((15 << 8) | (1 << 4) | 2);
    for (const [r, g, b] of [[8, 200, 8], [248, 8, 8], [200, 200, 40], [120, 120, 120], [24, 152, 120]] as const) {
      let want = 0;
      CLASSES.forEach((c, k) => { if (inClass(c, (r & 0xf0) + 8, (g & 0xf0) + 8, (b & 0xf0) + 8)) want |= 1 << k; });
      expect(lut.table[lutIndex(4, r, g, b)], `${r},${g},${b}`).toBe(want);
    }
    expect(lut.table[lutIndex(4, 8, 200, 8)]).toBe(2); // green only
    expect(lut.table[lutIndex(4, 248, 248, 248)]).toBe(4); // bright (white)
    const img = colorScene(64, 48, 8, { seed: 5 });
    const agree = lutBoxAgreement(img, compileClassLut(CLASSES, 6), CLASSES);
    expect(agree).toBeGreaterThan(0.95);
    expect(agree).toBeLessThanOrEqual(1);
  });
  it('refuses a quantisation outside 2..6 with one line', () => {
    expect(() => compileClassLut(CLASSES, 7)).toThrow(/^lut.bits: 7 must be an integer in 2..6/);
    expect(() => buildLutClassifier({ bits: 4, classes: 9, ppc: 1 })).toThrow(/^classifier.classes: 9 must be 1..8/);
  });
});

function randomLut(bits: number, classes: number, seed: number): ClassLut {
  const rng = new Rng(seed);
  return { bits, classes, table: Uint8Array.from({ length: 1 << (3 * bits) }, () => rng.int(1 << classes)) };
}

function pixels(w: number, h: number, seed: number): RasterImage[] {
  const rng = new Rng(seed);
  const noise = Uint8Array.from({ length: 3 * w * h }, () => rng.int(256));
  return [{ width: w, height: h, format: 'rgb24', data: noise }, colorScene(w, h, 4, { seed })];
}

describe('multi-class core with the lookup-table classifier (Verilator, random stalls on every channel)', () => {
  it('q = 3, K = 3, C = 4, P = 2: a random table loaded over AXI4-Lite, two frames labeled as the golden model with its masks', async () => {
    const q = 3, K = 3, P = 2;
    const lut = randomLut(q, K, 11);
    const cfg = makeCclConfig({ width: 16, height: 8, cell: 4, pixelFormat: 'rgb24', colorBits: 1, maxObjects: 8 });
    // writes: the table, a strobe-less write that must not land, a write to read-only INFO, then run
    const writes = lutLoadWrites(lut).slice(0, -1).map((x) => ({ ...x, strb: 0xf }));
    writes.push({ addr: lutEntryAddress(q, 0), data: lut.table[0]! ^ 0x7, strb: 0 }, { addr: LUT_REG_INFO, data: 0, strb: 0xf }, { addr: LUT_REG_CTRL, data: 1, strb: 0xf });
    const reads = [LUT_REG_INFO, lutEntryAddress(q, 5), 0x8];
    const imgs = pixels(16, 8, 3);
    for (let i = 0; i < 24; i++) imgs[0]!.data.set([5, 10, 20], 3 * i); // entry 0 (the strobe-less write's) in use
    const run = await labelClassFramesWithRtl(imgs, cfg, CLASSES, { ppc: P, seed: 5, validProb: 0.7, readyProb: 0.6, lut: { table: lut, writes, reads } });
    expect(run.axil!.b).toEqual(writes.map((x) => (x.addr === LUT_REG_INFO ? BigInt(AXIL_SLVERR) : 0n)));
    expect(run.axil!.r).toEqual([BigInt(lutInfo(q, K, P)), BigInt(AXIL_SLVERR) << 32n, BigInt(AXIL_SLVERR) << 32n]);
    let objects = 0;
    imgs.forEach((img, f) => {
      const want = labelClasses(img, cfg, CLASSES, lutClassMask(img, lut));
      for (let k = 0; k < K; k++) expect(diffResults(classChannel(want, k), classChannel(run.results[f]!, k)), `frame ${f} class ${k}`).toBeNull();
      objects += want.objects.length;
    });
    expect(objects).toBeGreaterThan(3); // not trivially empty
  }, 300_000);
});
