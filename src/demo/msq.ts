/**
 * Demo step: the MSQ engine on the committed quantization-aware MNIST CNN — golden-model accuracy on held-out digits,
 * then the conv2 layer (fixed filters on DSP48E1 lanes, SP2 filters on LUT shift-add lanes) generated and run on
 * Verilator and Icarus with random stalls against the golden model's intermediate tensors of real digits, and
 * synthesized (the fixed core's DSP48E1 count vs the SP2 core's zero).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuantModel } from '../msq/model.js';
import { argmax, pixelsToReal, prepareModel, quantizeInput, runGolden } from '../msq/golden.js';
import { loadMnist } from '../msq/mnist.js';
import { buildEngine, layerAsModel, verifyEngine } from '../msq/rtl/verify.js';
import { fixedCoreDsps } from '../msq/rtl/plan.js';
import { REQUANT_DSP_PER_UNIT } from '../msq/rtl/build.js';
import { lintVerilog } from '../hdl/index.js';
import { synthesize, formatSynthReport, synthReportJson } from '../synth/index.js';
import { PROJECT_ROOT } from '../version.js';
import type { Board } from '../board/index.js';
import type { DemoStep } from './types.js';

export const msqStep: DemoStep = {
  name: 'msq',
  title: 'MSQ engine on the quantization-aware MNIST CNN (conv2 layer: fixed lanes on DSP48E1, SP2 lanes on LUTs)',
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

    const layer = model.layers.find((l) => l.op === 'conv2d' && l.filters.some((f) => f.scheme === 'sp2') && l.filters.some((f) => f.scheme === 'fixed'));
    if (!layer || layer.op !== 'conv2d') throw new Error('demo msq: the model has no mixed-scheme conv layer');
    const sub = layerAsModel(model, layer.name);
    const shape = { N: 8, Pf: 4, Ps: 6, Rq: 2 };
    const e = buildEngine(sub, shape);
    await lintVerilog(e.rtl.files, e.rtl.top);
    for (const [name, text] of e.rtl.files) await writeFile(join(outDir, name), text);
    const inputs = runs.slice(0, 3).map((r) => r.tensors!.get(layer.input)!.data);
    const fixed = layer.filters.filter((f) => f.scheme === 'fixed').length;
    for (const sim of ['verilator', 'icarus'] as const) {
      await verifyEngine(e, sim === 'verilator' ? inputs : inputs.slice(0, 1), { sim, seed: 5, validProb: 0.7, readyProb: 0.6 });
    }
    lines.push(`${layer.name}: ${fixed} fixed + ${layer.filters.length - fixed} SP2 filters on N=${shape.N}, Pf=${shape.Pf}, Ps=${shape.Ps}; ` +
      `3 real digits back to back on Verilator and 1 on Icarus, random stalls, equal to the golden model's tensors; ` +
      `${e.model_cycles.total} cycles per image (cycle model)`);
    const synth = await synthesize({ files: e.rtl.files, top: e.rtl.top, cache: true });
    await writeFile(join(outDir, 'synth.md'), formatSynthReport(synth, board));
    await writeFile(join(outDir, 'synth.json'), `${JSON.stringify(synthReportJson(synth, board), null, 2)}\n`);
    const res = synth.resources;
    const expectDsp = fixedCoreDsps(shape) + REQUANT_DSP_PER_UNIT * shape.Rq;
    const split = res.dsp48e1 === expectDsp
      ? `= fixed core ${fixedCoreDsps(shape)} (Pf·N) + ${shape.Rq} requantizers × ${REQUANT_DSP_PER_UNIT}: the SP2 core uses none`
      : `expected ${expectDsp} (fixed core ${fixedCoreDsps(shape)} + requantizers): look at synth.md`;
    lines.push(`synthesis (${synth.yosys.kind} yosys ${synth.yosys.version}): ${res.lut.total} LUT, ${res.ff} FF, ${res.dsp48e1} DSP48E1 ` +
      `${split}; fmax ${synth.timing.estFmaxMHz ?? '-'} MHz (${synth.timing.label})`);
    return lines;
  },
};
