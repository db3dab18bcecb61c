/**
 * CCL golden model against an independent flood fill (written here, pixel BFS at C = 1 and cell BFS for C > 1), on
 * random images for every C, both connectivities, several T, every pixel format; features hand-computed on tiny
 * images; histogram bin edges; widths; overflow statistics; configuration errors.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import type { CclConfig, CellSize, Connectivity, PixelFormat } from '../src/ccl/config.js';
import { CELL_SIZES, makeCclConfig } from '../src/ccl/config.js';
import { labelImage, labelImageDetailed, resultToJson, diffResults } from '../src/ccl/golden.js';
import type { CclResult } from '../src/ccl/golden.js';
import type { CclObject } from '../src/ccl/features.js';
import { bitsFor, featureMaxima, featureWidths, featureLayout, featureRecordBits } from '../src/ccl/features.js';
import type { RasterImage } from '../src/image/io.js';
import * as P from '../src/ccl/patterns.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent reference: explicit-queue flood fill. Foreground, gray and bins are re-derived here from the
// documented definitions (docs/ccl.md), not imported from features.ts.
// ---------------------------------------------------------------------------------------------------------------

function refForeground(img: RasterImage, cfg: CclConfig, i: number): boolean {
  if (img.format === 'gray8') return img.data[i]! >= cfg.threshold;
  if (img.format === 'binary') return img.data[i] === 1;
  for (let c = 0; c < 3; c++) {
    const v = img.data[3 * i + c]!;
    if (v < cfg.rgbLo[c]! || v > cfg.rgbHi[c]!) return false;
  }
  return true;
}

function refGray(img: RasterImage, i: number): number {
  if (img.format === 'gray8') return img.data[i]!;
  if (img.format === 'binary') return 255;
  return Math.floor((77 * img.data[3 * i]! + 150 * img.data[3 * i + 1]! + 29 * img.data[3 * i + 2]!) / 256);
}

/** Reference labeling: cells → BFS over active cells → per-component pixel sums → sort by first pixel. */
function reference(img: RasterImage, cfg: CclConfig): CclResult {
  const W = img.width, H = img.height, C = cfg.cell;
  const gw = Math.ceil(W / C), gh = Math.ceil(H / C);
  const fgCount = (cx: number, cy: number): number => {
    let n = 0;
    for (let y = cy * C; y < Math.min(H, cy * C + C); y++) {
      for (let x = cx * C; x < Math.min(W, cx * C + C); x++) if (refForeground(img, cfg, y * W + x)) n++;
    }
    return n;
  };
  const isActive: boolean[][] = [];
  for (let cy = 0; cy < gh; cy++) {
    isActive.push([]);
    for (let cx = 0; cx < gw; cx++) isActive[cy]!.push(fgCount(cx, cy) >= cfg.minPixels);
  }
  const steps = cfg.connectivity === 4
    ? [[1, 0], [-1, 0], [0, 1], [0, -1]]
    : [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];
  const seen = isActive.map((row) => row.map(() => false));
  const comps: Array<{ obj: CclObject; first: number }> = [];
  for (let sy = 0; sy < gh; sy++) {
    for (let sx = 0; sx < gw; sx++) {
      if (!isActive[sy]![sx] || seen[sy]![sx]) continue;
      const cells: Array<[number, number]> = [];
      const queue: Array<[number, number]> = [[sx, sy]];
      seen[sy]![sx] = true;
      while (queue.length) {
        const [cx, cy] = queue.shift()!;
        cells.push([cx, cy]);
        for (const [dx, dy] of steps) {
          const nx = cx + dx!, ny = cy + dy!;
          if (nx < 0 || ny < 0 || nx >= gw || ny >= gh || !isActive[ny]![nx] || seen[ny]![nx]) continue;
          seen[ny]![nx] = true;
          queue.push([nx, ny]);
        }
      }
      const obj: CclObject = { area: 0, sumX: 0, sumY: 0, sumXX: 0, sumYY: 0, sumXY: 0, bbox: [Infinity, Infinity, -1, -1], cells: cells.length };
      if (cfg.histBins) obj.hist = Array.from({ length: cfg.histBins }, () => 0);
      let first = Infinity;
      for (const [cx, cy] of cells) {
        for (let y = cy * C; y < Math.min(H, cy * C + C); y++) {
          for (let x = cx * C; x < Math.min(W, cx * C + C); x++) {
            const i = y * W + x;
            if (!refForeground(img, cfg, i)) continue;
            first = Math.min(first, i);
            obj.area++;
            obj.sumX += x;
            obj.sumY += y;
            obj.sumXX += x * x;
            obj.sumYY += y * y;
            obj.sumXY += x * y;
            obj.bbox = [Math.min(obj.bbox[0], x), Math.min(obj.bbox[1], y), Math.max(obj.bbox[2], x), Math.max(obj.bbox[3], y)];
            if (obj.hist) obj.hist[Math.floor((refGray(img, i) * cfg.histBins) / 256)]!++;
          }
        }
      }
      comps.push({ obj, first });
    }
  }
  comps.sort((a, b) => a.first - b.first);
  return { width: W, height: H, cell: C, overflow: false, objects: comps.map((c) => c.obj) };
}

