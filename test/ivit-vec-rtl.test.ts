/**
 * The nonlinear vector (src/msq/ivit/rtl/vec.ts: P nonlinear units, row-parallel) against the golden operators: jobs
 * of all three modes with row counts that are and are not multiples of P (padding lanes) bit-exact in Verilator under
 * random valid/ready stalls (one job of each mode in Icarus too); an unstalled run takes the vector's cycle formula (nlVecJobCycles); the dealt result
 * beats read back (nlVecRows) are the golden rows. A tiny ViT block's nonlinear steps (nlStepJob: its I-LayerNorms,
 * Shiftmax, ShiftGELU cut to the row buffer) through the vector give the golden model's tensors.
 */
import { describe, expect, it } from 'vitest';
import { geluOutQuant, layerNormParams, runNlJob, type NlJob } from '../src/msq/ivit/index.js';
import { encodeNlVecJob, generateNlVec, nlVecJobBeats, nlVecJobCycles, nlVecRows } from '../src/msq/ivit/rtl/index.js';
import { moduleDesign } from '../src/sim/design.js';
import { runStreams, type Beat } from '../src/sim/index.js';
import { Rng } from './hdl-util.js';
import { runGolden } from '../src/msq/golden.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { mulberry32 } from '../src/util/random.js';
import { vitBlockModel } from '../src/msq/vit/block-model.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit } from '../src/msq/vit/lower.js';
import { nlStepJob } from '../src/msq/vit/nl-jobs.js';

const CFG = { unit: { inBits: 16, maxLen: 16 }, lanes: 3 };

function jobs(seed: number, count: number): NlJob[] {
  const r = new Rng(seed);
  const out: NlJob[] = [];
  for (let k = 0; k < count; k++) {
    const mode = (['shiftmax', 'shiftgelu', 'layernorm'] as const)[k % 3]!;
    const n = 1 + r.int(CFG.unit.maxLen);
    const rows = Array.from({ length: 1 + r.int(7) }, () => Array.from({ length: n }, () => r.int(2 ** r.pick([8, 16])) - 2 ** 15));
    const frac = r.int(16);
    if (mode === 'shiftmax') out.push({ mode, frac, rows });
    else if (mode === 'shiftgelu') out.push({ mode, frac, rows, out: geluOutQuant(frac, 2 ** (15 - frac) / 127, 8, r.chance(0.8)) });
    else {
      const p = layerNormParams({ gamma: Array.from({ length: n }, () => r.int(200) / 100 - 1), beta: Array.from({ length: n }, () => r.int(9) - 4), epsilon: 0, inScale: 1, outScale: 1 / 16, bits: 8, signed: true });
      out.push({ mode, frac: 0, rows, out: p.out, ln: { ...p, eps: r.pick([0, 5]) } });
    }
  }
  return out;
}

function streams(js: NlJob[]): { words: Beat[]; expected: Beat[] } {
  return { words: js.flatMap((j) => encodeNlVecJob(j, CFG).map((data) => ({ data }))), expected: js.flatMap((j) => nlVecJobBeats(j, CFG)) };
}

describe('I-ViT nonlinear vector RTL', () => {
  const rtl = generateNlVec(CFG);
  const design = moduleDesign(rtl.module);

  it('is bit-exact against the golden operators in Verilator under random stalls; unstalled cycles = nlVecJobCycles', async () => {
    const js = jobs(1, 9);
    const { words, expected } = streams(js);
    const res = await runStreams(design, { inputs: { s_in: words }, expected: { m_out: expected }, validProb: 0.7, readyProb: 0.5, seed: 4 });
    expect(res.outputs.m_out!.length).toBe(expected.length);
    // the beats read back are the golden rows, padding dropped
    let at = 0;
    for (const j of js) {
      const beats = nlVecJobBeats(j, CFG).length;
      expect(nlVecRows(j, CFG, res.outputs.m_out!.slice(at, at + beats).map((b) => b.data))).toEqual(runNlJob(j));
      at += beats;
    }
    const fast = await runStreams(design, { inputs: { s_in: words }, expected: { m_out: expected } });
    expect(fast.cycleCount).toBe(js.reduce((a, j) => a + nlVecJobCycles(j, CFG), 0));
  }, 300_000);

  it('one job of each mode is bit-exact in Icarus under random stalls', async () => {
    const { words, expected } = streams(jobs(6, 3));
    const res = await runStreams(design, { sim: 'icarus', inputs: { s_in: words }, expected: { m_out: expected }, validProb: 0.8, readyProb: 0.6, seed: 2 });
    expect(res.outputs.m_out!.length).toBe(expected.length);
  }, 300_000);

  it("a tiny ViT block's nonlinear steps through the vector (Verilator, stalls) give the golden model's tensors", async () => {
    const fm = vitBlockModel({ channels: 1, image: 8, patch: 4, dim: 16, heads: 2, mlp: 32, classes: 4 }, 3);
    const r = mulberry32(9);
    const qm = quantizeVit(fm, Array.from({ length: 4 }, () => Float64Array.from({ length: 64 }, () => r())), { linears: 'int8' });
    const p = { ...lowerVit(qm, smallCoreConfig()), nl: CFG.unit };
    const g = runGolden(qm, Int32Array.from({ length: 64 }, () => Math.floor(r() * 256)), { dump: true });
    const t = new Map([...g.tensors!].map(([k, v]) => [k, v.data] as const));
    const steps = p.steps.filter((s) => s.kind === 'nl');
    expect(steps.map((s) => s.mode).sort()).toEqual(['gelu', 'layernorm', 'layernorm', 'layernorm', 'softmax']);
    const nj = steps.map((s) => nlStepJob(p, s, t));
    const { words, expected } = streams(nj.map((x) => x.job));
    const res = await runStreams(design, { inputs: { s_in: words }, expected: { m_out: expected }, validProb: 0.6, readyProb: 0.7, seed: 8 });
    let at = 0;
    nj.forEach((x, i) => {
      const beats = nlVecJobBeats(x.job, CFG).length;
      const got = x.tensor(nlVecRows(x.job, CFG, res.outputs.m_out!.slice(at, at + beats).map((b) => b.data)));
      expect(Array.from(got), steps[i]!.layer).toEqual(Array.from(g.tensors!.get(steps[i]!.layer)!.data));
      at += beats;
    });
  }, 300_000);
});
