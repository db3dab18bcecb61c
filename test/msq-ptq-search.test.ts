/**
 * Calibration that searches (clip.ts, fit.ts) and the bit options of `accelforge quantize`.
 * Each check compares a searched result against the unsearched one measured on the same data, so a search that
 * does nothing (or does harm) fails.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';
import { searchClip } from '../src/msq/clip.js';
import { activationError, fitFilter, StatsAccumulator, STATS_MAX_K } from '../src/msq/fit.js';
import { quantizeWeights } from '../src/msq/quant.js';
import { weightDenominator } from '../src/msq/conventions.js';
import { mulberry32 } from '../src/util/random.js';
import { runCli, withTempDir } from './support/cli.js';
import { readFile } from 'node:fs/promises';

/** Σ (x − q(x))² of a uniform unsigned quantizer with top level c. */
function sse(v: Float32Array, c: number, bits: number): number {
  const L = 2 ** bits - 1;
  let e = 0;
  for (const x of v) e += (x - Math.min(L, Math.round(x / (c / L))) * (c / L)) ** 2;
  return e;
}

describe('activation clip search', () => {
  it('mse clip of a heavy-tailed tensor beats the max and lies inside it; kl gives a valid clip too', () => {
    const r = mulberry32(7);
    const v = Float32Array.from({ length: 20000 }, () => -Math.log(1 - r()) * 0.5).sort(); // exponential: long tail
    const max = v[v.length - 1]!;
    const c = searchClip(v, 4, false, 'mse');
    expect(c).toBeLessThan(max * 0.8);
    expect(sse(v, c, 4)).toBeLessThan(0.5 * sse(v, max, 4));
    const k = searchClip(v, 4, false, 'kl');
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThanOrEqual(max);
    // more bits: the optimal clip moves outward
    expect(searchClip(v, 8, false, 'mse')).toBeGreaterThan(c);
  });
});

describe('output-aware weight fit', () => {
  it('with correlated inputs, the fit has a lower output error than nearest rounding at the MSE alpha', () => {
    const r = mulberry32(3);
    const K = 18;
    const acc = new StatsAccumulator(K, 1);
    const xs: Float64Array[] = [];
    for (let s = 0; s < 600; s++) {
      const base = r();
      const x = Float64Array.from({ length: K }, (_, i) => Math.max(0, base + (i % 3) * 0.3 * r() - 0.2));
      xs.push(x);
      acc.add([x]);
    }
    const st = acc.result();
    const w = Float64Array.from({ length: K }, () => (r() - 0.5) * 0.8);
    for (const scheme of ['fixed', 'sp2'] as const) {
      const f = fitFilter(w, st.cov[0]!, st.mean[0]!, scheme, 4);
      const step = f.alpha / weightDenominator(scheme, 4);
      // plain: nearest rounding at max-abs alpha
      const mx = Math.max(...Array.from(w, Math.abs));
      const plain = quantizeWeights(w, mx, scheme, 4);
      const pstep = mx / weightDenominator(scheme, 4);
      const outErr = (vals: ArrayLike<number>, st2: number, shift: number): number => {
        let e = 0;
        for (const x of xs) {
          let d = -shift;
          for (let i = 0; i < K; i++) d += (vals[i]! * st2 - w[i]!) * x[i]!;
          e += d * d;
        }
        return e / xs.length;
      };
      const fitted = outErr(f.values, step, f.shift);
      expect(fitted, scheme).toBeLessThan(outErr(plain.values, pstep, 0));
      // the reported error is the measured one (bias correction included)
      expect(f.err).toBeCloseTo(fitted, 6);
    }
  });
});

