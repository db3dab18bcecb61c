/**
 * Whole path of the simulation harness on a small parameterized module: a streaming signed multiply-accumulate,
 * >= 10,000 random + worst-case vectors with random valid gaps and ready back-pressure, bit-exact against its
 * TypeScript golden function on Verilator AND Icarus (runBoth also demands identical cycle stamps).
 * A wide configuration (80-bit tdata, 86-bit result) exercises Verilator's VlWide path.
 */
import { describe, expect, it } from 'vitest';
import { runBoth, toSigned, toUnsigned, type Beat } from '../src/sim/index.js';
import { macDesign, macGolden } from '../src/sim/example-mac.js';

/** xorshift-based random for the test's data (independent of the harness PRNG). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function randSigned(r: () => number, w: number): bigint {
  // Build from 16-bit chunks so widths above 53 bits are uniform too.
  let u = 0n;
  for (let i = 0; i < w; i += 16) u = (u << 16n) | BigInt(Math.floor(r() * 65536));
  return toSigned(u, w);
}

/** Random vectors with worst cases mixed in: most-negative squared, extremes, zeros, long groups that wrap. */
function vectors(n: number, w: number, seed: number): { pairs: [bigint, bigint][]; lasts: boolean[] } {
  const r = rng(seed);
  const min = -(1n << BigInt(w - 1));
  const max = (1n << BigInt(w - 1)) - 1n;
  const pairs: [bigint, bigint][] = [];
  const lasts: boolean[] = [];
  while (pairs.length < n) {
    const mode = r();
    const len = mode < 0.1 ? 1 : mode < 0.2 ? 64 + Math.floor(r() * 64) : 1 + Math.floor(r() * 8);
    for (let i = 0; i < len && pairs.length < n; i++) {
      const k = r();
      const pick = (): bigint => (k < 0.1 ? min : k < 0.15 ? max : k < 0.18 ? 0n : randSigned(r, w));
      pairs.push(k < 0.1 ? [min, min] : [pick(), randSigned(r, w)]);
      lasts.push(false);
    }
    lasts[lasts.length - 1] = true;
  }
  return { pairs, lasts };
}

function stimulus(pairs: [bigint, bigint][], lasts: boolean[], w: number): Beat[] {
  return pairs.map(([a, b], i) => ({
    data: (toUnsigned(b, w) << BigInt(w)) | toUnsigned(a, w),
    last: lasts[i],
  }));
}

describe('sim harness: streaming MAC, whole path on both simulators', () => {
  it('10,000+ random and worst-case vectors with random stalls are bit-exact (w=8, acc 16 bits wraps)', async () => {
    const w = 8;
    const accW = 16;
    const { pairs, lasts } = vectors(10_240, w, 2026);
    const init = toUnsigned(-1234n, accW);
    const want = macGolden(pairs, lasts, init, accW);
    expect(want.length).toBeGreaterThan(500);
    const r = await runBoth(macDesign(w, accW), {
      inputs: { x: stimulus(pairs, lasts, w) },
      expected: { y: want.map((data) => ({ data })) },
      constValues: { init },
      seed: 99,
      validProb: 0.7,
      readyProb: 0.6,
    });
    expect(r.verilator.consumed.x).toBe(pairs.length);
    expect(r.outputs.y).toHaveLength(want.length);
    // Stalls really happened: more cycles than beats.
    expect(r.cycleCount).toBeGreaterThan(pairs.length * 1.2);
    // The accumulator wrapped at least once (the worst cases are real).
    const exact = macGolden(pairs, lasts, init, 64);
    expect(exact.some((v, i) => toSigned(v, 64) !== toSigned(want[i]!, accW))).toBe(true);
  });

  it('wide data (80-bit tdata, 86-bit result: VlWide) is bit-exact on both simulators', async () => {
    const w = 40;
    const accW = 86;
    const { pairs, lasts } = vectors(2_000, w, 7);
    const init = toUnsigned(-(1n << 84n) + 12345n, accW);
    const want = macGolden(pairs, lasts, init, accW);
    const r = await runBoth(macDesign(w, accW), {
      inputs: { x: stimulus(pairs, lasts, w) },
      expected: { y: want.map((data) => ({ data })) },
      constValues: { init },
      seed: 5,
      validProb: 0.5,
      readyProb: 0.5,
    });
    expect(r.outputs.y.map((b) => b.data)).toEqual(want);
    expect(r.outputs.y.some((b) => b.data >> 64n !== 0n)).toBe(true);
  });

  it('full throughput without stalls: one beat per cycle, latency 2', async () => {
    const w = 8;
    const accW = 16;
    const n = 1000;
    const r0 = rng(3);
    const pairs: [bigint, bigint][] = Array.from({ length: n }, () => [randSigned(r0, w), randSigned(r0, w)]);
    const lasts = pairs.map(() => true);
    const want = macGolden(pairs, lasts, 0n, accW);
    const r = await runBoth(macDesign(w, accW), {
      inputs: { x: stimulus(pairs, lasts, w) },
      expected: { y: want.map((data) => ({ data })) },
      constValues: { init: 0n },
    });
    // Beat i enters at cycle i, leaves the product register at i+1 and is handed over at cycle i+2.
    expect(r.outputs.y.map((b) => b.cycle)).toEqual(want.map((_, i) => i + 2));
    expect(r.cycleCount).toBe(n + 2);
  });
});
