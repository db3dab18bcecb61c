/**
 * Fusion plan of the compiler (docs/msq-core.md "Host compilation"):
 *  - relu after a GEMM (its only consumer) → the GEMM's clamp (lo = max(lo, 0)); after an add → the add's clamp;
 *  - lut (pointwise table) after a GEMM (its only consumer) → the GEMM job's lookup table;
 *  - add → fused into a GEMM producing one of its inputs (that GEMM's only consumer, possibly through a fused relu);
 *    the other input streams on s_res. The fused job runs at the add's position.
 * (Concat placement — inputs written in place at their channel offset — is concatPlacements in lower-ops.ts.)
 */
import { fail } from '../../util/errors.js';
import type { QuantLayer, QuantModel } from '../model.js';
import type { HostTensor } from './program.js';

export type AddLayer = Extract<QuantLayer, { op: 'add' }>;

/** A GEMM job's fused residual add: the add layer, its other input and the add's clamp. */
export interface Fusion {
  /** the add layer and its other input */
  add: AddLayer;
  /** true when the GEMM chain is the add's second input (Ma / Mb swapped) */
  second: boolean;
  other: HostTensor;
  addLo: number;
  addHi: number;
}

/** What a GEMM's job writes: itself, or through a fused relu, a fused add, or add + relu. */
export interface GemmEnd {
  relu?: string;
  /** a pointwise table after the GEMM's clamp (its only consumer) */
  lut?: Extract<QuantLayer, { op: 'lut' }>;
  add?: AddLayer;
  second?: boolean;
  addRelu?: string;
}

export interface FusionPlan {
  /** GEMM layer → the layers fused after it */
  gemmEnd: Map<string, GemmEnd>;
  /** layers folded into another layer's job */
  skip: Set<string>;
  /** add name → the GEMM emitted at the add's position */
  deferred: Map<string, string>;
}

const isGemm = (l: QuantLayer | undefined): boolean => !!l && (l.op === 'conv2d' || l.op === 'linear');

/** Which relus and adds fold into which GEMM jobs. soleConsumer(t): the only layer reading t (not the output). */
export function planFusion(model: QuantModel, soleConsumer: (t: string) => QuantLayer | undefined): FusionPlan {
  const byName = new Map(model.layers.map((l) => [l.name, l] as const));
  const gemmEnd = new Map<string, GemmEnd>();
  const skip = new Set<string>();
  const deferred = new Map<string, string>();
  for (const l of model.layers) {
    if (l.op !== 'conv2d' && l.op !== 'linear') continue;
    const e: GemmEnd = {};
    const c = soleConsumer(l.name);
    if (c?.op === 'relu') {
      e.relu = c.name;
      skip.add(c.name);
    } else if (c?.op === 'lut') {
      e.lut = c;
      skip.add(c.name);
    }
    gemmEnd.set(l.name, e);
  }
  for (const l of model.layers) {
    if (l.op !== 'add') continue;
    // candidates: inputs produced by a GEMM chain whose only consumer is this add
    const cands: { gemm: string; second: boolean; idx: number }[] = [];
    l.inputs.forEach((t, k) => {
      if (l.inputs[0] === l.inputs[1]) return;
      const prod = byName.get(t);
      let gemm: string | undefined;
      if (prod && isGemm(prod) && !gemmEnd.get(prod.name)!.relu && !gemmEnd.get(prod.name)!.lut) gemm = prod.name;
      if (prod && prod.op === 'relu') {
        const inner = byName.get(prod.input);
        if (inner && isGemm(inner) && gemmEnd.get(inner.name)!.relu === prod.name) gemm = inner.name;
      }
      if (gemm && soleConsumer(t) === l) cands.push({ gemm, second: k === 1, idx: model.layers.findIndex((x) => x.name === gemm) });
    });
    if (!cands.length) {
      fail(`layer '${l.name}' (add)`, 'cannot be fused: neither input is a conv2d/linear output used only by this add (the core adds residuals only inside a GEMM job)');
    }
    cands.sort((a, b) => b.idx - a.idx); // the later GEMM: its partner is computed before it
    const pick = cands[0]!;
    const e = gemmEnd.get(pick.gemm)!;
    Object.assign(e, { add: l, second: pick.second });
    const c = soleConsumer(l.name);
    if (c?.op === 'relu') {
      Object.assign(e, { addRelu: c.name });
      skip.add(c.name);
    }
    skip.add(pick.gemm);
    deferred.set(l.name, pick.gemm);
  }
  return { gemmEnd, skip, deferred };
}
