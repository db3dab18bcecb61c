/**
 * Board sizing of the MSQ core: pick (N, Pf, Ps, Rq, dspPack, sp2ActBits, depths) per board maximizing ResNet-18
 * throughput (the core cycle model with the board's DDR assumption) under DSP <= 100 %, LUT <= 80 %, BRAM36 <= 100 %.
 * sp2ActBits (docs/msq-core.md): SP2 lanes on fewer activation bits are cheaper (their own slice fits per value), and
 * a layer whose input activations are wider (ResNet-18's 8-bit conv1) runs every filter on the fixed lanes.
 *
 * Resources:
 *  - GEMM lanes: synthesized slices of the core's own lanes (src/msq/core/lanes.ts `coreLanes`) with 1, 2 and 4 units
 *    of each kind (fixed lanes, packed fixed pairs, SP2 lanes per sp2ActBits: `sliceKey`) per N, fitted `a + b * units` on 1 and 4 units and
 *    checked on 2 (as src/msq/rtl/sweep.ts does); the board-size core is an EXTRAPOLATION of those lines (said so).
 *    An N that was not synthesized is interpolated / extrapolated linearly in N from the two nearest synthesized N
 *    (also said so).
 *  - Requantizer units and the control (issuer, loaders, job FSM): `CoreOverhead`, per unit / per design, from a
 *    synthesis of the core's own blocks when given, else the documented placeholder (`PLACEHOLDER_OVERHEAD`).
 *  - On-chip banks (`coreBanks`: activations, weights, parameters in block RAM; channel maps and small buffers in
 *    LUTRAM), both banks of each in one power-of-two deep array as the RTL declares it: block RAM counted EXACTLY
 *    as yosys synth_xilinx maps each memory (src/synth/bram.ts), checked against whole-core synthesis
 *    (bench/msq-core-synth.ts). `checkFits` refuses a core that does not fit its board.
 * The ResNet-18 program of every candidate comes from the compiler itself (compile.ts, without the program's data) on
 * ResNet-18 by structure at the candidate's split ratio (compiled-jobs.ts `resnet18Net`), memoized per network and
 * configuration, the compiles of one network sharing its analysis and filter groups (`compiledJobs`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Board } from '../../board/index.js';
import { PROJECT_ROOT } from '../../version.js';
import { fail, UserError } from '../../util/errors.js';
import { checkCoreConfig, sp2ActBitsOf, type CoreConfig } from './config.js';
import { emitVerilog } from '../../hdl/index.js';
import { coreLanes } from './lanes.js';
import { coreRqa } from './rqa.js';
import { peakGops, programLatency, type ProgramJob, type ProgramLatency } from './cycle-model.js';
import { compiledJobs, netReach, resnet18Net } from './compiled-jobs.js';
import { bankBram, type BankBram } from './bank-count.js';
import type { QuantModel } from '../model.js';
import { ceilDiv } from '../../util/math.js';

// The sizing network and the bank count live beside this file; sizing's users import them from here.
export * from './compiled-jobs.js';
export * from './bank-count.js';

// ---------------------------------------------------------------------------------------------------------------
// Logic resources

export interface Cost {
  lut: number;
  ff: number;
  dsp: number;
}

export interface LinearFit {
  /** cost = a + b * units per resource */
  a: Cost;
  b: Cost;
  /** synthesized points: units -> cost */
  points: Record<number, Cost>;
  /** worst relative error of the 1/4-unit line at 2 units (lut, ff, dsp) */
  linearityError: number;
  estFmaxMHz: number | null;
}

/** Slice kinds: 'fixed' = unpacked fixed lanes, 'pair' = packed fixed pairs (dspPack 2; units = pairs), 'sp2'. */
export type SliceKind = 'fixed' | 'pair' | 'sp2';

/** Activation bits of the slices (A): the sizing search builds A = 8 cores. */
export const SLICE_A = 8;

