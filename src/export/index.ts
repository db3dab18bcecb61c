/**
 * `accelforge export`: a design folder → a Vivado project script, constraints, the Zynq wrapper, a PYNQ driver and a
 * README (docs/export.md). It reads the folder's design manifest (design.json) only — no core names, no Verilog
 * parsing — and renders what the manifest points to (the core's runtime template and data files). The fabric clock
 * is the nearest one the PS7 can make (src/export/clock.ts). exportDesign() writes the folder atomically.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadBoard, type Board } from '../board/index.js';
import { designFromFolder } from '../design/folder.js';
import type { DesignManifest } from '../design/manifest.js';
import { fail, UserError } from '../util/errors.js';
import { writeDirAtomic } from '../util/fsx.js';
import { renderTemplate, TEMPLATES_DIR } from '../util/templates.js';
import { GENERATOR_VERSION } from '../version.js';
import { planFabricClock, type FabricClock } from './clock.js';
import { buildWrapper, planWrapper, wrapperVerilog, type WrapperPlan } from './wrapper.js';
import { clockFields, constraintsXdc, planDmas, projectName, PS_PRESETS, vivadoTcl, VIVADO_VERSIONS } from './vivado.js';
import { PYNQ_MIN, pynqDriver } from './pynq.js';
import { checkExport, type CheckResult, type WrapperPorts } from './check.js';

export { planWrapper, buildWrapper, wrapperVerilog, ID_MAGIC, CTRL_ADDR_WIDTH, type WrapperPlan, type RegisterEntry } from './wrapper.js';
export { vivadoTcl, constraintsXdc, planDmas, VIVADO_COMMANDS, VIVADO_VERSIONS, PS_PRESETS } from './vivado.js';
export { pynqDriver, PYNQ_MIN } from './pynq.js';
export { checkExport, runTclStubbed, checkTclNames, type CheckResult, type WrapperPorts } from './check.js';
export { planFabricClock, nearestClock, achievableClocks, IO_PLL_MHZ, MIN_CLOCK_MHZ, MAX_CLOCK_MHZ, type FabricClock } from './clock.js';

/** Boards export supports (Zynq-7000 with a PS7). */
export const EXPORT_BOARDS = ['pynq-z2', 'zc706'];
/** The AXI DMA's largest transfer: a 26-bit length register (PG022). */
export const DMA_MAX_BYTES = 2 ** 26 - 1;

export interface ExportOptions {
  designDir: string;
  board: string;
  out: string;
  /** requested fabric clock (MHz); default: the manifest's clock, else the board's default */
  clockMHz?: number;
  /** run the self-checks (Tcl with stubs, lint, driver compile); default true */
  check?: boolean;
}

export interface ExportResult {
  manifest: DesignManifest;
  board: Board;
  plan: WrapperPlan;
  clock: FabricClock;
  files: string[];
  checks: CheckResult[];
}

interface Transfer { bus: string; stream: string; bytes: number; largest: string }

/** Bytes of every stream's largest transfer; a transfer over the DMA's limit is refused naming it. */
function transfers(plan: WrapperPlan): Transfer[] {
  const out: Transfer[] = [];
  for (const s of plan.streams) {
    const beats = s.stream.beats ?? s.stream.maxBeats;
    if (beats === undefined) continue;
    const t = { bus: s.bus, stream: s.stream.name, bytes: beats * (s.busWidth / 8), largest: s.stream.largest ?? 'one transfer' };
    if (t.bytes > DMA_MAX_BYTES) {
      fail(`stream ${t.stream}`, `${t.largest} is ${t.bytes.toLocaleString('en-US')} bytes (${beats} beats of ${s.busWidth / 8}), over the AXI DMA's limit of 2^26 − 1 = ${DMA_MAX_BYTES.toLocaleString('en-US')} bytes per transfer: make it smaller (a smaller frame, or a compiler option that splits the job)`);
    }
    out.push(t);
  }
  return out;
}

/** Block-design names of the wrapper, from the built module (ports not in a bus interface, and the interfaces). */
function wrapperPorts(m: DesignManifest, plan: WrapperPlan): WrapperPorts {
  const w = buildWrapper(m, plan);
  const interfaces = new Set([...w.streams.map((s) => s.name), 's_axi_ctrl']);
  const inBus = (n: string) => [...interfaces].some((i) => n.startsWith(`${i}_`));
  const pins = new Set(['clk', 'rst', ...w.signals.filter((s) => (s.kind === 'input' || s.kind === 'output') && !inBus(s.name)).map((s) => s.name)]);
  return { module: plan.module, pins, interfaces };
}

