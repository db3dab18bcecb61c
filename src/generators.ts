/**
 * Representative configurations of every module generator in the project. The lint-over-everything test
 * (test/flow-lint.test.ts) emits each and demands zero `verilator --lint-only -Wall` warnings, a clean
 * `iverilog -g2005` elaboration and a clean yosys read. A new generator adds its configurations here.
 */
import { emitVerilog } from './hdl/index.js';
import { skidBuffer, syncFifo } from './hdl/lib/index.js';
import { buildStreamingMac } from './sim/example-mac.js';
import { makeCclConfig } from './ccl/config.js';
import { generateCclMultiRtl, generateCclMultiSimRtl, generateCclRtl, generateCclSimRtl } from './ccl/rtl/index.js';
import { parseClasses } from './ccl/classes.js';
import { buildLutClassifier } from './ccl/rtl/classifier-lut.js';
import { smallCoreConfig } from './msq/core/config.js';
import { generateCore } from './msq/core/rtl/index.js';
import { compileModel } from './msq/core/compile.js';
import { programRom } from './msq/core/rom.js';
import { parseQuantModel } from './msq/model.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './version.js';
import { manifestFromModule } from './design/from-module.js';
import { planWrapper, wrapperVerilog } from './export/wrapper.js';
import type { Module } from './hdl/index.js';
import { generateNlUnit, generateNlVec } from './msq/ivit/rtl/index.js';

export interface GeneratedDesign {
  /** Short label used in test names. */
  name: string;
  top: string;
  files: Map<string, string>;
}

