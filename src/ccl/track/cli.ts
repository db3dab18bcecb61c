/**
 * `accelforge ccl track <frames-dir | video.y4m> --classes classes.json [--cell C] [--templates t.json]
 *      [--rtl [--ppc P]] --mot out.txt [--json out.json] [--html out.html]`
 * `accelforge ccl templates <frames-dir | video.y4m> --classes classes.json --labels labels.json -o t.json [--cell C]`
 * `accelforge ccl seqgen -o DIR [--frames N] [--seed S] [--objects K] [--size WxH] [--y4m]`   (test sequences)
 * Everything is computed before the first output is written; each output is written atomically.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseOptions } from '../../util/cli.js';
import { CELL_SIZES, type CellSize } from '../config.js';
import { readClasses, parseClasses, type ColorClass } from '../classes.js';
import { encodePng } from '../../image/io.js';
import { UserError, fail } from '../../util/errors.js';
import { writeDirAtomic, writeFileAtomic } from '../../util/fsx.js';
import { openSequence } from './frames.js';
import { trajectoryPage } from './html.js';
import { byFrame, formatMot, iou, parseMot } from './mot.js';
import { motRows, recordSequence, trackRecords, type RecordOptions } from './pipeline.js';
import { learnTemplates, readTemplates, sampleOf } from './recognize.js';
import { makeScene, renderFrame, sceneClassFile, sceneLabels } from './seqgen.js';
import { encodeY4m } from './y4m.js';
import type { GtRow } from './mot.js';

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
type Values = Record<string, string | boolean | undefined>;

function parse(cmd: string, argv: string[], options: Spec): { values: Values; positionals: string[] } {
  const r = parseOptions(`ccl ${cmd}`, argv, options);
  return { values: r.values as Values, positionals: r.positionals };
}

function intOpt(name: string, v: string | undefined, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim()) || Number(v) < lo || Number(v) > hi) fail(`--${name}`, `must be an integer in ${lo}..${hi}, got '${v}'`);
  return Number(v);
}

function cellOpt(v: string | undefined): CellSize {
  const c = intOpt('cell', v, 8, 1, 16);
  if (!(CELL_SIZES as readonly number[]).includes(c)) fail('--cell', `must be one of ${CELL_SIZES.join(', ')}, got ${c}`);
  return c as CellSize;
}

function one(cmd: string, positionals: string[]): string {
  if (positionals.length !== 1) fail('input', `give one folder of frames or one .y4m file to 'ccl ${cmd}', got ${positionals.length}`);
  return positionals[0]!;
}

function need(name: string, v: string | undefined): string {
  if (v === undefined) fail(`--${name}`, 'missing (required)');
  return v;
}

const TRACK_USAGE = `usage: accelforge ccl track <frames-dir | video.y4m> --classes classes.json [--cell C (default 8)]
         [--templates t.json] [--rtl [--ppc P (default 1)]] --mot out.txt [--json out.json] [--html out.html]`;

export async function runTrack(argv: string[]): Promise<void> {
  const { values, positionals } = parse('track', argv, {
    classes: { type: 'string' }, cell: { type: 'string' }, templates: { type: 'string' }, rtl: { type: 'boolean' },
    ppc: { type: 'string' }, mot: { type: 'string' }, json: { type: 'string' }, html: { type: 'string' },
  });
  if (values.help) return void process.stdout.write(TRACK_USAGE + '\n');
  const src = one('track', positionals);
  const classes = readClasses(need('classes', values.classes as string | undefined));
  const mot = need('mot', values.mot as string | undefined);
  const cell = cellOpt(values.cell as string | undefined);
  if (values.ppc !== undefined && !values.rtl) fail('--ppc', 'only applies with --rtl');
  const lib = values.templates ? readTemplates(values.templates as string) : null;
  const opts: RecordOptions = { cell };
  if (values.rtl) opts.rtl = { ppc: intOpt('ppc', values.ppc as string | undefined, 1, 1, 64) };
  const seq = openSequence(src);
  const rec = await recordSequence(seq, classes, opts);
  const res = trackRecords(rec, lib);
  const labeler = values.rtl ? `the simulated core (Verilator, P = ${opts.rtl!.ppc})` : 'the golden model';
  const outputs: [string, string][] = [[mot, formatMot(motRows(res.rows))]];
  if (values.json) {
    const json = { source: src, width: rec.width, height: rec.height, frames: rec.frames.length, cell, labeler, classes: rec.classes, params: res.params, tracks: res.tracks, records: rec };
    outputs.push([values.json as string, JSON.stringify(json) + '\n']);
  }
  if (values.html) {
    outputs.push([values.html as string, trajectoryPage({ source: src, frames: rec.frames.length, cell, labeler, first: seq.frame(0), tracks: res.tracks })]);
  }
  for (const [p, text] of outputs) await writeFileAtomic(p, text);
  process.stdout.write(`${rec.frames.length} frames, ${res.tracks.length} tracks (${labeler}) → ${outputs.map((o) => o[0]).join(', ')}\n`);
  for (const t of res.tracks) process.stdout.write(`  #${t.id} ${t.class} ${t.label} frames ${t.first}–${t.last}\n`);
}

/**
 * Labels file of `ccl templates`: {"gt": "gt.txt", "labels": {"<id>": "<label>", …}} — gt is a MOTChallenge
 * ground-truth file (path relative to the labels file; class column = class index + 1, visibility optional) and
 * labels names the object of each ground-truth ID. A record is a training sample of its object when the box of
 * the object's ground truth in that frame (visibility ≥ 0.95 when given) overlaps it with IoU ≥ 0.7, same class.
 */
