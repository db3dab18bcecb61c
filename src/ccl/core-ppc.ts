/**
 * Pixel-exact labeling (C = 1) at P pixels per clock: the word-level model of the streaming design that takes P
 * pixels per clock (docs/ccl.md "Pixel-exact labeling at P > 1"). It is the executable specification of the
 * datapath the RTL has to implement and its cycle model; it is NOT the RTL (the generator still refuses P > 1 at
 * C = 1). Written in the shape of the hardware, unlike the golden model:
 *
 *   1. run extractor, one P-pixel word per clock: the foreground runs of the line, a run open across words kept in
 *      an accumulator; per word segment the word moments n, Σi, Σi², Σi³ (i = 0..P−1 the pixel in the word) and
 *      the histogram bins, turned into line sums with the word base X: Σx = nX + Σi, Σx² = nX² + 2XΣi + Σi²,
 *      Σx³ = nX³ + 3X²Σi + 3XΣi² + Σi³. A closed run (xs, xe, line sums) goes into the run queue; a word closes at
 *      most ⌈P/2⌉ runs (+1 at the line end), so the queue takes up to ⌈P/2⌉ + 1 runs per clock. The y-terms are
 *      formed at the close: Σy = y·n, Σy² = y²·n, Σxy = y·Σx, Σx²y = y·Σx², Σxy² = y²·Σx, Σy³ = y³·n.
 *   2. run labeler, Q steps per clock: walks the line's runs against the previous line's runs (two pointers, both
 *      in x order); a step retires a previous-line run, finishes a current run (label: the first overlapping
 *      previous run's object, or a fresh label), or handles one overlap (union of the two objects: the feature
 *      entry of one added into the other's). Runs overlap when [xs − d, xe + d] meets the other run, d = 1 for
 *      8-connectivity, 0 for 4.
 *   3. completion at the line end: every object of the previous line that no run of this line joined is complete;
 *      its record leaves (one step each); merged-away and completed labels are released at the line end (the
 *      reference allocation policy of docs/ccl.md "Overflow", so the overflow flag follows livePeak > N exactly).
 *      After the last line a virtual empty line flushes every object.
 *
 * The cycle model simulates the two stages clock by clock: the input takes one word per clock while the run queue
 * has room for the runs the word closes; the labeler does up to Q steps per clock on runs already queued.
 */
import type { CclConfig } from './config.js';
import { validateCclConfig } from './config.js';
import type { CclObject } from './features.js';
import { colorBin, histBin, pixelGray } from './features.js';
import { foregroundMask, type CclResult } from './golden.js';
import type { RasterImage } from '../image/io.js';
import { fail } from '../util/errors.js';

/** Pixels per clock of the pixel-exact design. */
export const PIXEL_EXACT_PPC = [1, 2, 4, 8, 16] as const;

export interface PixelExactOptions {
  /** Pixels per clock P (divides W). */
  ppc: number;
  /** Labeler steps per clock Q (default 1). */
  stepsPerClock?: number;
  /** Run queue entries (default ⌈W/2⌉ + 2: a whole line of runs). */
  queueDepth?: number;
}

/** One run of a line, with its line sums (frame coordinates) and histogram counts. */
interface Run {
  y: number;
  xs: number;
  xe: number;
  n: number;
  sx: number;
  sxx: number;
  sxxx: number;
  hist: number[] | null;
  color: number[] | null;
  /** Clock (word index) at which the run entered the queue. */
  word: number;
}

export interface PixelExactFigures {
  /** Runs in the frame, largest runs closed by one word, labeler steps (walk + line ends + records). */
  runs: number;
  maxRunsPerWord: number;
  steps: number;
  /** Clocks until the last word is accepted, and until the end-of-frame record (single frame, no output stall). */
  inputCycles: number;
  cycles: number;
  /** Steady-state frame period with frames back to back: max(W·H/P, ⌈steps/Q⌉). */
  framePeriod: number;
  /** Peak run-queue occupancy, peak labels held (feature-table entries needed). */
  queuePeak: number;
  labelsPeak: number;
}

export interface PixelExactRun {
  result: CclResult;
  firstPixel: number[];
  figures: PixelExactFigures;
}

