/**
 * Tracking system units: Hungarian against brute force, Kalman, CLEAR MOT / IDF1 on hand-made cases, Y4M and frame
 * folders (conversion and bad input), shape descriptors against moments computed from the pixels, and the tracker
 * on small generated sequences (crossings, an occluder) — including a tracker without assignment, which must fail.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, assignGated } from '../src/ccl/track/hungarian.js';
import { newAxis, predictAxis, updateAxis } from '../src/ccl/track/kalman.js';
import { evaluate } from '../src/ccl/track/metrics.js';
import type { GtRow } from '../src/ccl/track/mot.js';
import { formatMot, parseMot } from '../src/ccl/track/mot.js';
import { decodeY4mFrame, encodeY4m, indexY4m } from '../src/ccl/track/y4m.js';
import { openSequence } from '../src/ccl/track/frames.js';
import { shapeOf } from '../src/ccl/track/shape.js';
import { trackSequence, Tracker, type TrackRow } from '../src/ccl/track/tracker.js';
import { makeScene, renderFrame, sceneClassFile, type Scene } from '../src/ccl/track/seqgen.js';
import { labelFrame, trackConfig } from '../src/ccl/track/detect.js';
import { motRows } from '../src/ccl/track/pipeline.js';
import { parseClasses } from '../src/ccl/classes.js';
import { encodePng, encodePgm } from '../src/image/io.js';
import { mulberry32 } from '../src/util/random.js';
import type { Detection } from '../src/ccl/track/records.js';

/** Brute force: maximum number of allowed pairs, then least cost. */
function brute(cost: number[][]): { pairs: number; total: number } {
  const r = cost.length, c = cost[0]!.length;
  let best = { pairs: -1, total: Infinity };
  const used = new Array<boolean>(c).fill(false);
  const rec = (i: number, pairs: number, total: number): void => {
    if (i === r) {
      if (pairs > best.pairs || (pairs === best.pairs && total < best.total - 1e-9)) best = { pairs, total };
      return;
    }
    rec(i + 1, pairs, total);
    for (let j = 0; j < c; j++) {
      if (used[j] || !Number.isFinite(cost[i]![j]!)) continue;
      used[j] = true;
      rec(i + 1, pairs + 1, total + cost[i]![j]!);
      used[j] = false;
    }
  };
  rec(0, 0, 0);
  return best;
}

describe('Hungarian assignment', () => {
  // assignGated (components of the allowed pairs solved apart) too, with few and with many forbidden pairs
  const solvers = {
    assign,
    assignGated: (cost: number[][]) => assignGated(cost.length, cost[0]!.length, (i, j) => Number.isFinite(cost[i]![j]!), (i, j) => cost[i]![j]!),
  };
  it.each(Object.keys(solvers) as (keyof typeof solvers)[])('%s equals brute force on random rectangular matrices with forbidden pairs', (name) => {
    const rnd = mulberry32(5);
    for (let k = 0; k < 300; k++) {
      const r = 1 + Math.floor(rnd() * 6), c = 1 + Math.floor(rnd() * 6), forbid = k % 2 ? 0.3 : 0.75;
      const cost = Array.from({ length: r }, () => Array.from({ length: c }, () => (rnd() < forbid ? Infinity : Math.floor(rnd() * 20))));
      const pick = solvers[name](cost);
      const cols = pick.filter((j) => j >= 0);
      expect(new Set(cols).size).toBe(cols.length);
      let total = 0;
      pick.forEach((j, i) => {
        if (j >= 0) {
          expect(Number.isFinite(cost[i]![j]!)).toBe(true);
          total += cost[i]![j]!;
        }
      });
      const b = brute(cost);
      expect(cols.length).toBe(b.pairs);
      expect(total).toBeCloseTo(b.total, 9);
    }
  });
});

