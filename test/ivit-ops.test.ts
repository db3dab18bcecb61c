/**
 * I-ViT golden integer operators (src/msq/ivit): each operator's result must lie inside an interval DERIVED from its
 * algorithm's steps (docs/ivit.md "Error bounds": the linear remainder's (1 − f/2)·2^f ∈ [1, h*], every floor's
 * ±1, the reciprocal's 2^-R, the final rounding), and the distance of that interval from the float function gives
 * the error bound against float. Random and worst-case rows (all-equal, one element, max magnitude, zero variance).
 */
import { describe, expect, it } from 'vitest';
import {
  EXP_FRAC, LN_Z_FRAC, PROB_BITS, RECIP_FRAC, ISQRT_ITERS, geluOutQuant, iLayerNorm, isqrtNewton, layerNormParams, layerNormStats,
  requantOut, shiftExp, shiftGelu, shiftmax, sigmoidOfExp, encodeNlJob, type OutQuant,
} from '../src/msq/ivit/index.js';
import { Rng } from './hdl-util.js';

const E = 2 ** EXP_FRAC;
/** max over f ∈ [0,1) of (1 − f/2)·2^f, at f* = 2 − 1/ln 2: the linear remainder's largest overestimate. */
const FS = 2 - 1 / Math.LN2;
const HMAX = (1 - FS / 2) * 2 ** FS;

/** Interval of t = shiftExp(mulLog2e(−a)) for an integer a ≥ 0 known only to lie in [aLo, aHi] (units 2^-E). */
function expBounds(aLo: number, aHi: number): [number, number] {
  // u = −mulLog2e(−a) ∈ (1.4375a − 1, 1.4375a + 1); t ∈ (2^E·2^(−u/2^E)·1 − 1, 2^E·2^(−u/2^E)·h* + 1/2]
  const lo = E * 2 ** ((-1.4375 * aHi - 1) / E) - 1;
  const hi = E * 2 ** ((-1.4375 * aLo + 1) / E) * HMAX + 0.5;
  return [Math.max(0, lo), Math.min(E, hi)];
}

function softmaxRef(row: number[], frac: number): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp((x - m) / 2 ** frac));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Derived interval of each Shiftmax probability, in units of 2^-P. */
function shiftmaxBounds(row: number[], frac: number): Array<[number, number]> {
  const m = Math.max(...row);
  const tb = row.map((x) => {
    const a = (m - x) * 2 ** (EXP_FRAC - frac);
    return expBounds(a, a);
  });
  const sumLo = tb.reduce((s, b) => s + b[0], 0);
  const sumHi = tb.reduce((s, b) => s + b[1], 0);
  const P = 2 ** PROB_BITS;
  return tb.map(([lo, hi]) => {
    const pLo = lo / (lo + (sumHi - hi)); // the rest at its largest
    const pHi = hi / (hi + (sumLo - lo)); // the rest at its smallest
    // recip: t·f/2^(b+R) ∈ (t/T − 2^-16, t/T]; rounding ±1/2 (1e-9: float slack); clamp to 2^P − 1
    return [Math.min(P - 1, Math.ceil(P * pLo - P * 2 ** -16 - 0.5 - 1e-9)), Math.min(P - 1, Math.floor(P * pHi + 0.5 + 1e-9))];
  });
}

const geluRef = (xr: number): number => xr / (1 + Math.exp(-1.702 * xr));
const geluErf = (xr: number): number => 0.5 * xr * (1 + erf(xr / Math.SQRT2));
function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): only for the reported gap to the exact GELU
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** Derived interval of one ShiftGELU output. */
function geluBounds(x: number, frac: number, q: OutQuant): [number, number] {
  const xe = Math.abs(x) * 2 ** (EXP_FRAC - frac);
  const [tLo, tHi] = expBounds(Math.max(0, 1.6875 * xe - 3), 1.6875 * xe + 3); // three floors in 1.702·x
  const sLo = sigmoidOfExp(Math.min(256, Math.floor(tHi / 2 ** (EXP_FRAC - 8))));
  const sHi = sigmoidOfExp(Math.floor(tLo / 2 ** (EXP_FRAC - 8)));
  const [gLo, gHi] = x >= 0 ? [x * sLo, x * sHi] : [x * (256 - sLo), x * (256 - sHi)];
  return [requantOut(Math.min(gLo, gHi), q), requantOut(Math.max(gLo, gHi), q)];
}

const outScaleOf = (q: OutQuant, accScale: number): number => (accScale * 2 ** q.S) / q.M;