/** Features of one live object (label) of the model's feature table. */
interface Entry {
  o: CclObject;
  first: number;
  lastY: number;
}

function checkOptions(cfg: CclConfig, opts: PixelExactOptions): { P: number; Q: number; depth: number } {
  if (cfg.cell !== 1) fail('cell', `the pixel-exact P-pixel design labels pixels (cell 1), got cell ${cfg.cell}`);
  if (cfg.minPixels !== 1) fail('minPixels', `must be 1 at cell 1, got ${cfg.minPixels}`);
  const P = opts.ppc;
  if (!(PIXEL_EXACT_PPC as readonly number[]).includes(P)) fail('ppc', `must be one of ${PIXEL_EXACT_PPC.join(', ')}, got ${String(P)}`);
  if (cfg.width % P !== 0) fail('ppc', `width ${cfg.width} is not a multiple of ${P} pixels per clock`);
  const Q = opts.stepsPerClock ?? 1;
  if (!Number.isInteger(Q) || Q < 1) fail('stepsPerClock', `must be an integer ≥ 1, got ${String(Q)}`);
  const depth = opts.queueDepth ?? Math.ceil(cfg.width / 2) + 2;
  if (!Number.isInteger(depth) || depth < Math.ceil(P / 2) + 1) fail('queueDepth', `must be ≥ ${Math.ceil(P / 2) + 1}, got ${String(depth)}`);
  return { P, Q, depth };
}

/** Stage 1: the runs of every line, built word by word from the word moments (the RTL's arithmetic). */
function extractRuns(image: RasterImage, cfg: CclConfig, P: number): { lines: Run[][]; maxPerWord: number } {
  const { width: W, height: H } = cfg;
  const mask = foregroundMask(image, cfg);
  const B = cfg.histBins, q = cfg.colorBits;
  const lines: Run[][] = [];
  let maxPerWord = 0, word = 0;
  for (let y = 0; y < H; y++) {
    const line: Run[] = [];
    let open: Run | null = null;
    for (let X = 0; X < W; X += P, word++) {
      let closed = 0;
      // word moments of the segment that continues or starts the open run, closed at a background pixel
      let seg = { n: 0, si: 0, sii: 0, siii: 0 };
      const flush = (): void => {
        if (!open) return;
        open.n += seg.n;
        open.sx += seg.n * X + seg.si;
        open.sxx += seg.n * X * X + 2 * X * seg.si + seg.sii;
        open.sxxx += seg.n * X * X * X + 3 * X * X * seg.si + 3 * X * seg.sii + seg.siii;
        seg = { n: 0, si: 0, sii: 0, siii: 0 };
      };
      for (let i = 0; i < P; i++) {
        const x = X + i, idx = y * W + x;
        if (mask[idx]) {
          if (!open) {
            open = { y, xs: x, xe: x, n: 0, sx: 0, sxx: 0, sxxx: 0, word,
              hist: B > 0 ? new Array<number>(B).fill(0) : null, color: q > 0 ? new Array<number>(1 << (3 * q)).fill(0) : null };
          }
          open.xe = x;
          seg.n += 1; seg.si += i; seg.sii += i * i; seg.siii += i * i * i;
          if (open.hist) open.hist[histBin(pixelGray(cfg.pixelFormat, image.data, idx), B)]! += 1;
          if (open.color) open.color[colorBin(image.data[3 * idx]!, image.data[3 * idx + 1]!, image.data[3 * idx + 2]!, q)]! += 1;
        } else if (open) {
          flush();
          open.word = word;
          line.push(open);
          open = null;
          closed++;
        }
      }
      flush();
      if (open && X + P === W) {
        open.word = word;
        line.push(open);
        open = null;
        closed++;
      }
      maxPerWord = Math.max(maxPerWord, closed);
    }
    lines.push(line);
  }
  return { lines, maxPerWord };
}

/** The object record a run contributes (frame coordinates; the y-terms formed at the run's close). */
function runObject(r: Run): CclObject {
  const y = r.y;
  const o: CclObject = {
    area: r.n, sumX: r.sx, sumY: y * r.n, sumXX: r.sxx, sumYY: y * y * r.n, sumXY: y * r.sx,
    bbox: [r.xs, y, r.xe, y], cells: r.n,
  };
  if (r.hist) o.hist = [...r.hist];
  return o;
}

