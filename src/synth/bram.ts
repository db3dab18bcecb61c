/**
 * Exact 7-series block-RAM count of one memory, the way yosys maps it in `synth_xilinx -family xc7` (yosys 0.55:
 * `memory_libmap -lib +/xilinx/lutrams_xc5v.txt -lib +/xilinx/brams_xc4v.txt -D HAS_SIZE_36 -D HAS_CASCADE
 * -D HAS_CONFLICT_BUG -D HAS_MIXWIDTH_SDP -logic-cost-rom 0.015625`). Written from the published cost rules of
 * memory_libmap (yosys manual, passes/memory/memory_libmap.cc), not copied: for every RAM kind of the library and every
 * base width, the memory's bits are padded to the kind's byte (9 bits when a write port exists), cut into units of
 * that width and into address ranges of that depth; cost = kind cost x units + 0.5 per read-mux bit + 0.5 per
 * write-decode bit + 2 per emulated feature; the cheapest kind wins (logic wins ties; `ram_style` narrows the choice).
 *
 * Block kinds (RAMB36E1 = 1 BRAM36, RAMB18E1 = 1/2):
 *   TDP HALF  (RAMB18E1)   16Kx1 8Kx2 4Kx4 2Kx9 1Kx18          cost 129
 *   TDP FULL  (RAMB36E1)   32Kx1 ... 1Kx36                     cost 257
 *   TDP CASCADE (2 x RAMB36E1) 64Kx1 32Kx2 16Kx4 8Kx9          cost 513
 *   SDP HALF  (RAMB18E1)   16Kx1 ... 512x36                    cost 129
 *   SDP FULL  (RAMB36E1)   32Kx1 ... 512x72                    cost 257
 * Distributed kinds (LUTRAM, cost per 32/64/128-deep column): DP, QP, SDP of lutrams_xc5v.txt.
 *
 * Scope: one write port with one enable for the whole word (or none: a ROM) and synchronous read ports with a
 * clock enable and no reset, read-before-write — the memories src/hdl's `Memory` emits. Generic: knows no core.
 */
import { fail } from '../util/errors.js';
import type { Module } from '../hdl/index.js';
import { ceilDiv } from '../util/math.js';

export type RamStyle = 'auto' | 'block' | 'distributed' | 'logic';

export interface MemoryShape {
  width: number;
  depth: number;
  /** 0 (ROM) or 1 */
  writePorts: 0 | 1;
  /** synchronous read ports (1 or 2) */
  readPorts: 1 | 2;
  /** the ram_style / rom_style attribute (default auto) */
  style?: RamStyle;
}

export interface MemoryMapping {
  kind: 'block' | 'distributed' | 'logic';
  /** the library cell and option, e.g. "$__XILINX_BLOCKRAM_SDP_ FULL" */
  cell: string;
  ramb36: number;
  ramb18: number;
  /** RAMB36 + RAMB18 / 2 */
  bram36: number;
  /** library cells of the chosen kind (block cells; for distributed, LUTRAM columns) */
  units: number;
  /** the chosen geometry, e.g. "4096x9 x 58" */
  geometry: string;
  cost: number;
}

interface RamDef {
  cell: string;
  kind: 'block' | 'distributed';
  abits: number;
  dbits: number[];
  cost: number;
  widthscale: number;
  /** byte width of write enables (0: none) */
  byte: number;
  ramb36: number;
  ramb18: number;
  /** read ports one cell serves next to its write port(s): [shared group size, read-only groups] */
  ports: { rwGroup: number; readOnly: number };
  /** a write port is required (prune_rom) */
  noRom: boolean;
}

