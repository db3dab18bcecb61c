/**
 * Demo step: the MSQ core on the committed quantization-aware MNIST CNN — golden-model accuracy on held-out digits,
 * then the whole network compiled to a job program for ONE run-time programmed core (src/msq/core: fixed lanes on
 * DSP48E1, SP2 lanes on LUT shift-add) that holds the program in its on-chip ROM (CoreConfig.rom: one self-contained
 * design, only activations stream), run on Verilator (3 real digits, all jobs back to back) and Icarus (1 digit)
 * with random stalls on every stream against the golden model, and the core's lanes synthesized (the fixed lanes'
 * DSP48E1 count vs the SP2 lanes' zero).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuantModel } from '../msq/model.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from '../msq/golden.js';
import { loadMnist } from '../data/mnist.js';
import { smallCoreConfig } from '../msq/core/config.js';
import { compileModel, coreStreams, programStimulus, type CoreStreams } from '../msq/core/compile.js';
import { coreInputs, coreSimDesign, generateCore } from '../msq/core/rtl/index.js';
import { programRom } from '../msq/core/rom.js';
import { coreLanes, coreLaneMultipliers } from '../msq/core/lanes.js';
import { emitVerilog } from '../hdl/index.js';
import { lintVerilog } from '../tools/lint.js';
import { runStreams } from '../sim/index.js';
import { synthesize, formatSynthReport, synthReportJson } from '../synth/index.js';
import { PROJECT_ROOT } from '../version.js';
import type { Board } from '../board/index.js';
import type { DemoStep } from './types.js';

export const msqStep: DemoStep = {
  name: 'msq',
  title: 'MSQ core on the quantization-aware MNIST CNN (one run-time programmed design: fixed lanes on DSP48E1, SP2 lanes on LUTs)',
  async run(outDir: string, board: Board) {
    const model = parseQuantModel(JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn-qat.q.json'), 'utf8')));
    const pm = prepareModel(model);
    const digits = loadMnist('test', 200);
    let correct = 0;
    const runs = digits.images.map((img, i) => {
      const r = runGolden(pm, quantizeInput(model, pixelsToReal(model, img)), { dump: i < 3 });
      if (argmax(r.output.data) === digits.labels[i]) correct++;
      return r;
    });
    const lines = [`golden model: ${correct}/${digits.images.length} held-out digits right (${((100 * correct) / digits.images.length).toFixed(1)} %)`];

    const cfg = smallCoreConfig({ rom: true });
    const program = compileModel(model, cfg);
    const rom = programRom(program);
    const rtl = generateCore(cfg, 'msqc', { rom });
    await lintVerilog(rtl.files, rtl.top);
    for (const [name, text] of rtl.files) await writeFile(join(outDir, name), text);
    const streams = (n: number) => {
      const s: CoreStreams = coreStreams(runs.slice(0, n).flatMap((r) => programStimulus(program, r.tensors!)));
      return { inputs: coreInputs(rtl, s.inputs), expected: s.expected };
    };
    const stall = { seed: 5, validProb: 0.7, readyProb: 0.6 };
    const v = await runStreams(coreSimDesign(rtl), { ...streams(3), ...stall, sim: 'verilator' });
    await runStreams(coreSimDesign(rtl), { ...streams(1), ...stall, sim: 'icarus' });
    lines.push(`${program.jobs.length} jobs per image (${program.layers.map((l) => `${l.layer}: ${l.how}`).join('; ')})`);
    lines.push(`core N=${cfg.N}, Pf=${cfg.Pf}, Ps=${cfg.Ps}, Rq=${cfg.Rq} with the whole program in on-chip ROM (${rom.beats.length} beats × ${rtl.shape.W} bits; no s_wgt port): ` +
      `3 real digits (${3 * program.jobs.length} jobs back to back) on Verilator in ${v.cycleCount} cycles and 1 on Icarus, only activations streaming ` +
      `(${rtl.inputs.join(', ')} in, m_out out) with random stalls, every output beat equal to the golden model`);
    // the split: synthesize the lanes (fixed lanes -> DSP48E1, SP2 lanes -> LUTs only)
    const lanes = coreLanes(cfg, 'msqc_lanes');
    const synth = await synthesize({ files: emitVerilog(lanes), top: lanes.name, cache: true });
    await writeFile(join(outDir, 'synth.md'), formatSynthReport(synth, board));
    await writeFile(join(outDir, 'synth.json'), `${JSON.stringify(synthReportJson(synth, board), null, 2)}\n`);
    const res = synth.resources;
    const expectDsp = coreLaneMultipliers(cfg);
    const split = res.dsp48e1 === expectDsp
      ? `= Pf·N = ${expectDsp} for the fixed lanes: the SP2 lanes use none`
      : `expected ${expectDsp} (Pf·N): look at synth.md`;
    lines.push(`lanes synthesis (${synth.yosys.kind} yosys ${synth.yosys.version}): ${res.lut.total} LUT, ${res.ff} FF, ${res.dsp48e1} DSP48E1 ` +
      `${split}; fmax ${synth.timing.estFmaxMHz ?? '-'} MHz (${synth.timing.label})`);
    return lines;
  },
};
