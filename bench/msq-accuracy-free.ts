/**
 * Benchmark: accuracy of the model zoo (models/zoo/*.onnx) with no training data at quantization time, beside
 * quantization-aware training. Per model: float; MSQ PTQ data-free (--calib none: BatchNorm-statistics ranges and
 * analytic input statistics, output rule; src/msq/datafree/ranges.ts);
 * MSQ PTQ calibrated on images generated from the model's BatchNorm statistics (--calib generate, output rule,
 * src/msq/datafree); and the QAT model written by scripts/qat.py (models/qat/NAME-qat.onnx, if present) with its
 * trained codes kept. W4A4 inner layers, 8-bit first/last, through the integer golden model. Records date, machine
 * and the table in bench/results/msq-accuracy-free.json (rewritten after every model).
 * Targets (issue 11): data-free and generated within 2.0 points of float, QAT within 0.5.
 * Rows are merged into the results file by model name, so `--only` runs (one process per model) can run side by side.
 *
 *   npx tsx bench/msq-accuracy-free.ts [--n 1000] [--calib-n 64] [--steps 100] [--board xc7z020] [--only plain-mnist,…]
 *   npx tsx bench/msq-accuracy-free.ts --qat-only   # (re)measure the QAT column into the existing results file
 *   npx tsx bench/msq-accuracy-free.ts --skip-qat   # data-free and generated columns only (QAT figures kept)
 *   npx tsx bench/msq-accuracy-free.ts --skip-generate --skip-qat; … --keep-none --skip-qat   # data-free first, then generated
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { calibrate, quantizeImported } from '../src/msq/cli-quantize.js';
import { floatAccuracy, quantAccuracy } from '../src/msq/cli-accuracy.js';
import { TRAINED_ZOO } from './trained-zoo.js';


interface Row {
  name: string;
  float: number;
  dataFree: number;
  /** the MSQ rule of the data-free column */
  noneRule?: string;
  generated: number | null;
  generation: string;
  qat?: number;
  qatFloat?: number;
  seconds: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1000' },
      'calib-n': { type: 'string', default: '64' },
      steps: { type: 'string', default: '100' },
      board: { type: 'string', default: 'xc7z020' },
      only: { type: 'string', default: '' },
      'qat-only': { type: 'boolean', default: false },
      'skip-qat': { type: 'boolean', default: false },
      'skip-generate': { type: 'boolean', default: false },
      'keep-none': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = new Set(values.only.split(',').filter(Boolean));
  const file = join(PROJECT_ROOT, 'bench', 'results', 'msq-accuracy-free.json');
  const board = values.board;
  const qatOnly = values['qat-only'];
  const rows: Row[] = [];
  for (const z of TRAINED_ZOO) {
    if (only.size && !only.has(z.name)) continue;
    const t0 = performance.now();
    const test = loadEvalSet(z.data, undefined, Number(values.n));
    const imp = await loadOnnx(join(PROJECT_ROOT, 'models', 'zoo', `${z.name}.onnx`));
    if (qatOnly) {
      const old = readRows(file).find((r) => r.name === z.name);
      const row = old ?? { name: z.name, float: floatAccuracy(imp, test), dataFree: NaN, generated: NaN, generation: 'not measured', seconds: 0 };
      await measureQat(row, z.name, test, board);
      rows.push(row);
      await write(row);
      continue;
    }
    const kept = values['keep-none'] ? readRows(file).find((r) => r.name === z.name && r.dataFree !== null && r.noneRule === 'output') : undefined;
    const float = kept?.float ?? floatAccuracy(imp, test);
    const dataFree = kept?.dataFree ?? quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'output', calib: { kind: 'none' } }, await calibrate(imp, { kind: 'none' }, undefined, {}))).model, test);
    // written before the (much longer) generation, so a run cut short still leaves its data-free figure
    const row: Row = { name: z.name, float, dataFree, noneRule: 'output', generated: null, generation: 'not measured', seconds: 0 };
    if (values['skip-qat']) Object.assign(row, pick(readRows(file).find((r) => r.name === z.name)));
    rows.push(row);
    await write(row);
    if (!values['skip-generate']) {
      const gen = await calibrate(imp, { kind: 'generate', n: Number(values['calib-n']), steps: Number(values.steps) }, undefined, { board });
      row.generated = quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'output', calib: { kind: 'none' } }, gen)).model, test);
      row.generation = gen.method;
    }
    if (!values['skip-qat']) await measureQat(row, z.name, test, board);
    row.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    await write(row);
  }

  async function write(row: Row): Promise<void> {
    process.stdout.write(`${JSON.stringify(row)}\n`);
    // merge with the rows other runs wrote meanwhile (by name, in zoo order)
    const merged = new Map(readRows(file).map((r) => [r.name, r]));
    for (const r of rows) merged.set(r.name, r);
    const all = TRAINED_ZOO.map((z) => merged.get(z.name)).filter((r): r is Row => r !== undefined);
    const gap = (k: 'generated' | 'qat' | 'dataFree'): (number | null)[] => all.map((r) => (r[k] === undefined || r[k] === null ? null : Number((r.float - r[k]!).toFixed(2))));
    const cpu = cpus();
    const out = {
      benchmark: 'msq-accuracy-free',
      what: 'accuracy (%) float vs integer golden model, W4A4 MSQ (8-bit edges): data-free ranges, generated calibration (BatchNorm statistics), QAT (scripts/qat.py)',
      command: `npx tsx bench/msq-accuracy-free.ts --n ${values.n} --calib-n ${values['calib-n']} --steps ${values.steps} --board ${board} [--only NAME] (one process per model)`,
      qatCommand: 'per model: nice -n 10 /usr/bin/python3 scripts/qat.py models/zoo/NAME.onnx --data DATA -o models/qat/NAME-qat.onnx (defaults: --epochs 6 --train-n 8000 --val-n 800 --lr 2e-4 --shift 2, trained clips); then this bench with --qat-only',
      date: new Date().toISOString(),
      machine: `${cpu[0]?.model ?? 'unknown cpu'} (${cpu.length} cores), node ${process.version}, host ${hostname()}`,
      loadavg1m: Number(loadavg()[0]!.toFixed(2)),
      testImages: Number(values.n),
      generatorVersion: GENERATOR_VERSION,
      target: 'data-free and generated calibration within 2.0 points of float, QAT within 0.5',
      gapGenerated: gap('generated'),
      gapQat: gap('qat'),
      gapDataFree: gap('dataFree'),
      rows: all,
    };
    await writeFileAtomic(file, `${JSON.stringify(out, null, 2)}\n`);
  }
}