/** Reference open/starts counts: BFS on the grid truncated to rows 0..r. */
function referenceOpenPerRow(cellActive: (cx: number, cy: number) => boolean, gw: number, gh: number, conn: Connectivity): number[] {
  const out: number[] = [];
  for (let r = 0; r < gh; r++) {
    const label = new Map<number, number>();
    let next = 0;
    for (let cy = 0; cy <= r; cy++) {
      for (let cx = 0; cx < gw; cx++) {
        if (!cellActive(cx, cy) || label.has(cy * gw + cx)) continue;
        const id = next++;
        const q = [[cx, cy]];
        label.set(cy * gw + cx, id);
        while (q.length) {
          const [x, y] = q.pop()!;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              if ((dx === 0 && dy === 0) || (conn === 4 && dx !== 0 && dy !== 0)) continue;
              const nx = x! + dx, ny = y! + dy;
              if (nx < 0 || ny < 0 || nx >= gw || ny > r || !cellActive(nx, ny) || label.has(ny * gw + nx)) continue;
              label.set(ny * gw + nx, id);
              q.push([nx, ny]);
            }
          }
        }
      }
    }
    const ids = new Set<number>();
    for (let cx = 0; cx < gw; cx++) if (cellActive(cx, r)) ids.add(label.get(r * gw + cx)!);
    out.push(ids.size);
  }
  return out;
}

// Small seeded generator for test inputs (separate from the patterns module's).
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomImage(rand: () => number, W: number, H: number, format: PixelFormat, density: number): RasterImage {
  const n = W * H;
  if (format === 'binary') return { width: W, height: H, format, data: Uint8Array.from({ length: n }, () => (rand() < density ? 1 : 0)) };
  if (format === 'gray8') {
    return { width: W, height: H, format, data: Uint8Array.from({ length: n }, () => (rand() < density ? 128 + Math.floor(rand() * 128) : Math.floor(rand() * 128))) };
  }
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < 3 * n; i++) data[i] = Math.floor(rand() * 256);
  return { width: W, height: H, format, data };
}

describe('golden model vs independent flood fill', () => {
  for (const C of CELL_SIZES) {
    for (const conn of [8, 4] as const) {
      it(`random images, C=${C}, ${conn}-connectivity`, () => {
        const rand = lcg(1000 * C + conn);
        const trials = C === 1 ? 60 : 40;
        let totalObjects = 0;
        for (let t = 0; t < trials; t++) {
          const W = 1 + Math.floor(rand() * (C * 9 + 6));
          const H = 1 + Math.floor(rand() * (C * 7 + 6));
          const format = (['gray8', 'gray8', 'binary', 'rgb24'] as const)[t % 4];
          // density per cell level so both sparse and merged cell grids occur
          const density = [0.03, 0.1, 0.3, 0.5, 0.7, 0.9][t % 6]! / (C > 2 ? C : 1);
          const img = randomImage(rand, W, H, format, density);
          const cfg = makeCclConfig({
            width: W, height: H, cell: C as CellSize, connectivity: conn as Connectivity, pixelFormat: format,
            minPixels: 1 + Math.floor(rand() * Math.min(3, C * C)),
            threshold: 100 + Math.floor(rand() * 60),
            rgbLo: [60, 30, 90], rgbHi: [250, 200, 255],
            histBins: [0, 2, 8, 32, 256][t % 5]!,
          });
          const got = labelImage(img, cfg);
          const want = reference(img, cfg);
          const diff = diffResults(want, got);
          expect(diff, `${W}x${H} ${format} T=${cfg.minPixels} trial ${t}`).toBeNull();
          expect(got).toEqual(want); // also key structure (hist presence)
          totalObjects += got.objects.length;
        }
        expect(totalObjects).toBeGreaterThan(trials); // the inputs were not trivially empty
      });
    }
  }

  it('standard patterns at pixel and cell level agree with the reference', () => {
    for (const [W, H, C] of [[37, 29, 1], [40, 33, 2], [64, 48, 4], [70, 50, 8], [100, 70, 16]] as const) {
      for (const unit of [1, C]) {
        for (const p of P.standardPatterns(W, H, unit, { maxObjects: 3 })) {
          for (const conn of [8, 4] as const) {
            const cfg = makeCclConfig({ width: W, height: H, cell: C, connectivity: conn, histBins: 4 });
            expect(diffResults(reference(p.image, cfg), labelImage(p.image, cfg)), `${p.name} ${W}x${H} C=${C} unit=${unit} conn=${conn}`).toBeNull();
          }
        }
      }
    }
  });
});

