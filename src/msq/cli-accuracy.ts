/**
 * `accelforge accuracy [--n 2000] [--board xc7z020] [--float models/mnist-cnn.onnx] [--qat models/mnist-cnn-qat.onnx]
 *                      [--calib-n 500] [--percentile P] [--seeds 3] [--data-free] [--json rtl-out/msq-accuracy.json]`
 *
 * Accuracy on the HELD-OUT MNIST digits (src/msq/mnist.ts split; never seen by training or calibration):
 * float accuracy (float.ts), then fixed-only / SP2-only / MSQ-variance / MSQ-error through the integer golden
 * model (golden.ts), for plain post-training quantization of the float model and for the QAT model; plus a
 * random fixed/SP2 split at the same ratio (mean over seeds) as a baseline for the two MSQ rules, and for the QAT
 * model its trained codes kept exactly ("as trained"). `--data-free` adds rows with data-free activation ranges. Prints a Markdown table and writes JSON (default
 * rtl-out/msq-accuracy.json; `--json ''` writes none). The recorded figures come from bench/msq-accuracy.ts.
 */
import { cpus, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { PROJECT_ROOT } from '../version.js';
import { loadBoard } from '../board/index.js';
import { calibrate, DEFAULT_CALIB_N, quantizeImported, type SchemeChoice } from './cli-quantize.js';
import { floatShapes, runFloat } from './float.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from './golden.js';
import { digitToFloat, loadMnist, type MnistSet } from './mnist.js';
import { loadOnnx, type OnnxImport } from './onnx.js';
import { fixedCount, boardRatio } from './scheme.js';
import type { QuantModel } from './model.js';
import { mulberry32 as rng } from '../util/random.js';

export const ACCURACY_COLUMNS = ['float', 'fixed', 'sp2', 'msqVariance', 'msqError', 'msqRandom', 'msqAsTrained'] as const;
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
  percentile?: number;
  /** random-split seeds (0 = no random baseline) */
  seeds: number;
  /** also measure with data-free activation ranges (--calib none) */
  dataFree?: boolean;
  log?: (s: string) => void;
}

/** Float accuracy (percent) of an imported model on a digit set. */
export function floatAccuracy(imp: OnnxImport, set: MnistSet): number {
  const shapes = floatShapes(imp.model);
  let ok = 0;
  set.images.forEach((img, i) => {
    if (argmax(runFloat(imp.model, digitToFloat(img), { shapes }).output) === set.labels[i]) ok++;
  });
  return (100 * ok) / set.images.length;
}

/** Integer (golden model) accuracy (percent) of a quantized model on a digit set. */
export function quantAccuracy(qm: QuantModel, set: MnistSet): number {
  const pm = prepareModel(qm);
  let ok = 0;
  set.images.forEach((img, i) => {
    const x = quantizeInput(qm, pixelsToReal(qm, img));
    if (argmax(runGolden(pm, x).output.data) === set.labels[i]) ok++;
  });
  return (100 * ok) / set.images.length;
}

/**
 * A random fixed/SP2 split at the board ratio: every 4-bit weighted layer takes round(n/(1+r)) random filters from
 * the all-fixed model and the rest from the all-SP2 model (both quantized with the same activation ranges, so
 * their per-filter constants are interchangeable). 8-bit (first/last) layers stay fixed.
 */
export function randomSplit(fixedModel: QuantModel, sp2Model: QuantModel, ratio: number, seed: number): QuantModel {
  const rand = rng(seed);
  const out = structuredClone(fixedModel);
  out.layers.forEach((l, i) => {
    const s = sp2Model.layers[i]!;
    if ((l.op !== 'conv2d' && l.op !== 'linear') || (s.op !== 'conv2d' && s.op !== 'linear')) return;
    if (s.filters.every((f) => f.scheme === 'fixed')) return; // 8-bit edge layer
    const n = l.filters.length;
    const idx = Array.from({ length: n }, (_, k) => k);
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      [idx[k], idx[j]] = [idx[j]!, idx[k]!];
    }
    const fixed = new Set(idx.slice(0, fixedCount(n, ratio, l.name)));
    l.filters = l.filters.map((f, k) => (fixed.has(k) ? f : structuredClone(s.filters[k]!)));
  });
  return out;
}

