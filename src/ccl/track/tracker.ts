/**
 * Multi-object tracker over CCL records (docs/ccl-track.md "Tracker"). Per frame:
 *
 *  1. drop records smaller than minArea; predict every track one frame ahead (constant-velocity Kalman, kalman.ts);
 *  2. fragments: records of a confirmed track's class whose centroids lie in the track's predicted box (grown by
 *     fragMargin) and are nearer to it than to any other confirmed track of the class are united into one record
 *     when there are several, their areas add up to ≤ fragMaxRatio × the track's area and their union box fits
 *     the track's box grown by fragMargin (an object cut by an occluder);
 *  3. merges: a record whose box (grown by fragMargin) holds the predicted centres of ≥ 2 confirmed tracks (for each, the nearest such
 *     record) is a blob of crossing objects of one class: it is consumed and those tracks coast on their prediction,
 *     kept where their object's box fits inside the blob's box (2 px tolerance);
 *  4. assignment by the Hungarian method (hungarian.ts), confirmed tracks first, then tentative ones, on the cost
 *     (d / gate)² + histWeight · dB, d = predicted centre to record centroid (> gate: forbidden, other class:
 *     forbidden; the gate grows by gateGrowth per consecutive miss, up to 2 × gate
 *     forbidden), dB = √(1 − Σ√(p·q)) the Bhattacharyya distance of the normalised histograms;
 *  5. update: a record much smaller than the track (area < partialRatio × area, partly hidden) or much larger
 *     (> oversizeRatio × area, touching another object) corrects the position with partialNoise × the measurement
 *     variance and leaves box size and histogram alone (the area follows every record but partial ones, slowly);
 *  6. birth and death by hysteresis: a record left over (not inside a confirmed track's box nor in the gate of a
 *     coasting one) starts a
 *     tentative track, confirmed after confirmHits consecutive hits (it gets its ID then); a tentative track dies
 *     at its first miss, a confirmed one after more than maxMisses consecutive misses.
 *
 * Deterministic: tracks are visited in birth order, records in labeler order. templates/ccl/tracker.py is the
 * same algorithm, operation for operation (a test demands identical tracks).
 */
import { assignGated } from './hungarian.js';
import { newAxis, predictAxis, updateAxis, type Axis } from './kalman.js';
import { histOf, mergeDetections, type Detection } from './records.js';

export interface TrackerParams {
  /** Records with fewer pixels are ignored (noise). */
  minArea: number;
  /** Largest distance (px) between a track's predicted centre and a record's centroid. */
  gate: number;
  /** The gate grows by this (px) per consecutive miss, up to twice the gate (a coasting track is less certain). */
  gateGrowth: number;
  /** Weight of the Bhattacharyya histogram distance in the cost. */
  histWeight: number;
  /** Consecutive hits that confirm a tentative track. */
  confirmHits: number;
  /** A confirmed track is also reported in its tentative frames (rows for them come with the confirming frame's). */
  reportBirth: boolean;
  /** Consecutive misses after which a confirmed track dies. */
  maxMisses: number;
  /** A record with area < partialRatio × the track's area is a partial view. */
  partialRatio: number;
  /** A record with area > oversizeRatio × the track's area is not a clean view either. */
  oversizeRatio: number;
  /** Measurement-variance factor for a partial (or oversized) view. */
  partialNoise: number;
  /**
   * Measurement-variance factor of a partly hidden view (smaller than the object, not wider / taller than its box)
   * measured by its box edges: per axis where the visible box is narrower than the object's, the edge nearer the
   * predicted box's is taken as the object's own (the other is cut by the occluder) and the centre put half the
   * object's size from it. 0: measure the visible part's centroid with partialNoise instead.
   */
  edgeNoise: number;
  /**
   * Measurement-variance factor of the blob edges for tracks coasting in a merge: per axis where the blob is wider
   * than its largest object by 3 px, the track predicted lowest is put half its size inside the blob's low edge,
   * the one predicted highest inside the high edge — when the blob's area is ≥ mergeAreaRatio × the tracks' areas
   * added (objects side by side; when one hides another the edges may all be one object's). 0: coast on the
   * prediction alone.
   */
  mergeEdgeNoise: number;
  mergeAreaRatio: number;
  /** Blob edges are not used along an axis where the outer two objects overlap by more than this × the smaller one's size. */
  mergeEdgeOverlap: number;
  /** A record is a track's blob only when it covers at least this fraction of the track's predicted box (0: off). */
  mergeCover: number;
  /**
   * After more than relearnAfter consecutive partly hidden views whose areas stay within a factor relearnSpread
   * the record is taken as whole (0: never): the track follows an object smaller than it learned.
   */
  relearnAfter: number;
  relearnSpread: number;
  /** Growth (px) of a track's predicted box when collecting its fragments and suppressing births. */
  fragMargin: number;
  /** Fragments are united only if their areas add up to at most this × the track's area. */
  fragMaxRatio: number;
  /** Kalman acceleration variance q (px²/frame⁴) and measurement variance r (px²). */
  accelVar: number;
  measVar: number;
  /** Initial velocity variance of a new track ((px/frame)²). */
  initVelVar: number;
  /** Smoothing of the area (0..1, weight of the new value): slow, so a shrinking visible part reads as partial. */
  areaAlpha: number;
  /** Smoothing of box size and box offset. */
  sizeAlpha: number;
  /** Smoothing of the histogram. */
  histAlpha: number;
}

