/**
 * src/synth/bram.ts against yosys: a handful of memories of different shapes (src/hdl RAMs and ROMs, styles block /
 * auto / distributed), each its own module under one top, synthesized by the project's synth runner (synth_xilinx,
 * hierarchy kept); every module's RAMB36E1 / RAMB18E1 count must equal the model's, and a memory the model puts in
 * LUTRAM must have no block RAM and some LUTRAM cells.
 */
import { describe, expect, it } from 'vitest';
import { Module, emitVerilog, type MemoryStyle, type Signal } from '../src/hdl/index.js';
import { synthesize } from '../src/synth/index.js';
import { moduleMemShapes, xc7MemoryMapping, type MemoryShape } from '../src/synth/bram.js';

interface Case { width: number; depth: number; style: MemoryStyle; rom?: 2 }

// chosen where simpler rules go wrong: 512 wide (RAMB18 SDP beats RAMB36), 20 wide (three RAMB18 beat two RAMB36),
// 8x4K (one RAMB36 4Kx9 beats two RAMB18), 9x16K (a cascade pair), a two-port ROM (one TDP cell, not two copies),
// 40 bits (padded to 45: three RAMB18 1Kx18 beat two RAMB36), a depth that is no power of two
const CASES: Case[] = [
  { width: 40, depth: 1024, style: 'block' },
  { width: 20, depth: 600, style: 'block' },
  { width: 512, depth: 512, style: 'block' },
  { width: 256, depth: 512, style: 'block' },
  { width: 69, depth: 1024, style: 'block' },
  { width: 20, depth: 2048, style: 'block' },
  { width: 8, depth: 4096, style: 'block' },
  { width: 9, depth: 16384, style: 'block' },
  { width: 16, depth: 2048, style: 'auto' },
  { width: 16, depth: 64, style: 'auto' },
  { width: 12, depth: 128, style: 'distributed' },
  { width: 36, depth: 512, style: 'block', rom: 2 },
];

function memModule(c: Case, i: number): Module {
  const m = new Module(`mem${i}`);
  const ab = Math.ceil(Math.log2(c.depth));
  const qs = [];
  if (c.rom) {
    const rom = m.rom('mem', { width: c.width, depth: c.depth, style: c.style, init: Array.from({ length: c.depth }, (_, k) => BigInt(k * 2654435761) % (1n << BigInt(c.width))) });
    for (let p = 0; p < c.rom; p++) qs.push(rom.read(m.input(`raddr${p}`, ab), { en: m.input(`re${p}`, 1) }));
  } else {
    const ram = m.ram('mem', { width: c.width, depth: c.depth, style: c.style });
    ram.write(m.input('we', 1), m.input('waddr', ab), m.input('wdata', c.width));
    qs.push(ram.read(m.input('raddr', ab), { en: m.input('re', 1) }));
  }
  qs.forEach((q, p) => m.assign(m.output(`q${p}`, c.width), q));
  return m;
}

describe('xc7 block-RAM count from a memory shape (src/synth/bram.ts)', () => {
  it('equals yosys synth_xilinx per memory', async () => {
    const top = new Module('bram_cases');
    const shapes: MemoryShape[] = [];
    CASES.forEach((c, i) => {
      const child = memModule(c, i);
      const conns: Record<string, Signal> = {};
      for (const s of child.signals) if (s.kind === 'input' || s.kind === 'output') conns[s.name] = top[s.kind](`m${i}_${s.name}`, s.width);
      top.instance(child, `u${i}`, conns);
      shapes.push(moduleMemShapes(child)[0]!.shape);
    });
    expect(moduleMemShapes(top).map((x) => x.path)).toEqual(CASES.map((_, i) => `u${i}.mem`));
    const r = await synthesize({ files: emitVerilog(top), top: top.name, noFlatten: true, keepNetlist: true, cache: true });
    const net = JSON.parse(r.netlist!) as { modules: Record<string, { cells: Record<string, { type: string }> }> };
    const got = CASES.map((c, i) => {
      const types = Object.values(net.modules[`mem${i}`]!.cells).map((x) => x.type);
      const n = (re: RegExp): number => types.filter((t) => re.test(t)).length;
      return { shape: `${c.width}x${c.depth} ${c.style}${c.rom ? ' rom' : ''}`, ramb36: n(/^RAMB36E1$/), ramb18: n(/^RAMB18E1$/), lutram: n(/^RAM(32|64|128|256)X1[SD]$|^RAM(32|64)M$/) > 0 };
    });
    const want = CASES.map((c, i) => {
      const m = xc7MemoryMapping(shapes[i]!);
      return { shape: `${c.width}x${c.depth} ${c.style}${c.rom ? ' rom' : ''}`, ramb36: m.ramb36, ramb18: m.ramb18, lutram: m.kind === 'distributed' };
    });
    expect(got).toEqual(want);
    // the cases are not all the same answer
    expect(new Set(want.map((w) => `${w.ramb36}/${w.ramb18}/${w.lutram}`)).size).toBeGreaterThanOrEqual(6);
  }, 600_000);
});
