/**
 * Benchmark: accuracy of the model zoo (models/zoo/, trained by scripts/train-zoo.py; 4 architectures × MNIST and
 * Fashion-MNIST) through the integer golden model, per weight scheme and split rule: float, fixed-only, SP2-only,
 * MSQ variance (paper), MSQ output-error (default), a random split at the board ratio (`--rule random`, seeded,
 * fitted like the other rules); the MSQ weight-error rule and data-free rows (--calib none) on request
 * (`--columns …,msqError`, `--data-free`; bench/msq-accuracy-free.ts records the data-free paths). W4A4 inner layers,
 * 8-bit first/last. Dev models (not the zoo; the quantizer's defaults were tuned on them): `--only mnist-cnn` (+ its
 * QAT model) or `--only dev/resgap-mnist-dev,dev/dwsep-fashion-mnist-dev`.
 * Records date, machine and the table in bench/results/msq-accuracy.json: each model's entry is rewritten when it
 * finishes, other models' entries are kept (so runs of disjoint `--only` lists can go side by side);
 * `--merge --columns msqOutput` re-measures one column and keeps the model's other recorded columns.
 * Targets (issue 11): MSQ PTQ within 1.0 point of float on every zoo model (mean ≤ 0.7); the output rule beats the
 * variance rule and a random split on every model.
 *
 *   npx tsx bench/msq-accuracy.ts [--n 1000] [--calib-n 128] [--board xc7z020] [--seeds 1] [--only plain-mnist,…]
 *                                 [--columns fixed,sp2,msqVariance,msqOutput,msqRandom] [--data-free] [--merge]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mkdirSync, rmdirSync } from 'node:fs';
import { ACCURACY_COLUMNS, accuracyMarkdown, measureAccuracy, type AccuracyColumn, type AccuracyReport } from '../src/msq/cli-accuracy.js';
import { TRAINED_ZOO } from './trained-zoo.js';

const DEFAULT_COLUMNS = 'fixed,sp2,msqVariance,msqOutput,msqRandom';
/** not in the zoo: measured only when named in --only */
const DEV = [
  { name: 'mnist-cnn', data: 'mnist', file: 'mnist-cnn', qat: true },
  { name: 'dev/resgap-mnist-dev', data: 'mnist', file: 'dev/resgap-mnist-dev', qat: false },
  { name: 'dev/dwsep-fashion-mnist-dev', data: 'fashion-mnist', file: 'dev/dwsep-fashion-mnist-dev', qat: false },
];

interface Entry { name: string; seconds: number; data: string; calibration: string; rows: AccuracyReport['rows']; markdown: string; command: string; date: string }

const r2 = (v: number): number => Number(v.toFixed(2));

/** A lock directory around the read-merge-write of the recorded file (side-by-side runs). */
async function withLock<T>(dir: string, f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await f();
  } finally {
    rmdirSync(dir);
  }
}