/** The fit's family: `fixed`, `pair`, or `sp2a${sp2ActBits}` (an SP2 lane's cost depends on the activation bits it
 *  takes, the fixed lanes' does not). */
export function sliceFamily(kind: SliceKind, sp2ActBits: number = SLICE_A): string {
  return kind === 'sp2' ? `sp2a${sp2ActBits}` : kind;
}

/** Key of a fit in `CoreSlices.fits`: `${family}:${N}`. */
export function sliceKey(kind: SliceKind, N: number, sp2ActBits: number = SLICE_A): string {
  return `${sliceFamily(kind, sp2ActBits)}:${N}`;
}

/** Slices recorded before sp2ActBits (key `sp2:${N}`, SP2 lanes on all A = 8 bits) under their current key. */
export function normalizeSlices(s: CoreSlices): CoreSlices {
  const fits: Record<string, LinearFit> = {};
  for (const [k, f] of Object.entries(s.fits)) fits[k.startsWith('sp2:') ? `sp2a${SLICE_A}:${k.slice(4)}` : k] = f;
  return { ...s, fits };
}

/** sp2ActBits values with recorded SP2 slices. */
export function sliceSp2ActBits(s: CoreSlices): number[] {
  const out = new Set<number>();
  for (const k of Object.keys(s.fits)) {
    const m = /^sp2a(\d+):/.exec(k);
    if (m) out.add(Number(m[1]));
  }
  return [...out].sort((a, b) => b - a);
}

export interface CoreSlices {
  /** `sliceKey(kind, N, sp2ActBits)` -> fit */
  fits: Record<string, LinearFit>;
  /** `rqa:${N}` -> one synthesized requantizer unit (src/msq/core/rqa.ts coreRqa) */
  rqa?: Record<string, { cost: Cost; estFmaxMHz: number | null }>;
  /** `control:${N}` -> the core's control (issuer, loaders, serializer, pixel banks, emitter): a synthesized small
   *  core (src/msq/core/rtl.ts generateCore) minus its lanes (slice fits) and requantizers (rqa slice); block RAMs
   *  are not included (counted by `bankBram`) */
  control?: Record<string, { cost: Cost; estFmaxMHz: number | null; from: string }>;
  /** how the slices were made (generator, kMax, A, WF, m) */
  basis: string;
}

/** Requantizer units and control: per Rq unit and per design. */
export interface CoreOverhead {
  perRq: Cost;
  control: Cost;
  estFmaxMHz: number | null;
  source: string;
}

/**
 * Used until a synthesis of the core's requantizer / control is recorded: per requantizer unit (with its residual
 * add) 4 DSP48E1 (a 32x31 multiply as four 25x18 pieces) and 600 LUT / 700 FF; control (issuer, loaders, job FSM)
 * 1500 LUT / 1500 FF. A PLACEHOLDER, labelled as such in every report that uses it.
 */
export const PLACEHOLDER_OVERHEAD: CoreOverhead = {
  perRq: { lut: 600, ff: 700, dsp: 4 },
  control: { lut: 1500, ff: 1500, dsp: 0 },
  estFmaxMHz: null,
  source: 'PLACEHOLDER (no synthesis recorded): requantizer 4 DSP + 600 LUT per unit, control 1500 LUT / 1500 FF',
};

export const LINEARITY_TOL = 0.05;

/** Fit a + b * units on the 1- and 4-unit points, checked on 2 units. */
export function fitSlice(points: Record<number, Cost>, fmax: (number | null)[]): LinearFit {
  const p1 = points[1]!, p2 = points[2]!, p4 = points[4]!;
  const k = ['lut', 'ff', 'dsp'] as const;
  const a = {} as Cost, b = {} as Cost;
  let err = 0;
  for (const r of k) {
    b[r] = (p4[r] - p1[r]) / 3;
    a[r] = p1[r] - b[r];
    const pred = a[r] + 2 * b[r];
    if (p2[r] > 0 || pred > 0) err = Math.max(err, Math.abs(pred - p2[r]) / Math.max(p2[r], 1));
  }
  const f = fmax.filter((x): x is number => x !== null);
  return { a, b, points, linearityError: err, estFmaxMHz: f.length ? Math.min(...f) : null };
}

