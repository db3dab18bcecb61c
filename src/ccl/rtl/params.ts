/**
 * Derived parameters of the streaming CCL core: everything the generator, the record decoder, the run helper and the
 * synthesis report need, computed once from a CclConfig plus the RTL-only options (pixels per clock).
 *
 * Names used throughout (TS, emitted Verilog, docs/ccl.md "Architecture"):
 *  - word: P pixels of one line, cell-aligned (P divides C, so a word never straddles two cells)
 *  - cellRow: C pixel rows; cellCol cx: cell column 0..Wc-1
 *  - cell accumulator ("cellAcc"): the local moments of one cell, in one of two banks (double-buffered cell rows)
 *  - ring: the label row buffer, Wc labels (left part: current cell row, right part: previous cell row)
 *  - feature table ("feat"): one entry per live label
 */
import type { CclConfig } from '../config.js';
import { cellCols, cellRows, validateCclConfig } from '../config.js';
import { bitsFor, bitsPerPixel, featureLayout, featureWidths, type FeatureWidths } from '../features.js';
import { fail } from '../../util/errors.js';
import { runQueueSlots } from './runlab.js';

/** Allowed pixels per clock. */
export const PPC_VALUES = [1, 2, 4, 8, 16] as const;

export interface CclRtlOptions {
  /** Pixels per clock P: 1, or a power of two ≤ C. W must be a multiple of P. */
  ppc: number;
  /** Top module name (default `ccl_core`). */
  name?: string;
  /** Commit inactive cells in one labeler clock instead of two (see CclRtlParams.inlineCommit). Default false. */
  inlineCommit?: boolean;
}

/**
 * A per-object histogram the core counts: `gray` (B bins of the gray value, cell fields h0.., features hist0..) or
 * `color` (2^(3q) coarse RGB bins, cell fields c0.., features color0..). `bits` = log2 of the bin count.
 */
export interface HistGroup {
  kind: 'gray' | 'color';
  cellPrefix: 'h' | 'c';
  featPrefix: 'hist' | 'color';
  bins: number;
  bits: number;
  featWidth: number;
}

/** One field of a packed record (LSB-first order). */
export interface Field {
  name: string;
  width: number;
}

export interface CclRtlParams {
  cfg: CclConfig;
  name: string;
  W: number;
  H: number;
  C: number;
  P: number;
  /** log2 C, log2 P. */
  LC: number;
  LP: number;
  /** Cell grid. */
  Wc: number;
  Hc: number;
  /** Words per line W/P and words per full cell C/P. */
  WP: number;
  UWN: number;
  /** Words in the (possibly partial) last cell of a line. */
  lastCellWords: number;
  /** Bits per pixel on the input bus and input tdata width P·PB. */
  PB: number;
  inWidth: number;
  /** N as configured (absent: Wc + 1, which no frame can exceed), and the physical label-table depth Nt = min(N, liveBound). */
  N: number;
  Nt: number;
  /**
   * Inactive cells commit in the labeler's DEC state (1 clock instead of 2). Off by default: it puts the ring
   * comparators and the cell RAM read into one path, and at 512×512 the fmax it costs (C = 1: 143 → 85 MHz
   * estimated; C = 4, P = 4: 161 → 106 MHz) outweighs the cycles it saves (bench/ccl-fps.ts, docs/ccl.md).
   */
  inlineCommit: boolean;
  /** C = 1 and P > 1: the run extractor and run labeler (runs.ts, runlab.ts) replace pixel stage, banks and labeler. */
  pixelExact: boolean;
  /** Largest number of labels the datapath can ever hold at once: ⌈(Wc+1)/2⌉ + 1. */
  liveBound: number;
  /** Label width (0 = no label; labels 1..Nt). */
  LW: number;
  /** The core sums the third-order moments Σx³, Σx²y, Σxy², Σy³ (cfg.thirdMoments). */
  third: boolean;
  /** Cell accumulator fields (local moments) and their total width. */
  cellFields: Field[];
  cellWidth: number;
  /** Feature-table fields: featureLayout order plus `first` (raster index of the first foreground pixel). */
  featFields: Field[];
  featWidth: number;
  /** The histograms counted per cell and per object (gray first, then colour). */
  histGroups: HistGroup[];
  fw: FeatureWidths;
  /** Width of the first-pixel raster index. */
  firstWidth: number;
  /** Width of the per-frame record counter in the end-of-frame record. */
  countWidth: number;
  /** Output tdata width (bytes). */
  outWidth: number;
  /** Widths of position counters. */
  cxW: number;
  cyW: number;
  xW: number;
  yW: number;
}

export function log2Exact(v: number): number {
  const l = Math.log2(v);
  if (!Number.isInteger(l)) throw new Error(`log2Exact(${v})`);
  return l;
}

