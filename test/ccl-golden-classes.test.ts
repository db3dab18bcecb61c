/**
 * Colour classes (src/ccl/classes.ts) and the golden multi-class labeling: class-file validation (one-line errors
 * naming the field), the integer HSV convention on hand-computed pixels, hue wrap-around, overlapping classes, and
 * labelClasses against an independent pixel/cell flood fill written here (features incl. third-order moments and
 * the colour histogram re-derived from their definitions).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellSize, Connectivity } from '../src/ccl/config.js';
import { makeCclConfig } from '../src/ccl/config.js';
import { classMask, classResultToJson, labelClasses, parseClasses, readClasses, rgbToHsv } from '../src/ccl/classes.js';
import type { ColorClass } from '../src/ccl/classes.js';
import { colorScene } from '../src/ccl/patterns.js';
import { featureLayout, featureWidths } from '../src/ccl/features.js';
import type { RasterImage } from '../src/image/io.js';

const rgbClass = (name: string, lo: number[], hi: number[]): unknown => ({ name, rgbLo: lo, rgbHi: hi });

describe('class file validation', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ classes: [] }, /^classes\.classes: must list 1\.\.8 classes, got 0$/],
    [{ classes: Array.from({ length: 9 }, (_, k) => rgbClass(`c${k}`, [0, 0, 0], [1, 1, 1])) }, /must list 1\.\.8 classes, got 9/],
    [{ classes: [rgbClass('red', [200, 0, 0], [100, 50, 50])] }, /^classes\.classes\[0\]\.rgbLo\[0\]: 200 > rgbHi\[0\] = 100: inverted/],
    [{ classes: [{ name: 'x', hsvLo: [0, 200, 0], hsvHi: [10, 100, 255] }] }, /^classes\.classes\[0\]\.hsvLo\[1\]: 200 > hsvHi\[1\]/],
    [{ classes: [{ name: 'x', rgbLo: [0, 0, 0] }] }, /^classes\.classes\[0\]\.rgbHi: missing/],
    [{ classes: [{ name: 'x' }] }, /^classes\.classes\[0\]: empty class/],
    [{ classes: [{ name: 'x', rgbLo: [0, 0, 0], rgbHi: [1, 1, 1], hsvLo: [0, 0, 0], hsvHi: [1, 1, 1] }] }, /not both/],
    [{ classes: [rgbClass('x', [0, 0, 0], [1, 1, 1]), rgbClass('x', [0, 0, 0], [1, 1, 1])] }, /classes\[1\]\.name: 'x' is used twice/],
    [{ classes: [rgbClass('x', [0, 0, 0], [1, 300, 1])] }, /^classes\.classes\[0\]\.rgbHi\[1\]: /],
    [{ classes: [{ name: 'x', hsvLo: [360, 0, 0], hsvHi: [1, 1, 1] }] }, /^classes\.classes\[0\]\.hsvLo\[0\]: /],
    [{ classes: [{ name: 'x', rgbLo: [0, 0, 0], rgbHi: [1, 1, 1], colour: 1 }] }, /^classes\.classes\[0\]/],
    [{ klasses: [] }, /^classes/],
  ];
  it.each(bad.map((b, i) => [i, ...b] as const))('case %i gives a one-line error naming the field', (_i, json, re) => {
    let msg = '';
    try {
      parseClasses(json);
    } catch (e) {
      msg = (e as Error).message;
      expect((e as Error).name).toBe('UserError');
    }
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });
  it('accepts a wrapping hue range and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccl-classes-'));
    const ok = join(dir, 'ok.json'), broken = join(dir, 'bad.json');
    writeFileSync(ok, JSON.stringify({ classes: [{ name: 'red', hsvLo: [340, 100, 60], hsvHi: [20, 255, 255] }, rgbClass('g', [0, 100, 0], [80, 255, 80])] }));
    writeFileSync(broken, '{"classes": [');
    const cls = readClasses(ok);
    expect(cls.map((c) => [c.name, c.space])).toEqual([['red', 'hsv'], ['g', 'rgb']]);
    expect(() => readClasses(broken)).toThrow(/bad\.json: not valid JSON/);
    expect(() => readClasses(join(dir, 'none.json'))).toThrow(/none\.json: cannot read/);
  });
});

describe('HSV convention', () => {
  it('matches hand-computed pixels', () => {
    expect(rgbToHsv(255, 0, 0)).toEqual([0, 255, 255]);
    expect(rgbToHsv(0, 255, 0)).toEqual([120, 255, 255]);
    expect(rgbToHsv(0, 0, 255)).toEqual([240, 255, 255]);
    expect(rgbToHsv(255, 0, 1)).toEqual([359, 255, 255]); // ⌊−60/255⌋ = −1 → 359
    expect(rgbToHsv(255, 128, 0)).toEqual([30, 255, 255]); // ⌊60·128/255⌋ = 30
    expect(rgbToHsv(100, 100, 100)).toEqual([0, 0, 100]);
    expect(rgbToHsv(0, 0, 0)).toEqual([0, 0, 0]);
    expect(rgbToHsv(200, 100, 50)).toEqual([20, 191, 200]); // d = 150: ⌊60·50/150⌋ = 20, ⌊255·150/200⌋ = 191
    expect(rgbToHsv(50, 100, 200)).toEqual([220, 191, 200]); // 240 + ⌊60·(−50)/150⌋ = 220
  });
  it('wraps the hue range through 0 and keeps S/V bounds', () => {
    const [red] = parseClasses({ classes: [{ name: 'red', hsvLo: [340, 100, 60], hsvHi: [20, 255, 255] }] });
    const img: RasterImage = { width: 6, height: 1, format: 'rgb24', data: new Uint8Array([
      255, 0, 1, /* 359 */ 255, 0, 0, /* 0 */ 255, 85, 0, /* 20 */ 255, 90, 0, /* 21 */ 255, 0, 90, /* 339 */ 255, 200, 200, /* S 55 */
    ]) };
    expect([...classMask(img, [red!])]).toEqual([1, 1, 1, 0, 0, 0]);
  });
});

