/** Image I/O: PGM P2/P5, PBM P1/P4, PNG (gray, gray+alpha, RGB, RGBA, palette, 16-bit), errors. */
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { encodePbm, encodePgm, encodePng, parseImage, parseNetpbm, parsePng, readImage, toGray } from '../src/image/io.js';
import type { RasterImage } from '../src/image/io.js';
import * as P from '../src/ccl/patterns.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('PGM', () => {
  it('P2 with comments and odd whitespace', () => {
    const img = parseNetpbm(enc('P2 # a comment\n# another\n3\t2\n255\n0 10 20\n\n30 40   255\n'));
    expect(img).toEqual({ width: 3, height: 2, format: 'gray8', data: Uint8Array.from([0, 10, 20, 30, 40, 255]) });
  });

  it('P5 raw, bytes after the single whitespace are pixels (even whitespace bytes)', () => {
    const head = enc('P5\n2 2\n255\n');
    const buf = new Uint8Array([...head, 32, 10, 0, 255]);
    expect(parseNetpbm(buf).data).toEqual(Uint8Array.from([32, 10, 0, 255]));
  });

  it('maxval < 255 is rescaled to 0..255 (rounded)', () => {
    const img = parseNetpbm(enc('P2\n4 1\n15\n0 1 8 15\n'));
    expect(Array.from(img.data)).toEqual([0, 17, 136, 255]);
    const img1 = parseNetpbm(enc('P2\n2 1\n1\n0 1\n'));
    expect(Array.from(img1.data)).toEqual([0, 255]);
  });

  it('round trips through encodePgm P2 and P5', () => {
    const g = P.noise(13, 7, 0.5, { seed: 9 });
    for (const kind of ['P2', 'P5'] as const) expect(parseImage(encodePgm(g, kind))).toEqual(g);
  });

  it.each([
    ['P5\n4 4\n255\n' + 'x'.repeat(10), /truncated: 10 of 16 pixel bytes present/],
    ['P2\n3 2\n255\n1 2 3 4', /truncated: 4 of 6 pixel values present/],
    ['P2\n3 2\n255\n1 2 x 4 5 6', /malformed data: pixel 2 is not a number \(found 'x'\)/],
    ['P2\n3 2\n65535\n1 2 3 4 5 6', /maxval 65535 not supported: only 8-bit PGM/],
    ['P2\n3 2\n0\n', /maxval 0 not supported/],
    ['P2\n3 2\n100\n1 2 3 4 5 101', /pixel 5 has value 101 above maxval 100/],
    ['P2\n3\n', /truncated header: height missing/],
    ['P2\nx 2\n', /malformed header: width is not a number/],
    ['P5\n0 2\n255\n', /image size 0×2 is empty/],
    ['P5\n2 2\n255', /truncated: no pixel data after the header/],
    ['P3\n1 1\n255\n1 2 3', /unsupported Netpbm type P3/],
    ['GIF89a', /unknown image format/],
  ])('error: %j', (text, re) => {
    expect(() => parseImage(enc(text), 'x.pgm')).toThrow(re);
    try {
      parseImage(enc(text), 'x.pgm');
    } catch (e) {
      expect((e as Error).name).toBe('UserError');
      expect((e as Error).message.startsWith('x.pgm: ')).toBe(true);
      expect((e as Error).message).not.toContain('\n');
    }
  });
});

