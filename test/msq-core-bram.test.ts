/**
 * The MSQ core's block RAM counted exactly as yosys maps it (src/synth/bram.ts; checked against yosys itself on
 * memories of many shapes in test/synth-bram.test.ts): the sizing's memory list (coreBanks) is the list of memories in
 * generated cores' built modules, shape for shape; the count reproduces the whole-core syntheses of the two former
 * board presets (issue 12); checkFits refuses what does not fit.
 */
import { describe, expect, it } from 'vitest';
import { moduleMemShapes, type MemoryShape } from '../src/synth/bram.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { generateCore } from '../src/msq/core/rtl/index.js';
import { bankBram, checkFits, coreBanks, fitProblem } from '../src/msq/core/sizing.js';
import { defaultCoreConfig } from '../src/msq/core/presets.js';
import { loadBoard } from '../src/board/index.js';

const key = (s: MemoryShape): string => `${s.width}x${s.depth} w${s.writePorts} r${s.readPorts} ${s.style ?? 'auto'}`;
const listed = (cfg: CoreConfig, romBeats?: number): string[] => coreBanks(cfg, { romBeats }).flatMap((b) => Array.from({ length: b.count }, () => key(b.shape))).sort();

describe('MSQ core block RAM (coreBanks, bankBram, checkFits)', () => {
  const cfgs: [string, CoreConfig][] = [
    ['small', smallCoreConfig()],
    ['Rq 1, shallow parameters', smallCoreConfig({ Rq: 1, cDepth: 64, actDepth: 300 })],
    ['Rq 3 over 7 lanes, sp2ActBits 4', smallCoreConfig({ Pf: 3, Ps: 4, Rq: 3, sp2ActBits: 4, cDepth: 128, maxPasses: 8 })],
  ];
  it.each(cfgs)('lists the memories of the generated core (%s)', (_name, cfg) => {
    const built = moduleMemShapes(generateCore(cfg).module).map((m) => key(m.shape)).sort();
    expect(built.length).toBeGreaterThan(5);
    expect(listed(cfg)).toEqual(built);
  });

  it('lists the program ROM of a ROM core (block RAM), and needs its program to count it', () => {
    const cfg = { ...smallCoreConfig(), rom: true };
    const beats = Array.from({ length: 1500 }, (_, i) => BigInt(i));
    const built = moduleMemShapes(generateCore(cfg, 'msqc', { rom: { beats, residual: true } }).module).map((m) => key(m.shape)).sort();
    expect(listed(cfg, 1500)).toEqual(built);
    expect(bankBram(cfg, { romBeats: 1500 }).total).toBeGreaterThan(bankBram(smallCoreConfig()).total);
    expect(() => coreBanks(cfg)).toThrow(/program-ROM core/);
  });

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
    // a program ROM within checkRomFits' half-the-BRAM limit can still push the whole core over
    const romCore = { ...defaultCoreConfig(board), rom: true };
    expect(() => checkFits(romCore, board, { romBeats: 1024 })).not.toThrow();
    expect(() => checkFits(romCore, board, { romBeats: 8192 })).toThrow(/^core: does not fit: BRAM36 1[78]\d of 140 on xc7z020/);
  });
});
