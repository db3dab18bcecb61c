/**
 * `accelforge quantize model.onnx --board B --bits auto …`: plan the model (index.ts) and turn the pick into the
 * quantizer's per-layer configuration (weight bits, scheme rule, output activation bits of every tensor).
 */
import type { OnnxImport } from '../onnx.js';
import type { FloatModel } from '../model.js';
import type { SchemeRule } from '../scheme.js';
import { buildSpace, type WeightScheme } from './space.js';
import { ptqByName } from './price.js';
import { generateSteps, planSamples, sampleCount } from './samples.js';
import { planModel, type PlanPoint, type PlanResult } from './index.js';

export interface AutoLayerBits {
  weightBits: number;
  actBits: number;
  rule?: SchemeRule;
}

/** The quantizer's byName for a plan point; `msqRule` is the rule that splits an MSQ layer's filters. */
export function pointByName(fm: FloatModel, p: PlanPoint, msqRule: SchemeRule): Record<string, AutoLayerBits> {
  const space = buildSpace(fm);
  const unitA = new Map(space.units.map((u) => [u.source, p.layers[u.layers[0]!]!.a]));
  const cfg = ptqByName(
    space,
    (n) => ({ scheme: p.layers[n]!.scheme as WeightScheme, bits: p.layers[n]!.w }),
    (u) => unitA.get(u) ?? 8,
    msqRule,
  );
  return Object.fromEntries(Object.entries(cfg).map(([n, c]) => [n, { weightBits: c.weightBits ?? 8, actBits: c.actBits ?? 8, ...(c.rule ? { rule: c.rule } : {}) }]));
}

/** Plan `imp` for `board` with samples from `calib` (as quantize's --calib) and return the pick as byName bits. */
export async function autoBits(
  imp: OnnxImport,
  o: { board: string; calib?: string; msqRule: SchemeRule; maxMs?: number; maxKb?: number },
): Promise<{ byName: Record<string, AutoLayerBits>; plan: PlanResult }> {
  const macs = buildSpace(imp.model).layers.reduce((a, l) => a + l.macs, 0);
  const { samples } = await planSamples(imp.model, o.calib, sampleCount(macs), { bnStats: imp.bnStats, steps: generateSteps(macs) });
  const plan = planModel(imp.model, { board: o.board, samples, maxMs: o.maxMs, maxKb: o.maxKb });
  return { byName: pointByName(imp.model, plan.pick, o.msqRule), plan };
}
