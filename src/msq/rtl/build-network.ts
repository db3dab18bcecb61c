/**
 * `msq build --network`: the whole model as one streaming design (src/msq/rtl/network.ts: an engine per conv2d /
 * linear layer, units for pooling / add, flatten on the stream) with a self-checking Verilog testbench whose vectors
 * come from the golden model on a seeded random model input (full network input → model output), and a report
 * (stages, per-engine cycle model, DSP count). Written atomically: on any error nothing is left behind.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Board } from '../../board/index.js';
import { fail } from '../../util/errors.js';
import { writeDirAtomic } from '../../util/fsx.js';
import { writeFolderReport } from '../../report/from-folder.js';
import { GENERATOR_VERSION } from '../../version.js';
import { runGolden } from '../golden.js';
import { checkModel, type QuantModel } from '../model.js';
import { actRange } from '../conventions.js';
import { layerCycles } from '../cycle-model.js';
import { fixedCoreDsps, type EngineShape } from './plan.js';
import { generateNetwork, networkInputBeats, networkOutputBeats, type NetworkRtl } from './network.js';
import { REQUANT_DSP_PER_UNIT, testbench } from './build.js';
import { hexBeats } from '../../sim/testbench.js';
import { rng } from './random-layer.js';

export interface BuildNetworkOptions {
  board: Board;
  shape: EngineShape;
  outDir: string;
  seed?: number;
}

export interface NetworkStageReport {
  layer: string;
  op: string;
  instance: string;
  module: string;
  /** engine stages: the cycle model's total for one frame (no stalls); units: null (they stream, docs/msq-units.md) */
  cycles: number | null;
  passes?: number;
  passCycles?: number;
  fixedFilters?: number;
  sp2Filters?: number;
}

export interface BuiltNetwork {
  top: string;
  tb: string;
  stages: NetworkStageReport[];
  engines: number;
  dsp48e1: { perEngineLanes: number; perEngineRequant: number; total: number };
  engineCycles: number;
  inputBeats: number;
  outputBeats: number;
}


/** The testbench timeout: three times the engines' summed cycle model plus slack for the units and FIFOs. */
export function networkMaxCycles(net: NetworkRtl): number {
  return net.engineCycles * 3 + 50_000;
}

