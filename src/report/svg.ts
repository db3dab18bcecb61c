/**
 * Inline SVG charts, no JavaScript and no external resources: horizontal bar chart (utilization against 100 %),
 * grouped vertical bars, line chart (optionally log-x). Each returns one `<svg class="chart">` element string.
 * Deterministic: same input → same text. Non-finite values are refused (an empty or NaN chart is a bug).
 */
import { fail } from '../util/errors.js';

export const PALETTE = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Tick values for [lo, hi] at 1/2/5 × 10^k steps, about `count` of them, covering the range. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export function fmtNum(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(1);
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: a < 10 ? 2 : 1 });
}

function checkFinite(what: string, values: number[]): void {
  if (values.length === 0) fail(what, 'has no data: a chart needs at least one value');
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) fail(what, `has a non-finite value (${bad})`);
}

function open(id: string, title: string, w: number, h: number): string[] {
  return [
    `<svg class="chart" data-chart="${esc(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<text x="${w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
}

function legend(names: string[], x: number, y: number): string[] {
  return names.flatMap((n, i) => [
    `<rect x="${x}" y="${y + i * 16}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
    `<text x="${x + 14}" y="${y + i * 16 + 9}">${esc(n)}</text>`,
  ]);
}

export interface Bar {
  label: string;
  value: number;
  /** text after the bar (default: the value with the unit) */
  note?: string;
}

export interface BarChartSpec {
  id: string;
  title: string;
  bars: Bar[];
  unit?: string;
  /** axis maximum (default: the largest value, at least `refLine`) */
  max?: number;
  /** a dashed reference line (e.g. 100 % of the board) */
  refLine?: { value: number; label: string };
}

