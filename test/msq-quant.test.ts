import { describe, expect, it } from 'vitest';
import {
  chooseMultiplier,
  codeRange,
  decodeSp2,
  levels,
  requantize,
  addRequantize,
  sp2Shift,
  sp2Split,
  weightDenominator,
  weightValue,
  type Scheme,
} from '../src/msq/conventions.js';
import { bestAlpha, detectOnLevels, quantizeWeights, quantMse } from '../src/msq/quant.js';
import { mulberry32 as rng } from '../src/util/random.js';

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/** Real SP2 magnitudes straight from the definition: q1 + q2, q1 in {0, 2^-1..2^-(2^m1-1)}, q2 likewise. */
function sp2RealMagnitudes(m: number): number[] {
  const m1 = Math.ceil((m - 1) / 2);
  const m2 = m - 1 - m1;
  const q = (bits: number): number[] => [0, ...Array.from({ length: 2 ** bits - 1 }, (_, j) => 2 ** -(j + 1))];
  const set = new Set<number>();
  for (const a of q(m1)) for (const b of q(m2)) set.add(a + b);
  return [...set].sort((x, y) => x - y);
}

describe('fixed levels', () => {
  for (let m = 2; m <= 8; m++) {
    it(`${m}-bit: 2^m - 1 symmetric integer levels, codes equal values`, () => {
      const lv = levels('fixed', m);
      const q = 2 ** (m - 1) - 1;
      expect(lv.length).toBe(2 * q + 1);
      expect(lv.map((l) => l.value)).toEqual(Array.from({ length: 2 * q + 1 }, (_, i) => i - q));
      for (const l of lv) expect(l.code).toBe(l.value);
      expect(codeRange('fixed', m)).toEqual([-q, q]);
      expect(weightDenominator('fixed', m)).toBe(q);
    });
  }
});

describe('SP2 levels', () => {
  it('4-bit magnitudes are exactly {0, 1/8, 1/4, 1/2, 5/8, 3/4, 1}', () => {
    const lv = levels('sp2', 4);
    const d = weightDenominator('sp2', 4);
    expect(d).toBe(8);
    const mags = lv.filter((l) => l.value >= 0).map((l) => l.value / d);
    expect(mags).toEqual([0, 1 / 8, 1 / 4, 1 / 2, 5 / 8, 3 / 4, 1]);
    expect(lv.length).toBe(13);
    expect(sp2Split(4)).toEqual({ m1: 2, m2: 1 });
  });

  for (let m = 3; m <= 8; m++) {
    it(`${m}-bit: levels = ±(q1 + q2) from the definition, symmetric, canonical codes decode to them`, () => {
      const lv = levels('sp2', m);
      const d = weightDenominator('sp2', m);
      const real = sp2RealMagnitudes(m);
      const mags = lv.filter((l) => l.value >= 0).map((l) => l.value / d);
      expect(mags).toEqual(real);
      expect(lv.length).toBe(2 * real.length - 1);
      const values = lv.map((l) => l.value);
      expect(values).toEqual([...values].map((v) => 0 - v).reverse());
      for (const l of lv) {
        expect(weightValue('sp2', m, l.code)).toBe(l.value);
        const f = decodeSp2(l.code, m);
        expect(f.sign).toBe(l.value < 0 ? 1 : 0);
        if (l.value === 0) expect(l.code).toBe(0);
      }
      // every bit pattern is a valid code and decodes onto the level set
      const set = new Set(values);
      for (let c = 0; c < 2 ** m; c++) expect(set.has(weightValue('sp2', m, c) || 0)).toBe(true);
      const [lo, hi] = codeRange('sp2', m);
      expect([lo, hi]).toEqual([0, 2 ** m - 1]);
    });
  }

  it('the SP2 product is two shifts and an add: a*w = ±((a<<s1) + (a<<s2))', () => {
    const r = rng(7);
    for (let m = 3; m <= 8; m++) {
      for (let code = 0; code < 2 ** m; code++) {
        const { sign, e1, e2 } = decodeSp2(code, m);
        const s1 = sp2Shift(e1, m);
        const s2 = sp2Shift(e2, m);
        for (let t = 0; t < 4; t++) {
          const a = Math.floor(r() * 256) - 128;
          const sum = (s1 >= 0 ? a << s1 : 0) + (s2 >= 0 ? a << s2 : 0);
          expect((sign ? -sum : sum) + 0).toBe(a * weightValue('sp2', m, code) + 0);
        }
      }
    }
  });

  it('4-bit code layout is [sign | e1(2) | e2(1)]', () => {
    // 0b0 01 1: q1 = 1/2, q2 = 1/2 -> 1.0 -> integer 8
    expect(weightValue('sp2', 4, 0b0011)).toBe(8);
    // 0b1 11 0: -(1/8) -> -1
    expect(weightValue('sp2', 4, 0b1110)).toBe(-1);
    // 0b0 10 1: 1/4 + 1/2 -> 6
    expect(weightValue('sp2', 4, 0b0101)).toBe(6);
    // 0b0 11 1: 1/8 + 1/2 -> 5
    expect(weightValue('sp2', 4, 0b0111)).toBe(5);
    expect(weightValue('sp2', 4, 0b1000)).toBe(0); // negative zero decodes to 0
  });
});

