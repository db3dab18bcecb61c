/**
 * Seeded test sequences for the tracker, with MOTChallenge ground truth (docs/ccl-track.md "Test sequences").
 *
 * A scene: a flat gray background; `objects` coloured shapes — discs, pie markers (a disc with a 90° wedge cut
 * out) and regular polygons (3..6 sides) — each of one of six colour classes, moving either straight (bouncing off
 * the frame's margins) or on a circle, at `speed` px/s at `fps` frames/s, rotating; static gray occluder bars in
 * front of everything; an object drawn later hides the earlier ones where they overlap. The camera adds a lighting
 * drift (a gain 1 + drift·sin(2π·t/T) over the whole sequence) and uniform integer sensor noise ±noise per channel.
 *
 * Ground truth per object and frame: the box of the object's whole (unoccluded) rendered mask, its class and its
 * visibility (visible pixels / whole-mask pixels). Everything is a pure function of (options, frame index).
 */
import type { RasterImage } from '../../image/io.js';
import { mulberry32 } from '../../util/random.js';
import type { GtRow } from './mot.js';

export type ShapeKind = 'disc' | 'pie' | 'polygon';

/** A colour class of the generated scenes: its paint colour and an RGB box with margin for drift and noise. */
export interface SceneClass {
  name: string;
  color: [number, number, number];
  rgbLo: [number, number, number];
  rgbHi: [number, number, number];
}

/** The six classes: boxes are disjoint, hold their colour under gain 0.85..1.1 and noise ±12, and exclude gray. */
export const SCENE_CLASSES: readonly SceneClass[] = [
  { name: 'red', color: [230, 40, 40], rgbLo: [150, 0, 0], rgbHi: [255, 110, 110] },
  { name: 'green', color: [40, 200, 60], rgbLo: [0, 140, 0], rgbHi: [110, 255, 120] },
  { name: 'blue', color: [50, 70, 230], rgbLo: [0, 0, 150], rgbHi: [120, 130, 255] },
  { name: 'yellow', color: [230, 220, 40], rgbLo: [150, 150, 0], rgbHi: [255, 255, 110] },
  { name: 'magenta', color: [220, 50, 220], rgbLo: [150, 0, 150], rgbHi: [255, 110, 255] },
  { name: 'cyan', color: [40, 210, 220], rgbLo: [0, 140, 150], rgbHi: [110, 255, 255] },
];

export type Motion =
  | { kind: 'line'; x0: number; y0: number; vx: number; vy: number }
  | { kind: 'orbit'; cx: number; cy: number; radius: number; omega: number; phase: number };

export interface SceneObject {
  /** Ground-truth ID (1-based). */
  id: number;
  shape: ShapeKind;
  /** Polygon sides (3..6); 0 for disc and pie. */
  sides: number;
  /** Radius (disc, pie) or circumradius (polygon), px. */
  radius: number;
  cls: number;
  /** Recognition label: class name and shape, e.g. "red-pie", "blue-hexagon". */
  label: string;
  motion: Motion;
  /** Rotation at frame 0 (rad) and per frame (rad/frame). */
  rot0: number;
  spin: number;
}