/** Validate the RTL options against the configuration and derive every parameter; throws one-line UserErrors. */
export function cclRtlParams(cfgIn: CclConfig, opts: CclRtlOptions): CclRtlParams {
  const cfg = validateCclConfig(cfgIn);
  const { width: W, height: H, cell: C } = cfg;
  const P = opts.ppc;
  if (!(PPC_VALUES as readonly number[]).includes(P)) fail('ppc', `must be one of ${PPC_VALUES.join(', ')}, got ${String(P)}`);
  const pixelExact = C === 1 && P > 1; // the run extractor + run labeler (runs.ts, runlab.ts)
  if (P > C && !pixelExact) {
    fail('ppc', `${P} pixels per clock needs cells at least ${P} wide (cell is ${C}); use --ppc ${Math.min(C, 16)} or less, or --cell 1 (pixel-exact labeling)`);
  }
  if (W % P !== 0) fail('ppc', `width ${W} is not a multiple of ${P} pixels per clock; choose a P that divides the width`);
  const name = opts.name ?? 'ccl_core';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('name', `'${name}' is not a Verilog identifier`);
  const Wc = cellCols(cfg), Hc = cellRows(cfg);
  // Without N the core is built so that it can never overflow: the reference-policy count openPerRow[r−1] +
  // startsPerRow[r] is at most ⌈Wc/2⌉ + ⌈Wc/2⌉ ≤ Wc + 1 (each counts runs of active cells in one cell row).
  const N = cfg.maxObjects ?? Wc + 1;
  const LC = log2Exact(C), LP = log2Exact(P);
  // cell labeler: the window holds ⌈(Wc+1)/2⌉ labels + the one being allocated; run labeler: its queue slots + 1
  const liveBound = pixelExact ? runQueueSlots(W) + 1 : Math.ceil((Wc + 1) / 2) + 1;
  const Nt = Math.max(1, Math.min(N, liveBound));
  const fw = featureWidths(cfg);
  const B = cfg.histBins;
  const C2 = C * C;
  const cellFields: Field[] = [{ name: 'n', width: bitsFor(C2) }];
  if (C > 1) {
    const su = (C * C * (C - 1)) / 2; // Σu over a full cell
    const suu = (C * ((C - 1) * C * (2 * C - 1))) / 6; // Σu² over a full cell
    const suv = ((C * (C - 1)) / 2) ** 2; // Σuv over a full cell
    cellFields.push(
      { name: 'su', width: bitsFor(su) },
      { name: 'sv', width: bitsFor(su) },
      { name: 'suu', width: bitsFor(suu) },
      { name: 'svv', width: bitsFor(suu) },
      { name: 'suv', width: bitsFor(suv) },
      { name: 'umin', width: LC },
      { name: 'umax', width: LC },
      { name: 'vmax', width: LC },
      { name: 'fu', width: LC },
      { name: 'fv', width: LC },
    );
    if (cfg.thirdMoments) {
      const su3 = C * su * su / (C * C); // Σu³ over a full cell = C·(Σ_{u<C} u)² = C·(C(C−1)/2)²
      const su2v = (suu / C) * (su / C); // Σu²v over a full cell = (Σ_{u<C} u²)·(Σ_{v<C} v)
      cellFields.push(
        { name: 'suuu', width: bitsFor(su3) },
        { name: 'suuv', width: bitsFor(su2v) },
        { name: 'suvv', width: bitsFor(su2v) },
        { name: 'svvv', width: bitsFor(su3) },
      );
    }
  }
  const histGroups: HistGroup[] = [];
  if (B > 0) histGroups.push({ kind: 'gray', cellPrefix: 'h', featPrefix: 'hist', bins: B, bits: log2Exact(B), featWidth: fw.histBin });
  if (fw.colorBins > 0) {
    histGroups.push({ kind: 'color', cellPrefix: 'c', featPrefix: 'color', bins: fw.colorBins, bits: 3 * cfg.colorBits, featWidth: fw.colorBin });
  }
  for (const g of histGroups) for (let b = 0; b < g.bins; b++) cellFields.push({ name: `${g.cellPrefix}${b}`, width: bitsFor(C2) });
  const firstWidth = bitsFor(W * H - 1);
  // the record's features in featureLayout order (scalars, hist0.., color0..), then the first-pixel index
  const featFields: Field[] = [...featureLayout(cfg), { name: 'first', width: firstWidth }];
  const featWidth = featFields.reduce((s, f) => s + f.width, 0);
  const countWidth = bitsFor(Wc * Hc);
  const outBits = Math.max(1 + featWidth, 1 + countWidth + 2);
  return {
    cfg, name, W, H, C, P, LC, LP, Wc, Hc,
    WP: W / P,
    UWN: C / P,
    lastCellWords: (W - (Wc - 1) * C) / P,
    PB: bitsPerPixel(cfg.pixelFormat),
    inWidth: P * bitsPerPixel(cfg.pixelFormat),
    N, Nt, liveBound, pixelExact,
    inlineCommit: opts.inlineCommit ?? false,
    third: cfg.thirdMoments,
    LW: bitsFor(Nt),
    cellFields,
    cellWidth: cellFields.reduce((s, f) => s + f.width, 0),
    featFields, featWidth, histGroups, fw, firstWidth, countWidth,
    outWidth: Math.ceil(outBits / 8) * 8,
    cxW: bitsFor(Wc - 1),
    cyW: bitsFor(Hc - 1),
    xW: fw.x,
    yW: fw.y,
  };
}