describe('features by hand', () => {
  const gray = (W: number, H: number, rows: string[]): RasterImage => ({
    width: W, height: H, format: 'gray8',
    data: Uint8Array.from(rows.join('').split(''), (ch) => (ch === '#' ? 200 : ch === '+' ? 130 : 0)),
  });

  it('pixel level, 8 vs 4 connectivity', () => {
    // x: 0123
    const img = gray(4, 3, [
      '#..#',
      '.#..',
      '..##',
    ]);
    const r8 = labelImage(img, makeCclConfig({ width: 4, height: 3 }));
    // 8-conn: {(0,0),(1,1),(2,2),(3,2)} and {(3,0)}
    expect(r8.objects).toEqual([
      { area: 4, sumX: 6, sumY: 5, sumXX: 14, sumYY: 9, sumXY: 11, bbox: [0, 0, 3, 2], cells: 4 },
      { area: 1, sumX: 3, sumY: 0, sumXX: 9, sumYY: 0, sumXY: 0, bbox: [3, 0, 3, 0], cells: 1 },
    ]);
    const r4 = labelImage(img, makeCclConfig({ width: 4, height: 3, connectivity: 4 }));
    expect(r4.objects.map((o) => o.area)).toEqual([1, 1, 1, 2]);
    expect(r4.objects[3]).toEqual({ area: 2, sumX: 5, sumY: 4, sumXX: 13, sumYY: 8, sumXY: 10, bbox: [2, 2, 3, 2], cells: 2 });
  });

  it('cells: only foreground pixels count, T gates cells, partial edge cells', () => {
    // 5×5 with C = 2 → 3×3 cells, the last column/row partial (1 px wide/high)
    const img = gray(5, 5, [
      '#....',
      '.....',
      '...##',  // cell (1,1) gets (3,2); cell (2,1) gets (4,2)
      '...#.',  // cell (1,1) gets (3,3)
      '....#',  // cell (2,2) (1×1 partial) gets (4,4)
    ]);
    const r1 = labelImage(img, makeCclConfig({ width: 5, height: 5, cell: 2 }));
    // cell (0,0) alone (cell (1,1) is diagonal to it → 8-connected!): all five pixels form one object
    expect(r1.objects).toEqual([
      { area: 5, sumX: 14, sumY: 11, sumXX: 50, sumYY: 33, sumXY: 39, bbox: [0, 0, 4, 4], cells: 4 },
    ]);
    const r1c4 = labelImage(img, makeCclConfig({ width: 5, height: 5, cell: 2, connectivity: 4 }));
    expect(r1c4.objects.map((o) => [o.area, o.cells])).toEqual([[1, 1], [4, 3]]);
    // T = 2: only cell (1,1) (2 fg pixels) stays active
    const r2 = labelImage(img, makeCclConfig({ width: 5, height: 5, cell: 2, minPixels: 2 }));
    expect(r2.objects).toEqual([{ area: 2, sumX: 6, sumY: 5, sumXX: 18, sumYY: 13, sumXY: 15, bbox: [3, 2, 3, 3], cells: 1 }]);
  });

  it('threshold is ≥ and the histogram bins have equal width', () => {
    // every value 0..255 once in a 16×16 frame, threshold 0 → one object; B = 4 → 64 per bin
    const data = Uint8Array.from({ length: 256 }, (_, i) => i);
    const img: RasterImage = { width: 16, height: 16, format: 'gray8', data };
    const r = labelImage(img, makeCclConfig({ width: 16, height: 16, threshold: 0, histBins: 4 }));
    expect(r.objects.length).toBe(1);
    expect(r.objects[0]!.hist).toEqual([64, 64, 64, 64]);
    // threshold 64: pixels 64..255 (the first row 0..15 … row 3 ends at 63: rows 4..15 remain)
    const r64 = labelImage(img, makeCclConfig({ width: 16, height: 16, threshold: 64, histBins: 8 }));
    expect(r64.objects[0]!.area).toBe(192);
    expect(r64.objects[0]!.bbox).toEqual([0, 4, 15, 15]);
    expect(r64.objects[0]!.hist).toEqual([0, 0, 32, 32, 32, 32, 32, 32]);
    // bin edges with B = 4: 63 | 64, 127 | 128, 191 | 192
    const edge: RasterImage = { width: 8, height: 1, format: 'gray8', data: Uint8Array.from([1, 63, 64, 127, 128, 191, 192, 255]) };
    const re = labelImage(edge, makeCclConfig({ width: 8, height: 1, threshold: 1, histBins: 4 }));
    expect(re.objects[0]!.hist).toEqual([2, 2, 2, 2]);
    // B = 256: one bin per value
    const r256 = labelImage(img, makeCclConfig({ width: 16, height: 16, threshold: 250, histBins: 256 }));
    expect(r256.objects[0]!.hist!.map((v, k) => (v ? k : -1)).filter((k) => k >= 0)).toEqual([250, 251, 252, 253, 254, 255]);
  });

  it('rgb24: per-channel inclusive range; histogram of luma', () => {
    const px = [
      [10, 20, 30], [100, 150, 200], [100, 149, 200], [255, 255, 255], [99, 150, 200], [120, 200, 255],
    ];
    const img: RasterImage = { width: 6, height: 1, format: 'rgb24', data: Uint8Array.from(px.flat()) };
    const cfg = makeCclConfig({ width: 6, height: 1, pixelFormat: 'rgb24', rgbLo: [100, 150, 200], rgbHi: [120, 255, 255], histBins: 256 });
    const r = labelImage(img, cfg);
    // foreground: x = 1 ([100,150,200]) and x = 5 ([120,200,255]); x = 2 (g 149), 3 (r 255), 4 (r 99) are not
    expect(r.objects.map((o) => o.bbox)).toEqual([[1, 0, 1, 0], [5, 0, 5, 0]]);
    const luma1 = Math.floor((77 * 100 + 150 * 150 + 29 * 200) / 256); // 36000 / 256 → 140
    const luma5 = Math.floor((77 * 120 + 150 * 200 + 29 * 255) / 256); // 46635 / 256 → 182
    expect(r.objects[0]!.hist![luma1]).toBe(1);
    expect(r.objects[1]!.hist![luma5]).toBe(1);
    expect([luma1, luma5]).toEqual([140, 182]);
  });

  it('checkerboard: 8-connectivity one object, 4-connectivity one per square', () => {
    for (const [W, H, C] of [[9, 7, 1], [24, 16, 2], [64, 40, 8]] as const) {
      const img = P.checkerboard(W, H, C);
      const squares = Math.ceil(Math.ceil(W / C) * Math.ceil(H / C) / 2);
      expect(labelImage(img, makeCclConfig({ width: W, height: H, cell: C })).objects.length).toBe(1);
      expect(labelImage(img, makeCclConfig({ width: W, height: H, cell: C, connectivity: 4 })).objects.length).toBe(squares);
      // pixel-level squares at cell size C = 1 with C-unit squares: 4-connectivity joins nothing across corners
      if (C > 1) expect(labelImage(img, makeCclConfig({ width: W, height: H, connectivity: 4 })).objects.length).toBe(squares);
    }
  });

  it('objects are ordered by their first foreground pixel, not by xmin', () => {
    // object A starts at (3,0) and reaches x = 0 below; object B starts at (6,0): A first
    const img = gray(8, 3, [
      '...#..#.',
      '..#...#.',
      '##.....#',
    ]);
    const d = labelImageDetailed(img, makeCclConfig({ width: 8, height: 3 }));
    expect(d.result.objects.map((o) => o.bbox)).toEqual([[0, 0, 3, 2], [6, 0, 7, 2]]);
    expect(d.firstPixel).toEqual([3, 6]);
    // (1,0) comes before (0,1) although the latter has the smaller xmin
    const img2 = gray(4, 2, ['.#..', '#..#']);
    const d2 = labelImageDetailed(img2, makeCclConfig({ width: 4, height: 2, connectivity: 4 }));
    expect(d2.result.objects.map((o) => o.bbox)).toEqual([[1, 0, 1, 0], [0, 1, 0, 1], [3, 1, 3, 1]]);
  });
});

