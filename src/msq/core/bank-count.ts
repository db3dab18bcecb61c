/**
 * The MSQ core's on-chip memories (`coreBanks`, from the RTL's own shapes) and their block RAM, counted exactly as
 * yosys synth_xilinx maps each memory (src/synth/bram.ts).
 */
import { fail } from '../../util/errors.js';
import { LUT_ENTRIES } from '../lut.js';
import { type CoreConfig } from './config.js';
import { xc7MemoryMapping, type MemoryShape } from '../../synth/bram.js';
import { abits, coreShape, DEFAULT_PIXEL_BANKS } from './rtl/shape.js';



/** One kind of bank memory of the core: its shape (as src/msq/core/rtl/banks.ts and output.ts declare it) and count. */
export interface CoreBank {
  name: string;
  count: number;
  shape: MemoryShape;
}

/**
 * The core's on-chip memories, from the same derived sizes the RTL uses (`coreShape`, src/msq/core/rtl/shape.ts):
 * both banks of each memory in one array whose depth is a power of two (bank = address MSB). Activations
 * 2 * 2^AW x W, weights per lane 2 * 2^WAB x N*WF (fixed) / N*m (SP2), parameters per requantizer 2 * 2^CB x 69
 * (block when cDepth > 64); channel maps, residual buffers, lookup tables (2 * 256 x A per unit), output pixel banks (rtl/output.ts), the inverse channel
 * map and the output FIFO are distributed; a `cfg.rom` core's program ROM (`romBeats` beats, rtl/program-rom.ts) is
 * block RAM. test/msq-core-bram.test.ts checks the list against the memories of generated cores.
 */
export function coreBanks(cfg: CoreConfig, o: BankOptions = {}): CoreBank[] {
  const S = coreShape(cfg);
  const NB = o.pixelBanks ?? DEFAULT_PIXEL_BANKS;
  const { N, Pf, Ps, Rq } = cfg;
  const sdp = (width: number, depth: number, style: MemoryShape['style']): MemoryShape => ({ width, depth, writePorts: 1, readPorts: 1, style });
  const cmUnits = Array.from({ length: Rq }, (_, u) => Math.max(0, Math.min(S.G, S.L - u * S.G))).filter((c) => c > 0).length;
  const banks: CoreBank[] = [
    { name: 'act_mem', count: 1, shape: sdp(S.W, 2 * 2 ** S.AW, 'block') },
    { name: 'fixed_mem', count: Pf, shape: sdp(N * cfg.WF, 2 * 2 ** S.WAB, 'block') },
    { name: 'sp2_mem', count: Ps, shape: sdp(N * cfg.m, 2 * 2 ** S.WAB, 'block') },
    { name: 'chan_map', count: cmUnits, shape: sdp(S.CB + 1, 2 * 2 ** S.CMA, 'distributed') },
    { name: 'params', count: Rq, shape: sdp(69, 2 * 2 ** S.CB, cfg.cDepth > 64 ? 'block' : 'distributed') },
    { name: 'res_mem', count: Rq, shape: sdp(S.W, 2 * 2 ** S.CGB, 'distributed') },
    { name: 'lut_mem', count: Rq, shape: sdp(cfg.A, 2 * LUT_ENTRIES, 'distributed') },
    { name: 'out_bank', count: Rq * N, shape: sdp(cfg.A, NB * 2 ** S.CGB, 'distributed') },
    { name: 'inv_map', count: Rq > 1 ? N : 0, shape: sdp(abits(Rq), 2 * 2 ** S.CGB, 'distributed') },
    { name: 'out_fifo', count: 1, shape: sdp(S.W + 1, 4, 'auto') },
  ];
  if (cfg.rom) {
    if (o.romBeats === undefined) fail('core.rom', 'the block RAM of a program-ROM core depends on its program: give its beats (romBeats)');
    banks.push({ name: 'prog_rom', count: 1, shape: { width: S.W, depth: Math.max(2, o.romBeats), writePorts: 0, readPorts: 1, style: 'block' } });
  }
  return banks.filter((b) => b.count > 0);
}

/** What the bank list depends on besides the configuration: output pixel banks (default 4), a ROM core's program. */
export interface BankOptions {
  pixelBanks?: number;
  romBeats?: number;
}

export interface BankBram {
  act: number;
  weights: number;
  chanMap: number;
  params: number;
  /** BRAM36 equivalents (RAMB36E1 + RAMB18E1 / 2) */
  total: number;
  ramb36: number;
  ramb18: number;
  /** how yosys maps each bank memory (src/synth/bram.ts) */
  banks: { name: string; count: number; width: number; depth: number; cell: string; geometry: string; ramb36: number; ramb18: number }[];
}

/** Block RAM of the core's banks, counted exactly as yosys synth_xilinx maps each memory (src/synth/bram.ts). */
export function bankBram(cfg: CoreConfig, o: BankOptions = {}): BankBram {
  const out: BankBram = { act: 0, weights: 0, chanMap: 0, params: 0, total: 0, ramb36: 0, ramb18: 0, banks: [] };
  for (const b of coreBanks(cfg, o)) {
    const m = xc7MemoryMapping(b.shape);
    const eq = m.bram36 * b.count;
    if (b.name === 'act_mem') out.act += eq;
    else if (b.name === 'fixed_mem' || b.name === 'sp2_mem') out.weights += eq;
    else if (b.name === 'chan_map') out.chanMap += eq;
    else if (b.name === 'params') out.params += eq;
    out.total += eq;
    out.ramb36 += m.ramb36 * b.count;
    out.ramb18 += m.ramb18 * b.count;
    out.banks.push({ name: b.name, count: b.count, width: b.shape.width, depth: b.shape.depth, cell: m.cell, geometry: m.geometry, ramb36: m.ramb36, ramb18: m.ramb18 });
  }
  return out;
}

