/**
 * Benchmark: the mixed-precision planner (src/msq/plan, docs/msq-plan.md) on the accuracy benchmark's zoo
 * (models/zoo/, evaluated like bench/msq-accuracy.ts: integer golden model on held-out images) and on the synthetic
 * ResNet-18 (data-free; synthetic weights, so no accuracy). Per model and board (xc7z020, xc7z045):
 *   - the pick (knee of the front priced by the cycle model) against uniform W4A4 (MSQ 4-bit weights) and W8A8
 *     (fixed 8-bit): latency, size, accuracy; the best front point at the latency of each uniform baseline
 *     (lowest perturbation with ms <= the baseline's) and its accuracy;
 *   - the pick made by BOPs instead of cycles (HTQ as published): its real latency and accuracy;
 *   - planning time (wall and CPU seconds) — the ResNet-18 target is <= 10 minutes on this machine.
 * Uniform baselines and plan points go through the same quantizer (quantize --bits auto's path: calibration with
 * the MSE clip search, output-error rule for MSQ layers). Latencies are CYCLE-MODEL figures at the board clock with
 * the board file's assumed DDR bandwidth.
 *
 *   npx tsx bench/msq-plan.ts [--n 500] [--calib-n 128] [--only plain-mnist,…,resnet18] [--out msq-plan.json]
 * Writes bench/results/<out> (default msq-plan.json; rewritten after every model).
 */
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../src/version.js';
import { writeFileAtomic } from '../src/util/fsx.js';
import { loadOnnx } from '../src/msq/onnx.js';
import type { FloatModel } from '../src/msq/model.js';
import { loadEvalSet } from '../src/data/datasets.js';
import { quantAccuracy } from '../src/msq/cli-accuracy.js';
import { quantizeImported } from '../src/msq/cli-quantize.js';
import { planModel, type LayerChoice, type PlanPoint, type PlanResult } from '../src/msq/plan/index.js';
import { pointByName } from '../src/msq/plan/auto.js';
import { planSamples, sampleCount } from '../src/msq/plan/samples.js';
import { buildSpace } from '../src/msq/plan/space.js';
import { makeResnet18Float } from '../scripts/make-resnet18.js';
import { TRAINED_ZOO } from './trained-zoo.js';

const BOARDS = ['xc7z020', 'xc7z045'];

/** Uniform Wb/Ab: every layer b-bit weights (MSQ at 4, fixed at 8; fixed where MSQ cannot split), b-bit inputs (the model input stays 8). */
function uniform(plan: PlanResult, b: 4 | 8, fm: FloatModel): Record<string, LayerChoice> {
  const space = buildSpace(fm);
  const out: Record<string, LayerChoice> = {};
  for (const l of space.layers) {
    const a = space.units.find((u) => u.source === l.source)!.isInput ? 8 : b;
    let c: LayerChoice = { w: b, a, scheme: b === 4 ? 'msq' : 'fixed' };
    try {
      plan.evaluate({ ...Object.fromEntries(space.layers.map((x) => [x.name, { w: 8, a: 8, scheme: 'fixed' as const }])), [l.name]: c });
    } catch {
      c = { ...c, scheme: 'fixed' };
    }
    out[l.name] = c;
  }
  return out;
}

const summary = (p: PlanPoint) => ({ ms: Number(p.ms.toFixed(4)), cycles: p.cycles, kB: Number((p.sizeBytes / 1024).toFixed(2)), mbops: Number((p.bops / 1e6).toFixed(3)), perturbation: Number(p.perturbation.toPrecision(4)), layers: Object.fromEntries(Object.entries(p.layers).map(([n, c]) => [n, `W${c.w}${c.scheme === 'fixed' ? '' : c.scheme}A${c.a}`])) });

