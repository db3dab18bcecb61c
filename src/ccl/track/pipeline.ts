/**
 * The tracking system end to end: frames → per-class records (golden model, or the simulated core with --rtl) →
 * tracker → recognition → MOT rows, JSON and the trajectory page.
 */
import type { CellSize, CclConfig } from '../config.js';
import { makeCclConfig } from '../config.js';
import type { ColorClass } from '../classes.js';
import type { RasterImage } from '../../image/io.js';
import { fail } from '../../util/errors.js';
import { labelFrame, trackConfig } from './detect.js';
import type { Sequence } from './frames.js';
import type { GtRow } from './mot.js';
import type { Detection, RecordsFile } from './records.js';
import { recognize, sampleOf, meanSample, UNKNOWN, type Sample, type TemplateLibrary } from './recognize.js';
import { trackSequence, TRACKER_DEFAULTS, type TrackerParams, type TrackRow } from './tracker.js';

export interface RecordOptions {
  cell: CellSize;
  /** Simulate the core (Verilator) instead of the golden model. */
  rtl?: { ppc: number; sim?: 'verilator' | 'icarus' };
  /** Golden model with the core's N (what --rtl is compared with). Implied by rtl. */
  coreFeatures?: boolean;
}

/**
 * The labeling configuration, the same for the golden model and the core: the 64-bin colour histogram and the
 * third-order moments (recognition uses Hu's seven invariants either way, and one template library serves both);
 * with --rtl (and the golden run it is compared with, `coreFeatures`) the core's N = 64 live objects per class.
 */
export function recordConfig(width: number, height: number, opts: RecordOptions): CclConfig {
  const cfg = trackConfig(width, height, { cell: opts.cell, histBins: 0, colorBits: 2 });
  return opts.rtl || opts.coreFeatures ? makeCclConfig({ ...cfg, maxObjects: 64 }) : cfg;
}

/** Records of every frame. */
export async function recordSequence(seq: Sequence, classes: readonly ColorClass[], opts: RecordOptions): Promise<RecordsFile> {
  const cfg = recordConfig(seq.width, seq.height, opts);
  const frames: RasterImage[] = [];
  for (let i = 0; i < seq.count; i++) frames.push(seq.frame(i));
  let records: Detection[][];
  if (opts.rtl) {
    // the multi-class core: one pass over the pixel stream, K class channels, records tagged with their class
    const { labelClassFramesWithRtl } = await import('../rtl-run.js');
    const run = await labelClassFramesWithRtl(frames, cfg, classes, { ppc: opts.rtl.ppc, sim: opts.rtl.sim ?? 'verilator' });
    records = run.results.map((r, i) => {
      const k = r.classOverflow.indexOf(true);
      if (k >= 0) fail(seq.frameName(i), `class ${classes[k]!.name}: more live objects than the core's N = ${cfg.maxObjects}`);
      return r.objects.map(({ className: _n, ...o }) => o);
    });
  } else {
    records = frames.map((f) => labelFrame(f, classes, cfg));
  }
  return { width: seq.width, height: seq.height, classes: classes.map((c) => c.name), frames: records };
}

/** One track summarised: its frames, recognised label and path (centroids). */
export interface TrackSummary {
  id: number;
  class: string;
  label: string;
  distance: number | null;
  first: number;
  last: number;
  path: [number, number, number][];
}

export interface TrackResult {
  rows: TrackRow[];
  tracks: TrackSummary[];
  params: TrackerParams;
}

/** Track, then recognise each track from the mean of its whole views. */
export function trackRecords(rec: RecordsFile, lib: TemplateLibrary | null, params: Partial<TrackerParams> = {}): TrackResult {
  const full: TrackerParams = { ...TRACKER_DEFAULTS, ...params };
  const rows = trackSequence(rec.frames, full);
  const byId = new Map<number, { cls: number; rows: TrackRow[]; samples: Sample[] }>();
  for (const r of rows) {
    const e = byId.get(r.id) ?? { cls: r.class, rows: [], samples: [] };
    e.rows.push(r);
    if (r.status === 'measured' && r.det) e.samples.push(sampleOf(r.det));
    byId.set(r.id, e);
  }
  const tracks: TrackSummary[] = [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, e]) => {
    const className = rec.classes[e.cls] ?? String(e.cls);
    let label = UNKNOWN, distance: number | null = null;
    if (lib && e.samples.length > 0) {
      const r = recognize(lib, meanSample(e.samples), className);
      label = r.label;
      distance = Number.isFinite(r.distance) ? r.distance : null;
    }
    return {
      id, class: className, label, distance, first: e.rows[0]!.frame + 1, last: e.rows[e.rows.length - 1]!.frame + 1,
      path: e.rows.map((r) => [r.frame + 1, r.cx, r.cy] as [number, number, number]),
    };
  });
  return { rows, tracks, params: full };
}

/** Tracker rows as MOT rows (1-based frame and box corner; see mot.ts). */
export function motRows(rows: readonly TrackRow[]): GtRow[] {
  return rows.map((r) => ({
    frame: r.frame + 1, id: r.id, left: r.left + 1.5, top: r.top + 1.5, width: r.width, height: r.height,
    conf: r.status === 'measured' || r.status === 'partial' ? 1 : 0.5, cls: r.class + 1,
    visibility: r.status === 'measured' ? 1 : r.status === 'partial' && r.det ? Math.min(1, r.det.area / r.area) : 0,
  }));
}

/** Rows without the records (what the Python tracker prints), for comparing the two implementations. */
export function plainRows(rows: readonly TrackRow[]): Omit<TrackRow, 'det'>[] {
  return rows.map(({ det: _d, ...r }) => r);
}
