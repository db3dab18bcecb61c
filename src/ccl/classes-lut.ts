/**
 * The run-time loadable 3-D lookup-table pixel classifier (golden model): the alternative to the per-class boxes of
 * classes.ts. RGB is quantised to q bits per channel (q = 2..6); entry i = (r >> (8−q)) << 2q | (g >> (8−q)) << q |
 * (b >> (8−q)) holds a K-bit class mask (bit k: class k). The table is loaded at run time over AXI4-Lite
 * (src/ccl/rtl/classifier-lut.ts), so any colour region — not only boxes — can be a class.
 *
 * Compiled from a class file (`compileClassLut`): entry bit k is set when the centre colour of the entry's cell,
 * c = (idx << (8−q)) + 2^(7−q) per channel, is in class k (classes.ts `inClass`). With q < 8 the table is the
 * boxes sampled at the cell centres: a pixel near a box face may be classified differently than by the box test
 * (`lutBoxAgreement` counts how often on an image).
 *
 * Register map (byte addresses, 32-bit words; address width 3q + 3):
 *   0x0  CTRL  bit 0 `run`: pixels are accepted only while it is 1 (clear it while reloading the table). R/W.
 *   0x4  INFO  read-only: q in bits 3:0, K in bits 7:4, P (pixels per word) in bits 11:8.
 *   LUT_BASE = 2^(3q+2): entry i at LUT_BASE + 4·i, write-only, class mask in the low K bits (byte 0, wstrb[0]).
 * Other addresses, and reads of the table: SLVERR.
 */
import type { RasterImage } from '../image/format.js';
import { fail } from '../util/errors.js';
import { classMask, inClass, type ColorClass } from './classes.js';

export const LUT_BITS_MIN = 2;
export const LUT_BITS_MAX = 6;
export const LUT_REG_CTRL = 0x0;
export const LUT_REG_INFO = 0x4;
export const AXIL_OKAY = 0;
export const AXIL_SLVERR = 2;

/** A compiled class lookup table. */
export interface ClassLut {
  /** Quantisation bits per channel. */
  bits: number;
  /** Number of classes K (mask width). */
  classes: number;
  /** 2^(3·bits) class masks. */
  table: Uint8Array;
}

export function checkLutBits(bits: number, where = 'lut.bits'): void {
  if (!Number.isInteger(bits) || bits < LUT_BITS_MIN || bits > LUT_BITS_MAX) {
    fail(where, `${bits} must be an integer in ${LUT_BITS_MIN}..${LUT_BITS_MAX} (quantisation bits per RGB channel)`);
  }
}

/** Table index of an RGB pixel. */
export function lutIndex(bits: number, r: number, g: number, b: number): number {
  const s = 8 - bits;
  return ((r >> s) << (2 * bits)) | ((g >> s) << bits) | (b >> s);
}

/** The table of a class file: each entry the classes holding its cell's centre colour. */
export function compileClassLut(classes: readonly ColorClass[], bits: number): ClassLut {
  checkLutBits(bits);
  const n = 1 << bits, s = 8 - bits, half = 1 << (s - 1);
  const table = new Uint8Array(n * n * n);
  for (let ri = 0; ri < n; ri++) for (let gi = 0; gi < n; gi++) for (let bi = 0; bi < n; bi++) {
    const r = (ri << s) + half, g = (gi << s) + half, b = (bi << s) + half;
    let m = 0;
    for (let k = 0; k < classes.length; k++) if (inClass(classes[k]!, r, g, b)) m |= 1 << k;
    table[(ri << (2 * bits)) | (gi << bits) | bi] = m;
  }
  return { bits, classes: classes.length, table };
}

/** One byte per pixel, bit k set when the table puts the pixel in class k (gray8 read as R = G = B). */
export function lutClassMask(image: RasterImage, lut: ClassLut): Uint8Array {
  if (image.format === 'binary') fail('image', 'the lookup-table classifier needs an rgb24 (or gray8) image, got a binary one');
  const n = image.width * image.height, rgb = image.format === 'rgb24';
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = image.data[rgb ? 3 * i : i]!, g = image.data[rgb ? 3 * i + 1 : i]!, b = image.data[rgb ? 3 * i + 2 : i]!;
    out[i] = lut.table[lutIndex(lut.bits, r, g, b)]!;
  }
  return out;
}

/** Fraction of an image's pixels whose table mask equals the class boxes' mask. */
export function lutBoxAgreement(image: RasterImage, lut: ClassLut, classes: readonly ColorClass[]): number {
  const a = lutClassMask(image, lut), b = classMask(image, classes);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** Byte address of table entry i. */
export function lutEntryAddress(bits: number, i: number): number {
  return (1 << (3 * bits + 2)) + 4 * i;
}

/** INFO register value of a classifier with q bits, K classes and P pixels per word. */
export function lutInfo(bits: number, classes: number, ppc: number): number {
  return bits | (classes << 4) | (ppc << 8);
}

/** The AXI4-Lite writes that load a table and start the classifier: every entry, then CTRL.run = 1. */
export function lutLoadWrites(lut: ClassLut): { addr: number; data: number }[] {
  const out = Array.from(lut.table, (m, i) => ({ addr: lutEntryAddress(lut.bits, i), data: m }));
  out.push({ addr: LUT_REG_CTRL, data: 1 });
  return out;
}