describe('constant-velocity Kalman filter', () => {
  it('learns the velocity of a moving point and predicts it', () => {
    const a = newAxis(10, 0.25, 16);
    for (let t = 1; t <= 30; t++) {
      predictAxis(a, 0.05);
      updateAxis(a, 10 + 3 * t, 0.25);
    }
    expect(a.v).toBeCloseTo(3, 2);
    predictAxis(a, 0.05);
    expect(a.p).toBeCloseTo(10 + 3 * 31, 1);
  });
});

const box = (frame: number, id: number, left: number): GtRow => ({ frame, id, left, top: 1, width: 10, height: 10, conf: 1, cls: 1, visibility: 1 });

describe('CLEAR MOT and IDF1', () => {
  it('perfect tracks: MOTA = IDF1 = 1', () => {
    const gt = [1, 2, 3].flatMap((f) => [box(f, 1, 1), box(f, 2, 50)]);
    const m = evaluate(gt, gt.map((g) => ({ ...g, id: g.id + 10 })), 3);
    expect([m.mota, m.idf1, m.fn, m.fp, m.idsw]).toEqual([1, 1, 0, 0, 0]);
  });
  it('an identity switch, a miss and a false positive counted as defined', () => {
    // object 1 in frames 1..4; the hypothesis is id 7 in frames 1-2 then id 8 in frames 3-4; frame 4 has a stray box
    const gt = [1, 2, 3, 4].map((f) => box(f, 1, 1)).concat([box(1, 2, 50), box(2, 2, 50)]);
    const hyp = [box(1, 7, 1), box(2, 7, 2), box(3, 8, 1), box(4, 8, 1), box(4, 9, 200), box(1, 5, 50)];
    const m = evaluate(gt, hyp, 4);
    expect(m.gt).toBe(6);
    expect(m.idsw).toBe(1);
    expect(m.switches[0]).toEqual({ frame: 3, gtId: 1, from: 7, to: 8 });
    expect(m.fn).toBe(1); // object 2 in frame 2
    expect(m.fp).toBe(1); // id 9
    expect(m.mota).toBeCloseTo(1 - 3 / 6, 12);
    // IDTP: 1↔7 or 1↔8 (2 frames) + 2↔5 (1 frame) = 3; IDF1 = 2·3 / (6 + 6)
    expect(m.idtp).toBe(3);
    expect(m.idf1).toBeCloseTo(0.5, 12);
  });
  it('MOT text round trip', () => {
    const rows = [box(1, 1, 1.25), { ...box(2, 3, 7), visibility: 0.5 }];
    expect(parseMot(formatMot(rows))).toEqual(rows);
    expect(() => parseMot('1,2,3\n', 'gt.txt')).toThrow(/gt.txt:1: expected frame,id/);
  });
});

