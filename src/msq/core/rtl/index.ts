/**
 * The MSQ core RTL (docs/msq-core.md, docs/msq-core-rtl.md): generateCore builds `<prefix>_core` (top.ts wires the
 * builder rooms of this folder) plus the lanes, requantizer and output FIFO modules, one module per file.
 */
import { fail } from '../../../util/errors.js';
import { configHash } from '../../../util/hash.js';
import { emitVerilog, type Module } from '../../../hdl/index.js';
import { modulePorts, type Beat, type SimDesign } from '../../../sim/index.js';
import type { CoreConfig } from '../config.js';
import type { RomProgram } from './program-rom.js';
import { checkCoreRtl, coreShape, DEFAULT_PIXEL_BANKS, type CoreShape } from './shape.js';
import { buildCoreTop } from './top.js';

export { buildCoreTop, type CoreTopOptions } from './top.js';
export {
  checkCoreRtl, coreProgramCycles, coreRtlTiming, coreShape, DEFAULT_PIXEL_BANKS, gemmServe, LUT_STAGES, weightItemsPerClock,
  type CoreRtlTiming, type CoreShape, type ProgramFields,
} from './shape.js';
export { ROM_MAX_BEATS, type RomProgram } from './program-rom.js';

export interface CoreRtl {
  top: string;
  files: Map<string, string>;
  hash: string;
  cfg: CoreConfig;
  shape: CoreShape;
  pixelBanks: number;
  /** the input streams the design has: s_wgt is absent with a program ROM, s_res when no ROM job reads it */
  inputs: ('s_wgt' | 's_act' | 's_res')[];
  /** the built top module (the design manifest is derived from it) */
  module: Module;
}

/** The stream set of the core (for src/sim). */
export function coreSimDesign(rtl: CoreRtl): SimDesign {
  const W = rtl.shape.W;
  return {
    top: rtl.top,
    files: rtl.files,
    streams: [
      ...rtl.inputs.map((name) => ({ name, dir: 'in' as const, dataWidth: W })),
      { name: 'm_out', dir: 'out', dataWidth: W, last: true },
    ],
    ports: modulePorts(rtl.module),
  };
}

/** The streams of `inputs` the design has (a program-ROM core takes no s_wgt, and no s_res without residual jobs). */
export function coreInputs(rtl: CoreRtl, inputs: Record<'s_wgt' | 's_act' | 's_res', Beat[]>): Record<string, Beat[]> {
  return Object.fromEntries(rtl.inputs.map((name) => [name, inputs[name]]));
}

/** Generate the core: `<prefix>_core` top plus the lanes and requantizer modules. */
export interface CoreRtlOptions {
  /** output pixel banks: 2 or 4 (default 4: pixel i + 4 reuses pixel i's bank; see docs/msq-core-rtl.md "Throughput") */
  pixelBanks?: 2 | 4;
  /** the program a `cfg.rom` core holds (programRom in src/msq/core/rom.ts) */
  rom?: RomProgram;
}

export function generateCore(cfg: CoreConfig, prefix = 'msqc', opts: CoreRtlOptions = {}): CoreRtl {
  checkCoreRtl(cfg);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) fail('prefix', `must be a Verilog identifier, got '${prefix}'`);
  const pixelBanks = opts.pixelBanks ?? DEFAULT_PIXEL_BANKS;
  if (pixelBanks !== 2 && pixelBanks !== 4) fail('pixelBanks', `must be 2 or 4, got ${String(pixelBanks)}`);
  if (cfg.rom && !opts.rom) fail('core.rom', 'a program-ROM core needs the compiled program (CoreRtlOptions.rom)');
  if (!cfg.rom && opts.rom) fail('core.rom', 'a program was given for the ROM, but core.rom is not set');
  const rom = cfg.rom ? opts.rom : undefined;
  const top = buildCoreTop(cfg, prefix, { pixelBanks, rom });
  const files = emitVerilog(top);
  const inputs: CoreRtl['inputs'] = rom ? (rom.residual ? ['s_act', 's_res'] : ['s_act']) : ['s_wgt', 's_act', 's_res'];
  const romHash = rom ? configHash({ beats: rom.beats.map((b) => b.toString(16)), residual: rom.residual }) : undefined;
  return { top: top.name, files, hash: configHash({ cfg, prefix, pixelBanks, kind: 'msq-core', ...(romHash ? { rom: romHash } : {}) }), cfg, shape: coreShape(cfg), pixelBanks, inputs, module: top };
}
