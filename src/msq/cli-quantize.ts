/**
 * `accelforge quantize model.onnx --board xc7z020 [--scheme msq|fixed|sp2] [--rule output|variance|error|random]
 *                     [--calib <folder> | --calib mnist | --calib none | --calib generate] [--calib-n N] [--percentile P] -o model.q.json`
 *
 * ONNX → FloatModel (onnx.ts) → activation ranges (calib.ts) → QuantModel (ptq.ts) → JSON, written atomically
 * (nothing is written on any error). Weights that already lie exactly on a scheme's levels (a QAT model) keep
 * exactly those codes. See docs/quantize.md.
 */
import { parseCommand } from '../util/cli.js';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { loadBoard } from '../board/index.js';
import { calibrateFromSamples, DEFAULT_PERCENTILE, loadCalibFolder } from './calib.js';
import { dataFreeCalibration } from './datafree/ranges.js';
import { checkImageShape, DATASET_NAMES, imageToFloat, isIdxPath, loadCalibSet } from '../data/datasets.js';
import { loadOnnx, type OnnxImport } from './onnx.js';
import { quantizeFloatModelWithReport, tensorActBits, type PtqOptions, type PtqReport, type Range } from './ptq.js';
import { floatShapes } from './float.js';
import { InputStatsCollector, type LayerInputStats } from './fit.js';
import type { ClipMethod } from './clip.js';
import { CLIP_METHODS } from './clip.js';
import type { FloatModel } from './model.js';
import type { QuantModel } from './model.js';
import type { SchemeRule } from './scheme.js';
import { channelMaxima, clePairs, equalize, type CleMode } from './cle.js';
import { runFloat } from './float.js';
import { isVitModel, quantizeVitCommand } from './vit/cli-quantize.js';
import { DEFAULT_GENERATE_N, generatedCalib, generatedDir } from './datafree/cli.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from './golden.js';

export type SchemeChoice = 'msq' | 'fixed' | 'sp2';
/** `set`: a data-set name (mnist, fashion-mnist) or an IDX image file (src/data/datasets.ts) */
export type CalibChoice = { kind: 'none' } | { kind: 'set'; spec: string; n: number } | { kind: 'folder'; path: string; n?: number }
  /** `--calib generate`: images optimized to the BatchNorm statistics (src/msq/datafree), written to `dir` */
  | { kind: 'generate'; n: number; dir?: string; steps?: number };

export interface QuantizeOptions {
  board: string;
  scheme: SchemeChoice;
  /** rule for --scheme msq */
  rule: RuleChoice;
  calib: CalibChoice;
  percentile?: number;
  /** activation clipping search (default mse) */
  clip?: ClipMethod;
  /** weights fitted layer by layer to the output on the already-quantized input (default, needs calibration data; seqfit.ts), to the output on the float input, or to their own MSE */
  weightFit?: WeightFit;
  /** inner-layer bits (--weight-bits / --act-bits) and per-layer overrides (--layer-bits) */
  bits?: BitsConfig;
  /** keep weights that already lie on a scheme's levels with exactly those codes (default true) */
  detectLevels?: boolean;
  /** cross-layer equalization before calibration (cle.ts; default auto with data, weights data-free) */
  cle?: CleChoice;
  /** seed of --rule random */
  seed?: number;
}

export const DEFAULT_CALIB_N = 500;
export type WeightFit = 'sequential' | 'output' | 'mse';
export const WEIGHT_FITS: readonly WeightFit[] = ['sequential', 'output', 'mse'];
/** cross-layer equalization by default (measured on the zoo, docs/quantize.md) */
/** `--cle` choices: a mode, or `auto` (the default with data: the mode whose quantized model best matches the float logits on the calibration images) */
export type CleChoice = CleMode | 'auto';
export const CLE_CHOICES: readonly CleChoice[] = ['auto', 'off', 'weights', 'act'];
/** data-free default (measured on the zoo, docs/quantize.md): the paper's weight equalization */
export const DEFAULT_CLE_DATA_FREE: CleMode = 'weights';
export type RuleChoice = 'output' | 'variance' | 'error' | 'random';
export const RULES: readonly RuleChoice[] = ['output', 'variance', 'error', 'random'];