describe('nearest-level rounding', () => {
  it('matches a brute-force search over all levels, ties to the smaller magnitude', () => {
    const r = rng(3);
    for (const scheme of ['fixed', 'sp2'] as Scheme[]) {
      for (let m = scheme === 'fixed' ? 2 : 3; m <= 8; m++) {
        const lv = levels(scheme, m);
        const d = weightDenominator(scheme, m);
        // alpha = d * 2^-3: real/level conversions are exact, so the midpoints below are exact ties
        const alpha = d / 8;
        const w = Array.from({ length: 300 }, () => (r() * 2.4 - 1.2) * alpha);
        for (let i = 0; i + 1 < lv.length; i++) w.push(((lv[i]!.value + lv[i + 1]!.value) / 2) * (alpha / d));
        const q = quantizeWeights(w, alpha, scheme, m);
        w.forEach((x, i) => {
          let best = lv[0]!.value;
          let bestD = Infinity;
          for (const l of lv) {
            const dd = Math.abs(x - (l.value * alpha) / d);
            if (dd < bestD || (dd === bestD && Math.abs(l.value) < Math.abs(best))) {
              best = l.value;
              bestD = dd;
            }
          }
          expect(q.values[i]).toBe(best);
          expect(weightValue(scheme, m, q.codes[i]!)).toBe(best);
        });
      }
    }
  });
});

describe('alpha search', () => {
  it('is never worse than max-abs scaling (random filters, every scheme and width)', () => {
    const r = rng(11);
    for (const scheme of ['fixed', 'sp2'] as Scheme[]) {
      for (let m = scheme === 'fixed' ? 2 : 3; m <= 8; m++) {
        for (let t = 0; t < 12; t++) {
          const spread = 0.01 + r();
          const kind = t % 3;
          const w = Array.from({ length: 9 + Math.floor(r() * 200) }, () =>
            kind === 0 ? gauss(r) * spread : kind === 1 ? (r() * 2 - 1) * spread : Math.sign(r() - 0.5) * -Math.log(r() + 1e-9) * spread,
          );
          const res = bestAlpha(w, scheme, m, { grid: 16, refine: 10 });
          const mx = Math.max(...w.map(Math.abs));
          const maxAbsMse = quantMse(w, mx, scheme, m);
          expect(res.mse).toBeLessThanOrEqual(maxAbsMse);
          expect(res.mseMaxAbs).toBeCloseTo(maxAbsMse, 15);
          expect(res.alpha).toBeGreaterThanOrEqual(0.5 * mx - 1e-12);
          expect(res.alpha).toBeLessThanOrEqual(mx + 1e-12);
          // the reported codes are the nearest-level codes for the chosen alpha
          const q = quantizeWeights(w, res.alpha, scheme, m);
          expect(Array.from(res.codes)).toEqual(Array.from(q.codes));
        }
      }
    }
  });

  it('beats max-abs on Gaussian weights at 4 bits (outliers make max-abs coarse)', () => {
    const r = rng(5);
    const w = Array.from({ length: 2000 }, () => gauss(r));
    for (const scheme of ['fixed', 'sp2'] as Scheme[]) {
      const res = bestAlpha(w, scheme, 4);
      expect(res.mse).toBeLessThan(res.mseMaxAbs * 0.95);
    }
  });

  it('gives alpha 1 and zero codes for an all-zero filter; rejects NaN', () => {
    const res = bestAlpha([0, 0, 0], 'sp2', 4);
    expect(res.alpha).toBe(1);
    expect(Array.from(res.values)).toEqual([0, 0, 0]);
    expect(() => bestAlpha([0.1, NaN], 'fixed', 4)).toThrow(/weights\[1\]/);
  });
});

