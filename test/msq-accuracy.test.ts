/**
 * A small accuracy run (200 held-out digits) of the committed MNIST models through the integer golden model.
 * Bounds are relative to the float model's own accuracy on the same digits (no hard-coded results); the recorded
 * full table comes from bench/msq-accuracy.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/version.js';
import { accuracyMarkdown, floatAccuracy, measureAccuracy, quantAccuracy, type AccuracyReport } from '../src/msq/cli-accuracy.js';
import { chooseSchemes } from '../src/msq/scheme.js';
import { loadOnnx } from '../src/msq/onnx.js';
import { loadMnist } from '../src/data/mnist.js';
import { parseQuantModel } from '../src/msq/model.js';

describe('MNIST split', () => {
  it('train and held-out test digits are disjoint, class-balanced and of the documented sizes', () => {
    const train = loadMnist('train');
    const test = loadMnist('test');
    expect(train.images.length).toBe(7996);
    expect(test.images.length).toBe(2004);
    const key = (img: Uint8Array): string => Buffer.from(img).toString('base64');
    const seen = new Set(train.images.map(key));
    const overlap = test.images.filter((img) => seen.has(key(img))).length;
    expect(overlap).toBe(0);
    const first200 = loadMnist('test', 200).labels;
    for (let c = 0; c < 10; c++) expect(first200.filter((l) => l === c)).toHaveLength(20);
  });
});

describe('accuracy table (100 held-out digits)', () => {
  let report: AccuracyReport;
  it('measures every column for PTQ and QAT', async () => {
    report = await measureAccuracy({
      n: 100,
      board: 'xc7z020',
      floatOnnx: join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx'),
      qatOnnx: join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.onnx'),
      calibN: 32,
      seeds: 1,
      // one calibration instead of --cle auto's three, and the one-pass output fit: this checks the table, the
      // sequential fit has its own tests (msq-ptq-seqfit)
      cle: 'weights',
      weightFit: 'output',
    });
    expect(report.n).toBe(100);
    expect(report.rows).toHaveLength(2);
    const [ptq, qat] = report.rows as [AccuracyReport['rows'][0], AccuracyReport['rows'][0]];
    const float = ptq.acc.float!;
    // a trained CNN: far above chance (10 %)
    expect(float).toBeGreaterThan(80);
    // quantized figures: sane (never above 100, near float) — tolerances relative to the float accuracy
    for (const row of report.rows) {
      for (const [col, v] of Object.entries(row.acc)) {
        expect(v, `${row.model} ${col}`).toBeLessThanOrEqual(100);
        expect(v, `${row.model} ${col}`).toBeGreaterThan(float - 10);
      }
    }
    // the QAT model with its trained codes: within a few points of float on these 100 digits
    expect(qat.acc.msqAsTrained!).toBeGreaterThanOrEqual(float - 3);
    const md = accuracyMarkdown(report);
    for (const h of ['float', 'fixed-only', 'SP2-only', 'MSQ variance', 'MSQ weight-error', 'MSQ output-error', 'MSQ random split', 'MSQ as trained']) expect(md).toContain(h);
    expect(md.split('\n').filter((l) => l.startsWith('| '))).toHaveLength(3);
  });
});

describe('committed quantized models (models/*.q.json)', () => {
  it('parse, and score near the float model on 100 held-out digits', async () => {
    const set = loadMnist('test', 100);
    const floatAcc = floatAccuracy(await loadOnnx(join(PROJECT_ROOT, 'models', 'mnist-cnn.onnx')), set);
    for (const f of ['mnist-cnn.q.json', 'mnist-cnn-qat.q.json']) {
      const qm = parseQuantModel(JSON.parse(await readFile(join(PROJECT_ROOT, 'models', f), 'utf8')));
      expect(qm.input.shape).toEqual([1, 28, 28]);
      expect(quantAccuracy(qm, set), f).toBeGreaterThanOrEqual(floatAcc - 5);
    }
  });
});

describe('random split baseline (--rule random)', () => {
  it('makes round(n/(1+r)) filters fixed, at random: another seed or another layer gives another set, the same seed the same', () => {
    const filters = Array.from({ length: 10 }, (_, i) => [i + 1, -i]);
    const fixedOf = (seed: number, field: string): number[] =>
      chooseSchemes(filters, { rule: 'random', ratio: 1.5, seed, field }).flatMap((s, i) => (s === 'fixed' ? [i] : []));
    expect(fixedOf(1, 'a')).toHaveLength(4);
    expect(fixedOf(1, 'a')).toEqual(fixedOf(1, 'a'));
    expect(fixedOf(1, 'a')).not.toEqual(fixedOf(2, 'a'));
    expect(fixedOf(1, 'a')).not.toEqual(fixedOf(1, 'b'));
  });
});
