/**
 * The mixed-precision planner (src/msq/plan): the reverse-mode gradients against finite differences, the DP front
 * against brute force, the knee, the plan of a small residual model priced by the real compiler and cycle model
 * (additive estimate vs the whole program, constraints, the closest-point error) and `msq plan --json` on a zoo model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatShapes, runFloat } from '../src/msq/float.js';
import type { FloatModel } from '../src/msq/model.js';
import { backprop } from '../src/msq/plan/grad.js';
import { kneeIndex, paretoSum, type Objectives } from '../src/msq/plan/front.js';
import { buildSpace } from '../src/msq/plan/space.js';
import { generatedSamples } from '../src/msq/plan/samples.js';
import { planModel } from '../src/msq/plan/index.js';
import { mulberry32 } from '../src/util/random.js';
import { randn, tinyModel } from './support/plan-tiny.js';
import { runCli, withTempDir } from './support/cli.js';
import { PROJECT_ROOT } from '../src/version.js';

/** Cross-entropy at the unperturbed model's top-1 class. */
function loss(m: FloatModel, x: Float64Array, label: number): number {
  const y = runFloat(m, x).output;
  const mx = Math.max(...y);
  return Math.log(y.reduce((a, v) => a + Math.exp(v - mx), 0)) + mx - y[label]!;
}

describe('msq plan', () => {
  it('reverse-mode gradients equal central finite differences (every op of the tiny model, weights and input)', () => {
    const m = tinyModel();
    const x = randn(72, 1);
    const r = runFloat(m, x, { keepAll: true });
    const label = r.output.indexOf(Math.max(...r.output));
    const g = backprop(m, floatShapes(m), r.tensors!);
    const h = 1e-6;
    let checked = 0;
    /** central difference of the loss in a[k] against the analytic gradient g[k] */
    const check = (a: Float64Array, g: Float64Array, k: number, what: string): void => {
      const a0 = a[k]!;
      a[k] = a0 + h;
      const up = loss(m, x, label);
      a[k] = a0 - h;
      const dn = loss(m, x, label);
      a[k] = a0;
      expect(g[k]!, what).toBeCloseTo((up - dn) / (2 * h), 5);
      checked++;
    };
    for (const l of m.layers) {
      if (l.op !== 'conv2d' && l.op !== 'linear') continue;
      const w = l.weight as Float64Array;
      for (let k = 0; k < w.length; k += Math.max(1, Math.floor(w.length / 7))) check(w, g.weight.get(l.name)!, k, `${l.name}[${k}]`);
    }
    for (let k = 0; k < x.length; k += 9) check(x, g.act.get('input')!, k, `input[${k}]`);
    expect(checked).toBeGreaterThan(20);
    expect([...g.weight.values()].every((a) => a.some((v) => v !== 0))).toBe(true);
  });

  it('the DP front over units equals the brute-force Pareto front of all combinations (exact pruning)', () => {
    const r = mulberry32(3);
    const units: Objectives[][] = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => ({ p: r(), s: Math.floor(r() * 8), c: Math.floor(r() * 10) })));
    const all: Objectives[] = [];
    const rec = (u: number, acc: Objectives): void => {
      if (u === units.length) return void all.push(acc);
      for (const o of units[u]!) rec(u + 1, { p: acc.p + o.p, s: acc.s + o.s, c: acc.c + o.c });
    };
    rec(0, { p: 0, s: 0, c: 0 });
    const dom = (a: Objectives, b: Objectives) => a.p <= b.p && a.s <= b.s && a.c <= b.c && (a.p < b.p || a.s < b.s || a.c < b.c);
    const brute = all.filter((x) => !all.some((y) => dom(y, x)));
    const { front, eps } = paretoSum(units, { cap: 10000 });
    expect(eps).toBe(0);
    const key = (x: Objectives) => `${x.p.toFixed(9)}|${x.s}|${x.c}`;
    expect(new Set(front.map(key))).toEqual(new Set(brute.map(key)));
    // the knee of a symmetric L-shaped front is its corner
    expect(kneeIndex([{ p: 0, s: 10, c: 10 }, { p: 1, s: 1, c: 1 }, { p: 10, s: 0, c: 0 }])).toBe(1);
  });

  it('plans a small residual model on xc7z020: units, pick on the front, additive cycles vs the whole program, constraints', () => {
    const m = tinyModel();
    const space = buildSpace(m);
    // c1 reads the input; c2 reads r1 (also the add's other operand); c3 reads the add's fused relu through the maxpool
    expect(space.units.map((u) => [u.source, u.layers])).toEqual([['input', ['c1']], ['r1', ['c2']], ['r2', ['c3']], ['gap', ['fc']]]);
    const samples = generatedSamples(m, 4);
    const r = planModel(m, { board: 'xc7z020', samples });
    expect(r.front.length).toBeGreaterThan(3);
    expect(r.front).toContainEqual(r.pick);
    for (const p of r.front) {
      expect(Object.keys(p.layers)).toEqual(['c1', 'c2', 'c3', 'fc']);
      expect(p.layers.c1!.a).toBe(8);
    }
    // 4-bit activations let SP2 filters use the SP2 lanes, at A8 they all run on the fixed lanes: different programs
    // (since fixed-only passes of max(steps, ceil(Pf / Rq)) cycles and jobs without an SP2 weight section (noSp2),
    // this tiny model's A8 program is the faster one: 1327 against 1467 cycles by the full compile)
    expect(r.uniform.sp24a4!).not.toBe(r.uniform.sp24a8!);
    expect(Math.abs(r.pickAdditiveCycles - r.pick.cycles) / r.pick.cycles).toBeLessThan(0.1);
    const fastest = Math.min(...r.front.map((p) => p.ms));
    const tight = planModel(m, { board: 'xc7z020', samples, maxMs: fastest * 1.0001 });
    expect(tight.pick.ms).toBeLessThanOrEqual(fastest * 1.0001);
    expect(() => planModel(m, { board: 'xc7z020', samples, maxMs: fastest / 2 })).toThrow(/--max-ms .* no configuration meets it; the closest point: .* ms/);
  });

  it('msq plan --json writes {front, pick} for a zoo model', async () => {
    await withTempDir('htq-', async (dir) => {
      const out = join(dir, 'plan.json');
      const r = await runCli(['msq', 'plan', join(PROJECT_ROOT, 'models/zoo/plain-mnist.onnx'), '--board', 'xc7z045', '--calib', 'none', '--json', out]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/pick \(knee\)/);
      const j = JSON.parse(readFileSync(out, 'utf8'));
      expect(Object.keys(j)).toEqual(['front', 'pick']);
      expect(Object.keys(j.pick)).toEqual(['layers', 'perturbation', 'sizeBytes', 'cycles', 'ms', 'bops']);
      expect(j.front).toContainEqual(j.pick);
      const bad = await runCli(['msq', 'plan', join(PROJECT_ROOT, 'models/zoo/plain-mnist.onnx'), '--board', 'xc7z045', '--calib', 'none', '--max-kb', '0.01']);
      expect(bad.exitCode).not.toBe(0);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/--max-kb 0.01.*closest point/);
    });
  }, 60_000);
});