function addInto(a: CclObject, b: CclObject): void {
  a.area += b.area; a.sumX += b.sumX; a.sumY += b.sumY; a.sumXX += b.sumXX; a.sumYY += b.sumYY; a.sumXY += b.sumXY;
  a.cells += b.cells;
  a.bbox = [Math.min(a.bbox[0], b.bbox[0]), Math.min(a.bbox[1], b.bbox[1]), Math.max(a.bbox[2], b.bbox[2]), Math.max(a.bbox[3], b.bbox[3])];
  if (a.sumXXX !== undefined) {
    a.sumXXX += b.sumXXX!; a.sumXXY! += b.sumXXY!; a.sumXYY! += b.sumXYY!; a.sumYYY! += b.sumYYY!;
  }
  if (a.hist) for (let k = 0; k < a.hist.length; k++) a.hist[k]! += b.hist![k]!;
  if (a.colorHist) for (let k = 0; k < a.colorHist.length; k++) a.colorHist[k]! += b.colorHist![k]!;
}

function entryOf(cfg: CclConfig, r: Run, W: number): Entry {
  const o = runObject(r);
  if (cfg.thirdMoments) Object.assign(o, { sumXXX: r.sxxx, sumXXY: r.y * r.sxx, sumXYY: r.y * r.y * r.sx, sumYYY: r.y * r.y * r.y * r.n });
  if (r.color) o.colorHist = [...r.color];
  return { o, first: r.y * W + r.xs, lastY: r.y };
}

/** One labeler step with the run (global index) it needs to have been queued; −1 = none, −2 − w = word w. */
interface Step { needs: number }

/**
 * Label an image with the P-pixel design's algorithm. The result equals the golden model's (`diffResults`); the
 * figures are the cycle model of the two-stage datapath.
 */
export function labelPixelExact(image: RasterImage, cfgIn: CclConfig, opts: PixelExactOptions): PixelExactRun {
  const cfg = validateCclConfig(cfgIn);
  const { P, Q, depth } = checkOptions(cfg, opts);
  const W = cfg.width, d = cfg.connectivity === 8 ? 1 : 0;
  const { lines, maxPerWord } = extractRuns(image, cfg, P);
  const parent: number[] = []; // label → label it was merged into (itself when a root)
  const table = new Map<number, Entry>();
  const free: number[] = [];
  let nextLabel = 1, held = 0, labelsPeak = 0, overflow = false;
  const find = (l: number): number => { while (parent[l] !== l) l = parent[l]!; return l; };
  const alloc = (): number => {
    const l = free.pop() ?? nextLabel++;
    parent[l] = l;
    held++;
    labelsPeak = Math.max(labelsPeak, held);
    return l;
  };
  const done: Entry[] = [];
  const steps: Step[] = [];
  let prev: Array<{ run: Run; label: number }> = [];
  let runBase = 0;
  for (let y = 0; y <= lines.length; y++) {
    const cur = y < lines.length ? lines[y]! : []; // y = H: the virtual empty line
    const labels: number[] = new Array<number>(cur.length).fill(0);
    const merged: number[] = [];
    let starts = 0;
    let i = 0, j = 0;
    const union = (a: number, b: number): number => {
      const ra = find(a), rb = find(b);
      if (ra === rb) return ra;
      const [win, lose] = ra < rb ? [ra, rb] : [rb, ra];
      const ew = table.get(win)!, el = table.get(lose)!;
      addInto(ew.o, el.o);
      ew.first = Math.min(ew.first, el.first);
      ew.lastY = Math.max(ew.lastY, el.lastY);
      table.delete(lose);
      parent[lose] = win;
      merged.push(lose);
      return win;
    };
    const finish = (k: number): void => {
      const r = cur[k]!;
      if (labels[k] === 0) {
        labels[k] = alloc();
        table.set(labels[k]!, entryOf(cfg, r, W));
      } else {
        const e = table.get(find(labels[k]!))!;
        addInto(e.o, entryOf(cfg, r, W).o);
        e.lastY = r.y;
      }
    };
    while (i < prev.length || j < cur.length) {
      const p = prev[i], c = cur[j];
      steps.push({ needs: c ? runBase + j : y < lines.length ? -2 - ((y + 1) * (W / P) - 1) : -1 });
      if (p && (!c || p.run.xe + d < c.xs)) { i++; continue; }
      if (c && (!p || c.xe + d < p.run.xs)) {
        // a start pixel: nothing above xs−d..xs+d and nothing to the left (xs is a run start)
        if (labels[j] === 0) starts++;
        finish(j);
        j++;
        continue;
      }
      // overlap of p and c
      if (labels[j] === 0) {
        if (p!.run.xs > c!.xs + d) starts++; // c's first pixel had no neighbour above: it allocated nothing yet, but counts
        labels[j] = find(p!.label);
      } else labels[j] = union(labels[j]!, p!.label);
      if (p!.run.xe <= c!.xe) i++;
      else { finish(j); j++; }
    }
    // line end: overflow rule (labels held by the previous line's objects + start pixels of this line)
    const openPrev = new Set(prev.map((p) => p.label)).size; // roots as of the previous line end
    if (cfg.maxObjects !== undefined && openPrev + starts > cfg.maxObjects) overflow = true;
    // completion: objects of the previous line that no run of this line joined
    const roots = new Set(prev.map((p) => find(p.label)));
    for (const rt of [...roots].sort((a, b) => a - b)) {
      const e = table.get(rt)!;
      if (e.lastY < y) {
        done.push(e);
        table.delete(rt);
        free.push(rt);
        held--;
        steps.push({ needs: -1 });
      }
    }
    for (const l of merged) { free.push(l); held--; }
    steps.push({ needs: -1 });
    prev = cur.map((run, k) => ({ run, label: find(labels[k]!) }));
    runBase += cur.length;
  }
  steps.push({ needs: -1 }); // end-of-frame record
  done.sort((a, b) => a.first - b.first);
  const result: CclResult = { width: W, height: cfg.height, cell: 1, overflow, objects: done.map((e) => e.o) };
  const figures = cycleModel(lines, steps, { W, H: cfg.height, P, Q, depth, maxPerWord, labelsPeak });
  return { result, firstPixel: done.map((e) => e.first), figures };
}

