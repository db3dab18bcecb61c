/**
 * `msq build`: one layer engine per weighted layer of a quantized model, each with a self-checking Verilog testbench
 * (golden-model vectors from a seeded random model input) and a report (plan, cycle model, DSP count).
 * Layers the engine cannot run yet make the build fail with the layer named, unless `layers` selects engines only.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Board } from '../../board/index.js';
import { fail } from '../../util/errors.js';
import { hexBeats, streamTestbench } from '../../sim/testbench.js';
import { writeDirAtomic } from '../../util/fsx.js';
import { writeFolderReport } from '../../report/from-folder.js';
import { GENERATOR_VERSION } from '../../version.js';
import { runGolden } from '../golden.js';
import { checkModel, type Conv2dLayer, type LinearLayer, type QuantModel } from '../model.js';
import { actRange } from '../conventions.js';
import { layerCycles } from '../cycle-model.js';
import { fixedCoreDsps, planLayer, type EngineShape, type LayerPlan } from './plan.js';
import { generateLayerEngine, type EngineRtl } from './engine.js';
import { outputBeats, packActivations } from './index.js';
import { rng } from './random-layer.js';
import { unrollKx } from './unroll.js';

export interface BuildOptions {
  board: Board;
  shape: EngineShape;
  outDir: string;
  /** names of the conv2d / linear layers to build (default: every layer; then any other op is an error) */
  layers?: string[];
  /** conv2d layers to build kx-unrolled (rtl/unroll.ts): the host sends their input packed, columns as channels */
  unrollKx?: string[];
  seed?: number;
}

export interface BuiltLayer {
  layer: string;
  dir: string;
  top: string;
  /** built kx-unrolled: its input stream carries the host-packed tensor (rtl/unroll.ts) */
  kxUnrolled: boolean;
  plan: Omit<LayerPlan, 'fixedRom' | 'sp2Rom' | 'bias' | 'mul' | 'shift'>;
  cycles: number;
  dsp48e1Lanes: number;
  dsp48e1Requant: number;
}

/** DSP48E1 per requantizer unit as yosys maps the (acc + bias) * M product (measured by `msq sweep`'s slices: 4). */
export const REQUANT_DSP_PER_UNIT = 4;

function ident(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `l_${s}`;
}

/**
 * The self-checking Verilog-2005 testbench of an engine or network: feeds input.hex on s_act, compares every m_out
 * beat (and tlast) with expected.hex, with random valid/ready stalls on both streams (src/sim/testbench.ts).
 */
export function testbench(top: string, inWidth: number, outWidth: number, nIn: number, nOut: number, maxCycles: number): string {
  return streamTestbench({
    top,
    inputs: [{ name: 's_act', width: inWidth, beats: nIn, file: 'input.hex' }],
    outputs: [{ name: 'm_out', width: outWidth, beats: nOut, tlast: true, file: 'expected.hex' }],
    // stalls slow both ends: allow 4x the no-stall cycle bound
    maxCycles: maxCycles * 4,
    stallPercent: 20,
  });
}