export interface BitsConfig {
  weightBits?: number;
  actBits?: number;
  /** per layer; `rule` (optional) overrides the scheme rule of that layer (set by --bits auto) */
  byName?: Record<string, { weightBits: number; actBits: number; rule?: SchemeRule }>;
}

/** The ptq rule for a --scheme / --rule pair. */
export function ptqRule(scheme: SchemeChoice, rule: RuleChoice): SchemeRule {
  return scheme === 'msq' ? rule : scheme;
}

/** The bit configuration as ptq options (layer names checked against the model). */
export function bitsOptions(fm: FloatModel, bits: BitsConfig | undefined): Pick<PtqOptions, 'inner' | 'byName'> {
  if (!bits) return {};
  const names = new Set(fm.layers.map((l) => l.name));
  for (const n of Object.keys(bits.byName ?? {})) {
    if (!names.has(n)) fail('--layer-bits', `no layer '${n}' in the model (layers: ${[...names].slice(0, 12).join(', ')}${names.size > 12 ? ', …' : ''})`);
  }
  return { inner: { weightBits: bits.weightBits, actBits: bits.actBits }, byName: bits.byName };
}

/** Parse a bit width 2..8; the error names the option (and the layer). */
export function parseBits(v: string, field: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 2 || x > 8) fail(field, `bits must be an integer 2..8, got '${v}'`);
  return x;
}

/** --layer-bits NAME=W/A (repeatable) */
export function parseLayerBits(list: string[]): Record<string, { weightBits: number; actBits: number }> {
  const out: Record<string, { weightBits: number; actBits: number }> = {};
  for (const item of list) {
    const m = /^(.+)=([^/]+)\/([^/]+)$/.exec(item);
    if (!m) fail('--layer-bits', `expected NAME=W/A (e.g. conv2=4/4), got '${item}'`);
    out[m[1]!] = { weightBits: parseBits(m[2]!, `--layer-bits ${m[1]}`), actBits: parseBits(m[3]!, `--layer-bits ${m[1]}`) };
  }
  return out;
}

export interface Calibration {
  ranges: Map<string, Range>;
  method: string;
  /** per weighted layer input statistics (data calibration only) */
  stats?: Map<string, LayerInputStats>;
  /** the calibration inputs (data calibration only; for the sequential fit) */
  samples?: ArrayLike<number>[];
  /** the model the ranges belong to, when cross-layer equalization changed it */
  model?: FloatModel;
}

/** Images used to measure per-channel activation maxima for `--cle act`. */
const CLE_SAMPLES = 64;

/** Cross-layer equalization of the imported model (cle.ts); `samples` give `act` its channel maxima. */
function equalizeImport(imp: OnnxImport, mode: CleMode, samples?: ArrayLike<number>[]): { fm: FloatModel; bnStats: OnnxImport['bnStats']; note: string } {
  if (mode === 'off') return { fm: imp.model, bnStats: imp.bnStats, note: '' };
  let actMax: Map<string, Float64Array> | undefined;
  if (mode === 'act' && samples) {
    const shapes = floatShapes(imp.model);
    const names = new Set(clePairs(imp.model, imp.rangeHints).map((p) => p.tensor));
    const runs = samples.slice(0, CLE_SAMPLES).map((s) => runFloat(imp.model, s, { keepAll: true, shapes }).tensors!);
    actMax = channelMaxima(runs, shapes, names);
  }
  const r = equalize(imp.model, mode, { actMax, bnStats: imp.bnStats, hints: imp.rangeHints });
  return { fm: r.model, bnStats: r.bnStats, note: r.pairs.length ? `; CLE (${mode}) on ${r.pairs.length} layer pairs` : '' };
}

