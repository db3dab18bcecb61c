/**
 * Channel slices and shuffles before compilation (issue 12): the core has no channel gather, so each chain of
 * `slice` / `shuffle` layers over a tensor X is a list of X's channels ("gather"), and
 *  - a dense conv2d that reads the gather reads X instead, with its weights' input channels permuted / zero for
 *    the channels the gather leaves out: no job;
 *  - any other consumer (depthwise conv, pool, concat, the model output) reads the gather materialized ONCE as a 1x1
 *    conv2d of 0/1 weights (fixed 2-bit, bias 0, M 2, S 1: y = x exactly) — a copy job on the lanes.
 * The rewritten model computes the same integers (golden-ops.ts defines slice and shuffle).
 */
import { checkModel, layerInputs, outputName, type Filter, type QuantLayer, type QuantModel, type TensorInfo } from '../model.js';
import { shuffleSource } from '../golden-ops.js';

export interface ChannelLowering {
  model: QuantModel;
  /** per gather layer: 'folded into <consumers>' or 'copy job (1x1 0/1 conv)' */
  notes: Map<string, string>;
}

type Gather = { base: string; chans: number[] };

/** A 1x1 conv of 0/1 weights: output channel k = input channel chans[k] (bit-exact copy). */
function selectionConv(name: string, input: string, cin: number, chans: number[], x: TensorInfo): QuantLayer {
  const filters: Filter[] = chans.map((src) => ({
    scheme: 'fixed', bits: 2, alpha: 1, weights: Array.from({ length: cin }, (_, c) => (c === src ? 1 : 0)), bias: 0, M: 2, S: 1,
  }));
  return {
    name, op: 'conv2d', input, inChannels: cin, outChannels: chans.length, kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0],
    groups: 1, out: { bits: x.bits, signed: x.signed, scale: x.scale }, filters,
  };
}

export function lowerChannelOps(model: QuantModel): ChannelLowering {
  const notes = new Map<string, string>();
  if (!model.layers.some((l) => l.op === 'slice' || l.op === 'shuffle')) return { model, notes };
  const infos = checkModel(model);
  const gathers = new Map<string, Gather>();
  for (const l of model.layers) {
    if (l.op !== 'slice' && l.op !== 'shuffle') continue;
    const inner = gathers.get(l.input) ?? { base: l.input, chans: Array.from({ length: infos.get(l.input)!.shape[0]! }, (_, c) => c) };
    const C = inner.chans.length;
    const chans = l.op === 'slice' ? inner.chans.slice(l.c0, l.c0 + l.cCount) : inner.chans.map((_, k) => inner.chans[shuffleSource(k, C, l.groups)]!);
    gathers.set(l.name, { base: inner.base, chans });
  }
  const out = outputName(model);
  const consumers = new Map<string, QuantLayer[]>();
  for (const l of model.layers) for (const n of layerInputs(l)) consumers.set(n, [...(consumers.get(n) ?? []), l]);
  const denseReader = (l: QuantLayer): boolean => l.op === 'conv2d' && l.groups === 1;
  const needed = new Set<string>(); // gathers materialized as a copy job
  const layers: QuantLayer[] = [];
  for (const l of model.layers) {
    const g = gathers.get(l.name);
    if (g) {
      const readers = (consumers.get(l.name) ?? []).filter((c) => !gathers.has(c.name));
      const copy = l.name === out || readers.some((c) => !denseReader(c));
      if (copy) {
        needed.add(l.name);
        layers.push(selectionConv(l.name, g.base, infos.get(g.base)!.shape[0]!, g.chans, infos.get(g.base)!));
        notes.set(l.name, `copy job (1x1 0/1 conv of '${g.base}')`);
      } else notes.set(l.name, `folded into ${readers.map((c) => `'${c.name}'`).join(', ') || 'nothing'} (weights read '${g.base}')`);
      continue;
    }
    if (l.op === 'conv2d' && l.groups === 1 && gathers.has(l.input) && !needed.has(l.input)) {
      const gt = gathers.get(l.input)!;
      const cin = infos.get(gt.base)!.shape[0]!;
      const kk = l.kernel[0] * l.kernel[1];
      const filters = l.filters.map((f) => {
        const w = new Array<number>(cin * kk).fill(0);
        gt.chans.forEach((src, k) => {
          for (let t = 0; t < kk; t++) w[src * kk + t] = f.weights[k * kk + t]!;
        });
        return { ...f, weights: w };
      });
      layers.push({ ...l, input: gt.base, inChannels: cin, filters });
      continue;
    }
    layers.push(l);
  }
  const m: QuantModel = { ...model, layers };
  checkModel(m);
  return { model: m, notes };
}
