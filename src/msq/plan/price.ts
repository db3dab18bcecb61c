/**
 * Latency pricing by the real compiler and the core's cycle model (docs/msq-plan.md "Latency"). For every weight
 * choice × activation choice the model is quantized uniformly at that choice (ptq.ts, a cheap alpha search: only
 * the codes' classes matter to the compiler) and compiled for the board's preset core (core/compile.ts, through core/compiled-jobs.ts compiledJobs: descriptor
 * fields without weight words, as the sizing search compiles); the jobs
 * of each layer are kept. A layer's jobs depend only on its own weights and on the bits of the tensor it reads, so
 * any mixed assignment's program is the concatenation of the memoized per-layer jobs, and its exact latency is
 * the cycle model of that whole program (core/cycle-model.ts, with the board's DDR assumption). The planner's
 * additive estimate of a layer is the cycles of its jobs inside the uniform program of its choice.
 */
import type { Board } from '../../board/index.js';
import { UserError } from '../../util/errors.js';
import type { FloatModel } from '../model.js';
import { quantizeFloatModel, type LayerQuantConfig, type Range } from '../ptq.js';
import { compiledJobs } from '../core/compiled-jobs.js';
import { programLatency, type ProgramJob } from '../core/cycle-model.js';
import type { CoreConfig } from '../core/config.js';
import { ACT_CHOICES, choiceKey, type Space, type WeightChoice } from './space.js';

export interface Pricing {
  /** layers in program order (every layer that has jobs) */
  order: string[];
  /** choice key → layer → jobs (only choices the core ran) */
  jobs: Map<string, Map<string, ProgramJob[]>>;
  /** choice key → layer → cycles of the layer's jobs in that uniform program */
  cycles: Map<string, Map<string, number>>;
  /** the uniform program of each choice key: whole-program cycles */
  uniform: Map<string, number>;
  /** choice key whose jobs price the layers without weights (pools, ReLU jobs) */
  reference: string;
  /** choices left out, with the reason (said once) */
  excluded: { key: string; reason: string }[];
}

const rule = (w: WeightChoice): LayerQuantConfig['rule'] => (w.scheme === 'msq' ? 'variance' : w.scheme);

/** ptq's byName for a plan: per weighted layer weight bits and rule, per fusable layer its output bits. */
export function ptqByName(space: Space, w: (layer: string) => WeightChoice, a: (unit: string) => number, msqRule: LayerQuantConfig['rule'] = 'variance'): Record<string, LayerQuantConfig> {
  const out: Record<string, LayerQuantConfig> = {};
  for (const [layer, owner] of space.actOwner) out[layer] = { actBits: owner === undefined ? 8 : a(owner) };
  for (const l of space.layers) {
    const c = w(l.name);
    out[l.name] = { ...out[l.name], weightBits: c.bits, rule: c.scheme === 'msq' ? msqRule : rule(c) };
  }
  return out;
}

/** Compile the model at every uniform choice for `cfg`; choices the quantizer or the core cannot run are left out. */
export function priceChoices(
  fm: FloatModel,
  space: Space,
  o: { cfg: CoreConfig; board: Board; ranges: Map<string, Range>; choices: WeightChoice[]; msqOk: (layer: string) => boolean },
): Pricing {
  const jobs = new Map<string, Map<string, ProgramJob[]>>();
  const cycles = new Map<string, Map<string, number>>();
  const uniform = new Map<string, number>();
  const excluded: { key: string; reason: string }[] = [];
  let order: string[] = [];
  for (const wc of o.choices) {
    for (const a of ACT_CHOICES) {
      const key = choiceKey(wc, a);
      try {
        // a layer the ratio cannot split prices as fixed (its MSQ choice is out of the search anyway)
        const byName = ptqByName(space, (n) => (wc.scheme === 'msq' && !o.msqOk(n) ? { scheme: 'fixed', bits: wc.bits } : wc), () => a);
        const qm = quantizeFloatModel(fm, { actRanges: o.ranges, board: o.board.id, byName, detectLevels: false, alphaSearch: { grid: 2, refine: 0 } });
        const pj = compiledJobs(qm, o.cfg);
        const lat = programLatency(pj, o.cfg, o.board, { clockMHz: o.board.defaultClockMHz });
        const byLayer = new Map<string, ProgramJob[]>();
        const cyc = new Map<string, number>();
        pj.forEach((j, i) => {
          (byLayer.get(j.layer) ?? byLayer.set(j.layer, []).get(j.layer)!).push(j);
          cyc.set(j.layer, (cyc.get(j.layer) ?? 0) + lat.jobs[i]!.cycles);
        });
        if (!order.length) order = [...byLayer.keys()];
        jobs.set(key, byLayer);
        cycles.set(key, cyc);
        uniform.set(key, lat.cycles);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        excluded.push({ key, reason: e.message.split('\n')[0]! });
      }
    }
  }
  const reference = [...jobs.keys()][0];
  if (reference === undefined) throw new UserError(`msq plan: the core runs none of the bit widths: ${excluded[0]?.reason ?? ''}`);
  return { order, jobs, cycles, uniform, reference, excluded };
}

/** Exact cycles of a mixed assignment (layer → choice key): the concatenated program through the cycle model. */
export function priceAssignment(p: Pricing, keyOf: (layer: string) => string | undefined, cfg: CoreConfig, board: Board): { cycles: number; ms: number } {
  const all: ProgramJob[] = [];
  for (const layer of p.order) {
    const k = keyOf(layer) ?? p.reference;
    const byLayer = p.jobs.get(k);
    if (!byLayer) throw new UserError(`layer '${layer}': ${k} is left out of the search (the core cannot run it)`);
    all.push(...byLayer.get(layer)!);
  }
  const lat = programLatency(all, cfg, board, { clockMHz: board.defaultClockMHz });
  return { cycles: lat.cycles, ms: lat.ms };
}

/** Cycles of the layers without weights (from the reference program): the constant part of every plan. */
export function fixedCycles(p: Pricing, space: Space): number {
  const ref = p.cycles.get(p.reference)!;
  let s = 0;
  for (const [layer, c] of ref) if (!space.byName.has(layer)) s += c;
  return s;
}
