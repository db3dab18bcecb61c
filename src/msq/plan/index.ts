/**
 * Hardware-aware mixed precision (HTQ-style, docs/msq-plan.md): per weighted layer weight bits / scheme and input
 * activation bits, on the 3-D Pareto front of sensitivity-weighted quantization perturbation, model size and the
 * latency of the compiled program on the board's preset core; the pick is the front's knee.
 */
import { loadBoard, type Board } from '../../board/index.js';
import { fail } from '../../util/errors.js';
import type { FloatModel } from '../model.js';
import { rangesFromSamples } from '../ptq.js';
import { defaultCoreConfig } from '../core/presets.js';
import type { CoreConfig } from '../core/config.js';
import { connectionSensitivity, type Sensitivity } from './grad.js';
import { actError, buildSpace, choiceKey, weightChoices, weightError, type LayerChoice, type Space, type WeightChoice } from './space.js';
import { fixedCycles, priceAssignment, priceChoices, type Pricing } from './price.js';
import { kneeIndex, paretoSum, type Objectives } from './front.js';

export type { LayerChoice } from './space.js';

/** One point as written in plan.json. */
export interface PlanPoint {
  layers: Record<string, LayerChoice>;
  perturbation: number;
  sizeBytes: number;
  cycles: number;
  ms: number;
  bops: number;
}

export interface PlanJson {
  front: PlanPoint[];
  pick: PlanPoint;
}

export interface PlanOptions {
  board: string | Board;
  /** normalized model inputs for the sensitivities (calibration data, or generated) */
  samples: ArrayLike<number>[];
  maxMs?: number;
  maxKb?: number;
  /** latency objective of the search: the cycle model (default) or BOPs (HTQ as published; for comparison) */
  objective?: 'cycles' | 'bops';
  /** front size cap of the DP (default 400) */
  cap?: number;
}

export interface PlanResult extends PlanJson {
  /** lines to say once (bit widths left out, ε used) */
  notes: string[];
  board: Board;
  cfg: CoreConfig;
  /** the pick's additive cycle estimate (the search's) against its exact whole-program cycles */
  pickAdditiveCycles: number;
  /** uniform programs: choice key → cycles */
  uniform: Record<string, number>;
  seconds: { sensitivity: number; pricing: number; search: number };
  /** price any assignment (every weighted layer) the same way as the front's points (e.g. uniform baselines) */
  evaluate: (layers: Record<string, LayerChoice>) => PlanPoint;
  /** the pick when the latency objective of the search is `obj` (e.g. BOPs, HTQ as published), priced exactly */
  pickBy: (obj: 'cycles' | 'bops') => PlanPoint;
  /** the weighted layers in model order */
  layerNames: string[];
}

interface UnitOption extends Objectives {
  bops: number;
  /** additive cycles estimate */
  cyc: number;
  layers: Record<string, LayerChoice>;
  keys: Record<string, string>;
}

/** Every option of one unit: its activation bits × its layers' weight choices (the core-runnable ones). */
function unitOptions(space: Space, uIdx: number, sens: Sensitivity, pricing: Pricing, wcs: WeightChoice[], werr: (l: string, c: WeightChoice) => number | undefined, objective: 'cycles' | 'bops'): UnitOption[] {
  const u = space.units[uIdx]!;
  const acts = u.isInput ? [8] : [4, 8];
  const out: UnitOption[] = [];
  for (const a of acts) {
    const aTerm = u.isInput ? 0 : (sens.act.get(u.source) ?? 0) * actError(sens.values.get(u.source) ?? new Float64Array(0), a);
    let partial: UnitOption[] = [{ p: aTerm, s: 0, c: 0, bops: 0, cyc: 0, layers: {}, keys: {} }];
    for (const name of u.layers) {
      const l = space.byName.get(name)!;
      const next: UnitOption[] = [];
      for (const wc of wcs) {
        const key = choiceKey(wc, a);
        const cyc = pricing.cycles.get(key)?.get(name);
        const e = werr(name, wc);
        if (cyc === undefined || e === undefined) continue;
        const bops = l.macs * wc.bits * a;
        for (const q of partial) {
          next.push({
            p: q.p + (sens.weight.get(name) ?? 0) * e,
            s: q.s + wc.bits * l.params,
            c: q.c + (objective === 'cycles' ? cyc : bops),
            bops: q.bops + bops,
            cyc: q.cyc + cyc,
            layers: { ...q.layers, [name]: { w: wc.bits, a, scheme: wc.scheme } },
            keys: { ...q.keys, [name]: key },
          });
        }
      }
      partial = next;
    }
    out.push(...partial);
  }
  if (!out.length) fail(`layer '${u.layers[0]}'`, 'the core runs none of its bit-width choices');
  return out;
}

