/**
 * Board sizing of the MSQ engine (`msq sweep`): synthesize representative slices, extrapolate linearly, pick the
 * (Pf, Ps, N) with the highest peak GOPS under the resource caps.
 *
 * Slices (yosys synth_xilinx, in parallel worker processes via synthesizeMany):
 *  - fixed core with 1, 2 and 4 fixedLanes (8-bit activations x 8-bit fixed weights: the first/last layers' width),
 *  - SP2 core with 1, 2 and 4 sp2Lanes (4-bit activations x 4-bit SP2 codes: the inner layers' width),
 *  - one small whole engine (Pf = Ps = 1) for the issue logic, buffers and requantizer ("overhead").
 * Cost(lanes) = a + b * lanes is fitted on 1 and 4 lanes and checked on 2 lanes: extrapolation to the board-size
 * core is only done when that check holds (within LINEARITY_TOL); the report says it is an extrapolation.
 * The on-chip buffers of a real network (weights double-buffered, feature-map tiles) are NOT in the overhead slice.
 */
import type { Board } from '../../board/index.js';
import { synthesizeMany, type SynthJob, type SynthReport } from '../../synth/index.js';
import { fail } from '../../util/errors.js';
import { networkLatency, resnet18Shapes } from '../cycle-model.js';
import { coreModule, fixedLaneModule, fixedLanePairModule, sp2LaneModule, type LaneWidths } from './lanes.js';
import { header, moduleFile } from './verilog.js';
import { randomLayerModel } from './random-layer.js';
import { buildEngine } from './verify.js';

export const LINEARITY_TOL = 0.05;

export interface LinearCost {
  /** cost = a + b * lanes, per resource */
  lut: { a: number; b: number };
  ff: { a: number; b: number };
  dsp: { a: number; b: number };
  /** measured points: lanes -> [lut, ff, dsp] */
  points: Record<number, [number, number, number]>;
  /** worst relative error of the fit at the check point (2 lanes) over lut/ff/dsp */
  linearityError: number;
  estFmaxMHz: number | null;
}

export interface SweepCandidate {
  N: number;
  Pf: number;
  Ps: number;
  /** requantizer units: enough that a 3x3x64 layer's pass (9 * 64 / N steps) is not bound by serialization */
  Rq: number;
  lut: number;
  ff: number;
  dsp: number;
  util: { lut: number; ff: number; dsp: number };
  peakGopsAt100: number;
  estFmaxMHz: number | null;
  peakGopsAtFmax: number | null;
  resnet18Ms: number;
  resnet18Efficiency: number;
}

export interface SweepResult {
  board: string;
  dspPack: 1 | 2;
  part: string;
  caps: { lut: number; dsp: number };
  clockMHz: number;
  slices: Record<string, LinearCost>;
  overhead: Record<number, { lut: number; ff: number; dsp: number; estFmaxMHz: number | null }>;
  best: SweepCandidate;
  fixedOnly: SweepCandidate;
  candidates: SweepCandidate[];
  notes: string[];
}

type SliceKind = 'fixed' | 'sp2' | 'pair';

/** Slice sources. fixed: 8-bit activations x 8-bit weights; pair (--dsp-pack 2): 4-bit x 4-bit fixed filters packed
 *  two per DSP (`units` = pairs); sp2: 4-bit activations x 4-bit SP2 codes. */
function coreFiles(kind: SliceKind, N: number, units: number): Map<string, string> {
  const w: LaneWidths = kind === 'fixed' ? { N, actBits: 8, actSigned: false, accBits: 32 } : { N, actBits: 4, actSigned: false, accBits: 24 };
  const files = new Map<string, string>();
  const h = header(`MSQ sizing slice: ${kind} core, ${units} unit(s)`, 'sweep', { N, units });
  if (kind === 'pair') {
    files.set('pair.v', moduleFile(h, fixedLanePairModule('slice_pair', w, 4)));
    files.set('core.v', moduleFile(h, coreModule('slice_core', 'slice_unused', 2 * units, w, 4, 'fixed', 'slice_pair')));
    return files;
  }
  const lane = kind === 'fixed' ? fixedLaneModule('slice_fixed_lane', w, 8) : sp2LaneModule('slice_sp2_lane', w, 4, 2, 1, 3);
  files.set('lane.v', moduleFile(h, lane));
  files.set('core.v', moduleFile(h, coreModule('slice_core', kind === 'fixed' ? 'slice_fixed_lane' : 'slice_sp2_lane', units, w, kind === 'fixed' ? 8 : 4, kind)));
  return files;
}