/** Measure the accuracy table. */
export async function measureAccuracy(o: AccuracyOptions): Promise<AccuracyReport> {
  const log = o.log ?? (() => undefined);
  const test = loadMnist('test', o.n);
  if (test.images.length < o.n) fail('--n', `only ${test.images.length} held-out digits exist`);
  const rows: AccuracyRow[] = [];
  let calibration = '';
  const models: [string, string | undefined][] = [['PTQ of the float model', o.floatOnnx], ['QAT model', o.qatOnnx]];
  for (const [label, file] of models) {
    if (!file) continue;
    const imp = await loadOnnx(file);
    const isQat = label.startsWith('QAT');
    const floatAcc = floatAccuracy(imp, test);
    log(`${label}: float ${floatAcc.toFixed(2)}%`);
    const modes: ('data' | 'none')[] = o.dataFree ? ['data', 'none'] : ['data'];
    for (const mode of modes) {
      const cal = mode === 'data' ? await calibrate(imp, { kind: 'mnist', n: o.calibN }, o.percentile) : await calibrate(imp, { kind: 'none' });
      if (mode === 'data') calibration = cal.method;
      const acc: AccuracyRow['acc'] = { float: floatAcc };
      const q = async (scheme: SchemeChoice, rule: 'variance' | 'error', detectLevels: boolean): Promise<QuantModel> =>
        (await quantizeImported(imp, { board: o.board, scheme, rule, calib: { kind: 'none' }, detectLevels }, cal.ranges)).model;
      // QAT weights are re-quantized for each scheme here (detectLevels off) so the columns compare schemes;
      // "as trained" keeps the trained codes.
      const fixedModel = await q('fixed', 'variance', false);
      const sp2Model = await q('sp2', 'variance', false);
      acc.fixed = quantAccuracy(fixedModel, test);
      acc.sp2 = quantAccuracy(sp2Model, test);
      acc.msqVariance = quantAccuracy(await q('msq', 'variance', false), test);
      acc.msqError = quantAccuracy(await q('msq', 'error', false), test);
      if (o.seeds > 0) {
        const ratio = boardRatio(o.board);
        let s = 0;
        for (let k = 0; k < o.seeds; k++) s += quantAccuracy(randomSplit(fixedModel, sp2Model, ratio, 1000 + k), test);
        acc.msqRandom = s / o.seeds;
      }
      if (isQat) acc.msqAsTrained = quantAccuracy(await q('msq', 'variance', true), test);
      const name = mode === 'data' ? label : `${label}, data-free ranges (--calib none)`;
      log(`${name}: ${JSON.stringify(acc)}`);
      rows.push({ model: name, file, calibration: mode === 'data' ? cal.method : 'data-free', acc });
    }
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    machine: `${cpu[0]?.model ?? 'unknown cpu'} (${cpu.length} cores), node ${process.version}, host ${hostname()}`,
    command: `npx accelforge accuracy --n ${o.n} --board ${o.board} --calib-n ${o.calibN}${o.percentile ? ` --percentile ${o.percentile}` : ''} --seeds ${o.seeds}${o.dataFree ? ' --data-free' : ''}`,
    n: test.images.length,
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
  msqError: 'MSQ error',
  msqRandom: 'MSQ random split',
  msqAsTrained: 'MSQ as trained',
};

/** The report as a Markdown table (accuracy in %, held-out digits). */
export function accuracyMarkdown(r: AccuracyReport): string {
  const cols = ACCURACY_COLUMNS.filter((c) => r.rows.some((row) => row.acc[c] !== undefined));
  const lines = [
    `| model (${r.n} held-out digits, ${r.board}) | ${cols.map((c) => HEAD[c]).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    ...r.rows.map((row) => `| ${row.model} | ${cols.map((c) => (row.acc[c] === undefined ? '—' : row.acc[c]!.toFixed(2))).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      n: { type: 'string', default: '2000' },
      board: { type: 'string', default: 'xc7z020' },
      float: { type: 'string', default: join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx') },
      qat: { type: 'string', default: join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx') },
      'calib-n': { type: 'string', default: String(DEFAULT_CALIB_N) },
      percentile: { type: 'string' },
      seeds: { type: 'string', default: '3' },
      'data-free': { type: 'boolean', default: false },
      json: { type: 'string', default: join('rtl-out', 'msq-accuracy.json') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: accelforge accuracy [--n 2000] [--board xc7z020] [--float f.onnx] [--qat q.onnx] [--calib-n 500] [--percentile P] [--seeds 3] [--data-free] [--json out.json]\n');
    return;
  }
  const int = (v: string, field: string, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) fail(field, `must be an integer >= ${min}, got '${v}'`);
    return x;
  };
  const n = int(values.n, '--n', 1);
  const held = loadMnist('test').images.length;
  if (n > held) fail('--n', `the held-out split has ${held} digits, got ${n}`);
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) fail('--percentile', `must be in (50, 100], got '${values.percentile}'`);
  loadBoard(values.board);
  const report = await measureAccuracy({
    n,
    board: values.board,
    floatOnnx: values.float,
    qatOnnx: values.qat === '' ? undefined : values.qat,
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
