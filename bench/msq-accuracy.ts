/**
 * Benchmark: the MNIST accuracy table of issue 3 — float, fixed-only, SP2-only, MSQ-variance, MSQ-error, a random
 * fixed/SP2 split (same ratio) and the QAT model's trained codes, through the integer golden model, on the held-out
 * digits (src/msq/mnist.ts split). Target: the QAT MSQ model at 4-bit W/A within 1.5 points of float.
 * Records the table with date and machine in bench/results/msq-accuracy.json (and prints it as Markdown).
 *
 *   npx tsx bench/msq-accuracy.ts [--n 2004] [--board xc7z020] [--seeds 3]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { accuracyMarkdown, measureAccuracy } from '../src/msq/cli-accuracy.js';
import { DEFAULT_CALIB_N } from '../src/msq/cli-quantize.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { n: { type: 'string', default: '2004' }, board: { type: 'string', default: 'xc7z020' }, seeds: { type: 'string', default: '3' } },
    strict: true,
  });
  const t0 = performance.now();
  const report = await measureAccuracy({
    n: Number(values.n),
    board: values.board,
    floatOnnx: join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx'),
    qatOnnx: join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx'),
    calibN: DEFAULT_CALIB_N,
    seeds: Number(values.seeds),
    dataFree: true,
    log: (s) => process.stderr.write(`${s}\n`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const md = accuracyMarkdown(report);
  const floatAcc = report.rows[0]!.acc.float!;
  const qat = report.rows.find((r) => r.model.startsWith('QAT'))?.acc.msqAsTrained;
  const out = {
    ...report,
    benchmark: 'msq-accuracy',
    what: 'MNIST held-out accuracy (%), float vs integer golden model per weight scheme, PTQ and QAT',
    command: `npx tsx bench/msq-accuracy.ts --n ${values.n} --board ${values.board} --seeds ${values.seeds} (with --data-free rows)`,
    generatorVersion: GENERATOR_VERSION,
    seconds: Number(seconds.toFixed(1)),
    loadavg1m: Number(loadavg()[0]!.toFixed(2)),
    target: 'QAT MSQ (as trained, 4-bit W/A) within 1.5 points of the float model',
    qatGapPoints: qat === undefined ? null : Number((floatAcc - qat).toFixed(2)),
    meetsTarget: qat === undefined ? null : floatAcc - qat <= 1.5,
    markdown: md,
  };
  const file = join(PROJECT_ROOT, 'bench', 'results', 'msq-accuracy.json');
  await writeFileAtomic(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`${md}\nactivation ranges: ${report.calibration}\n${report.date}; ${report.machine}\nwrote ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`msq-accuracy: ${(e as Error).message}\n`);
  process.exit(1);
});
