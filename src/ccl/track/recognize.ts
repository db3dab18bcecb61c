/**
 * Recognition: nearest template with a reject threshold (docs/ccl-track.md "Recognition").
 *
 * A template library (`ccl templates -o t.json`) holds per label: its colour class, the mean feature vector
 * (shape.ts `featureVector`) and the mean normalised colour histogram of its training records; and for the library:
 * one scale per feature (the pooled within-label standard deviation), the colour weight and the reject distance.
 * distance(x, T) = √(mean_k ((x_k − T_k) / s_k)²) + colourWeight · dB(hist, T.hist) for templates of x's class
 * (∞ for others); the label is the nearest template's, or "unknown" when that distance exceeds `reject`.
 * The reject distance learned is 1.5 × the 99th percentile of the training records' distances to their own label.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../../util/errors.js';
import { histOf, type Detection } from './records.js';
import { FEATURE_NAMES, featureVector } from './shape.js';
import { bhattacharyya } from './tracker.js';

export interface Template {
  label: string;
  /** Colour class name. */
  class: string;
  /** Training records. */
  n: number;
  mean: number[];
  hist: number[] | null;
}

export interface TemplateLibrary {
  version: 1;
  features: string[];
  scale: number[];
  colorWeight: number;
  reject: number;
  templates: Template[];
}

export const UNKNOWN = 'unknown';

/** A record's features and normalised histogram. */
export interface Sample {
  x: number[];
  hist: number[] | null;
}

export function sampleOf(d: Detection): Sample {
  const h = histOf(d);
  let s = 0;
  if (h) for (const v of h) s += v;
  return { x: featureVector(d), hist: h && s > 0 ? h.map((v) => v / s) : null };
}

/** Mean of several samples (features and histograms averaged). */
export function meanSample(samples: readonly Sample[]): Sample {
  const k = samples[0]!.x.length;
  const x = new Array<number>(k).fill(0);
  let hist: number[] | null = null;
  let nh = 0;
  for (const s of samples) {
    for (let i = 0; i < k; i++) x[i] = x[i]! + s.x[i]! / samples.length;
    if (s.hist) {
      hist = hist ?? new Array<number>(s.hist.length).fill(0);
      for (let i = 0; i < s.hist.length; i++) hist[i] = hist[i]! + s.hist[i]!;
      nh++;
    }
  }
  return { x, hist: hist ? hist.map((v) => v / nh) : null };
}

export function distance(lib: TemplateLibrary, s: Sample, t: Template): number {
  let sum = 0;
  for (let i = 0; i < s.x.length; i++) {
    const e = (s.x[i]! - t.mean[i]!) / lib.scale[i]!;
    sum += e * e;
  }
  return Math.sqrt(sum / s.x.length) + lib.colorWeight * bhattacharyya(s.hist, t.hist);
}

/** Nearest template of the class; UNKNOWN beyond the reject distance or when the class has no template. */
export function recognize(lib: TemplateLibrary, s: Sample, className: string): { label: string; distance: number } {
  let best: Template | null = null, bestD = Infinity;
  for (const t of lib.templates) {
    if (t.class !== className) continue;
    const d = distance(lib, s, t);
    if (d < bestD) {
      best = t;
      bestD = d;
    }
  }
  if (!best || bestD > lib.reject) return { label: UNKNOWN, distance: bestD };
  return { label: best.label, distance: bestD };
}

/** Learn a library from labelled samples. */
export function learnTemplates(samples: readonly { label: string; className: string; sample: Sample }[], colorWeight = 1): TemplateLibrary {
  if (samples.length === 0) throw new UserError('templates: no labelled record matched the ground truth; check --labels and --classes');
  const byLabel = new Map<string, { className: string; list: Sample[] }>();
  for (const s of samples) {
    const e = byLabel.get(s.label) ?? { className: s.className, list: [] };
    if (e.className !== s.className) throw new UserError(`labels: label '${s.label}' is used for classes ${e.className} and ${s.className}; give each label one colour class`);
    e.list.push(s.sample);
    byLabel.set(s.label, e);
  }
  const labels = [...byLabel.keys()].sort();
  const templates: Template[] = labels.map((label) => {
    const e = byLabel.get(label)!;
    const m = meanSample(e.list);
    return { label, class: e.className, n: e.list.length, mean: m.x, hist: m.hist };
  });
  const k = templates[0]!.mean.length;
  const scale = new Array<number>(k).fill(0);
  for (const s of samples) {
    const t = templates[labels.indexOf(s.label)]!;
    for (let i = 0; i < k; i++) scale[i] = scale[i]! + (s.sample.x[i]! - t.mean[i]!) ** 2;
  }
  for (let i = 0; i < k; i++) scale[i] = Math.max(Math.sqrt(scale[i]! / samples.length), 1e-6);
  const lib: TemplateLibrary = { version: 1, features: [...FEATURE_NAMES], scale, colorWeight, reject: Infinity, templates };
  const own = samples.map((s) => distance(lib, s.sample, templates[labels.indexOf(s.label)]!)).sort((a, b) => a - b);
  lib.reject = 1.5 * own[Math.min(own.length - 1, Math.floor(0.99 * own.length))]!;
  return lib;
}

const libSchema = z.object({
  version: z.literal(1),
  features: z.array(z.string()),
  scale: z.array(z.number().positive()),
  colorWeight: z.number().min(0),
  reject: z.number().positive(),
  templates: z.array(z.object({
    label: z.string().min(1), class: z.string().min(1), n: z.number().int().min(1), mean: z.array(z.number()),
    hist: z.array(z.number()).nullable(),
  }).strict()).min(1),
}).strict();

/** Read and check a template library. */
export function readTemplates(path: string): TemplateLibrary {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read the template library (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const r = libSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UserError(`${path}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`);
  }
  const lib = r.data as TemplateLibrary;
  if (lib.features.join() !== FEATURE_NAMES.join()) throw new UserError(`${path}.features: expected [${FEATURE_NAMES.join(', ')}]; relearn it with 'ccl templates'`);
  lib.templates.forEach((t, i) => {
    if (t.mean.length !== lib.features.length) throw new UserError(`${path}.templates[${i}].mean: needs ${lib.features.length} values`);
  });
  return lib;
}
