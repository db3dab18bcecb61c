/**
 * Streaming CCL core, second opinion: the same vectors as ccl-rtl.test.ts through Icarus on a subset of
 * configurations (with random stalls, frames back to back), bit-exact against the golden model; on one
 * configuration Verilator and Icarus must also agree cycle for cycle (same stall seed → same end-of-frame cycles).
 */
import { describe, it, expect } from 'vitest';
import { makeCclConfig, type CclConfig } from '../src/ccl/config.js';
import { rtlVectors, checkRtlFrames } from '../src/ccl/rtl/testvectors.js';
import { maxLiveStripes, blank, full, noise } from '../src/ccl/patterns.js';
import { cellNoise } from '../src/ccl/rtl/testvectors.js';
import { generateCclSimRtl, generateCclRtl, decodeRecord, maxObjectsPerFrame } from '../src/ccl/rtl/index.js';
import { frameBeats, labelWithRtl } from '../src/ccl/rtl-run.js';
import { moduleDesign, runStreams } from '../src/sim/index.js';

function cfgOf(w: number, h: number, cell: 1 | 2 | 4 | 8 | 16, extra: Partial<CclConfig> = {}): CclConfig {
  return makeCclConfig({ width: w, height: h, cell, maxObjects: Math.max(1, maxLiveStripes(w, cell) - 1), ...extra });
}

describe('ccl rtl on Icarus (same vectors, random stalls)', () => {
  it('48x32 C=1 P=1 4-connectivity, binary pixels', async () => {
    const cfg = cfgOf(48, 32, 1, { connectivity: 4, pixelFormat: 'binary' });
    const { checks } = await checkRtlFrames(cfg, rtlVectors(cfg, 7), { ppc: 1, sim: 'icarus', seed: 5, validProb: 0.6, readyProb: 0.6 });
    expect(checks.filter((c) => c.diff).map((c) => `${c.name}: ${c.diff}`)).toEqual([]);
    expect(checks.some((c) => c.name.startsWith('stripes') && c.rtl.overflow)).toBe(true);
  }, 120_000);

  for (const [w, h, c, p, conn] of [[48, 32, 1, 1, 8], [40, 30, 2, 2, 4], [48, 32, 4, 4, 8]] as const) {
    it(`inlineCommit option (one-clock inactive cells): ${w}x${h} C=${c} P=${p} ${conn}-connectivity`, async () => {
      const cfg = cfgOf(w, h, c, { connectivity: conn, histBins: 2 });
      const { checks } = await checkRtlFrames(cfg, rtlVectors(cfg, 5), { ppc: p, inlineCommit: true, sim: 'icarus', seed: 6, validProb: 0.7, readyProb: 0.6 });
      expect(checks.filter((x) => x.diff).map((x) => `${x.name}: ${x.diff}`)).toEqual([]);
    }, 120_000);
  }

  it('12x40 C=16 P=4: a single cell column, T=7, histogram', async () => {
    const cfg = cfgOf(12, 40, 16, { minPixels: 7, histBins: 2 });
    const { checks } = await checkRtlFrames(cfg, rtlVectors(cfg, 3), { ppc: 4, sim: 'icarus', seed: 9, validProb: 0.5, readyProb: 0.7 });
    expect(checks.filter((c) => c.diff).map((c) => `${c.name}: ${c.diff}`)).toEqual([]);
  }, 120_000);

  it('degenerate geometry: 1x1, one row, one column, frames smaller than a cell', async () => {
    const shapes: [number, number, 1 | 2 | 16, number][] = [[1, 1, 1, 1], [1, 5, 1, 1], [5, 1, 1, 1], [16, 1, 16, 16], [3, 7, 2, 1], [2, 2, 16, 2]];
    for (const [w, h, c, p] of shapes) {
      const cfg = makeCclConfig({ width: w, height: h, cell: c, histBins: 2, maxObjects: 2, connectivity: w === 1 ? 4 : 8 });
      const frames = [blank(w, h), full(w, h), noise(w, h, 0.5, { seed: 2 }), noise(w, h, 0.8, { seed: 3 }), cellNoise(cfg, 0.5, 4)]
        .map((image, i) => ({ name: `f${i}`, image }));
      const { checks } = await checkRtlFrames(cfg, frames, { ppc: p, sim: 'icarus', seed: 4, validProb: 0.6, readyProb: 0.6 });
      expect(checks.filter((x) => x.diff).map((x) => `${w}x${h} C=${c} ${x.name}: ${x.diff}`)).toEqual([]);
    }
  }, 120_000);

  it('60x46 C=4 P=4 4-connectivity T=3 hist 8: Icarus and Verilator agree cycle for cycle', async () => {
    const cfg = cfgOf(60, 46, 4, { connectivity: 4, minPixels: 3, histBins: 8 });
    const frames = rtlVectors(cfg, 3).slice(0, 10);
    const opts = { ppc: 4, seed: 21, validProb: 0.8, readyProb: 0.5 };
    const ic = await checkRtlFrames(cfg, frames, { ...opts, sim: 'icarus' });
    expect(ic.checks.filter((c) => c.diff).map((c) => `${c.name}: ${c.diff}`)).toEqual([]);
    const vl = await checkRtlFrames(cfg, frames, { ...opts, sim: 'verilator' });
    expect(vl.run.frames).toEqual(ic.run.frames);
  }, 240_000);

  it('framing: a tlast out of place sets syncErr in the end-of-frame record; a frame of the wrong size is refused', async () => {
    const cfg = cfgOf(16, 8, 2);
    const rtl = generateCclSimRtl(cfg, { ppc: 2 });
    const p = rtl.params;
    const good = frameBeats(noisy(16, 8), p);
    const bad = good.map((b, i) => (i === 3 ? { ...b, last: true } : b)); // tlast in the middle of line 0
    const total = 2 * (maxObjectsPerFrame(p) + 1);
    const r = await runStreams(moduleDesign(rtl.module, rtl.files), { inputs: { s: [...bad, ...good] }, expect: { r: total }, constValues: { frames: 2n, total: BigInt(total) }, sim: 'icarus' });
    const eofs = r.outputs.r!.filter((b) => !(b.data >> BigInt(p.outWidth)) && b.last).map((b) => decodeRecord(p, b.data));
    expect(eofs.map((e) => e.kind === 'eof' && e.syncErr)).toEqual([true, false]);
    await expect(labelWithRtl(noisy(16, 10), cfg, { ppc: 2, sim: 'icarus' })).rejects.toThrow(/^image: is 16×10 but the core is configured for 16×8/);
    expect(() => generateCclRtl(cfg, { ppc: 4 })).toThrow(/^ppc: 4 pixels per clock needs cells at least 4 wide/);
  }, 60_000);
});

function noisy(w: number, h: number) {
  return noise(w, h, 0.4, { seed: 12 });
}