/** The fit for (kind, N, sp2ActBits): synthesized, or linear in N between / beyond the two nearest synthesized N
 *  (extrapolated). */
export function sliceFor(slices: CoreSlices, kind: SliceKind, N: number, sp2ActBits: number = SLICE_A): { fit: LinearFit; extrapolated: boolean } {
  const fam = sliceFamily(kind, sp2ActBits);
  const own = slices.fits[`${fam}:${N}`];
  if (own) return { fit: own, extrapolated: false };
  const Ns = Object.keys(slices.fits).filter((k) => k.startsWith(`${fam}:`)).map((k) => Number(k.split(':')[1])).sort((x, y) => Math.abs(x - N) - Math.abs(y - N));
  if (Ns.length < 2) fail('sizing', `no ${fam} slices to extrapolate N=${N} from (bench/msq-core.ts --slices)`);
  const [n0, n1] = [Ns[0]!, Ns[1]!];
  const f0 = slices.fits[`${fam}:${n0}`]!, f1 = slices.fits[`${fam}:${n1}`]!;
  const lerp = (x0: number, x1: number): number => x0 + ((x1 - x0) * (N - n0)) / (n1 - n0);
  const c = (u: Cost, v: Cost): Cost => ({ lut: lerp(u.lut, v.lut), ff: lerp(u.ff, v.ff), dsp: lerp(u.dsp, v.dsp) });
  return { fit: { a: c(f0.a, f1.a), b: c(f0.b, f1.b), points: {}, linearityError: Math.max(f0.linearityError, f1.linearityError), estFmaxMHz: f0.estFmaxMHz }, extrapolated: true };
}

/** Control cost at N: synthesized, or linear in N between / beyond the two nearest synthesized N (labelled). */
function controlFor(slices: CoreSlices, N: number): { cost: Cost; estFmaxMHz: number | null; label: string } | null {
  const c = slices.control;
  if (!c) return null;
  const own = c[`control:${N}`];
  if (own) return { cost: own.cost, estFmaxMHz: own.estFmaxMHz, label: `synthesized small core at N=${N} minus its lanes and requantizers (${own.from})` };
  const Ns = Object.keys(c).map((k) => Number(k.split(':')[1])).sort((x, y) => Math.abs(x - N) - Math.abs(y - N));
  if (Ns.length < 2) return null;
  const [n0, n1] = [Ns[0]!, Ns[1]!];
  const a = c[`control:${n0}`]!.cost, b = c[`control:${n1}`]!.cost;
  const lerp = (x: number, y: number): number => Math.max(0, x + ((y - x) * (N - n0)) / (n1 - n0));
  const fm = [c[`control:${n0}`]!.estFmaxMHz, c[`control:${n1}`]!.estFmaxMHz].filter((x): x is number => x !== null);
  const inside = N > Math.min(n0, n1) && N < Math.max(n0, n1);
  return {
    cost: { lut: lerp(a.lut, b.lut), ff: lerp(a.ff, b.ff), dsp: lerp(a.dsp, b.dsp) },
    estFmaxMHz: fm.length ? Math.min(...fm) : null,
    label: `${inside ? 'INTERPOLATED' : 'EXTRAPOLATED'} linearly in N from synthesized small cores at N=${n0}, ${n1} (minus their lanes and requantizers)`,
  };
}

export interface CoreResources extends Cost {
  bram36: BankBram;
  util: { lut: number; ff: number; dsp: number; bram36: number };
  estFmaxMHz: number | null;
  /** which parts are extrapolated / placeholders */
  labels: string[];
}