function readme(m: DesignManifest, board: Board, plan: WrapperPlan, clock: FabricClock, checks: CheckResult[], xfers: Transfer[], runtimeFiles: string[]): string {
  const preset = PS_PRESETS[board.board];
  const dmaLines: string[] = [];
  for (const d of planDmas(plan)) {
    if (d.mm2s) dmaLines.push(`DDR ─ HP0 ─ mem_ic ─ ${d.name} MM2S ─> acc/${d.mm2s.bus} (${d.mm2s.width}-bit)`);
    if (d.s2mm) dmaLines.push(`DDR ─ HP0 ─ mem_ic ─ ${d.name} S2MM <─ acc/${d.s2mm.bus} (${d.s2mm.width}-bit)`);
  }
  const streams = plan.streams.map((s) => {
    const st = s.stream;
    const notes: string[] = [];
    if (st.role) notes.push(st.role);
    if (st.beats) notes.push(`${st.beats} beats per transfer`);
    if (st.lastEvery) notes.push(`core tlast every ${st.lastEvery} beats (generated)`);
    if (st.user) notes.push('tuser = start of frame (generated)');
    if (st.lanes) notes.push(`${st.lanes.count} × ${st.lanes.bits}-bit lanes`);
    if (st.records) notes.push(`records: ${st.records.map((r) => r.name).join(', ')}`);
    const x = xfers.find((t) => t.bus === s.bus);
    return { bus: s.bus, name: st.name, dataWidth: st.dataWidth, busWidth: s.busWidth, bytes: x ? `${x.bytes.toLocaleString('en-US')} B (${x.largest})` : '—', notes: notes.join('; ') };
  });
  return renderTemplate('export/README.md.hbs', {
    top: m.top, board: board.board, part: board.part, generator: `accelforge ${GENERATOR_VERSION}`, description: m.description ?? null,
    ...clockFields(clock), vivadoVersions: VIVADO_VERSIONS, project: projectName(m), pynqMin: PYNQ_MIN.join('.'),
    checks, usage: m.runtime?.usage ?? [], dmaLines, streams,
    registers: plan.registers.map((r) => ({ ...r, offset: `0x${r.offset.toString(16).padStart(2, '0')}` })),
    params: m.params ? Object.entries(m.params) : null,
    psSettings: preset ? preset.ps.map(([k, v]) => `${k} = ${v}`).join(', ') : null,
    coreFiles: m.files.join(', '), wrapperFile: plan.file, runtimeFiles,
  });
}

/** Export a design folder to a Vivado/PYNQ folder (atomically). */
export async function exportDesign(opts: ExportOptions): Promise<ExportResult> {
  const board = loadBoard(opts.board);
  if (!EXPORT_BOARDS.includes(board.board)) fail('--board', `'${opts.board}' is not a Zynq board export supports: use ${EXPORT_BOARDS.join(' or ')}`);
  const design = designFromFolder(opts.designDir);
  const clock = planFabricClock(opts.clockMHz ?? design.manifest.clock.mhz ?? board.defaultClockMHz, opts.clockMHz !== undefined ? '--clock' : 'design.json: clock.mhz');
  const manifest: DesignManifest = { ...design.manifest, clock: { ...design.manifest.clock, mhz: clock.mhz } };
  const plan = planWrapper(manifest);
  const xfers = transfers(plan);
  const rt = manifest.runtime;
  const files: string[] = [];
  let checks: CheckResult[] = [];
  await writeDirAtomic(opts.out, async (dir) => {
    const put = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      files.push(name);
    };
    await mkdir(join(dir, 'rtl'));
    for (const f of manifest.files) {
      await copyFile(join(opts.designDir, f), join(dir, 'rtl', f));
      files.push(`rtl/${f}`);
    }
    await put(`rtl/${plan.file}`, wrapperVerilog(manifest, plan));
    await put('build.tcl', vivadoTcl(manifest, board, plan, clock, Math.max(1 << 20, ...xfers.map((t) => t.bytes))));
    await put('constraints.xdc', constraintsXdc(manifest, board, clock));
    await put('driver.py', pynqDriver(manifest, plan, clock));
    await put('design.json', JSON.stringify(manifest, null, 2) + '\n');
    const runtimeFiles: string[] = [];
    for (const f of rt?.files ?? []) {
      await copyFile(join(opts.designDir, f), join(dir, f));
      runtimeFiles.push(f);
    }
    for (const x of rt?.extras ?? []) {
      await copyFile(join(TEMPLATES_DIR, x), join(dir, basename(x)));
      runtimeFiles.push(basename(x));
    }
    files.push(...runtimeFiles);
    if (opts.check !== false) {
      checks = await checkExport(dir, wrapperPorts(manifest, plan), (1000 / clock.mhz).toFixed(3));
      const bad = checks.find((c) => c.status === 'failed');
      if (bad) {
        const detail = bad.detail.split(dir).join(opts.out);
        throw new UserError(`export self-check '${bad.name}' failed: ${detail} (fix the core, or report an accelforge bug if it is in the wrapper; --no-check writes the folder anyway)`);
      }
    }
    await put('export.json', JSON.stringify({
      generator: `accelforge ${GENERATOR_VERSION}`,
      board: board.board, part: board.part,
      clock: { mhz: clock.mhz, hz: clock.hz, divisors: clock.divisors, ioPllMHz: 1000, ...(clock.requestedMHz !== undefined ? { requestedMHz: clock.requestedMHz } : {}) },
      wrapper: plan.module, project: projectName(manifest),
      registers: plan.registers,
      streams: plan.streams.map((s) => ({ bus: s.bus, coreStream: s.stream.name, direction: s.stream.direction, dataWidth: s.stream.dataWidth, busWidth: s.busWidth, largestTransferBytes: xfers.find((t) => t.bus === s.bus)?.bytes ?? null })),
      dmas: planDmas(plan),
      checks,
      verified: 'NOT run in Vivado or on a board; see checks',
    }, null, 2) + '\n');
    await put('README.md', readme(manifest, board, plan, clock, checks, xfers, runtimeFiles));
  });
  return { manifest, board, plan, clock, files, checks };
}