/** The QAT fields of an earlier row (kept by a --skip-qat run). */
function pick(r: Row | undefined): Partial<Row> {
  return r && r.qat !== undefined ? { qat: r.qat, qatFloat: r.qatFloat } : {};
}

/** The rows of the results file so far (none if it does not exist yet). */
function readRows(file: string): Row[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }).rows : [];
}

/** The QAT column: models/qat/NAME-qat.onnx (scripts/qat.py) quantized with its trained codes kept. */
async function measureQat(row: Row, name: string, test: ReturnType<typeof loadEvalSet>, board: string): Promise<void> {
  const qatFile = join(PROJECT_ROOT, 'models', 'qat', `${name}-qat.onnx`);
  if (!existsSync(qatFile)) {
    delete row.qat;
    delete row.qatFloat;
    return;
  }
  const qimp = await loadOnnx(qatFile);
  row.qatFloat = floatAccuracy(qimp, test);
  const qcal = await calibrate(qimp, { kind: 'none' }, undefined, { cle: 'off' });
  row.qat = quantAccuracy((await quantizeImported(qimp, { board, scheme: 'msq', rule: 'variance', calib: { kind: 'none' }, cle: 'off' }, qcal)).model, test);
}

main().catch((e: unknown) => {
  process.stderr.write(`msq-accuracy-free: ${(e as Error).message}\n`);
  process.exit(1);
});