describe('classMask', () => {
  it('sets one bit per class; a pixel may be in several classes', () => {
    const cls = parseClasses({ classes: [rgbClass('a', [0, 0, 0], [127, 255, 255]), rgbClass('b', [100, 0, 0], [255, 255, 255]), rgbClass('c', [0, 0, 200], [255, 255, 255])] });
    const img: RasterImage = { width: 4, height: 1, format: 'rgb24', data: new Uint8Array([10, 0, 0, 110, 0, 0, 200, 0, 0, 110, 0, 250]) };
    expect([...classMask(img, cls)]).toEqual([0b001, 0b011, 0b010, 0b111]);
  });
});

// Independent reference for one class: the class membership is a plain RGB box test written here.
function refClassObjects(img: RasterImage, box: { lo: number[]; hi: number[] }, C: number, T: number, conn: Connectivity, q: number): unknown[] {
  const W = img.width, H = img.height, d = img.data;
  const fg = (i: number): boolean => [0, 1, 2].every((c) => d[3 * i + c]! >= box.lo[c]! && d[3 * i + c]! <= box.hi[c]!);
  const gw = Math.ceil(W / C), gh = Math.ceil(H / C);
  const active = (cx: number, cy: number): boolean => {
    if (cx < 0 || cy < 0 || cx >= gw || cy >= gh) return false;
    let n = 0;
    for (let y = cy * C; y < Math.min(H, cy * C + C); y++) for (let x = cx * C; x < Math.min(W, cx * C + C); x++) if (fg(y * W + x)) n++;
    return n >= T;
  };
  const comp = new Int32Array(gw * gh).fill(-1);
  let ncomp = 0;
  for (let s = 0; s < gw * gh; s++) {
    if (comp[s] !== -1 || !active(s % gw, Math.floor(s / gw))) continue;
    const queue = [s];
    comp[s] = ncomp;
    while (queue.length) {
      const c = queue.pop()!;
      const cx = c % gw, cy = Math.floor(c / gw);
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        if ((dx === 0 && dy === 0) || (conn === 4 && dx !== 0 && dy !== 0)) continue;
        const n = (cy + dy) * gw + cx + dx;
        if (active(cx + dx, cy + dy) && comp[n] === -1) { comp[n] = ncomp; queue.push(n); }
      }
    }
    ncomp++;
  }
  const objs = new Map<number, { first: number; o: Record<string, number | number[]> }>();
  for (let i = 0; i < W * H; i++) {
    const x = i % W, y = Math.floor(i / W), k = comp[Math.floor(y / C) * gw + Math.floor(x / C)]!;
    if (!fg(i) || k < 0) continue;
    if (!objs.has(k)) objs.set(k, { first: i, o: { area: 0, sumX: 0, sumY: 0, sumXXX: 0, sumXXY: 0, sumXYY: 0, sumYYY: 0, x0: x, y0: y, x1: x, y1: y, colorHist: new Array(1 << (3 * q)).fill(0) } });
    const o = objs.get(k)!.o as Record<string, number> & { colorHist: number[] };
    o.area++; o.sumX += x; o.sumY += y;
    o.sumXXX += x ** 3; o.sumXXY += x * x * y; o.sumXYY += x * y * y; o.sumYYY += y ** 3;
    o.x0 = Math.min(o.x0, x); o.y0 = Math.min(o.y0, y); o.x1 = Math.max(o.x1, x); o.y1 = Math.max(o.y1, y);
    const bin = Math.floor(d[3 * i]! / 2 ** (8 - q)) + Math.floor(d[3 * i + 1]! / 2 ** (8 - q)) * 2 ** q + Math.floor(d[3 * i + 2]! / 2 ** (8 - q)) * 4 ** q;
    o.colorHist[bin]!++;
  }
  return [...objs.values()].sort((a, b) => a.first - b.first).map(({ o }) => o);
}

