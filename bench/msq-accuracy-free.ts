/**
 * Benchmark: accuracy of the model zoo (models/zoo/*.onnx) with no training data at quantization time, beside
 * quantization-aware training. Per model: float; MSQ PTQ with data-free ranges (--calib none, variance rule);
 * MSQ PTQ calibrated on images generated from the model's BatchNorm statistics (--calib generate, output rule,
 * src/msq/datafree); and the QAT model written by scripts/qat.py (models/qat/NAME-qat.onnx, if present) with its
 * trained codes kept. W4A4 inner layers, 8-bit first/last, through the integer golden model. Records date, machine
 * and the table in bench/results/msq-accuracy-free.json (rewritten after every model).
 * Targets (issue 11): generated within 2.0 points of float, QAT within 0.5.
 *
 *   npx tsx bench/msq-accuracy-free.ts [--n 1000] [--calib-n 64] [--steps 100] [--board xc7z020] [--only plain-mnist,…]
 */
import { existsSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { calibrate, quantizeImported } from '../src/msq/cli-quantize.js';
import { floatAccuracy, quantAccuracy } from '../src/msq/cli-accuracy.js';

const ZOO = ['plain', 'resgap', 'dwsep', 'widefc'].flatMap((a) => ['mnist', 'fashion-mnist'].map((d) => ({ name: `${a}-${d}`, data: d })));

interface Row {
  name: string;
  float: number;
  dataFree: number;
  generated: number;
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
    },
    strict: true,
  });
  const only = new Set(values.only.split(',').filter(Boolean));
  const file = join(PROJECT_ROOT, 'bench', 'results', 'msq-accuracy-free.json');
  const board = values.board;
  const rows: Row[] = [];
  for (const z of ZOO) {
    if (only.size && !only.has(z.name)) continue;
    const t0 = performance.now();
    const test = loadEvalSet(z.data, undefined, Number(values.n));
    const imp = await loadOnnx(join(PROJECT_ROOT, 'models', 'zoo', `${z.name}.onnx`));
    const float = floatAccuracy(imp, test);
    const none = await calibrate(imp, { kind: 'none' }, undefined, {});
    const dataFree = quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'variance', calib: { kind: 'none' } }, none)).model, test);
    const gen = await calibrate(imp, { kind: 'generate', n: Number(values['calib-n']), steps: Number(values.steps) }, undefined, { board });
    const generated = quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'output', calib: { kind: 'none' } }, gen)).model, test);
    const row: Row = { name: z.name, float, dataFree, generated, generation: gen.method, seconds: 0 };
    const qatFile = join(PROJECT_ROOT, 'models', 'qat', `${z.name}-qat.onnx`);
    if (existsSync(qatFile)) {
      const qimp = await loadOnnx(qatFile);
      row.qatFloat = floatAccuracy(qimp, test);
      const qcal = await calibrate(qimp, { kind: 'none' }, undefined, { cle: 'off' });
      row.qat = quantAccuracy((await quantizeImported(qimp, { board, scheme: 'msq', rule: 'variance', calib: { kind: 'none' }, cle: 'off' }, qcal)).model, test);
    }
    row.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    const gap = (k: 'generated' | 'qat' | 'dataFree'): (number | null)[] => rows.map((r) => (r[k] === undefined ? null : Number((r.float - r[k]!).toFixed(2))));
    const cpu = cpus();
    const out = {
      benchmark: 'msq-accuracy-free',
      what: 'accuracy (%) float vs integer golden model, W4A4 MSQ (8-bit edges): data-free ranges, generated calibration (BatchNorm statistics), QAT (scripts/qat.py)',
      command: `npx tsx bench/msq-accuracy-free.ts --n ${values.n} --calib-n ${values['calib-n']} --steps ${values.steps} --board ${board}`,
      date: new Date().toISOString(),
      machine: `${cpu[0]?.model ?? 'unknown cpu'} (${cpu.length} cores), node ${process.version}, host ${hostname()}`,
      loadavg1m: Number(loadavg()[0]!.toFixed(2)),
      generatorVersion: GENERATOR_VERSION,
      target: 'generated calibration within 2.0 points of float, QAT within 0.5',
      gapGenerated: gap('generated'),
      gapQat: gap('qat'),
      gapDataFree: gap('dataFree'),
      rows,
    };
    await writeFileAtomic(file, `${JSON.stringify(out, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`msq-accuracy-free: ${(e as Error).message}\n`);
  process.exit(1);
});
