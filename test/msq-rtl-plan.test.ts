/**
 * Layer plan and emitter properties (no simulation): deterministic output, schedule numbers, ROM layout against the
 * model's codes, and one-line errors for what the engine cannot run.
 */
import { describe, expect, it } from 'vitest';
import { checkModel, type Conv2dLayer } from '../src/msq/model.js';
import { planLayer, generateLayerEngine } from '../src/msq/rtl/index.js';
import { fixedCoreDsps, requantGroupLanes } from '../src/msq/rtl/plan.js';
import { randomLayerModel, type RandomLayerSpec } from '../src/msq/rtl/random-layer.js';
import { UserError } from '../src/util/errors.js';
import { layerCycles, networkLatency, resnet18Shapes } from '../src/msq/cycle-model.js';
import { loadBoard } from '../src/board/index.js';

const spec: RandomLayerSpec = {
  op: 'conv2d', cin: 10, h: 6, w: 5, cout: 11, k: [3, 3], stride: [2, 2], pad: [1, 0, 1, 1], sp2Fraction: 0.6,
  inBits: 4, inSigned: false, outBits: 4, outSigned: false, fixedBits: 4, sp2Bits: 4,
};

function plan(s: RandomLayerSpec, shape = { N: 4, Pf: 2, Ps: 3 }) {
  const m = randomLayerModel(s, 3);
  const infos = checkModel(m);
  return { m, p: planLayer(m.layers[0] as Conv2dLayer, infos.get('input')!, shape) };
}

describe('msq layer plan', () => {
  it('schedule numbers and ROM layout follow the model', () => {
    const { m, p } = plan(spec);
    const layer = m.layers[0] as Conv2dLayer;
    expect(p.cinGroups).toBe(3);
    expect(p.steps).toBe(3 * 3 * 3);
    expect(p.outH).toBe(3);
    expect(p.outW).toBe(2);
    expect(p.fixedFilters.length + p.sp2Filters.length).toBe(11);
    expect(p.passes).toBe(Math.max(Math.ceil(p.fixedFilters.length / 2), Math.ceil(p.sp2Filters.length / 3)));
    expect(p.fixedRom).toHaveLength(p.passes * p.steps);
    // fixed ROM word [pass 0, step (ky=1, kx=2, group 1)], lane 1, activation lane 2 = filter fixedFilters[1], ci = 6
    const j = p.fixedFilters[1]!;
    const word = p.fixedRom[(1 * 3 + 2) * 3 + 1]!;
    const bits = p.fixedBits;
    const code = Number((word >> BigInt((1 * 4 + 2) * bits)) & ((1n << BigInt(bits)) - 1n));
    const expected = layer.filters[j]!.weights[(6 * 3 + 1) * 3 + 2]!;
    expect(code).toBe(expected & ((1 << bits) - 1));
    // cycle model: steady state is passes * passCycles per pixel
    expect(layerCycles(p).perPixel).toBe(p.passes * p.passCycles);
    expect(requantGroupLanes({ N: 4, Pf: 2, Ps: 3, Rq: 2 })).toBe(3);
    expect(fixedCoreDsps({ N: 16, Pf: 13, Ps: 40, dspPack: 2 })).toBe(7 * 16);
  });

  it('emits the same text for the same plan, different text for different weights', () => {
    const a = generateLayerEngine(plan(spec).p);
    const b = generateLayerEngine(plan(spec).p);
    expect([...a.files.entries()]).toEqual([...b.files.entries()]);
    const m2 = randomLayerModel(spec, 4);
    const c = generateLayerEngine(planLayer(m2.layers[0] as Conv2dLayer, checkModel(m2).get('input')!, { N: 4, Pf: 2, Ps: 3 }));
    expect(c.hash).not.toBe(a.hash);
    for (const text of a.files.values()) {
      expect(text.startsWith('// MSQ')).toBe(true);
      expect(text).toContain('`default_nettype none');
      expect(text).not.toMatch(/lint_off/);
    }
  });

  it('refuses what the engine cannot run, naming the layer and field', () => {
    const m = randomLayerModel(spec, 3);
    const layer = m.layers[0] as Conv2dLayer;
    const info = checkModel(m).get('input')!;
    expect(() => planLayer(layer, info, { N: 0, Pf: 2, Ps: 3 })).toThrow(/engine\.N: must be an integer/);
    expect(() => planLayer(layer, info, { N: 4, Pf: 2, Ps: 3, Rq: 9 })).toThrow(/engine\.Rq/);
    expect(() => planLayer({ ...layer, groups: 5 }, info, { N: 4, Pf: 2, Ps: 3 })).toThrow(UserError);
    expect(() => planLayer({ ...layer, groups: 5 }, info, { N: 4, Pf: 2, Ps: 3 })).toThrow(/layer 'layer0'\.groups: must be 1 or inChannels/);
    const lastSp2 = layer.filters.map((f) => f.scheme).lastIndexOf('sp2');
    const mixed = { ...layer, filters: layer.filters.map((f, i) => (i === lastSp2 ? { ...f, bits: 5 } : f)) };
    expect(() => planLayer(mixed, info, { N: 4, Pf: 2, Ps: 3 })).toThrow(/bits: SP2 filters of one layer must share one width/);
  });

  it('ResNet-18 estimate: every layer counted, DDR assumption from the board file', () => {
    const board = loadBoard('xc7z020');
    const r = networkLatency(resnet18Shapes(3), { N: 16, Pf: 13, Ps: 40, Rq: 2 }, board);
    expect(r.layers).toHaveLength(21);
    expect(r.ddrGBps).toBe(board.ddr.deratedGBps);
    expect(r.macs).toBeGreaterThan(1.7e9);
    expect(r.macs).toBeLessThan(1.9e9);
    expect(r.efficiency).toBeGreaterThan(0);
    expect(r.efficiency).toBeLessThanOrEqual(1);
  });
});
