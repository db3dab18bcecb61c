/**
 * IDX files (the MNIST / Fashion-MNIST container: `train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, …), plain
 * or gzipped (detected by the gzip magic 1f 8b, not by the file name).
 *
 * Layout: two zero bytes, a type byte (only 0x08 = unsigned byte is read), the number of dimensions d, then d
 * big-endian uint32 sizes, then the data, row-major. Images are idx3 ([n, rows, cols]), labels idx1 ([n]).
 * Every problem (not IDX, wrong type or rank, truncated data, trailing bytes, images and labels of different
 * counts) is a UserError naming the file.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fail } from '../util/errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Decode an IDX byte buffer (already un-gzipped or gzipped). `file` names it in errors. */
export function decodeIdx(raw: Uint8Array, file: string): IdxArray {
  let buf = raw;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      fail(file, `gzip data is damaged or truncated (${(e as Error).message})`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) fail(file, 'not an IDX file (it must start with two zero bytes, a type byte and a rank byte)');
  if (buf[2] !== 0x08) fail(file, `IDX element type 0x${buf[2]!.toString(16).padStart(2, '0')} is not supported (only 0x08, unsigned bytes)`);
  const rank = buf[3]!;
  if (rank < 1 || rank > 4) fail(file, `IDX rank ${rank} is not supported (1..4)`);
  const head = 4 + 4 * rank;
  if (buf.length < head) fail(file, `truncated IDX header: ${buf.length} bytes, the ${rank} sizes need ${head}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const n = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - head;
  if (have < n) fail(file, `truncated IDX file: the header says [${dims.join(', ')}] = ${n} bytes of data, the file has ${have}`);
  if (have > n) fail(file, `IDX file has ${have - n} bytes after the [${dims.join(', ')}] data: not one IDX array`);
  return { dims, data: buf.subarray(head, head + n) };
}

/** Read an IDX file from disk. */
export function readIdx(file: string): IdxArray {
  let raw: Uint8Array;
  try {
    raw = readFileSync(file);
  } catch (e) {
    fail(file, `cannot read IDX file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeIdx(raw, file);
}

export interface LabeledImages {
  /** one Uint8Array of rows·cols bytes per image */
  images: Uint8Array[];
  labels: number[];
  rows: number;
  cols: number;
}

function imagesOf(a: IdxArray, file: string, limit?: number): { images: Uint8Array[]; rows: number; cols: number } {
  if (a.dims.length !== 3) fail(file, `expected an idx3 image file [n, rows, cols], this one is rank ${a.dims.length} [${a.dims.join(', ')}]`);
  const [n, rows, cols] = a.dims as [number, number, number];
  const px = rows * cols;
  const take = limit === undefined ? n : Math.min(n, limit);
  const images: Uint8Array[] = [];
  for (let i = 0; i < take; i++) images.push(a.data.slice(i * px, (i + 1) * px));
  return { images, rows, cols };
}

/** Images of an idx3 file, [n, rows, cols]; the first `limit` only when given. */
export function readIdxImages(file: string, limit?: number): { images: Uint8Array[]; rows: number; cols: number } {
  return imagesOf(readIdx(file), file, limit);
}

/** Labels of an idx1 file. */
export function readIdxLabels(file: string): number[] {
  const a = readIdx(file);
  if (a.dims.length !== 1) fail(file, `expected an idx1 label file [n], this one is rank ${a.dims.length} [${a.dims.join(', ')}]`);
  return Array.from(a.data);
}

/** An image file and its label file; their counts must agree. */
export function readIdxPair(imagesFile: string, labelsFile: string, limit?: number): LabeledImages {
  const a = readIdx(imagesFile);
  const { images, rows, cols } = imagesOf(a, imagesFile, limit);
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== a.dims[0]) {
    fail(labelsFile, `has ${labels.length} labels but ${imagesFile} has ${a.dims[0]} images: give the label file that belongs to it`);
  }
  return { images, labels: labels.slice(0, images.length), rows, cols };
}

/** Encode bytes as an IDX array (for tests and for writing data sets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  const view = new DataView(head.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}
