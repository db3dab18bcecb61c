/**
 * The committed MNIST CNN (models/mnist-cnn.q.json) end to end on one streaming network design
 * (src/msq/rtl/network.ts): five layer engines, two maxpool units, the residual fork + FIFO + add unit, flatten on
 * the stream. Real held-out test digits back to back in ONE simulation with random valid/ready stalls; the logits
 * must equal the golden model's exactly. Icarus on one digit (no stalls) as a second opinion, lint clean. A small
 * synthetic network exercises every unit kind (depthwise, add, avgpool, global avgpool, flatten) the same way.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintVerilog, yosysRead } from '../src/hdl/index.js';
import { runStreams } from '../src/sim/index.js';
import { parseQuantModel, type QuantModel } from '../src/msq/model.js';
import { argmax, pixelsToReal, quantizeInput, runGolden } from '../src/msq/golden.js';
import { loadMnist } from '../src/msq/mnist.js';
import { PROJECT_ROOT } from '../src/version.js';
import { generateNetwork, networkInputBeats, networkOutputBeats, networkSimDesign, permuteForStream } from '../src/msq/rtl/network.js';
import { unpackOutputs } from '../src/msq/rtl/index.js';
import { randomInput, randomLayerModel } from '../src/msq/rtl/random-layer.js';
import { chooseMultiplier } from '../src/msq/conventions.js';

const model = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')));

describe('MNIST CNN end to end on the network top', () => {
  const net = generateNetwork(model, { N: 8, Pf: 4, Ps: 6, Rq: 2 });

  it('has the expected structure: 5 engines, 2 maxpool, 1 add, a residual FIFO of one whole frame', () => {
    const ops = net.stages.map((s) => s.op);
    expect(ops).toEqual(['conv2d', 'maxpool', 'conv2d', 'conv2d', 'add', 'maxpool', 'flatten', 'linear', 'linear']);
    // conv2_Conv output [16, 14, 14] with N 8: 14 * 14 * 2 beats + 4 slack
    expect(net.fifos).toEqual([{ tensor: 'conv2_Conv', depth: 14 * 14 * 2 + 4 }]);
  });

  it('lints clean (verilator -Wall, iverilog)', async () => {
    await lintVerilog(net.files, net.top);
  }, 300_000);

  it('logits equal the golden model exactly on 6 held-out digits back to back, with stalls (Verilator)', async () => {
    const digits = loadMnist('test', 6);
    const xs = digits.images.map((img) => quantizeInput(model, pixelsToReal(model, img)));
    const golden = xs.map((x) => runGolden(model, x).output.data);
    const r = await runStreams(networkSimDesign(net), {
      inputs: { s_act: xs.flatMap((x) => networkInputBeats(net, x)) },
      expected: { m_out: golden.flatMap((y) => networkOutputBeats(net, y)) },
      seed: 21,
      validProb: 0.7,
      readyProb: 0.5,
      maxCycles: 6 * net.engineCycles * 6 + 200_000,
    });
    const got = r.outputs.m_out!;
    expect(got.length).toBe(6 * Math.ceil(10 / 8));
    // the logits decode back to the golden model's, and classify most digits right (a sanity check of the model)
    let right = 0;
    golden.forEach((y, i) => {
      const logits = unpackOutputs(got.slice(i * 2, i * 2 + 2), 10, 1, 1, 8, 8, true);
      expect(Array.from(logits)).toEqual(Array.from(y));
      if (argmax(logits) === digits.labels[i]) right++;
    });
    expect(right).toBeGreaterThanOrEqual(4);
  }, 600_000);

  it('Icarus agrees on one digit', async () => {
    const x = quantizeInput(model, pixelsToReal(model, loadMnist('test', 7).images[6]!));
    await runStreams(networkSimDesign(net), {
      sim: 'icarus',
      inputs: { s_act: networkInputBeats(net, x) },
      expected: { m_out: networkOutputBeats(net, runGolden(model, x).output.data) },
      maxCycles: net.engineCycles * 3 + 50_000,
    });
  }, 600_000);
});

describe('network top: flatten permutation and bad input', () => {
  it('permuteForStream keeps the linear layer exact on a pixel-major stream', () => {
    const fc = model.layers.find((l) => l.name === 'fc1_Gemm')!;
    if (fc.op !== 'linear') throw new Error('fc1 is linear');
    const p = permuteForStream(fc, [16, 7, 7]);
    // feature j = pixel * 16 + channel reads the model's feature channel * 49 + pixel
    expect(p.filters[3]!.weights[16 * 5 + 2]).toBe(fc.filters[3]!.weights[2 * 49 + 5]);
    expect(p.filters[0]!.weights.slice().sort()).toEqual(fc.filters[0]!.weights.slice().sort());
  });

  it('flatten with N not dividing C is a one-line error naming the layer', () => {
    expect(() => generateNetwork(model, { N: 5, Pf: 2, Ps: 2 })).toThrow(/layers\[6\].*N \(5\) to divide the channel count 16/);
  });

  it('an unsupported op is a one-line error naming the layer and op', () => {
    const bad: QuantModel = { ...model, layers: [...model.layers.slice(0, 1), { name: 'r', op: 'relu', input: 'conv1_Conv' }] };
    expect(() => generateNetwork(bad, { N: 8, Pf: 2, Ps: 2 })).toThrow(/layers\[1\]\.op: 'relu' is not supported/);
  });
});

describe('network top: every unit kind in one synthetic network', () => {
  // input [3, 8, 8] -> conv (engine) -> depthwise (unit) -> add(conv, dw) (fork + FIFO) -> avgpool -> global avgpool
  // -> flatten -> linear; N 4 with 6 channels (tail lanes)
  const conv = randomLayerModel({ op: 'conv2d', cin: 3, h: 8, w: 8, cout: 6, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.5, inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4 }, 1).layers[0]!;
  const dw = randomLayerModel({ op: 'conv2d', depthwise: true, cin: 6, h: 8, w: 8, cout: 6, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], sp2Fraction: 0.5, inBits: 4, inSigned: false, outBits: 4, outSigned: true, fixedBits: 4, sp2Bits: 4 }, 2).layers[0]!;
  const fc = randomLayerModel({ op: 'linear', cin: 6, h: 1, w: 1, cout: 5, k: [1, 1], stride: [1, 1], pad: [0, 0, 0, 0], sp2Fraction: 0.4, inBits: 4, inSigned: false, outBits: 8, outSigned: true, fixedBits: 6, sp2Bits: 5 }, 3).layers[0]!;
  const add = chooseMultiplier(0.7);
  const ap = chooseMultiplier(1.5 / 4);
  const gap = chooseMultiplier(2 / 16);
  const u4 = { bits: 4, signed: false, scale: 1 };
  const synth: QuantModel = {
    format: 'accelforge-msq',
    version: 1,
    input: { name: 'input', shape: [3, 8, 8], bits: 4, signed: false, scale: 1 },
    layers: [
      { ...conv, name: 'c1', input: 'input' } as QuantModel['layers'][number],
      { ...dw, name: 'dw', input: 'c1' } as QuantModel['layers'][number],
      { name: 'res', op: 'add', inputs: ['c1', 'dw'], Ma: add.M, Mb: Math.floor(add.M * 0.6), S: add.S, out: u4 },
      { name: 'ap', op: 'avgpool', input: 'res', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], M: ap.M, S: ap.S, out: u4 },
      { name: 'gap', op: 'globalavgpool', input: 'ap', M: gap.M, S: gap.S, out: u4 },
      { name: 'fl', op: 'flatten', input: 'gap' },
      { ...fc, name: 'fc', input: 'fl' } as QuantModel['layers'][number],
    ],
  };

  it('equals the golden model on random and worst-case inputs back to back, with stalls; lint clean', async () => {
    const net = generateNetwork(synth, { N: 4, Pf: 2, Ps: 2 });
    expect(net.stages.map((s) => s.op)).toEqual(['conv2d', 'depthwise', 'add', 'avgpool', 'globalavgpool', 'flatten', 'linear']);
    expect(net.fifos).toEqual([{ tensor: 'c1', depth: 8 * 8 * 2 + 4 }]);
    await lintVerilog(net.files, net.top);
    await yosysRead(net.files, net.top);
    const xs = [1, 2, 3].map((s) => randomInput(synth, s));
    xs.push(randomInput(synth, 4, true), new Int32Array(3 * 64).fill(15));
    const ys = xs.map((x) => runGolden(synth, x).output.data);
    // the outputs are not degenerate (some differ between inputs)
    expect(new Set(ys.map((y) => Array.from(y).join(','))).size).toBeGreaterThan(2);
    await runStreams(networkSimDesign(net), {
      inputs: { s_act: xs.flatMap((x) => networkInputBeats(net, x)) },
      expected: { m_out: ys.flatMap((y) => networkOutputBeats(net, y)) },
      seed: 4,
      validProb: 0.6,
      readyProb: 0.4,
      maxCycles: xs.length * net.engineCycles * 8 + 50_000,
    });
  }, 300_000);
});