describe('labelClasses against an independent flood fill', () => {
  const boxes = [
    { name: 'red', lo: [180, 0, 0], hi: [255, 80, 80] },
    { name: 'yellowish', lo: [180, 180, 0], hi: [255, 255, 90] }, // overlaps nothing of red: G ≥ 180
    { name: 'bright', lo: [120, 120, 0], hi: [255, 255, 255] }, // overlaps yellowish (a pixel in two classes)
    { name: 'blue', lo: [0, 0, 180], hi: [90, 90, 255] },
  ];
  const classes: ColorClass[] = parseClasses({ classes: boxes.map((b) => rgbClass(b.name, b.lo, b.hi)) });
  const cases: Array<[CellSize, Connectivity, number, number]> = [[1, 8, 1, 1], [1, 4, 1, 2], [2, 8, 2, 1], [4, 8, 3, 2], [8, 4, 1, 1]];
  it.each(cases)('C = %i, %i-connectivity, T = %i, q = %i', (C, conn, T, q) => {
    for (const seed of [1, 2, 3]) {
      const img = colorScene(37, 29, 9, { seed });
      const cfg = makeCclConfig({ width: 37, height: 29, cell: C, connectivity: conn, minPixels: T, pixelFormat: 'rgb24', thirdMoments: true, colorBits: q, histBins: 4 });
      const res = labelClasses(img, cfg, classes);
      expect(res.objects.length).toBeGreaterThan(2); // the scene is not trivially empty
      boxes.forEach((b, k) => {
        const got = res.objects.filter((o) => o.class === k);
        expect(got.every((o) => o.className === b.name)).toBe(true);
        const mine = got.map((o) => ({ area: o.area, sumX: o.sumX, sumY: o.sumY, sumXXX: o.sumXXX, sumXXY: o.sumXXY, sumXYY: o.sumXYY, sumYYY: o.sumYYY,
          x0: o.bbox[0], y0: o.bbox[1], x1: o.bbox[2], y1: o.bbox[3], colorHist: o.colorHist }));
        expect(mine).toEqual(refClassObjects(img, b, C, T, conn, q));
      });
      // records are grouped by class, in class order
      expect(res.objects.map((o) => o.class)).toEqual([...res.objects.map((o) => o.class)].sort((a, b) => a - b));
    }
  });
  it('writes JSON with the class first and refuses a gray configuration', () => {
    const img = colorScene(16, 12, 4, { seed: 5 });
    const cfg = makeCclConfig({ width: 16, height: 12, pixelFormat: 'rgb24', colorBits: 1 });
    const j = JSON.parse(classResultToJson(labelClasses(img, cfg, classes)));
    expect(Object.keys(j)).toEqual(['width', 'height', 'cell', 'overflow', 'classOverflow', 'objects']);
    if (j.objects.length) expect(Object.keys(j.objects[0]).slice(0, 3)).toEqual(['class', 'className', 'area']);
    expect(() => labelClasses(img, makeCclConfig({ width: 16, height: 12 }), classes)).toThrow(/pixelFormat: colour classes label rgb24/);
  });
});

describe('new feature options', () => {
  it('widths and layout of third moments and colour bins', () => {
    const cfg = makeCclConfig({ width: 512, height: 512, cell: 8, pixelFormat: 'rgb24', thirdMoments: true, colorBits: 2 });
    const w = featureWidths(cfg);
    // Σx³ max = 512 · (512·511/2)² = 512 · 130816² → 43 bits; Σx²y = (511·512·1023/6)·(512·511/2) → 43 bits
    expect([w.sumXXX, w.sumXXY, w.sumXYY, w.sumYYY, w.colorBins, w.colorBin]).toEqual([43, 43, 43, 43, 64, 19]);
    const names = featureLayout(cfg).map((s) => s.name);
    expect(names.slice(5, 10)).toEqual(['sumXY', 'sumXXX', 'sumXXY', 'sumXYY', 'sumYYY']);
    expect(names.at(-1)).toBe('color63');
    expect(() => makeCclConfig({ width: 4096, height: 8, thirdMoments: true })).toThrow(/^thirdMoments: needs width and height ≤ 2048/);
    expect(() => makeCclConfig({ width: 8, height: 8, colorBits: 1 })).toThrow(/^colorBits: a colour histogram needs pixelFormat rgb24/);
    expect(() => makeCclConfig({ width: 8, height: 8, pixelFormat: 'rgb24', colorBits: 3 })).toThrow(/^colorBits: must be an integer in 0\.\.2/);
  });
});
