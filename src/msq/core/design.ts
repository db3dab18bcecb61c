/**
 * The MSQ core's design manifest (design.json) and its host runtime data, written by `msq build` into the build
 * folder: the flows (export, report, simulation, synthesis) then know the core only through them.
 *
 *   design.json            top, files, streams (s_wgt unless the program is in ROM, s_act, s_res when used, m_out)
 *                          with their lane packing and largest job, the runtime section, the report sections
 *   program.runtime.json   the jobs and host tensors (export-data.ts RuntimeProgram), streams by core port name
 *   program.npz            every job's s_wgt beats and the gather / scatter index tables (docs/export.md)
 *
 * The runtime's Python is templates/msq/runtime.py.hbs (CoreProgram, run_model); the exporter renders it into
 * driver.py without knowing what it does.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestFromModule, writeDesignManifest, type StreamExtra } from '../../design/index.js';
import type { Module } from '../../hdl/index.js';
import { layersSection } from '../../report/sections.js';
import type { Section } from '../../report/doc.js';
import { npzBytes } from '../../util/npz.js';
import type { Program } from './compile.js';
import { runtimeProgram, type RuntimeJob } from './export-data.js';

export const CORE_RUNTIME_JSON = 'program.runtime.json';
export const CORE_PROGRAM_NPZ = 'program.npz';
export const CORE_RUNTIME_TEMPLATE = 'msq/runtime.py.hbs';

/** What the build report says (the subset the report sections use). */
export interface CoreBuildSummary {
  model: string | null;
  board: string;
  engine: { N: number; Pf: number; Ps: number; Rq: number };
  peakGops: number;
  clockMHz: number;
  layers: Array<{ layer: string; cycles: number }>;
  notes: string[];
}

function reportSections(s: CoreBuildSummary): Section[] {
  const e = s.engine;
  const sections: Section[] = [{
    heading: `MSQ core build${s.model ? `: ${s.model}` : ''} on ${s.board}`,
    text: [`MSQ core N=${e.N}, Pf=${e.Pf}, Ps=${e.Ps}, Rq=${e.Rq}; peak ${s.peakGops.toFixed(1)} GOPS at ${s.clockMHz} MHz.`],
    notes: s.notes,
  }];
  if (s.layers.length) sections.push(layersSection(s.layers.map((l) => ({ name: l.layer, cycles: l.cycles })), s.clockMHz, 'MSQ core'));
  return sections;
}

/** Write design.json, program.runtime.json and program.npz of a core build into `dir`. */
export async function writeCoreDesign(dir: string, o: {
  module: Module;
  files: Iterable<string>;
  hash: string;
  program: Program;
  summary: CoreBuildSummary;
}): Promise<void> {
  const { json, arrays } = runtimeProgram(o.program);
  const cfg = o.program.cfg;
  const has = (stream: string) => o.module.signals.some((s) => s.name === `${stream}_tdata`);
  const largest = (f: (j: RuntimeJob) => number): Pick<StreamExtra, 'maxBeats' | 'largest'> => {
    let best = 0;
    json.jobs.forEach((j, i) => {
      if (f(j) > f(json.jobs[best]!)) best = i;
    });
    const j = json.jobs[best];
    return j ? { maxBeats: Math.max(1, f(j)), largest: `job ${best} '${j.name}' (layer ${j.layer})` } : { maxBeats: 1 };
  };
  const lanes = { count: cfg.N, bits: cfg.A, signed: true };
  const streams: Record<string, StreamExtra> = {
    s_act: { lanes, ...largest((j) => j.act.beats), role: 'input tile / im2col expansion of each job' },
    m_out: { lanes, ...largest((j) => j.out.beats), role: "job outputs, tlast on each job's last beat" },
  };
  if (has('s_wgt')) streams.s_wgt = { ...largest((j) => j.wgt.beats), role: 'job programs (descriptor, weights, channel map, parameters)' };
  if (has('s_res')) streams.s_res = { lanes, ...largest((j) => j.res?.beats ?? 0), role: 'residual operand of fused-add jobs' };
  const runtimeJson = {
    ...json,
    configHash: o.hash,
    data: CORE_PROGRAM_NPZ,
    streams: { wgt: has('s_wgt') ? 's_wgt' : null, act: 's_act', res: has('s_res') ? 's_res' : null, out: 'm_out' },
  };
  await writeFile(join(dir, CORE_RUNTIME_JSON), JSON.stringify(runtimeJson, null, 1) + '\n');
  await writeFile(join(dir, CORE_PROGRAM_NPZ), npzBytes([
    { name: 'wgt', dtype: 'u1', shape: [json.totals.wgtBeats, json.wordBytes], data: arrays.wgt },
    { name: 'act_idx', dtype: 'i4', shape: [json.totals.actBeats, cfg.N], data: arrays.actIdx },
    { name: 'res_idx', dtype: 'i4', shape: [json.totals.resBeats, cfg.N], data: arrays.resIdx },
    { name: 'out_idx', dtype: 'i4', shape: [json.totals.outBeats, cfg.N], data: arrays.outIdx },
  ]));
  const s = o.summary;
  await writeDesignManifest(dir, manifestFromModule(o.module, {
    files: o.files,
    streams,
    configHash: o.hash,
    board: s.board,
    description: `MSQ core ${o.module.name} with the compiled program of ${o.program.model} (${o.program.jobs.length} jobs)`,
    params: { N: cfg.N, A: cfg.A, Pf: cfg.Pf, Ps: cfg.Ps, Rq: cfg.Rq, jobs: o.program.jobs.length, programInRom: !has('s_wgt') },
    runtime: {
      template: CORE_RUNTIME_TEMPLATE,
      files: [CORE_RUNTIME_JSON, CORE_PROGRAM_NPZ],
      usage: ['y, tensors = acc.run_model(x)  # x: the quantized model input; every job of program.runtime.json, one DMA round each'],
      params: { runtimeJson: CORE_RUNTIME_JSON },
    },
    report: { title: `MSQ build${s.model ? `: ${s.model}` : ''}`, sections: reportSections(s) as unknown as Array<Record<string, unknown>> },
  }));
}
