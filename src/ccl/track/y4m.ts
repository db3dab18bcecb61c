/**
 * YUV4MPEG2 (Y4M) — the raw video format ffmpeg writes — indexed, and decoded to RGB frame by frame.
 *
 * Header `YUV4MPEG2 W<w> H<h> [F<n>:<d>] [I<p>] [A<n>:<d>] [C<tag>] [X…]`, then per frame `FRAME[ params]\n` and
 * the Y plane, then Cb, then Cr. Chroma tags: C444 (full chroma) and the 4:2:0 tags C420jpeg (the default when the
 * tag is absent), C420, C420mpeg2 (chroma planes ⌈W/2⌉×⌈H/2⌉); any other tag (422, 411, mono, 10-bit …) is refused.
 *
 * YCbCr → RGB convention (BT.601 "studio swing", ffmpeg's default for yuv420p from RGB), integers only:
 *   c = Y − 16, d = Cb − 128, e = Cr − 128
 *   R = clip((298c + 409e + 128) >> 8), G = clip((298c − 100d − 208e + 128) >> 8), B = clip((298c + 516d + 128) >> 8)
 * 4:2:0 chroma is upsampled by repetition: pixel (x, y) uses chroma sample (⌊x/2⌋, ⌊y/2⌋), whatever the siting tag.
 * The writer (`encodeY4m`, for tests and generated sequences) uses the inverse BT.601 integer formulas and, for
 * 4:2:0, the rounded mean of each 2×2 block's chroma.
 */
import { readFileSync } from 'node:fs';
import type { RasterImage } from '../../image/io.js';
import { UserError } from '../../util/errors.js';
import { concatArrays } from '../../util/arrays.js';

export type Y4mChroma = '444' | '420';

export interface Y4mInfo {
  width: number;
  height: number;
  chroma: Y4mChroma;
  /** Byte offset of each frame's pixel data (after its FRAME line). */
  offsets: number[];
}

const TAGS: Record<string, Y4mChroma> = { '444': '444', '420jpeg': '420', '420': '420', '420mpeg2': '420' };

function clip(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function planeBytes(w: number, h: number, chroma: Y4mChroma): number {
  const cw = chroma === '444' ? w : Math.ceil(w / 2), ch = chroma === '444' ? h : Math.ceil(h / 2);
  return w * h + 2 * cw * ch;
}

/** Parse the stream header and index every frame; a truncated frame is an error naming the frame (1-based). */
export function indexY4m(buf: Uint8Array, name: string): Y4mInfo {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) throw new UserError(`${name}: not a Y4M file (no header line)`);
  const header = new TextDecoder('latin1').decode(buf.subarray(0, nl)).split(' ');
  if (header[0] !== 'YUV4MPEG2') throw new UserError(`${name}: not a Y4M file (header does not start with YUV4MPEG2)`);
  let width = 0, height = 0;
  let tag = '420jpeg';
  for (const p of header.slice(1)) {
    if (p === '') continue;
    const v = p.slice(1);
    if (p[0] === 'W') width = Number(v);
    else if (p[0] === 'H') height = Number(v);
    else if (p[0] === 'C') tag = v;
  }
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new UserError(`${name}: header: W and H must be positive integers (W${width} H${height})`);
  }
  const chroma = TAGS[tag];
  if (!chroma) throw new UserError(`${name}: header: unsupported chroma format C${tag}; use C444, C420jpeg, C420 or C420mpeg2 (ffmpeg -pix_fmt yuv420p or yuv444p)`);
  const size = planeBytes(width, height, chroma);
  const offsets: number[] = [];
  let pos = nl + 1;
  while (pos < buf.length) {
    const frame = offsets.length + 1;
    const end = buf.indexOf(0x0a, pos);
    const line = new TextDecoder('latin1').decode(buf.subarray(pos, end < 0 ? Math.min(buf.length, pos + 16) : end));
    if (!line.startsWith('FRAME')) throw new UserError(`${name}: frame ${frame}: expected a FRAME line, found '${line.slice(0, 16)}'`);
    if (end < 0) throw new UserError(`${name}: frame ${frame}: truncated (FRAME line without pixel data)`);
    const data = end + 1;
    if (buf.length - data < size) throw new UserError(`${name}: frame ${frame}: truncated (${buf.length - data} of ${size} bytes)`);
    offsets.push(data);
    pos = data + size;
  }
  if (offsets.length === 0) throw new UserError(`${name}: no frames`);
  return { width, height, chroma, offsets };
}

/** One frame as rgb24. */
export function decodeY4mFrame(buf: Uint8Array, info: Y4mInfo, index: number): RasterImage {
  const { width: W, height: H, chroma } = info;
  const base = info.offsets[index]!;
  const cw = chroma === '444' ? W : Math.ceil(W / 2);
  const ch = chroma === '444' ? H : Math.ceil(H / 2);
  const uBase = base + W * H, vBase = uBase + cw * ch;
  const data = new Uint8Array(3 * W * H);
  for (let y = 0; y < H; y++) {
    const cy = chroma === '444' ? y : y >> 1;
    for (let x = 0; x < W; x++) {
      const cx = chroma === '444' ? x : x >> 1;
      const c = buf[base + y * W + x]! - 16;
      const d = buf[uBase + cy * cw + cx]! - 128;
      const e = buf[vBase + cy * cw + cx]! - 128;
      const i = 3 * (y * W + x);
      data[i] = clip((298 * c + 409 * e + 128) >> 8);
      data[i + 1] = clip((298 * c - 100 * d - 208 * e + 128) >> 8);
      data[i + 2] = clip((298 * c + 516 * d + 128) >> 8);
    }
  }
  return { width: W, height: H, format: 'rgb24', data };
}

/** Read a Y4M file (indexed at once; frames decoded on demand). */
export function openY4m(path: string): { info: Y4mInfo; frame(i: number): RasterImage } {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const info = indexY4m(buf, path);
  return { info, frame: (i) => decodeY4mFrame(buf, info, i) };
}

/** Encode rgb24 frames as Y4M (C444 or C420jpeg). */
export function encodeY4m(frames: readonly RasterImage[], chroma: Y4mChroma = '420', fps = 2000): Uint8Array {
  const { width: W, height: H } = frames[0]!;
  const head = `YUV4MPEG2 W${W} H${H} F${fps}:1 Ip A1:1 C${chroma === '444' ? '444' : '420jpeg'}\n`;
  const size = planeBytes(W, H, chroma);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(head)];
  const cw = chroma === '444' ? W : Math.ceil(W / 2), chh = chroma === '444' ? H : Math.ceil(H / 2);
  for (const f of frames) {
    parts.push(enc.encode('FRAME\n'));
    const out = new Uint8Array(size);
    const u = new Float64Array(cw * chh), v = new Float64Array(cw * chh), n = new Float64Array(cw * chh);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = 3 * (y * W + x);
        const r = f.data[i]!, g = f.data[i + 1]!, b = f.data[i + 2]!;
        out[y * W + x] = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
        const k = chroma === '444' ? y * W + x : (y >> 1) * cw + (x >> 1);
        u[k] += ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
        v[k] += ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
        n[k] += 1;
      }
    }
    for (let k = 0; k < cw * chh; k++) {
      out[W * H + k] = Math.floor(u[k]! / n[k]! + 0.5);
      out[W * H + cw * chh + k] = Math.floor(v[k]! / n[k]! + 0.5);
    }
    parts.push(out);
  }
  return concatArrays(Uint8Array, parts);
}
