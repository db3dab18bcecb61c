/**
 * Benchmark: the small ViT of models/vit (scripts/train-vit.py) on held-out Fashion-MNIST t10k images — float
 * (imported ONNX) vs I-ViT INT8 (golden model, ivit's integer operators) vs MSQ-4 encoder linears. Calibration: the
 * first 64 training images. Target: INT8 within 0.5 points of float.
 *
 *   npx tsx bench/ivit-accuracy.ts [--n 1000]
 *
 * Writes bench/results/ivit-accuracy.json with the date, machine and load average.
 */
import { readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/util/fsx.js';
import { PROJECT_ROOT } from '../src/version.js';
import { loadCalibSet, loadEvalSet } from '../src/data/datasets.js';
import { runFloat } from '../src/msq/float.js';
import { argmax, prepareModel, runGolden } from '../src/msq/golden.js';
import { importOnnx } from '../src/msq/onnx.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' } }, strict: true });
const n = Number(values.n);
const { model } = importOnnx(readFileSync(join(PROJECT_ROOT, 'models/vit/vit-fashion.op17.onnx')), 'vit-fashion.op17.onnx');
const calib = loadCalibSet('fashion-mnist', 64).images.map((im) => Float64Array.from(im, (p) => p / 255));
const ev = loadEvalSet('fashion-mnist', undefined, n);
const t0 = Date.now();
const f = ev.images.map((im) => argmax(runFloat(model, Float64Array.from(im, (p) => p / 255)).output));
const acc = (pred: number[]): number => Math.round((10000 * pred.filter((p, i) => p === ev.labels[i]).length) / n) / 100;
const rows: Record<string, unknown>[] = [{ model: 'float', accuracy: acc(f) }];
for (const linears of ['int8', 'msq4'] as const) {
  const pm = prepareModel(quantizeVit(model, calib, { linears }));
  const q = ev.images.map((im) => argmax(runGolden(pm, Int32Array.from(im)).output.data));
  rows.push({ model: linears === 'int8' ? 'I-ViT INT8' : 'MSQ-4 linears (fixed/SP2, INT8 activations)', accuracy: acc(q), agreeWithFloat: Math.round((10000 * q.filter((p, i) => p === f[i]).length) / n) / 100 });
}
const int8 = rows[1]!.accuracy as number;
const out = {
  date: new Date().toISOString(), machine: { host: hostname(), cpu: cpus()[0]?.model, load: loadavg() },
  command: `npx tsx bench/ivit-accuracy.ts --n ${n}`, data: ev.what, calibration: '64 Fashion-MNIST training images',
  rows, target: 'INT8 within 0.5 points of float', met: Math.abs(int8 - (rows[0]!.accuracy as number)) <= 0.5 || int8 >= (rows[0]!.accuracy as number),
  seconds: (Date.now() - t0) / 1000,
};
await writeFileAtomic(join(PROJECT_ROOT, 'bench/results/ivit-accuracy.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify(rows));
