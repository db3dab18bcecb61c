/**
 * Report sections hardware engineers expect: utilization against the board, the fixed:SP2 sweep, per-layer cycles
 * and latency, CCL frames per second vs resolution and cell size, the accuracy table. Inputs are plain data (the
 * shapes below), so src/report depends on neither core; `msq sweep` results and synthesis utilizations fit directly.
 */
import type { Section, Table } from './doc.js';

export interface UtilRowLike {
  resource: string;
  used: number;
  available: number;
  percent: number;
  over: boolean;
}

export interface UtilizationLike {
  board: string;
  part: string;
  rows: UtilRowLike[];
  warnings: string[];
}

/** Utilization bars (percent of the board, 100 % line) and the used/available table. */
export function utilizationSection(u: UtilizationLike, what: string, opts: { estimate?: boolean; id?: string } = {}): Section {
  return {
    heading: `Utilization: ${what} on ${u.board} (${u.part})`,
    notes: [
      ...(opts.estimate !== false ? ['Resources from yosys synth_xilinx (no place & route): Vivado\'s figures will differ.'] : []),
      ...u.warnings,
    ],
    charts: [{
      kind: 'bar', id: opts.id ?? 'utilization', title: `${what}: % of ${u.board}`, unit: '%',
      bars: u.rows.map((r) => ({ label: r.resource, value: r.percent, note: `${r.percent}% (${r.used.toLocaleString('en-US')} / ${r.available.toLocaleString('en-US')})` })),
      refLine: { value: 100, label: '100% of the board' },
    }],
    tables: [{ headers: ['Resource', 'Used', 'Available', 'Util %'], rows: u.rows.map((r) => [r.resource, r.used, r.available, r.percent]) }],
  };
}

export interface SweepCandidateLike {
  N: number;
  Pf: number;
  Ps: number;
  lut: number;
  dsp: number;
  util: { lut: number; dsp: number };
  peakGopsAt100: number;
  resnet18Ms?: number;
}

export interface SweepLike {
  board: string;
  part: string;
  clockMHz: number;
  best: SweepCandidateLike;
  fixedOnly: SweepCandidateLike;
  candidates: SweepCandidateLike[];
  notes?: string[];
}

/** SP2 share of the lanes, Ps / (Pf + Ps), in percent. */
const sp2Share = (c: SweepCandidateLike) => Math.round((1000 * c.Ps) / (c.Pf + c.Ps)) / 10;

/**
 * The fixed:SP2 sweep: for each N, the best peak GOPS at each SP2 share of the lanes, and the LUT/DSP use of those
 * points. Resources are extrapolated from synthesized slices (msq sweep): labelled so.
 */
export function sweepSection(r: SweepLike, opts: { paperGops?: number } = {}): Section {
  const byN = new Map<number, Map<number, SweepCandidateLike>>();
  for (const c of [...r.candidates, r.best, r.fixedOnly]) {
    const m = byN.get(c.N) ?? new Map<number, SweepCandidateLike>();
    const x = sp2Share(c);
    const prev = m.get(x);
    if (!prev || c.peakGopsAt100 > prev.peakGopsAt100) m.set(x, c);
    byN.set(c.N, m);
  }
  const Ns = [...byN.keys()].sort((a, b) => a - b);
  const pts = (N: number, f: (c: SweepCandidateLike) => number): Array<[number, number]> =>
    [...byN.get(N)!.entries()].sort((a, b) => a[0] - b[0]).map(([x, c]) => [x, f(c)]);
  const row = (label: string, c: SweepCandidateLike) => [label, c.N, c.Pf, c.Ps, sp2Share(c), c.lut, Math.round(1000 * c.util.lut) / 10, c.dsp, Math.round(1000 * c.util.dsp) / 10, Math.round(c.peakGopsAt100 * 10) / 10, c.resnet18Ms === undefined ? null : Math.round(c.resnet18Ms * 100) / 100];
  return {
    heading: `MSQ fixed:SP2 sweep on ${r.board} (${r.part})`,
    text: [`Peak GOPS at ${r.clockMHz} MHz of the swept configurations by their share of SP2 lanes (Ps / (Pf + Ps)), best per share and N (points, not a fitted trend); best configuration **N=${r.best.N}, Pf=${r.best.Pf}, Ps=${r.best.Ps}** gives ${(r.best.peakGopsAt100 / r.fixedOnly.peakGopsAt100).toFixed(2)}× the fixed-only peak.`],
    notes: ['ESTIMATE: resources extrapolated linearly from synthesized slices (yosys, no place & route); GOPS at the nominal clock, not measured on a board.', ...(r.notes ?? [])],
    charts: [
      {
        kind: 'line', id: 'sweep-gops', title: `Peak GOPS vs SP2 share (${r.board}, ${r.clockMHz} MHz)`, xLabel: 'SP2 lanes, % of Pf+Ps', yLabel: 'peak GOPS',
        series: Ns.map((N) => ({ name: `N=${N}`, points: pts(N, (c) => c.peakGopsAt100), connect: false })),
        ...(opts.paperGops ? { target: { value: opts.paperGops, label: `paper: ${opts.paperGops} GOPS` } } : {}),
      },
      {
        kind: 'line', id: 'sweep-resources', title: `LUT and DSP use vs SP2 share (${r.board})`, xLabel: 'SP2 lanes, % of Pf+Ps', yLabel: '% of the board',
        series: Ns.flatMap((N) => [
          { name: `LUT N=${N}`, points: pts(N, (c) => Math.round(1000 * c.util.lut) / 10), connect: false },
          { name: `DSP N=${N}`, points: pts(N, (c) => Math.round(1000 * c.util.dsp) / 10), connect: false },
        ]),
        target: { value: 100, label: '100%' },
      },
    ],
    tables: [{
      headers: ['', 'N', 'Pf', 'Ps', 'SP2 %', 'LUT', 'LUT %', 'DSP', 'DSP %', 'peak GOPS', 'ResNet-18 ms'],
      rows: [row('best', r.best), row('fixed-only', r.fixedOnly)],
    }],
  };
}

