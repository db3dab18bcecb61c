/**
 * The CCL core's design manifest (design.json), written by `ccl gen`: streams `s` (pixels, P per beat, tlast per
 * line and tuser at the start of a frame — the export wrapper generates both from the beat counts) and `m` (object
 * and end-of-frame records), the host runtime (templates/ccl/runtime.py.hbs: label() with frame shape and format
 * checks; templates/ccl/tracker.py too when it exists) and the report sections. The flows know the core through it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { manifestFromModule, writeDesignManifest } from '../design/index.js';
import type { Section } from '../report/doc.js';
import { utilizationSection, type UtilizationLike } from '../report/sections.js';
import { TEMPLATES_DIR } from '../util/templates.js';
import type { Module } from '../hdl/index.js';
import { maxObjectsPerFrame, type CclRtlParams } from './rtl/index.js';
import type { CclCycleModel, CclMemoryModel } from './rtl/perf.js';

export const CCL_RUNTIME_TEMPLATE = 'ccl/runtime.py.hbs';
export const CCL_TRACKER = 'ccl/tracker.py';

export interface CclDesignInput {
  module: Module;
  files: Iterable<string>;
  params: CclRtlParams;
  /** record fields LSB first, as ccl-config.json lists them */
  recordFields: Array<{ name: string; width: number }>;
  eofFields: Array<{ name: string; width: number }>;
  cycles: CclCycleModel;
  memory: CclMemoryModel;
  estimate: { fmaxMHz: number; fpsWhenLabelerKeepsUp: number; fpsWorstCaseImage: number } | null;
  utilization: UtilizationLike | null;
  board: string;
  configHash: string;
  /** the multi-class core: K channels, records tagged with the class index above the channel record */
  classes?: { count: number; tagWidth: number };
}

/** Record fields LSB first, padded to the channel record width, plus the class tag of a multi-class core. */
function tagged(fields: Array<{ name: string; width: number }>, chWidth: number, classes: CclDesignInput['classes']): Array<{ name: string; width: number }> {
  if (!classes) return fields;
  const used = fields.reduce((a, f) => a + f.width, 0);
  return [...fields, ...(used < chWidth ? [{ name: 'pad', width: chWidth - used }] : []), { name: 'class', width: classes.tagWidth }];
}

function reportSections(d: CclDesignInput): Section[] {
  const p = d.params;
  const cfg = p.cfg;
  const out: Section[] = [];
  const rows: Array<[string, string | number]> = [
    ['frame', `${cfg.width}×${cfg.height}, ${cfg.pixelFormat}`],
    ['cell size C', cfg.cell],
    ['pixels per clock P', p.P],
    ['connectivity', cfg.connectivity],
  ];
  const c = d.cycles;
  const text = [`Frame period (cycle model): ${c.framePeriodBest.toLocaleString('en-US')} cycles when the labeler keeps up, ≤ ${c.framePeriodWorst.toLocaleString('en-US')} for the worst-case image.`];
  const e = d.estimate;
  const notes = e
    ? [`ESTIMATE (yosys, no place & route): fmax ${e.fmaxMHz} MHz → ${e.fpsWhenLabelerKeepsUp.toLocaleString('en-US')} frames/s when the labeler keeps up, ≥ ${e.fpsWorstCaseImage.toLocaleString('en-US')} for any image.`]
    : ['No synthesis in this run: no fmax or frames/s estimate.'];
  out.push({ heading: `CCL core \`${p.name}\``, text, notes, tables: [{ headers: ['Parameter', 'Value'], rows }] });
  const m = d.memory;
  const bars = [
    { label: 'cell accumulators', value: m.cellBanksBits }, { label: 'feature table', value: m.featureTableBits },
    { label: 'free-label stack', value: m.freeStackBits }, { label: 'label ring', value: m.labelRingBits },
    { label: 'total (this core)', value: m.totalBits }, { label: 'full-frame label buffer', value: m.fullFrameLabelBits },
  ].filter((b) => Number.isFinite(b.value));
  out.push({
    heading: 'On-chip memory',
    text: [`The core stores **${m.percentOfFullFrame}%** of a full-frame label buffer (target ≤ 5%).`],
    charts: [{ kind: 'bar', id: 'ccl-memory', title: 'On-chip storage, bits', bars, unit: ' bits' }],
  });
  if (d.utilization) out.push(utilizationSection(d.utilization, p.name));
  return out;
}

/** Write design.json of a `ccl gen` folder. */
export async function writeCclDesign(dir: string, d: CclDesignInput): Promise<void> {
  const p = d.params;
  const cfg = p.cfg;
  const line = p.W / p.P;
  const tracker = existsSync(join(TEMPLATES_DIR, CCL_TRACKER));
  const K = d.classes?.count ?? 1;
  const maxRecords = K * (maxObjectsPerFrame(p) + 1);
  await writeDesignManifest(dir, manifestFromModule(d.module, {
    files: d.files,
    streams: {
      s: { user: 'sof', lanes: { count: p.P, bits: p.PB, signed: false }, beats: line * p.H, lastEvery: line, largest: `one ${p.W}×${p.H} ${cfg.pixelFormat} frame`, role: `pixels, ${p.P} per beat, raster order` },
      m: {
        maxBeats: maxRecords, largest: `the records of one ${p.W}×${p.H} frame`,
        role: K > 1 ? `object records and an end-of-frame record per class (${K} classes)` : 'object records, then the end-of-frame record',
        records: [
          { name: 'object', when: { field: 'kind', value: 0 }, fields: tagged(d.recordFields, p.outWidth, d.classes) },
          { name: 'eof', when: { field: 'kind', value: 1 }, fields: tagged(d.eofFields, p.outWidth, d.classes) },
        ],
      },
    },
    configHash: d.configHash,
    board: d.board,
    description: `CCL core ${p.name}: ${p.W}×${p.H} ${cfg.pixelFormat}, cell ${cfg.cell}, ${p.P} pixels per clock, ${cfg.connectivity}-connectivity`,
    params: { width: p.W, height: p.H, cell: cfg.cell, ppc: p.P, connectivity: cfg.connectivity, pixelFormat: cfg.pixelFormat },
    runtime: {
      template: CCL_RUNTIME_TEMPLATE,
      files: [],
      ...(tracker ? { extras: [CCL_TRACKER] } : {}),
      usage: [`objects = acc.label(frame)  # frame: numpy ${cfg.pixelFormat === 'rgb24' ? `(${p.H}, ${p.W}, 3)` : `(${p.H}, ${p.W})`} uint8 -> list of dicts: area, bbox, sums, first`],
      params: { height: p.H, width: p.W, format: cfg.pixelFormat, ppc: p.P, pixelBits: p.PB, maxRecords, classes: K, input: 's', output: 'm' },
    },
    report: { title: `CCL core: ${p.name}`, sections: reportSections(d) as unknown as Array<Record<string, unknown>> },
  }));
}
