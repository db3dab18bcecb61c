/**
 * The report page of a generated folder, from the JSON it already holds:
 *  - a `ccl gen` folder (report.json: config, cycles, memory, estimate, synthesis.utilization);
 *  - an `msq build` folder (report.json: engine, layers with cycles);
 *  - an `msq sweep --json` file (best, fixedOnly, candidates).
 * `writeFolderReport(dir)` writes summary.{json,md,html} next to the generator's own report.md/report.json, so a
 * core's command needs one line to give its users the HTML page. Fields are read defensively: a missing field
 * drops a chart, it does not fail the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { makeReport, writeReport, type ReportDoc, type Section } from './doc.js';
import { layersSection, sweepSection, utilizationSection, type SweepLike, type UtilizationLike } from './sections.js';

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

function isUtilization(u: unknown): u is UtilizationLike {
  const o = obj(u);
  return !!o && typeof o.board === 'string' && Array.isArray(o.rows) && o.rows.every((r) => num(obj(r)?.percent) !== undefined);
}

function cclSections(r: Json): Section[] {
  const out: Section[] = [];
  const cfg = obj(r.config) ?? {};
  const mem = obj(r.memory);
  const cyc = obj(r.cycles);
  const est = obj(r.estimate);
  const top = String(r.top ?? 'ccl_core');
  const rows: Array<[string, string | number]> = [
    ['frame', `${cfg.width}×${cfg.height}, ${cfg.pixelFormat ?? ''}`],
    ['cell size C', num(cfg.cell) ?? '?'],
    ['pixels per clock P', num(r.ppc) ?? '?'],
    ['connectivity', num(cfg.connectivity) ?? '?'],
  ];
  const text: string[] = [];
  if (cyc && num(cyc.framePeriodBest) !== undefined) text.push(`Frame period (cycle model): ${num(cyc.framePeriodBest)!.toLocaleString('en-US')} cycles when the labeler keeps up, ≤ ${num(cyc.framePeriodWorst)?.toLocaleString('en-US')} for the worst-case image.`);
  const notes: string[] = [];
  if (est && num(est.fmaxMHz) !== undefined) {
    notes.push(`ESTIMATE (yosys, no place & route): fmax ${num(est.fmaxMHz)} MHz → ${num(est.fpsWhenLabelerKeepsUp)?.toLocaleString('en-US')} frames/s when the labeler keeps up, ≥ ${num(est.fpsWorstCaseImage)?.toLocaleString('en-US')} for any image.`);
  } else notes.push('No synthesis in this run: no fmax or frames/s estimate.');
  out.push({ heading: `CCL core \`${top}\``, text, notes, tables: [{ headers: ['Parameter', 'Value'], rows }] });
  if (mem && num(mem.totalBits) !== undefined && num(mem.fullFrameLabelBits) !== undefined) {
    const parts: Array<[string, unknown]> = [['cell accumulators', mem.cellBanksBits], ['feature table', mem.featureTableBits], ['free-label stack', mem.freeStackBits], ['label ring', mem.labelRingBits]];
    const bars = parts.filter(([, v]) => num(v) !== undefined).map(([label, v]) => ({ label, value: num(v)! }));
    bars.push({ label: 'total (this core)', value: num(mem.totalBits)! });
    bars.push({ label: 'full-frame label buffer', value: num(mem.fullFrameLabelBits)! });
    out.push({
      heading: 'On-chip memory',
      text: [`The core stores **${num(mem.percentOfFullFrame) ?? '?'}%** of a full-frame label buffer (target ≤ 5%).`],
      charts: [{ kind: 'bar', id: 'ccl-memory', title: 'On-chip storage, bits', bars, unit: ' bits' }],
    });
  }
  const u = obj(r.synthesis)?.utilization;
  if (isUtilization(u)) out.push(utilizationSection(u, top));
  return out;
}

function msqBuildSections(r: Json): Section[] {
  const layers = (r.layers as Json[]).map((l) => ({ name: String(l.layer ?? l.top ?? '?'), cycles: num(l.cycles) }));
  const eng = obj(r.engine) ?? {};
  const sections: Section[] = [{
    heading: `MSQ core build${r.model ? `: ${String(r.model)}` : ''}${r.board ? ` on ${String(r.board)}` : ''}`,
    text: [`MSQ core N=${eng.N}, Pf=${eng.Pf}, Ps=${eng.Ps}, Rq=${eng.Rq ?? 1}${num(obj(r.peakGopsAt)?.['100MHz']) !== undefined ? `; peak ${num(obj(r.peakGopsAt)!['100MHz'])} GOPS at 100 MHz` : ''}.`],
    notes: (Array.isArray(r.notes) ? r.notes : []).map(String),
  }];
  if (layers.length && layers.every((l) => l.cycles !== undefined)) {
    sections.push(layersSection(layers.map((l) => ({ name: l.name, cycles: l.cycles! })), 100, 'MSQ core'));
  }
  return sections;
}

/** The ReportDoc for a ccl gen / msq build folder, or an msq sweep JSON file. */
export function folderReport(path: string): ReportDoc {
  const file = path.endsWith('.json') ? path : join(path, 'report.json');
  if (!existsSync(file)) fail(path, 'no report.json here: give a folder written by ccl gen / msq build, or an msq sweep --json file');
  let r: Json;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (e) {
    fail(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const sweep = (obj(r.result) ?? r) as unknown as SweepLike;
  if (sweep.best && sweep.fixedOnly && Array.isArray(sweep.candidates)) {
    const paper: Record<string, number> = { 'pynq-z2': 132, xc7z020: 132, zc706: 624, xc7z045: 624 };
    return makeReport(`MSQ sweep: ${sweep.board}`, [sweepSection(sweep, paper[sweep.board] ? { paperGops: paper[sweep.board]! } : {})]);
  }
  if (Array.isArray(r.layers)) return makeReport(`MSQ build${r.model ? `: ${String(r.model)}` : ''}`, msqBuildSections(r));
  if (obj(r.config) && obj(r.cycles)) return makeReport(`CCL core: ${String(r.top ?? '')}`, cclSections(r));
  fail(file, 'not a report accelforge knows (ccl gen, msq build or msq sweep)');
}

/** Write summary.{json,md,html} for a generated folder (or next to an msq sweep JSON file). */
export async function writeFolderReport(path: string): Promise<string[]> {
  const doc = folderReport(path);
  const dir = path.endsWith('.json') ? join(path, '..') : path;
  const name = path.endsWith('.json') ? `${path.split(/[\\/]/).pop()!.replace(/\.json$/, '')}.summary` : 'summary';
  return writeReport(dir, name, doc);
}
