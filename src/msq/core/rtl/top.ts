/**
 * The MSQ core top `<prefix>_core` (docs/msq-core.md is the contract, docs/msq-core-rtl.md the block diagram and
 * exact schedule): ONE design generated from a CoreConfig that runs a sequence of run-time jobs (GEMM / MAXPOOL /
 * AVGPOOL). This file only declares the ports and wires the rooms, in this order (each adds its logic to the top
 * module and hands its signals to the rooms after it):
 *
 *  - descriptor.ts: descriptor registers (two banks) and their decode; banks.ts: bank flags and banked memories;
 *  - program-loader.ts (s_wgt, or program-rom.ts with CoreConfig.rom): the job program into the job's bank;
 *  - act-loader.ts (s_act), res-loader.ts (s_res);
 *  - issuer.ts: pixel -> pass -> step with adders only;
 *  - lanes.ts: S1 bank reads and the GEMM lanes (coreLanes);
 *  - result-path.ts: pool reducer, serializer, R1-R3, Rq requantizer + residual-add units (coreRqa);
 *  - output.ts: output pixel banks, emitter, output FIFO (m_out);
 *  - banks.ts bankFlagProcess: the one process setting and freeing the bank flags.
 *
 * Jobs follow each other with no reset; the banks of job j + 1 load while job j computes (bank = job index mod 2).
 */
import { lit, Module, type Expr, type Signal } from '../../../hdl/index.js';
import { axisMaster, axisSlave } from '../../../hdl/lib/index.js';
import { poolBits, type CoreConfig } from '../config.js';
import { bankFlagProcess, bankFlags, bankMemories } from './banks.js';
import type { CoreCtx, CorePorts } from './context.js';
import { descriptorBanks, descriptorWrites } from './descriptor.js';
import { issuerProcess, issuerState } from './issuer.js';
import { gemmLanes } from './lanes.js';
import { emitter, outputBanks } from './output.js';
import { loaderFsm, loaderState, loaderWrites } from './program-loader.js';
import { programRomSource, type RomProgram, type WgtSource } from './program-rom.js';
import { activationLoader } from './act-loader.js';
import { residualLoader } from './res-loader.js';
import { poolReducer, requantizers, resultStages, serializer } from './result-path.js';
import { abits, checkCoreRtl, coreShape, DEFAULT_PIXEL_BANKS } from './shape.js';

export interface CoreTopOptions {
  /** output pixel banks: 2 or 4 (default 4) */
  pixelBanks?: 2 | 4;
  /** the program a `cfg.rom` core holds */
  rom?: RomProgram;
}

/** The context of one core: module, sizes, derived constants. */
function coreCtx(cfg: CoreConfig, prefix: string, opts: CoreTopOptions): CoreCtx {
  const NB = opts.pixelBanks ?? DEFAULT_PIXEL_BANKS;
  const PBB = Math.log2(NB);
  const S = coreShape(cfg);
  const { N, A } = cfg;
  const { G, GP } = S;
  const AB = S.accBits;
  const GM = Math.max(G, GP);
  const PB = abits(Math.max(cfg.maxPasses, cfg.cDepth / N)); // pass counter (pools: passes = cinGroups <= cDepth/N)
  const CW = 18; // signed pixel coordinates (16-bit fields + kernel offsets)
  const SB = poolBits(cfg); // pool reducer value (<= AB)

  const m = new Module(`${prefix}_core`, {
    doc: opts.rom
      ? `MSQ core with its job program in on-chip ROM (${opts.rom.beats.length} beats): activations on s_act${opts.rom.residual ? ', residuals on s_res' : ''}, results on m_out`
      : 'MSQ core: one run-time programmed design for every layer (job programs on s_wgt, activations on s_act, residuals on s_res, results on m_out)',
    config: { ...cfg, prefix, pixelBanks: NB, accBits: AB, laneLatency: S.laneLatency, rqaLatency: S.rqaLatency },
  });
  const flag = (name: string): Signal => m.reg(name, 1, { reset: 0 });
  return { m, cfg, S, prefix, NB, PBB, AB, GM, PB, CW, SB, flag };
}

/** A slave bundle as the program loader's source. */
function fromBundle(b: { tdata: Signal; tvalid: Signal; tready: Signal }): WgtSource {
  return { data: b.tdata, valid: b.tvalid, ready: b.tready };
}

/** The ports (s_wgt from the program ROM when the core holds its program; no s_res when no ROM job reads it). */
function corePorts(c: CoreCtx, rom: RomProgram | undefined): CorePorts {
  const { m } = c;
  const { W } = c.S;
  const wgt: WgtSource = rom ? programRomSource(m, W, rom) : fromBundle(axisSlave(m, 's_wgt', W, { role: 'job program (descriptor, weights, channel map, parameters)' }));
  const { data: wgtData, valid: wgtValid, ready: wgtReady } = wgt;
  const act = axisSlave(m, 's_act', W, { role: 'activations: each job\'s input tile' });
  const [actData, actValid, actReady] = [act.tdata, act.tvalid, act.tready];
  // a ROM program without fused residual adds has no s_res port (the residual loader never starts)
  const noRes = rom !== undefined && !rom.residual;
  const res = noRes ? undefined : fromBundle(axisSlave(m, 's_res', W, { role: 'residual operands of fused residual adds' }));
  const resData: Expr = res ? res.data : lit(0, W);
  const resValid: Expr = res ? res.valid : lit(0, 1);
  const resReady: Signal = res ? res.ready : m.wire('rl_ready_unused', 1);
  if (!res) resReady.markUnused();
  const out = axisMaster(m, 'm_out', W, { last: true, role: 'results: each job\'s output beats, tlast on its last' });
  const [outData, outValid, outReady, outLast] = [out.tdata, out.tvalid, out.tready, out.tlast];
  return { wgtData, wgtValid, wgtReady, actData, actValid, actReady, resData, resValid, resReady, outData, outValid, outReady, outLast };
}

/** The core top `<prefix>_core`: ports, then every room in order (see the file header). */
export function buildCoreTop(cfg: CoreConfig, prefix: string, opts: CoreTopOptions = {}): Module {
  checkCoreRtl(cfg);
  const c = coreCtx(cfg, prefix, opts);
  const io = corePorts(c, opts.rom);
  const dsc = descriptorBanks(c);
  const bkf = bankFlags(c);
  const bkm = bankMemories(c);
  const wl = loaderState(c, io, dsc, bkf);
  loaderFsm(c, io, dsc, wl);
  descriptorWrites(c, dsc, bkf, wl);
  const wlw = loaderWrites(c, bkm, wl);
  const al = activationLoader(c, io, dsc, bkf, bkm);
  const rl = residualLoader(c, io, dsc, bkf, bkm);
  const isa = issuerState(c, dsc, bkf, al);
  issuerProcess(c, dsc, isa);
  const ln = gemmLanes(c, bkm, isa);
  const pl = poolReducer(c, ln);
  const sr = serializer(c, dsc, bkm, ln, pl);
  const rf = resultStages(c, dsc, sr);
  const rq = requantizers(c, bkm, sr, rf);
  const ob = outputBanks(c, wl, wlw, isa, pl, rq);
  const em = emitter(c, io, dsc, bkf, isa, ob);
  bankFlagProcess(c, bkf, wl, al, rl, isa, rf, rq, ob, em);
  return c.m;
}