/** Resources of a configuration: lanes from the slice fits, requantizers / control from `overhead`, banks counted. */
export function coreResources(cfg: CoreConfig, slices: CoreSlices, overhead: CoreOverhead, board: Board): CoreResources {
  const labels: string[] = [];
  let lut = 0, ff = 0, dsp = 0;
  const fm: number[] = [];
  const add = (kind: SliceKind, units: number): void => {
    if (units <= 0) return;
    const { fit, extrapolated } = sliceFor(slices, kind, cfg.N, sp2ActBitsOf(cfg));
    lut += fit.a.lut + fit.b.lut * units;
    ff += fit.a.ff + fit.b.ff * units;
    dsp += fit.a.dsp + fit.b.dsp * units;
    if (fit.estFmaxMHz !== null) fm.push(fit.estFmaxMHz);
    labels.push(`${sliceFamily(kind, sp2ActBitsOf(cfg))} lanes: EXTRAPOLATED from ${extrapolated ? `slices at other N (linear in N) ` : ''}1/2/4-unit syntheses to ${units} units`);
  };
  if (cfg.dspPack === 2) {
    add('pair', Math.floor(cfg.Pf / 2));
    add('fixed', cfg.Pf % 2);
  } else add('fixed', cfg.Pf);
  add('sp2', cfg.Ps);
  const rq = slices.rqa?.[`rqa:${cfg.N}`] ?? Object.values(slices.rqa ?? {})[0];
  const perRq = rq ? rq.cost : overhead.perRq;
  lut += perRq.lut * cfg.Rq + overhead.control.lut;
  ff += perRq.ff * cfg.Rq + overhead.control.ff;
  dsp += perRq.dsp * cfg.Rq + overhead.control.dsp;
  if (rq?.estFmaxMHz) fm.push(rq.estFmaxMHz);
  if (overhead.estFmaxMHz !== null) fm.push(overhead.estFmaxMHz);
  labels.push(rq ? `requantizer units: ${cfg.Rq} x one synthesized unit (rqa slice${slices.rqa?.[`rqa:${cfg.N}`] ? '' : ' at another N'})` : `requantizer units: ${overhead.source}`);
  const ctl = controlFor(slices, cfg.N);
  if (ctl) {
    lut += ctl.cost.lut - overhead.control.lut;
    ff += ctl.cost.ff - overhead.control.ff;
    dsp += ctl.cost.dsp - overhead.control.dsp;
    if (ctl.estFmaxMHz !== null) fm.push(ctl.estFmaxMHz);
    labels.push(`control: ${ctl.label}`);
  } else labels.push(`control: ${overhead.source}`);
  const bram36 = bankBram(cfg);
  labels.push('block RAM: exact count of the bank memories as yosys maps them (src/synth/bram.ts)');
  const r = board.resources;
  return {
    lut: Math.round(lut), ff: Math.round(ff), dsp: Math.round(dsp), bram36,
    util: { lut: lut / r.lut, ff: ff / r.ff, dsp: dsp / r.dsp48e1, bram36: bram36.total / r.bram36 },
    estFmaxMHz: fm.length ? Math.min(...fm) : null,
    labels,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Search

export interface SizingCaps {
  dsp: number;
  lut: number;
  bram36: number;
}

export const DEFAULT_CAPS: SizingCaps = { dsp: 1.0, lut: 0.8, bram36: 1.0 };

/** Resource figures of a core to check against its board (from the sizing or from a synthesis). */
export interface FitFigures {
  lut: number;
  dsp: number;
  bram36: number;
}

/** The first cap a core breaks on its board (LUT <= 80 %, BRAM36 <= 100 %, DSP <= 100 % by default), or null. */
export function fitProblem(f: FitFigures, board: Board, caps: SizingCaps = DEFAULT_CAPS): string | null {
  const r = board.resources;
  const rows: [string, number, number, number][] = [
    ['BRAM36', f.bram36, r.bram36, caps.bram36],
    ['DSP48E1', f.dsp, r.dsp48e1, caps.dsp],
    ['LUT', f.lut, r.lut, caps.lut],
  ];
  for (const [name, used, have, cap] of rows) {
    if (used > cap * have) {
      const pct = (x: number): string => `${Math.round(1000 * x) / 10} %`;
      return `${name} ${Math.round(used * 10) / 10} of ${have} on ${board.id} (${pct(used / have)}; the cap is ${pct(cap)}${cap < 1 ? `, ${Math.floor(cap * have)}` : ''})`;
    }
  }
  return null;
}

/** The lane slices recorded by bench/msq-core.ts (bench/results/msq-core-slices.json), or undefined. */
export function recordedSlices(): CoreSlices | undefined {
  const path = join(PROJECT_ROOT, 'bench', 'results', 'msq-core-slices.json');
  if (!existsSync(path)) return undefined;
  const j = JSON.parse(readFileSync(path, 'utf8')) as { slices?: CoreSlices };
  return j.slices?.fits ? normalizeSlices(j.slices) : undefined;
}

/**
 * Refuse a core configuration that does not fit its board: block RAM counted exactly (src/synth/bram.ts), DSPs and
 * LUTs from the sizing's slices when given (else DSPs from the lanes' count `dsps`). Throws a one-line UserError
 * naming the resource, the count and the capacity.
 */
export function checkFits(cfg: CoreConfig, board: Board, o: { slices?: CoreSlices; overhead?: CoreOverhead; dsps?: number; caps?: SizingCaps; what?: string; romBeats?: number } = {}): void {
  const bram36 = bankBram(cfg, { romBeats: o.romBeats }).total;
  let lut = 0, dsp = o.dsps ?? 0;
  if (o.slices) {
    try {
      const res = coreResources(cfg, o.slices, o.overhead ?? PLACEHOLDER_OVERHEAD, board);
      lut = res.lut;
      dsp = Math.max(dsp, res.dsp);
    } catch {
      // no slice family for this configuration (e.g. an sp2ActBits never synthesized): block RAM and DSPs only
    }
  }
  const p = fitProblem({ lut, dsp, bram36 }, board, o.caps);
  if (p) fail(o.what ?? 'core', `does not fit: ${p}; choose a smaller core (--n/--pf/--ps/--act-depth) or another board`);
}

/** The paper's figures (MSQ, XC7Z020 / XC7Z045): peak GOPS at 100 MHz and ResNet-18 latency. */
export const PAPER: Record<string, { peakGops: number; resnet18Ms: number }> = {
  xc7z020: { peakGops: 132, resnet18Ms: 47.1 },
  xc7z045: { peakGops: 624, resnet18Ms: 10.1 },
};

export interface SizedCore {
  cfg: CoreConfig;
  /** SP2-per-fixed ratio the config implies (Ps / Pf): the scheme split its lanes fill */
  ratio: number;
  resources: CoreResources;
  peakGopsAt100: number;
  peakGopsAtFmax: number | null;
  latency: ProgramLatency;
}

export interface SizingOptions {
  Ns?: number[];
  dspPacks?: (1 | 2)[];
  Rqs?: number[];
  caps?: SizingCaps;
  clockMHz?: number;
  /** network to size for (default: ResNet-18 by structure at the candidate's own ratio, compiled-jobs.ts) */
  network?: (ratio: number) => QuantModel;
  /** how many runners-up to keep */
  keep?: number;
  /** activation bits of the SP2 lanes to try (default: every value with recorded SP2 slices); A = 8 leaves the
   *  config's sp2ActBits unset */
  sp2ActBits?: number[];
}

/** Fixed depths of a candidate: weights deep enough for one pass of the longest reduction, both banks in one block
 *  depth; maps / parameters for the widest layer; activations take the BRAM left under the cap. */
function depthsFor(N: number, L: number, maxSteps: number, maxCout: number): Pick<CoreConfig, 'wDepth' | 'maxPasses' | 'cDepth' | 'kMax'> {
  const wDepth = Math.max(256, 2 ** Math.ceil(Math.log2(maxSteps)));
  const cDepth = Math.min(2 ** 15 - (2 ** 15 % N), ceilDiv(Math.min(maxCout, 512), N) * N);
  const maxPasses = Math.max(1, Math.min(wDepth, ceilDiv(cDepth, L)));
  return { wDepth, maxPasses, cDepth, kMax: maxSteps * N };
}

/** Choose the configuration with the lowest ResNet-18 latency (ties: fewer LUTs) that fits the caps. */
export function sizeCore(board: Board, slices: CoreSlices, overhead: CoreOverhead, o: SizingOptions = {}): { best: SizedCore; runnersUp: SizedCore[]; fixedOnly: SizedCore | null; evaluated: number } {
  const caps = o.caps ?? DEFAULT_CAPS;
  const clockMHz = o.clockMHz ?? board.defaultClockMHz;
  const Ns = o.Ns ?? [16, 32, 64];
  const packs = o.dspPacks ?? [1, 2];
  const Rqs = o.Rqs ?? [1, 2, 4, 8, 16];
  const netOf = o.network ?? resnet18Net;
  // one network per split ratio (the compiler's memo is per network object)
  const nets = new Map<number, QuantModel>();
  const netAt = (ratio: number): QuantModel => nets.get(ratio) ?? nets.set(ratio, netOf(ratio)).get(ratio)!;
  const paper = PAPER[board.id];
  const r = board.resources;
  const all: SizedCore[] = [];
  let fixedOnly: SizedCore | null = null;
  let evaluated = 0;
  // reduction lengths / widest layer per N do not depend on the split ratio
  const reach = new Map<number, { maxSteps: number; maxCout: number }>();
  const reachOf = (N: number): { maxSteps: number; maxCout: number } => {
    let x = reach.get(N);
    if (x) return x;
    x = netReach(netAt(1), N);
    reach.set(N, x);
    return x;
  };
  const bitsList = o.sp2ActBits ?? sliceSp2ActBits(slices);
  if (!bitsList.length) fail('sizing', 'no SP2 slices recorded (bench/msq-core.ts --slices)');
  const evaluate = (N: number, Pf: number, Ps: number, Rq: number, dspPack: 1 | 2, ratio: number, bits: number): SizedCore | null => {
    const { maxSteps, maxCout } = reachOf(N);
    const L = Pf + Ps;
    const base: CoreConfig = {
      N, Pf, Ps, Rq, dspPack, A: SLICE_A, WF: 8, m: 4, ...(bits < SLICE_A && Ps > 0 ? { sp2ActBits: bits } : {}), actDepth: 1, ...depthsFor(N, L, maxSteps, maxCout),
    };
    // activations: the largest power-of-two depth whose banks fit the BRAM cap (the RAM's depth is 2 * 2^abits(actDepth),
    // so a depth between two powers of two costs the next one's blocks)
    let actDepth = 0;
    for (let d = 512; d <= 2 ** 20 && bankBram({ ...base, actDepth: d }).total <= caps.bram36 * r.bram36; d *= 2) actDepth = d;
    if (actDepth === 0) return null;
    const cfg: CoreConfig = { ...base, actDepth };
    checkCoreConfig(cfg);
    const res = coreResources(cfg, slices, overhead, board);
    if (res.util.dsp > caps.dsp || res.util.lut > caps.lut || res.util.ff > 1 || res.util.bram36 > caps.bram36) return null;
    if (paper && peakGops(cfg, 100) < paper.peakGops && Ps > 0) return null;
    let jobs: ProgramJob[];
    try {
      jobs = compiledJobs(netAt(ratio), cfg);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return null;
    }
    evaluated++;
    const latency = programLatency(jobs, cfg, board, { clockMHz });
    return {
      cfg, ratio, resources: res,
      peakGopsAt100: peakGops(cfg, 100),
      peakGopsAtFmax: res.estFmaxMHz ? peakGops(cfg, res.estFmaxMHz) : null,
      latency,
    };
  };
  for (const bits of bitsList) for (const N of Ns) {
    if (N * 8 < 96) continue;
    for (const dspPack of packs) {
      const fx = sliceFor(slices, dspPack === 2 ? 'pair' : 'fixed', N).fit;
      const dspPerLane = dspPack === 2 ? fx.b.dsp / 2 : fx.b.dsp;
      const pfMax = Math.floor((caps.dsp * r.dsp48e1) / Math.max(dspPerLane, 1e-9));
      const sp = sliceFor(slices, 'sp2', N, bits).fit;
      for (let Pf = 1; Pf <= pfMax; Pf++) {
        for (const Rq of Rqs) {
          const fo = Rq <= Pf && bits === bitsList[0] ? evaluate(N, Pf, 0, Rq, dspPack, 0, SLICE_A) : null;
          if (fo && (!fixedOnly || fo.latency.ms < fixedOnly.latency.ms)) fixedOnly = fo;
          const fixedLut = fx.a.lut + (dspPack === 2 ? (fx.b.lut * Pf) / 2 : fx.b.lut * Pf);
          const psMax = Math.floor((caps.lut * r.lut - fixedLut - sp.a.lut) / sp.b.lut);
          for (let Ps = Math.max(1, Math.ceil(Pf / 2)); Ps <= Math.min(psMax, 4 * Pf); Ps++) {
            if (Rq > Pf + Ps) continue;
            const ratio = Ps / Pf;
            let c: SizedCore | null;
            try {
              c = evaluate(N, Pf, Ps, Rq, dspPack, ratio, bits);
            } catch {
              c = null;
            }
            if (!c) continue;
            if (paper && c.peakGopsAt100 < paper.peakGops) continue;
            all.push(c);
          }
        }
      }
    }
  }
  if (!all.length) fail('board', `no MSQ core configuration fits ${board.id} under DSP <= ${caps.dsp * 100}%, LUT <= ${caps.lut * 100}%, BRAM36 <= ${caps.bram36 * 100}%`);
  all.sort((x, y) => x.latency.ms - y.latency.ms || x.resources.lut - y.resources.lut);
  return { best: all[0]!, runnersUp: all.slice(1, 1 + (o.keep ?? 8)), fixedOnly, evaluated };
}

// ---------------------------------------------------------------------------------------------------------------
// Slice synthesis

/** Units per slice (1, 2, 4: fit on 1 and 4, checked on 2). */
export const SLICE_UNITS = [1, 2, 4];

/** Accumulator sizing of the slices: a 3x3x512 reduction (ResNet-18's longest). */
export const SLICE_KMAX_STEPS = 9 * 512;

/** The core configuration of one sizing slice: `units` fixed lanes, packed pairs or SP2 lanes (on `sp2ActBits`-bit
 *  activations) of the core's lanes. */
export function sliceConfig(kind: SliceKind, N: number, units: number, sp2ActBits: number = SLICE_A): CoreConfig {
  const Pf = kind === 'fixed' ? units : kind === 'pair' ? 2 * units : 0;
  const Ps = kind === 'sp2' ? units : 0;
  return {
    N, Pf, Ps, Rq: 1, dspPack: kind === 'pair' ? 2 : 1, A: SLICE_A, WF: 8, m: 4, ...(kind === 'sp2' && sp2ActBits < SLICE_A ? { sp2ActBits } : {}),
    actDepth: 1024, wDepth: 512, maxPasses: 16, cDepth: Math.max(N, 512 - (512 % N)), kMax: ceilDiv(SLICE_KMAX_STEPS, N) * N,
  };
}

/** The Verilog of one lane slice (the core's lanes for a slice configuration), as synthesized by the sizing. */
export function laneSliceVerilog(cfg: CoreConfig): { files: Map<string, string>; top: string } {
  return { files: emitVerilog(coreLanes(cfg, 'slice_lanes')), top: 'slice_lanes' };
}

/** The Verilog of one requantizer unit (8 tag bits), as synthesized by the sizing. */
export function rqaSliceVerilog(cfg: CoreConfig): { files: Map<string, string>; top: string } {
  return { files: emitVerilog(coreRqa(cfg, 'slice_rqa', 8)), top: 'slice_rqa' };
}

/**
 * Synthesize the lane slices (yosys synth_xilinx, parallel worker processes) for the given N and fit them.
 * `lanesVerilog(cfg)` returns the Verilog files and top of the core's lanes for a configuration.
 */
export async function synthesizeCoreSlices(
  Ns: number[],
  lanesVerilog: (cfg: CoreConfig) => { files: Map<string, string>; top: string },
  o: {
    rqaVerilog?: (cfg: CoreConfig) => { files: Map<string, string>; top: string };
    workers?: number;
    kinds?: SliceKind[];
    /** sp2ActBits of the SP2 slices (default [A]) */
    sp2ActBits?: number[];
    onProgress?: (done: number, total: number, label: string) => void;
  } = {},
): Promise<CoreSlices> {
  const { synthesizeMany } = await import('../../synth/index.js');
  const kinds = o.kinds ?? ['fixed', 'pair', 'sp2'];
  const bitsList = o.sp2ActBits ?? [SLICE_A];
  // one fit per family: fixed, pair, sp2a<bits> for each sp2ActBits
  const fams: { kind: SliceKind; bits: number }[] = kinds.flatMap((kind): { kind: SliceKind; bits: number }[] => (kind === 'sp2' ? bitsList.map((bits) => ({ kind, bits })) : [{ kind, bits: SLICE_A }]));
  const jobs: { name: string; files: Map<string, string>; top: string }[] = [];
  for (const N of Ns) for (const { kind, bits } of fams) for (const u of SLICE_UNITS) jobs.push({ name: `${sliceKey(kind, N, bits)}:${u}`, ...lanesVerilog(sliceConfig(kind, N, u, bits)) });
  if (o.rqaVerilog) for (const N of Ns) jobs.push({ name: `rqa:${N}`, ...o.rqaVerilog(sliceConfig('sp2', N, 1)) });
  const results = await synthesizeMany(jobs, { workers: o.workers, onProgress: (d, t, r) => o.onProgress?.(d, t, r.job.name ?? '') });
  const pts = new Map<string, { cost: Cost; fmax: number | null }>();
  for (const r of results) {
    if (!r.ok) fail('sizing', `synthesis of slice ${r.job.name} failed: ${r.error.split('\n')[0]}`);
    pts.set(r.job.name!, { cost: { lut: r.report.resources.lut.total, ff: r.report.resources.ff, dsp: r.report.resources.dsp48e1 }, fmax: r.report.timing.estFmaxMHz });
  }
  const fits: Record<string, LinearFit> = {};
  for (const N of Ns) {
    for (const { kind, bits } of fams) {
      const p: Record<number, Cost> = {};
      const f: (number | null)[] = [];
      for (const u of SLICE_UNITS) {
        const x = pts.get(`${sliceKey(kind, N, bits)}:${u}`)!;
        p[u] = x.cost;
        f.push(x.fmax);
      }
      fits[sliceKey(kind, N, bits)] = fitSlice(p, f);
    }
  }
  const rqa: NonNullable<CoreSlices['rqa']> = {};
  if (o.rqaVerilog) for (const N of Ns) {
    const x = pts.get(`rqa:${N}`)!;
    rqa[`rqa:${N}`] = { cost: x.cost, estFmaxMHz: x.fmax };
  }
  return { fits, ...(o.rqaVerilog ? { rqa } : {}), basis: `src/msq/core/lanes.ts coreLanes, A=${SLICE_A}, WF=8, m=4, kMax=${SLICE_KMAX_STEPS}, SP2 fits per sp2ActBits (key sp2a<bits>:N)${o.rqaVerilog ? '; src/msq/core/rqa.ts coreRqa (one unit)' : ''}` };
}