const LANES = [1, 2, 4];

function fit(points: Record<number, SynthReport>): LinearCost {
  const vals = (r: SynthReport): [number, number, number] => [r.resources.lut.total, r.resources.ff, r.resources.dsp48e1];
  const p1 = vals(points[1]!);
  const p2 = vals(points[2]!);
  const p4 = vals(points[4]!);
  const ab = (i: number): { a: number; b: number } => {
    const b = (p4[i]! - p1[i]!) / 3;
    return { a: p1[i]! - b, b };
  };
  const lut = ab(0), ff = ab(1), dsp = ab(2);
  let err = 0;
  [lut, ff, dsp].forEach((c, i) => {
    const pred = c.a + 2 * c.b;
    const got = p2[i]!;
    if (got > 0 || pred > 0) err = Math.max(err, Math.abs(pred - got) / Math.max(got, 1));
  });
  const fmaxes = Object.values(points).map((r) => r.timing.estFmaxMHz).filter((f): f is number => f !== null);
  return {
    lut, ff, dsp,
    points: { 1: p1, 2: p2, 4: p4 },
    linearityError: err,
    estFmaxMHz: fmaxes.length ? Math.min(...fmaxes) : null,
  };
}

export interface SliceData {
  slices: Record<string, LinearCost>;
  overhead: SweepResult['overhead'];
  notes: string[];
}

