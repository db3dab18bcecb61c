import { describe, expect, it } from 'vitest';
import { floatShapes } from '../src/msq/float.js';
import { sha256 } from '../src/util/hash.js';
import { boardRatio, chooseSchemes } from '../src/msq/scheme.js';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseQuantModel } from '../src/msq/model.js';
import { makeResnet18, makeResnet18Float, RESNET18_EXAMPLE, RESNET18_NOTE, RESNET18_RATIO } from '../scripts/make-resnet18.js';

describe('synthetic ResNet-18 example', () => {
  const fm = makeResnet18Float();

  it('has the ResNet-18 architecture and is deterministic', () => {
    const shapes = floatShapes(fm);
    expect(shapes.get('conv1')).toEqual([64, 112, 112]);
    expect(shapes.get('maxpool')).toEqual([64, 56, 56]);
    expect(shapes.get('layer2.0.add')).toEqual([128, 28, 28]);
    expect(shapes.get('layer4.1.relu2')).toEqual([512, 7, 7]);
    expect(shapes.get('fc')).toEqual([1000]);
    const convs = fm.layers.filter((l) => l.op === 'conv2d');
    expect(convs.length).toBe(20); // conv1 + 16 block convs + 3 downsamples
    let params = 0;
    for (const l of fm.layers) if (l.op === 'conv2d' || l.op === 'linear') params += l.weight.length;
    expect(params).toBe(11_678_912);
    const digest = (m: typeof fm): string =>
      sha256(new Uint8Array(Float32Array.from(m.layers.flatMap((l) => (l.op === 'conv2d' || l.op === 'linear' ? Array.from(l.weight.length > 4096 ? Array.from({ length: 4096 }, (_, i) => l.weight[i * 7 % l.weight.length]!) : Array.from(l.weight)) : []))).buffer));
    expect(digest(makeResnet18Float())).toBe(digest(fm));
    expect(digest(makeResnet18Float(19))).not.toBe(digest(fm));
    expect(RESNET18_NOTE).toMatch(/^SYNTHETIC WEIGHTS/);
  });

  it('splits every layer at the board ratio (variance rule), xc7z020 and xc7z045', () => {
    // hand values round(n / (1 + r)), r = 2.2 | 5/3: 64 -> 20 | 24, 128 -> 40 | 48, 256 -> 80 | 96, 512 -> 160 | 192
    const expected: Record<number, [number, number]> = { 64: [20, 24], 128: [40, 48], 256: [80, 96], 512: [160, 192] };
    for (const [b, board] of ['xc7z020', 'xc7z045'].entries()) {
      const r = boardRatio(board);
      for (const l of fm.layers) {
        if (l.op !== 'conv2d' || l.name === 'conv1') continue;
        const K = l.weight.length / l.outChannels;
        const rows = Array.from({ length: l.outChannels }, (_, o) => Array.prototype.slice.call(l.weight, o * K, (o + 1) * K) as number[]);
        const s = chooseSchemes(rows, { rule: 'variance', ratio: r, field: l.name });
        expect([l.name, s.filter((x) => x === 'fixed').length]).toEqual([l.name, expected[l.outChannels]![b]]);
      }
    }
  });
});

describe('shipped examples/resnet18.json.gz', () => {
  it('is exactly what scripts/make-resnet18.ts generates, labelled synthetic, and a valid QuantModel', () => {
    const shipped = gunzipSync(readFileSync(RESNET18_EXAMPLE)).toString('utf8');
    expect(shipped).toBe(JSON.stringify(makeResnet18()));
    const m = parseQuantModel(JSON.parse(shipped));
    expect(m.note).toMatch(/^SYNTHETIC WEIGHTS/);
    expect(m.input.shape).toEqual([3, 224, 224]);
    expect(m.layers.filter((l) => l.op === 'conv2d').length).toBe(20);
  });

  it('is 4-bit MSQ in every conv (conv1 too) at RESNET18_RATIO, 8-bit input, fc 8-bit fixed', () => {
    const m = parseQuantModel(JSON.parse(gunzipSync(readFileSync(RESNET18_EXAMPLE)).toString('utf8')));
    expect(RESNET18_RATIO).toBeGreaterThan(0);
    expect(m.input.bits).toBe(8);
    let convs = 0;
    for (const l of m.layers) {
      if (l.op === 'conv2d') {
        convs++;
        const n = l.filters.length;
        // fixed share round(n / (1 + r)), halves up (docs/msq-numerics.md), computed here by hand
        const want = Math.floor(n / (1 + RESNET18_RATIO) + 0.5);
        const fixed = l.filters.filter((f) => f.scheme === 'fixed').length;
        expect([l.name, fixed, n - fixed]).toEqual([l.name, want, n - want]);
        expect(l.filters.every((f) => f.bits === 4)).toBe(true);
        expect(l.out.bits).toBe(4);
      }
      if (l.op === 'linear') {
        expect(l.filters.every((f) => f.scheme === 'fixed' && f.bits === 8)).toBe(true);
        expect(l.out.bits).toBe(8);
      }
    }
    expect(convs).toBe(20);
  });
});