describe('Y4M and frame folders', () => {
  const scene = makeScene({ width: 64, height: 48, frames: 3, objects: 3, seed: 2, noise: 0 });
  const frames = [0, 1, 2].map((t) => renderFrame(scene, t).image);
  it.each(['444', '420'] as const)('C%s: decodes to the frames within the conversion error', (ch) => {
    const buf = encodeY4m(frames, ch);
    const info = indexY4m(buf, 'v.y4m');
    expect(info).toMatchObject({ width: 64, height: 48, chroma: ch });
    expect(info.offsets.length).toBe(3);
    const back = decodeY4mFrame(buf, info, 1);
    let worst = 0;
    for (let i = 0; i < back.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i]! - frames[1]!.data[i]!));
    // 4:4:4 only rounds; 4:2:0 also averages chroma over 2×2 blocks (object edges)
    if (ch === '444') expect(worst).toBeLessThanOrEqual(4);
    else expect(worst).toBeGreaterThan(4);
  });
  it('refuses unsupported chroma and truncated frames, naming the frame', () => {
    const hdr = (c: string) => new TextEncoder().encode(`YUV4MPEG2 W4 H2 F30:1 C${c}\nFRAME\n`);
    expect(() => indexY4m(hdr('422'), 'v.y4m')).toThrow(/v.y4m: header: unsupported chroma format C422/);
    const ok = encodeY4m(frames, '420');
    expect(() => indexY4m(ok.subarray(0, ok.length - 10), 'v.y4m')).toThrow(/v.y4m: frame 3: truncated \(\d+ of 4608 bytes\)/);
  });
  it('a folder in name order; PPM P6 read as RGB; a frame of another size is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccl-track-'));
    try {
      mkdirSync(join(dir, 'f'));
      const f = frames[0]!;
      const ppm = new Uint8Array([...new TextEncoder().encode(`P6\n${f.width} ${f.height}\n255\n`), ...f.data]);
      writeFileSync(join(dir, 'f', 'b.ppm'), ppm);
      writeFileSync(join(dir, 'f', 'a.png'), encodePng(frames[1]!));
      const seq = openSequence(join(dir, 'f'));
      expect(seq.count).toBe(2);
      expect(Buffer.from(seq.frame(0).data).equals(Buffer.from(frames[1]!.data))).toBe(true);
      expect(Buffer.from(seq.frame(1).data).equals(Buffer.from(f.data))).toBe(true);
      writeFileSync(join(dir, 'f', 'c.pgm'), encodePgm({ width: 8, height: 8, format: 'gray8', data: new Uint8Array(64) }));
      const seq2 = openSequence(join(dir, 'f'));
      expect(() => seq2.frame(2)).toThrow(/c\.pgm: frame 3 is 8×8 but frame 1 \(a\.png\) is 64×48/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shape descriptors', () => {
  it('central moments and Hu invariants equal those computed from the pixels', () => {
    const scene = makeScene({ width: 96, height: 96, frames: 1, objects: 4, seed: 11, noise: 0, occluders: 0 });
    const img = renderFrame(scene, 0).image;
    const classes = parseClasses(sceneClassFile(scene));
    const dets = labelFrame(img, classes, trackConfig(96, 96, { cell: 1, histBins: 0, colorBits: 2 }));
    expect(dets.length).toBe(4);
    for (const d of dets) {
      // pixels of d: in its class and its box (objects of one class do not overlap at frame 0)
      const px: [number, number][] = [];
      const c = classes[d.class]!;
      for (let y = d.bbox[1]; y <= d.bbox[3]; y++) for (let x = d.bbox[0]; x <= d.bbox[2]; x++) {
        const i = 3 * (y * 96 + x);
        if ([0, 1, 2].every((k) => img.data[i + k]! >= c.lo[k]! && img.data[i + k]! <= c.hi[k]!)) px.push([x, y]);
      }
      expect(px.length).toBe(d.area);
      const n = px.length, cx = px.reduce((s, p) => s + p[0], 0) / n, cy = px.reduce((s, p) => s + p[1], 0) / n;
      const mu = (p: number, q: number) => px.reduce((s, [x, y]) => s + (x - cx) ** p * (y - cy) ** q, 0) / n ** (1 + (p + q) / 2);
      const [e20, e02, e11, e30, e03, e21, e12] = [mu(2, 0), mu(0, 2), mu(1, 1), mu(3, 0), mu(0, 3), mu(2, 1), mu(1, 2)];
      const s = shapeOf(d);
      expect(s.hu[0]).toBeCloseTo(e20 + e02, 10);
      expect(s.hu[1]).toBeCloseTo((e20 - e02) ** 2 + 4 * e11 ** 2, 10);
      expect(s.hu[2]).toBeCloseTo((e30 - 3 * e12) ** 2 + (3 * e21 - e03) ** 2, 10);
      expect(s.hu[3]).toBeCloseTo((e30 + e12) ** 2 + (e21 + e03) ** 2, 10);
    }
  });
});