/** The recorded file from its model entries (zoo summary: gaps, rule comparisons). */
function summary(entries: Entry[], machine: string): unknown {
  const zoo = entries.filter((m) => TRAINED_ZOO.some((z) => z.name === m.name));
  const gaps = zoo.map((m) => m.rows[0]!.acc).filter((a) => a.msqOutput !== undefined).map((a) => a.float! - a.msqOutput!);
  const perModel = entries.map((m) => {
    const a = m.rows[0]!.acc;
    const free = m.rows.find((r) => r.model.includes('data-free'))?.acc;
    const d = (x: number | undefined, y: number | undefined): number | null => (x === undefined || y === undefined ? null : r2(x - y));
    return {
      name: m.name,
      msqOutputGap: d(a.float, a.msqOutput),
      outputMinusVariance: d(a.msqOutput, a.msqVariance),
      outputMinusRandom: d(a.msqOutput, a.msqRandom),
      ...(free ? { dataFreeGap: d(free.float, free.msqVariance) } : {}),
    };
  });
  return {
    benchmark: 'msq-accuracy',
    what: 'accuracy (%) float vs integer golden model per scheme / split rule, zoo (+ dev models when asked), PTQ at W4A4 (8-bit edges)',
    date: new Date().toISOString(),
    machine,
    loadavg1m: Number(loadavg()[0]!.toFixed(2)),
    generatorVersion: GENERATOR_VERSION,
    target: 'MSQ PTQ within 1.0 point of float on every zoo model (mean <= 0.7); the output rule beats the variance rule and a random split on every model',
    zooModelsMeasured: zoo.length,
    msqOutputGapPoints: gaps.map(r2),
    maxGap: gaps.length ? r2(Math.max(...gaps)) : null,
    meanGap: gaps.length ? r2(gaps.reduce((a, b) => a + b, 0) / gaps.length) : null,
    perModel,
    models: entries,
    rows: entries.flatMap((m) => m.rows.map((r) => ({ model: `${m.name} — ${r.model}`, ...r.acc }))),
    markdown: entries.map((m) => `### ${m.name}\n\n${m.markdown}`).join('\n'),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '1000' },
      'calib-n': { type: 'string', default: '128' },
      board: { type: 'string', default: 'xc7z020' },
      seeds: { type: 'string', default: '1' },
      only: { type: 'string', default: '' },
      columns: { type: 'string', default: DEFAULT_COLUMNS },
      'data-free': { type: 'boolean', default: false },
      merge: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = new Set(values.only.split(',').filter(Boolean));
  const columns = values.columns.split(',').filter(Boolean) as AccuracyColumn[];
  for (const c of columns) if (!(ACCURACY_COLUMNS as readonly string[]).includes(c) || c === 'float') throw new Error(`--columns: unknown column '${c}' (${ACCURACY_COLUMNS.slice(1).join(', ')})`);
  const file = join(PROJECT_ROOT, 'bench', 'results', 'msq-accuracy.json');
  const entries = [...TRAINED_ZOO.map((z) => ({ ...z, file: `zoo/${z.name}`, qat: false })), ...DEV.filter((d) => only.has(d.name))];
  const command = `npx tsx bench/msq-accuracy.ts --n ${values.n} --calib-n ${values['calib-n']} --board ${values.board} --seeds ${values.seeds} --columns ${values.columns}${values['data-free'] ? ' --data-free' : ''}`;
  for (const z of entries) {
    if (only.size && !only.has(z.name)) continue;
    const t0 = performance.now();
    const report = await measureAccuracy({
      n: Number(values.n),
      board: values.board,
      floatOnnx: join(PROJECT_ROOT, 'models', `${z.file}.onnx`),
      qatOnnx: z.qat ? join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx') : undefined,
      data: z.data,
      calib: z.data,
      calibN: Number(values['calib-n']),
      seeds: Number(values.seeds),
      dataFree: values['data-free'],
      columns,
      log: (s) => process.stderr.write(`${z.name}: ${s}\n`),
    });
    const seconds = r2((performance.now() - t0) / 1000);
    // merge into the recorded file under a lock (parallel runs of disjoint --only lists)
    await withLock(`${file}.lock`, async () => {
      const old: Entry[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { models?: Entry[] }).models ?? [] : [];
      const prev = old.find((m) => m.name === z.name);
      const rows = report.rows.map((r) => {
        const p = prev?.rows.find((x) => x.model === r.model);
        return p && values.merge ? { ...r, acc: { ...p.acc, ...r.acc } } : r;
      });
      const merged = { ...report, rows };
      const entry: Entry = { name: z.name, seconds, data: report.data, calibration: report.calibration, rows, markdown: accuracyMarkdown(merged), command, date: report.date };
      const all = [...old.filter((m) => m.name !== z.name && m.markdown !== undefined), entry];
      all.sort((a, b) => entries.findIndex((e) => e.name === a.name) - entries.findIndex((e) => e.name === b.name));
      await writeFileAtomic(file, `${JSON.stringify(summary(all, report.machine), null, 2)}\n`);
      process.stdout.write(`### ${z.name} (${seconds} s)\n${entry.markdown}\n`);
    });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`msq-accuracy: ${(e as Error).message}\n`);
  process.exit(1);
});
