/**
 * The report page of a generated folder, from its design manifest only (design.json): a generic design section
 * (top, clock, streams, registers) and the sections the core's generator put in the manifest's `report` field;
 * or of an `msq sweep --json` file (best, fixedOnly, candidates: a sweep result, not a design folder).
 * `writeFolderReport(dir)` writes summary.{json,md,html} next to the generator's own report.md/report.json, so a
 * core's command needs one line to give its users the HTML page. Fields are read defensively: a missing field
 * drops a chart, it does not fail the report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { makeReport, writeReport, type ReportDoc, type Section } from './doc.js';
import { sweepSection, type SweepLike } from './sections.js';
import { readDesignManifest, type DesignManifest } from '../design/manifest.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

/** The generic section every design gets from its manifest: top, clock, streams and registers. */
export function designSection(m: DesignManifest): Section {
  const tables: Section['tables'] = [{
    headers: ['Stream', 'Direction', 'Data bits', 'Packing', 'Beats per transfer', 'Carries'],
    rows: m.streams.map((s) => [
      s.name, s.direction, s.dataWidth, s.lanes ? `${s.lanes.count} × ${s.lanes.bits}-bit${s.lanes.signed ? ' signed' : ''}` : '—',
      s.beats ?? (s.maxBeats !== undefined ? `≤ ${s.maxBeats}` : '—'), s.role ?? '—',
    ]),
    numeric: [false, false, true, false, true, false],
  }];
  if (m.registers.length) tables.push({ headers: ['Register port', 'Direction', 'Bits', 'Source'], rows: m.registers.map((r) => [r.port, r.direction, r.width, r.source === 'constant' ? `constant ${r.value}` : 'AXI4-Lite']) });
  return {
    heading: `Design \`${m.top}\``,
    text: [
      `${m.description ?? m.top}. ${m.files.length} Verilog file(s); clock \`${m.clock.port}\`${m.clock.mhz ? ` (target ${m.clock.mhz} MHz)` : ''}, ` +
        `reset \`${m.reset.port}\` (${m.reset.synchronous ? 'synchronous' : 'asynchronous'}, active ${m.reset.activeLow ? 'low' : 'high'}).`,
    ],
    tables,
  };
}

/** The ReportDoc for a ccl gen / msq build folder, or an msq sweep JSON file. */
export function folderReport(path: string): ReportDoc {
  if (!path.endsWith('.json')) {
    const m = readDesignManifest(path);
    const core = (m.report?.sections ?? []) as unknown as Section[];
    return makeReport(m.report?.title ?? `Design: ${m.top}`, [designSection(m), ...core]);
  }
  const file = path;
  if (!existsSync(file)) fail(path, 'does not exist: give a design folder or an msq sweep --json file');
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
  fail(file, 'not a report accelforge knows (an msq sweep --json file)');
}

/** Write summary.{json,md,html} for a generated folder (or next to an msq sweep JSON file). */
export async function writeFolderReport(path: string): Promise<string[]> {
  const doc = folderReport(path);
  const dir = path.endsWith('.json') ? join(path, '..') : path;
  const name = path.endsWith('.json') ? `${path.split(/[\\/]/).pop()!.replace(/\.json$/, '')}.summary` : 'summary';
  return writeReport(dir, name, doc);
}