describe('widths', () => {
  it('bitsFor', () => {
    expect([0, 1, 2, 3, 4, 255, 256, 511, 512].map((v) => bitsFor(v))).toEqual([1, 1, 2, 2, 3, 8, 9, 9, 10]);
    expect(bitsFor(2n ** 40n - 1n)).toBe(40);
    expect(bitsFor(2n ** 40n)).toBe(41);
  });

  it('512×512, C = 8, B = 16 (hand-computed)', () => {
    const w = featureWidths({ width: 512, height: 512, cell: 8, histBins: 16 });
    // area ≤ 2^18 → 19; Σx ≤ 512·(512·511/2) = 66 977 792 < 2^26; Σx² ≤ 512·(511·512·1023/6) = 22 839 427 072 < 2^35;
    // Σxy ≤ (130 816)² = 17 112 825 856 < 2^34; x ≤ 511 → 9; cells ≤ 4096 → 13
    expect(w).toEqual({ area: 19, sumX: 26, sumY: 26, sumXX: 35, sumYY: 35, sumXY: 34, x: 9, y: 9, cells: 13, histBin: 19, histBins: 16,
      sumXXX: 0, sumXXY: 0, sumXYY: 0, sumYYY: 0, colorBin: 0, colorBins: 0 });
    expect(featureLayout({ width: 512, height: 512, cell: 8, histBins: 16 }).map((s) => s.name).slice(-2)).toEqual(['hist14', 'hist15']);
    expect(featureRecordBits({ width: 512, height: 512, cell: 8, histBins: 0 })).toBe(19 + 26 * 2 + 35 * 2 + 34 + 9 * 4 + 13);
  });

  it('the maxima are reached by a full frame (bounds are tight) and fit the widths', () => {
    const rand = lcg(7);
    for (let t = 0; t < 30; t++) {
      const W = 1 + Math.floor(rand() * 70), H = 1 + Math.floor(rand() * 70);
      const C = CELL_SIZES[t % 5]!;
      const cfg = makeCclConfig({ width: W, height: H, cell: C, histBins: 2 });
      const r = labelImage(P.full(W, H), { ...cfg, threshold: 128 });
      const o = r.objects[0]!;
      const m = featureMaxima(cfg);
      expect([o.area, o.sumX, o.sumY, o.sumXX, o.sumYY, o.sumXY, o.cells].map(BigInt)).toEqual([m.area, m.sumX, m.sumY, m.sumXX, m.sumYY, m.sumXY, m.cells]);
      expect(o.bbox).toEqual([0, 0, W - 1, H - 1]);
      const w = featureWidths(cfg);
      for (const [v, bits] of [[o.area, w.area], [o.sumXX, w.sumXX], [o.sumXY, w.sumXY], [o.cells, w.cells]] as const) {
        expect(v < 2 ** bits).toBe(true);
        if (v > 1) expect(v >= 2 ** (bits - 1)).toBe(true); // not wider than needed
      }
    }
  });

  it('the largest frame (8192²) stays exact in JS numbers', () => {
    const { sumXXX, sumXXY, sumXYY, sumYYY, ...m } = featureMaxima({ width: 8192, height: 8192, cell: 1 });
    for (const v of Object.values(m)) expect(v < 2n ** 53n).toBe(true);
    // the third-order moments are allowed up to 2048² only (config MAX_EDGE_THIRD)
    expect(sumXXX > 2n ** 53n && sumYYY > 2n ** 53n && sumXXY > 0n && sumXYY > 0n).toBe(true);
    const t = featureMaxima({ width: 2048, height: 2048, cell: 1 });
    for (const v of [t.sumXXX, t.sumXXY, t.sumXYY, t.sumYYY]) expect(v < 2n ** 53n).toBe(true);
  });
});