export const TRACKER_DEFAULTS: TrackerParams = {
  minArea: 6,
  gate: 30,
  gateGrowth: 2,
  histWeight: 1,
  confirmHits: 3,
  reportBirth: true,
  maxMisses: 40,
  partialRatio: 0.9,
  oversizeRatio: 1.3,
  partialNoise: 64,
  edgeNoise: 4,
  mergeEdgeNoise: 16,
  mergeAreaRatio: 0,
  mergeEdgeOverlap: 0.7,
  mergeCover: 0.5,
  relearnAfter: 60,
  relearnSpread: 1.15,
  fragMargin: 8,
  fragMaxRatio: 1.25,
  accelVar: 0.05,
  measVar: 0.25,
  initVelVar: 16,
  areaAlpha: 0.05,
  sizeAlpha: 0.3,
  histAlpha: 0.1,
};

/** What happened to a track in a frame. */
export type TrackStatus = 'measured' | 'partial' | 'merged' | 'missed';

/** One output row: a confirmed track in one frame (frame 0-based here; the MOT file is 1-based). */
export interface TrackRow {
  frame: number;
  id: number;
  class: number;
  /** Filtered centroid. */
  cx: number;
  cy: number;
  /** Box in pixel-index coordinates: a box exactly covering pixel columns xmin..xmax has left = xmin − 0.5. */
  left: number;
  top: number;
  width: number;
  height: number;
  status: TrackStatus;
  /** The track's area estimate (px). */
  area: number;
  /** The record used (measured / partial), fragments united. Not part of the Python tracker's output. */
  det?: Detection;
}

interface Track {
  seq: number;
  id: number; // 0 while tentative
  cls: number;
  x: Axis;
  y: Axis;
  area: number;
  w: number;
  h: number;
  ox: number;
  oy: number;
  hist: number[] | null;
  hits: number;
  misses: number;
  /** Consecutive partly hidden views (TrackerParams.relearnAfter). */
  hiddenRun: number;
  /** Least and largest record area of the hidden run. */
  runMin: number;
  runMax: number;
  status: TrackStatus;
  det: Detection | null;
  /** Rows of a tentative track (TrackerParams.reportBirth). */
  early: TrackRow[];
}

function normalized(h: number[] | undefined): number[] | null {
  if (!h) return null;
  let s = 0;
  for (const v of h) s += v;
  if (s <= 0) return null;
  return h.map((v) => v / s);
}

/** Bhattacharyya distance √(1 − Σ√(p·q)) of two normalised histograms (0 when either is missing). */
export function bhattacharyya(p: number[] | null, q: number[] | null): number {
  if (!p || !q || p.length !== q.length) return 0;
  let bc = 0;
  for (let i = 0; i < p.length; i++) bc += Math.sqrt(p[i]! * q[i]!);
  return Math.sqrt(Math.max(0, 1 - bc));
}

/**
 * The box centre of an object of size `size` seen over lo..hi (one axis, pixel-index coordinates) with its box
 * predicted around `pred`: the visible box's centre when it spans the object (1.5 px slack), else half the size
 * from the visible edge nearer its predicted place (the other edge is the occluder's).
 */