/** Clock-by-clock simulation of input (one word per clock, run queue permitting) and labeler (Q steps per clock). */
function cycleModel(
  lines: Run[][], steps: Step[],
  g: { W: number; H: number; P: number; Q: number; depth: number; maxPerWord: number; labelsPeak: number },
): PixelExactFigures {
  const words = g.H * (g.W / g.P);
  const runs = lines.flat();
  const closedBy = new Uint32Array(words);
  for (const r of runs) closedBy[r.word]!++;
  const runClock = new Float64Array(runs.length).fill(Infinity); // clock at which each run was queued
  const wordClock = new Float64Array(words).fill(Infinity);
  let w = 0, s = 0, occ = 0, peak = 0, clock = 0, runIdx = 0, inputCycles = 0;
  const ready = (st: Step, t: number): boolean =>
    st.needs === -1 || (st.needs >= 0 ? runClock[st.needs]! < t : wordClock[-2 - st.needs]! < t);
  while (s < steps.length) {
    for (let k = 0; k < g.Q && s < steps.length && ready(steps[s]!, clock); k++) {
      const st = steps[s]!;
      // a run leaves the queue with the first step after the one that needed it last
      if (st.needs >= 0 && (s + 1 >= steps.length || steps[s + 1]!.needs !== st.needs)) occ--;
      s++;
    }
    if (w < words && occ + closedBy[w]! <= g.depth) {
      for (let k = 0; k < closedBy[w]!; k++) runClock[runIdx++] = clock;
      occ += closedBy[w]!;
      peak = Math.max(peak, occ);
      wordClock[w] = clock;
      w++;
      if (w === words) inputCycles = clock + 1;
    }
    clock++;
  }
  return {
    runs: runs.length, maxRunsPerWord: g.maxPerWord, steps: steps.length, inputCycles, cycles: clock,
    framePeriod: Math.max(words, Math.ceil(steps.length / g.Q)), queuePeak: peak, labelsPeak: g.labelsPeak,
  };
}