export interface LayerLike {
  name: string;
  cycles: number;
}

/** Per-layer cycles (chart) and latency at `clockMHz` (table, with the total). */
export function layersSection(layers: LayerLike[], clockMHz: number, what: string, opts: { estimate?: string } = {}): Section {
  const total = layers.reduce((a, l) => a + l.cycles, 0);
  const ms = (c: number) => Math.round((c / (clockMHz * 1e3)) * 1000) / 1000;
  const t: Table = {
    headers: ['Layer', 'Cycles', `Latency ms @ ${clockMHz} MHz`, '% of total'],
    rows: [...layers.map((l) => [l.name, l.cycles, ms(l.cycles), Math.round((1000 * l.cycles) / (total || 1)) / 10]), ['**total**', total, ms(total), 100]],
  };
  return {
    heading: `Per-layer cycles and latency: ${what}`,
    notes: [opts.estimate ?? 'Cycle model (the schedule recurrence, checked against RTL simulation on small layers); latency at the nominal clock.'],
    charts: [{ kind: 'bar', id: 'layers', title: `${what}: cycles per layer`, bars: layers.map((l) => ({ label: l.name, value: l.cycles })) }],
    tables: [t],
  };
}

export interface CclFpsPoint {
  width: number;
  height: number;
  cell: number;
  fps: number;
}

/** CCL frames per second vs resolution (pixels, log axis), one line per cell size, with the target line. */
export function cclFpsSection(points: CclFpsPoint[], opts: { target?: number; basis: string }): Section {
  const cells = [...new Set(points.map((p) => p.cell))].sort((a, b) => a - b);
  return {
    heading: 'CCL frames per second vs resolution and cell size',
    notes: [opts.basis],
    charts: [{
      kind: 'line', id: 'ccl-fps', title: 'CCL frames/s vs frame size', xLabel: 'pixels per frame (log)', yLabel: 'frames/s (log)', xLog: true, yLog: true,
      series: cells.map((c) => ({ name: `cell ${c}`, points: points.filter((p) => p.cell === c).map((p): [number, number] => [p.width * p.height, p.fps]) })),
      ...(opts.target ? { target: { value: opts.target, label: `target ${opts.target} fps` } } : {}),
    }],
    tables: [{ headers: ['Frame', 'Cell', 'frames/s'], rows: points.map((p) => [`${p.width}×${p.height}`, p.cell, Math.round(p.fps)]) }],
  };
}

export interface AccuracyRow {
  model: string;
  /** top-1 accuracy in percent per scheme; null when not measured */
  float: number | null;
  fixed: number | null;
  sp2: number | null;
  msq: number | null;
}

/** Accuracy table (float / fixed / SP2 / MSQ) and grouped bars. */
export function accuracySection(rows: AccuracyRow[], basis: string): Section {
  const schemes = ['float', 'fixed', 'sp2', 'msq'] as const;
  const names = { float: 'float', fixed: 'fixed', sp2: 'SP2', msq: 'MSQ' };
  const present = schemes.filter((s) => rows.some((r) => r[s] !== null));
  return {
    heading: 'Accuracy (top-1 %)',
    text: [basis],
    charts: [{
      kind: 'grouped', id: 'accuracy', title: 'Top-1 accuracy by quantization scheme', categories: rows.map((r) => r.model), yLabel: 'top-1 %',
      series: present.map((s) => ({ name: names[s], values: rows.map((r) => r[s] ?? 0) })),
    }],
    tables: [{ headers: ['Model', ...schemes.map((s) => names[s])], rows: rows.map((r) => [r.model, ...schemes.map((s) => r[s])]) }],
  };
}