function edgeCentre(lo: number, hi: number, pred: number, size: number): number {
  if (hi - lo >= size - 1.5) return (lo + hi) / 2;
  return Math.abs(lo - (pred - size / 2)) <= Math.abs(hi - (pred + size / 2)) ? lo + size / 2 : hi - size / 2;
}

/** One axis of the merge-edge measurement (TrackerParams.mergeEdgeNoise): [filter, box offset, size] per track. */
function blobEdges(ts: [Axis, number, number][], lo: number, hi: number, r: number, ov: number): void {
  if (hi - lo < Math.max(...ts.map((t) => t[2])) + 3) return;
  let a = ts[0]!, z = ts[0]!;
  for (const t of ts) {
    if (t[0].p + t[1] < a[0].p + a[1]) a = t;
    if (t[0].p + t[1] > z[0].p + z[1]) z = t;
  }
  if (a === z) return;
  // objects overlapping along this axis by more than ov × the smaller one's size: which edge is whose is unclear
  if (a[2] + z[2] - (hi - lo) > Math.min(a[2], z[2]) * ov) return;
  updateAxis(a[0], lo + a[2] / 2 - a[1], r);
  updateAxis(z[0], hi - z[2] / 2 - z[1], r);
}

/** Is (px, py) inside the track's predicted box grown by m? */
function inBox(t: Track, px: number, py: number, m: number): boolean {
  const cx = t.x.p + t.ox, cy = t.y.p + t.oy;
  return Math.abs(px - cx) <= t.w / 2 + m && Math.abs(py - cy) <= t.h / 2 + m;
}

/**
 * The margin around a track's predicted box within which a record may be a piece of its object (united as a
 * fragment; never the seed of a new track): fragMargin, and half the track's size more while it is not seen whole
 * (partial, merged or missed) — its position then rests on pieces of the object, so another piece may lie as far
 * as the object's extent away.
 */
function pieceMargin(P: TrackerParams, t: Track): number {
  return t.status === 'measured' ? P.fragMargin : P.fragMargin + Math.max(t.w, t.h) / 2;
}

/** The fraction of the track's predicted box inside the record's box (pixel-index coordinates, inclusive bbox). */
function boxCover(t: Track, b: readonly number[]): number {
  const cx = t.x.p + t.ox, cy = t.y.p + t.oy;
  const ix = Math.min(cx + t.w / 2, b[2]! + 0.5) - Math.max(cx - t.w / 2, b[0]! - 0.5);
  const iy = Math.min(cy + t.h / 2, b[3]! + 0.5) - Math.max(cy - t.h / 2, b[1]! - 0.5);
  return ix <= 0 || iy <= 0 ? 0 : (ix * iy) / (t.w * t.h);
}

/** Keep a coasting centre where its object can be inside the blob (clamp into lo..hi). */
function clampInto(a: Axis, lo: number, hi: number): void {
  if (lo > hi) return;
  if (a.p < lo) a.p = lo;
  else if (a.p > hi) a.p = hi;
}

/** A track's gate: P.gate grown by gateGrowth per consecutive miss, at most 2·gate. */
function gateOf(P: TrackerParams, t: Track): number {
  return Math.min(2 * P.gate, P.gate + P.gateGrowth * t.misses);
}

export class Tracker {
  readonly params: TrackerParams;
  private tracks: Track[] = [];
  private nextSeq = 1;
  private nextId = 1;
  private frame = 0;
  /**
   * The frame's records (null once used) with their centroids and normalised histograms (computed when first
   * needed), kept in arrays reused from frame to frame so no step allocates per record pair.
   */
  private dets: (Detection | null)[] = [];
  private cx: number[] = [];
  private cy: number[] = [];
  private hs: (number[] | null | undefined)[] = [];

  /**
   * `solve`, when given, assigns on the whole cost matrix (forbidden pairs Infinity; tests replace the method to
   * show what it is worth); by default the Hungarian method on the gate's components (hungarian.ts assignGated).
   */
  constructor(params: Partial<TrackerParams> = {}, private readonly solve?: (cost: number[][]) => number[]) {
    this.params = { ...TRACKER_DEFAULTS, ...params };
  }

