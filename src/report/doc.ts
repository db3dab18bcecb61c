/**
 * A report as data (ReportDoc) and its three renderings: JSON (the doc itself, machine-readable), Markdown (tables;
 * each chart as the table of its data) and one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource). writeReport() writes <name>.json, <name>.md and <name>.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fsx.js';
import { GENERATOR_VERSION } from '../version.js';
import { barChart, esc, fmtNum, groupedBarChart, lineChart, type BarChartSpec, type GroupedBarSpec, type LineChartSpec } from './svg.js';

export type Chart =
  | ({ kind: 'bar' } & BarChartSpec)
  | ({ kind: 'grouped' } & GroupedBarSpec)
  | ({ kind: 'line' } & LineChartSpec);

export type Cell = string | number | null;

export interface Table {
  headers: string[];
  rows: Cell[][];
  /** right-align these columns (default: every column whose cells are all numbers) */
  numeric?: boolean[];
}

export interface Section {
  heading: string;
  /** plain-text paragraphs (Markdown-style **bold** and `code` are rendered in HTML) */
  text?: string[];
  charts?: Chart[];
  tables?: Table[];
  /** caveats shown highlighted: "ESTIMATE: ...", "extrapolated ..." */
  notes?: string[];
}

export interface ReportDoc {
  title: string;
  subtitle?: string;
  generator: string;
  date: string;
  sections: Section[];
}

export function makeReport(title: string, sections: Section[], subtitle?: string, date = new Date().toISOString()): ReportDoc {
  return { title, ...(subtitle ? { subtitle } : {}), generator: `accelforge ${GENERATOR_VERSION}`, date, sections };
}

function cellText(c: Cell): string {
  if (c === null) return '—';
  return typeof c === 'number' ? fmtNum(c) : c;
}

function numericCols(t: Table): boolean[] {
  return t.numeric ?? t.headers.map((_, i) => t.rows.length > 0 && t.rows.every((r) => typeof r[i] === 'number' || r[i] === null));
}

export function mdTable(t: Table): string {
  const num = numericCols(t);
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(t.headers), `|${num.map((n) => (n ? '---:' : '---')).join('|')}|`, ...t.rows.map((r) => line(r.map(cellText)))].join('\n');
}

/** The data behind a chart, as a table (for Markdown and for readers without SVG). */
export function chartTable(c: Chart): Table {
  if (c.kind === 'bar') return { headers: ['', `value${c.unit ? ` (${c.unit.trim()})` : ''}`], rows: c.bars.map((b) => [b.label, b.value]) };
  if (c.kind === 'grouped') return { headers: ['', ...c.series.map((s) => s.name)], rows: c.categories.map((cat, i) => [cat, ...c.series.map((s) => s.values[i]!)]) };
  const xs = [...new Set(c.series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  return {
    headers: [c.xLabel, ...c.series.map((s) => s.name)],
    rows: xs.map((x) => [x, ...c.series.map((s) => s.points.find((p) => p[0] === x)?.[1] ?? null)]),
  };
}

export function renderChart(c: Chart): string {
  if (c.kind === 'bar') return barChart(c);
  if (c.kind === 'grouped') return groupedBarChart(c);
  return lineChart(c);
}

export function toMarkdown(doc: ReportDoc): string {
  const L: string[] = [`# ${doc.title}`, ''];
  if (doc.subtitle) L.push(doc.subtitle, '');
  L.push(`${doc.generator}, ${doc.date}`, '');
  for (const s of doc.sections) {
    L.push(`## ${s.heading}`, '');
    for (const p of s.text ?? []) L.push(p, '');
    for (const n of s.notes ?? []) L.push(`> ${n}`, '');
    for (const t of s.tables ?? []) L.push(mdTable(t), '');
    for (const c of s.charts ?? []) L.push(`**${c.title}**`, '', mdTable(chartTable(c)), '');
  }
  return L.join('\n');
}

function inline(s: string): string {
  return esc(s).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/`([^`]+)`/g, '<code>$1</code>');
}

function htmlTable(t: Table): string {
  const num = numericCols(t);
  const cls = (i: number) => (num[i] ? ' class="num"' : '');
  return [
    '<table>',
    `<thead><tr>${t.headers.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...t.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${inline(cellText(c))}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#666;font-size:.9rem}.note{background:#fff6e0;border-left:4px solid #f0a000;padding:.4rem .8rem;margin:.6rem 0}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f4f4f4}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}
svg.chart{max-width:100%;height:auto;background:#fff;border:1px solid #eee}code{background:#f4f4f4;padding:0 .2rem}
details{margin:.3rem 0 1rem}summary{cursor:pointer;color:#555;font-size:.85rem}`;

/** One self-contained HTML page (no script, no external resource). */
export function toHtml(doc: ReportDoc): string {
  const L: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${esc(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(doc.title)}</h1>`,
  ];
  if (doc.subtitle) L.push(`<p>${inline(doc.subtitle)}</p>`);
  L.push(`<p class="meta">${esc(doc.generator)} · ${esc(doc.date)}</p>`);
  for (const s of doc.sections) {
    L.push('<section>', `<h2>${esc(s.heading)}</h2>`);
    for (const p of s.text ?? []) L.push(`<p>${inline(p)}</p>`);
    for (const n of s.notes ?? []) L.push(`<p class="note">${inline(n)}</p>`);
    for (const c of s.charts ?? []) {
      L.push('<figure>', renderChart(c), `<details><summary>data</summary>${htmlTable(chartTable(c))}</details>`, '</figure>');
    }
    for (const t of s.tables ?? []) L.push(htmlTable(t));
    L.push('</section>');
  }
  L.push('</body>', '</html>', '');
  return L.join('\n');
}

/** Write <dir>/<name>.json, .md and .html (each atomically). Returns the three paths. */
export async function writeReport(dir: string, name: string, doc: ReportDoc): Promise<string[]> {
  const html = toHtml(doc); // render first: a bad chart fails before anything is written
  const md = toMarkdown(doc);
  const paths = [join(dir, `${name}.json`), join(dir, `${name}.md`), join(dir, `${name}.html`)];
  await writeFileAtomic(paths[0]!, JSON.stringify(doc, null, 2) + '\n');
  await writeFileAtomic(paths[1]!, md);
  await writeFileAtomic(paths[2]!, html);
  return paths;
}