describe('large filters and the measured output error', () => {
  it('above STATS_MAX_K the statistics are diagonal (K values), and the fit still beats the max-abs scale on them', () => {
    const r = mulberry32(5);
    const K = STATS_MAX_K + 8;
    const acc = new StatsAccumulator(K, 1);
    const scale = Float64Array.from({ length: K }, (_, i) => (i % 7 === 0 ? 3 : 0.2)); // a few loud inputs
    for (let s = 0; s < 40; s++) acc.add([Float64Array.from(scale, (c) => c * r())]);
    const st = acc.result();
    expect(st.cov[0]!.length).toBe(K);
    const w = Float64Array.from({ length: K }, () => (r() - 0.5) * (r() < 0.01 ? 4 : 1)); // outliers: max-abs wastes levels
    const f = fitFilter(w, st.cov[0]!, st.mean[0]!, 'fixed', 4);
    const mx = Math.max(...Array.from(w, Math.abs));
    const plain = quantizeWeights(w, mx, 'fixed', 4).values;
    const diagErr = (vals: ArrayLike<number>, step: number): number => st.cov[0]!.reduce((e, c, i) => e + c * (vals[i]! * step - w[i]!) ** 2, 0);
    expect(f.err).toBeCloseTo(diagErr(f.values, f.alpha / 7), 9);
    expect(f.err).toBeLessThan(diagErr(plain, mx / 7));
  });

  it('the output rule\'s measured error ignores what the ReLU clamp hides and counts what it passes', () => {
    const K = 4;
    const w = [0.5, -0.25, 0.75, 0.1];
    const q = [1, -1, 1, 0]; // step 0.6: a coarse quantization of w
    const n = 3;
    const xs = Float64Array.from([1, 0, 1, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 0, 1]);
    const pairs = { xq: xs, xf: xs, n };
    // bias -10: every output (quantized or float) is below 0 -> both clamp to 0, no error
    expect(activationError(w, -10, q, 0.6, 0, pairs, 0, 100)).toBe(0);
    // bias 0: the outputs pass; the error is the mean squared output difference
    let e = 0;
    for (let s = 0; s < n; s++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += (q[k]! * 0.6 - w[k]!) * xs[s * K + k]!;
      e += d * d;
    }
    expect(activationError(w, 0, q, 0.6, 0, pairs, -100, 100)).toBeCloseTo(e / n, 12);
  });
});

describe('quantize: bits, rules and clipping options', () => {
  const onnx = join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx');
  it('--weight-bits/--act-bits/--layer-bits set the widths; bad widths name option and layer', async () => {
    await withTempDir('bits', async (dir) => {
      const out = join(dir, 'm.q.json');
      // the bit options do not depend on the fit: one calibration (--cle off), the one-pass fit; the error cases run
      // side by side
      const x = join(dir, 'x.json');
      const [ok, bad, nol, ab, none] = await Promise.all([
        ['--calib', 'mnist', '--calib-n', '16', '--cle', 'off', '--weight-fit', 'output', '--weight-bits', '5', '--act-bits', '6', '--layer-bits', 'conv1_Conv=4/4', '-o', out],
        ['--calib', 'mnist', '--calib-n', '4', '--layer-bits', 'conv2_Conv=9/4', '-o', x],
        ['--calib', 'mnist', '--calib-n', '4', '--cle', 'off', '--layer-bits', 'nope=4/4', '-o', x],
        ['--act-bits', '1', '-o', x],
        ['--calib', 'none', '--rule', 'output', '-o', join(dir, 'free.json')],
      ].map((a) => runCli(['quantize', onnx, '--board', 'xc7z020', ...a])));
      expect(ok!.exitCode, ok!.stderr).toBe(0);
      const m = JSON.parse(await readFile(out, 'utf8')) as { layers: { name: string; op: string; filters?: { bits: number }[]; out?: { bits: number } }[] };
      const w = m.layers.filter((l) => l.filters);
      expect(w[0]!.filters![0]!.bits).toBe(4); // first layer as --layer-bits says
      expect(w[0]!.out!.bits).toBe(4);
      expect(w[1]!.filters![0]!.bits).toBe(5);
      expect(w[1]!.out!.bits).toBe(6);
      expect(w[w.length - 1]!.filters![0]!.bits).toBe(8); // last layer keeps its 8-bit default
      expect(bad!.exitCode).toBe(1);
      expect(bad!.stderr).toMatch(/--layer-bits conv2_Conv: bits must be an integer 2\.\.8, got '9'/);
      expect(nol!.stderr).toMatch(/--layer-bits: no layer 'nope'/);
      expect(ab!.stderr).toMatch(/--act-bits: bits must be an integer 2\.\.8, got '1'/);
      expect(none!.exitCode, none!.stderr).toBe(0); // data-free: the output rule runs on the analytic input statistics (datafree/ranges.ts)
    });
  });
});