const TDP = { rwGroup: 2, readOnly: 0 };
const SDP = { rwGroup: 0, readOnly: 1 };
const XC7_RAMS: RamDef[] = [
  { cell: '$__XILINX_LUTRAM_DP_ ABITS 5', kind: 'distributed', abits: 5, dbits: [4], cost: 8, widthscale: 8, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 1, readOnly: 1 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_DP_ ABITS 6', kind: 'distributed', abits: 6, dbits: [2], cost: 8, widthscale: 8, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 1, readOnly: 1 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_DP_ ABITS 7', kind: 'distributed', abits: 7, dbits: [1], cost: 8, widthscale: 8, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 1, readOnly: 1 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_QP_ ABITS 5', kind: 'distributed', abits: 5, dbits: [2], cost: 7, widthscale: 7, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 1, readOnly: 3 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_QP_ ABITS 6', kind: 'distributed', abits: 6, dbits: [1], cost: 7, widthscale: 7, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 1, readOnly: 3 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_SDP_ ABITS 5', kind: 'distributed', abits: 5, dbits: [6], cost: 8, widthscale: 7, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 0, readOnly: 1 }, noRom: true },
  { cell: '$__XILINX_LUTRAM_SDP_ ABITS 6', kind: 'distributed', abits: 6, dbits: [3], cost: 8, widthscale: 7, byte: 0, ramb36: 0, ramb18: 0, ports: { rwGroup: 0, readOnly: 1 }, noRom: true },
  { cell: '$__XILINX_BLOCKRAM_TDP_ HALF', kind: 'block', abits: 14, dbits: [1, 2, 4, 9, 18], cost: 129, widthscale: 0, byte: 9, ramb36: 0, ramb18: 1, ports: TDP, noRom: false },
  { cell: '$__XILINX_BLOCKRAM_TDP_ FULL', kind: 'block', abits: 15, dbits: [1, 2, 4, 9, 18, 36], cost: 257, widthscale: 0, byte: 9, ramb36: 1, ramb18: 0, ports: TDP, noRom: false },
  { cell: '$__XILINX_BLOCKRAM_TDP_ CASCADE', kind: 'block', abits: 16, dbits: [1, 2, 4, 9], cost: 513, widthscale: 0, byte: 9, ramb36: 2, ramb18: 0, ports: TDP, noRom: false },
  { cell: '$__XILINX_BLOCKRAM_SDP_ HALF', kind: 'block', abits: 14, dbits: [1, 2, 4, 9, 18, 36], cost: 129, widthscale: 0, byte: 9, ramb36: 0, ramb18: 1, ports: SDP, noRom: false },
  { cell: '$__XILINX_BLOCKRAM_SDP_ FULL', kind: 'block', abits: 15, dbits: [1, 2, 4, 9, 18, 36, 72], cost: 257, widthscale: 0, byte: 9, ramb36: 1, ramb18: 0, ports: SDP, noRom: false },
];

/** memory_libmap's default logic costs per bit (synth_xilinx xc7 passes -logic-cost-rom 0.015625). */
const LOGIC_COST_RAM = 1;
const LOGIC_COST_ROM = 0.015625;

/** Copies of the array needed so every read port has a port (memory_libmap repl_port). */
function replPort(def: RamDef, m: MemoryShape): number {
  const rwSpace = def.ports.rwGroup - m.writePorts;
  if (def.ports.rwGroup === 0 && m.writePorts > 0 && def.ports.readOnly === 0) return Infinity;
  if (def.ports.rwGroup > 0 && rwSpace < 0) return Infinity;
  // read ports go to the read-only group when there is one, else to the free ports of the shared group
  const space = def.ports.readOnly > 0 ? def.ports.readOnly : rwSpace;
  return space > 0 ? ceilDiv(m.readPorts, space) : Infinity;
}

/** The cheapest geometry of one library kind (memory_libmap handle_geom for word-uniform write enables). */
function geometry(def: RamDef, m: MemoryShape): { cost: number; units: number; geometry: string } | null {
  const repl = replPort(def, m);
  if (!Number.isFinite(repl)) return null;
  let best: { cost: number; units: number; geometry: string } | null = null;
  let bestCost = 0;
  def.dbits.forEach((unit, i) => {
    const eff = m.writePorts === 0 ? 1 : def.byte === 0 || def.byte > unit ? unit : def.byte;
    const swizzle = ceilDiv(m.width, eff) * eff;
    const addrs = 2 ** (def.abits - i);
    const multA = ceilDiv(m.depth, addrs);
    const units = ceilDiv(multA * swizzle, unit);
    const demux = multA !== 1 ? multA * m.writePorts : 0;
    const mux = (multA - 1) * m.width * m.readPorts;
    // one emulation point per read port not shared with a write port (the tie-breaker)
    const emu = m.readPorts;
    let cost = (def.cost - def.widthscale) * units * repl;
    cost += Math.floor((def.widthscale * multA * m.width) / unit) * repl;
    cost += 0.5 * mux + 0.5 * demux + 2 * emu;
    if (!best || cost < bestCost) {
      best = { cost, units: units * repl, geometry: `${addrs}x${unit} x ${units}${repl > 1 ? ` x ${repl} (read ports)` : ''}` };
      bestCost = Math.trunc(cost);
    }
  });
  return best;
}

/** How yosys (synth_xilinx -family xc7) maps one memory: block RAM cells, LUTRAM or logic. */
export function xc7MemoryMapping(m: MemoryShape): MemoryMapping {
  if (!(Number.isInteger(m.width) && m.width >= 1) || !(Number.isInteger(m.depth) && m.depth >= 1)) fail('memory', `width ${m.width} x depth ${m.depth}: positive integers`);
  const style = m.style ?? 'auto';
  const logicCost = m.width * m.depth * (m.writePorts === 0 ? LOGIC_COST_ROM : LOGIC_COST_RAM);
  const logic: MemoryMapping = { kind: 'logic', cell: 'logic (FF/LUT)', ramb36: 0, ramb18: 0, bram36: 0, units: 0, geometry: `${m.depth}x${m.width} in logic`, cost: logicCost };
  if (style === 'logic') return logic;
  // prune_post_geom: the cheapest candidate per resource (block, distributed), first in library order on ties
  const perKind = new Map<string, MemoryMapping>();
  for (const def of XC7_RAMS) {
    if (style !== 'auto' && def.kind !== style) continue;
    if (def.noRom && m.writePorts === 0) continue;
    const g = geometry(def, m);
    if (!g) continue;
    const prev = perKind.get(def.kind);
    if (prev && !(g.cost < prev.cost)) continue;
    perKind.set(def.kind, { kind: def.kind, cell: def.cell, ramb36: def.ramb36 * g.units, ramb18: def.ramb18 * g.units, bram36: (def.ramb36 + def.ramb18 / 2) * g.units, units: g.units, geometry: g.geometry, cost: g.cost });
  }
  let best: MemoryMapping | null = style === 'auto' ? logic : null;
  for (const c of perKind.values()) if (!best || c.cost < best.cost) best = c;
  if (!best) fail('memory', `${m.depth}x${m.width} with ram_style ${style}: no ${style} RAM of xc7 fits these ports`);
  return best;
}

/** Block-RAM totals of a list of memories (each with a count). */
export function xc7BramTotals(mems: { shape: MemoryShape; count: number }[]): { ramb36: number; ramb18: number; bram36: number } {
  let ramb36 = 0, ramb18 = 0;
  for (const { shape, count } of mems) {
    const r = xc7MemoryMapping(shape);
    ramb36 += r.ramb36 * count;
    ramb18 += r.ramb18 * count;
  }
  return { ramb36, ramb18, bram36: ramb36 + ramb18 / 2 };
}

/** The memories of a built module and of everything it instantiates (one entry per memory instance, by instance
 *  path), with the style src/hdl emits for them (a 'distributed' ROM is emitted as rom_style = "logic"). */
export function moduleMemShapes(top: Module): { path: string; shape: MemoryShape }[] {
  const out: { path: string; shape: MemoryShape }[] = [];
  const walk = (m: Module, path: string): void => {
    for (const mem of m.memories) {
      const style: RamStyle = mem.kind === 'rom' && mem.style === 'distributed' ? 'logic' : mem.style;
      out.push({ path: `${path}${mem.name}`, shape: { width: mem.width, depth: mem.depth, writePorts: mem.write_ ? 1 : 0, readPorts: mem.reads.length === 2 ? 2 : 1, style } });
    }
    for (const it of m.items) if (it.kind === 'instance') walk(it.inst.child, `${path}${it.inst.name}.`);
  };
  walk(top, '');
  return out;
}