/** Activation ranges (and layer input statistics, from data) for an imported model. */
export async function calibrate(
  imp: OnnxImport,
  calib: CalibChoice,
  percentile?: number,
  o: { clip?: ClipMethod; bits?: BitsConfig; cle?: CleChoice; board?: string } = {},
): Promise<Calibration> {
  if (calib.kind === 'none') {
    const cle = o.cle === undefined || o.cle === 'auto' ? DEFAULT_CLE_DATA_FREE : o.cle;
    const e = equalizeImport(imp, cle);
    const d = dataFreeCalibration(e.fm, e.bnStats, imp.rangeHints);
    return { ...d, method: `data-free (folded BatchNorm statistics, propagated; analytic input statistics)${e.note}`, model: e.fm };
  }
  const { samples, what } = await calibSamples(imp, calib);
  if (o.cle === undefined || o.cle === 'auto') return selectCle(imp, samples, what, percentile, o);
  return calibrateSamples(imp, samples, what, percentile, { ...o, cle: o.cle });
}

/** The calibration images as network inputs. */
async function calibSamples(imp: OnnxImport, calib: Exclude<CalibChoice, { kind: 'none' }>): Promise<{ samples: ArrayLike<number>[]; what: string }> {
  let samples: ArrayLike<number>[];
  let what: string;
  if (calib.kind === 'generate') return generatedCalib(imp.model, imp.bnStats, calib.n, { dir: calib.dir, steps: calib.steps });
  if (calib.kind === 'set') {
    const set = loadCalibSet(calib.spec, calib.n);
    checkImageShape(set, imp.model.input.shape, '--calib');
    samples = set.images.map(imageToFloat);
    what = set.what;
  } else {
    samples = await loadCalibFolder(calib.path, imp.model.input.shape, calib.n);
    what = `${samples.length} images from ${calib.path}`;
  }
  return { samples, what };
}

/** Above this many multiply-accumulates per image `--cle auto` takes `weights` without calibrating each mode. */
export const CLE_AUTO_MAX_MACS = 100e6;

/** Multiply-accumulates of one inference (conv and linear layers). */
export function modelMacs(fm: FloatModel): number {
  const shapes = floatShapes(fm);
  let macs = 0;
  for (const l of fm.layers) {
    if (l.op === 'conv2d') macs += shapes.get(l.name)!.reduce((a, b) => a * b, 1) * (l.inChannels / l.groups) * l.kernel[0] * l.kernel[1];
    else if (l.op === 'linear') macs += l.inFeatures * l.outFeatures;
  }
  return macs;
}

/** Images on which `--cle auto` compares its candidates. */
const CLE_SCORE_SAMPLES = 128;

/**
 * `--cle auto`: calibrate and quantize (MSQ, output rule) with each mode; keep the one whose integer model's logits
 * are closest to the float model's on the calibration images (top-1 disagreements, then relative logit MSE).
 */
async function selectCle(imp: OnnxImport, samples: ArrayLike<number>[], what: string, percentile: number | undefined, o: { clip?: ClipMethod; bits?: BitsConfig; board?: string }): Promise<Calibration> {
  if (!o.board) return calibrateSamples(imp, samples, what, percentile, { ...o, cle: 'off' });
  if (modelMacs(imp.model) > CLE_AUTO_MAX_MACS) {
    // three calibrations of a large network cost more than the choice is worth: the paper's weight equalization
    const cal = calibrateSamples(imp, samples, what, percentile, { ...o, cle: 'weights' });
    return { ...cal, method: `${cal.method} (--cle auto: weights without trying the others, the model has over ${CLE_AUTO_MAX_MACS / 1e6} M multiply-accumulates)` };
  }
  const score = samples.slice(0, CLE_SCORE_SAMPLES);
  const float = score.map((x) => runFloat(imp.model, x).output);
  let best: { cal: Calibration; key: number } | undefined;
  for (const cle of ['off', 'weights', 'act'] as const) {
    const cal = await calibrateSamples(imp, samples, what, percentile, { ...o, cle });
    const { model } = await quantizeImported(imp, { board: o.board, scheme: 'msq', rule: 'output', calib: { kind: 'none' }, bits: o.bits, detectLevels: true }, cal);
    const key = logitDistance(model, score, float);
    if (!best || key < best.key) best = { cal, key };
  }
  return { ...best!.cal, method: `${best!.cal.method.replace(/; CLE \((\w+)\)/, '; CLE ($1, chosen by --cle auto)')}${best!.cal.method.includes('CLE') ? '' : '; no CLE (chosen by --cle auto)'}` };
}