/** Records and ground truth of a generated scene. */
function sceneRecords(scene: Scene): { frames: Detection[][]; gt: GtRow[] } {
  const classes = parseClasses(sceneClassFile(scene));
  const cfg = trackConfig(scene.opts.width, scene.opts.height, { cell: 4, histBins: 0, colorBits: 2 });
  const frames: Detection[][] = [];
  const gt: GtRow[] = [];
  for (let t = 0; t < scene.opts.frames; t++) {
    const f = renderFrame(scene, t);
    frames.push(labelFrame(f.image, classes, cfg));
    gt.push(...f.gt);
  }
  return { frames, gt };
}

/** Two red discs crossing head-on, a green one passing behind a gray bar. */
function crossingScene(): Scene {
  const scene = makeScene({ width: 160, height: 96, frames: 60, objects: 0, classes: 2, occluders: 0, noise: 6, seed: 4 });
  const disc = (id: number, cls: number, x0: number, y0: number, vx: number, vy: number) => ({
    id, shape: 'disc' as const, sides: 0, radius: 10, cls, label: `${scene.classes[cls]!.name}-disc`,
    motion: { kind: 'line' as const, x0, y0, vx, vy }, rot0: 0, spin: 0,
  });
  scene.objects.push(disc(1, 0, 20, 30, 2, 0.5), disc(2, 0, 140, 60, -2, -0.5), disc(3, 1, 20, 80, 2.2, 0));
  scene.occluders.push({ x0: 76, y0: 70, x1: 81, y1: 92 });
  return scene;
}

describe('tracker', () => {
  const scene = crossingScene();
  const { frames, gt } = sceneRecords(scene);

  it('keeps identities through a crossing of one colour and an occluder (MOTA, no switch, fragments united)', () => {
    // the crossing and the occluder really happen in the records: a merged blob, a split object
    expect(frames.some((f) => f.filter((d) => d.class === 0).length === 1)).toBe(true);
    expect(frames.some((f) => f.filter((d) => d.class === 1).length === 2)).toBe(true);
    const rows = trackSequence(frames);
    const m = evaluate(gt, motRows(rows), scene.opts.frames);
    expect(m.idsw).toBe(0);
    expect(new Set(rows.map((r) => r.id)).size).toBe(3);
    expect(m.mota).toBeGreaterThan(0.93); // the 2 birth frames of each object are misses: 1 − 6/180
    expect(rows.some((r) => r.status === 'merged')).toBe(true);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(trackSequence(frames))).toBe(JSON.stringify(trackSequence(frames)));
  });

  it('without assignment (every track unmatched) the same check fails', () => {
    const t = new Tracker({}, () => []);
    const rows = frames.flatMap((f) => t.step(f));
    const m = evaluate(gt, motRows(rows), scene.opts.frames);
    expect(m.mota).toBeLessThan(0.5);
  });

  it('without merge handling the crossing switches or loses identities', () => {
    const rows = trackSequence(frames, { fragMargin: -1000 });
    const m = evaluate(gt, motRows(rows), scene.opts.frames);
    expect(m.idsw > 0 || new Set(rows.map((r) => r.id)).size > 3 || m.mota < 0.93).toBe(true);
  });
});

describe('tracker: partly hidden objects', () => {
  // a disc gliding along the top edge of a long gray bar: two thirds of it hidden for ~50 frames
  const scene = makeScene({ width: 160, height: 96, frames: 70, objects: 0, classes: 1, occluders: 0, noise: 6, seed: 5 });
  scene.objects.push({
    id: 1, shape: 'disc', sides: 0, radius: 10, cls: 0, label: `${scene.classes[0]!.name}-disc`,
    motion: { kind: 'line', x0: 12, y0: 40, vx: 2, vy: 0 }, rot0: 0, spin: 0,
  });
  scene.occluders.push({ x0: 30, y0: 36, x1: 140, y1: 70 });
  const { frames, gt } = sceneRecords(scene);

  it('keep their whole box by the visible edges (edgeNoise); the visible part\'s centroid loses them', () => {
    const hidden = gt.filter((g) => g.visibility < 0.4).length;
    expect(hidden).toBeGreaterThan(40); // the occlusion really happens
    const on = evaluate(gt, motRows(trackSequence(frames)), scene.opts.frames);
    const off = evaluate(gt, motRows(trackSequence(frames, { edgeNoise: 0 })), scene.opts.frames);
    expect(on.fn).toBeLessThanOrEqual(3); // the birth frames
    expect(off.fn).toBeGreaterThan(on.fn + 10);
  });
});

