/**
 * The program-ROM MSQ core (CoreConfig.rom, `msq build --rom`): the whole job program of the committed MNIST CNN
 * (descriptors, weights, channel maps, requantization parameters) in on-chip ROM, so only activations stream: s_act
 * (each job's input tile) and s_res (the residual operand of the fused residual add) in, m_out out; no s_wgt port.
 * Two real test digits back to back in ONE Verilator simulation with random stalls (the ROM replays the program for
 * the second digit): every job's beats and the logits equal the golden model. `msq build --rom` writes a folder
 * whose testbench passes in Icarus; a network without residual adds has no s_res port either; a program too large
 * for the ROM is a one-line error naming the size and the limit.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../src/board/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import { runStreams, type Beat } from '../src/sim/index.js';
import { argmax, pixelsToReal, quantizeInput, runGolden } from '../src/msq/golden.js';
import { loadMnist } from '../src/data/mnist.js';
import { parseQuantModel, type QuantModel } from '../src/msq/model.js';
import { smallCoreConfig } from '../src/msq/core/config.js';
import { compileModel, coreStreams, programStimulus } from '../src/msq/core/compile.js';
import { coreInputs, coreSimDesign, generateCore } from '../src/msq/core/rtl/index.js';
import { checkRomFits, programRom } from '../src/msq/core/rom.js';
import { run } from '../src/msq/cli.js';
import { UserError } from '../src/util/errors.js';
import { PROJECT_ROOT } from '../src/version.js';
import { randomInput, randomLayerModel } from './support/random-layer.js';

const MODEL = join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json');
const mnist = parseQuantModel(JSON.parse(readFileSync(MODEL, 'utf8')));
const cfg = smallCoreConfig({ rom: true });
const SMALL = ['--n', '16', '--pf', '2', '--ps', '3', '--rq', '2', '--dsp-pack', '1', '--act-depth', '1024', '--w-depth', '256', '--c-depth', '64', '--max-passes', '16', '--k-max', '4096'];

/** The streams of `inputs` run back to back through one compiled program. */
function streamsOf(model: QuantModel, inputs: Int32Array[]) {
  const program = compileModel(model, cfg);
  return { program, stim: inputs.flatMap((x) => programStimulus(program, runGolden(model, x, { dump: true }).tensors!)) };
}