export interface Occluder {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface SeqOptions {
  width: number;
  height: number;
  frames: number;
  fps: number;
  objects: number;
  seed: number;
  /** Speed range, px/s. */
  speed: [number, number];
  /** Radius range, px. */
  radius: [number, number];
  /** Classes used (first n of SCENE_CLASSES). */
  classes: number;
  occluders: number;
  noise: number;
  drift: number;
  /** Fraction of objects on circular paths. */
  orbitFraction: number;
}

export const SEQ_DEFAULTS: SeqOptions = {
  width: 512, height: 512, frames: 1000, fps: 2000, objects: 16, seed: 1, speed: [1000, 6000], radius: [12, 20],
  classes: 6, occluders: 2, noise: 8, drift: 0.1, orbitFraction: 0.3,
};

export interface Scene {
  opts: SeqOptions;
  classes: SceneClass[];
  objects: SceneObject[];
  occluders: Occluder[];
}

const POLY_NAMES = ['', '', '', 'triangle', 'square', 'pentagon', 'hexagon'];
const BACKGROUND = 50;
const OCCLUDER = 128;
const START_GAP = 20;

/** A random path: a circle with probability orbitFraction, else a straight line (reflected at the margins). */
function drawMotion(rnd: () => number, opts: SeqOptions, m: number, speed: number): Motion {
  const { width: W, height: H } = opts;
  if (rnd() < opts.orbitFraction) {
    const maxR = Math.max(4, Math.min(W, H) / 2 - m - 2);
    const r = Math.min(maxR, 30 + rnd() * (maxR - 30));
    const cx = m + r + rnd() * Math.max(0, W - 2 * (m + r));
    const cy = m + r + rnd() * Math.max(0, H - 2 * (m + r));
    return { kind: 'orbit', cx, cy, radius: r, omega: (speed / r) * (rnd() < 0.5 ? -1 : 1), phase: rnd() * 2 * Math.PI };
  } else {
    const a = rnd() * 2 * Math.PI;
    return { kind: 'line', x0: m + rnd() * (W - 2 * m), y0: m + rnd() * (H - 2 * m), vx: speed * Math.cos(a), vy: speed * Math.sin(a) };
  }
}

/** Draw a random scene (objects, paths, occluders) from the options' seed. */
export function makeScene(partial: Partial<SeqOptions> = {}): Scene {
  const opts: SeqOptions = { ...SEQ_DEFAULTS, ...partial };
  const rnd = mulberry32(opts.seed * 7919 + 17);
  const classes = SCENE_CLASSES.slice(0, Math.max(1, Math.min(opts.classes, SCENE_CLASSES.length)));
  const { width: W, height: H } = opts;
  const occluders: Occluder[] = [];
  for (let k = 0; k < opts.occluders; k++) {
    const thick = 8 + Math.floor(rnd() * 5);
    if (k % 2 === 0) {
      const x = Math.floor(W * (0.2 + 0.6 * rnd()));
      occluders.push({ x0: x, y0: Math.floor(H * 0.1), x1: x + thick - 1, y1: Math.floor(H * 0.9) });
    } else {
      const y = Math.floor(H * (0.2 + 0.6 * rnd()));
      occluders.push({ x0: Math.floor(W * 0.1), y0: y, x1: Math.floor(W * 0.9), y1: y + thick - 1 });
    }
  }
  const objects: SceneObject[] = [];
  for (let i = 0; i < opts.objects; i++) {
    const cls = i % classes.length;
    const kindIx = (i + Math.floor(i / classes.length)) % 3;
    const shape: ShapeKind = (['disc', 'pie', 'polygon'] as const)[kindIx]!;
    const sides = shape === 'polygon' ? 3 + Math.floor(rnd() * 4) : 0;
    const radius = opts.radius[0] + rnd() * (opts.radius[1] - opts.radius[0]);
    const speed = (opts.speed[0] + rnd() * (opts.speed[1] - opts.speed[0])) / opts.fps; // px/frame
    const m = radius + 2;
    // start apart: the path whose frame-0 position leaves the most background to the other objects and the
    // occluders (stop at the first with START_GAP px everywhere)
    let motion: Motion = drawMotion(rnd, opts, m, speed);
    let bestGap = -Infinity;
    for (let tries = 0; tries < 300 && bestGap < START_GAP; tries++) {
      const cand = drawMotion(rnd, opts, m, speed);
      const [x, y] = objectCenter({ opts } as Scene, { radius, motion: cand } as SceneObject, 0);
      let gap = Infinity;
      for (const q of occluders) {
        const dx = Math.max(q.x0 - x, x - q.x1, 0), dy = Math.max(q.y0 - y, y - q.y1, 0);
        gap = Math.min(gap, Math.hypot(dx, dy) - radius);
      }
      for (const p of objects) {
        const [px, py] = objectCenter({ opts } as Scene, p, 0);
        gap = Math.min(gap, Math.hypot(px - x, py - y) - p.radius - radius);
      }
      if (gap > bestGap) {
        bestGap = gap;
        motion = cand;
      }
    }
    const name = shape === 'polygon' ? POLY_NAMES[sides]! : shape;
    objects.push({
      id: i + 1, shape, sides, radius, cls, label: `${classes[cls]!.name}-${name}`, motion,
      rot0: rnd() * 2 * Math.PI, spin: (rnd() - 0.5) * 0.1,
    });
  }
  return { opts, classes, objects, occluders };
}

/** Triangle wave: x reflected into lo..hi. */
function reflect(x: number, lo: number, hi: number): number {
  const L = hi - lo;
  if (L <= 0) return lo;
  let u = (x - lo) % (2 * L);
  if (u < 0) u += 2 * L;
  return lo + (u <= L ? u : 2 * L - u);
}

/** Centre of an object at frame t. */
export function objectCenter(s: Scene, o: SceneObject, t: number): [number, number] {
  const m = o.motion;
  if (m.kind === 'orbit') return [m.cx + m.radius * Math.cos(m.phase + m.omega * t), m.cy + m.radius * Math.sin(m.phase + m.omega * t)];
  const r = o.radius + 2;
  return [reflect(m.x0 + m.vx * t, r, s.opts.width - 1 - r), reflect(m.y0 + m.vy * t, r, s.opts.height - 1 - r)];
}

/** Is the offset (dx, dy) from the centre inside the shape rotated by rot? */
function insideShape(o: SceneObject, dx: number, dy: number, rot: number): boolean {
  const rr = dx * dx + dy * dy;
  if (rr > o.radius * o.radius) return false;
  if (o.shape === 'disc') return true;
  let a = Math.atan2(dy, dx) - rot;
  a = ((a % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  if (o.shape === 'pie') return a >= Math.PI / 2;
  const sector = (2 * Math.PI) / o.sides;
  const phi = (a % sector) - sector / 2;
  return Math.sqrt(rr) * Math.cos(phi) <= o.radius * Math.cos(Math.PI / o.sides);
}

export interface RenderedFrame {
  image: RasterImage;
  /** Ground truth, frame number 1-based (MOT). */
  gt: GtRow[];
}

/** Render frame t (0-based): the RGB image and its ground truth. */
export function renderFrame(s: Scene, t: number): RenderedFrame {
  const { width: W, height: H, noise, drift, frames } = s.opts;
  const owner = new Int16Array(W * H).fill(-1);
  const boxes: [number, number, number, number, number][] = []; // xmin, ymin, xmax, ymax, total pixels
  s.objects.forEach((o, k) => {
    const [cx, cy] = objectCenter(s, o, t);
    const rot = o.rot0 + o.spin * t;
    const x0 = Math.max(0, Math.floor(cx - o.radius)), x1 = Math.min(W - 1, Math.ceil(cx + o.radius));
    const y0 = Math.max(0, Math.floor(cy - o.radius)), y1 = Math.min(H - 1, Math.ceil(cy + o.radius));
    const b: [number, number, number, number, number] = [W, H, -1, -1, 0];
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if (!insideShape(o, x - cx, y - cy, rot)) continue;
        owner[y * W + x] = k;
        b[0] = Math.min(b[0], x);
        b[1] = Math.min(b[1], y);
        b[2] = Math.max(b[2], x);
        b[3] = Math.max(b[3], y);
        b[4]++;
      }
    }
    boxes.push(b);
  });
  for (const oc of s.occluders) {
    for (let y = Math.max(0, oc.y0); y <= Math.min(H - 1, oc.y1); y++) {
      for (let x = Math.max(0, oc.x0); x <= Math.min(W - 1, oc.x1); x++) owner[y * W + x] = -2;
    }
  }
  const gain = 1 + drift * Math.sin((2 * Math.PI * t) / Math.max(1, frames));
  const rnd = mulberry32((s.opts.seed * 1_000_003 + t * 2_654_435_761) >>> 0);
  const data = new Uint8Array(3 * W * H);
  const visible = new Array<number>(s.objects.length).fill(0);
  // the drifted colour of every owner (background −1 and occluder −2 at 0 and 1, object k at k + 2), per channel
  const lit = new Float64Array(3 * (s.objects.length + 2));
  const paint = (at: number, c: readonly number[]): void => { for (let ch = 0; ch < 3; ch++) lit[3 * at + ch] = Math.round(c[ch]! * gain); };
  paint(0, [BACKGROUND, BACKGROUND, BACKGROUND]);
  paint(1, [OCCLUDER, OCCLUDER, OCCLUDER]);
  s.objects.forEach((o, k) => paint(k + 2, s.classes[o.cls]!.color));
  const span = 2 * noise + 1;
  for (let i = 0; i < W * H; i++) {
    const k = owner[i]!;
    if (k >= 0) visible[k]!++;
    const at = 3 * (k >= 0 ? k + 2 : k === -2 ? 1 : 0);
    for (let ch = 0; ch < 3; ch++) {
      const n = noise > 0 ? Math.floor(rnd() * span) - noise : 0;
      const v = lit[at + ch]! + n;
      data[3 * i + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  const gt: GtRow[] = [];
  s.objects.forEach((o, k) => {
    const b = boxes[k]!;
    if (b[4] === 0) return;
    gt.push({
      frame: t + 1, id: o.id, left: b[0] + 1, top: b[1] + 1, width: b[2] - b[0] + 1, height: b[3] - b[1] + 1,
      conf: 1, cls: o.cls + 1, visibility: Math.round((visible[k]! / b[4]) * 1000) / 1000,
    });
  });
  return { image: { width: W, height: H, format: 'rgb24', data }, gt };
}

/** The class file of a scene (`--classes`): RGB boxes in class order. */
export function sceneClassFile(s: Scene): { classes: { name: string; rgbLo: number[]; rgbHi: number[] }[] } {
  return { classes: s.classes.map((c) => ({ name: c.name, rgbLo: [...c.rgbLo], rgbHi: [...c.rgbHi] })) };
}

/** Labels file of a scene (`ccl templates --labels`): ground-truth ID → recognition label. */
export function sceneLabels(s: Scene): Record<string, string> {
  return Object.fromEntries(s.objects.map((o) => [String(o.id), o.label]));
}