describe('I-ViT golden operators: derived error bounds', () => {
  it('integer sqrt: Newton with ISQRT_ITERS steps is floor(sqrt) on worst cases up to 2^64; 4 steps are not enough', () => {
    const ref = (v: bigint): bigint => {
      let lo = 0n;
      let hi = 1n << 32n;
      while (hi - lo > 1n) {
        const mid = (lo + hi) >> 1n;
        if (mid * mid <= v) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    const vs: bigint[] = [0n, 1n, 2n, 3n, 4n, (1n << 64n) - 1n];
    for (let b = 1n; b < 32n; b++) for (const k of [(1n << b) - 1n, 1n << b, (1n << b) + 1n]) vs.push(k * k - 1n, k * k, k * k + 1n);
    const r = new Rng(5);
    for (let i = 0; i < 300; i++) vs.push(r.bits(1 + r.int(64)));
    let fewFail = 0;
    for (const v of vs) {
      expect(isqrtNewton(v)).toBe(ref(v));
      if (isqrtNewton(v, ISQRT_ITERS - 2) !== ref(v)) fewFail++;
    }
    expect(fewFail).toBeGreaterThan(0);
  });

  it('shift-exponential: every exponent in [-20, 0] lies in its derived interval around 2^E·2^(−1.4375a)', () => {
    for (let a = 0; a <= 20 * E; a += 97) {
      const t = shiftExp(-a);
      const lin = E * 2 ** (-a / E);
      expect(t).toBeGreaterThan(lin - 1);
      expect(t).toBeLessThanOrEqual(lin * HMAX + 0.5);
    }
    expect(shiftExp(0)).toBe(E);
    expect(HMAX).toBeCloseTo(1.0615, 4);
  });

  it('Shiftmax: random and worst-case rows inside the derived interval; |error| vs float softmax within the bound', () => {
    const r = new Rng(1);
    const rows: Array<{ row: number[]; frac: number }> = [];
    for (let k = 0; k < 120; k++) {
      const bits = r.pick([8, 12, 16]);
      const n = 1 + r.int(k < 60 ? 16 : 200);
      const span = r.pick([4, 64, 2 ** (bits - 1)]);
      rows.push({ frac: r.int(Math.min(bits, 16)), row: Array.from({ length: n }, () => Math.max(-(2 ** (bits - 1)), Math.min(2 ** (bits - 1) - 1, r.int(2 * span) - span))) });
    }
    rows.push({ frac: 4, row: Array(197).fill(-128) }, { frac: 0, row: [32767] }, { frac: 15, row: [-32768, 32767, -32768] });
    rows.push({ frac: 0, row: [32767, ...Array(63).fill(-32768)] }, { frac: 7, row: Array.from({ length: 64 }, (_, i) => (i * 4) - 128) });
    let worst = 0;
    let bound = 0;
    for (const { row, frac } of rows) {
      const got = shiftmax(row, frac);
      const ref = softmaxRef(row, frac);
      const b = shiftmaxBounds(row, frac);
      got.forEach((g, i) => {
        expect(g).toBeGreaterThanOrEqual(b[i]![0]);
        expect(g).toBeLessThanOrEqual(b[i]![1]);
        worst = Math.max(worst, Math.abs(g / 256 - ref[i]!));
        bound = Math.max(bound, Math.abs(b[i]![0] / 256 - ref[i]!), Math.abs(b[i]![1] / 256 - ref[i]!));
      });
    }
    expect(shiftmax(Array(8).fill(3), 2)).toEqual(Array(8).fill(32)); // all-equal rows: exactly 1/n
    expect(shiftmax([-7], 0)).toEqual([255]); // one element: 1.0 clamped to 255/256
    expect(worst).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(0.05); // the derived bound over these rows (docs/ivit.md gives the figure)
  });

  it('ShiftGELU: every 8-bit input (F = 0..7) and a 16-bit sweep inside the derived interval', () => {
    let worstLsb = 0;
    for (const [bits, frac, step] of [[8, 4, 1], [8, 0, 1], [8, 7, 1], [16, 10, 37], [16, 12, 13]] as const) {
      const outScale = 2 ** (bits - 1 - frac) / 127; // output spans the input's real range in 8 bits
      const q = geluOutQuant(frac, outScale);
      const xs: number[] = [];
      for (let x = -(2 ** (bits - 1)); x < 2 ** (bits - 1); x += step) xs.push(x);
      xs.push(2 ** (bits - 1) - 1);
      const got = shiftGelu(xs, frac, q);
      const sOut = outScaleOf(q, 2 ** -(frac + 8));
      xs.forEach((x, i) => {
        const [lo, hi] = geluBounds(x, frac, q);
        expect(got[i]!).toBeGreaterThanOrEqual(lo);
        expect(got[i]!).toBeLessThanOrEqual(hi);
        const ref = geluRef(x * 2 ** -frac) / sOut;
        const err = Math.abs(got[i]! - ref);
        expect(err).toBeLessThanOrEqual(Math.max(Math.abs(lo - ref), Math.abs(hi - ref)));
        worstLsb = Math.max(worstLsb, err);
      });
    }
    expect(worstLsb).toBeGreaterThan(0.5); // the approximation is visible (the test can tell operators apart)
    // gap of x·σ(1.702x) to the exact (erf) GELU — the approximation I-ViT inherits — stays < 0.021
    let gap = 0;
    for (let x = -8; x <= 8; x += 1 / 64) gap = Math.max(gap, Math.abs(geluRef(x) - geluErf(x)));
    expect(gap).toBeLessThan(0.021);
  });

  it('I-LayerNorm: random, max-magnitude, all-equal (zero variance) and one-element rows inside the derived interval', () => {
    const r = new Rng(3);
    const cases: Array<{ row: number[]; eps: number }> = [];
    for (let k = 0; k < 50; k++) {
      const bits = r.pick([8, 16]);
      const n = 1 + r.int(k < 25 ? 24 : 400);
      const span = r.pick([3, 100, 2 ** (bits - 1)]);
      cases.push({ eps: r.pick([0, 1, 1000]), row: Array.from({ length: n }, () => Math.max(-(2 ** (bits - 1)), Math.min(2 ** (bits - 1) - 1, r.int(2 * span) - span))) });
    }
    cases.push({ eps: 0, row: Array(192).fill(-128) }, { eps: 5, row: Array(7).fill(31) }, { eps: 0, row: [77] });
    cases.push({ eps: 0, row: Array.from({ length: 4096 }, (_, i) => (i % 2 ? 32767 : -32768)) });
    let worst = 0;
    for (const { row, eps } of cases) {
      const n = row.length;
      const p = layerNormParams({ gamma: row.map((_, i) => 0.5 + ((i * 37) % 11) / 10), beta: row.map((_, i) => ((i % 5) - 2) / 4), epsilon: 0, inScale: 1, outScale: 1 / 16 });
      const job = { ...p, eps };
      const got = iLayerNorm(row, job);
      const { sx, d } = layerNormStats(row, eps);
      const sqrtD = Math.sqrt(Number(d));
      const Z = 2 ** LN_Z_FRAC;
      const sOut = outScaleOf(p.out, 2 ** -LN_Z_FRAC); // units of the integer γ
      row.forEach((x, i) => {
        const num = n * x - sx;
        const zRef = d === 0n ? 0 : (Z * num) / sqrtD;
        // s ∈ (sqrtD − 1, sqrtD], s ≥ 1; recip: relative (−2^-R, 0]; round ±1/2
        const sLo = Math.max(1, sqrtD - 1);
        const zs = [(Z * num) / Math.max(1, sqrtD), (Z * num) / sLo].map((v) => [v, v * (1 - 2 ** -RECIP_FRAC)]).flat();
        const zLo = Math.ceil(Math.min(...zs) - 0.5);
        const zHi = Math.floor(Math.max(...zs) + 0.5);
        const g = job.gamma[i]!;
        const [aLo, aHi] = [g * zLo + job.beta[i]!, g * zHi + job.beta[i]!].sort((a, b) => a - b);
        expect(got[i]!).toBeGreaterThanOrEqual(requantOut(aLo!, p.out));
        expect(got[i]!).toBeLessThanOrEqual(requantOut(aHi!, p.out));
        const ref = Math.max(-128, Math.min(127, (g * zRef + job.beta[i]!) * 2 ** -LN_Z_FRAC / sOut));
        if (sqrtD > 1000) worst = Math.max(worst, Math.abs(got[i]! - ref));
      });
      if (new Set(row).size === 1 && eps === 0) got.forEach((v, i) => expect(v).toBe(requantOut(job.beta[i]!, p.out))); // zero variance: β
    }
    expect(worst).toBeLessThan(1); // rows with n·σ > 1000: within one output LSB of float
  });

  it('the job encoder refuses what the unit cannot run, one line naming the field', () => {
    const q = geluOutQuant(4, 1 / 16);
    expect(() => encodeNlJob({ mode: 'shiftgelu', frac: 4, rows: [[1, 2], [3]], out: q }, 8)).toThrow(/^job\.rows\[1\]: has 1 elements, row 0 has 2$/);
    expect(() => encodeNlJob({ mode: 'shiftgelu', frac: 4, rows: [[200]], out: q }, 8)).toThrow(/^job\.rows\[0\]\[0\]: 200 is not a 8-bit signed integer$/);
    expect(() => encodeNlJob({ mode: 'shiftmax', frac: 16, rows: [[1]] }, 8)).toThrow(/^job\.frac: /);
    expect(() => encodeNlJob({ mode: 'shiftmax', frac: 1, rows: [Array(65).fill(0)] }, 8, 64)).toThrow(/outside 1\.\.64 \(the unit's maxLen\)/);
    expect(() => encodeNlJob({ mode: 'layernorm', frac: 0, rows: [[1]], out: q }, 8)).toThrow(/^job\.ln: /);
  });
});