describe('weights already on levels (QAT)', () => {
  it('recovers exactly the codes and alpha for every scheme and width (float32 weights)', () => {
    const r = rng(21);
    for (const scheme of ['fixed', 'sp2'] as Scheme[]) {
      for (let m = scheme === 'fixed' ? 2 : 3; m <= 8; m++) {
        const lv = levels(scheme, m);
        const d = weightDenominator(scheme, m);
        for (let t = 0; t < 5; t++) {
          const alpha = 0.05 + r();
          const idx = Array.from({ length: 40 }, () => Math.floor(r() * lv.length));
          idx[0] = lv.length - 1; // the largest level is used (as a max-abs clipped QAT filter does)
          const vals = idx.map((i) => lv[i]!.value);
          const w = Float32Array.from(vals.map((v) => (v * alpha) / d));
          const got = detectOnLevels(w, scheme, m);
          expect(got).not.toBeNull();
          expect(Array.from(got!.values)).toEqual(vals);
          expect(Array.from(got!.codes)).toEqual(idx.map((i) => lv[i]!.code));
          expect(got!.alpha).toBeCloseTo(alpha, 5);
        }
      }
    }
  });

  it('returns null for weights that are not on the levels', () => {
    const r = rng(22);
    const w = Array.from({ length: 50 }, () => gauss(r));
    expect(detectOnLevels(w, 'fixed', 4)).toBeNull();
    expect(detectOnLevels(w, 'sp2', 4)).toBeNull();
    // on fixed levels but not on SP2 levels: 3/7 is not a sum of two powers of two times 7/8-ish scales
    const fx = [7, 3, -5, 1, 6].map((k) => k / 7);
    expect(detectOnLevels(fx, 'fixed', 4)).not.toBeNull();
    expect(detectOnLevels(fx, 'sp2', 4)).toBeNull();
  });
});

describe('requantization', () => {
  const ref = (acc: number, m: number, s: number, lo: number, hi: number): number => {
    const y = Number((BigInt(acc) * BigInt(m) + (1n << BigInt(s - 1))) >> BigInt(s));
    return Math.min(hi, Math.max(lo, y));
  };

  it('rounds half toward +infinity (hand values)', () => {
    // M/2^S = 1/2
    expect(requantize(1, 1, 1, -100, 100)).toBe(1); // 0.5 -> 1
    expect(requantize(-1, 1, 1, -100, 100)).toBe(0); // -0.5 -> 0
    expect(requantize(3, 1, 1, -100, 100)).toBe(2); // 1.5 -> 2
    expect(requantize(-3, 1, 1, -100, 100)).toBe(-1); // -1.5 -> -1
    expect(requantize(-5, 3, 2, -100, 100)).toBe(-4); // -15/4 = -3.75 -> -4
    expect(requantize(1000, 1, 1, -8, 7)).toBe(7);
    expect(requantize(-1000, 1, 1, -8, 7)).toBe(-8);
    expect(addRequantize(3, 1, -4, 1, 1, -100, 100)).toBe(0); // (-1 + 1) >> 1 = 0  (-0.5 -> 0)
    expect(addRequantize(3, 2, 2, 3, 2, -100, 100)).toBe(3); // (6 + 6 + 2) >> 2 = 3
  });

  it('is exact for products beyond 2^53 (BigInt reference, random)', () => {
    const r = rng(9);
    for (let t = 0; t < 3000; t++) {
      const acc = Math.floor((r() * 2 - 1) * 2 ** (10 + r() * 42));
      const m = Math.floor(r() * 2 ** 31);
      const s = 1 + Math.floor(r() * 62);
      expect(requantize(acc, m, s, -(2 ** 40), 2 ** 40)).toBe(ref(acc, m, s, -(2 ** 40), 2 ** 40));
    }
    // exact ties at large magnitude
    for (let t = 0; t < 200; t++) {
      const s = 20 + Math.floor(r() * 30);
      const m = 2 ** 30 + 1;
      const acc = (Math.floor(r() * 2 ** 20) * 2 + 1) * 2 ** (s - 31) ;
      if (Number.isSafeInteger(acc)) expect(requantize(acc, m, s, -(2 ** 52), 2 ** 52)).toBe(ref(acc, m, s, -(2 ** 52), 2 ** 52));
    }
  });

  it('chooseMultiplier keeps M in [2^30, 2^31) with relative error below 2^-30', () => {
    const r = rng(1);
    for (let t = 0; t < 500; t++) {
      const f = 2 ** (r() * 40 - 30);
      const { M, S } = chooseMultiplier(f);
      expect(M).toBeGreaterThanOrEqual(2 ** 30);
      expect(M).toBeLessThan(2 ** 31);
      expect(Math.abs(M / 2 ** S - f) / f).toBeLessThan(2 ** -30);
    }
    expect(() => chooseMultiplier(2 ** 31, 'layers[2]')).toThrow(/layers\[2\]/);
    expect(() => chooseMultiplier(NaN)).toThrow(/finite/);
  });
});
