/**
 * Pixel decoder of the single-class CCL core (combinational): P pixels of one input word → foreground bits `px_fg`
 * (features.ts `isForeground`: gray threshold, RGB box or binary) and, per histogram group, each pixel's bin
 * (`px_hbin`: gray bin = gray >> (8 − log2 B), gray = luma for rgb24, 255 for binary; `px_cbin`: features.ts
 * `colorBin`). Pixel i of the word is bits [i·PB +: PB]; its bin is bits [i·bits +: bits] of the bin bus.
 */
import { Module, Expr, Signal, lit, cat } from '../../hdl/index.js';
import type { CclRtlParams, HistGroup } from './params.js';
import { fit } from './util.js';

/** The bin of one pixel in a histogram group (`gray` of an rgb24 pixel is its integer BT.601 luma). */
export function pixelBin(p: CclRtlParams, g: HistGroup, pix: Expr): Expr {
  if (g.kind === 'color') {
    const q = g.bits / 3;
    return cat(pix.slice(23, 24 - q), pix.slice(15, 16 - q), pix.slice(7, 8 - q)); // B | G | R, R in the low bits
  }
  if (p.cfg.pixelFormat === 'binary') return lit(g.bins - 1, g.bits); // a foreground pixel has gray 255
  if (p.cfg.pixelFormat === 'gray8') return pix.slice(7, 8 - g.bits);
  const r = pix.slice(7, 0), gg = pix.slice(15, 8), b = pix.slice(23, 16);
  // integer BT.601 luma (features.ts luma): (77 R + 150 G + 29 B) >> 8, < 2^16
  const l = r.mul(lit(77, 7)).add(gg.mul(lit(150, 8))).add(b.mul(lit(29, 5)));
  return fit(l, 16).slice(15, 16 - g.bits);
}

/** Foreground of one pixel under the single-class configuration. */
function pixelForeground(p: CclRtlParams, pix: Expr): Expr {
  const cfg = p.cfg;
  if (cfg.pixelFormat === 'gray8') return cfg.threshold > 0 ? pix.ge(lit(cfg.threshold, 8)) : lit(1, 1);
  if (cfg.pixelFormat === 'binary') return pix;
  return rgbBox(pix, cfg.rgbLo, cfg.rgbHi);
}

/** R, G, B each within [lo, hi] (a bound at the end of the range is always met and is left out). */
export function rgbBox(pix: Expr, lo: readonly number[], hi: readonly number[]): Expr {
  const conds: Expr[] = [];
  for (let c = 0; c < 3; c++) {
    const v = pix.slice(8 * c + 7, 8 * c);
    if (lo[c]! > 0) conds.push(v.ge(lit(lo[c]!, 8)));
    if (hi[c]! < 255) conds.push(v.le(lit(hi[c]!, 8)));
  }
  return conds.length ? conds.reduce((a, c) => a.and(c)) : lit(1, 1);
}

/** Output ports of the bins of every histogram group: px_hbin (gray), px_cbin (colour). */
export function binPorts(m: Module, p: CclRtlParams, dir: 'input' | 'output'): Signal[] {
  return p.histGroups.map((g) => (dir === 'input' ? m.input : m.output).call(m, `px_${g.cellPrefix}bin`, p.P * g.bits));
}

/** Drive the bin ports from the pixels of the word. */
export function driveBins(m: Module, p: CclRtlParams, pixels: Expr[], ports: Signal[]): void {
  p.histGroups.forEach((g, k) => m.assign(ports[k]!, cat(...pixels.map((pix) => pixelBin(p, g, pix)).reverse())));
}

export function buildCclDecode(p: CclRtlParams): Module {
  const cfg = p.cfg;
  const m = new Module(`${p.name}_decode`, {
    doc: `CCL pixel decoder: foreground and histogram bins of ${p.P} ${cfg.pixelFormat} pixels`,
    config: { ppc: p.P, pixelFormat: cfg.pixelFormat, threshold: cfg.threshold, rgbLo: cfg.rgbLo.join(','), rgbHi: cfg.rgbHi.join(','), histBins: cfg.histBins, colorBits: cfg.colorBits },
  });
  const data = m.input('s_tdata', p.inWidth);
  const fg = m.output('px_fg', p.P);
  const bins = binPorts(m, p, 'output');
  // a gray8 core with threshold 0, or an rgb24 core with a full-range channel, and no histogram leaves pixel bits unread
  const readsPixels = cfg.pixelFormat === 'binary' || p.histGroups.length > 0 ||
    (cfg.pixelFormat === 'gray8' ? cfg.threshold > 0 : [0, 1, 2].every((c) => cfg.rgbLo[c]! > 0 || cfg.rgbHi[c]! < 255));
  if (!readsPixels) data.markUnused();
  const pixels = Array.from({ length: p.P }, (_, i) => data.slice((i + 1) * p.PB - 1, i * p.PB));
  m.assign(fg, cat(...pixels.map((pix) => pixelForeground(p, pix)).reverse()));
  driveBins(m, p, pixels, bins);
  return m;
}
