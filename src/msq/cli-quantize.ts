/**
 * `accelforge quantize model.onnx --board xc7z020 [--scheme msq|fixed|sp2] [--rule variance|error]
 *                     [--calib <folder> | --calib mnist | --calib none] [--calib-n N] [--percentile P] -o model.q.json`
 *
 * ONNX → FloatModel (onnx.ts) → activation ranges (calib.ts) → QuantModel (ptq.ts) → JSON, written atomically
 * (nothing is written on any error). Weights that already lie exactly on a scheme's levels (a QAT model) keep
 * exactly those codes. See docs/quantize.md.
 */
import { parseArgs } from 'node:util';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { loadBoard } from '../board/index.js';
import { calibrateDataFree, calibrateFromSamples, DEFAULT_PERCENTILE, loadCalibFolder } from './calib.js';
import { checkImageShape, DATASET_NAMES, imageToFloat, isIdxPath, loadCalibSet } from '../data/datasets.js';
import { loadOnnx, type OnnxImport } from './onnx.js';
import { quantizeFloatModelWithReport, type PtqReport, type Range } from './ptq.js';
import type { QuantModel } from './model.js';
import type { SchemeRule } from './scheme.js';

export type SchemeChoice = 'msq' | 'fixed' | 'sp2';
/** `set`: a data-set name (mnist, fashion-mnist) or an IDX image file (src/data/datasets.ts) */
export type CalibChoice = { kind: 'none' } | { kind: 'set'; spec: string; n: number } | { kind: 'folder'; path: string; n?: number };

export interface QuantizeOptions {
  board: string;
  scheme: SchemeChoice;
  /** rule for --scheme msq */
  rule: 'variance' | 'error';
  calib: CalibChoice;
  percentile?: number;
  /** keep weights that already lie on a scheme's levels with exactly those codes (default true) */
  detectLevels?: boolean;
}

export const DEFAULT_CALIB_N = 500;

/** The ptq rule for a --scheme / --rule pair. */
export function ptqRule(scheme: SchemeChoice, rule: 'variance' | 'error'): SchemeRule {
  return scheme === 'msq' ? rule : scheme;
}

/** Activation ranges for an imported model. */
export async function calibrate(imp: OnnxImport, calib: CalibChoice, percentile?: number): Promise<{ ranges: Map<string, Range>; method: string }> {
  const fm = imp.model;
  if (calib.kind === 'none') {
    return { ranges: calibrateDataFree(fm, imp.bnStats, { hints: imp.rangeHints }), method: 'data-free (folded BatchNorm statistics, propagated)' };
  }
  let samples: ArrayLike<number>[];
  let what: string;
  if (calib.kind === 'set') {
    const set = loadCalibSet(calib.spec, calib.n);
    checkImageShape(set, fm.input.shape, '--calib');
    samples = set.images.map(imageToFloat);
    what = set.what;
  } else {
    samples = await loadCalibFolder(calib.path, fm.input.shape, calib.n);
    what = `${samples.length} images from ${calib.path}`;
  }
  const p = percentile ?? DEFAULT_PERCENTILE;
  return { ranges: calibrateFromSamples(fm, samples, { percentile: p, hints: imp.rangeHints }), method: `${what}, ${p}th percentile` };
}

/** Quantize an imported ONNX model. */
export async function quantizeImported(
  imp: OnnxImport,
  o: QuantizeOptions,
  ranges?: Map<string, Range>,
): Promise<{ model: QuantModel; report: PtqReport; calibMethod: string }> {
  const cal = ranges ? { ranges, method: 'given' } : await calibrate(imp, o.calib, o.percentile);
  const { model, report } = quantizeFloatModelWithReport(imp.model, {
    rule: ptqRule(o.scheme, o.rule),
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
  'usage: accelforge quantize model.onnx --board xc7z020 [--scheme msq|fixed|sp2] [--rule variance|error] ' +
  '[--calib <folder>|mnist|fashion-mnist|IMAGES.idx3-ubyte|none] [--calib-n N] [--percentile P] -o model.q.json';

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      board: { type: 'string' },
      scheme: { type: 'string', default: 'msq' },
      rule: { type: 'string', default: 'variance' },
      calib: { type: 'string' },
      'calib-n': { type: 'string' },
      percentile: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) fail('model', `give exactly one ONNX file (${USAGE})`);
  if (!values.board) fail('--board', 'required: the board whose SP2:fixed ratio sets the split (e.g. --board xc7z020)');
  if (!values.output) fail('-o', 'required: the output file, e.g. -o model.q.json');
  const scheme = values.scheme as SchemeChoice;
  if (!['msq', 'fixed', 'sp2'].includes(scheme)) fail('--scheme', `must be msq, fixed or sp2, got '${values.scheme}'`);
  const rule = values.rule as 'variance' | 'error';
  if (!['variance', 'error'].includes(rule)) fail('--rule', `must be variance or error, got '${values.rule}'`);
  if (values.rule !== 'variance' && scheme !== 'msq') fail('--rule', 'only applies to --scheme msq');
  loadBoard(values.board); // a bad board name is an error before any work
  const calibN = posNumber(values['calib-n'], '--calib-n', true);
  const percentile = posNumber(values.percentile, '--percentile', false);
  const calib = parseCalib(values.calib, calibN);

  const imp = await loadOnnx(positionals[0]!);
  const { model, report, calibMethod } = await quantizeImported(imp, { board: values.board, scheme, rule, calib, percentile });
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
