/**
 * The writer of `design.json`: a manifest derived from the built HDL module (src/hdl Module), never from the emitted
 * Verilog. Streams are the bundles the module registered (m.streams, src/hdl/lib/axis.ts); a module whose ports were
 * declared by hand has its streams found here by the port-name pattern `<name>_tdata/_tvalid/_tready[/_tlast/_tuser]`
 * (the one place that pattern is read). Clock and reset come from the module's clocking; every other port is a
 * register (AXI4-Lite) unless the generator ties it to a constant. The generator adds what only it knows: the
 * runtime packing of each stream (lanes, beats, records), its runtime and report sections.
 */
import { join } from 'node:path';
import { clockPorts, type Module, type StreamInfo } from '../hdl/index.js';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { GENERATOR_VERSION } from '../version.js';
import {
  MANIFEST_FILE, MANIFEST_SCHEMA_ID, parseDesignManifest,
  type DesignManifest, type RegisterPort, type Runtime, type StreamPort,
} from './manifest.js';

/** What the generator adds per stream (by stream name) beyond the module's ports. */
export type StreamExtra = Partial<Omit<StreamPort, 'name' | 'direction' | 'dataWidth' | 'last' | 'user'>> & {
  /** tuser meaning: 'sof' (the only one the flows generate) */
  user?: 'sof';
};

export interface ManifestOptions {
  /** emitted file names (keys of emitVerilog(m)) */
  files: Iterable<string>;
  streams?: Record<string, StreamExtra>;
  /** ports tied to a constant (not a register) */
  constants?: Record<string, number>;
  /** register descriptions by port */
  registerNotes?: Record<string, string>;
  clockMHz?: number;
  runtime?: Runtime;
  report?: DesignManifest['report'];
  board?: string;
  configHash?: string;
  description?: string;
  params?: DesignManifest['params'];
}

const SIDEBANDS = ['tdata', 'tvalid', 'tready', 'tlast', 'tuser', 'tkeep'] as const;

/** Streams of a module whose ports were declared without the axis helper: by the port-name pattern. */
function streamsByPortName(m: Module): StreamInfo[] {
  const ports = new Map(m.signals.filter((s) => s.kind === 'input' || s.kind === 'output').map((s) => [s.name, s]));
  const out: StreamInfo[] = [];
  for (const p of ports.values()) {
    const hit = /^(.*)_tdata$/.exec(p.name);
    if (!hit) continue;
    const name = hit[1]!;
    const valid = ports.get(`${name}_tvalid`);
    const ready = ports.get(`${name}_tready`);
    if (!valid || !ready || valid.kind !== p.kind || ready.kind === p.kind) continue;
    const user = ports.get(`${name}_tuser`);
    const keep = ports.get(`${name}_tkeep`);
    out.push({
      name, dir: p.kind === 'input' ? 'in' : 'out', dataWidth: p.width, last: ports.has(`${name}_tlast`),
      ...(user ? { userWidth: user.width } : {}), ...(keep ? { keepWidth: keep.width } : {}),
    });
  }
  return out;
}

/** The manifest of a built module (validated; not written). */
export function manifestFromModule(m: Module, o: ManifestOptions): DesignManifest {
  const where = `module ${m.name}`;
  const infos = m.streams.length > 0 ? m.streams : streamsByPortName(m);
  const extras = o.streams ?? {};
  for (const k of Object.keys(extras)) if (!infos.some((s) => s.name === k)) fail(`${where}: stream '${k}'`, 'the module has no such stream');
  const streams = infos.map((s): StreamPort => {
    if (s.keepWidth !== undefined && s.dir === 'in') fail(`${where}: stream ${s.name}`, 'tkeep on an input stream is not supported by the flows: tie it inside the core');
    const x = extras[s.name] ?? {};
    const { user, ...rest } = x;
    if (s.userWidth !== undefined && s.dir === 'out') fail(`${where}: stream ${s.name}`, 'tuser on an output stream is not supported by the flows');
    return {
      name: s.name, direction: s.dir, dataWidth: s.dataWidth, last: s.last,
      ...(s.userWidth !== undefined ? { user: { width: s.userWidth, meaning: user ?? 'sof' } } : {}),
      ...(s.role !== undefined ? { role: s.role } : {}),
      ...rest,
    };
  });
  const c = clockPorts(m);
  const inStream = new Set(infos.flatMap((s) => SIDEBANDS.map((x) => `${s.name}_${x}`)));
  const registers: RegisterPort[] = [];
  for (const s of m.signals) {
    if ((s.kind !== 'input' && s.kind !== 'output') || inStream.has(s.name) || s.name === c.clock || s.name === c.reset) continue;
    if (s.width > 32) fail(`${where}: port ${s.name}`, `${s.width} bits: a register port must be ≤ 32 bits (make it a stream)`);
    const value = o.constants?.[s.name];
    const note = o.registerNotes?.[s.name];
    registers.push({
      port: s.name, width: s.width, direction: s.kind === 'input' ? 'in' : 'out', source: value === undefined ? 'axilite' : 'constant',
      ...(value !== undefined ? { value } : {}), ...(note ? { description: note } : {}),
    });
  }
  const mhz = o.clockMHz ?? c.freqMHz;
  return parseDesignManifest({
    schema: MANIFEST_SCHEMA_ID,
    top: m.name,
    files: [...o.files].filter((f) => /\.s?v$/.test(f)).sort(),
    clock: { port: c.clock, ...(mhz !== undefined ? { mhz } : {}) },
    reset: { port: c.reset, activeLow: c.resetActive !== 'high', synchronous: c.resetSync },
    streams,
    registers,
    ...(o.runtime ? { runtime: o.runtime } : {}),
    ...(o.report ? { report: o.report } : {}),
    ...(o.board ? { board: o.board } : {}),
    generator: `accelforge ${GENERATOR_VERSION}`,
    ...(o.configHash ? { configHash: o.configHash } : {}),
    ...(o.description ? { description: o.description } : {}),
    ...(o.params ? { params: o.params } : {}),
  }, `${where} (design manifest)`);
}

/** Write `design.json` into a design folder (atomically). */
export async function writeDesignManifest(dir: string, manifest: DesignManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}
