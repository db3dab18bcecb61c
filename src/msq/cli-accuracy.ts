/**
 * `accelforge accuracy` — accuracy of 28×28 gray classifiers on labelled images.
 *
 *   accelforge accuracy [--float model.onnx] [--model model.q.json] [--data mnist|fashion-mnist|IMAGES.idx3-ubyte
 *                       --labels LABELS.idx1-ubyte] [--n N]
 *     evaluates the float ONNX model (float.ts) and/or the quantized model as given (integer golden model,
 *     golden.ts) on the first N images of the evaluation set (default: the 2,004 held-out MNIST digits).
 *
 *   accelforge accuracy --table [--float f.onnx] [--qat q.onnx] [--data …] [--calib mnist|fashion-mnist|IDX]
 *                       [--calib-n 500] [--percentile P] [--seeds 3] [--data-free] [--json out.json]
 *     the comparison table: float, then fixed-only / SP2-only / MSQ-variance / MSQ-error / a random split at the
 *     same ratio (mean over seeds) for post-training quantization of the float model and of the QAT model, and the
 *     QAT model's trained codes kept exactly ("as trained"). `--data-free` adds rows with `--calib none`.
 * The recorded figures come from bench/msq-accuracy.ts. See docs/quantize.md.
 */
import { cpus, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { PROJECT_ROOT } from '../version.js';
import { loadBoard } from '../board/index.js';
import { calibrate, DEFAULT_CALIB_N, quantizeImported, type CleChoice, type RuleChoice, type SchemeChoice, type WeightFit } from './cli-quantize.js';
import { floatShapes, runFloat } from './float.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from './golden.js';
import { checkImageShape, imageToFloat, loadEvalSet, type DataSet } from '../data/datasets.js';
import { parseQuantModel } from './model.js';
import { readFile } from 'node:fs/promises';
import { loadOnnx, type OnnxImport } from './onnx.js';
import type { QuantModel } from './model.js';

export const ACCURACY_COLUMNS = ['float', 'fixed', 'sp2', 'msqVariance', 'msqError', 'msqOutput', 'msqRandom', 'msqAsTrained'] as const;
export type AccuracyColumn = (typeof ACCURACY_COLUMNS)[number];

export interface AccuracyRow {
  model: string;
  file: string;
  calibration: string;
  /** accuracy in percent per column; a column that does not apply is absent */
  acc: Partial<Record<AccuracyColumn, number>>;
}

export interface AccuracyReport {
  date: string;
  machine: string;
  command: string;
  n: number;
  /** the evaluation set */
  data: string;
  board: string;
  calibration: string;
  seeds: number;
  rows: AccuracyRow[];
}

export interface AccuracyOptions {
  n: number;
  board: string;
  floatOnnx: string;
  qatOnnx?: string;
  calibN: number;
  /** evaluation set: mnist (default), fashion-mnist or an IDX image file with `labels` */
  data?: string;
  labels?: string;
  /** calibration set: mnist (default), fashion-mnist or an IDX image file */
  calib?: string;
  percentile?: number;
  /** random-split seeds (0 = no random baseline) */
  seeds: number;
  /** cross-layer equalization (default: auto with data, weights data-free) */
  cle?: CleChoice;
  /** also measure with data-free activation ranges (--calib none) */
  dataFree?: boolean;
  /** weight fit of every quantized column (default sequential, as `quantize`) */
  weightFit?: WeightFit;
  /** the scheme columns to measure (default all; float is always measured) */
  columns?: readonly AccuracyColumn[];
  log?: (s: string) => void;
}

/** Float accuracy (percent) of an imported model on a digit set. */
export function floatAccuracy(imp: OnnxImport, set: Pick<DataSet, 'images' | 'labels'>): number {
  const shapes = floatShapes(imp.model);
  let ok = 0;
  set.images.forEach((img, i) => {
    if (argmax(runFloat(imp.model, imageToFloat(img), { shapes }).output) === set.labels[i]) ok++;
  });
  return (100 * ok) / set.images.length;
}

/** Integer (golden model) accuracy (percent) of a quantized model on a digit set. */
export function quantAccuracy(qm: QuantModel, set: Pick<DataSet, 'images' | 'labels'>): number {
  const pm = prepareModel(qm);
  let ok = 0;
  set.images.forEach((img, i) => {
    const x = quantizeInput(qm, pixelsToReal(qm, img));
    if (argmax(runGolden(pm, x).output.data) === set.labels[i]) ok++;
  });
  return (100 * ok) / set.images.length;
}

/** Measure the accuracy table. */
export async function measureAccuracy(o: AccuracyOptions): Promise<AccuracyReport> {
  const log = o.log ?? (() => undefined);
  const test = loadEvalSet(o.data ?? 'mnist', o.labels, o.n);
  if (test.images.length < o.n) fail('--n', `${test.what} only, asked for ${o.n}`);
  const rows: AccuracyRow[] = [];
  let calibration = '';
  const models: [string, string | undefined][] = [['PTQ of the float model', o.floatOnnx], ['QAT model', o.qatOnnx]];
  for (const [label, file] of models) {
    if (!file) continue;
    const imp = await loadOnnx(file);
    checkImageShape(test, imp.model.input.shape, file);
    const isQat = label.startsWith('QAT');
    const floatAcc = floatAccuracy(imp, test);
    log(`${label}: float ${floatAcc.toFixed(2)}%`);
    const modes: ('data' | 'none')[] = o.dataFree ? ['data', 'none'] : ['data'];
    for (const mode of modes) {
      const cal = mode === 'data' ? await calibrate(imp, { kind: 'set', spec: o.calib ?? 'mnist', n: o.calibN }, o.percentile, { cle: o.cle, board: o.board }) : await calibrate(imp, { kind: 'none' }, undefined, { cle: o.cle });
      if (mode === 'data') calibration = cal.method;
      const acc: AccuracyRow['acc'] = { float: floatAcc };
      const q = async (scheme: SchemeChoice, rule: RuleChoice, detectLevels: boolean, seed?: number): Promise<QuantModel> =>
        (await quantizeImported(imp, { board: o.board, scheme, rule, calib: { kind: 'none' }, detectLevels, seed, weightFit: o.weightFit }, cal)).model;
      // QAT weights are re-quantized for each scheme here (detectLevels off) so the columns compare schemes;
      // "as trained" keeps the trained codes.
      const want = (c: AccuracyColumn): boolean => !o.columns || o.columns.includes(c);
      if (want('fixed')) acc.fixed = quantAccuracy(await q('fixed', 'variance', false), test);
      if (want('sp2')) acc.sp2 = quantAccuracy(await q('sp2', 'variance', false), test);
      if (want('msqVariance')) acc.msqVariance = quantAccuracy(await q('msq', 'variance', false), test);
      if (want('msqError')) acc.msqError = quantAccuracy(await q('msq', 'error', false), test);
      if (cal.stats && want('msqOutput')) acc.msqOutput = quantAccuracy(await q('msq', 'output', false), test);
      if (o.seeds > 0 && want('msqRandom')) {
        // a random split at the board ratio (--rule random), fitted like the other rules (mean over seeds)
        let s = 0;
        for (let k = 0; k < o.seeds; k++) s += quantAccuracy(await q('msq', 'random', false, 1000 + k), test);
        acc.msqRandom = s / o.seeds;
      }
      if (isQat && want('msqAsTrained')) acc.msqAsTrained = quantAccuracy(await q('msq', cal.stats ? 'output' : 'variance', true), test);
      const name = mode === 'data' ? label : `${label}, data-free ranges (--calib none)`;
      log(`${name}: ${JSON.stringify(acc)}`);
      rows.push({ model: name, file, calibration: mode === 'data' ? cal.method : `data-free: ${cal.method}`, acc });
    }
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    machine: `${cpu[0]?.model ?? 'unknown cpu'} (${cpu.length} cores), node ${process.version}, host ${hostname()}`,
    command: `npx accelforge accuracy --table --n ${o.n}${o.data ? ` --data ${o.data}` : ''}${o.calib ? ` --calib ${o.calib}` : ''} --board ${o.board} --calib-n ${o.calibN}${o.percentile ? ` --percentile ${o.percentile}` : ''} --seeds ${o.seeds}${o.dataFree ? ' --data-free' : ''}`,
    n: test.images.length,
    data: test.what,
    board: o.board,
    calibration,
    seeds: o.seeds,
    rows,
  };
}

const HEAD: Record<AccuracyColumn, string> = {
  float: 'float',
  fixed: 'fixed-only',
  sp2: 'SP2-only',
  msqVariance: 'MSQ variance',
  msqError: 'MSQ weight-error',
  msqOutput: 'MSQ output-error',
  msqRandom: 'MSQ random split',
  msqAsTrained: 'MSQ as trained',
};

/** The report as a Markdown table (accuracy in %, held-out digits). */
export function accuracyMarkdown(r: AccuracyReport): string {
  const cols = ACCURACY_COLUMNS.filter((c) => r.rows.some((row) => row.acc[c] !== undefined));
  const lines = [
    `| model (${r.data ?? `${r.n} held-out digits`}, ${r.board}) | ${cols.map((c) => HEAD[c]).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    ...r.rows.map((row) => `| ${row.model} | ${cols.map((c) => (row.acc[c] === undefined ? '—' : row.acc[c]!.toFixed(2))).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const USAGE =
  'usage: accelforge accuracy [--float model.onnx] [--model model.q.json] [--data mnist|fashion-mnist|IMAGES.idx3-ubyte --labels LABELS.idx1-ubyte] [--n N]\n' +
  '       accelforge accuracy --table [--float f.onnx] [--qat q.onnx] [--data …] [--calib mnist|fashion-mnist|IMAGES.idx3-ubyte] [--calib-n 500] [--percentile P] [--seeds 3] [--data-free] [--json out.json]';

function int(v: string, field: string, min: number): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) fail(field, `must be an integer >= ${min}, got '${v}'`);
  return x;
}

/** Evaluate a float and/or a quantized model on a labelled set; returns printable lines. */
export async function evaluate(o: { floatOnnx?: string; model?: string; data: string; labels?: string; n?: number }): Promise<{ what: string; float?: number; quant?: number }> {
  if (!o.floatOnnx && !o.model) fail('--float', 'give --float model.onnx and/or --model model.q.json');
  const set = loadEvalSet(o.data, o.labels, o.n);
  if (o.n !== undefined && set.images.length < o.n) fail('--n', `${set.what} only, asked for ${o.n}`);
  const out: { what: string; float?: number; quant?: number } = { what: set.what };
  if (o.floatOnnx) {
    const imp = await loadOnnx(o.floatOnnx);
    checkImageShape(set, imp.model.input.shape, o.floatOnnx);
    out.float = floatAccuracy(imp, set);
  }
  if (o.model) {
    let text: string;
    try {
      text = await readFile(o.model, 'utf8');
    } catch (e) {
      fail(o.model, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      fail(o.model, `not JSON (${(e as Error).message})`);
    }
    const qm = parseQuantModel(json);
    checkImageShape(set, qm.input.shape, o.model);
    out.quant = quantAccuracy(qm, set);
  }
  return out;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      table: { type: 'boolean', default: false },
      n: { type: 'string' },
      board: { type: 'string', default: 'xc7z020' },
      float: { type: 'string' },
      model: { type: 'string' },
      qat: { type: 'string' },
      data: { type: 'string', default: 'mnist' },
      labels: { type: 'string' },
      calib: { type: 'string' },
      'calib-n': { type: 'string', default: String(DEFAULT_CALIB_N) },
      percentile: { type: 'string' },
      seeds: { type: 'string', default: '3' },
      'data-free': { type: 'boolean', default: false },
      json: { type: 'string', default: join('rtl-out', 'msq-accuracy.json') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const n = values.n === undefined ? undefined : int(values.n, '--n', 1);
  if (!values.table) {
    for (const k of ['qat', 'calib', 'percentile'] as const) if (values[k] !== undefined) fail(`--${k}`, 'only with --table');
    const r = await evaluate({ floatOnnx: values.float, model: values.model, data: values.data, labels: values.labels, n });
    if (r.float !== undefined) process.stdout.write(`float  ${values.float}: ${r.float.toFixed(2)} % on ${r.what}\n`);
    if (r.quant !== undefined) process.stdout.write(`golden ${values.model}: ${r.quant.toFixed(2)} % on ${r.what}\n`);
    return;
  }
  if (values.model) fail('--model', 'not with --table (the table quantizes --float and --qat itself)');
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) fail('--percentile', `must be in (50, 100], got '${values.percentile}'`);
  loadBoard(values.board);
  const report = await measureAccuracy({
    n: n ?? 2000,
    board: values.board,
    floatOnnx: values.float ?? join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx'),
    qatOnnx: values.qat === '' ? undefined : values.qat ?? (values.float ? undefined : join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx')),
    data: values.data,
    labels: values.labels,
    calib: values.calib,
    calibN: int(values['calib-n'], '--calib-n', 1),
    percentile,
    seeds: int(values.seeds, '--seeds', 0),
    dataFree: values['data-free'],
    log: (s) => process.stderr.write(`${s}\n`),
  });
  const md = accuracyMarkdown(report);
  process.stdout.write(`${md}\nactivation ranges: ${report.calibration}; ${report.date}; ${report.machine}\n`);
  if (values.json) {
    await writeFileAtomic(values.json, `${JSON.stringify({ ...report, markdown: md }, null, 2)}\n`);
    process.stdout.write(`wrote ${values.json}\n`);
  }
}