/** Every generator with a few configurations that cover its structural variants. */
export function representativeDesigns(): GeneratedDesign[] {
  const out: GeneratedDesign[] = [];
  const fromModule = (name: string, m: ReturnType<typeof skidBuffer>): void => {
    out.push({ name, top: m.name, files: emitVerilog(m) });
  };
  fromModule('hdl/skid w9', skidBuffer({ width: 9 }));
  fromModule('hdl/fifo w12 d7 level', syncFifo({ width: 12, depth: 7, level: true }));
  fromModule('hdl/fifo w8 d16 block', syncFifo({ width: 8, depth: 16, style: 'block' }));
  fromModule('sim/mac w8 acc24', buildStreamingMac(8, 24));

  const ccl = (name: string, cfg: Parameters<typeof makeCclConfig>[0], ppc: number, sim = false): void => {
    const c = makeCclConfig(cfg);
    const r = sim ? generateCclSimRtl(c, { ppc }) : generateCclRtl(c, { ppc });
    out.push({ name: `ccl/${name}`, top: r.top, files: r.files });
  };
  ccl('C1 P1 8-conn 40x24', { width: 40, height: 24, cell: 1, maxObjects: 16 }, 1);
  ccl('C8 P4 4-conn hist8 64x48', { width: 64, height: 48, cell: 8, connectivity: 4, histBins: 8, maxObjects: 8 }, 4);
  ccl('C1 P8 pixel-exact third hist4 64x16', { width: 64, height: 16, cell: 1, maxObjects: 12, histBins: 4, thirdMoments: true }, 8);
  ccl('C1 P2 pixel-exact 4-conn 24x10', { width: 24, height: 10, cell: 1, connectivity: 4, maxObjects: 6 }, 2);
  ccl('C2 P2 rgb T2 32x20 (sim top)', { width: 32, height: 20, cell: 2, minPixels: 2, pixelFormat: 'rgb24', maxObjects: 12 }, 2, true);
  const classes = parseClasses({ classes: [{ name: 'red', hsvLo: [340, 100, 80], hsvHi: [20, 255, 255] }, { name: 'green', rgbLo: [0, 140, 0], rgbHi: [110, 255, 110] }, { name: 'bright', rgbLo: [150, 150, 150], rgbHi: [255, 255, 255] }] });
  const multi = generateCclMultiRtl(makeCclConfig({ width: 32, height: 16, cell: 4, pixelFormat: 'rgb24', histBins: 4, colorBits: 1, maxObjects: 6 }), classes, { ppc: 2 });
  out.push({ name: 'ccl/3 classes C4 P2 hist4 colour8 32x16', top: multi.top, files: multi.files });
  fromModule('ccl/LUT classifier q4 K6 P4 (AXI4-Lite)', buildLutClassifier({ bits: 4, classes: 6, ppc: 4 }));
  const lutMulti = generateCclMultiSimRtl(makeCclConfig({ width: 16, height: 8, cell: 4, pixelFormat: 'rgb24', colorBits: 1, maxObjects: 4 }), classes.slice(0, 2), { ppc: 1, lutBits: 2 });
  out.push({ name: 'ccl/2 classes LUT q2 C4 P1 colour8 16x8 (sim top)', top: lutMulti.top, files: lutMulti.files });

  // The run-time programmed MSQ core (src/msq/core): small test size, packed DSP pairs with odd Pf, Rq = L.
  const core = (name: string, over: Parameters<typeof smallCoreConfig>[0], pixelBanks?: 2 | 4): void => {
    const r = generateCore(smallCoreConfig(over), 'msqc', pixelBanks ? { pixelBanks } : {});
    out.push({ name: `msq/core ${name}`, top: r.top, files: r.files });
  };
  core('N16 Pf2 Ps3 Rq2', {});
  core('N16 Pf3 Ps2 Rq5 dsp-pack 2 m5 WF6', { Pf: 3, Ps: 2, Rq: 5, dspPack: 2, m: 5, WF: 6 });
  core('N8 A12 Pf3 Ps3 Rq6 cDepth=N, 2 pixel banks', { N: 8, A: 12, Pf: 3, Ps: 3, Rq: 6, dspPack: 2, WF: 6, cDepth: 8, kMax: 1024 }, 2);
  // The program-ROM variant (CoreConfig.rom), no s_wgt port: the MNIST CNN's first five layers (conv, maxpool, two
  // convs and the fused residual add: 227 ROM beats, s_res present); test/msq-core-rom.test.ts lints the whole CNN.
  const mnist = JSON.parse(readFileSync(join(PROJECT_ROOT, 'models', 'mnist-cnn.q.json'), 'utf8')) as { layers: unknown[] };
  const head = parseQuantModel({ ...mnist, layers: mnist.layers.slice(0, 5), output: 'Add' });
  const romCfg = smallCoreConfig({ rom: true });
  const rom = generateCore(romCfg, 'msqr', { rom: programRom(compileModel(head, romCfg)) });
  out.push({ name: 'msq/core N16 Pf2 Ps3 Rq2, program in ROM (MNIST CNN head)', top: rom.top, files: rom.files });

  // The I-ViT nonlinear unit (src/msq/ivit/rtl): 8-bit elements with a distributed row buffer, 16-bit with block RAM.
  for (const c of [{ inBits: 8, maxLen: 64 }, { inBits: 16, maxLen: 256 }]) {
    const r = generateNlUnit(c);
    out.push({ name: `msq/ivit nonlinear unit w${c.inBits} l${c.maxLen}`, top: r.top, files: r.files });
  }
  const vec = generateNlVec({ unit: { inBits: 8, maxLen: 64 }, lanes: 3 });
  out.push({ name: 'msq/ivit nonlinear vector 3 lanes w8 l64', top: vec.top, files: vec.files });

  // The export's Zynq wrapper (src/export/wrapper.ts) around real cores, from their manifests: a CCL core (generated
  // tlast per line and start-of-frame tuser, padded output; the MSQ core's wrapper is linted by the export tests).
  const wrapped = (name: string, m: Module, files: Map<string, string>, extra: Parameters<typeof manifestFromModule>[1]['streams'] = {}): void => {
    const manifest = manifestFromModule(m, { files: files.keys(), streams: extra });
    const plan = planWrapper(manifest);
    out.push({ name: `export/${name}`, top: plan.module, files: new Map([...files, [plan.file, wrapperVerilog(manifest, plan)]]) });
  };
  const c = generateCclRtl(makeCclConfig({ width: 40, height: 24, cell: 2, maxObjects: 16 }), { ppc: 2 });
  wrapped('zynq wrapper of ccl C2 P2 40x24', c.module, c.files, { s: { user: 'sof', beats: 20 * 24, lastEvery: 20 } });
  return out;
}