/** Plan once per board; time it (wall and CPU). */
function timedPlan(fm: FloatModel, board: string, samples: ArrayLike<number>[]): { plan: PlanResult; wall: number; cpu: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const plan = planModel(fm, { board, samples });
  const c = process.cpuUsage(c0);
  return { plan, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

function bestAt(plan: PlanResult, ms: number): PlanPoint | undefined {
  return plan.front.filter((p) => p.ms <= ms * (1 + 1e-9)).sort((a, b) => a.perturbation - b.perturbation)[0];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '500' }, 'calib-n': { type: 'string', default: '128' }, only: { type: 'string', default: '' }, out: { type: 'string', default: 'msq-plan.json' } }, strict: true });
  const only = new Set(values.only.split(',').filter(Boolean));
  const n = Number(values.n);
  const calibN = Number(values['calib-n']);
  const file = join(PROJECT_ROOT, 'bench', 'results', values.out);
  const rows: unknown[] = [];
  const write = async () =>
    writeFileAtomic(file, `${JSON.stringify({
      benchmark: 'msq-plan',
      what: 'mixed-precision plan (knee of the (perturbation, size, cycle-model latency) front) vs uniform W4A4 / W8A8 and vs picking by BOPs; latency = cycle model at the board clock with the board file\'s ASSUMED DDR bandwidth',
      command: `npx tsx bench/msq-plan.ts --n ${n} --calib-n ${calibN}${only.size ? ` --only ${[...only].join(',')}` : ''} --out ${values.out}`,
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores), node ${process.version}, host ${hostname()}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
      generator: GENERATOR_VERSION,
      models: rows,
    }, null, 1)}\n`);
  for (const z of TRAINED_ZOO) {
    if (only.size && !only.has(z.name)) continue;
    const imp = await loadOnnx(join(PROJECT_ROOT, 'models', 'zoo', `${z.name}.onnx`));
    const fm = imp.model;
    const test = loadEvalSet(z.data, undefined, n);
    const { samples } = await planSamples(fm, z.data, 16);
    const acc = async (board: string, p: PlanPoint): Promise<number> => {
      const { model } = await quantizeImported(imp, { board, scheme: 'msq', rule: 'output', calib: { kind: 'set', spec: z.data, n: calibN }, bits: { byName: pointByName(fm, p, 'output') } });
      return Number(quantAccuracy(model, test).toFixed(2));
    };
    const boards: Record<string, unknown> = {};
    for (const board of BOARDS) {
      const { plan, wall, cpu } = timedPlan(fm, board, samples);
      const u4 = plan.evaluate(uniform(plan, 4, fm));
      const u8 = plan.evaluate(uniform(plan, 8, fm));
      const bopsPick = plan.pickBy('bops');
      const at4 = bestAt(plan, u4.ms);
      const at8 = bestAt(plan, u8.ms);
      const points: [string, PlanPoint | undefined][] = [['pick', plan.pick], ['W4A4', u4], ['W8A8', u8], ['plan at W4A4 latency', at4], ['plan at W8A8 latency', at8], ['pick by BOPs', bopsPick]];
      const out: Record<string, unknown> = { planSeconds: { wall: Number(wall.toFixed(1)), cpu: Number(cpu.toFixed(1)) }, front: plan.front.length, notes: plan.notes };
      for (const [label, p] of points) {
        if (!p) {
          out[label] = null;
          continue;
        }
        out[label] = { ...summary(p), accuracy: await acc(board, p) };
        process.stderr.write(`${z.name} ${board} ${label}: ${p.ms.toFixed(4)} ms, ${(p.sizeBytes / 1024).toFixed(1)} kB, acc ${(out[label] as { accuracy: number }).accuracy}\n`);
      }
      boards[board] = out;
    }
    rows.push({ model: z.name, data: z.data, evalImages: test.images.length, calibImages: calibN, boards });
    await write();
  }
  if (!only.size || only.has('resnet18')) {
    const fm = makeResnet18Float();
    const macs = buildSpace(fm).layers.reduce((a, l) => a + l.macs, 0);
    const { samples, what } = await planSamples(fm, 'none', sampleCount(macs));
    const boards: Record<string, unknown> = {};
    for (const board of BOARDS) {
      const { plan, wall, cpu } = timedPlan(fm, board, samples);
      const u4 = plan.evaluate(uniform(plan, 4, fm));
      const u8 = plan.evaluate(uniform(plan, 8, fm));
      boards[board] = {
        planSeconds: { wall: Number(wall.toFixed(1)), cpu: Number(cpu.toFixed(1)), sensitivity: plan.seconds.sensitivity, pricing: plan.seconds.pricing, search: plan.seconds.search },
        front: plan.front.length,
        notes: plan.notes,
        pick: summary(plan.pick),
        pickAdditiveCycles: plan.pickAdditiveCycles,
        W4A4: summary(u4),
        W8A8: summary(u8),
        'plan at W4A4 latency': bestAt(plan, u4.ms) ? summary(bestAt(plan, u4.ms)!) : null,
        'pick by BOPs': summary(plan.pickBy('bops')),
      };
      process.stderr.write(`resnet18 ${board}: planned in ${wall.toFixed(1)} s wall / ${cpu.toFixed(1)} s CPU; pick ${plan.pick.ms.toFixed(3)} ms vs W4A4 ${u4.ms.toFixed(3)} ms\n`);
    }
    rows.push({ model: 'resnet18 (synthetic weights, data-free)', sensitivityFrom: what, boards });
    await write();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