/** top-1 disagreements with the float logits, plus the relative logit MSE (< 1) as the tie-break. */
function logitDistance(qm: QuantModel, xs: ArrayLike<number>[], float: ArrayLike<number>[]): number {
  const pm = prepareModel(qm);
  const outName = qm.output ?? qm.layers[qm.layers.length - 1]!.name;
  const last = qm.layers.find((l) => l.name === outName);
  const scale = last && 'out' in last ? last.out.scale : 1;
  let miss = 0;
  let se = 0;
  let ss = 0;
  xs.forEach((x, i) => {
    const y = runGolden(pm, quantizeInput(qm, pixelsToReal(qm, Array.from(x, (v) => Math.round(v * 255))))).output.data;
    const f = float[i]!;
    if (argmax(y) !== argmax(f)) miss++;
    for (let k = 0; k < f.length; k++) {
      se += (y[k]! * scale - f[k]!) ** 2;
      ss += f[k]! ** 2;
    }
  });
  return miss + Math.min(0.999, se / Math.max(ss, 1e-30));
}

/** Ranges and layer statistics from calibration inputs, after cross-layer equalization. */
function calibrateSamples(imp: OnnxImport, samples: ArrayLike<number>[], what: string, percentile: number | undefined, o: { clip?: ClipMethod; bits?: BitsConfig; cle: CleMode }): Calibration {
  const e = equalizeImport(imp, o.cle, samples);
  const fm = e.fm;
  const p = percentile ?? DEFAULT_PERCENTILE;
  const clip = o.clip ?? (percentile !== undefined ? 'percentile' : 'mse');
  const collector = new InputStatsCollector(fm, floatShapes(fm));
  const ranges = calibrateFromSamples(fm, samples, {
    percentile: p,
    hints: imp.rangeHints,
    clip,
    bits: tensorActBits(fm, bitsOptions(fm, o.bits)),
    onSample: (t) => collector.add(t),
  });
  const how = clip === 'percentile' ? `${p}th percentile` : `${clip} clipping search`;
  return { ranges, method: `${what}, ${how}${e.note}`, stats: collector.result(), samples, model: fm };
}

/** Quantize an imported ONNX model. */
export async function quantizeImported(
  imp: OnnxImport,
  o: QuantizeOptions,
  given?: Calibration,
): Promise<{ model: QuantModel; report: PtqReport; calibMethod: string }> {
  const cal = given ?? (await calibrate(imp, o.calib, o.percentile, { clip: o.clip, bits: o.bits, cle: o.cle, board: o.board }));
  const fm = cal.model ?? imp.model;
  const fit = o.weightFit ?? 'sequential';
  if (o.rule === 'output' && o.scheme === 'msq' && !cal.stats) {
    fail('--rule', "'output' (the default) measures each filter's effect on the layer output and needs calibration data: with --calib none use --rule variance or --rule error (the default there)");
  }
  const { model, report } = quantizeFloatModelWithReport(fm, {
    ...bitsOptions(fm, o.bits),
    inputStats: fit !== 'mse' ? cal.stats : undefined,
    sequentialSamples: fit === 'sequential' ? cal.samples : undefined,
    rule: ptqRule(o.scheme, o.rule),
    seed: o.seed,
    board: o.board,
    actRanges: cal.ranges,
    detectLevels: o.detectLevels ?? true,
    note: `quantized by accelforge from ONNX (${imp.producer || 'unknown producer'}); scheme ${o.scheme}${o.scheme === 'msq' ? `/${o.rule}` : ''}, board ${o.board}; activation ranges: ${cal.method}`,
  });
  return { model, report, calibMethod: cal.method };
}

