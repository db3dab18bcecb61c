import { describe, expect, it } from 'vitest';
import { levels, weightDenominator } from '../src/msq/conventions.js';
import { boardRatio, chooseSchemes, fixedCount, normalizedVariance } from '../src/msq/scheme.js';
import { mulberry32 as rng } from '../src/util/random.js';

describe('board ratios', () => {
  it('reads 1:2.2 for xc7z020 and 1:5/3 for xc7z045 from boards/*.json (the presets\' Ps / Pf: 22 / 10, 40 / 24)', () => {
    expect(boardRatio('xc7z020')).toBe(2.2);
    expect(boardRatio('xc7z045')).toBe(40 / 24);
  });
});

describe('fixed/SP2 split per layer', () => {
  // hand values: round(n / (1 + r)), halves up
  const cases: [string, number, [number, number][]][] = [
    ['xc7z020', 2.2, [[64, 20], [128, 40], [256, 80], [512, 160], [10, 3], [5, 2], [2, 1]]],
    ['xc7z045', 40 / 24, [[64, 24], [128, 48], [256, 96], [512, 192], [10, 4], [3, 1], [2, 1]]],
  ];
  for (const [board, r, rows] of cases) {
    it(`${board} (r = ${r})`, () => {
      expect(boardRatio(board)).toBe(r);
      for (const [n, k] of rows) {
        expect(fixedCount(n, boardRatio(board))).toBe(k);
        const rand = rng(n);
        const filters = Array.from({ length: n }, () => Array.from({ length: 9 }, () => rand() - 0.5));
        for (const rule of ['variance', 'error'] as const) {
          const s = chooseSchemes(filters, { rule, ratio: r });
          expect(s.filter((x) => x === 'fixed').length).toBe(k);
          expect(s.filter((x) => x === 'sp2').length).toBe(n - k);
        }
      }
    });
  }

  it('rounds halves up and rejects a ratio that cannot be met', () => {
    expect(fixedCount(5, 1)).toBe(3); // 2.5 -> 3
    expect(fixedCount(3, 5)).toBe(1); // 0.5 -> 1
    expect(() => fixedCount(4, 10, 'layers[3] (conv)')).toThrow(/^layers\[3\] \(conv\): ratio 1:10 cannot be met with 4 filters/);
    expect(() => fixedCount(8, -1)).toThrow(/ratio must be a finite number >= 0/);
    expect(() => fixedCount(8, NaN)).toThrow(/ratio/);
    expect(fixedCount(8, 0)).toBe(8); // r = 0: all fixed is what was asked
  });

  it('all-fixed and all-SP2 rules ignore the ratio', () => {
    const f = [[1, 2], [3, 4], [5, 6]];
    expect(chooseSchemes(f, { rule: 'fixed', ratio: 99 })).toEqual(['fixed', 'fixed', 'fixed']);
    expect(chooseSchemes(f, { rule: 'sp2', ratio: 99 })).toEqual(['sp2', 'sp2', 'sp2']);
  });
});

describe('variance rule', () => {
  it('gives fixed to the filters with the largest variance of w / max|w|', () => {
    // normalized variances by hand: [1,-1,1,-1] -> 1;  [1,0,0,0] -> 0.1875;  [2,1,-1,-2] (/2) -> 0.625;
    // [0.1,0.1,0.1,1] -> mean .325, E[x^2] .2575, var .151875;  [3,3,3,3] -> 0
    const f = [[1, -1, 1, -1], [1, 0, 0, 0], [2, 1, -1, -2], [0.1, 0.1, 0.1, 1], [3, 3, 3, 3]];
    expect(normalizedVariance(f[0]!)).toBeCloseTo(1, 12);
    expect(normalizedVariance(f[1]!)).toBeCloseTo(0.1875, 12);
    expect(normalizedVariance(f[2]!)).toBeCloseTo(0.625, 12);
    expect(normalizedVariance(f[3]!)).toBeCloseTo(0.151875, 12);
    expect(normalizedVariance(f[4]!)).toBe(0);
    // r = 1.5: round(5 / 2.5) = 2 fixed -> filters 0 and 2
    expect(chooseSchemes(f, { rule: 'variance', ratio: 1.5 })).toEqual(['fixed', 'sp2', 'fixed', 'sp2', 'sp2']);
    // r = 0.25: round(4) = 4 fixed -> all but the lowest variance (filter 4)
    expect(chooseSchemes(f, { rule: 'variance', ratio: 0.25 })).toEqual(['fixed', 'fixed', 'fixed', 'fixed', 'sp2']);
  });

  it('is scale invariant per filter', () => {
    const f = [[1, -1, 1, -1], [0.01, 0, 0, 0]];
    const g = [[100, -100, 100, -100], [5, 0, 0, 0]];
    expect(chooseSchemes(f, { rule: 'variance', ratio: 1 })).toEqual(chooseSchemes(g, { rule: 'variance', ratio: 1 }));
  });
});

describe('error rule', () => {
  it('gives fixed to filters lying on fixed levels and SP2 to filters lying on SP2 levels', () => {
    const r = rng(4);
    const onLevels = (scheme: 'fixed' | 'sp2'): number[] => {
      const lv = levels(scheme, 4);
      const d = weightDenominator(scheme, 4);
      const vals = Array.from({ length: 64 }, () => lv[Math.floor(r() * lv.length)]!.value / d);
      vals[0] = 1; // uses the top level, so max-abs alpha is exact
      // values only SP2 (or only fixed) can hit exactly
      if (scheme === 'sp2') vals.push(5 / 8, -5 / 8, 1 / 8);
      else vals.push(3 / 7, -3 / 7, 1 / 7);
      return vals;
    };
    const f = [onLevels('sp2'), onLevels('fixed'), onLevels('sp2'), onLevels('fixed')];
    expect(chooseSchemes(f, { rule: 'error', ratio: 1, bits: 4 })).toEqual(['sp2', 'fixed', 'sp2', 'fixed']);
    // precomputed MSEs are used as given
    expect(chooseSchemes(f, { rule: 'error', ratio: 1, mse: { fixed: [0, 1, 0, 1], sp2: [1, 0, 1, 0] } })).toEqual(['fixed', 'sp2', 'fixed', 'sp2']);
  });
});