describe('PBM', () => {
  it('P1 with and without separators, P4 packed rows', () => {
    const a = parseNetpbm(enc('P1\n5 2\n1 0 1 1 0\n01001\n'));
    expect(a).toEqual({ width: 5, height: 2, format: 'binary', data: Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0, 0, 1]) });
    const p4 = new Uint8Array([...enc('P4\n10 2\n'), 0b10110000, 0b01000000, 0b00000000, 0b11000000]);
    expect(Array.from(parseNetpbm(p4).data)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('round trips P1 and P4', () => {
    const b = P.asFormat(P.noise(11, 5, 0.4, { seed: 2 }), 'binary');
    expect(parseImage(encodePbm(b, 'P1'))).toEqual(b);
    expect(parseImage(encodePbm(b, 'P4'))).toEqual(b);
  });

  it('errors', () => {
    expect(() => parseNetpbm(enc('P1\n3 1\n1 2 1'), 'b.pbm')).toThrow(/b.pbm: malformed PBM data: unexpected '2' at pixel 1/);
    expect(() => parseNetpbm(enc('P1\n3 2\n1 0 1'), 'b.pbm')).toThrow(/truncated: 3 of 6/);
    expect(() => parseNetpbm(new Uint8Array([...enc('P4\n9 2\n'), 1, 2, 3]), 'b.pbm')).toThrow(/truncated: 3 of 4 pixel bytes/);
  });
});

// --- hand-built PNG files (types pngjs cannot write) ---
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(enc(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
function makePng(width: number, height: number, colorType: number, depth: number, rows: number[][], plte?: number[]): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, 0], 8);
  const raw = Uint8Array.from(rows.flatMap((r) => [0, ...r])); // filter type 0 per row
  const parts = [
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(plte ? [chunk('PLTE', Uint8Array.from(plte))] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('PNG', () => {
  it('gray 8-bit (pngjs written) round trip', () => {
    const g = P.noise(17, 9, 0.5, { seed: 4 });
    expect(parseImage(encodePng(g))).toEqual(g);
  });

  it('RGB round trip and RGBA → RGB (alpha dropped)', () => {
    const rgb = P.asFormat(P.noise(6, 5, 0.5, { seed: 5 }), 'rgb24');
    expect(parseImage(encodePng(rgb))).toEqual(rgb);
    const png = new PNG({ width: 2, height: 1 });
    png.data.set([10, 20, 30, 0, 200, 100, 50, 128]);
    const buf = PNG.sync.write(png); // colorType 6
    expect(parsePng(buf)).toEqual({ width: 2, height: 1, format: 'rgb24', data: Uint8Array.from([10, 20, 30, 200, 100, 50]) });
  });

  it('palette (hand-built, 2-bit indices) → rgb24 through pngjs normalisation', () => {
    const plte = [0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30];
    // 4 px per row at 2 bits: indices 0 1 2 3 → 0b00011011
    const buf = makePng(4, 1, 3, 2, [[0b00011011]], plte);
    expect(parsePng(buf)).toEqual({ width: 4, height: 1, format: 'rgb24', data: Uint8Array.from(plte) });
  });

  it('gray + alpha and 16-bit gray (hand-built) → gray8', () => {
    expect(Array.from(parsePng(makePng(3, 1, 4, 8, [[5, 255, 130, 0, 255, 7]])).data)).toEqual([5, 130, 255]);
    const g16 = parsePng(makePng(2, 1, 0, 16, [[0x12, 0x34, 0xff, 0xff]]));
    expect(g16.format).toBe('gray8');
    expect(Array.from(g16.data)).toEqual([Math.round((0x1234 * 255) / 65535), 255]);
  });

  it('truncated / corrupt PNG → one-line UserError', () => {
    const good = encodePng(P.noise(20, 20, 0.5));
    for (const bad of [good.subarray(0, 40), good.subarray(0, good.length - 30)]) {
      expect(() => parseImage(bad, 'p.png')).toThrow(/^p\.png: malformed PNG: /);
    }
    const flipped = Uint8Array.from(good);
    flipped[20] ^= 0xff; // inside IHDR: CRC mismatch
    expect(() => parseImage(flipped, 'p.png')).toThrow(/^p\.png: malformed PNG/);
  });
});

describe('files', () => {
  it('readImage by content; missing file and folder give one-line errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccl-img-'));
    const g: RasterImage = P.spiral(9, 9);
    writeFileSync(join(dir, 'a.pgm'), encodePgm(g));
    writeFileSync(join(dir, 'a.png'), encodePng(g)); // extension does not matter
    expect(readImage(join(dir, 'a.pgm'))).toEqual(g);
    expect(readImage(join(dir, 'a.png'))).toEqual(g);
    expect(() => readImage(join(dir, 'nope.pgm'))).toThrow(/nope\.pgm: no such file/);
    mkdirSync(join(dir, 'sub'));
    expect(() => readImage(join(dir, 'sub'))).toThrow(/sub: is a folder/);
  });

  it('toGray uses the histogram luma', () => {
    const rgb: RasterImage = { width: 2, height: 1, format: 'rgb24', data: Uint8Array.from([255, 0, 0, 0, 0, 255]) };
    expect(Array.from(toGray(rgb).data)).toEqual([76, 28]); // 77·255 >> 8, 29·255 >> 8
  });
});
