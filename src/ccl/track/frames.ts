/**
 * A sequence of frames for `ccl track` / `ccl templates`: a folder of PNG / PPM / PGM files taken in name order
 * (plain code-point order of the file names, so number them with leading zeros), or one Y4M file (y4m.ts). Every
 * frame is delivered as rgb24 (a gray frame as R = G = B). All frames must have the size of the first.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseImage, type RasterImage } from '../../image/io.js';
import { UserError } from '../../util/errors.js';
import { openY4m } from './y4m.js';

export interface Sequence {
  /** The folder or file given. */
  source: string;
  width: number;
  height: number;
  count: number;
  /** Frame i (0-based) as rgb24. */
  frame(i: number): RasterImage;
  /** Frame i's name for messages: the file, or `video.y4m frame i+1`. */
  frameName(i: number): string;
}

const FRAME_EXT = /\.(png|ppm|pgm|pnm)$/i;

/** Parse a PPM (P3 plain or P6 raw, maxval 1..255) into rgb24. */
export function parsePpm(buf: Uint8Array, name: string): RasterImage {
  const kind = buf[1];
  let pos = 2;
  const token = (what: string): number => {
    while (pos < buf.length) {
      const c = buf[pos]!;
      if (c === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) pos++;
      else break;
    }
    const start = pos;
    while (pos < buf.length && buf[pos]! >= 0x30 && buf[pos]! <= 0x39) pos++;
    if (pos === start) throw new UserError(`${name}: ${pos >= buf.length ? 'truncated' : 'malformed'} PPM: ${what} missing`);
    return Number(new TextDecoder().decode(buf.subarray(start, pos)));
  };
  const width = token('width'), height = token('height'), maxval = token('maxval');
  if (width < 1 || height < 1) throw new UserError(`${name}: PPM size ${width}×${height} is empty`);
  if (maxval < 1 || maxval > 255) throw new UserError(`${name}: PPM maxval ${maxval} not supported: only 8-bit (1..255)`);
  const n = 3 * width * height;
  const data = new Uint8Array(n);
  const scale = (v: number): number => (maxval === 255 ? v : Math.floor((v * 255 + Math.floor(maxval / 2)) / maxval));
  if (kind === 0x36) {
    pos++;
    if (buf.length - pos < n) throw new UserError(`${name}: truncated: ${buf.length - pos} of ${n} pixel bytes present`);
    for (let i = 0; i < n; i++) data[i] = scale(Math.min(buf[pos + i]!, maxval));
  } else {
    for (let i = 0; i < n; i++) data[i] = scale(Math.min(token(`sample ${i}`), maxval));
  }
  return { width, height, format: 'rgb24', data };
}

/** Parse one frame file by content; gray and binary frames become rgb24. */
export function parseFrame(buf: Uint8Array, name: string): RasterImage {
  const img = buf[0] === 0x50 && (buf[1] === 0x33 || buf[1] === 0x36) ? parsePpm(buf, name) : parseImage(buf, name);
  if (img.format === 'rgb24') return img;
  const n = img.width * img.height;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = img.format === 'binary' ? (img.data[i] ? 255 : 0) : img.data[i]!;
    data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = v;
  }
  return { width: img.width, height: img.height, format: 'rgb24', data };
}

function folderSequence(dir: string): Sequence {
  const files = readdirSync(dir).filter((f) => FRAME_EXT.test(f)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new UserError(`${dir}: no frames (PNG, PPM or PGM files) in the folder`);
  const read = (i: number): RasterImage => {
    const p = join(dir, files[i]!);
    return parseFrame(readFileSync(p), p);
  };
  const first = read(0);
  return {
    source: dir, width: first.width, height: first.height, count: files.length,
    frame: (i) => {
      const img = i === 0 ? first : read(i);
      if (img.width !== first.width || img.height !== first.height) {
        throw new UserError(`${join(dir, files[i]!)}: frame ${i + 1} is ${img.width}×${img.height} but frame 1 (${files[0]}) is ${first.width}×${first.height}; all frames must have one size`);
      }
      return img;
    },
    frameName: (i) => join(dir, files[i]!),
  };
}

/** Open a folder of frames or a Y4M file. */
export function openSequence(path: string): Sequence {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new UserError(`${path}: no such file or folder (give a folder of PNG/PPM/PGM frames or a .y4m file)`);
  }
  if (isDir) return folderSequence(path);
  const y = openY4m(path);
  return {
    source: path, width: y.info.width, height: y.info.height, count: y.info.offsets.length,
    frame: (i) => y.frame(i), frameName: (i) => `${path} frame ${i + 1}`,
  };
}

/** A sequence of frames held in memory (generated sequences, tests, the demo). */
export function memorySequence(source: string, frames: readonly RasterImage[]): Sequence {
  if (frames.length === 0) throw new UserError(`${source}: no frames`);
  const { width, height } = frames[0]!;
  return { source, width, height, count: frames.length, frame: (i) => frames[i]!, frameName: (i) => `${source} frame ${i + 1}` };
}
