/**
 * MOTChallenge text format: one line per object and frame,
 *   frame,id,left,top,width,height,conf,class,visibility
 * frame 1-based; left/top 1-based pixel coordinates of the box's top-left corner (a box covering pixel columns
 * xmin..xmax, 0-based, has left = xmin + 1 and width = xmax − xmin + 1), as the MOTChallenge ground truth does.
 * Ground truth: conf = 1 (the "consider" flag), class = class index + 1, visibility in 0..1. Tracker output:
 * conf = 1 for a measured box, 0.5 for a predicted one (the object was not seen, or was merged with another);
 * visibility = the record's area over the track's area (1 for a whole view, 0 when predicted).
 */
import { UserError } from '../../util/errors.js';

export interface GtRow {
  frame: number;
  id: number;
  left: number;
  top: number;
  width: number;
  height: number;
  conf: number;
  cls: number;
  visibility: number;
}

/** A number with at most `d` decimals, trailing zeros dropped (rounding half up on the scaled value). */
export function fixed(v: number, d = 2): string {
  const s = 10 ** d;
  const r = Math.floor(v * s + 0.5) / s;
  return String(Object.is(r, -0) ? 0 : r);
}

export function formatMot(rows: readonly GtRow[]): string {
  return rows
    .map((r) => [r.frame, r.id, fixed(r.left), fixed(r.top), fixed(r.width), fixed(r.height), fixed(r.conf, 3), r.cls, fixed(r.visibility, 3)].join(','))
    .join('\n') + (rows.length ? '\n' : '');
}

/** Parse a MOT text file; `name` names it in errors. Lines may have ≥ 6 fields (conf/class/visibility optional). */
export function parseMot(text: string, name = 'mot'): GtRow[] {
  const rows: GtRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) return;
    const f = s.split(',').map((x) => Number(x.trim()));
    if (f.length < 6 || f.some((x) => !Number.isFinite(x))) {
      throw new UserError(`${name}:${i + 1}: expected frame,id,left,top,width,height[,conf,class,visibility] (numbers), got '${s}'`);
    }
    if (!Number.isInteger(f[0]) || f[0]! < 1) throw new UserError(`${name}:${i + 1}: frame must be an integer ≥ 1, got ${f[0]}`);
    if (!Number.isInteger(f[1])) throw new UserError(`${name}:${i + 1}: id must be an integer, got ${f[1]}`);
    rows.push({ frame: f[0]!, id: f[1]!, left: f[2]!, top: f[3]!, width: f[4]!, height: f[5]!, conf: f[6] ?? 1, cls: f[7] ?? -1, visibility: f[8] ?? -1 });
  });
  return rows;
}

/** Rows grouped by frame (index = frame − 1) for frames 1..n. */
export function byFrame(rows: readonly GtRow[], n: number): GtRow[][] {
  const out: GtRow[][] = Array.from({ length: n }, () => []);
  for (const r of rows) if (r.frame >= 1 && r.frame <= n) out[r.frame - 1]!.push(r);
  return out;
}

/** Intersection over union of two MOT boxes. */
export function iou(a: Pick<GtRow, 'left' | 'top' | 'width' | 'height'>, b: Pick<GtRow, 'left' | 'top' | 'width' | 'height'>): number {
  const ix = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const iy = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
