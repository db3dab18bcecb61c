/**
 * Benchmark: wall time of post-training quantization of a 224×224 ResNet-18-size model with 256 calibration images
 * (issue 11 target: ≤ 10 minutes on this machine). The model is torchvision's resnet18 exported by
 * scripts/export-zoo.py into ~/.cache/accelforge/zoo/resnet18.onnx; the calibration images are seeded synthetic
 * 224×224 RGB PNGs (smooth random blobs; no ImageNet on this machine), written to a temporary folder. The run is
 * `quantize` at its defaults (MSQ, output rule, mse clipping, --weight-fit sequential) with the given --cle.
 * Records date, machine, load, wall and CPU seconds in bench/results/msq-ptq-time.json.
 *
 *   npx tsx bench/msq-ptq-time.ts [--onnx ~/.cache/accelforge/zoo/resnet18.onnx] [--n 256] [--cle auto] [--board xc7z020]
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, homedir, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { mulberry32 } from '../src/util/random.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { quantizeImported, type CleChoice } from '../src/msq/cli-quantize.js';

/** A seeded 224×224 RGB image: a few soft colored blobs on a gradient. */
function syntheticPng(seed: number, size: number): Buffer {
  const r = mulberry32(seed);
  const png = new PNG({ width: size, height: size });
  const blobs = Array.from({ length: 6 }, () => ({ x: r() * size, y: r() * size, s: (0.05 + 0.25 * r()) * size, c: [r(), r(), r()] }));
  const base = [r(), r(), r()];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let v = base[c]! * (0.5 + (0.5 * y) / size);
        for (const b of blobs) v += b.c[c]! * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        png.data[(y * size + x) * 4 + c] = Math.max(0, Math.min(255, Math.round(v * 160)));
      }
      png.data[(y * size + x) * 4 + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      onnx: { type: 'string', default: join(homedir(), '.cache', 'accelforge', 'zoo', 'resnet18.onnx') },
      n: { type: 'string', default: '256' },
      cle: { type: 'string', default: 'auto' },
      board: { type: 'string', default: 'xc7z020' },
    },
    strict: true,
  });
  if (!existsSync(values.onnx)) throw new Error(`${values.onnx} not found: run /usr/bin/python3 scripts/export-zoo.py (torchvision export)`);
  const n = Number(values.n);
  const dir = await mkdtemp(join(tmpdir(), 'accelforge-ptq-time-'));
  try {
    const imp = await loadOnnx(values.onnx);
    const size = imp.model.input.shape[1]!;
    for (let i = 0; i < n; i++) await writeFile(join(dir, `img${String(i).padStart(4, '0')}.png`), syntheticPng(1000 + i, size));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { report, calibMethod } = await quantizeImported(imp, {
      board: values.board, scheme: 'msq', rule: 'output', calib: { kind: 'folder', path: dir, n }, cle: values.cle as CleChoice,
    });
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    const cpu0 = process.cpuUsage(c0);
    // CPU seconds of this process: on a loaded shared machine the wall time mostly measures the other jobs
    const cpuSeconds = Number(((cpu0.user + cpu0.system) / 1e6).toFixed(1));
    const cpu = cpus();
    const out = {
      benchmark: 'msq-ptq-time',
      what: `post-training quantization (quantize defaults, --cle ${values.cle}) of ${values.onnx.replace(homedir(), '~')} with ${n} synthetic ${size}x${size} calibration images`,
      command: `npx tsx bench/msq-ptq-time.ts --n ${n} --cle ${values.cle} --board ${values.board}`,
      date: new Date().toISOString(),
      machine: `${cpu[0]?.model ?? 'unknown cpu'} (${cpu.length} cores), node ${process.version}, host ${hostname()}`,
      loadavg1m: Number(loadavg()[0]!.toFixed(2)),
      target: 'PTQ of a 224x224 ResNet-18-size model with 256 calibration images in <= 10 minutes',
      seconds,
      cpuSeconds,
      calibration: calibMethod,
      layers: report.layers.length,
    };
    await writeFileAtomic(join(PROJECT_ROOT, 'bench', 'results', 'msq-ptq-time.json'), `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`${out.what}: ${seconds} s wall, ${cpuSeconds} s CPU (load ${out.loadavg1m})\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`msq-ptq-time: ${(e as Error).message}\n`);
  process.exit(1);
});
