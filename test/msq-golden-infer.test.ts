import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/msq/cli-infer.js';

// conv 2x2 with a fixed and an SP2 filter (hand values in msq-golden.test.ts): input codes 1..9 -> 5 6 7 7 -2 -4 -8 -8
const model = {
  format: 'accelforge-msq', version: 1, input: { shape: [1, 3, 3], bits: 4, signed: false, scale: 1 / 15 },
  layers: [
    {
      name: 'c', op: 'conv2d', input: 'input', inChannels: 1, outChannels: 2, kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], groups: 1,
      out: { bits: 4, signed: true, scale: 0.5 },
      filters: [
        { scheme: 'fixed', bits: 4, alpha: 1, weights: [1, -2, 3, 0], bias: 5, M: 3, S: 3 },
        { scheme: 'sp2', bits: 4, alpha: 1, weights: [11, 7, 0, 14], bias: -2, M: 1, S: 1 },
      ],
    },
    { name: 'f', op: 'flatten', input: 'c' },
  ],
};

function capture(): { out: () => string } {
  let buf = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    buf += String(s);
    return true;
  });
  return { out: () => buf };
}

describe('accelforge infer', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'msq-infer-'));
  const mpath = join(dir, 'm.q.json');
  writeFileSync(mpath, JSON.stringify(model));

  it('runs a PGM image (pixel 17*k -> code k at scale 1/15) and prints output and argmax', async () => {
    // P2 with values 17..153 = 17*k: pixel/255 = k/15 -> codes 1..9
    const pgm = join(dir, 'x.pgm');
    writeFileSync(pgm, `P2\n3 3\n255\n${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => 17 * k).join(' ')}\n`);
    const c = capture();
    await run([mpath, '--input', pgm]);
    expect(c.out()).toContain('integers: [5, 6, 7, 7, -2, -4, -8, -8]');
    expect(c.out()).toContain('real:     [2.5, 3, 3.5, 3.5, -1, -2, -4, -4]');
    expect(c.out()).toContain('argmax: 2 (integer 7, real 3.5)');
  });

  it('runs a JSON tensor (real values or quantized codes) and dumps every tensor', async () => {
    const xr = join(dir, 'x.json');
    writeFileSync(xr, JSON.stringify([[[1, 2, 3], [4, 5, 6], [7, 8, 9]].map((r) => r.map((k) => k / 15))]));
    const dump = join(dir, 'dump');
    const c = capture();
    await run([mpath, '--input', xr, '--dump', dump, '--json']);
    const res = JSON.parse(c.out());
    expect(res).toMatchObject({ output: 'f', shape: [8], data: [5, 6, 7, 7, -2, -4, -8, -8], argmax: 2 });
    const index = JSON.parse(readFileSync(join(dump, 'index.json'), 'utf8'));
    expect(index.tensors.map((t: { name: string }) => t.name)).toEqual(['input', 'c', 'f']);
    const t0 = JSON.parse(readFileSync(join(dump, index.tensors[0].file), 'utf8'));
    expect(t0.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const xq = join(dir, 'xq.json');
    writeFileSync(xq, JSON.stringify({ data: [1, 2, 3, 4, 5, 6, 7, 8, 9], quantized: true }));
    const c2 = capture();
    await run([mpath, '--input', xq, '--json']);
    expect(JSON.parse(c2.out()).data).toEqual([5, 6, 7, 7, -2, -4, -8, -8]);
  });

  it('bad input: one-line errors naming the file or field, nothing dumped', async () => {
    const bad = join(dir, 'bad.q.json');
    const m2 = JSON.parse(JSON.stringify(model));
    m2.layers[0].filters[0].weights[1] = 9;
    writeFileSync(bad, JSON.stringify(m2));
    const x = join(dir, 'x.json');
    await expect(run([bad, '--input', x])).rejects.toThrow(`${bad}: layers[0].filters[0].weights[1]: code 9 outside fixed 4-bit range [-7, 7]`);
    const short = join(dir, 'short.json');
    writeFileSync(short, '[1, 2]');
    const dump = join(dir, 'nodump');
    await expect(run([mpath, '--input', short, '--dump', dump])).rejects.toThrow(/has 2 values, the model expects 9/);
    expect(existsSync(dump)).toBe(false);
    const big = join(dir, 'big.pgm');
    writeFileSync(big, 'P2\n4 3\n255\n' + '0 '.repeat(12));
    await expect(run([mpath, '--input', big])).rejects.toThrow(/image is 4x3, the model expects 3x3/);
    await expect(run([mpath])).rejects.toThrow(/^--input: missing/);
    const nan = join(dir, 'nan.json');
    writeFileSync(nan, '[1, "a"]');
    await expect(run([mpath, '--input', nan])).rejects.toThrow(/data\[1\]: expected a finite number/);
  });
});
