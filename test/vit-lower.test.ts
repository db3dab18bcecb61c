/**
 * The transformer path on the MSQ core: the small ViT (I-ViT INT8) lowered to core jobs and run job by job through
 * the core's interpreter equals the golden model tensor for tensor; the whole small ViT (MSQ-4) has all its core jobs
 * bit-exact in one Verilator run with random stalls (head 0's attention jobs also in Icarus); a tiny encoder block (dim 16, 2 heads, 5 tokens)
 * has every core job — patch conv, linears, and the attention matmuls whose filters are built at run time from the
 * K / V tensors — bit-exact in Verilator against the golden model with random stalls on every stream; the INT8 and
 * MSQ-4 golden models agree with float; a sequence that does not fit the banks is refused in one line naming the head.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/util/errors.js';
import { mulberry32 } from '../src/util/random.js';
import { PROJECT_ROOT } from '../src/version.js';
import { runStreams } from '../src/sim/index.js';
import { loadCalibSet, loadEvalSet } from '../src/data/datasets.js';
import { runFloat } from '../src/msq/float.js';
import { argmax, runGolden } from '../src/msq/golden.js';
import { parseQuantModel, type FloatModel } from '../src/msq/model.js';
import { importOnnx } from '../src/msq/onnx.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { coreStreams } from '../src/msq/core/compile.js';
import { runJob } from '../src/msq/core/interp.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { quantizeVit } from '../src/msq/vit/quantize.js';
import { lowerVit } from '../src/msq/vit/lower.js';
import { executeVit, vitStimulus } from '../src/msq/vit/execute.js';
import { vitBlockModel } from '../src/msq/vit/block-model.js';

/** The core of test/msq-core-rtl.test.ts (same configuration: the Verilator build is shared through the cache). */
const cfg = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });

const { model: small } = importOnnx(readFileSync(join(PROJECT_ROOT, 'models', 'vit', 'vit-fashion.op17.onnx')), 'vit.onnx');
const calib = loadCalibSet('fashion-mnist', 8).images.map((im) => Float64Array.from(im, (p) => p / 255));

/** A tiny ViT: 8x8 image, patch 4 (4 tokens + class token), dim 16, 2 heads of 8, MLP 32, 4 classes; seeded weights. */
const tinyVit = (seed: number): FloatModel => vitBlockModel({ channels: 1, image: 8, patch: 4, dim: 16, heads: 2, mlp: 32, classes: 4 }, seed);