/** A solid rectangle's record (class 0). */
function rect(x0: number, y0: number, x1: number, y1: number): Detection {
  let area = 0, sumX = 0, sumY = 0, sumXX = 0, sumYY = 0, sumXY = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
    area++; sumX += x; sumY += y; sumXX += x * x; sumYY += y * y; sumXY += x * y;
  }
  return { class: 0, area, sumX, sumY, sumXX, sumYY, sumXY, bbox: [x0, y0, x1, y1], cells: 1 };
}

describe('tracker: a partly hidden object touching another', () => {
  // A (rows 10..29) and B (rows 40..79) moving right side by side; from frame 12 a bar hides B's rows 53..67: its
  // top rows touch A (one record with A, its predicted centre within 8 px of that record), its bottom rows are a
  // record of their own
  const frames = Array.from({ length: 40 }, (_, t) => {
    const x = 10 + 2 * t;
    return t < 12 ? [rect(x, 10, x + 19, 29), rect(x, 40, x + 19, 79)] : [rect(x, 10, x + 19, 52), rect(x, 68, x + 19, 79)];
  });
  const trackOf = (rows: TrackRow[], id: number) => rows.filter((r) => r.id === id);

  it('is matched by its own piece, not coasting in the blob (mergeCover)', () => {
    const on = trackSequence(frames);
    expect(new Set(on.map((r) => r.id))).toEqual(new Set([1, 2]));
    const b = trackOf(on, 2);
    expect(b.length).toBe(40); // every frame: reported from its first hit (reportBirth)
    for (const r of b) expect(Math.abs(r.top - 39.5)).toBeLessThan(2); // its whole box, top at row 40
    expect(b.some((r) => r.status === 'merged')).toBe(false);
    // without the cover test B coasts in A's record, pulled up into it
    const off = trackOf(trackSequence(frames, { mergeCover: 0 }), 2);
    expect(off.filter((r) => r.status === 'merged' && Math.abs(r.top - 39.5) > 10).length).toBeGreaterThan(20);
  });
});

describe('tracker: relearning a smaller object (relearnAfter, relearnSpread)', () => {
  // born on two touching squares (one record), the track then sees one of them alone: constant area, relearned;
  // a square sliding under a static bar shows a shrinking visible part: never relearned
  const moving = (t: number) => 10 + t;
  const alone = Array.from({ length: 100 }, (_, t) => (t < 5 ? [rect(moving(t), 10, moving(t) + 39, 29)] : [rect(moving(t), 10, moving(t) + 19, 29)]));
  const cut = Array.from({ length: 100 }, (_, t) => {
    const x = 10 + 0.5 * t, hidden = Math.max(0, Math.min(15, Math.floor(x + 19) - 35));
    return [rect(Math.floor(x), 10, Math.floor(x) + 19 - hidden, 29)];
  });
  const last = (rows: TrackRow[]) => rows[rows.length - 1]!;

  it('takes a constant smaller view as the object after relearnAfter frames, not a view cut by an occluder', () => {
    const a = last(trackSequence(alone));
    expect(a.status).toBe('measured');
    expect(Math.abs(a.width - 20)).toBeLessThan(2);
    expect(last(trackSequence(alone, { relearnAfter: 0 })).status).toBe('partial');
    const c = trackSequence(cut);
    expect(c.filter((r) => r.frame > 30).every((r) => r.status === 'partial' && Math.abs(r.width - 20) < 2)).toBe(true);
    expect(last(trackSequence(cut, { relearnSpread: 100 })).status).toBe('measured'); // without the spread test it is relearned
  });
});
