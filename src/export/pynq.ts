/**
 * The PYNQ driver (driver.py) of an exported design: templates/export/driver.py.hbs filled with the wrapper's
 * register map and streams (generic DMA streaming with deadlines, register access, reset, the pynq-version and
 * FCLK0 checks), plus the core's runtime section when its manifest names one — the template the manifest points to
 * (e.g. templates/msq/runtime.py.hbs), rendered with the manifest's runtime params. The exporter knows no core.
 * The module imports on a machine without pynq (pack/unpack helpers, tests); only Accelerator() needs the board.
 */
import { renderTemplate } from '../util/templates.js';
import { GENERATOR_VERSION } from '../version.js';
import type { DesignManifest } from '../design/manifest.js';
import type { FabricClock } from './clock.js';
import { ID_MAGIC, type WrapperPlan } from './wrapper.js';
import { clockFields, planDmas, projectName } from './vivado.js';

/** The oldest pynq the driver runs with (earlier versions name module-reference cells differently). */
export const PYNQ_MIN: [number, number] = [2, 7];

/** A JSON-like value as a Python literal. */
export function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`;
}

/** driver.py text. */
export function pynqDriver(m: DesignManifest, plan: WrapperPlan, clock: FabricClock): string {
  const dmas = planDmas(plan);
  const streams: Record<string, unknown> = {};
  const bus: Record<string, string> = {};
  for (const ws of plan.streams) {
    const s = ws.stream;
    const dma = dmas.find((d) => d.mm2s?.bus === ws.bus || d.s2mm?.bus === ws.bus)!;
    bus[s.name] = ws.bus;
    streams[ws.bus] = {
      direction: s.direction, core_stream: s.name, dma: dma.name, data_width: s.dataWidth, bus_width: ws.busWidth,
      lanes: s.lanes ? [s.lanes.count, s.lanes.bits, s.lanes.signed] : null, beats: s.beats ?? null, max_beats: s.maxBeats ?? null,
      records: s.records ? s.records.map((r) => ({ name: r.name, when: r.when ? [r.when.field, r.when.value] : null, fields: r.fields.map((f) => [f.name, f.width]) })) : null,
    };
  }
  const regs: Record<string, unknown> = {};
  for (const r of plan.registers) regs[r.name] = [r.offset, r.width, r.access];
  const rt = m.runtime;
  return renderTemplate('export/driver.py.hbs', {
    top: m.top, generator: `accelforge ${GENERATOR_VERSION}`, project: projectName(m), ...clockFields(clock),
    pynqMin: PYNQ_MIN.join('.'), pynqMinTuple: PYNQ_MIN.join(', '),
    idMagic: ID_MAGIC.toString(16), designHash: plan.hash32.toString(16).padStart(8, '0'), configHash: py(m.configHash ?? null),
    registers: py(regs), streams: py(streams), bus: py(bus),
    inputs: py(plan.streams.filter((s) => s.stream.direction === 'in').map((s) => s.bus)),
    outputs: py(plan.streams.filter((s) => s.stream.direction === 'out').map((s) => s.bus)),
    usage: rt?.usage ?? [],
    runtime: rt ? renderTemplate(rt.template, { params: rt.params }).trimEnd() : null,
    runtimeTemplate: rt?.template ?? '',
  });
}