/** Build the engines into `outDir` (atomically: nothing is left behind on error). */
export async function buildModel(model: QuantModel, o: BuildOptions): Promise<BuiltLayer[]> {
  const infos = checkModel(model);
  const { shape, board } = o;
  const rq = shape.Rq ?? 1;
  const dsp = fixedCoreDsps(shape) + REQUANT_DSP_PER_UNIT * rq;
  if (dsp > board.resources.dsp48e1) {
    fail('--pf', `Pf=${shape.Pf} fixed lanes x N=${shape.N}${shape.dspPack === 2 ? ' (packed 2 per DSP)' : ''} + ${rq} requantizer(s) need ${dsp} DSP48E1, ${board.id} has ${board.resources.dsp48e1}: lower --pf or --n`);
  }
  const wanted = o.layers ? new Set(o.layers) : undefined;
  const targets: Array<Conv2dLayer | LinearLayer> = [];
  model.layers.forEach((l, i) => {
    if (wanted && !wanted.has(l.name)) return;
    if (l.op === 'conv2d' || l.op === 'linear') targets.push(l);
    else if (wanted || l.op !== 'flatten') {
      fail(`layers[${i}].op`, `layer '${l.name}' (${l.op}) cannot run on the engine yet (conv2d with groups 1 and linear only); build the weighted layers alone with --layer <name>`);
    }
  });
  if (wanted) for (const n of wanted) if (!model.layers.some((l) => l.name === n)) fail('--layer', `no layer named '${n}' in the model`);
  if (!targets.length) fail('model', 'no conv2d or linear layer to build');
  // golden vectors: a seeded random model input, every intermediate tensor
  const r = rng(o.seed ?? 1);
  const inInfo = infos.get(model.input.name)!;
  const [lo, hi] = actRange(inInfo.bits, inInfo.signed);
  const x = new Int32Array(inInfo.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = lo + Math.floor(r() * (hi - lo + 1));
  const g = runGolden(model, x, { dump: true });
  const unroll = new Set(o.unrollKx ?? []);
  for (const n of unroll) {
    const l = model.layers.find((x) => x.name === n);
    if (!l || l.op !== 'conv2d') fail('--unroll-kx', `'${n}' is not a conv2d layer of the model`);
    if (!targets.includes(l)) fail('--unroll-kx', `layer '${n}' is not being built`);
  }
  const built: Array<{ layer: Conv2dLayer | LinearLayer; plan: LayerPlan; rtl: EngineRtl; pack?: (x: ArrayLike<number>) => Int32Array }> = targets.map((layer) => {
    const info = infos.get(layer.input)!;
    if (layer.op === 'conv2d' && unroll.has(layer.name)) {
      const u = unrollKx(layer, info);
      const plan = planLayer(u.layer, { ...info, shape: u.inputShape }, shape);
      return { layer, plan, rtl: generateLayerEngine(plan, `msq_${ident(layer.name)}`), pack: u.pack };
    }
    const plan = planLayer(layer, info, shape);
    return { layer, plan, rtl: generateLayerEngine(plan, `msq_${ident(layer.name)}`) };
  });
  return writeDirAtomic(o.outDir, async (tmp) => {
    const out: BuiltLayer[] = [];
    for (const { layer, plan, rtl, pack } of built) {
      const dir = join(tmp, ident(layer.name));
      await writeDirAtomic(dir, async (d) => {
        for (const [f, t] of rtl.files) await writeFile(join(d, f), t);
        const xin = pack ? pack(g.tensors!.get(layer.input)!.data) : g.tensors!.get(layer.input)!.data;
        const yout = g.tensors!.get(layer.name)!.data;
        const ins = packActivations(xin, plan.cin, plan.inH, plan.inW, shape.N, plan.inBits);
        const outs = outputBeats(yout, plan.cout, plan.outH, plan.outW, shape.N, plan.outBits);
        const cyc = layerCycles(plan);
        await writeFile(join(d, 'input.hex'), hexBeats(ins, rtl.actWidth));
        await writeFile(join(d, 'expected.hex'), hexBeats(outs, rtl.outWidth));
        await writeFile(join(d, `tb_${rtl.top}.v`), testbench(rtl.top, rtl.actWidth, rtl.outWidth, ins.length, outs.length, cyc.total * 2 + 1000));
        const { fixedRom: _f, sp2Rom: _s, bias: _b, mul: _m, shift: _h, ...summary } = plan;
        const rec: BuiltLayer = {
          layer: layer.name,
          dir: ident(layer.name),
          top: rtl.top,
          kxUnrolled: Boolean(pack),
          plan: summary,
          cycles: cyc.total,
          dsp48e1Lanes: fixedCoreDsps(shape),
          dsp48e1Requant: REQUANT_DSP_PER_UNIT * rq,
        };
        await writeFile(join(d, 'report.json'), JSON.stringify({ generator: GENERATOR_VERSION, hash: rtl.hash, ...rec, cycleModel: cyc }, null, 2) + '\n');
        out.push(rec);
      });
    }
    const total = out.reduce((a, b) => a + b.cycles, 0);
    const report = {
      generator: GENERATOR_VERSION,
      model: model.name ?? null,
      board: board.id,
      engine: { ...shape, Rq: rq },
      peakGopsAt: { [`${board.defaultClockMHz}MHz`]: (2 * (shape.Pf + shape.Ps) * shape.N * board.defaultClockMHz) / 1000 },
      layers: out,
      totalCycles: total,
      latencyMsAtDefaultClock: total / (board.defaultClockMHz * 1e3),
      notes: [
        'one engine per weighted layer with baked weights; cycles are the cycle model (no stalls), per layer in sequence',
        'DSP48E1: fixed lanes Pf*N, or ceil(Pf/2)*N with --dsp-pack 2 (checked by synthesis in test/msq-rtl-synth.test.ts) + requantizer units (4 each as yosys maps them)',
        'run `accelforge synth` on a layer folder for resources and the (estimated) fmax',
      ],
    };
    await writeFile(join(tmp, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    const md = [
      `# MSQ engine build: ${model.name ?? 'model'} on ${board.id}`,
      '',
      `Engine: N=${shape.N}, Pf=${shape.Pf}, Ps=${shape.Ps}, Rq=${rq}; peak ${(2 * (shape.Pf + shape.Ps) * shape.N * board.defaultClockMHz / 1000).toFixed(1)} GOPS at ${board.defaultClockMHz} MHz.`,
      '',
      '| layer | top | passes x cycles | fixed / SP2 filters | cycles (model) |',
      '|---|---|---|---|---|',
      ...out.map((l) => `| ${l.layer} | ${l.top} | ${l.plan.passes} x ${l.plan.passCycles} | ${l.plan.fixedFilters.length} / ${l.plan.sp2Filters.length} | ${l.cycles} |`),
      '',
      `Total ${total} cycles = ${(total / (board.defaultClockMHz * 1e3)).toFixed(3)} ms at ${board.defaultClockMHz} MHz (cycle model, layers in sequence).`,
      '',
      'Each layer folder holds the Verilog, `tb_<top>.v` (self-checking, golden vectors in input.hex / expected.hex) and report.json.',
      '',
    ].join('\n');
    await writeFile(join(tmp, 'report.md'), md);
    // summary.{json,md,html}: the self-contained report page with charts (src/report)
    await writeFolderReport(tmp);
    return out;
  });
}
