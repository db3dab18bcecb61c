/**
 * The search space of the mixed-precision planner (docs/msq-plan.md): the weighted layers of a FloatModel, their
 * weight choices (fixed 2 / 4 / 8 bits, SP2 at the core's SP2 code width m, MSQ = fixed + SP2 at m bits split at the
 * board's ratio by the variance rule) and their input-activation choices (4 or 8 bits; the model input keeps its
 * 8 bits), grouped into units: the weighted layers that read the same quantized tensor share its bits.
 *
 * Per layer and choice: size (weight bits × parameters), BOPs (MACs × weight bits × activation bits) and the
 * perturbation terms (relative quantization MSE of the weights and of the input tensor, to be weighted by their
 * connection sensitivities, grad.ts).
 */
import { fail } from '../../util/errors.js';
import { floatInputName, floatShapes } from '../float.js';
import { floatLayerInputs, numel, type FloatLayer, type FloatModel } from '../model.js';
import { bestAlpha } from '../quant.js';
import { chooseSchemes, fixedCount } from '../scheme.js';
import { layerPlan } from '../ptq.js';

export type WeightScheme = 'fixed' | 'sp2' | 'msq';

export interface WeightChoice {
  scheme: WeightScheme;
  bits: number;
}

/** One layer's choice as written in plan.json: {w, a, scheme}. */
export interface LayerChoice {
  w: number;
  a: number;
  scheme: WeightScheme;
}

export const ACT_CHOICES = [4, 8] as const;

/** The weight choices for a core whose SP2 lanes take m-bit codes. */
export function weightChoices(m: number): WeightChoice[] {
  const out: WeightChoice[] = [2, 4, 8].map((bits) => ({ scheme: 'fixed' as const, bits }));
  out.push({ scheme: 'sp2', bits: m }, { scheme: 'msq', bits: m });
  return out;
}

export const choiceKey = (w: WeightChoice, a: number): string => `${w.scheme}${w.bits}a${a}`;

type Weighted = Extract<FloatLayer, { op: 'conv2d' | 'linear' }>;

export interface PlanLayer {
  name: string;
  op: 'conv2d' | 'linear';
  params: number;
  macs: number;
  /** quantized tensor this layer reads (the unit key) */
  source: string;
  filters: number;
  /** filter i's weights */
  filter: (i: number) => Float64Array;
}

export interface Unit {
  /** the quantized tensor (model input, a layer output, or a fused ReLU's name) */
  source: string;
  /** the model input: its bits stay 8 */
  isInput: boolean;
  layers: string[];
}

export interface Space {
  layers: PlanLayer[];
  units: Unit[];
  /** layer name → layer */
  byName: Map<string, PlanLayer>;
  /** tensor key → the layer (ptq byName key) producing it: fusable producer, or undefined for the input */
  producerOf: Map<string, string>;
  /** fusable layers (ptq byName keys) and the unit whose bits their output takes (undefined: keep 8) */
  actOwner: Map<string, string | undefined>;
}