describe('live objects and overflow', () => {
  it('stripes: N live objects fit N, N + 1 overflow', () => {
    for (const [W, H, C] of [[40, 20, 1], [64, 32, 4], [128, 64, 8]] as const) {
      const N = P.maxLiveStripes(W, C) - 1;
      const base = makeCclConfig({ width: W, height: H, cell: C, maxObjects: N });
      const atN = labelImageDetailed(P.liveStripes(W, H, C, N), base);
      expect([atN.stats.openPeak, atN.stats.livePeak, atN.result.overflow, atN.result.objects.length]).toEqual([N, N, false, N]);
      const over = labelImageDetailed(P.liveStripes(W, H, C, N + 1), base);
      expect([over.stats.openPeak, over.stats.livePeak, over.result.overflow, over.result.objects.length]).toEqual([N + 1, N + 1, true, N + 1]);
      // without N: never overflow
      expect(labelImage(P.liveStripes(W, H, C, N + 1), { ...base, maxObjects: undefined }).overflow).toBe(false);
    }
  });

  it('comb with teeth up: every tooth live until the last row', () => {
    const d = labelImageDetailed(P.comb(21, 10, 1, { teeth: 'up' }), makeCclConfig({ width: 21, height: 10, maxObjects: 11 }));
    expect(d.stats.openPerRow).toEqual([11, 11, 11, 11, 11, 11, 11, 11, 11, 1]);
    expect(d.stats.livePeak).toBe(11);
    expect(d.result.overflow).toBe(false);
    expect(labelImage(P.comb(21, 10, 1), makeCclConfig({ width: 21, height: 10, maxObjects: 10 })).overflow).toBe(true);
  });

  it('livePeak ≤ ⌈Wc/2⌉ (8-connectivity) and ≤ Wc (4-connectivity), both reached', () => {
    const rand = lcg(31337);
    for (let t = 0; t < 60; t++) {
      const W = 1 + Math.floor(rand() * 40), H = 1 + Math.floor(rand() * 12);
      const conn = t % 2 ? 4 : 8;
      const img = randomImage(rand, W, H, 'gray8', 0.2 + 0.6 * rand());
      const d = labelImageDetailed(img, makeCclConfig({ width: W, height: H, connectivity: conn }));
      expect(d.stats.livePeak).toBeLessThanOrEqual(conn === 8 ? Math.ceil(W / 2) : W);
    }
    for (const [W, C] of [[23, 1], [64, 8], [40, 4]] as const) {
      const Wc = Math.ceil(W / C);
      const cb = labelImageDetailed(P.checkerboard(W, 3 * C, C), makeCclConfig({ width: W, height: 3 * C, cell: C, connectivity: 4 }));
      expect(cb.stats.livePeak).toBe(Wc);
      const st = labelImageDetailed(P.liveStripes(W, 2 * C, C, P.maxLiveStripes(W, C)), makeCclConfig({ width: W, height: 2 * C, cell: C }));
      expect(st.stats.livePeak).toBe(Math.ceil(Wc / 2));
    }
  });

  it('openPerRow and startsPerRow match a BFS on the truncated grid; livePeak ≥ openPeak', () => {
    const rand = lcg(99);
    for (let t = 0; t < 40; t++) {
      const W = 4 + Math.floor(rand() * 40), H = 4 + Math.floor(rand() * 30);
      const conn = t % 2 ? 4 : 8;
      const C = ([1, 2, 4] as const)[t % 3];
      const img = randomImage(rand, W, H, 'gray8', 0.1 + 0.8 * rand());
      const cfg = makeCclConfig({ width: W, height: H, cell: C, connectivity: conn });
      const d = labelImageDetailed(img, cfg);
      const act = (cx: number, cy: number): boolean => d.cellCount[cy * d.cols + cx]! >= cfg.minPixels;
      expect(d.stats.openPerRow).toEqual(referenceOpenPerRow(act, d.cols, d.rows, conn));
      const starts: number[] = [];
      for (let cy = 0; cy < d.rows; cy++) {
        let s = 0;
        for (let cx = 0; cx < d.cols; cx++) {
          if (!act(cx, cy)) continue;
          const prior = [[cx - 1, cy], [cx, cy - 1], ...(conn === 8 ? [[cx - 1, cy - 1], [cx + 1, cy - 1]] : [])];
          if (!prior.some(([x, y]) => x! >= 0 && y! >= 0 && x! < d.cols && act(x!, y!))) s++;
        }
        starts.push(s);
      }
      expect(d.stats.startsPerRow).toEqual(starts);
      expect(d.stats.livePeak).toBeGreaterThanOrEqual(d.stats.openPeak);
      // overflow exactly when livePeak > N
      const N = Math.max(1, d.stats.livePeak - (t % 3) + 1);
      expect(labelImage(img, { ...cfg, maxObjects: N }).overflow).toBe(d.stats.livePeak > N);
      // cellObject agrees with the objects' cell counts
      const counts = new Map<number, number>();
      for (const k of d.cellObject) if (k >= 0) counts.set(k, (counts.get(k) ?? 0) + 1);
      expect(d.result.objects.map((o, k) => counts.get(k))).toEqual(d.result.objects.map((o) => o.cells));
    }
  });
});