describe('ViT on the MSQ core', () => {
  it('the small ViT (INT8) run job by job on the core interpreter equals the golden model in every tensor', async () => {
    const qm = quantizeVit(small, calib, { linears: 'int8' });
    const p = lowerVit(qm, cfg);
    const kinds = new Set(p.steps.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['core', 'host', 'nl', 'runtime']);
    const x = Int32Array.from(loadEvalSet('fashion-mnist', undefined, 1).images[0]!);
    const g = runGolden(qm, x, { dump: true });
    const t = await executeVit(p, x, (w, a, r) => runJob(cfg, w, a, r));
    for (const [name, v] of g.tensors!) expect(Array.from(t.get(name)!), name).toEqual(Array.from(v.data));
  });

  it('the whole small ViT (MSQ-4 linears): all its core jobs bit-exact in Verilator with stalls; Icarus on one head of Q.K^T and A.V', async () => {
    const qm = quantizeVit(small, calib, { linears: 'msq4' });
    const p = lowerVit(qm, cfg);
    const x = Int32Array.from(loadEvalSet('fashion-mnist', undefined, 2).images[1]!);
    const g = runGolden(qm, x, { dump: true });
    const { jobs, stim } = vitStimulus(p, g.tensors!);
    // every step that is not a nonlinear / host step has its jobs in the run: 2 blocks x (qkv, 2 x qk, 2 x av, proj, fc1, fc2) + patch + head
    expect(new Set(jobs.map((j) => j.spec.name.replace(/\.h\d+.*$|[.#].*$/, ''))).size).toBeGreaterThanOrEqual(10);
    const streams = coreStreams(stim);
    const design = coreSimDesign(generateCore(cfg));
    // runStreams compares every m_out beat with the golden one (throws on the first mismatch)
    const res = await runStreams(design, { ...streams, seed: 7, validProb: { s_wgt: 0.7, s_act: 0.6, s_res: 0.5 }, readyProb: 0.6, maxCycles: 20_000_000 });
    expect(res.outputs.m_out!.length).toBe(streams.expected.m_out.length);
    const head0 = stim.filter((_, i) => /\.h0/.test(jobs[i]!.spec.name) && jobs[i]!.spec.layer === p.steps.find((s) => s.kind === 'runtime')!.layer);
    const head0av = stim.filter((_, i) => /\.h0/.test(jobs[i]!.spec.name) && jobs[i]!.spec.layer === p.steps.filter((s) => s.kind === 'runtime')[2]!.layer);
    const sub = coreStreams([...head0, ...head0av]);
    expect(sub.expected.m_out.length).toBeGreaterThan(0);
    await runStreams(design, { ...sub, sim: 'icarus', seed: 3, validProb: 0.7, readyProb: 0.6, maxCycles: 2_000_000 });
  }, 300_000);

  it('a tiny encoder block: every core job (linears, Q.K^T and A.V with run-time filters) bit-exact in Verilator with stalls', async () => {
    const fm = tinyVit(3);
    const r = mulberry32(9);
    const images = Array.from({ length: 6 }, () => Float64Array.from({ length: 64 }, () => r()));
    const qm = parseQuantModel(JSON.parse(JSON.stringify(quantizeVit(fm, images, { linears: 'int8' }))));
    const p = lowerVit(qm, cfg);
    const x = Int32Array.from({ length: 64 }, () => Math.floor(r() * 256));
    const g = runGolden(qm, x, { dump: true });
    const { jobs, stim } = vitStimulus(p, g.tensors!);
    const runtime = p.steps.filter((s) => s.kind === 'runtime');
    expect(runtime.length).toBe(4);
    // the run-time filters are the operand's values, not the template's placeholders
    const tmpl = runtime[0]!.kind === 'runtime' ? runtime[0]!.jobs[0]! : undefined;
    const live = jobs.find((j) => j.spec.layer === 'qk')!;
    expect(live.spec.fixedWords).not.toEqual(tmpl!.spec.fixedWords);
    const streams = coreStreams(stim);
    const res = await runStreams(coreSimDesign(generateCore(cfg)), {
      ...streams, seed: 5, validProb: { s_wgt: 0.7, s_act: 0.6, s_res: 0.5 }, readyProb: 0.6, maxCycles: 2_000_000,
    });
    expect(res.outputs.m_out!.length).toBe(streams.expected.m_out.length);
    expect(jobs.map((j) => j.spec.layer)).toEqual(expect.arrayContaining(['patch', 'qkv', 'qk', 'av', 'proj', 'fc1', 'fc2', 'head']));
  }, 300_000);

  it('I-ViT INT8 and MSQ-4 golden models agree with float on held-out images', () => {
    const set = loadEvalSet('fashion-mnist', undefined, 24);
    for (const linears of ['int8', 'msq4'] as const) {
      const qm = quantizeVit(small, calib, { linears });
      expect(qm.layers.filter((l) => l.op === 'conv2d' && l.filters.some((f) => f.scheme === 'sp2')).length).toBe(linears === 'msq4' ? 8 : 0);
      let agree = 0;
      set.images.forEach((im) => {
        agree += +(argmax(runFloat(small, Float64Array.from(im, (v) => v / 255)).output) === argmax(runGolden(qm, Int32Array.from(im)).output.data));
      });
      expect(agree, linears).toBeGreaterThanOrEqual(21);
    }
  });

  it('a sequence longer than the reduction the core holds is refused naming the layer and head', () => {
    const qm = quantizeVit(tinyVit(3), [Float64Array.from({ length: 64 }, (_, i) => (i % 7) / 7)], { linears: 'int8' });
    let msg = '';
    try {
      lowerVit(qm, smallCoreConfig({ N: 16, kMax: 16, cDepth: 16, actDepth: 256, wDepth: 64, maxPasses: 6 }));
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/layer 'fc2'|layer 'av' head 0/);
    expect(msg).not.toContain('\n');
  });
});