export interface SweepOptions {
  Ns?: number[];
  /** 2: also synthesize packed fixed-lane pairs and size a --dsp-pack 2 engine */
  dspPack?: 1 | 2;
  /** reuse slice syntheses (they do not depend on the board), e.g. from a previous sweep's JSON */
  reuse?: SliceData;
  lutCap?: number;
  dspCap?: number;
  clockMHz?: number;
  workers?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Synthesize the slices for the given N values and choose the best configuration for `board`. */
export async function sweepBoard(board: Board, o: SweepOptions = {}): Promise<SweepResult> {
  const Ns = o.Ns ?? [8, 16];
  const lutCap = o.lutCap ?? 0.8;
  const dspCap = o.dspCap ?? 1.0;
  if (!(lutCap > 0 && lutCap <= 1)) fail('--lut-cap', `must be in (0, 1], got ${lutCap}`);
  if (!(dspCap > 0 && dspCap <= 1)) fail('--dsp-cap', `must be in (0, 1], got ${dspCap}`);
  for (const n of Ns) if (!Number.isInteger(n) || n < 1 || n > 64) fail('--n', `N must be an integer in 1..64, got ${n}`);
  const clockMHz = o.clockMHz ?? board.defaultClockMHz;
  const data = o.reuse ?? (await synthesizeSlices(Ns, o));
  return selectConfig(board, data, { Ns, lutCap, dspCap, clockMHz, dspPack: o.dspPack ?? 1 });
}

/** Synthesize the sizing slices (board-independent) for the given N values. */
export async function synthesizeSlices(Ns: number[], o: SweepOptions = {}): Promise<SliceData> {
  const kinds: SliceKind[] = o.dspPack === 2 ? ['fixed', 'sp2', 'pair'] : ['fixed', 'sp2'];
  const jobs: SynthJob[] = [];
  for (const N of Ns) {
    for (const kind of kinds) {
      for (const lanes of LANES) jobs.push({ name: `${kind}:${N}:${lanes}`, files: coreFiles(kind, N, lanes), top: 'slice_core' });
    }
    const model = randomLayerModel(
      { op: 'conv2d', cin: N, h: 6, w: 6, cout: 4, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.5,
        inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 8, sp2Bits: 4 },
      1,
    );
    const e = buildEngine(model, { N, Pf: 1, Ps: 1 }, 'slice');
    jobs.push({ name: `engine:${N}`, files: e.rtl.files, top: e.rtl.top });
  }
  const results = await synthesizeMany(jobs, {
    workers: o.workers,
    onProgress: (done, total, r) => o.onProgress?.(done, total, r.job.name ?? ''),
  });
  const reports = new Map<string, SynthReport>();
  results.forEach((r) => {
    if (!r.ok) fail('sweep', `synthesis of slice ${r.job.name} failed: ${r.error.split('\n')[0]}`);
    reports.set(r.job.name!, r.report);
  });
  const slices: Record<string, LinearCost> = {};
  const overhead: SweepResult['overhead'] = {};
  const notes: string[] = [];
  for (const N of Ns) {
    for (const kind of kinds) {
      const pts: Record<number, SynthReport> = {};
      for (const lanes of LANES) pts[lanes] = reports.get(`${kind}:${N}:${lanes}`)!;
      const c = fit(pts);
      slices[`${kind}:${N}`] = c;
      if (c.linearityError > LINEARITY_TOL) {
        notes.push(`${kind} core at N=${N}: 2-lane synthesis differs from the 1/4-lane line by ${(100 * c.linearityError).toFixed(1)}% (> ${100 * LINEARITY_TOL}%): extrapolation is less reliable`);
      }
    }
    const eng = reports.get(`engine:${N}`)!;
    const f = slices[`fixed:${N}`]!, s = slices[`sp2:${N}`]!;
    overhead[N] = {
      lut: Math.max(0, eng.resources.lut.total - (f.lut.a + f.lut.b) - (s.lut.a + s.lut.b)),
      ff: Math.max(0, eng.resources.ff - (f.ff.a + f.ff.b) - (s.ff.a + s.ff.b)),
      dsp: Math.max(0, eng.resources.dsp48e1 - (f.dsp.a + f.dsp.b) - (s.dsp.a + s.dsp.b)),
      estFmaxMHz: eng.timing.estFmaxMHz,
    };
  }
  return { slices, overhead, notes };
}

function selectConfig(
  board: Board,
  data: SliceData,
  o: { Ns: number[]; lutCap: number; dspCap: number; clockMHz: number; dspPack: 1 | 2 },
): SweepResult {
  const { slices, overhead } = data;
  const { Ns, lutCap, dspCap, clockMHz } = o;
  const notes = [...data.notes];
  if (o.dspPack === 2) notes.push('--dsp-pack 2: fixed lanes are packed pairs (4-bit x 4-bit fixed filters, two per DSP48E1); cost per lane = pair cost / 2');
  notes.push('core resources are EXTRAPOLATED from 1/2/4-lane syntheses (linear fit a + b*lanes); overhead = a small whole engine minus its lanes; network-size weight/feature buffers are not included');
  notes.push('fmax figures are yosys post-synthesis ESTIMATES (no place and route)');
  notes.push(`ResNet-18 latency: cycle model of this schedule (src/msq/cycle-model.ts) at ${clockMHz} MHz with DDR at ${board.ddr.deratedGBps} GB/s (board file assumption: ${board.ddr.source})`);

  const candidates: SweepCandidate[] = [];
  const fixedCost = (N: number): LinearCost => {
    if (o.dspPack !== 2) return slices[`fixed:${N}`]!;
    const p = slices[`pair:${N}`];
    if (!p) fail('--dsp-pack', `no packed-pair slices for N=${N}: synthesize them (sweep with dspPack 2)`);
    const half = (c: { a: number; b: number }): { a: number; b: number } => ({ a: c.a, b: c.b / 2 });
    return { ...p, lut: half(p.lut), ff: half(p.ff), dsp: half(p.dsp) };
  };
  const make = (N: number, Pf: number, Ps: number): SweepCandidate => {
    const f = fixedCost(N), s = slices[`sp2:${N}`]!, ov = overhead[N]!;
    const Rq = Math.max(1, Math.ceil((Pf + Ps) / Math.max(1, Math.floor((9 * 64) / N))));
    // every extra requantizer unit is counted as a whole extra overhead slice (conservative)
    const lut = Math.round(f.lut.a + f.lut.b * Pf + (Ps ? s.lut.a + s.lut.b * Ps : 0) + ov.lut * Rq);
    const ff = Math.round(f.ff.a + f.ff.b * Pf + (Ps ? s.ff.a + s.ff.b * Ps : 0) + ov.ff * Rq);
    const dsp = Math.round(f.dsp.a + f.dsp.b * Pf + (Ps ? s.dsp.a + s.dsp.b * Ps : 0) + ov.dsp * Rq);
    const fm = [f.estFmaxMHz, Ps ? s.estFmaxMHz : null, ov.estFmaxMHz].filter((x): x is number => x !== null);
    const estFmaxMHz = fm.length ? Math.min(...fm) : null;
    const macs = (Pf + Ps) * N;
    const net = networkLatency(resnet18Shapes(Ps / Pf), { N, Pf, Ps, Rq, dspPack: o.dspPack }, board, clockMHz);
    return {
      N, Pf, Ps, Rq, lut, ff, dsp,
      util: { lut: lut / board.resources.lut, ff: ff / board.resources.ff, dsp: dsp / board.resources.dsp48e1 },
      peakGopsAt100: (2 * macs * 100) / 1000,
      estFmaxMHz,
      peakGopsAtFmax: estFmaxMHz ? (2 * macs * estFmaxMHz) / 1000 : null,
      resnet18Ms: net.ms,
      resnet18Efficiency: net.efficiency,
    };
  };
  const fits = (c: SweepCandidate): boolean => c.util.dsp <= dspCap && c.util.lut <= lutCap && c.util.ff <= 1;
  let fixedOnly: SweepCandidate | undefined;
  for (const N of Ns) {
    const f = fixedCost(N), s = slices[`sp2:${N}`]!, ov = overhead[N]!;
    const pfMax = Math.floor((dspCap * board.resources.dsp48e1 - ov.dsp - f.dsp.a) / Math.max(f.dsp.b, 1e-9));
    // (more requantizer units shrink the room left for lanes: the fit test below has the last word)
    for (let Pf = 1; Pf <= pfMax; Pf++) {
      const fo = make(N, Pf, 0);
      if (fits(fo) && (!fixedOnly || fo.peakGopsAt100 > fixedOnly.peakGopsAt100)) fixedOnly = fo;
      const lutLeft = lutCap * board.resources.lut - ov.lut - f.lut.a - f.lut.b * Pf - s.lut.a;
      let Ps = Math.floor(lutLeft / s.lut.b);
      while (Ps >= 1 && !fits(make(N, Pf, Ps))) Ps -= Ps > 64 ? 4 : 1;
      if (Ps >= 1) candidates.push(make(N, Pf, Ps));
    }
  }
  if (!candidates.length || !fixedOnly) fail('board', `no (Pf, Ps, N) configuration fits ${board.id} under DSP <= ${dspCap * 100}% and LUT <= ${lutCap * 100}%`);
  candidates.sort((a, b) => b.peakGopsAt100 - a.peakGopsAt100 || a.resnet18Ms - b.resnet18Ms);
  return {
    board: board.id,
    dspPack: o.dspPack,
    part: board.part,
    caps: { lut: lutCap, dsp: dspCap },
    clockMHz,
    slices,
    overhead,
    best: candidates[0]!,
    fixedOnly,
    candidates: candidates.slice(0, 10),
    notes,
  };
}

/** Text table of a sweep result. */
export function formatSweep(r: SweepResult): string {
  const row = (label: string, c: SweepCandidate): string =>
    `${label.padEnd(11)} N=${String(c.N).padStart(2)} Pf=${String(c.Pf).padStart(3)} Ps=${String(c.Ps).padStart(3)} Rq=${c.Rq}  ` +
    `LUT ${String(c.lut).padStart(6)} (${(100 * c.util.lut).toFixed(0).padStart(3)}%)  FF ${String(c.ff).padStart(6)} (${(100 * c.util.ff).toFixed(0).padStart(3)}%)  ` +
    `DSP ${String(c.dsp).padStart(4)} (${(100 * c.util.dsp).toFixed(0).padStart(3)}%)  ` +
    `peak ${c.peakGopsAt100.toFixed(1).padStart(6)} GOPS@100MHz  ` +
    `${c.peakGopsAtFmax === null ? '   n/a' : c.peakGopsAtFmax.toFixed(1).padStart(6)} GOPS@est.fmax ${c.estFmaxMHz === null ? 'n/a' : c.estFmaxMHz.toFixed(0)} MHz  ` +
    `ResNet-18 ${c.resnet18Ms.toFixed(2)} ms (eff ${(100 * c.resnet18Efficiency).toFixed(0)}%)`;
  const lines = [
    `MSQ engine sweep for ${r.board} (${r.part})${r.dspPack === 2 ? ' with --dsp-pack 2' : ''}, caps LUT <= ${r.caps.lut * 100}%, DSP <= ${r.caps.dsp * 100}%, clock ${r.clockMHz} MHz`,
    row('best', r.best),
    row('fixed-only', r.fixedOnly),
    `gain over fixed-only: ${(r.best.peakGopsAt100 / r.fixedOnly.peakGopsAt100).toFixed(2)}x peak GOPS`,
    'other candidates:',
    ...r.candidates.slice(1, 6).map((c) => row('', c)),
    'notes:',
    ...r.notes.map((n) => `  - ${n}`),
  ];
  return lines.join('\n');
}