describe('patterns', () => {
  it('are deterministic per seed and differ across seeds', () => {
    expect(P.noise(30, 20, 0.5, { seed: 3 }).data).toEqual(P.noise(30, 20, 0.5, { seed: 3 }).data);
    expect(P.noise(30, 20, 0.5, { seed: 3 }).data).not.toEqual(P.noise(30, 20, 0.5, { seed: 4 }).data);
    const n = P.noise(100, 100, 0.3, { seed: 5 });
    const fg = n.data.filter((v) => v >= 128).length;
    expect(fg).toBeGreaterThan(2700);
    expect(fg).toBeLessThan(3300);
  });

  it('shape facts: spiral one object, borders touch all edges, dots count, 4 vs 8 differ on staircase', () => {
    const cfg = (W: number, H: number, extra: Partial<CclConfig> = {}) => makeCclConfig({ width: W, height: H, ...extra });
    expect(labelImage(P.spiral(31, 23), cfg(31, 23)).objects.length).toBe(1);
    expect(labelImage(P.spiral(64, 48, 4), cfg(64, 48, { cell: 4 })).objects.length).toBe(1);
    const b = labelImage(P.borders(40, 30, 2), cfg(40, 30, { cell: 2 })).objects;
    const boxes = b.map((o) => o.bbox);
    expect(boxes.some((x) => x[0] === 0)).toBe(true);
    expect(boxes.some((x) => x[1] === 0)).toBe(true);
    expect(boxes.some((x) => x[2] === 39)).toBe(true);
    expect(boxes.some((x) => x[3] === 29)).toBe(true);
    expect(b.length).toBe(8);
    expect(labelImage(P.dots(40, 30, 4, 17), cfg(40, 30, { cell: 4 })).objects.length).toBe(17);
    expect(() => P.dots(40, 30, 4, P.maxDots(40, 30, 4) + 1)).toThrow(/do not fit/);
    const s8 = labelImage(P.staircase(48, 24), cfg(48, 24)).objects.length;
    const s4 = labelImage(P.staircase(48, 24), cfg(48, 24, { connectivity: 4 })).objects.length;
    expect(s4).toBeGreaterThan(s8);
    const u = labelImage(P.nestedU(41, 30), cfg(41, 30)).objects.length;
    expect(u).toBeGreaterThan(3);
  });

  it('every standard pattern builds at tiny and odd sizes for every unit', () => {
    for (const W of [1, 2, 3, 17, 33]) {
      for (const H of [1, 2, 7, 24]) {
        for (const unit of CELL_SIZES) {
          for (const p of P.standardPatterns(W, H, unit, { maxObjects: 1 })) {
            expect([p.image.width, p.image.height, p.image.data.length], `${p.name} ${W}x${H} unit ${unit}`).toEqual([W, H, W * H]);
          }
        }
      }
    }
  });

  it('asFormat keeps the foreground under the default configuration', () => {
    const g = P.blobs(30, 20, 8, { seed: 2 });
    const want = labelImage(g, makeCclConfig({ width: 30, height: 20, histBins: 0 }));
    for (const f of ['binary', 'rgb24'] as const) {
      const r = labelImage(P.asFormat(g, f), makeCclConfig({ width: 30, height: 20, pixelFormat: f }));
      expect(diffResults(want, r)).toBeNull();
    }
  });
});