  /**
   * Process one frame's records; returns the rows of the confirmed tracks alive in this frame (ID order), after
   * the rows of earlier frames of the tracks confirmed in this one (reportBirth).
   */
  step(records: readonly Detection[]): TrackRow[] {
    const P = this.params;
    const dets = this.dets;
    dets.length = 0;
    for (const d of records) if (d.area >= P.minArea) this.setDet(dets.length, d);
    for (const t of this.tracks) {
      predictAxis(t.x, P.accelVar);
      predictAxis(t.y, P.accelVar);
      t.det = null;
    }
    const confirmed = this.tracks.filter((t) => t.id > 0);
    this.uniteFragments(confirmed);
    const merged = this.findMerges(confirmed);
    const free = confirmed.filter((t) => !merged.has(t));
    this.match(free);
    this.match(this.tracks.filter((t) => t.id === 0));
    for (const t of merged) t.status = 'merged';
    this.births();
    this.tracks = this.tracks.filter((t) => (t.id === 0 ? t.misses === 0 : t.misses <= P.maxMisses));
    // a track confirmed now is reported from its first hit: its tentative rows (earlier frames) first
    const rows: TrackRow[] = [];
    for (const t of this.tracks) {
      if (t.id !== 0) continue;
      if (t.hits >= P.confirmHits) {
        t.id = this.nextId++;
        for (const r of t.early) rows.push({ ...r, id: t.id });
        t.early = [];
      } else if (P.reportBirth) {
        t.early.push(this.row(t));
      }
    }
    for (const t of this.tracks) if (t.id > 0) rows.push(this.row(t));
    this.frame++;
    return rows;
  }

  /** Record j of the frame is d (its centroid now, its histogram when first asked for). */
  private setDet(j: number, d: Detection | null): void {
    this.dets[j] = d;
    if (d) {
      this.cx[j] = d.sumX / d.area;
      this.cy[j] = d.sumY / d.area;
    }
    this.hs[j] = undefined;
  }

  /** Normalised histogram of record j. */
  private hist(j: number): number[] | null {
    let h = this.hs[j];
    if (h === undefined) h = this.hs[j] = normalized(histOf(this.dets[j]!));
    return h;
  }

  /** Distance of t's predicted centre to record j's centroid. */
  private dist(t: Track, j: number): number {
    const ex = this.cx[j]! - t.x.p, ey = this.cy[j]! - t.y.p;
    return Math.sqrt(ex * ex + ey * ey);
  }

  private row(t: Track): TrackRow {
    const cx = t.x.p, cy = t.y.p;
    const r: TrackRow = {
      frame: this.frame, id: t.id, class: t.cls, cx, cy,
      left: cx + t.ox - t.w / 2, top: cy + t.oy - t.h / 2, width: t.w, height: t.h, status: t.status, area: t.area,
    };
    if (t.det) r.det = t.det;
    return r;
  }

  /** Step 2: unite the fragments of each confirmed track (in place: the first fragment becomes the union). */
  private uniteFragments(confirmed: Track[]): void {
    const P = this.params, dets = this.dets;
    for (const t of confirmed) {
      const mine: number[] = [];
      for (let j = 0; j < dets.length; j++) {
        const d = dets[j];
        if (!d || d.class !== t.cls) continue;
        if (!inBox(t, this.cx[j]!, this.cy[j]!, pieceMargin(P, t))) continue;
        const dt = this.dist(t, j);
        let nearest = true;
        for (const u of confirmed) if (u !== t && u.cls === t.cls && this.dist(u, j) < dt) nearest = false;
        if (nearest) mine.push(j);
      }
      if (mine.length < 2) continue;
      let sum = 0;
      for (const j of mine) sum += dets[j]!.area;
      if (sum > P.fragMaxRatio * t.area) continue;
      const u = mergeDetections(mine.map((j) => dets[j]!));
      // pieces of one object lie within its box; objects drifting apart do not
      if (u.bbox[2] - u.bbox[0] + 1 > t.w + 2 * P.fragMargin || u.bbox[3] - u.bbox[1] + 1 > t.h + 2 * P.fragMargin) continue;
      this.setDet(mine[0]!, u);
      for (let k = 1; k < mine.length; k++) this.setDet(mine[k]!, null);
    }
  }