describe('MSQ core with the job program in ROM', () => {
  it('MNIST CNN: 2 real digits, only activations stream, every job and the logits equal the golden model (Verilator, stalls)', async () => {
    const digits = loadMnist('test', 2);
    const xs = digits.images.map((img) => quantizeInput(mnist, pixelsToReal(mnist, img)));
    const { program, stim } = streamsOf(mnist, xs);
    const rom = programRom(program);
    expect(rom.residual).toBe(true);
    const rtl = generateCore(cfg, 'msqr', { rom });
    expect(rtl.inputs).toEqual(['s_act', 's_res']);
    const top = rtl.files.get('msqr_core.v')!;
    expect(top).not.toMatch(/s_wgt_t/);
    expect(top).toMatch(/input\s+wire \[127:0\] s_act_tdata/);
    await lintVerilog(rtl.files, rtl.top);
    const st = coreStreams(stim);
    const r = await runStreams(coreSimDesign(rtl), {
      inputs: coreInputs(rtl, st.inputs),
      expected: st.expected,
      seed: 8,
      validProb: { s_act: 0.7, s_res: 0.5 },
      readyProb: 0.6,
      maxCycles: 2_000_000,
    });
    const out = r.outputs.m_out!;
    expect(out.length).toBe(st.expected.m_out.length);
    // the last job of each digit is the final linear layer: its beats are the logits
    let at = 0;
    const logitsOf: number[][] = [];
    stim.forEach((s, k) => {
      const beats: Beat[] = out.slice(at, at + s.expectedOut.length);
      at += s.expectedOut.length;
      if ((k + 1) % program.jobs.length !== 0) return;
      const y: number[] = [];
      for (let c = 0; c < 10; c++) {
        const v = Number((beats[Math.floor(c / cfg.N)]!.data >> BigInt((c % cfg.N) * cfg.A)) & 0xffn);
        y.push(v >= 128 ? v - 256 : v);
      }
      logitsOf.push(y);
    });
    xs.forEach((x, d) => {
      const g = Array.from(runGolden(mnist, x).output.data);
      expect(logitsOf[d]).toEqual(g);
      expect(argmax(logitsOf[d]!)).toBe(argmax(g));
    });
    console.log(`ROM core MNIST: ${program.jobs.length} jobs per digit, ROM ${rom.beats.length} beats, ${r.cycleCount} cycles for 2 digits`);
  }, 600_000);

  it('a network without residual adds has neither s_wgt nor s_res; random conv layers run exactly', async () => {
    const base = { op: 'conv2d' as const, cin: 9, h: 6, w: 5, cout: 11, k: [3, 3] as [number, number], stride: [1, 1] as [number, number], pad: [1, 1, 1, 1] as [number, number, number, number], sp2Fraction: 0.5, inBits: 8, inSigned: false, outBits: 8, outSigned: true, fixedBits: 8, sp2Bits: 4 };
    const model = randomLayerModel(base, 41);
    const { program, stim } = streamsOf(model, [randomInput(model, 1), randomInput(model, 2, true), randomInput(model, 3)]);
    const rom = programRom(program);
    expect(rom.residual).toBe(false);
    const rtl = generateCore(cfg, 'msqr', { rom });
    expect(rtl.inputs).toEqual(['s_act']);
    expect(rtl.files.get('msqr_core.v')!).not.toMatch(/s_wgt_t|s_res_t/);
    await lintVerilog(rtl.files, rtl.top);
    const st = coreStreams(stim);
    const r = await runStreams(coreSimDesign(rtl), { inputs: coreInputs(rtl, st.inputs), expected: st.expected, seed: 3, validProb: 0.6, readyProb: 0.5, maxCycles: 500_000 });
    expect(r.outputs.m_out!.length).toBe(st.expected.m_out.length);
  }, 600_000);

  it('msq build --rom writes the self-contained design; its testbench passes in Icarus', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-rom-'));
    try {
      const out = join(dir, 'core');
      await run(['build', MODEL, '--board', 'xc7z020', '--rom', '-o', out, ...SMALL]);
      const files = await readdir(out);
      expect(files).not.toContain('s_wgt.hex');
      for (const f of ['s_act.hex', 's_res.hex', 'm_out.expected.hex', 'program.json']) expect(files).toContain(f);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as { rom: { beats: number; streams: string[] }; testbench: string; beats: { out: number } };
      expect(report.rom.streams).toEqual(['s_act', 's_res']);
      expect(report.rom.beats).toBe(programRom(compileModel(mnist, smallCoreConfig())).beats.length);
      expect(await readFile(join(out, 'msqc_core.v'), 'utf8')).not.toMatch(/s_wgt_t/);
      const vfiles = files.filter((f) => f.endsWith('.v'));
      await execa('iverilog', ['-g2005', '-o', 'tb.vvp', ...vfiles], { cwd: out });
      const sim = await execa('vvp', ['-n', 'tb.vvp'], { cwd: out });
      expect(sim.stdout).toMatch(new RegExp(`PASS: ${report.beats.out} m_out beats`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('refuses a program too large for the ROM with one line naming the size and the limit, writing nothing', async () => {
    const program = compileModel(mnist, cfg);
    const rom = programRom(program);
    const tiny = { ...loadBoard('xc7z020'), id: 'tiny', resources: { ...loadBoard('xc7z020').resources, bram36: 4 } };
    let err: unknown;
    try {
      checkRomFits(rom, program, tiny);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toMatch(new RegExp(`^--rom: the job program needs ${(rom.beats.length * 128).toLocaleString('en-US')} bits of ROM .* the limit on tiny is 73,728 bits`));
    expect(msg).not.toContain('\n');
    expect(() => checkRomFits(rom, program, loadBoard('xc7z020'))).not.toThrow();
    expect(() => generateCore(cfg)).toThrow(/^core\.rom: a program-ROM core needs the compiled program/);
    expect(() => generateCore(smallCoreConfig(), 'msqc', { rom })).toThrow(/^core\.rom: a program was given/);
    const dir = await mkdtemp(join(tmpdir(), 'msq-build-rom-bad-'));
    try {
      const out = join(dir, 'core');
      const board = JSON.parse(readFileSync(join(PROJECT_ROOT, 'boards', 'xc7z020.json'), 'utf8')) as { id: string; resources: { bram36: number } };
      board.id = 'tiny';
      board.resources.bram36 = 4;
      writeFileSync(join(dir, 'tiny.json'), JSON.stringify(board));
      const e = await run(['build', MODEL, '--board', join(dir, 'tiny.json'), '--rom', '-o', out, ...SMALL]).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(/^--rom: the job program needs [\d,]+ bits of ROM .* the limit on tiny is 73,728 bits/);
      expect(existsSync(out)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
