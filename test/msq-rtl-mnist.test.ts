/**
 * The committed MNIST CNN (models/mnist-cnn.q.json) on the engine, layer by layer: every conv2d / linear layer, fed
 * the golden model's intermediate tensor for real held-out digits, equals the golden model's output of that layer
 * (Verilator, random valid/ready stalls, two digits back to back). Pooling, the residual add and flatten are not
 * engine layers (see docs/msq-engine.md); fc1 reads the flattened tensor in the model's feature order.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseQuantModel } from '../src/msq/model.js';
import { pixelsToReal, quantizeInput, runGolden } from '../src/msq/golden.js';
import { loadMnist } from '../src/msq/mnist.js';
import { PROJECT_ROOT } from '../src/version.js';
import { buildEngine, layerAsModel, verifyEngine } from '../src/msq/rtl/verify.js';

describe('MNIST CNN weighted layers on the engine', () => {
  it('every conv2d / linear layer equals the golden model on real digits', async () => {
    const model = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')));
    const digits = loadMnist('test', 2);
    const runs = digits.images.map((img) => runGolden(model, quantizeInput(model, pixelsToReal(model, img)), { dump: true }));
    const weighted = model.layers.filter((l) => l.op === 'conv2d' || l.op === 'linear');
    expect(weighted.length).toBe(5);
    for (const [i, l] of weighted.entries()) {
      const sub = layerAsModel(model, l.name);
      const e = buildEngine(sub, { N: 8, Pf: 4, Ps: 6, Rq: 2 });
      const inputs = runs.map((r) => r.tensors!.get(l.input)!.data);
      const r = await verifyEngine(e, inputs, { seed: 50 + i, validProb: 0.7, readyProb: 0.6 });
      // the engine's outputs are the golden model's intermediate tensors of the full network
      expect(r.outputs.m_out!.length).toBeGreaterThan(0);
      for (const run of runs) {
        expect(Array.from(runGolden(sub, run.tensors!.get(l.input)!.data).output.data)).toEqual(Array.from(run.tensors!.get(l.name)!.data));
      }
    }
  });
});
