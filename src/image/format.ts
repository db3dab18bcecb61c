/**
 * Pixel formats of an in-memory frame (shared by every core: CCL labels them, MSQ reads them as network input).
 *
 *  - `gray8`:  1 byte per pixel.
 *  - `rgb24`:  3 bytes per pixel (R, G, B).
 *  - `binary`: 1 byte per pixel holding 0 or 1.
 */
export type PixelFormat = 'gray8' | 'rgb24' | 'binary';
export const PIXEL_FORMATS: readonly PixelFormat[] = ['gray8', 'rgb24', 'binary'];

/** One frame, raster order. gray8/binary: 1 byte per pixel; rgb24: 3 bytes (R, G, B) per pixel. */
export interface RasterImage {
  width: number;
  height: number;
  format: PixelFormat;
  data: Uint8Array;
}

/** Bytes per pixel of a pixel format in an image buffer (binary is stored one byte per pixel, 0 or 1). */
export function bytesPerPixel(format: PixelFormat): number {
  return format === 'rgb24' ? 3 : 1;
}

/** Integer BT.601 luma: (77·R + 150·G + 29·B) >> 8, in 0..255. */
export function luma(r: number, g: number, b: number): number {
  return (77 * r + 150 * g + 29 * b) >> 8;
}
