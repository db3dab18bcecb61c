/**
 * Demo step: the streaming CCL core — generate a 96×64, 4×4-cell, 4-pixel-per-clock core with an 8-bin histogram,
 * stream three frames back to back through Verilator and Icarus with random stalls, compare every object's features
 * with the golden model, synthesize for the board, write RTL + report + the frames as PGM.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCclConfig } from '../ccl/config.js';
import { labelImage, diffResults, resultToJson } from '../ccl/golden.js';
import { blobs, spiral, noise } from '../ccl/patterns.js';
import { encodePgm } from '../image/io.js';
import { labelFramesWithRtl } from '../ccl/rtl-run.js';
import { generateCclRtl, cclMemoryModel, cclCycleModel } from '../ccl/rtl/index.js';
import { lintVerilog } from '../tools/lint.js';
import { synthesize, formatSynthReport, synthReportJson } from '../synth/index.js';
import type { Board } from '../board/index.js';
import type { DemoStep } from './types.js';

export const cclStep: DemoStep = {
  name: 'ccl',
  title: 'streaming connected-component labeling core (96×64, C=4, P=4, 8-bin histogram)',
  async run(outDir: string, board: Board) {
    const cfg = makeCclConfig({ width: 96, height: 64, cell: 4, histBins: 8, maxObjects: 16 });
    const ppc = 4;
    const rtl = generateCclRtl(cfg, { ppc });
    await lintVerilog(rtl.files, rtl.top);
    for (const [name, text] of rtl.files) await writeFile(join(outDir, name), text);

    const frames = [blobs(96, 64, 6, { seed: 3 }), spiral(96, 64, 4), noise(96, 64, 0.03, { seed: 5 })];
    const golden = frames.map((f) => labelImage(f, cfg));
    const lines: string[] = [];
    for (const sim of ['verilator', 'icarus'] as const) {
      const r = await labelFramesWithRtl(frames, cfg, { ppc, sim, seed: 11, validProb: 0.8, readyProb: 0.7 });
      r.results.forEach((got, i) => {
        const d = diffResults(golden[i]!, got);
        if (d) throw new Error(`demo ccl: ${sim} frame ${i} differs from the golden model: ${d}`);
      });
      lines.push(`${sim}: 3 frames back to back with random stalls, ${golden.map((g) => g.objects.length).join(' / ')} objects, ` +
        `every feature equal to the golden model`);
    }
    for (let i = 0; i < frames.length; i++) {
      await writeFile(join(outDir, `frame${i}.pgm`), encodePgm(frames[i]!));
      await writeFile(join(outDir, `frame${i}.objects.json`), `${resultToJson(golden[i]!)}\n`);
    }
    const synth = await synthesize({ files: rtl.files, top: rtl.top, cache: true });
    await writeFile(join(outDir, 'synth.md'), formatSynthReport(synth, board));
    await writeFile(join(outDir, 'synth.json'), `${JSON.stringify(synthReportJson(synth, board), null, 2)}\n`);
    const mem = cclMemoryModel(rtl.params);
    const cyc = cclCycleModel(rtl.params);
    const fmax = synth.timing.estFmaxMHz;
    const res = synth.resources;
    lines.push(`synthesis (${synth.yosys.kind} yosys ${synth.yosys.version}): ${res.lut.total} LUT, ${res.ff} FF, ` +
      `${res.bram36Equivalent} BRAM36 eq., ${res.dsp48e1} DSP48E1; fmax ${fmax ?? '-'} MHz (${synth.timing.label})`);
    lines.push(`on-chip memory ${mem.totalBits} bits = ${mem.percentOfFullFrame}% of a full-frame label buffer (${mem.fullFrameLabelBits} bits); ` +
      (fmax ? `≈ ${Math.floor((fmax * 1e6) / cyc.framePeriodWorst)} frames/s worst case at the estimated fmax (estimate)` : 'no fmax estimate'));
    return lines;
  },
};

/**
 * Demo step: tracking on the core — a short generated sequence (128×96, 3 colour classes, 24 frames at 2000
 * frames/s) labeled by the simulated core (one channel per class, Verilator, P = 2), records checked against the
 * golden model, tracked on the host, scored against the generator's ground truth; writes the MOT file and the
 * trajectory page.
 */
export const cclTrackStep: DemoStep = {
  name: 'ccl-track',
  title: 'multi-object tracking on the CCL core (128×96, 3 colour classes, 24 frames, Verilator)',
  async run(outDir: string) {
    const { parseClasses } = await import('../ccl/classes.js');
    const T = await import('../ccl/track/index.js');
    const scene = T.makeScene({ width: 128, height: 96, frames: 24, objects: 5, classes: 3, seed: 5, radius: [7, 10], occluders: 1 });
    const classes = parseClasses(T.sceneClassFile(scene));
    const rendered = Array.from({ length: scene.opts.frames }, (_, t) => T.renderFrame(scene, t));
    const seq = T.memorySequence('generated', rendered.map((r) => r.image));
    const golden = await T.recordSequence(seq, classes, { cell: 4, coreFeatures: true });
    const rtl = await T.recordSequence(seq, classes, { cell: 4, rtl: { ppc: 2 } });
    if (JSON.stringify(rtl.frames) !== JSON.stringify(golden.frames)) throw new Error('demo ccl-track: the core\'s records differ from the golden model');
    const res = T.trackRecords(rtl, null);
    const same = JSON.stringify(T.plainRows(res.rows)) === JSON.stringify(T.plainRows(T.trackRecords(golden, null).rows));
    if (!same) throw new Error('demo ccl-track: tracks from the core differ from the golden path');
    const gt = rendered.flatMap((r) => r.gt);
    const m = T.evaluate(gt, T.motRows(res.rows), scene.opts.frames);
    await writeFile(join(outDir, 'gt.txt'), T.formatMot(gt));
    await writeFile(join(outDir, 'tracks.txt'), T.formatMot(T.motRows(res.rows)));
    await writeFile(join(outDir, 'trajectories.html'), T.trajectoryPage({ source: 'generated sequence (seed 5)', frames: scene.opts.frames, cell: 4, labeler: 'the simulated core (Verilator, P = 2)', first: seq.frame(0), tracks: res.tracks }));
    return [
      `${classes.length} class channels × ${scene.opts.frames} frames through Verilator: ${rtl.frames.flat().length} records, every one equal to the golden model`,
      `${res.tracks.length} tracks, identical to the golden path; against the ground truth MOTA ${m.mota.toFixed(3)}, IDF1 ${m.idf1.toFixed(3)}, ${m.idsw} identity switches`,
      `trajectory page: trajectories.html; tracks (MOTChallenge): tracks.txt`,
    ];
  },
};
