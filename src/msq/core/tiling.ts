/**
 * Tiling of a job's work (docs/msq-core.md "Host compilation"): output rows in bands (halo rows, per-tile padT) so
 * actWords <= actDepth; output channels in filter groups so passes <= maxPasses, passes * steps <= wDepth,
 * cout <= cDepth (the reduction, steps * N <= kMax, cannot be split).
 */
import { fail } from '../../util/errors.js';
import type { Geometry } from '../geometry.js';
import type { CoreConfig } from './config.js';
import { passesFor, type LaneClass } from './filter-lanes.js';
import type { Gemm } from './gemm.js';
import { minPassCycles } from './job.js';
import { ceilDiv } from '../../util/math.js';

export interface Band {
  oy0: number;
  rows: number;
  /** input rows of the tile */
  y0: number;
  inRows: number;
  padT: number;
}

/** Input rows a band of output rows needs, clipped to the tensor, and the tile's own top padding. */
export function bandRows(g: Pick<Geometry, 'inH' | 'kh' | 'sh' | 'padT'>, oy0: number, rows: number): Band {
  const { inH: H, kh, sh, padT } = g;
  const first = oy0 * sh - padT;
  const last = (oy0 + rows - 1) * sh - padT + kh - 1;
  const y0 = Math.max(0, first);
  const y1 = Math.min(H - 1, last);
  const inRows = Math.max(0, y1 - y0 + 1);
  return { oy0, rows, y0, inRows, padT: y0 - first };
}

/** Output-row bands whose tiles fit `maxWords` activation words (wordsPerRow per input row). */
export function makeBands(at: string, g: Pick<Geometry, 'inH' | 'outH' | 'kh' | 'sh' | 'padT'>, wordsPerRow: number, maxWords: number): Band[] {
  const { outH } = g;
  const bands: Band[] = [];
  let oy0 = 0;
  while (oy0 < outH) {
    let best: Band | undefined;
    let lo = 1;
    let hi = outH - oy0;
    // largest rows with inRows * wordsPerRow <= maxWords (monotonic in rows)
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = bandRows(g, oy0, mid);
      if (Math.max(1, b.inRows) * wordsPerRow <= maxWords) {
        best = b;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!best) {
      const b = bandRows(g, oy0, 1);
      fail(`${at}`, `one output row needs ${b.inRows * wordsPerRow} activation words, core.actDepth is ${maxWords}: raise core.actDepth (column tiling is not supported)`);
    }
    if (best.padT > 255) fail(at, `tile top padding ${best.padT} exceeds 255`);
    bands.push(best);
    oy0 += best.rows;
  }
  return bands;
}

/** Work (issue cycles) and step count of a GEMM lowering, without building weights. */
export function gemmEstimate(cfg: CoreConfig, g: Gemm, cls: LaneClass[], im2col: boolean): { steps: number; work: number } | undefined {
  const cinEff = im2col ? g.kh * g.kw * g.cin : g.cin;
  const steps = im2col ? ceilDiv(cinEff, cfg.N) : g.kh * g.kw * ceilDiv(g.cin, cfg.N);
  if (steps * cfg.N > cfg.kMax || steps > cfg.wDepth) return undefined;
  // one output row's tile must fit the activation bank
  const rowWords = im2col ? g.outW * steps : Math.max(1, bandRows(g, 0, 1).inRows) * g.inW * ceilDiv(g.cin, cfg.N);
  if (rowWords > cfg.actDepth) return undefined;
  const groups = filterGroups(cfg, g, cls, steps);
  let work = 0;
  for (const grp of groups) work += g.outH * g.outW * grp.passes * minPassCycles(cfg, 'gemm', steps);
  return { steps, work };
}

export interface FilterGroup {
  c0: number;
  count: number;
  passes: number;
}

/** filterGroups answers by (the core fields it reads, steps, lane classes): the sizing search compiles the same
 *  layer on many candidate cores, and layers of one network often share their classes (bounded; cleared when full) */
const groupMemo = new Map<string, FilterGroup[]>();
const GROUP_MEMO_MAX = 4096;