/** JSON text of a model: indented, but each array of numbers (weight codes, shapes) on one line. */
export function formatModelJson(model: QuantModel): string {
  const text = JSON.stringify(model, null, 1).replace(
    /\[\s*\n\s*(-?[\d.eE+-]+(?:,\s*\n\s*-?[\d.eE+-]+)*)\s*\n\s*\]/g,
    (_m, inner: string) => `[${inner.split(/,\s*/).join(',')}]`,
  );
  return `${text}\n`;
}

function parseCalib(v: string | undefined, n: number | undefined): CalibChoice {
  if (v === undefined) return { kind: 'set', spec: 'mnist', n: n ?? DEFAULT_CALIB_N };
  if (v === 'none') return { kind: 'none' };
  if (v === 'generate') return { kind: 'generate', n: n ?? DEFAULT_GENERATE_N };
  if ((DATASET_NAMES as readonly string[]).includes(v) || isIdxPath(v)) return { kind: 'set', spec: v, n: n ?? DEFAULT_CALIB_N };
  return { kind: 'folder', path: v, n };
}

function posNumber(v: string | undefined, field: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) fail(field, `must be a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  return x;
}

const USAGE =
  'usage: accelforge quantize model.onnx --board xc7z020 [--scheme msq|fixed|sp2] [--rule output|variance|error|random] ' +
  '[--calib <folder>|mnist|fashion-mnist|IMAGES.idx3-ubyte|none|generate] [--calib-n N] [--act-clip mse|kl|percentile] [--percentile P] ' +
  '[--weight-fit sequential|output|mse] [--cle auto|off|weights|act] [--weight-bits 2..8] [--act-bits 2..8] [--layer-bits NAME=W/A ...] [--bits auto] -o model.q.json';

export async function run(argv: string[]): Promise<void> {
  const parsed = parseCommand('quantize', argv, {
    board: { type: 'string' },
    scheme: { type: 'string', default: 'msq' },
    rule: { type: 'string' },
    'act-clip': { type: 'string' },
    'weight-fit': { type: 'string', default: 'sequential' },
    'weight-bits': { type: 'string' },
    'act-bits': { type: 'string' },
    'layer-bits': { type: 'string', multiple: true },
    bits: { type: 'string' },
    calib: { type: 'string' },
    'calib-n': { type: 'string' },
    percentile: { type: 'string' },
    cle: { type: 'string' },
    output: { type: 'string', short: 'o' },
  }, USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('model', `give exactly one ONNX file (${USAGE})`);
  if (!values.board) fail('--board', 'required: the board whose SP2:fixed ratio sets the split (e.g. --board xc7z020)');
  if (!values.output) fail('-o', 'required: the output file, e.g. -o model.q.json');
  const scheme = values.scheme as SchemeChoice;
  if (!['msq', 'fixed', 'sp2'].includes(scheme)) fail('--scheme', `must be msq, fixed or sp2, got '${values.scheme}'`);
  // default: the output-error rule (data-free: on the analytic input statistics of datafree/ranges.ts)
  const rule = (values.rule ?? 'output') as RuleChoice;
  if (!RULES.includes(rule)) fail('--rule', `must be one of ${RULES.join(', ')}, got '${values.rule}'`);
  if (values.rule !== undefined && scheme !== 'msq') fail('--rule', 'only applies to --scheme msq');
  const clip = values['act-clip'] as ClipMethod | undefined;
  if (clip !== undefined && !CLIP_METHODS.includes(clip)) fail('--act-clip', `must be one of ${CLIP_METHODS.join(', ')}, got '${clip}'`);
  const weightFit = values['weight-fit'] as WeightFit;
  if (!WEIGHT_FITS.includes(weightFit)) fail('--weight-fit', `must be one of ${WEIGHT_FITS.join(', ')}, got '${weightFit}'`);
  const bits: BitsConfig = {
    weightBits: values['weight-bits'] === undefined ? undefined : parseBits(values['weight-bits'], '--weight-bits'),
    actBits: values['act-bits'] === undefined ? undefined : parseBits(values['act-bits'], '--act-bits'),
    byName: parseLayerBits(values['layer-bits'] ?? []),
  };
  loadBoard(values.board); // a bad board name is an error before any work
  const cle = values.cle as CleChoice | undefined;
  if (cle !== undefined && !CLE_CHOICES.includes(cle)) fail('--cle', `must be one of ${CLE_CHOICES.join(', ')}, got '${cle}'`);
  const calibN = posNumber(values['calib-n'], '--calib-n', true);
  const percentile = posNumber(values.percentile, '--percentile', false);
  const calib = parseCalib(values.calib, calibN);
  if (calib.kind === 'generate') calib.dir = generatedDir(values.output);

  const imp = await loadOnnx(positionals[0]!);
  if (isVitModel(imp.model)) {
    // a vision transformer: the I-ViT quantizer (src/msq/vit/cli-quantize.ts, docs/vit.md)
    const cnnOnly = (['rule', 'act-clip', 'weight-bits', 'act-bits', 'bits', 'cle'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
    if (values['layer-bits']?.length) cnnOnly.push('--layer-bits');
    const cal = calib.kind === 'none' ? null : await calibSamples(imp, calib);
    await quantizeVitCommand(imp.model, { file: positionals[0]!, board: values.board, scheme, cnnOnly, samples: cal?.samples ?? null, calibWhat: cal?.what ?? '', percentile, output: values.output });
    return;
  }
  if (values.bits !== undefined) {
    // --bits auto: per-layer bits and schemes from the planner's pick (src/msq/plan, docs/msq-plan.md)
    if (values.bits !== 'auto') fail('--bits', `only 'auto' is accepted, got '${values.bits}'`);
    if (values['weight-bits'] || values['act-bits'] || values['layer-bits']?.length) fail('--bits', 'auto sets every layer\'s bits: drop --weight-bits / --act-bits / --layer-bits');
    const { autoBits } = await import('./plan/auto.js');
    const a = await autoBits(imp, { board: values.board, calib: values.calib, msqRule: ptqRule(scheme, rule) });
    bits.byName = a.byName;
    process.stdout.write(`--bits auto: the plan's pick (knee of ${a.plan.front.length} points): ${a.plan.pick.ms.toFixed(3)} ms on ${values.board}, ${(a.plan.pick.sizeBytes / 1024).toFixed(1)} kB weights\n`);
  }
  const { model, report, calibMethod } = await quantizeImported(imp, { board: values.board, scheme, rule, calib, percentile, clip, weightFit, bits, cle });
  await writeFileAtomic(values.output, formatModelJson(model));

  const lines = report.layers.map(
    (l) => `  ${l.name.padEnd(16)} ${String(l.weightBits).padStart(2)}-bit  fixed ${String(l.fixed).padStart(4)}  sp2 ${String(l.sp2).padStart(4)}` +
      (l.onLevels ? `  (${l.onLevels} filters kept on their trained levels)` : ''),
  );
  process.stdout.write(
    `quantized ${positionals[0]} -> ${values.output}\n  scheme ${scheme}${scheme === 'msq' ? ` (${rule} rule)` : ''}, board ${values.board}; ` +
      `activation ranges: ${calibMethod}\n${lines.join('\n')}\n`,
  );
}
