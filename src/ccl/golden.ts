/**
 * CCL golden model: the definition of what the streaming core must output, written as plainly as possible and
 * deliberately NOT in the streaming algorithm's shape:
 *
 *   1. foreground mask (features.ts `isForeground`)
 *   2. cell grid: foreground count per C×C cell; a cell is active when count ≥ T
 *   3. union-find over active cells (8- or 4-adjacency), rows added top to bottom
 *   4. accumulate the features of every foreground pixel of an active cell into its cell's component
 *   5. order objects by the raster position of their first foreground pixel
 *
 * Overflow (docs/ccl.md "Overflow"): with `cfg.maxObjects = N` the model reports `overflow = livePeak > N`, where
 * livePeak is computed from the cell grid by the row-granular live-label model (see `CclStats`). The object list is
 * always the complete, correct one; when overflow is true an RTL result is compared on the flag only.
 */
import type { CclConfig } from './config.js';
import { cellCols, cellRows, validateCclConfig } from './config.js';
import type { CclObject } from './features.js';
import { colorBin, histBin, isForeground, pixelGray, bytesPerPixel } from './features.js';
import type { RasterImage } from '../image/io.js';
import { fail } from '../util/errors.js';

export type { CclObject } from './features.js';

/** What `ccl label --json` prints (key order as here). */
export interface CclResult {
  width: number;
  height: number;
  cell: number;
  overflow: boolean;
  objects: CclObject[];
}

/** Figures the golden model derives from the cell grid (for overflow, tests and reports). */
export interface CclStats {
  /** Active cells in the frame. */
  activeCells: number;
  /** Objects in the frame. */
  objects: number;
  /**
   * openPerRow[r]: components of the active-cell graph restricted to cell rows 0..r that have a cell in row r
   * (objects that are "open" — may still grow — once cell row r has been seen).
   */
  openPerRow: number[];
  /**
   * startsPerRow[r]: active cells of row r with no active neighbour scanned before them (left in the same row;
   * up, and for 8-connectivity up-left and up-right, in the row above) — where a raster-scan labeler must
   * allocate a fresh label.
   */
  startsPerRow: number[];
  /** max_r openPerRow[r]: a lower bound on the labels ANY single-pass labeler must hold at once. */
  openPeak: number;
  /**
   * max_r (openPerRow[r−1] + startsPerRow[r]) (openPerRow[−1] = 0): labels held while cell row r is labeled when
   * a label is allocated at every start cell and released (merged-away or completed) only at the end of the row.
   * overflow ⇔ livePeak > N.
   */
  livePeak: number;
}

export interface CclDetailed {
  result: CclResult;
  stats: CclStats;
  /** Cell grid columns ⌈W/C⌉ and rows ⌈H/C⌉. */
  cols: number;
  rows: number;
  /** Foreground pixels per cell, row-major (rows × cols). */
  cellCount: Uint32Array;
  /** Object index (into result.objects) per cell, −1 for an inactive cell. */
  cellObject: Int32Array;
  /** firstPixel[k]: raster index y·W + x of object k's first foreground pixel (strictly increasing in k). */
  firstPixel: number[];
}

/** Plain union-find with path halving and union by index (smaller root wins: deterministic). */
class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]!]!;
      a = p[a]!;
    }
    return a;
  }
  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
  }
}

function checkImage(image: RasterImage, cfg: CclConfig): void {
  if (image.width !== cfg.width || image.height !== cfg.height) {
    fail('image', `is ${image.width}×${image.height} but the configuration is ${cfg.width}×${cfg.height}; use a matching size`);
  }
  if (image.format !== cfg.pixelFormat) {
    fail('image', `has pixel format ${image.format} but the configuration expects ${cfg.pixelFormat}`);
  }
  const need = image.width * image.height * bytesPerPixel(image.format);
  if (image.data.length !== need) fail('image', `data holds ${image.data.length} bytes, expected ${need}`);
}

/** Foreground mask, one byte (0/1) per pixel, raster order. */
export function foregroundMask(image: RasterImage, cfg: CclConfig): Uint8Array {
  checkImage(image, cfg);
  const n = cfg.width * cfg.height;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = isForeground(cfg, image.data, i) ? 1 : 0;
  return mask;
}

/** Label an image: the full result plus cell grid and live-label statistics. */
export function labelImageDetailed(image: RasterImage, cfgIn: CclConfig): CclDetailed {
  const cfg = validateCclConfig(cfgIn);
  return labelMaskDetailed(image, cfg, foregroundMask(image, cfg), 0);
}