/** Weighted layers, their quantized source tensors and the units of a FloatModel. */
export function buildSpace(fm: FloatModel): Space {
  const shapes = floatShapes(fm);
  const { fusedInto, fusedRelu } = layerPlan(fm, {});
  const prod = new Map(fm.layers.map((l) => [l.name, l] as const));
  const consumers = new Map<string, FloatLayer[]>();
  for (const l of fm.layers) for (const n of floatLayerInputs(l)) (consumers.get(n) ?? consumers.set(n, []).get(n)!).push(l);
  // walk back through layers that keep their input's quantization (maxpool, flatten, an unfused relu)
  const resolve = (t: string): string => {
    for (;;) {
      const p = prod.get(t);
      if (p && (p.op === 'maxpool' || p.op === 'flatten' || (p.op === 'relu' && !fusedInto.has(p.name)))) t = p.input;
      else return t;
    }
  };
  const layers: PlanLayer[] = [];
  const units = new Map<string, Unit>();
  const inName = floatInputName(fm);
  for (const l of fm.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const w = l as Weighted;
    const fanIn = w.op === 'conv2d' ? (w.inChannels / w.groups) * w.kernel[0] * w.kernel[1] : w.inFeatures;
    const nOut = w.op === 'conv2d' ? w.outChannels : w.outFeatures;
    const outPix = w.op === 'conv2d' ? numel(shapes.get(w.name)!.slice(1)) : 1;
    const source = resolve(w.input);
    layers.push({
      name: w.name,
      op: w.op,
      params: w.weight.length,
      macs: nOut * outPix * fanIn,
      source,
      filters: nOut,
      filter: (i) => Float64Array.from({ length: fanIn }, (_, k) => w.weight[i * fanIn + k]!),
    });
    const u = units.get(source) ?? { source, isInput: source === inName, layers: [] };
    u.layers.push(w.name);
    units.set(source, u);
  }
  if (!layers.length) fail('model', 'has no conv2d / linear layer: nothing to plan');
  const producerOf = new Map<string, string>();
  for (const u of units.values()) if (!u.isInput) producerOf.set(u.source, fusedInto.get(u.source) ?? u.source);
  // every fusable layer's output bits: its own unit's, else the first unit found downstream, else 8
  const keyOf = (l: FloatLayer): string => fusedRelu.get(l.name) ?? l.name;
  const downstream = (start: string): string | undefined => {
    const seen = new Set<string>([start]);
    const queue = [start];
    while (queue.length) {
      for (const c of consumers.get(queue.shift()!) ?? []) {
        if (c.op === 'conv2d' || c.op === 'linear') continue;
        const k = keyOf(c);
        if (units.has(k)) return k;
        if (!seen.has(k)) {
          seen.add(k);
          queue.push(k);
        }
      }
    }
    return undefined;
  };
  const actOwner = new Map<string, string | undefined>();
  const last = layers[layers.length - 1]!.name;
  for (const l of fm.layers) {
    if (!['conv2d', 'linear', 'add', 'avgpool', 'globalavgpool'].includes(l.op)) continue;
    const k = keyOf(l);
    actOwner.set(l.name, l.name === last ? undefined : units.has(k) ? k : downstream(k));
  }
  return { layers, units: [...units.values()], byName: new Map(layers.map((l) => [l.name, l])), producerOf, actOwner };
}

/** Evenly strided filter indices, at most `n`. */
function sampleFilters(count: number, n: number): number[] {
  const step = Math.max(1, count / n);
  const out: number[] = [];
  for (let x = 0; x < count && out.length < n; x += step) out.push(Math.floor(x));
  return out;
}

/**
 * Relative weight quantization MSE (Σ error² / Σ w²) of a layer under a weight choice, over up to `maxFilters`
 * filters; alpha per filter by the MSE search (quant.ts). MSQ: per filter the scheme the variance rule gives at the
 * board's ratio. Undefined when the choice cannot apply (the ratio cannot split this layer's filters).
 */
export function weightError(l: PlanLayer, c: WeightChoice, ratio: number, maxFilters = 48): number | undefined {
  const idx = sampleFilters(l.filters, maxFilters);
  const fs = idx.map((i) => l.filter(i));
  let schemes: ('fixed' | 'sp2')[];
  if (c.scheme === 'msq') {
    try {
      fixedCount(l.filters, ratio, l.name);
    } catch {
      return undefined;
    }
    schemes = chooseSchemes(fs, { rule: 'variance', ratio });
  } else schemes = fs.map(() => c.scheme as 'fixed' | 'sp2');
  let se = 0;
  let ss = 0;
  fs.forEach((w, j) => {
    const q = bestAlpha(w, schemes[j]!, c.bits, { grid: 24, refine: 8 });
    se += q.mse * w.length;
    for (let k = 0; k < w.length; k++) ss += w[k]! * w[k]!;
  });
  return ss > 0 ? se / ss : 0;
}

/** Relative MSE of a tensor's sampled values quantized to `bits` (zero point 0), best clip of a 24-point grid. */
export function actError(values: Float64Array, bits: number): number {
  if (!values.length) return 0;
  let mn = Infinity;
  let mx = -Infinity;
  let ss = 0;
  for (const v of values) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
    ss += v * v;
  }
  if (ss === 0) return 0;
  const unsigned = mn >= 0;
  const top = unsigned ? mx : Math.max(-mn, mx);
  const qmax = unsigned ? 2 ** bits - 1 : 2 ** (bits - 1) - 1;
  const qmin = unsigned ? 0 : -qmax - 1;
  let best = Infinity;
  for (let g = 0; g < 24; g++) {
    const scale = (top * (0.25 + (0.75 * (g + 1)) / 24)) / qmax;
    let se = 0;
    for (const v of values) {
      const q = Math.min(qmax, Math.max(qmin, Math.round(v / scale))) * scale;
      se += (v - q) * (v - q);
    }
    best = Math.min(best, se);
  }
  return best / ss;
}
