/**
 * Running a VitProgram as the host would: core and run-time jobs through a JobExecutor (the interpreter or an RTL
 * simulation), each job's streams built from the tensors computed so far (run-time filters from the earlier job's
 * output); nonlinear-unit and host steps with the golden model's layer function (they are not core jobs).
 */
import { prepareModel, runLayer, type Tensor } from '../golden.js';
import { numel } from '../model.js';
import { jobActBeats, jobExpectedOut, jobResBeats, scatterOut, type CompiledJob, type JobExecutor, type JobStimulus } from '../core/compile.js';
import { encodeProgram } from '../core/job.js';
import { stepJobs, type VitProgram } from './lower.js';

export async function executeVit(p: VitProgram, input: Int32Array, exec: JobExecutor): Promise<Map<string, Int32Array>> {
  const pm = prepareModel(p.model);
  const cfg = p.cfg;
  const t = new Map<string, Int32Array>([[p.model.input.name, input]]);
  const byName = new Map(p.model.layers.map((l) => [l.name, l] as const));
  for (const s of p.steps) {
    if (s.kind === 'nl' || s.kind === 'host') {
      t.set(s.layer, runLayer(pm, byName.get(s.layer)!, t));
      continue;
    }
    for (const j of stepJobs(p, s, t)) {
      const out = await exec(encodeProgram(cfg, j.spec), jobActBeats(cfg, j, t), jobResBeats(cfg, j, t), j);
      const n = j.spec.outH * j.spec.outW * j.spec.coutGroups;
      if (out.length !== n) throw new Error(`job ${j.spec.name}: ${out.length} output beats, expected ${n}`);
      let dst = t.get(j.out.tensor);
      if (!dst) t.set(j.out.tensor, (dst = new Int32Array(numel(j.out.shape))));
      scatterOut(cfg, j, out, dst);
    }
  }
  return t;
}

/** Every core job of a program (run-time filters from the golden tensors) with its golden streams, in order. */
export function vitStimulus(p: VitProgram, golden: ReadonlyMap<string, Tensor | Int32Array>): { jobs: CompiledJob[]; stim: JobStimulus[] } {
  const jobs = p.steps.flatMap((s) => stepJobs(p, s, golden));
  const stim = jobs.map((j) => ({
    wgt: encodeProgram(p.cfg, j.spec),
    act: jobActBeats(p.cfg, j, golden),
    res: jobResBeats(p.cfg, j, golden),
    expectedOut: jobExpectedOut(p.cfg, j, golden),
  }));
  return { jobs, stim };
}