function readLabels(path: string): { gt: GtRow[]; labels: Map<number, string> } {
  let json: { gt?: unknown; labels?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (e) {
    throw new UserError(`${path}: cannot read the labels file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof json.gt !== 'string') fail(`${path}.gt`, 'must be the path of a MOTChallenge ground-truth file');
  if (!json.labels || typeof json.labels !== 'object') fail(`${path}.labels`, 'must map ground-truth IDs to labels, e.g. {"1": "red-disc"}');
  const labels = new Map<number, string>();
  for (const [k, v] of Object.entries(json.labels as Record<string, unknown>)) {
    if (!/^\d+$/.test(k) || typeof v !== 'string' || v === '') fail(`${path}.labels.${k}`, 'keys must be integer IDs and values non-empty labels');
    labels.set(Number(k), v);
  }
  const gtPath = resolve(dirname(path), json.gt);
  let text: string;
  try {
    text = readFileSync(gtPath, 'utf8');
  } catch {
    throw new UserError(`${path}.gt: cannot read ${gtPath}`);
  }
  return { gt: parseMot(text, gtPath), labels };
}

export async function runTemplates(argv: string[]): Promise<void> {
  const { values, positionals } = parse('templates', argv, {
    classes: { type: 'string' }, labels: { type: 'string' }, output: { type: 'string', short: 'o' }, cell: { type: 'string' },
  });
  if (values.help) return void process.stdout.write('usage: accelforge ccl templates <frames-dir | video.y4m> --classes c.json --labels labels.json -o t.json [--cell C]\n');
  const src = one('templates', positionals);
  const classes: ColorClass[] = readClasses(need('classes', values.classes as string | undefined));
  const { gt, labels } = readLabels(need('labels', values.labels as string | undefined));
  const out = need('output', values.output as string | undefined);
  const seq = openSequence(src);
  const rec = await recordSequence(seq, classes, { cell: cellOpt(values.cell as string | undefined) });
  const gtF = byFrame(gt, rec.frames.length);
  const samples: { label: string; className: string; sample: ReturnType<typeof sampleOf> }[] = [];
  rec.frames.forEach((dets, f) => {
    for (const g of gtF[f]!) {
      const label = labels.get(g.id);
      if (label === undefined || (g.visibility >= 0 && g.visibility < 0.95)) continue;
      const k = g.cls - 1;
      let best = null, bestIou = 0.7;
      for (const d of dets) {
        if (d.class !== k) continue;
        const o = iou(g, { left: d.bbox[0] + 1, top: d.bbox[1] + 1, width: d.bbox[2] - d.bbox[0] + 1, height: d.bbox[3] - d.bbox[1] + 1 });
        if (o >= bestIou) [best, bestIou] = [d, o];
      }
      if (best && classes[k]) samples.push({ label, className: classes[k]!.name, sample: sampleOf(best) });
    }
  });
  const lib = learnTemplates(samples);
  await writeFileAtomic(out, JSON.stringify(lib, null, 1) + '\n');
  process.stdout.write(`${lib.templates.length} templates from ${samples.length} records (reject distance ${lib.reject.toFixed(3)}) → ${out}\n`);
}

export async function runSeqgen(argv: string[]): Promise<void> {
  const { values } = parse('seqgen', argv, {
    output: { type: 'string', short: 'o' }, frames: { type: 'string' }, seed: { type: 'string' }, objects: { type: 'string' },
    size: { type: 'string' }, y4m: { type: 'boolean' },
  });
  if (values.help) return void process.stdout.write('usage: accelforge ccl seqgen -o DIR [--frames N (100)] [--seed S (1)] [--objects K (16)] [--size WxH (512x512)] [--y4m]\n');
  const out = need('output', values.output as string | undefined);
  const size = (values.size as string | undefined) ?? '512x512';
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m || Number(m[1]) < 64 || Number(m[2]) < 64 || Number(m[1]) > 2048 || Number(m[2]) > 2048) fail('--size', `must be WxH with 64 ≤ W, H ≤ 2048, got '${size}'`);
  const scene = makeScene({
    width: Number(m[1]), height: Number(m[2]), frames: intOpt('frames', values.frames as string | undefined, 100, 1, 100000),
    seed: intOpt('seed', values.seed as string | undefined, 1, 0, 2 ** 31), objects: intOpt('objects', values.objects as string | undefined, 16, 1, 64),
  });
  parseClasses(sceneClassFile(scene));
  await writeDirAtomic(out, async (dir) => {
    const gt: GtRow[] = [];
    const images = [];
    const { writeFile, mkdir } = await import('node:fs/promises');
    if (!values.y4m) await mkdir(join(dir, 'frames'));
    for (let t = 0; t < scene.opts.frames; t++) {
      const f = renderFrame(scene, t);
      gt.push(...f.gt);
      if (values.y4m) images.push(f.image);
      else await writeFile(join(dir, 'frames', `${String(t + 1).padStart(6, '0')}.png`), encodePng(f.image));
    }
    if (values.y4m) await writeFile(join(dir, 'video.y4m'), encodeY4m(images, '444', scene.opts.fps));
    await writeFile(join(dir, 'gt.txt'), formatMot(gt));
    await writeFile(join(dir, 'classes.json'), JSON.stringify(sceneClassFile(scene), null, 1) + '\n');
    await writeFile(join(dir, 'labels.json'), JSON.stringify({ gt: 'gt.txt', labels: sceneLabels(scene) }, null, 1) + '\n');
  });
  process.stdout.write(`${scene.opts.frames} frames, ${scene.objects.length} objects → ${out}\n`);
}
