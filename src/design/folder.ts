/**
 * A design folder as the flows see it: its manifest and the Verilog files the manifest lists. Simulation and
 * synthesis of a folder start here (designFromFolder → simDesignOf / the synthesis input), so they know the core only
 * through design.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimDesign } from '../sim/types.js';
import { fail } from '../util/errors.js';
import { MANIFEST_FILE, MANIFEST_WRITERS, readDesignManifest, type DesignManifest } from './manifest.js';

export interface DesignFolder {
  dir: string;
  manifest: DesignManifest;
  /** file name → Verilog text, the files the manifest lists */
  files: Map<string, string>;
}

/** Read a design folder (its manifest and every Verilog file it lists). */
export function designFromFolder(dir: string): DesignFolder {
  const manifest = readDesignManifest(dir);
  const files = new Map<string, string>();
  for (const f of manifest.files) {
    const p = join(dir, f);
    if (!existsSync(p)) fail(`${join(dir, MANIFEST_FILE)}: files`, `'${f}' is listed but missing from the folder: regenerate it with ${MANIFEST_WRITERS}`);
    files.set(f, readFileSync(p, 'utf8'));
  }
  for (const f of manifest.runtime?.files ?? []) {
    if (!existsSync(join(dir, f))) fail(`${join(dir, MANIFEST_FILE)}: runtime.files`, `'${f}' is listed but missing from the folder: regenerate it with ${MANIFEST_WRITERS}`);
  }
  return { dir, manifest, files };
}

/** The simulation view of a design (src/sim): streams and static inputs from the manifest. */
export function simDesignOf(d: { manifest: DesignManifest; files: Map<string, string> }): SimDesign {
  const m = d.manifest;
  if (m.reset.activeLow || !m.reset.synchronous) fail(`design ${m.top}: reset`, 'the simulation harness drives a synchronous active-high reset: this design has another');
  const constInputs: Record<string, { width: number }> = {};
  for (const r of m.registers) if (r.direction === 'in') constInputs[r.port] = { width: r.width };
  return {
    top: m.top,
    files: d.files,
    streams: m.streams.map((s) => ({ name: s.name, dir: s.direction, dataWidth: s.dataWidth, last: s.last, ...(s.user ? { userWidth: s.user.width } : {}) })),
    constInputs,
    clock: m.clock.port,
    reset: m.reset.port,
    ports: manifestPorts(m),
  };
}

/** Every port of the top as the manifest states it: clock, reset, each stream's sidebands, the registers. */
export function manifestPorts(m: DesignManifest): Record<string, 'input' | 'output'> {
  const ports: Record<string, 'input' | 'output'> = { [m.clock.port]: 'input', [m.reset.port]: 'input' };
  for (const s of m.streams) {
    const fwd = s.direction === 'in' ? 'input' : 'output';
    const sidebands = ['tdata', 'tvalid', ...(s.last ? ['tlast'] : []), ...(s.user ? ['tuser'] : [])];
    for (const x of sidebands) ports[`${s.name}_${x}`] = fwd;
    ports[`${s.name}_tready`] = fwd === 'input' ? 'output' : 'input';
  }
  for (const r of m.registers) ports[r.port] = r.direction === 'in' ? 'input' : 'output';
  return ports;
}