/**
 * Label the pixels whose mask byte has bit `bit` set (foregroundMask: bit 0; classMask: bit k = class k). The
 * image gives the histogram values of those pixels; `cfg` must be validated and match the image.
 */
export function labelMaskDetailed(image: RasterImage, cfg: CclConfig, maskBits: Uint8Array, bit: number): CclDetailed {
  const { width: W, height: H, cell: C, minPixels: T } = cfg;
  const mask = maskBits.map((m) => (m >> bit) & 1);
  const cols = cellCols(cfg), rows = cellRows(cfg);

  // 2. cell grid
  const cellCount = new Uint32Array(cols * rows);
  for (let y = 0; y < H; y++) {
    const rowBase = Math.floor(y / C) * cols;
    for (let x = 0; x < W; x++) if (mask[y * W + x]) cellCount[rowBase + Math.floor(x / C)]!++;
  }
  const active = (cr: number, cc: number): boolean =>
    cr >= 0 && cc >= 0 && cr < rows && cc < cols && cellCount[cr * cols + cc]! >= T;

  // 3. union-find over active cells, one cell row at a time (so the per-row open counts come for free)
  const uf = new UnionFind(cols * rows);
  const eight = cfg.connectivity === 8;
  const openPerRow: number[] = [];
  const startsPerRow: number[] = [];
  let activeCells = 0;
  for (let r = 0; r < rows; r++) {
    let starts = 0;
    for (let c = 0; c < cols; c++) {
      if (!active(r, c)) continue;
      activeCells++;
      const me = r * cols + c;
      const earlier: number[] = [];
      if (active(r, c - 1)) earlier.push(me - 1);
      if (active(r - 1, c)) earlier.push(me - cols);
      if (eight && active(r - 1, c - 1)) earlier.push(me - cols - 1);
      if (eight && active(r - 1, c + 1)) earlier.push(me - cols + 1);
      if (earlier.length === 0) starts++;
      for (const n of earlier) uf.union(me, n);
    }
    const roots = new Set<number>();
    for (let c = 0; c < cols; c++) if (active(r, c)) roots.add(uf.find(r * cols + c));
    openPerRow.push(roots.size);
    startsPerRow.push(starts);
  }

  // 4 + 5. accumulate per component, numbering components in order of their first foreground pixel
  const cellObject = new Int32Array(cols * rows).fill(-1);
  const rootObject = new Map<number, number>();
  const objects: CclObject[] = [];
  const firstPixel: number[] = [];
  for (let y = 0; y < H; y++) {
    const cr = Math.floor(y / C);
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (!mask[i]) continue;
      const cc = Math.floor(x / C);
      if (!active(cr, cc)) continue;
      const root = uf.find(cr * cols + cc);
      let k = rootObject.get(root);
      if (k === undefined) {
        k = objects.length;
        rootObject.set(root, k);
        objects.push(newObject(cfg, x, y));
        firstPixel.push(i);
      }
      addPixel(objects[k]!, cfg, image.data, i, x, y);
    }
  }
  for (let cell = 0; cell < cols * rows; cell++) {
    if (cellCount[cell]! < T) continue;
    const k = rootObject.get(uf.find(cell))!; // an active cell holds ≥ T ≥ 1 foreground pixels, so k exists
    cellObject[cell] = k;
    objects[k]!.cells += 1;
  }

  let openPeak = 0, livePeak = 0;
  for (let r = 0; r < rows; r++) {
    openPeak = Math.max(openPeak, openPerRow[r]!);
    livePeak = Math.max(livePeak, (r > 0 ? openPerRow[r - 1]! : 0) + startsPerRow[r]!);
  }
  const overflow = cfg.maxObjects !== undefined && livePeak > cfg.maxObjects;
  return {
    result: { width: W, height: H, cell: C, overflow, objects },
    stats: { activeCells, objects: objects.length, openPerRow, startsPerRow, openPeak, livePeak },
    cols,
    rows,
    cellCount,
    cellObject,
    firstPixel,
  };
}

function newObject(cfg: CclConfig, x: number, y: number): CclObject {
  const o: CclObject = { area: 0, sumX: 0, sumY: 0, sumXX: 0, sumYY: 0, sumXY: 0, bbox: [x, y, x, y], cells: 0 };
  if (cfg.histBins > 0) o.hist = new Array<number>(cfg.histBins).fill(0);
  if (cfg.thirdMoments) Object.assign(o, { sumXXX: 0, sumXXY: 0, sumXYY: 0, sumYYY: 0 });
  if (cfg.colorBits > 0) o.colorHist = new Array<number>(1 << (3 * cfg.colorBits)).fill(0);
  return o;
}