  /** Step 3: records that are blobs of ≥ 2 crossing objects; consumes them, returns the coasting tracks. */
  private findMerges(confirmed: Track[]): Set<Track> {
    const P = this.params, dets = this.dets;
    const claim = new Map<number, Track[]>();
    for (const t of confirmed) {
      let best = -1, bestD = Infinity;
      for (let j = 0; j < dets.length; j++) {
        const d = dets[j];
        if (!d || d.class !== t.cls) continue;
        const b = d.bbox, m = P.fragMargin;
        if (t.x.p < b[0] - m || t.x.p > b[2] + m || t.y.p < b[1] - m || t.y.p > b[3] + m) continue;
        if (P.mergeCover > 0 && boxCover(t, b) < P.mergeCover) continue;
        const dd = this.dist(t, j);
        if (dd < bestD) {
          best = j;
          bestD = dd;
        }
      }
      if (best < 0) continue;
      const list = claim.get(best) ?? [];
      list.push(t);
      claim.set(best, list);
    }
    const merged = new Set<Track>();
    for (let j = 0; j < dets.length; j++) {
      const list = claim.get(j);
      if (!list || list.length < 2) continue;
      const b = dets[j]!.bbox, area = dets[j]!.area;
      this.setDet(j, null);
      for (const t of list) {
        merged.add(t);
        clampInto(t.x, b[0] + (t.w - 1) / 2 - t.ox - 2, b[2] - (t.w - 1) / 2 - t.ox + 2);
        clampInto(t.y, b[1] + (t.h - 1) / 2 - t.oy - 2, b[3] - (t.h - 1) / 2 - t.oy + 2);
      }
      // side by side (the blob about as large as its objects together), not one hiding another
      if (P.mergeEdgeNoise > 0 && area >= P.mergeAreaRatio * list.reduce((a, t) => a + t.area, 0)) {
        const r = P.measVar * P.mergeEdgeNoise;
        blobEdges(list.map((t) => [t.x, t.ox, t.w]), b[0] - 0.5, b[2] + 0.5, r, P.mergeEdgeOverlap);
        blobEdges(list.map((t) => [t.y, t.oy, t.h]), b[1] - 0.5, b[3] + 0.5, r, P.mergeEdgeOverlap);
      }
    }
    return merged;
  }

  /** Step 4 + 5 for one group of tracks: Hungarian assignment, then update or miss. */
  private match(group: Track[]): void {
    const P = this.params, dets = this.dets;
    const cols: number[] = [];
    for (let j = 0; j < dets.length; j++) if (dets[j]) cols.push(j);
    const allowed = (i: number, c: number): boolean => {
      const t = group[i]!, j = cols[c]!;
      return dets[j]!.class === t.cls && this.dist(t, j) <= gateOf(P, t);
    };
    const cost = (i: number, c: number): number => {
      const t = group[i]!, j = cols[c]!;
      const g = this.dist(t, j) / gateOf(P, t);
      return g * g + P.histWeight * bhattacharyya(t.hist, this.hist(j));
    };
    const pick = this.solve
      ? this.solve(group.map((_, i) => cols.map((_c, c) => (allowed(i, c) ? cost(i, c) : Infinity))))
      : assignGated(group.length, cols.length, allowed, cost);
    group.forEach((t, i) => {
      const c = pick[i] ?? -1;
      if (c < 0) {
        t.misses++;
        t.status = 'missed';
        return;
      }
      const j = cols[c]!;
      this.update(t, j);
      this.setDet(j, null);
    });
  }