/** Plan a float model for a board. */
export function planModel(fm: FloatModel, o: PlanOptions): PlanResult {
  const board = typeof o.board === 'string' ? loadBoard(o.board) : o.board;
  const cfg = defaultCoreConfig(board);
  const objective = o.objective ?? 'cycles';
  const space = buildSpace(fm);
  const t0 = Date.now();
  const sens = connectionSensitivity(fm, o.samples);
  const t1 = Date.now();
  const wcs = weightChoices(cfg.m);
  const ratio = board.msq.sp2PerFixedRatio;
  const errMemo = new Map<string, number | undefined>();
  const werr = (l: string, c: WeightChoice): number | undefined => {
    const k = `${l}|${c.scheme}${c.bits}`;
    if (!errMemo.has(k)) errMemo.set(k, weightError(space.byName.get(l)!, c, ratio));
    return errMemo.get(k);
  };
  const pricing = priceChoices(fm, space, {
    cfg, board, choices: wcs, ranges: rangesFromSamples(fm, o.samples.slice(0, 1)),
    msqOk: (n) => werr(n, { scheme: 'msq', bits: cfg.m }) !== undefined,
  });
  const t2 = Date.now();
  const notes = pricing.excluded.map((x) => `left out of the search: ${x.key.replace(/a(\d)$/, ' weights with $1-bit activations')} (${x.reason})`);
  const noMsq = space.layers.filter((l) => werr(l.name, { scheme: 'msq', bits: cfg.m }) === undefined).map((l) => l.name);
  if (noMsq.length) notes.push(`MSQ left out for ${noMsq.join(', ')}: the board's ratio 1:${ratio} cannot split their filters`);

  const search = (objective: 'cycles' | 'bops') => {
    const opts = space.units.map((_, i) => unitOptions(space, i, sens, pricing, wcs, werr, objective));
    const constC = objective === 'cycles' ? fixedCycles(pricing, space) : 0;
    const dp = paretoSum(opts, { cap: o.cap, base: { p: 0, s: 0, c: constC } });
    if (dp.eps > 0 && objective === (o.objective ?? 'cycles')) notes.push(`front thinned by ε-dominance, ε = ${dp.eps} per unit (kept ${dp.front.length} points)`);
    // exact repricing: the whole mixed program through the cycle model, then exact Pareto pruning again
    const points = dp.front.map((f) => {
      const chosen = f.picks.map((k, u) => opts[u]![k]!);
      const layers = Object.assign({}, ...chosen.map((x) => x.layers)) as Record<string, LayerChoice>;
      const keys = Object.assign({}, ...chosen.map((x) => x.keys)) as Record<string, string>;
      const exact = priceAssignment(pricing, (l) => keys[l], cfg, board);
      const additive = fixedCycles(pricing, space) + chosen.reduce((a, x) => a + x.cyc, 0);
      const pt: PlanPoint = { layers, perturbation: f.p, sizeBytes: f.s / 8, cycles: exact.cycles, ms: exact.ms, bops: chosen.reduce((a, x) => a + x.bops, 0) };
      return { pt, additive, c: objective === 'cycles' ? exact.cycles : pt.bops };
    });
    const obj = (x: (typeof points)[number]): Objectives => ({ p: x.pt.perturbation, s: x.pt.sizeBytes, c: x.c });
    const front = points.filter((x) => !points.some((y) => y !== x && dominates(obj(y), obj(x)))).sort((a, b) => a.pt.cycles - b.pt.cycles || a.pt.perturbation - b.pt.perturbation);
    const ok = front.filter((x) => (o.maxMs === undefined || x.pt.ms <= o.maxMs) && (o.maxKb === undefined || x.pt.sizeBytes / 1024 <= o.maxKb));
    if (!ok.length) {
      const viol = (x: PlanPoint): number => Math.max(0, o.maxMs !== undefined ? x.ms / o.maxMs - 1 : 0) + Math.max(0, o.maxKb !== undefined ? x.sizeBytes / 1024 / o.maxKb - 1 : 0);
      const c = front.map((x) => x.pt).sort((a, b) => viol(a) - viol(b))[0]!;
      const what = [o.maxMs !== undefined ? `--max-ms ${o.maxMs}` : '', o.maxKb !== undefined ? `--max-kb ${o.maxKb}` : ''].filter(Boolean).join(' ');
      fail(what, `no configuration meets it; the closest point: ${c.ms.toFixed(3)} ms, ${(c.sizeBytes / 1024).toFixed(1)} kB, perturbation ${c.perturbation.toPrecision(3)}`);
    }
    return { front, pick: ok[kneeIndex(ok.map(obj))]! };
  };
  const { front, pick } = search(objective);
  const evaluate = (layers: Record<string, LayerChoice>): PlanPoint => {
    let p = 0;
    let bits = 0;
    let bops = 0;
    for (const u of space.units) {
      const a = u.isInput ? 8 : layers[u.layers[0]!]!.a;
      if (!u.isInput) p += (sens.act.get(u.source) ?? 0) * actError(sens.values.get(u.source) ?? new Float64Array(0), a);
      for (const n of u.layers) {
        const c = layers[n]!;
        const l = space.byName.get(n)!;
        const e = werr(n, { scheme: c.scheme, bits: c.w });
        if (e === undefined) fail(`layer '${n}'`, `${c.scheme} ${c.w}-bit is not in the search space`);
        p += (sens.weight.get(n) ?? 0) * e;
        bits += c.w * l.params;
        bops += l.macs * c.w * a;
      }
    }
    const exact = priceAssignment(pricing, (n) => (layers[n] ? choiceKey({ scheme: layers[n]!.scheme, bits: layers[n]!.w }, layers[n]!.a) : undefined), cfg, board);
    return { layers, perturbation: p, sizeBytes: bits / 8, cycles: exact.cycles, ms: exact.ms, bops };
  };
  return {
    evaluate,
    pickBy: (obj) => search(obj).pick.pt,
    layerNames: space.layers.map((l) => l.name),
    front: front.map((x) => x.pt),
    pick: pick.pt,
    notes,
    board,
    cfg,
    pickAdditiveCycles: pick.additive,
    uniform: Object.fromEntries(pricing.uniform),
    seconds: { sensitivity: (t1 - t0) / 1000, pricing: (t2 - t1) / 1000, search: (Date.now() - t2) / 1000 },
  };
}

const dominates = (a: Objectives, b: Objectives): boolean => a.p <= b.p && a.s <= b.s && a.c <= b.c && (a.p < b.p || a.s < b.s || a.c < b.c);

/** plan.json: exactly the front and the pick. */
export function planJson(r: PlanJson): PlanJson {
  return { front: r.front, pick: r.pick };
}