/** Add foreground pixel i at (x, y) into object o. */
function addPixel(o: CclObject, cfg: CclConfig, data: Uint8Array, i: number, x: number, y: number): void {
  o.area += 1;
  o.sumX += x;
  o.sumY += y;
  o.sumXX += x * x;
  o.sumYY += y * y;
  o.sumXY += x * y;
  if (x < o.bbox[0]) o.bbox[0] = x;
  if (y < o.bbox[1]) o.bbox[1] = y;
  if (x > o.bbox[2]) o.bbox[2] = x;
  if (y > o.bbox[3]) o.bbox[3] = y;
  if (o.hist) o.hist[histBin(pixelGray(cfg.pixelFormat, data, i), cfg.histBins)]! += 1;
  if (o.sumXXX !== undefined) {
    o.sumXXX += x * x * x;
    o.sumXXY! += x * x * y;
    o.sumXYY! += x * y * y;
    o.sumYYY! += y * y * y;
  }
  if (o.colorHist) o.colorHist[colorBin(data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!, cfg.colorBits)]! += 1;
}

/** Label an image with the golden model. */
export function labelImage(image: RasterImage, cfg: CclConfig): CclResult {
  return labelImageDetailed(image, cfg).result;
}

/** The result as one line of JSON with the documented key order (`ccl label --json`). */
export function resultToJson(result: CclResult): string {
  const objects = result.objects.map(objectJson);
  return JSON.stringify({ width: result.width, height: result.height, cell: result.cell, overflow: result.overflow, objects });
}

/** One object with the documented key order (optional fields only when present). */
export function objectJson(o: CclObject): Record<string, unknown> {
  const out: Record<string, unknown> = {
    area: o.area, sumX: o.sumX, sumY: o.sumY, sumXX: o.sumXX, sumYY: o.sumYY, sumXY: o.sumXY,
    bbox: [o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3]], cells: o.cells,
  };
  if (o.sumXXX !== undefined) Object.assign(out, { sumXXX: o.sumXXX, sumXXY: o.sumXXY, sumXYY: o.sumXYY, sumYYY: o.sumYYY });
  if (o.hist) out.hist = [...o.hist];
  if (o.colorHist) out.colorHist = [...o.colorHist];
  return out;
}

/**
 * Compare an actual result (e.g. from the RTL) with the expected golden one. Returns null when they agree, else a
 * one-line description of the first difference. When `expected.overflow` is true only the flag is compared
 * (docs/ccl.md "Overflow": the object list of an overflowed frame is not defined).
 */
export function diffResults(expected: CclResult, actual: CclResult): string | null {
  for (const k of ['width', 'height', 'cell', 'overflow'] as const) {
    if (expected[k] !== actual[k]) return `${k}: expected ${String(expected[k])}, got ${String(actual[k])}`;
  }
  if (expected.overflow) return null;
  if (expected.objects.length !== actual.objects.length) {
    return `objects: expected ${expected.objects.length}, got ${actual.objects.length}`;
  }
  for (let i = 0; i < expected.objects.length; i++) {
    const e = expected.objects[i]!, a = actual.objects[i]!;
    for (const k of ['area', 'sumX', 'sumY', 'sumXX', 'sumYY', 'sumXY', 'cells'] as const) {
      if (e[k] !== a[k]) return `objects[${i}].${k}: expected ${e[k]}, got ${a[k]}`;
    }
    if (e.bbox.join() !== a.bbox.join()) return `objects[${i}].bbox: expected [${e.bbox.join()}], got [${a.bbox.join()}]`;
    for (const k of ['sumXXX', 'sumXXY', 'sumXYY', 'sumYYY'] as const) {
      if (e[k] !== a[k]) return `objects[${i}].${k}: expected ${e[k]}, got ${a[k]}`;
    }
    for (const k of ['hist', 'colorHist'] as const) {
      if ((e[k] ?? []).join() !== (a[k] ?? []).join() || (e[k] === undefined) !== (a[k] === undefined)) {
        return `objects[${i}].${k}: expected ${JSON.stringify(e[k])}, got ${JSON.stringify(a[k])}`;
      }
    }
  }
  return null;
}