describe('configuration errors', () => {
  const base = { width: 8, height: 8 };
  it.each([
    [{ cell: 3 }, /^cell: must be one of 1, 2, 4, 8, 16, got 3$/],
    [{ minPixels: 0 }, /^minPixels: must be an integer ≥ 1/],
    [{ cell: 2, minPixels: 5 }, /^minPixels: 5 exceeds the 4 pixels/],
    [{ threshold: 256 }, /^threshold: must be an integer in 0\.\.255/],
    [{ histBins: 3 }, /^histBins: must be 0 \(none\) or a power of two/],
    [{ connectivity: 6 }, /^connectivity: must be 8 or 4/],
    [{ width: 0 }, /^width: must be an integer in 1\.\.8192/],
    [{ rgbLo: [0, 0, 300] }, /^rgbLo\[2\]: must be an integer in 0\.\.255/],
    [{ maxObjects: 0 }, /^maxObjects: must be an integer/],
  ])('%j', (bad, re) => {
    expect(() => makeCclConfig({ ...base, ...(bad as Partial<CclConfig>) })).toThrow(re);
  });

  it('image size and format must match the configuration', () => {
    expect(() => labelImage(P.blank(8, 9), makeCclConfig(base))).toThrow(/image: is 8×9 but the configuration is 8×8/);
    expect(() => labelImage(P.asFormat(P.blank(8, 8), 'binary'), makeCclConfig(base))).toThrow(/pixel format binary/);
  });
});