  private update(t: Track, j: number): void {
    const P = this.params, d = this.dets[j]!;
    let zx = this.cx[j]!, zy = this.cy[j]!;
    // not a whole view: much smaller (partly hidden), much larger or wider / taller than the object (touching another)
    const touching = d.area > P.oversizeRatio * t.area ||
      d.bbox[2] - d.bbox[0] + 1 > t.w + P.fragMargin || d.bbox[3] - d.bbox[1] + 1 > t.h + P.fragMargin;
    // a track seen smaller for longer than relearnAfter frames follows an object smaller than it learned
    let hidden = d.area < P.partialRatio * t.area;
    t.hiddenRun = hidden && !touching ? t.hiddenRun + 1 : 0;
    if (t.hiddenRun === 1) t.runMin = t.runMax = d.area;
    t.runMin = Math.min(t.runMin, d.area);
    t.runMax = Math.max(t.runMax, d.area);
    // an object smaller than learned keeps its area; the visible part of one cut by a (static) occluder changes
    if (P.relearnAfter > 0 && t.hiddenRun > P.relearnAfter && t.runMax <= P.relearnSpread * t.runMin) {
      hidden = false;
      t.area = d.area;
    }
    const partial = hidden || touching;
    let r = partial ? P.measVar * P.partialNoise : P.measVar;
    if (hidden && !touching && P.edgeNoise > 0) {
      zx = edgeCentre(d.bbox[0] - 0.5, d.bbox[2] + 0.5, t.x.p + t.ox, t.w) - t.ox;
      zy = edgeCentre(d.bbox[1] - 0.5, d.bbox[3] + 0.5, t.y.p + t.oy, t.h) - t.oy;
      r = P.measVar * P.edgeNoise;
    }
    updateAxis(t.x, zx, r);
    updateAxis(t.y, zy, r);
    t.hits++;
    t.misses = 0;
    t.status = partial ? 'partial' : 'measured';
    t.det = d;
    // the area follows every record that is not a partial view (slowly, so an object emerging from behind an
    // occluder or born as a fragment grows into its whole area); the box only follows whole views
    if (d.area >= P.partialRatio * t.area) t.area = t.area + P.areaAlpha * (d.area - t.area);
    if (partial) return;
    const a = P.sizeAlpha;
    const bx = (d.bbox[0] + d.bbox[2]) / 2, by = (d.bbox[1] + d.bbox[3]) / 2;
    t.w = t.w + a * (d.bbox[2] - d.bbox[0] + 1 - t.w);
    t.h = t.h + a * (d.bbox[3] - d.bbox[1] + 1 - t.h);
    t.ox = t.ox + a * (bx - zx - t.ox);
    t.oy = t.oy + a * (by - zy - t.oy);
    const h = this.hist(j);
    if (h && t.hist) {
      const b = P.histAlpha, th = t.hist;
      for (let i = 0; i < th.length; i++) th[i] = th[i]! + b * (h[i]! - th[i]!);
    } else if (h) {
      t.hist = h.slice();
    }
  }

  /** Step 6: tentative tracks from the records left over. */
  private births(): void {
    const P = this.params, dets = this.dets;
    const confirmed = this.tracks.filter((t) => t.id > 0);
    for (let j = 0; j < dets.length; j++) {
      const d = dets[j];
      if (!d) continue;
      const zx = this.cx[j]!, zy = this.cy[j]!;
      let inside = false;
      for (const t of confirmed) {
        if (t.cls === d.class && (inBox(t, zx, zy, pieceMargin(P, t)) || (t.misses > 0 && this.dist(t, j) <= gateOf(P, t)))) inside = true;
      }
      if (inside) continue;
      const bx = (d.bbox[0] + d.bbox[2]) / 2, by = (d.bbox[1] + d.bbox[3]) / 2;
      this.tracks.push({
        seq: this.nextSeq++, id: 0, cls: d.class,
        x: newAxis(zx, P.measVar, P.initVelVar), y: newAxis(zy, P.measVar, P.initVelVar),
        area: d.area, w: d.bbox[2] - d.bbox[0] + 1, h: d.bbox[3] - d.bbox[1] + 1, ox: bx - zx, oy: by - zy,
        hist: this.hist(j)?.slice() ?? null, hits: 1, misses: 0, hiddenRun: 0, runMin: 0, runMax: 0, status: 'measured', det: d, early: [],
      });
    }
  }
}

/** Track a whole sequence of per-frame records; rows in frame order (stable: in each frame, in output order). */
export function trackSequence(frames: readonly (readonly Detection[])[], params: Partial<TrackerParams> = {}): TrackRow[] {
  const tr = new Tracker(params);
  const rows: TrackRow[] = [];
  for (const f of frames) for (const r of tr.step(f)) rows.push(r);
  return rows.sort((a, b) => a.frame - b.frame);
}
