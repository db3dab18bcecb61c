/**
 * Block RAM counted exactly as yosys maps it (src/synth/bram.ts), checked against yosys itself on small memories of
 * different shapes and styles, and against the whole-core syntheses of the two board presets (issue 12).
 */
import { describe, expect, it } from 'vitest';
import { syncFifo } from '../src/hdl/lib/fifo.js';
import { emitVerilog } from '../src/hdl/index.js';
import { synthesize } from '../src/synth/index.js';
import { xc7MemoryMapping } from '../src/synth/bram.js';
import { bankBram, checkFits, fitProblem } from '../src/msq/core/sizing.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { loadBoard } from '../src/board/index.js';

describe('xc7 block RAM count (src/synth/bram.ts)', () => {
  // width x depth, style: each exercises another rule (half blocks beating full ones after 9-bit byte padding, a
  // depth that is no power of two, LUTRAM for a small memory); kept to three small runs (yosys takes ~10 s each)
  const shapes: [number, number, 'auto' | 'block' | 'distributed'][] = [
    [40, 1024, 'block'], // 40 bits pad to 45: 3 x RAMB18 1Kx18 beat 2 x RAMB36 1Kx36
    [20, 600, 'block'], // 27 padded bits, 600 deep: 1 RAMB36 1Kx36
    [8, 32, 'auto'], // auto: LUTRAM
  ];
  it.each(shapes)('%i bits x %i words (%s) maps as yosys synth_xilinx maps it', async (width, depth, style) => {
    const files = emitVerilog(syncFifo({ width, depth, style, name: `bram_probe_w${width}_d${depth}` }));
    const r = await synthesize({ files, top: `bram_probe_w${width}_d${depth}`, cache: true });
    const got = { ramb36: r.resources.cells.RAMB36E1 ?? 0, ramb18: r.resources.cells.RAMB18E1 ?? 0 };
    const m = xc7MemoryMapping({ width, depth, writePorts: 1, readPorts: 1, style });
    expect({ ramb36: m.ramb36, ramb18: m.ramb18 }).toEqual(got);
  }, 120_000);

  it('counts the preset cores as their whole-core syntheses did (issue 12: 150 RAMB36; 420 RAMB36 + 360 RAMB18)', () => {
    // the presets as they were synthesized (actDepth 2560 / 5120: both banks in one 2 x 4096 / 2 x 8192 deep RAM)
    const z020 = bankBram({ ...defaultCoreConfig(loadBoard('xc7z020')), actDepth: 2560 });
    expect([z020.ramb36, z020.ramb18]).toEqual([150, 0]);
    const z045 = bankBram({ ...defaultCoreConfig(loadBoard('xc7z045')), actDepth: 5120 });
    expect([z045.ramb36, z045.ramb18, z045.total]).toEqual([420, 360, 600]);
    // the re-sized presets fit
    for (const id of ['xc7z020', 'xc7z045']) expect(() => checkFits(defaultCoreConfig(loadBoard(id)), loadBoard(id))).not.toThrow();
  });

  it('refuses a core that does not fit, naming the resource, the count and the capacity', () => {
    const board = loadBoard('xc7z020');
    expect(fitProblem({ lut: 1000, dsp: 10, bram36: 150 }, board)).toMatch(/^BRAM36 150 of 140 on xc7z020/);
    expect(fitProblem({ lut: 0.81 * board.resources.lut, dsp: 10, bram36: 10 }, board)).toMatch(/^LUT .* of 53200/);
    expect(fitProblem({ lut: 1000, dsp: 10, bram36: 140 }, board)).toBeNull();
    const big = { ...defaultCoreConfig(board), actDepth: 2560 };
    expect(() => checkFits(big, board)).toThrow(/BRAM36 \d+ of 140/);
  });
});