/** Build the network design into `outDir` (atomically). */
export async function buildNetwork(model: QuantModel, o: BuildNetworkOptions): Promise<BuiltNetwork> {
  const { shape, board } = o;
  const rq = shape.Rq ?? 1;
  const infos = checkModel(model);
  const net = generateNetwork(model, shape);
  const engines = net.stages.filter((s) => s.plan).length;
  const perEngineLanes = fixedCoreDsps(shape);
  const perEngineRequant = REQUANT_DSP_PER_UNIT * rq;
  const dspTotal = engines * (perEngineLanes + perEngineRequant);
  if (dspTotal > board.resources.dsp48e1) {
    fail('--pf', `${engines} engines x (Pf=${shape.Pf} fixed lanes x N=${shape.N}${shape.dspPack === 2 ? ' packed 2 per DSP' : ''} + ${rq} requantizer(s)) need ${dspTotal} DSP48E1, ${board.id} has ${board.resources.dsp48e1}: lower --pf, --n or --rq`);
  }
  // golden vectors: a seeded random model input through the whole model
  const r = rng(o.seed ?? 1);
  const inInfo = infos.get(model.input.name)!;
  const [lo, hi] = actRange(inInfo.bits, inInfo.signed);
  const x = new Int32Array(inInfo.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(r() * (hi - lo + 1));
  const y = runGolden(model, x).output.data;
  const ins = networkInputBeats(net, x);
  const outs = networkOutputBeats(net, y);
  const stages: NetworkStageReport[] = net.stages.map((s) => {
    const base = { layer: s.layer, op: s.op, instance: s.instance, module: s.module };
    if (!s.plan) return { ...base, cycles: null };
    return {
      ...base,
      cycles: layerCycles(s.plan).total,
      passes: s.plan.passes,
      passCycles: s.plan.passCycles,
      fixedFilters: s.plan.fixedFilters.length,
      sp2Filters: s.plan.sp2Filters.length,
    };
  });
  const result: BuiltNetwork = {
    top: net.top,
    tb: `tb_${net.top}.v`,
    stages,
    engines,
    dsp48e1: { perEngineLanes, perEngineRequant, total: dspTotal },
    engineCycles: net.engineCycles,
    inputBeats: ins.length,
    outputBeats: outs.length,
  };
  await writeDirAtomic(o.outDir, async (tmp) => {
    for (const [f, t] of net.files) await writeFile(join(tmp, f), t);
    await writeFile(join(tmp, 'input.hex'), hexBeats(ins, net.inWidth));
    await writeFile(join(tmp, 'expected.hex'), hexBeats(outs, net.outWidth));
    const tb = testbench(net.top, net.inWidth, net.outWidth, ins.length, outs.length, networkMaxCycles(net));
    await writeFile(join(tmp, result.tb), tb);
    const mhz = board.defaultClockMHz;
    const report = {
      generator: GENERATOR_VERSION,
      kind: 'msq-network',
      hash: net.hash,
      model: model.name ?? null,
      board: board.id,
      engine: { ...shape, Rq: rq },
      top: net.top,
      files: [...net.files.keys()],
      testbench: result.tb,
      seed: o.seed ?? 1,
      goldenOutput: Array.from(y),
      inputBeats: ins.length,
      outputBeats: outs.length,
      stages,
      fifos: net.fifos,
      // the engine stages in the shape `msq build` uses, so src/report draws their cycles
      layers: stages.filter((s) => s.cycles !== null).map((s) => ({ layer: s.layer, top: s.module, cycles: s.cycles })),
      dsp48e1: result.dsp48e1,
      engineCyclesSum: net.engineCycles,
      engineCyclesSumMsAtDefaultClock: net.engineCycles / (mhz * 1e3),
      notes: [
        'one streaming design: every engine runs its own layer, so consecutive frames overlap; the per-frame latency is at most about the sum of the engines\' cycle models (the MNIST CNN measured 29 434 cycles vs a 29 546 sum, docs/msq-units.md)',
        'unit stages (pool, add, fork, flatten) stream and have no cycle-model figure here (docs/msq-units.md)',
        `DSP48E1 by configuration: per engine Pf*N fixed lanes (ceil(Pf/2)*N with --dsp-pack 2) + ${REQUANT_DSP_PER_UNIT} per requantizer; the units use none. Not synthesized by this command: run \`accelforge synth\` on the folder`,
      ],
    };
    await writeFile(join(tmp, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    const md = [
      `# MSQ network build: ${model.name ?? 'model'} on ${board.id}`,
      '',
      `Top \`${net.top}\`, engine shape N=${shape.N}, Pf=${shape.Pf}, Ps=${shape.Ps}, Rq=${rq}${shape.dspPack === 2 ? ', dsp-pack 2' : ''}; ${engines} engines.`,
      '',
      '| stage | op | instance | module | passes x cycles | fixed / SP2 filters | cycles (model) |',
      '|---|---|---|---|---|---|---|',
      ...stages.map((s) => s.cycles === null
        ? `| ${s.layer} | ${s.op} | ${s.instance || '-'} | ${s.module || '(no hardware)'} | - | - | ${s.module ? 'streams' : '-'} |`
        : `| ${s.layer} | ${s.op} | ${s.instance} | ${s.module} | ${s.passes} x ${s.passCycles} | ${s.fixedFilters} / ${s.sp2Filters} | ${s.cycles} |`),
      '',
      `Sum of the engines' cycle models: ${net.engineCycles} cycles = ${(net.engineCycles / (mhz * 1e3)).toFixed(3)} ms at ${mhz} MHz (an estimate of one frame's latency; frames overlap in steady state).`,
      '',
      `DSP48E1 (by configuration, not synthesized): ${engines} x (${perEngineLanes} fixed-lane + ${perEngineRequant} requantizer) = **${dspTotal}** of ${board.resources.dsp48e1} on ${board.id}.`,
      net.fifos.length ? `\nResidual FIFOs: ${net.fifos.map((f) => `${f.tensor} (${f.depth} words)`).join(', ')}.\n` : '',
      `Testbench (\`${result.tb}\`): \`iverilog -g2005 -o tb.vvp *.v && vvp tb.vvp\` feeds input.hex (${ins.length} beats, a seeded random model input) and checks every output beat against expected.hex (${outs.length} beats, the golden model's output); prints PASS or FAIL.`,
      '',
    ].join('\n');
    await writeFile(join(tmp, 'report.md'), md);
    // summary.{json,md,html} (src/report reads the `layers` list above)
    await writeFolderReport(tmp);
  });
  return result;
}
