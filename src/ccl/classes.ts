/**
 * Colour classes: K = 1..8 classes, each an inclusive box in RGB or in HSV, shared by the golden model and the RTL
 * pixel classifier (src/ccl/rtl). A pixel may belong to several classes; `classMask` gives one byte per pixel with
 * bit k set when the pixel is in class k. `labelClasses` labels every class channel with the cell-partitioned golden
 * model (golden.ts) and tags each record with its class.
 *
 * Class file (`--classes classes.json`):
 *   {"classes": [{"name": "red", "rgbLo": [r, g, b], "rgbHi": [r, g, b]},
 *                {"name": "blue", "hsvLo": [h, s, v], "hsvHi": [h, s, v]}, …]}
 *
 * HSV convention (integers, `rgbToHsv`): V = max(R, G, B) in 0..255; S = ⌊255·(max − min) / max⌋ in 0..255 (0 when
 * max = 0); H in degrees 0..359: with d = max − min, H = 0 when d = 0, else by the largest channel (ties: R before G
 * before B) H = (360 + ⌊60·(G − B) / d⌋) mod 360 for R, 120 + ⌊60·(B − R) / d⌋ for G, 240 + ⌊60·(R − G) / d⌋ for B
 * (⌊⌋ rounds toward −∞). A hue range with hsvLo[0] > hsvHi[0] wraps through 0 (red: [340, …] .. [20, …] holds
 * 340..359 and 0..20); S and V ranges must not be inverted, nor any RGB range.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CclConfig } from './config.js';
import { validateCclConfig } from './config.js';
import type { CclObject } from './features.js';
import type { CclResult } from './golden.js';
import { labelMaskDetailed, objectJson } from './golden.js';
import type { RasterImage } from '../image/format.js';
import { fail, UserError } from '../util/errors.js';

export const MAX_CLASSES = 8;

export type Triple = [number, number, number];

/** One colour class: an inclusive box in RGB, or in HSV (hue may wrap). */
export interface ColorClass {
  name: string;
  space: 'rgb' | 'hsv';
  lo: Triple;
  hi: Triple;
}

const channel = z.number().int().min(0).max(255);
const hue = z.number().int().min(0).max(359);
const rgbTriple = z.tuple([channel, channel, channel]);
const hsvTriple = z.tuple([hue, channel, channel]);
const classSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must be a name of letters, digits, _ or - (not starting with a digit)'),
    rgbLo: rgbTriple.optional(),
    rgbHi: rgbTriple.optional(),
    hsvLo: hsvTriple.optional(),
    hsvHi: hsvTriple.optional(),
  })
  .strict();
const fileSchema = z.object({ classes: z.array(classSchema) }).strict();

function zodLine(where: string, err: z.ZodError): never {
  const issue = err.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new UserError(`${where}${path}: ${issue.message}`);
}

/** Validate a parsed class file (object); `where` names the file in errors. Returns the K classes in file order. */
export function parseClasses(json: unknown, where = 'classes'): ColorClass[] {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) zodLine(where, parsed.error);
  const list = parsed.data.classes;
  if (list.length < 1 || list.length > MAX_CLASSES) {
    fail(`${where}.classes`, `must list 1..${MAX_CLASSES} classes, got ${list.length}`);
  }
  const names = new Set<string>();
  return list.map((c, k) => {
    const at = `${where}.classes[${k}]`;
    if (names.has(c.name)) fail(`${at}.name`, `'${c.name}' is used twice; class names must be unique`);
    names.add(c.name);
    const rgb = c.rgbLo !== undefined || c.rgbHi !== undefined;
    const hsv = c.hsvLo !== undefined || c.hsvHi !== undefined;
    if (rgb && hsv) fail(at, 'give either rgbLo/rgbHi or hsvLo/hsvHi, not both');
    if (!rgb && !hsv) fail(at, 'empty class: give rgbLo and rgbHi (or hsvLo and hsvHi)');
    const p = rgb ? 'rgb' : 'hsv';
    const lo = rgb ? c.rgbLo : c.hsvLo, hi = rgb ? c.rgbHi : c.hsvHi;
    if (!lo) fail(`${at}.${p}Lo`, `missing; ${p}Hi is given, give both bounds`);
    if (!hi) fail(`${at}.${p}Hi`, `missing; ${p}Lo is given, give both bounds`);
    for (let i = rgb ? 0 : 1; i < 3; i++) {
      if (lo[i]! > hi[i]!) {
        fail(`${at}.${p}Lo[${i}]`, `${lo[i]} > ${p}Hi[${i}] = ${hi[i]}: inverted (empty) range; swap the bounds`);
      }
    }
    return { name: c.name, space: p, lo: [...lo] as Triple, hi: [...hi] as Triple };
  });
}

/** Read and validate a class file. */
export function readClasses(path: string): ColorClass[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read the class file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseClasses(json, path);
}

