/**
 * Image I/O shared by the cores: readers/writers for PGM (P2/P5), PBM (P1/P4) and PNG.
 *
 * - PGM: maxval 1..255. Samples are rescaled to 0..255 when maxval < 255: v' = ⌊(v·255 + ⌊maxval/2⌋) / maxval⌋
 *   (exact identity for maxval = 255). maxval > 255 (16-bit PGM) is refused.
 * - PBM: 1 = black = foreground; read as pixel format 'binary' (bytes 0/1).
 * - PNG (pngjs): grayscale (with or without alpha) → 'gray8'; RGB, RGBA (alpha dropped) and palette (expanded by
 *   pngjs) → 'rgb24'; 16-bit samples are scaled to 8 bits by pngjs.
 * Malformed or truncated files raise a one-line UserError naming the file and the problem.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { PixelFormat, RasterImage } from './format.js';
import { bytesPerPixel, luma } from './format.js';
import { UserError } from '../util/errors.js';

export type { PixelFormat, RasterImage } from './format.js';

/** A blank image of the given format. */
export function makeImage(width: number, height: number, format: PixelFormat = 'gray8'): RasterImage {
  return { width, height, format, data: new Uint8Array(width * height * bytesPerPixel(format)) };
}

/** RGB → gray8 with the same luma as the histogram uses (format.ts `luma`); gray8 returned as is. */
export function toGray(image: RasterImage): RasterImage {
  if (image.format === 'gray8') return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n);
  if (image.format === 'binary') for (let i = 0; i < n; i++) data[i] = image.data[i] ? 255 : 0;
  else for (let i = 0; i < n; i++) data[i] = luma(image.data[3 * i]!, image.data[3 * i + 1]!, image.data[3 * i + 2]!);
  return { width: image.width, height: image.height, format: 'gray8', data };
}

function bad(name: string, problem: string): never {
  throw new UserError(`${name}: ${problem}`);
}

/** Reads the whitespace/comment separated header tokens of a Netpbm file. */
class NetpbmHeader {
  pos = 2; // after the magic number
  constructor(private readonly buf: Uint8Array, private readonly name: string) {}

  private skipSpaceAndComments(): void {
    const b = this.buf;
    while (this.pos < b.length) {
      const ch = b[this.pos]!;
      if (ch === 0x23 /* # */) {
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      } else if (ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d || ch === 0x0b || ch === 0x0c) {
        this.pos++;
      } else {
        return;
      }
    }
  }

  /** Next unsigned decimal integer; `what` names it in errors. */
  int(what: string): number {
    this.skipSpaceAndComments();
    const b = this.buf;
    if (this.pos >= b.length) bad(this.name, `truncated header: ${what} missing`);
    const start = this.pos;
    while (this.pos < b.length && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x39) this.pos++;
    if (this.pos === start) {
      bad(this.name, `malformed ${what.startsWith('pixel') ? 'data' : 'header'}: ${what} is not a number (found '${String.fromCharCode(b[start]!)}')`);
    }
    if (this.pos - start > 9) bad(this.name, `malformed ${what.startsWith('pixel') ? 'data' : 'header'}: ${what} is too large`);
    return Number(new TextDecoder().decode(b.subarray(start, this.pos)));
  }

  /** Exactly one whitespace byte ends the header of the raw formats. */
  endRawHeader(): void {
    const ch = this.buf[this.pos];
    if (ch === undefined) bad(this.name, 'truncated: no pixel data after the header');
    if (!(ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d || ch === 0x0b || ch === 0x0c)) {
      bad(this.name, 'malformed header: expected one whitespace byte after it');
    }
    this.pos++;
  }
}

function checkSize(name: string, w: number, h: number): void {
  if (w < 1 || h < 1) bad(name, `image size ${w}×${h} is empty`);
  if (w * h > 1 << 28) bad(name, `image size ${w}×${h} is too large`);
}

function scaler(maxval: number): (v: number) => number {
  if (maxval === 255) return (v) => v;
  const half = Math.floor(maxval / 2);
  return (v) => Math.floor((v * 255 + half) / maxval);
}

