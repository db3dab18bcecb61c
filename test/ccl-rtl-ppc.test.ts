/**
 * Pixel-exact labeling (C = 1) at P = 2, 4, 8 pixels per clock (runs.ts + runlab.ts): parameters, lint, and the
 * bit-exact proof against the golden model on Icarus with random valid/ready stalls, frames back to back — the
 * standard worst cases (spiral, combs whose teeth merge on the last line, nested U shapes, checkerboard, staircase,
 * borders, full frame, live stripes at N and N + 1, the most dots a frame holds, random noise), plus pixel
 * checkerboard, dense and sparse single-pixel noise. Verilator runs the same design at every P and both
 * connectivities in bench/ccl-rtl-matrix.ts, and at 512×512 in bench/ccl-fps.ts.
 */
import { describe, it, expect } from 'vitest';
import { makeCclConfig, type CclConfig } from '../src/ccl/config.js';
import { cclRtlParams, cclCycleModel, generateCclRtl } from '../src/ccl/rtl/index.js';
import { rtlVectors, checkRtlFrames } from '../src/ccl/rtl/testvectors.js';
import { checkerboard, maxLiveStripes, noise, type NamedPattern } from '../src/ccl/patterns.js';
import { lintVerilog } from '../src/tools/lint.js';

function cfgOf(w: number, h: number, extra: Partial<CclConfig> = {}): CclConfig {
  return makeCclConfig({ width: w, height: h, cell: 1, maxObjects: Math.max(1, maxLiveStripes(w, 1) - 1), ...extra });
}

function frames(cfg: CclConfig, seed: number): NamedPattern[] {
  const { width: w, height: h } = cfg;
  return [
    ...rtlVectors(cfg, seed),
    { name: 'pixelChecker', image: checkerboard(w, h, 1) },
    { name: 'noise50', image: noise(w, h, 0.5, { seed }) },
    { name: 'noise5', image: noise(w, h, 0.05, { seed: seed + 1 }) },
  ];
}

describe('pixel-exact core at P > 1: parameters', () => {
  it('accepts P = 2..16 at C = 1 and sizes the run queue and label table', () => {
    const p = cclRtlParams(makeCclConfig({ width: 512, height: 512 }), { ppc: 8 });
    expect(p.pixelExact).toBe(true);
    expect(p.liveBound).toBe(259); // ⌊512/2⌋ + 2 queue slots + 1
    expect(p.Nt).toBe(259);
    expect(cclRtlParams(makeCclConfig({ width: 512, height: 512, maxObjects: 100 }), { ppc: 4 }).Nt).toBe(100);
    expect(() => cclRtlParams(makeCclConfig({ width: 36, height: 8 }), { ppc: 8 })).toThrow(/^ppc: width 36 is not a multiple of 8/);
    expect(cclRtlParams(makeCclConfig({ width: 64, height: 8 }), { ppc: 1 }).pixelExact).toBe(false);
  });
  it('cycle model: input-bound W·H/P when the labeler keeps up, a bound for the worst line', () => {
    const c = cclCycleModel(cclRtlParams(makeCclConfig({ width: 512, height: 512 }), { ppc: 8 }));
    expect(c.framePeriodBest).toBe(32768);
    expect(c.labelRowWorst).toBe(12 * 256 + 2);
  });
  it('lints clean (verilator --lint-only -Wall) with third-order moments and both histograms', async () => {
    const cfg = cfgOf(32, 8, { pixelFormat: 'rgb24', histBins: 4, colorBits: 1, thirdMoments: true });
    const rtl = generateCclRtl(cfg, { ppc: 8 });
    expect([...rtl.files.keys()].sort()).toEqual(['ccl_core.v', 'ccl_core_channel.v', 'ccl_core_decode.v', 'ccl_core_feat.v', 'ccl_core_free.v', 'ccl_core_out.v', 'ccl_core_runlab.v', 'ccl_core_runs.v']);
    await lintVerilog(rtl.files, rtl.top);
  }, 60_000);
});

describe('pixel-exact core at P > 1 on Icarus = golden model (random stalls, frames back to back)', () => {
  const cases: Array<[number, number, number, 4 | 8, Partial<CclConfig>]> = [
    [2, 16, 8, 4, { histBins: 2 }],
    [4, 24, 10, 8, { histBins: 4, thirdMoments: true }],
    [8, 32, 12, 8, { histBins: 2, thirdMoments: true }],
    [8, 32, 10, 4, {}],
  ];
  for (const [ppc, w, h, connectivity, extra] of cases) {
    it(`${w}x${h} P=${ppc} ${connectivity}-connectivity ${JSON.stringify(extra)}`, async () => {
      const cfg = cfgOf(w, h, { connectivity, ...extra });
      const { checks } = await checkRtlFrames(cfg, frames(cfg, ppc), { ppc, sim: 'icarus', seed: 10 + ppc, validProb: 0.7, readyProb: 0.6 });
      expect(checks.filter((c) => c.diff).map((c) => `${c.name}: ${c.diff}`)).toEqual([]);
      // the set holds N live objects and N + 1: the flag must be raised exactly on the latter
      expect(checks.some((c) => c.name.startsWith('stripes') && c.rtl.overflow)).toBe(true);
      expect(checks.some((c) => c.name.startsWith('stripes') && !c.rtl.overflow)).toBe(true);
      expect(checks.length).toBeGreaterThan(18);
    }, 120_000);
  }
});