/** Integer HSV of an RGB pixel (convention in the header): [H 0..359, S 0..255, V 0..255]. */
export function rgbToHsv(r: number, g: number, b: number): Triple {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  const s = max === 0 ? 0 : Math.floor((255 * d) / max);
  let h = 0;
  if (d > 0) {
    if (max === r) h = (360 + Math.floor((60 * (g - b)) / d)) % 360;
    else if (max === g) h = 120 + Math.floor((60 * (b - r)) / d);
    else h = 240 + Math.floor((60 * (r - g)) / d);
  }
  return [h, s, max];
}

/** Is the RGB pixel in class c? */
export function inClass(c: ColorClass, r: number, g: number, b: number): boolean {
  const v: Triple = c.space === 'rgb' ? [r, g, b] : rgbToHsv(r, g, b);
  for (let i = 0; i < 3; i++) {
    const wraps = c.space === 'hsv' && i === 0 && c.lo[0] > c.hi[0];
    const ok = wraps ? v[0] >= c.lo[0] || v[0] <= c.hi[0] : v[i]! >= c.lo[i]! && v[i]! <= c.hi[i]!;
    if (!ok) return false;
  }
  return true;
}

/** One byte per pixel, bit k set when the pixel is in class k. rgb24 images (gray8 is read as R = G = B). */
export function classMask(image: RasterImage, classes: readonly ColorClass[]): Uint8Array {
  if (image.format === 'binary') fail('image', 'colour classes need an rgb24 (or gray8) image, got a binary one');
  const n = image.width * image.height;
  const rgb = image.format === 'rgb24';
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = image.data[rgb ? 3 * i : i]!, g = image.data[rgb ? 3 * i + 1 : i]!, b = image.data[rgb ? 3 * i + 2 : i]!;
    let m = 0;
    for (let k = 0; k < classes.length; k++) if (inClass(classes[k]!, r, g, b)) m |= 1 << k;
    out[i] = m;
  }
  return out;
}

/** An object record of one class channel. */
export interface CclClassObject extends CclObject {
  /** Class index k (0-based, class file order). */
  class: number;
  /** Class name. */
  className: string;
}

/** The multi-class result: every class channel's objects, class by class, each class in golden order. */
export interface CclClassResult {
  width: number;
  height: number;
  cell: number;
  /** Any class channel overflowed. */
  overflow: boolean;
  /** classOverflow[k]: class k's channel overflowed (its records of this frame are undefined, docs/ccl.md). */
  classOverflow: boolean[];
  objects: CclClassObject[];
  /** Raster index of each object's first foreground pixel (parallel to objects). */
  firstPixel: number[];
}

/**
 * Golden multi-class labeling: each class k labels its own mask (bit k of classMask) with the cell-partitioned
 * model of golden.ts under `cfg` (pixelFormat rgb24; the gray histogram uses luma, the colour histogram RGB).
 * `classMaskOf`: the class mask of every pixel from another classifier (classes-lut.ts `lutClassMask`).
 */
export function labelClasses(image: RasterImage, cfgIn: CclConfig, classes: readonly ColorClass[], classMaskOf?: Uint8Array): CclClassResult {
  const cfg = validateCclConfig(cfgIn);
  if (cfg.pixelFormat !== 'rgb24' || image.format !== 'rgb24') {
    fail('pixelFormat', `colour classes label rgb24 images (configuration ${cfg.pixelFormat}, image ${image.format})`);
  }
  if (image.width !== cfg.width || image.height !== cfg.height) {
    fail('image', `is ${image.width}×${image.height} but the configuration is ${cfg.width}×${cfg.height}; use a matching size`);
  }
  const mask = classMaskOf ?? classMask(image, classes);
  const out: CclClassResult = { width: cfg.width, height: cfg.height, cell: cfg.cell, overflow: false, classOverflow: [], objects: [], firstPixel: [] };
  classes.forEach((c, k) => {
    const d = labelMaskDetailed(image, cfg, mask, k);
    out.classOverflow.push(d.result.overflow);
    out.overflow ||= d.result.overflow;
    d.result.objects.forEach((o, j) => {
      out.objects.push({ class: k, className: c.name, ...o });
      out.firstPixel.push(d.firstPixel[j]!);
    });
  });
  return out;
}

/** The objects of class k as a single-class CclResult (to compare one channel with golden.ts `diffResults`). */
export function classChannel(result: CclClassResult, k: number): CclResult {
  const objects = result.objects.filter((o) => o.class === k).map(({ class: _c, className: _n, ...o }) => o);
  return { width: result.width, height: result.height, cell: result.cell, overflow: result.classOverflow[k]!, objects };
}

/** One line of JSON: like golden.ts `resultToJson`, with classOverflow and each object's class and className first. */
export function classResultToJson(result: CclClassResult): string {
  const objects = result.objects.map((o, i) => ({
    class: o.class,
    className: o.className,
    ...objectJson(o),
    first: result.firstPixel[i],
  }));
  const { width, height, cell, overflow, classOverflow } = result;
  return JSON.stringify({ width, height, cell, overflow, classOverflow, objects });
}