describe('resultToJson', () => {
  it('prints the documented keys in order', () => {
    const r = labelImage(P.dots(8, 4, 1, 2), makeCclConfig({ width: 8, height: 4, histBins: 2 }));
    const j = resultToJson(r);
    expect(j.startsWith('{"width":8,"height":4,"cell":1,"overflow":false,"objects":[{"area":1,"sumX":0,"sumY":0,"sumXX":0,"sumYY":0,"sumXY":0,"bbox":[0,0,0,0],"cells":1,"hist":[0,1]}')).toBe(true);
    expect(JSON.parse(j)).toEqual(r);
  });
});

// Cross-check with scipy.ndimage.label (a third, unrelated implementation) when scipy is installed.
function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.ndimage, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('pixel-level labeling equals scipy.ndimage.label', () => {
  it.skipIf(!hasScipy())('random binary images, 8 and 4 connectivity', () => {
    const rand = lcg(4242);
    const cases: Array<{ W: number; H: number; bits: string; conn: number }> = [];
    for (let t = 0; t < 16; t++) {
      const W = 5 + Math.floor(rand() * 50), H = 5 + Math.floor(rand() * 40);
      const d = 0.2 + 0.6 * rand();
      let bits = '';
      for (let i = 0; i < W * H; i++) bits += rand() < d ? '1' : '0';
      cases.push({ W, H, bits, conn: t % 2 ? 4 : 8 });
    }
    const py = `
import json, sys, numpy as np
from scipy import ndimage
out = []
for c in json.load(sys.stdin):
    a = np.array([int(b) for b in c['bits']], dtype=np.uint8).reshape(c['H'], c['W'])
    st = np.ones((3, 3)) if c['conn'] == 8 else ndimage.generate_binary_structure(2, 1)
    lab, n = ndimage.label(a, structure=st)
    objs = []
    for k in range(1, n + 1):
        ys, xs = np.nonzero(lab == k)
        first = int((ys * c['W'] + xs).min())
        objs.append((first, [int(len(xs)), int(xs.sum()), int(ys.sum()), int((xs * xs).sum()), int((ys * ys).sum()), int((xs * ys).sum()), [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]]))
    objs.sort()
    out.append([o[1] for o in objs])
print(json.dumps(out))
`;
    const res = JSON.parse(execFileSync('python3', ['-c', py], { input: JSON.stringify(cases) }).toString()) as unknown[][];
    cases.forEach((c, t) => {
      const img: RasterImage = { width: c.W, height: c.H, format: 'binary', data: Uint8Array.from(c.bits.split(''), Number) };
      const r = labelImage(img, makeCclConfig({ width: c.W, height: c.H, pixelFormat: 'binary', connectivity: c.conn as Connectivity }));
      expect(r.objects.map((o) => [o.area, o.sumX, o.sumY, o.sumXX, o.sumYY, o.sumXY, o.bbox]), `case ${t}`).toEqual(res[t]);
    });
  });
});
