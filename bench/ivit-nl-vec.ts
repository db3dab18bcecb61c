/**
 * Bench helper (bench/ivit-block-rtl.ts, bench/ivit-rtl.ts): every nonlinear step of a ViT program (nl-jobs.ts) in one
 * Verilator run of the nonlinear vector with random valid/ready stalls, inputs from the golden tensors; every m_out
 * beat is compared with the golden job's (runStreams throws on a mismatch) and each step's result, read back into
 * its tensor, with the golden model's tensor.
 */
import { moduleDesign } from '../src/sim/design.js';
import { runStreams } from '../src/sim/index.js';
import type { Tensor } from '../src/msq/golden.js';
import { encodeNlVecJob, generateNlVec, nlVecJobBeats, nlVecJobCycles, nlVecRows, type NlVecConfig } from '../src/msq/ivit/rtl/index.js';
import type { VitProgram } from '../src/msq/vit/lower.js';
import { nlStepJob } from '../src/msq/vit/nl-jobs.js';

export const NL_STALLS = { validProb: 0.8, readyProb: 0.8 };

export async function nlStepsOnVector(p: VitProgram, golden: ReadonlyMap<string, Tensor>, vc: NlVecConfig, seed: number) {
  const t0 = Date.now();
  const tensors = new Map([...golden].map(([k, v]) => [k, v.data] as const));
  const steps = p.steps.filter((s) => s.kind === 'nl');
  const nj = steps.map((s) => nlStepJob(p, s, tensors));
  const words = nj.flatMap((j) => encodeNlVecJob(j.job, vc).map((data) => ({ data })));
  const expected = nj.flatMap((j) => nlVecJobBeats(j.job, vc));
  const vec = generateNlVec(vc);
  const nl = await runStreams(moduleDesign(vec.module), { inputs: { s_in: words }, expected: { m_out: expected }, ...NL_STALLS, seed, maxCycles: 1_000_000_000 });
  let at = 0;
  const perStep = nj.map((j, i) => {
    const beats = nlVecJobBeats(j.job, vc).length;
    const got = j.tensor(nlVecRows(j.job, vc, nl.outputs.m_out!.slice(at, at + beats).map((b) => b.data)));
    at += beats;
    const want = golden.get(steps[i]!.layer)!.data;
    return { layer: steps[i]!.layer, mode: j.job.mode, rows: j.job.rows.length, len: j.job.rows[0]!.length, cyclesUnstalled: nlVecJobCycles(j.job, vc), tensorEqualsGolden: got.length === want.length && got.every((v, k) => v === want[k]) };
  });
  return { top: vec.top, lanes: vc.lanes, unit: vc.unit, stalls: NL_STALLS, cyclesWithStalls: nl.cycleCount, steps: perStep, allBitExact: perStep.every((s) => s.tensorEqualsGolden), wallSeconds: Math.round((Date.now() - t0) / 1000) };
}
