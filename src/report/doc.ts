/**
 * A report as data (ReportDoc) and its three renderings: JSON (the doc itself, machine-readable), Markdown (tables;
 * each chart as the table of its data) and one self-contained HTML page (inline CSS and SVG, no script, no external
 * resource). writeReport() writes <name>.json, <name>.md and <name>.html.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fsx.js';
import { renderTemplate } from '../util/templates.js';
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

/** The report as Markdown (templates/report/report.md.hbs). */
export function toMarkdown(doc: ReportDoc): string {
  const view = {
    title: doc.title, subtitle: doc.subtitle ?? '', generator: doc.generator, date: doc.date,
    sections: doc.sections.map((s) => ({
      heading: s.heading, text: s.text ?? [], notes: s.notes ?? [], tables: (s.tables ?? []).map(mdTable),
      charts: (s.charts ?? []).map((c) => ({ title: c.title, table: mdTable(chartTable(c)) })),
    })),
  };
  return renderTemplate('report/report.md.hbs', view).replace(/\n+$/, '\n');
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

/** One self-contained HTML page, no script, no external resource (templates/report/report.html.hbs). */
export function toHtml(doc: ReportDoc): string {
  const view = {
    title: esc(doc.title), subtitle: doc.subtitle ? inline(doc.subtitle) : '', generator: esc(doc.generator), date: esc(doc.date),
    sections: doc.sections.map((s) => ({
      heading: esc(s.heading), text: (s.text ?? []).map(inline), notes: (s.notes ?? []).map(inline),
      charts: (s.charts ?? []).map((c) => ({ svg: renderChart(c), table: htmlTable(chartTable(c)) })),
      tables: (s.tables ?? []).map(htmlTable),
    })),
  };
  return renderTemplate('report/report.html.hbs', view);
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
