/**
 * IDX data sets (src/data/idx.ts, datasets.ts) and `accelforge accuracy --float/--model --data --labels --n`:
 * round trips plain and gzipped, every bad-input error names its file, and an IDX copy of held-out digits scores
 * exactly what the named `mnist` set scores (two independent loading paths must agree image for image).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';
import { decodeIdx, encodeIdx, readIdxPair } from '../src/data/idx.js';
import { loadCalibSet, loadEvalSet } from '../src/data/datasets.js';
import { evaluate } from '../src/msq/cli-accuracy.js';
import { calibrate } from '../src/msq/cli-quantize.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { loadMnist } from '../src/data/mnist.js';
import { runCli, withTempDir } from './support/cli.js';

const model = join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json');
const onnx = join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx');

async function writeIdxSet(dir: string, n: number, gz: boolean): Promise<{ images: string; labels: string }> {
  const set = loadMnist('test', n);
  const px = new Uint8Array(n * 784);
  set.images.forEach((img, i) => px.set(img, i * 784));
  const img = encodeIdx([n, 28, 28], px);
  const lab = encodeIdx([n], Uint8Array.from(set.labels));
  const images = join(dir, `imgs-idx3-ubyte${gz ? '.gz' : ''}`);
  const labels = join(dir, `labs-idx1-ubyte${gz ? '.gz' : ''}`);
  await writeFile(images, gz ? gzipSync(img) : img);
  await writeFile(labels, gz ? gzipSync(lab) : lab);
  return { images, labels };
}

describe('IDX reader', () => {
  it('decodes plain and gzipped arrays to the same dims and bytes', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) & 255);
    const raw = encodeIdx([2, 3, 4], data);
    for (const buf of [raw, gzipSync(raw)]) {
      const a = decodeIdx(buf, 'x.idx');
      expect(a.dims).toEqual([2, 3, 4]);
      expect(Array.from(a.data)).toEqual(Array.from(data));
    }
  });
  it('names the file for truncated, damaged, foreign and padded input', () => {
    const raw = encodeIdx([2, 3, 4], new Uint8Array(24));
    expect(() => decodeIdx(raw.subarray(0, raw.length - 1), 'cut.idx')).toThrow(/^cut\.idx: truncated IDX file.*\[2, 3, 4\] = 24 bytes.*has 23/);
    expect(() => decodeIdx(raw.subarray(0, 9), 'head.idx')).toThrow(/^head\.idx: truncated IDX header/);
    expect(() => decodeIdx(gzipSync(raw).subarray(0, 20), 'gz.idx.gz')).toThrow(/^gz\.idx\.gz: gzip data is damaged or truncated/);
    expect(() => decodeIdx(new TextEncoder().encode('P5 28 28 255'), 'a.pgm')).toThrow(/^a\.pgm: not an IDX file/);
    const padded = new Uint8Array(raw.length + 3);
    padded.set(raw);
    expect(() => decodeIdx(padded, 'pad.idx')).toThrow(/^pad\.idx: IDX file has 3 bytes after/);
    const float = raw.slice();
    float[2] = 0x0d;
    expect(() => decodeIdx(float, 'f.idx')).toThrow(/^f\.idx: IDX element type 0x0d/);
  });
  it('image and label counts that differ name the label file', async () => {
    await withTempDir('idx', async (dir) => {
      const a = await writeIdxSet(dir, 6, false);
      const lab5 = join(dir, 'five-idx1-ubyte');
      await writeFile(lab5, encodeIdx([5], new Uint8Array(5)));
      expect(() => readIdxPair(a.images, lab5)).toThrow(new RegExp(`^${lab5}: has 5 labels but .* has 6 images`));
      expect(() => readIdxPair(a.labels, a.labels)).toThrow(/expected an idx3 image file/);
      expect(() => loadEvalSet(a.images, undefined)).toThrow(/^--labels: .* is an IDX image file/);
    });
  });
});

describe('accuracy on IDX files', () => {
  it('an IDX copy (gzipped) of held-out digits scores exactly as --data mnist, float and golden', async () => {
    await withTempDir('idx', async (dir) => {
      const f = await writeIdxSet(dir, 40, true);
      const named = await evaluate({ floatOnnx: onnx, model, data: 'mnist', n: 40 });
      const idx = await evaluate({ floatOnnx: onnx, model, data: f.images, labels: f.labels, n: 40 });
      expect(idx.float).toBe(named.float);
      expect(idx.quant).toBe(named.quant);
      expect(named.float).toBeGreaterThan(80);
      // calibration from an IDX file = calibration from the same images by name
      const imp = await loadOnnx(onnx);
      const train = loadMnist('train', 12);
      const px = new Uint8Array(12 * 784);
      train.images.forEach((img, i) => px.set(img, i * 784));
      const calibFile = join(dir, 'calib-idx3-ubyte');
      await writeFile(calibFile, encodeIdx([12, 28, 28], px));
      expect(loadCalibSet(calibFile, 12).images).toHaveLength(12);
      const a = await calibrate(imp, { kind: 'set', spec: calibFile, n: 12 });
      const b = await calibrate(imp, { kind: 'set', spec: 'mnist', n: 12 });
      expect([...a.ranges]).toEqual([...b.ranges]);
    });
  });
  it('CLI: prints both accuracies; a count mismatch is a one-line error naming the file, exit 1', async () => {
    await withTempDir('idx', async (dir) => {
      const f = await writeIdxSet(dir, 20, false);
      const ok = await runCli(['accuracy', '--float', onnx, '--model', model, '--data', f.images, '--labels', f.labels, '--n', '20']);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/float .*: \d+\.\d\d % on 20 images of/);
      expect(ok.stdout).toMatch(/golden .*: \d+\.\d\d % on 20 images of/);
      const bad = join(dir, 'bad-idx1-ubyte');
      await writeFile(bad, encodeIdx([19], new Uint8Array(19)));
      const r = await runCli(['accuracy', '--model', model, '--data', f.images, '--labels', bad]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${bad}: has 19 labels`);
    });
  });
});