/** Horizontal bars, one per row (utilization: percent of the board, with the 100 % line). */
export function barChart(spec: BarChartSpec): string {
  checkFinite(`chart ${spec.id}`, spec.bars.map((b) => b.value));
  const labelW = Math.max(60, ...spec.bars.map((b) => b.label.length * 7 + 10));
  const W = 640, rowH = 26, top = 34, plotW = W - labelW - 110;
  const H = top + spec.bars.length * rowH + 34;
  const max = Math.max(spec.max ?? 0, ...spec.bars.map((b) => b.value), spec.refLine?.value ?? 0) || 1;
  const ticks = niceTicks(0, max, 5);
  const axisMax = ticks[ticks.length - 1]!;
  const xOf = (v: number) => r1(labelW + (Math.max(0, v) / axisMax) * plotW);
  const out = open(spec.id, spec.title, W, H);
  const baseY = top + spec.bars.length * rowH;
  for (const t of ticks) out.push(`<line x1="${xOf(t)}" y1="${top}" x2="${xOf(t)}" y2="${baseY}" stroke="#ddd"/>`, `<text x="${xOf(t)}" y="${baseY + 14}" text-anchor="middle" fill="#555">${fmtNum(t)}</text>`);
  spec.bars.forEach((b, i) => {
    const y = top + i * rowH + 4;
    const over = spec.refLine !== undefined && b.value > spec.refLine.value;
    out.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect class="bar" x="${labelW}" y="${y}" width="${r1(Math.max(1, xOf(b.value) - labelW))}" height="${rowH - 8}" fill="${over ? '#dc3912' : PALETTE[0]}"><title>${esc(`${b.label}: ${fmtNum(b.value)}${spec.unit ?? ''}`)}</title></rect>`);
    out.push(`<text x="${xOf(b.value) + 4}" y="${y + 13}" fill="#333">${esc(b.note ?? `${fmtNum(b.value)}${spec.unit ?? ''}`)}</text>`);
  });
  out.push(`<line x1="${labelW}" y1="${top}" x2="${labelW}" y2="${baseY}" stroke="#333"/>`);
  if (spec.refLine) {
    const x = xOf(spec.refLine.value);
    out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${baseY}" stroke="#dc3912" stroke-dasharray="4 3"/>`, `<text x="${x}" y="${baseY + 28}" text-anchor="middle" fill="#dc3912">${esc(spec.refLine.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface Series {
  name: string;
  values: number[];
}

export interface GroupedBarSpec {
  id: string;
  title: string;
  categories: string[];
  series: Series[];
  yLabel: string;
}

/** Vertical bars grouped by category, one colour per series. */
export function groupedBarChart(spec: GroupedBarSpec): string {
  for (const s of spec.series) {
    checkFinite(`chart ${spec.id} series ${s.name}`, s.values);
    if (s.values.length !== spec.categories.length) fail(`chart ${spec.id} series ${s.name}`, `has ${s.values.length} values for ${spec.categories.length} categories`);
  }
  const W = 640, H = 320, left = 64, right = 130, top = 34, bottom = 50;
  const plotW = W - left - right, plotH = H - top - bottom;
  const all = spec.series.flatMap((s) => s.values);
  const ticks = niceTicks(Math.min(0, ...all), Math.max(...all, 0) || 1, 5);
  const lo = ticks[0]!, hi = ticks[ticks.length - 1]!;
  const yOf = (v: number) => r1(top + plotH - ((v - lo) / (hi - lo)) * plotH);
  const out = open(spec.id, spec.title, W, H);
  for (const t of ticks) out.push(`<line x1="${left}" y1="${yOf(t)}" x2="${left + plotW}" y2="${yOf(t)}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${yOf(t) + 4}" text-anchor="end" fill="#555">${fmtNum(t)}</text>`);
  const groupW = plotW / spec.categories.length;
  const barW = Math.max(2, (groupW * 0.8) / spec.series.length);
  spec.categories.forEach((c, ci) => {
    const gx = left + ci * groupW + groupW * 0.1;
    spec.series.forEach((s, si) => {
      const v = s.values[ci]!;
      const y0 = yOf(Math.max(0, lo)), y1 = yOf(v);
      out.push(`<rect class="bar" x="${r1(gx + si * barW)}" y="${Math.min(y0, y1)}" width="${r1(barW - 1)}" height="${r1(Math.max(1, Math.abs(y0 - y1)))}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${c} · ${s.name}: ${fmtNum(v)}`)}</title></rect>`);
    });
    out.push(`<text x="${r1(left + ci * groupW + groupW / 2)}" y="${top + plotH + 16}" text-anchor="middle">${esc(c)}</text>`);
  });
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`, `<line x1="${left}" y1="${yOf(Math.max(0, lo))}" x2="${left + plotW}" y2="${yOf(Math.max(0, lo))}" stroke="#333"/>`);
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  out.push(...legend(spec.series.map((s) => s.name), left + plotW + 12, top + 4));
  out.push('</svg>');
  return out.join('\n');
}

export interface LineSeries {
  name: string;
  points: Array<[number, number]>;
  /** draw the connecting line (default true); false = markers only, for points that are not a trend */
  connect?: boolean;
}

export interface LineChartSpec {
  id: string;
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** horizontal dashed target line */
  target?: { value: number; label: string };
}

/** Lines with point markers; log axes use powers of ten as ticks. */
export function lineChart(spec: LineChartSpec): string {
  for (const s of spec.series) {
    checkFinite(`chart ${spec.id} series ${s.name}`, s.points.flat());
    if ((spec.xLog && s.points.some((p) => p[0] <= 0)) || (spec.yLog && s.points.some((p) => p[1] <= 0))) fail(`chart ${spec.id} series ${s.name}`, 'log axis needs positive values');
  }
  const W = 640, H = 340, left = 70, right = 150, top = 34, bottom = 52;
  const plotW = W - left - right, plotH = H - top - bottom;
  const tx = (v: number) => (spec.xLog ? Math.log10(v) : v);
  const ty = (v: number) => (spec.yLog ? Math.log10(v) : v);
  const xs = spec.series.flatMap((s) => s.points.map((p) => tx(p[0])));
  const ys = spec.series.flatMap((s) => s.points.map((p) => ty(p[1]))).concat(spec.target ? [ty(spec.target.value)] : []);
  const axis = (vals: number[], log: boolean | undefined, zero: boolean) => {
    if (log) {
      const lo = Math.floor(Math.min(...vals)), hi = Math.max(lo + 1, Math.ceil(Math.max(...vals)));
      return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    }
    return niceTicks(zero ? Math.min(0, ...vals) : Math.min(...vals), Math.max(...vals), 5);
  };
  const xt = axis(xs, spec.xLog, false), yt = axis(ys, spec.yLog, true);
  const [x0, x1] = [xt[0]!, xt[xt.length - 1]!], [y0, y1] = [yt[0]!, yt[yt.length - 1]!];
  const X = (v: number) => r1(left + ((tx(v) - x0) / (x1 - x0 || 1)) * plotW);
  const Y = (v: number) => r1(top + plotH - ((ty(v) - y0) / (y1 - y0 || 1)) * plotH);
  const label = (t: number, log: boolean | undefined) => (log ? fmtNum(10 ** t) : fmtNum(t));
  const out = open(spec.id, spec.title, W, H);
  for (const t of yt) {
    const y = r1(top + plotH - ((t - y0) / (y1 - y0 || 1)) * plotH);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#ddd"/>`, `<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#555">${label(t, spec.yLog)}</text>`);
  }
  for (const t of xt) {
    const x = r1(left + ((t - x0) / (x1 - x0 || 1)) * plotW);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="#eee"/>`, `<text x="${x}" y="${top + plotH + 16}" text-anchor="middle" fill="#555">${label(t, spec.xLog)}</text>`);
  }
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/>`, `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  if (spec.target) {
    const y = Y(spec.target.value);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#dc3912" stroke-dasharray="5 4"/>`, `<text x="${left + plotW - 4}" y="${y - 5}" text-anchor="end" fill="#dc3912">${esc(spec.target.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    if (s.connect !== false) out.push(`<polyline class="line" fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${X(p[0])},${Y(p[1])}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${X(p[0])}" cy="${Y(p[1])}" r="3" fill="${c}"><title>${esc(`${s.name}: (${fmtNum(p[0])}, ${fmtNum(p[1])})`)}</title></circle>`);
  });
  out.push(`<text x="${left + plotW / 2}" y="${H - 10}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  out.push(...legend(spec.series.map((s) => s.name), left + plotW + 12, top + 4));
  out.push('</svg>');
  return out.join('\n');
}