/** Output channels in contiguous groups (multiples of N where possible) within the passes / wDepth / cDepth limits. */
export function filterGroups(cfg: CoreConfig, g: Gemm, cls: LaneClass[], steps: number): FilterGroup[] {
  const maxP = Math.min(cfg.maxPasses, Math.floor(cfg.wDepth / steps));
  const key = `${cfg.N},${cfg.Pf},${cfg.Ps},${cfg.cDepth},${maxP},${g.cout}:${cls.join('')}`;
  const hit = groupMemo.get(key);
  if (hit) return hit.map((x) => ({ ...x }));
  const n = g.cout;
  const preF = new Int32Array(n + 1), preS = new Int32Array(n + 1), preX = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const c = cls[i];
    preF[i + 1] = preF[i]! + (c === 'F' ? 1 : 0);
    preS[i + 1] = preS[i]! + (c === 'S' ? 1 : 0);
    preX[i + 1] = preX[i]! + (c === 'X' ? 1 : 0);
  }
  const passesOf = (c0: number, k: number): number => passesFor(cfg, preF[c0 + k]! - preF[c0]!, preS[c0 + k]! - preS[c0]!, preX[c0 + k]! - preX[c0]!);
  // Fewest total passes (= least issue work: all groups have the same steps), then fewest groups (act re-sends,
  // job overheads), then fewest split points that are not multiples of N (partial output words): dynamic
  // programming over the split points (best[i]: channels 0 .. i-1 in groups; the first strictly better split wins).
  const passes = new Float64Array(n + 1).fill(Infinity), groups = new Int32Array(n + 1), ragged = new Int32Array(n + 1), from = new Int32Array(n + 1).fill(-1);
  passes[0] = 0;
  const { N, cDepth } = cfg;
  for (let i = 1; i <= n; i++) {
    const r = i % N && i !== n ? 1 : 0;
    const fi = preF[i]!, si = preS[i]!, xi = preX[i]!;
    let bp = Infinity, bg = Infinity, br = Infinity, bj = -1;
    for (let j = i - 1; j >= 0 && i - j <= cDepth; j--) {
      const pj = passes[j]!;
      if (pj === Infinity) continue;
      const p = passesFor(cfg, fi - preF[j]!, si - preS[j]!, xi - preX[j]!);
      if (p > maxP) break; // passes only grow with the group
      const cp = pj + p, cg = groups[j]! + 1, cr = ragged[j]! + r;
      if (cp !== bp ? cp < bp : cg !== bg ? cg < bg : cr < br) {
        bp = cp;
        bg = cg;
        br = cr;
        bj = j;
      }
    }
    passes[i] = bp;
    groups[i] = bg === Infinity ? 0 : bg;
    ragged[i] = br === Infinity ? 0 : br;
    from[i] = bj;
  }
  if (passes[n] === Infinity) {
    fail(`layer '${g.layer}'`, `no filter fits one job (core.maxPasses = ${cfg.maxPasses}, core.wDepth = ${cfg.wDepth} words for ${steps} steps)`);
  }
  const out: FilterGroup[] = [];
  for (let i = n; i > 0; i = from[i]!) {
    const j = from[i]!;
    out.unshift({ c0: j, count: i - j, passes: passesOf(j, i - j) });
  }
  if (groupMemo.size >= GROUP_MEMO_MAX) groupMemo.clear();
  groupMemo.set(key, out);
  return out.map((x) => ({ ...x }));
}

/**
 * Depthwise filter groups: at most N channels (one input word per kernel position: steps = kh * kw; a wider group
 * would step through every input word of the group in every pass), shrunk until the reduction fits kMax and
 * passes * steps fits wDepth.
 */
export function depthwiseGroups(cfg: CoreConfig, at: string, cout: number, classes: LaneClass[], stepsFor: (cin: number) => number): FilterGroup[] {
  const groups: FilterGroup[] = [];
  let c0 = 0;
  while (c0 < cout) {
    let n = Math.min(cout - c0, cfg.cDepth, cfg.N);
    const ok = (k: number): boolean => {
      const st = stepsFor(k);
      if (st * cfg.N > cfg.kMax || st > cfg.wDepth) return false;
      const sub = classes.slice(c0, c0 + k);
      const p = passesFor(cfg, sub.filter((c) => c === 'F').length, sub.filter((c) => c === 'S').length, sub.filter((c) => c === 'X').length);
      return p <= cfg.maxPasses && p * st <= cfg.wDepth;
    };
    while (n > 0 && !ok(n)) n--;
    if (n === 0) fail(at, 'no channel of the depthwise conv fits one job (core.wDepth / core.kMax)');
    const sub = classes.slice(c0, c0 + n);
    groups.push({ c0, count: n, passes: passesFor(cfg, sub.filter((c) => c === 'F').length, sub.filter((c) => c === 'S').length, sub.filter((c) => c === 'X').length) });
    c0 += n;
  }
  return groups;
}