/** Parse a PGM (P2 or P5) or PBM (P1 or P4) file. */
export function parseNetpbm(buf: Uint8Array, name = 'image'): RasterImage {
  if (buf.length < 2 || buf[0] !== 0x50 /* P */) bad(name, 'not a PGM/PBM file (no P1/P2/P4/P5 magic number)');
  const kind = String.fromCharCode(buf[1]!);
  if (!'1245'.includes(kind)) {
    bad(name, `unsupported Netpbm type P${kind}: use PGM (P2/P5), PBM (P1/P4) or PNG`);
  }
  const hd = new NetpbmHeader(buf, name);
  const width = hd.int('width');
  const height = hd.int('height');
  checkSize(name, width, height);
  const n = width * height;
  const isPbm = kind === '1' || kind === '4';
  const maxval = isPbm ? 1 : hd.int('maxval');
  if (!isPbm && (maxval < 1 || maxval > 255)) {
    bad(name, `maxval ${maxval} not supported: only 8-bit PGM (maxval 1..255)`);
  }
  const format: PixelFormat = isPbm ? 'binary' : 'gray8';
  const data = new Uint8Array(n);
  const scale = scaler(maxval);

  if (kind === '5') {
    hd.endRawHeader();
    if (buf.length - hd.pos < n) bad(name, `truncated: ${buf.length - hd.pos} of ${n} pixel bytes present`);
    for (let i = 0; i < n; i++) {
      const v = buf[hd.pos + i]!;
      if (v > maxval) bad(name, `pixel ${i} has value ${v} above maxval ${maxval}`);
      data[i] = scale(v);
    }
  } else if (kind === '4') {
    hd.endRawHeader();
    const rowBytes = Math.ceil(width / 8);
    if (buf.length - hd.pos < rowBytes * height) {
      bad(name, `truncated: ${buf.length - hd.pos} of ${rowBytes * height} pixel bytes present`);
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = buf[hd.pos + y * rowBytes + (x >> 3)]!;
        data[y * width + x] = (byte >> (7 - (x & 7))) & 1;
      }
    }
  } else if (kind === '2') {
    for (let i = 0; i < n; i++) {
      let v: number;
      try {
        v = hd.int(`pixel ${i}`);
      } catch (e) {
        if (e instanceof UserError && /missing/.test(e.message)) bad(name, `truncated: ${i} of ${n} pixel values present`);
        throw e;
      }
      if (v > maxval) bad(name, `pixel ${i} has value ${v} above maxval ${maxval}`);
      data[i] = scale(v);
    }
  } else {
    // P1: '0'/'1' digits, whitespace optional between them
    let i = 0;
    let p = hd.pos;
    while (i < n && p < buf.length) {
      const ch = buf[p]!;
      if (ch === 0x30 || ch === 0x31) data[i++] = ch - 0x30;
      else if (ch === 0x23) {
        while (p < buf.length && buf[p] !== 0x0a) p++;
      } else if (!(ch === 0x20 || ch === 0x09 || ch === 0x0a || ch === 0x0d || ch === 0x0b || ch === 0x0c)) {
        bad(name, `malformed PBM data: unexpected '${String.fromCharCode(ch)}' at pixel ${i}`);
      }
      p++;
    }
    if (i < n) bad(name, `truncated: ${i} of ${n} pixel values present`);
  }
  return { width, height, format, data };
}

/** Parse a PNG file with pngjs. */
export function parsePng(buf: Uint8Array, name = 'image'): RasterImage {
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    bad(name, `malformed PNG: ${(e as Error).message.split('\n')[0]}`);
  }
  const { width, height } = png;
  checkSize(name, width, height);
  const n = width * height;
  const rgba = png.data;
  if (rgba.length < 4 * n) bad(name, 'truncated PNG pixel data');
  if (!png.color) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = rgba[4 * i]!;
    return { width, height, format: 'gray8', data };
  }
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba[4 * i]!;
    data[3 * i + 1] = rgba[4 * i + 1]!;
    data[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { width, height, format: 'rgb24', data };
}

/** Parse an image by its content (PNG signature or Netpbm magic number). */
export function parseImage(buf: Uint8Array, name = 'image'): RasterImage {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return parsePng(buf, name);
  if (buf.length >= 2 && buf[0] === 0x50) return parseNetpbm(buf, name);
  bad(name, 'unknown image format: use PGM (P2/P5), PBM (P1/P4) or PNG');
}

/** Read an image file (PGM, PBM or PNG, recognised by content). */
export function readImage(path: string): RasterImage {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    bad(path, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not an image' : `cannot read (${code ?? 'error'})`);
  }
  return parseImage(buf, path);
}

/** Encode a gray8 (or binary, as 0/255) image as PGM: 'P5' (raw, default) or 'P2' (plain text). */
export function encodePgm(image: RasterImage, kind: 'P2' | 'P5' = 'P5'): Uint8Array {
  const g = toGray(image);
  const header = `${kind}\n${g.width} ${g.height}\n255\n`;
  if (kind === 'P5') {
    const head = new TextEncoder().encode(header);
    const out = new Uint8Array(head.length + g.data.length);
    out.set(head, 0);
    out.set(g.data, head.length);
    return out;
  }
  const lines: string[] = [];
  for (let y = 0; y < g.height; y++) lines.push(Array.from(g.data.subarray(y * g.width, (y + 1) * g.width)).join(' '));
  return new TextEncoder().encode(header + lines.join('\n') + '\n');
}

/** Encode a binary image as PBM: 'P4' (raw, default) or 'P1' (plain). Nonzero = 1 (foreground/black). */
export function encodePbm(image: RasterImage, kind: 'P1' | 'P4' = 'P4'): Uint8Array {
  const { width, height } = image;
  const bit = (i: number): number =>
    image.format === 'rgb24' ? (image.data[3 * i] || image.data[3 * i + 1] || image.data[3 * i + 2] ? 1 : 0) : image.data[i] ? 1 : 0;
  const header = `${kind}\n${width} ${height}\n`;
  if (kind === 'P1') {
    const lines: string[] = [];
    for (let y = 0; y < height; y++) {
      const row: number[] = [];
      for (let x = 0; x < width; x++) row.push(bit(y * width + x));
      lines.push(row.join(' '));
    }
    return new TextEncoder().encode(header + lines.join('\n') + '\n');
  }
  const head = new TextEncoder().encode(header);
  const rowBytes = Math.ceil(width / 8);
  const out = new Uint8Array(head.length + rowBytes * height);
  out.set(head, 0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (bit(y * width + x)) out[head.length + y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return out;
}

/** Encode as PNG: gray8/binary → 8-bit grayscale, rgb24 → 8-bit RGB. */
export function encodePng(image: RasterImage): Uint8Array {
  const { width, height } = image;
  const png = new PNG({ width, height });
  const n = width * height;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number;
    if (image.format === 'rgb24') [r, g, b] = [image.data[3 * i]!, image.data[3 * i + 1]!, image.data[3 * i + 2]!];
    else r = g = b = image.format === 'binary' ? (image.data[i] ? 255 : 0) : image.data[i]!;
    png.data[4 * i] = r;
    png.data[4 * i + 1] = g;
    png.data[4 * i + 2] = b;
    png.data[4 * i + 3] = 255;
  }
  const colorType = image.format === 'rgb24' ? 2 : 0;
  return PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true });
}
