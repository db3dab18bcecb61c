/**
 * `--calib generate` (src/msq/datafree): the BatchNorm-statistics loss's input gradient against finite differences,
 * generated images matching the stored statistics far better than random images, quantizing with them at least
 * as well as --calib none on a trained zoo model, the images written next to the output, and the one-line error on
 * a model without BatchNormalization.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatShapes, runFloat } from '../src/msq/float.js';
import type { FloatModel } from '../src/msq/model.js';
import type { ChannelStats } from '../src/msq/onnx.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { backprop } from '../src/msq/plan/grad.js';
import { bnLoss, bnLossOf, generateCalibration } from '../src/msq/datafree/generate.js';
import { calibrate, quantizeImported } from '../src/msq/cli-quantize.js';
import { quantAccuracy } from '../src/msq/cli-accuracy.js';
import { mulberry32 } from '../src/util/random.js';
import { PROJECT_ROOT } from '../src/version.js';
import { generatedCalib, generatedDir } from '../src/msq/datafree/cli.js';
import { loadCalibFolder } from '../src/msq/calib.js';
import { tinyModel } from './support/plan-tiny.js';
import { runCli, withTempDir } from './support/cli.js';

/** "Training data" of the tiny model: smooth blobs, unlike uniform noise. */
function blobs(n: number, seed: number): Float64Array[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const [cy, cx, s] = [r() * 6, r() * 6, 1 + 2 * r()];
    return Float64Array.from({ length: 72 }, (_, i) => {
      const [c, y, x] = [Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6];
      return (c ? 0.3 : 0.9) * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (s * s));
    });
  });
}

/** Per-channel mean / std of layer outputs over inputs (what a BatchNorm would have stored). */
function statsOf(m: FloatModel, xs: Float64Array[], names: string[]): Map<string, ChannelStats> {
  const shapes = floatShapes(m);
  const runs = xs.map((x) => runFloat(m, x, { keepAll: true, shapes }).tensors!);
  return new Map(names.map((name) => {
    const C = shapes.get(name)![0]!;
    const P = runs[0]!.get(name)!.length / C;
    const st: ChannelStats = { mean: [], std: [] };
    for (let c = 0; c < C; c++) {
      const v = runs.flatMap((t) => Array.from(t.get(name)!.subarray(c * P, (c + 1) * P)));
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      st.mean.push(mu);
      st.std.push(Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length));
    }
    return [name, st];
  }));
}

describe('msq datafree: --calib generate', () => {
  const m = tinyModel();
  const stats = statsOf(m, blobs(64, 3), ['c1', 'c3']);

  it('the BatchNorm-statistics loss: input gradient through the reverse-mode pass equals central finite differences', () => {
    const shapes = floatShapes(m);
    const xs = blobs(3, 9).map((x) => x.map((v, i) => v + 0.2 * Math.sin(i)));
    const lossAt = (): number => bnLoss(stats, shapes, xs.map((x) => runFloat(m, x, { keepAll: true, shapes }).tensors!)).loss;
    const runs = xs.map((x) => runFloat(m, x, { keepAll: true, shapes }).tensors!);
    const bl = bnLoss(stats, shapes, runs);
    expect(bl.loss).toBeGreaterThan(1e-3);
    const h = 1e-6;
    let checked = 0;
    for (let b = 0; b < xs.length; b++) {
      const g = backprop(m, shapes, runs[b]!, { seeds: bl.seeds[b]!, inputOnly: true }).act.get('input')!;
      for (let k = b; k < 72; k += 11) {
        const x0 = xs[b]![k]!;
        xs[b]![k] = x0 + h;
        const up = lossAt();
        xs[b]![k] = x0 - h;
        const dn = lossAt();
        xs[b]![k] = x0;
        expect(g[k]!, `image ${b} input[${k}]`).toBeCloseTo((up - dn) / (2 * h), 6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('generated images match the stored statistics far better than random images, and differ from each other', () => {
    const g = generateCalibration(m, stats, { n: 16, steps: 120, batch: 16, lr: 0.05 });
    const r = mulberry32(5);
    const random = Array.from({ length: 16 }, () => Float64Array.from({ length: 72 }, () => r()));
    const lr = bnLossOf(m, stats, random, 16);
    const lg = bnLossOf(m, stats, g.images, 16);
    expect(lg).toBeLessThan(lr / 20);
    expect(g.lossEnd).toBeLessThan(g.lossStart / 20);
    // diversity: the images are not one image repeated
    const dist = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
    expect(Math.min(...g.images.slice(1).map((x) => dist(x, g.images[0]!)))).toBeGreaterThan(0.05);
  });

  it('on a trained zoo model: far lower loss than random images, and quantizing with them is at least as good as --calib none', async () => {
    const imp = await loadOnnx(join(PROJECT_ROOT, 'models', 'zoo', 'plain-mnist.onnx'));
    const test = loadEvalSet('mnist', undefined, 300);
    const r = mulberry32(8);
    const random = Array.from({ length: 8 }, () => Float64Array.from({ length: 784 }, () => r()));
    // generated into a folder and read back, as `--calib generate` then `--calib <that folder>` would
    const gen = await withTempDir('datafree', async (dir) => {
      const g = await generatedCalib(imp.model, imp.bnStats, 8, { dir, steps: 25 });
      expect(bnLossOf(imp.model, imp.bnStats, g.samples, 8)).toBeLessThan(bnLossOf(imp.model, imp.bnStats, random, 8) / 10);
      return calibrate(imp, { kind: 'folder', path: dir }, undefined, { cle: 'weights' });
    });
    const board = 'xc7z020';
    const none = await calibrate(imp, { kind: 'none' }, undefined, {});
    const accNone = quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'variance', calib: { kind: 'none' } }, none)).model, test);
    const accGen = quantAccuracy((await quantizeImported(imp, { board, scheme: 'msq', rule: 'output', calib: { kind: 'none' } }, gen)).model, test);
    expect(accGen).toBeGreaterThanOrEqual(accNone);
    expect(accGen).toBeGreaterThan(95);
  }, 120_000);

  it('the images written next to the output are exactly the calibration set (--calib <folder> reads them back)', async () => {
    await withTempDir('datafree', async (dir) => {
      const out = join(dir, 'm.q.calib');
      expect(generatedDir(join(dir, 'm.q.json'))).toBe(out);
      const r = await generatedCalib(m, stats, 4, { dir: out, steps: 5 });
      expect(readdirSync(out).sort()).toEqual(['img-0000.png', 'img-0001.png', 'img-0002.png', 'img-0003.png']);
      const back = await loadCalibFolder(out, m.input.shape);
      back.forEach((x, i) => x.forEach((v, k) => expect(v).toBeCloseTo(r.samples[i]![k]!, 12)));
    });
  });

  it('quantize --calib generate on a model without BatchNormalization: one-line error, nothing written', async () => {
    await withTempDir('datafree', async (dir) => {
      const out = join(dir, 'qat.q.json');
      const r = await runCli(['quantize', join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx'), '--board', 'xc7z020', '--calib', 'generate', '-o', out]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--calib generate.*no BatchNormalization.*--calib none.*folder/);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(dir, 'qat.q.calib'))).toBe(false);
    });
  });
});
