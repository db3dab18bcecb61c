import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';
import { parseQuantModel, quantModelJsonSchema, type QuantModel } from '../src/msq/model.js';
import { UserError } from '../src/util/errors.js';

/** A small valid model: conv(2 filters: fixed + sp2) -> maxpool -> add (residual) -> flatten -> linear. */
function small(): QuantModel {
  return {
    format: 'accelforge-msq',
    version: 1,
    input: { name: 'input', shape: [1, 4, 4], bits: 8, signed: false, scale: 1 / 255 },
    layers: [
      {
        name: 'conv', op: 'conv2d', input: 'input', inChannels: 1, outChannels: 2, kernel: [3, 3], stride: [1, 1],
        padding: [1, 1, 1, 1], groups: 1, out: { bits: 4, signed: false, scale: 0.1 },
        filters: [
          { scheme: 'fixed', bits: 4, alpha: 1, weights: [1, -2, 3, 0, 7, -7, 0, 0, 1], bias: 5, M: 1 << 30, S: 40 },
          { scheme: 'sp2', bits: 4, alpha: 1, weights: [0, 15, 3, 8, 0, 1, 2, 4, 9], bias: -3, M: 1 << 30, S: 40 },
        ],
      },
      { name: 'pool', op: 'maxpool', input: 'conv', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      { name: 'pool2', op: 'maxpool', input: 'conv', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] },
      { name: 'sum', op: 'add', inputs: ['pool', 'pool2'], Ma: 1 << 20, Mb: 1 << 20, S: 21, out: { bits: 4, signed: false, scale: 0.1 } },
      { name: 'flat', op: 'flatten', input: 'sum' },
      {
        name: 'fc', op: 'linear', input: 'flat', inFeatures: 8, outFeatures: 1, out: { bits: 8, signed: true, scale: 0.5 },
        filters: [{ scheme: 'fixed', bits: 8, alpha: 1, weights: [127, -127, 0, 1, 2, 3, 4, 5], bias: 0, M: 1 << 30, S: 36 }],
      },
    ],
  };
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('QuantModel validation', () => {
  it('accepts a valid model (through JSON)', () => {
    const m = parseQuantModel(JSON.parse(JSON.stringify(small())));
    expect(m.layers).toHaveLength(6);
  });

  it('names the JSON path of an out-of-range fixed code', () => {
    const m = small();
    (m.layers[0] as { filters: { weights: number[] }[] }).filters[0]!.weights[4] = 9;
    expect(errorOf(() => parseQuantModel(m))).toBe('layers[0].filters[0].weights[4]: code 9 outside fixed 4-bit range [-7, 7]');
  });

  it('names the JSON path of an out-of-range SP2 code and of wrong bits', () => {
    const m = small();
    (m.layers[0] as { filters: { weights: number[] }[] }).filters[1]!.weights[2] = 16;
    expect(errorOf(() => parseQuantModel(m))).toBe('layers[0].filters[1].weights[2]: code 16 outside sp2 4-bit range [0, 15]');
    const m2 = small();
    (m2.layers[0] as { filters: { bits: number }[] }).filters[1]!.bits = 2;
    expect(errorOf(() => parseQuantModel(m2))).toMatch(/^layers\[0\]\.filters\[1\]\.bits: sp2 weights need 3\.\.8 bits/);
  });

  it('reports schema errors with their path (types, unknown fields, bad op)', () => {
    const m = JSON.parse(JSON.stringify(small()));
    m.layers[5].filters[0].M = 1.5;
    expect(errorOf(() => parseQuantModel(m))).toMatch(/^layers\[5\]\.filters\[0\]\.M: /);
    const m2 = JSON.parse(JSON.stringify(small()));
    m2.layers[1].kernal = [2, 2];
    expect(errorOf(() => parseQuantModel(m2))).toMatch(/^layers\[1\]: .*kernal/);
    const m3 = JSON.parse(JSON.stringify(small()));
    m3.layers[4].op = 'reshape';
    expect(errorOf(() => parseQuantModel(m3))).toMatch(/^layers\[4\]\.op: /);
    const m4 = JSON.parse(JSON.stringify(small()));
    m4.layers[0].filters[0].bias = 2 ** 31;
    expect(errorOf(() => parseQuantModel(m4))).toMatch(/^layers\[0\]\.filters\[0\]\.bias: /);
  });

  it('checks graph references, shapes and counts', () => {
    const m = small();
    (m.layers[3] as { inputs: string[] }).inputs[1] = 'nope';
    expect(errorOf(() => parseQuantModel(m))).toBe("layers[3].inputs[1]: unknown tensor 'nope'; inputs must name the model input or an earlier layer");
    const m2 = small();
    (m2.layers[5] as { inFeatures: number }).inFeatures = 9;
    expect(errorOf(() => parseQuantModel(m2))).toBe('layers[5].inFeatures: is 9 but the input has 8 elements');
    const m3 = small();
    (m3.layers[0] as { filters: unknown[] }).filters.pop();
    expect(errorOf(() => parseQuantModel(m3))).toBe('layers[0].filters: has 1 filters, expected 2 (one per output channel)');
    const m4 = small();
    (m4.layers[0] as { filters: { weights: number[] }[] }).filters[0]!.weights.push(0);
    expect(errorOf(() => parseQuantModel(m4))).toBe('layers[0].filters[0].weights: has 10 codes, expected 9');
    const m5 = small();
    m5.layers[2]!.name = 'pool';
    expect(errorOf(() => parseQuantModel(m5))).toBe("layers[2].name: duplicate tensor name 'pool'; names must be unique");
    const m6 = small();
    (m6.layers[0] as { groups: number }).groups = 2;
    expect(errorOf(() => parseQuantModel(m6))).toMatch(/^layers\[0\]\.groups: must be 1 or inChannels/);
    const m7 = small();
    (m7.layers[5] as { input: string }).input = 'sum';
    expect(errorOf(() => parseQuantModel(m7))).toMatch(/^layers\[5\]\.inFeatures|^layers\[5\]\.input/);
  });
});

describe('JSON Schema', () => {
  it('schemas/msq-model.schema.json is up to date with the zod schema', () => {
    const file = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas/msq-model.schema.json'), 'utf8'));
    // regenerate: npx tsx -e "import {quantModelJsonSchema} from './src/msq/model.ts'; import {writeFileSync} from 'node:fs'; writeFileSync('schemas/msq-model.schema.json', JSON.stringify(quantModelJsonSchema(), null, 2) + '\n')"
    expect(file).toEqual(JSON.parse(JSON.stringify(quantModelJsonSchema())));
  });
});
