/**
 * The issue-12 ops on the MSQ core: channel concat (producers write at their channel offset; other inputs copied by
 * identity jobs), nearest upsampling (identity job on an upsampling gather), ceil_mode maxpool, channel shuffle and
 * slices (folded into dense convs, else 0/1 copy convs). Every job through the job interpreter and the host loop
 * against the golden model, then the whole program in one Verilator run with random stalls; refusals in one line.
 */
import { describe, expect, it } from 'vitest';
import { runStreams } from '../src/sim/index.js';
import { runGolden } from '../src/msq/golden.js';
import { type FloatLayer, type FloatModel, type QuantModel } from '../src/msq/model.js';
import { quantizeFloatModel, rangesFromSamples } from '../src/msq/ptq.js';
import { smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { compileModel, coreStreams, executeProgram, programStimulus } from '../src/msq/core/compile.js';
import { runJob } from '../src/msq/core/interp.js';
import { coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { randomInput, rng } from './support/random-layer.js';

// the configuration of test/msq-core-rtl.test.ts: its Verilator build is shared through the build cache
const cfg: CoreConfig = smallCoreConfig({ actDepth: 256, wDepth: 64, maxPasses: 6, cDepth: 32, kMax: 2048 });

function floatNet(): FloatModel {
  const r = rng(5);
  const conv = (name: string, input: string, cin: number, cout: number, k: number, s: number, groups = 1): FloatLayer => ({
    op: 'conv2d', name, input, inChannels: cin, outChannels: cout, kernel: [k, k], stride: [s, s], padding: [k >> 1, k >> 1, k >> 1, k >> 1], groups,
    weight: Float64Array.from({ length: cout * (cin / groups) * k * k }, () => r() - 0.5), bias: Float64Array.from({ length: cout }, () => r() * 0.2 - 0.1),
  });
  return {
    input: { shape: [3, 8, 8] },
    layers: [
      conv('c1', 'input', 3, 4, 3, 1),
      { op: 'relu', name: 'r1', input: 'c1' },
      { op: 'maxpool', name: 'p1', input: 'r1', kernel: [3, 3], stride: [2, 2], padding: [0, 0, 0, 0], ceil: true }, // 4x4 (floor: 3x3)
      conv('c2', 'input', 3, 6, 3, 2), // read by the concat and by c4: copied
      { op: 'maxpool', name: 'p2', input: 'p1', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      conv('c3', 'c2', 6, 2, 3, 2), // 2x2
      { op: 'resize', name: 'up', input: 'c3', scale: [2, 2] }, // written in place
      conv('c5', 'r1', 4, 3, 3, 2), // written in place
      { op: 'concat', name: 'cat', inputs: ['p1', 'c2', 'up', 'c5'] }, // 15 channels
      conv('c4', 'c2', 6, 5, 1, 1),
      { op: 'shuffle', name: 'sh', input: 'cat', groups: 3 },
      { op: 'slice', name: 's1', input: 'sh', c0: 2, cCount: 5 },
      conv('head', 'sh', 15, 4, 1, 1), // reads the shuffle: folded
      conv('h2', 's1', 5, 5, 1, 1), // reads the slice: folded
      { op: 'add', name: 'sum', inputs: ['c4', 'h2'] },
      conv('dw', 's1', 5, 5, 3, 1, 5), // depthwise reads the slice: a copy conv
      { op: 'concat', name: 'out', inputs: ['sum', 'head', 'dw'] },
    ],
  };
}

function quantNet(): QuantModel {
  const fm = floatNet();
  const r = rng(9);
  const samples = Array.from({ length: 6 }, () => Float64Array.from({ length: 192 }, () => r()));
  return quantizeFloatModel(fm, { actRanges: rangesFromSamples(fm, samples), rule: 'variance', ratio: 1, inner: { actBits: 6 } });
}

describe('MSQ core: concat, upsample, ceil maxpool, shuffle and slices', () => {
  const model = quantNet();
  const prog = compileModel(model, cfg);

  it('producers write in place, other inputs are copied; every job and tensor equals the golden model (interpreter)', async () => {
    const how = new Map(prog.layers.map((l) => [l.layer, l.how]));
    expect(how.get('cat')).toBe("concat: 'up', 'c5' written in place, 'p1', 'c2' copied");
    expect(how.get('out')).toBe("concat: 'sum', 'head', 'dw' written in place");
    expect(how.get('up')).toMatch(/^nearest x2x2 .* into 'cat' at channel 10$/);
    // c5's jobs write channels 12..14 of cat; the shuffle left no layer, s1 became one copy conv (for the depthwise)
    const c5 = prog.jobs.filter((j) => j.spec.layer === 'c5');
    expect(c5.map((j) => [j.out.tensor, j.out.c0])).toEqual(c5.map(() => ['cat', 12]));
    expect(prog.layers.some((l) => l.layer === 'sh')).toBe(false);
    expect(prog.jobs.some((j) => j.act.kind === 'upsample')).toBe(true);
    for (const seed of [1, 2]) {
      const x = randomInput(model, seed, seed === 2);
      const g = runGolden(model, x, { dump: true });
      // the upsampled source has differing neighbours (else a wrong gather could pass)
      const c3 = g.tensors!.get('c3')!.data;
      expect([0, 2, 4, 6].some((i) => c3[i] !== c3[i + 1])).toBe(true);
      programStimulus(prog, g.tensors!).forEach((s, i) => expect(runJob(cfg, s.wgt, s.act, s.res), prog.jobs[i]!.spec.name).toEqual(s.expectedOut));
      const t = await executeProgram(prog, x, (w, a, res) => runJob(cfg, w, a, res));
      for (const n of ['cat', 'out']) expect(Array.from(t.get(n)!), n).toEqual(Array.from(g.tensors!.get(n)!.data));
    }
  });

  it('the whole program in one Verilator run with random stalls equals the golden model', async () => {
    const x = randomInput(model, 3);
    const g = runGolden(model, x, { dump: true });
    const streams = coreStreams(programStimulus(prog, g.tensors!));
    const r = await runStreams(coreSimDesign(generateCore(cfg)), {
      ...streams, seed: 5, validProb: { s_wgt: 0.8, s_act: 0.7, s_res: 0.6 }, readyProb: 0.7, maxCycles: 3_000_000,
    });
    expect(r.outputs.m_out!.length).toBe(streams.expected.m_out.length);
  }, 600_000);

  it('what the core cannot run yet is one line naming the layer and what would make it run', () => {
    const err = (m: QuantModel): string => {
      try {
        compileModel(m, cfg);
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    const fm = floatNet();
    fm.layers.push(
      { op: 'globalavgpool', name: 'gap', input: 'out' },
      { op: 'act', name: 'gate', input: 'gap', fn: 'hardsigmoid', params: {} },
      { op: 'mulchannel', name: 'se', inputs: ['out', 'gate'] },
    );
    const r = rng(9);
    const samples = Array.from({ length: 4 }, () => Float64Array.from({ length: 192 }, () => r()));
    const withSe = quantizeFloatModel(fm, { actRanges: rangesFromSamples(fm, samples), rule: 'fixed' });
    const gate = withSe.layers.find((l) => l.name === 'gate') as Extract<QuantModel['layers'][number], { op: 'lut' }>;
    gate.out = { ...gate.out, bits: 8, signed: false }; // 0..255 does not fit the 8-bit signed fixed-lane codes
    expect(err(withSe)).toMatch(/^layer 'se' \(mulchannel\): the gate 'gate' \(8-bit unsigned\) becomes run-time weights of the fixed lanes, .*at most 7 unsigned bits$/);
    const ap = quantizeFloatModel(
      { input: { shape: [2, 5, 5] }, layers: [{ op: 'avgpool', name: 'ap', input: 'input', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], ceil: true }] },
      { actRanges: { input: { min: 0, max: 1 }, ap: { min: 0, max: 1 } }, rule: 'fixed' },
    );
    expect(err(ap)).toMatch(/^layer 'ap' \(avgpool\): ceil_mode windows clipped at the input end: .*one multiplier per channel, not per window/);
  });
});
