/**
 * Label images by simulating the generated CCL core: generate the core (src/ccl/rtl), stream the frames through the
 * simulation harness (src/sim, Verilator or Icarus) back to back, decode the records and return the same result
 * objects as the golden model (`CclResult`). `ccl label --rtl` uses `labelWithRtl`.
 */
import type { CclConfig } from './config.js';
import { validateCclConfig } from './config.js';
import type { CclResult } from './golden.js';
import type { RasterImage } from '../image/io.js';
import { bytesPerPixel } from './features.js';
import {
  generateCclSimRtl, generateCclMultiSimRtl, decodeRecord, decodeMultiRecord, maxObjectsPerFrame, SIM_COUNT_WIDTH,
  type CclMultiParams, type CclRtlParams, type RtlObject, type RtlRecord,
} from './rtl/index.js';
import type { CclClassResult, ColorClass } from './classes.js';
import type { Module } from '../hdl/index.js';
import { moduleDesign, runStreams, type Beat, type SimulatorName } from '../sim/index.js';
import { lutLoadWrites, type ClassLut } from './classes-lut.js';
import { fail, UserError } from '../util/errors.js';

export interface RtlRunOptions {
  /** Pixels per clock P. */
  ppc: number;
  /** Simulator (default verilator). */
  sim?: SimulatorName;
  /** Generator option: one-clock commit of inactive cells (default false). */
  inlineCommit?: boolean;
  /** Stall PRNG seed and probabilities (default: no stalls). */
  seed?: number;
  validProb?: number;
  readyProb?: number;
}

/**
 * The multi-class core with the lookup-table classifier (multi.ts lutBits): the AXI4-Lite transactions the
 * simulation makes before and while the pixels stream (default: load `table`, then set CTRL.run; the pixels wait
 * for it). Responses come back in the result (`axil`).
 */
export interface RtlLutOptions {
  table: ClassLut;
  writes?: { addr: number; data: number; strb: number }[];
  reads?: number[];
}

export interface RtlFrameStats {
  /** Cycle (after reset) of the frame's end-of-frame record. */
  eofCycle: number;
  /** Object records the core emitted for the frame (its count field). */
  records: number;
}

export interface RtlRunResult {
  results: CclResult[];
  frames: RtlFrameStats[];
  /** Cycle of the last input beat accepted. */
  lastInputCycle: number;
  params: CclRtlParams;
  sim: SimulatorName;
  buildMs: number;
  runMs: number;
}

/** The input beats of one frame: W/P words per line, tuser on the first, tlast at the end of each line. */
export function frameBeats(image: RasterImage, p: CclRtlParams): Beat[] {
  const { W, H, P, PB } = p;
  if (image.width !== W || image.height !== H) {
    fail('image', `is ${image.width}×${image.height} but the core is configured for ${W}×${H}; use a matching size`);
  }
  if (image.format !== p.cfg.pixelFormat) fail('image', `has pixel format ${image.format} but the core expects ${p.cfg.pixelFormat}`);
  const bpp = bytesPerPixel(image.format);
  if (image.data.length !== W * H * bpp) fail('image', `data holds ${image.data.length} bytes, expected ${W * H * bpp}`);
  const beats: Beat[] = [];
  const d = image.data;
  for (let y = 0; y < H; y++) {
    for (let xw = 0; xw < W / P; xw++) {
      let v = 0n;
      for (let i = P - 1; i >= 0; i--) {
        const k = y * W + xw * P + i;
        const pix = bpp === 3 ? d[3 * k]! | (d[3 * k + 1]! << 8) | (d[3 * k + 2]! << 16) : d[k]!;
        v = (v << BigInt(PB)) | BigInt(pix);
      }
      beats.push({ data: v, user: y === 0 && xw === 0 ? 1n : 0n, last: xw === W / P - 1 });
    }
  }
  return beats;
}

interface SimulatedRecords {
  /** The core's beats (filler removed): record data and tlast, with the cycle it left. */
  beats: { data: bigint; last: boolean; cycle: number }[];
  lastInputCycle: number;
  sim: SimulatorName;
  buildMs: number;
  runMs: number;
  /** Beats of the extra output streams. */
  extra: Record<string, bigint[]>;
}

/** Beats of a simulation top's streams beyond pixels and records (the AXI4-Lite channels as streams). */
interface ExtraStreams {
  inputs: Record<string, Beat[]>;
  expect: Record<string, number>;
}

/** Stream the frames through the simulated core (`rtl` from a generate…SimRtl) and collect `total` record beats. */
async function simulateFrames(
  rtl: { top: string; files: Map<string, string>; module: Module }, p: CclRtlParams, outWidth: number, images: RasterImage[], total: number, opts: RtlRunOptions,
  extra?: ExtraStreams,
): Promise<SimulatedRecords> {
  const inputs: Beat[] = [];
  for (const img of images) for (const b of frameBeats(img, p)) inputs.push(b);
  if (total >= 2 ** SIM_COUNT_WIDTH) fail('images', 'too many frames for one simulation');
  // the simulation top's streams (s in, r out) and its constant inputs (frames, total), from the module
  const design = moduleDesign(rtl.module, rtl.files);
  const validProb = opts.validProb ?? 1, readyProb = opts.readyProb ?? 1;
  // the labeler needs a few cycles per cell; allow generously for stalls and the filler beats
  const maxCycles = Math.ceil((inputs.length * p.P * 8 + total * 4 + 10_000) / (validProb * readyProb));
  const run = await runStreams(design, {
    inputs: { s: inputs, ...extra?.inputs },
    expect: { r: total, ...extra?.expect },
    constValues: { frames: BigInt(images.length), total: BigInt(total) },
    sim: opts.sim ?? 'verilator',
    seed: opts.seed ?? 1,
    validProb,
    readyProb,
    maxCycles: Math.min(maxCycles, 2 ** 31 - 1),
  });
  const fillerBit = 1n << BigInt(outWidth);
  const beats = run.outputs.r!.filter((b) => (b.data & fillerBit) === 0n).map((b) => ({ data: b.data, last: Boolean(b.last), cycle: b.cycle }));
  const more = Object.fromEntries(Object.keys(extra?.expect ?? {}).map((k) => [k, run.outputs[k]!.map((b) => b.data)]));
  return { beats, lastInputCycle: run.lastInputCycle.s ?? -1, sim: run.sim, buildMs: run.buildMs, runMs: run.runMs, extra: more };
}

/** Check one channel's end-of-frame record against the object records received and sort them into golden order. */
function closeFrame(rec: Extract<RtlRecord, { kind: 'eof' }>, objs: RtlObject[], frame: number, what: string): RtlObject[] {
  if (rec.count !== objs.length) throw new UserError(`rtl: ${what}end-of-frame record counts ${rec.count} records, received ${objs.length}`);
  if (rec.syncErr) throw new UserError(`rtl: frame ${frame}: the core saw tuser/tlast out of place`);
  return [...objs].sort((a, b) => a.first - b.first);
}

/** Stream several frames back to back through one simulation of the core. */
export async function labelFramesWithRtl(images: RasterImage[], cfgIn: CclConfig, opts: RtlRunOptions): Promise<RtlRunResult> {
  const cfg = validateCclConfig(cfgIn);
  if (images.length === 0) fail('images', 'need at least one frame');
  const rtl = generateCclSimRtl(cfg, { ppc: opts.ppc, ...(opts.inlineCommit ? { inlineCommit: true } : {}) });
  const p = rtl.params;
  const run = await simulateFrames(rtl, p, p.outWidth, images, images.length * (maxObjectsPerFrame(p) + 1), opts);
  const results: CclResult[] = [];
  const frames: RtlFrameStats[] = [];
  let objs: RtlObject[] = [];
  for (const beat of run.beats) {
    const rec = decodeRecord(p, beat.data);
    if (rec.kind === 'object') {
      if (beat.last) throw new UserError('rtl: object record with tlast set (decoder out of step with the core)');
      objs.push(rec.object);
      continue;
    }
    if (!beat.last) throw new UserError('rtl: end-of-frame record without tlast');
    const sorted = closeFrame(rec, objs, results.length, '');
    results.push({ width: p.W, height: p.H, cell: p.C, overflow: rec.overflow, objects: sorted.map(({ first: _first, ...o }) => o) });
    frames.push({ eofCycle: beat.cycle, records: rec.count });
    objs = [];
  }
  if (results.length !== images.length) throw new UserError(`rtl: ${results.length} end-of-frame records for ${images.length} frames`);
  return { results, frames, lastInputCycle: run.lastInputCycle, params: p, sim: run.sim, buildMs: run.buildMs, runMs: run.runMs };
}

export interface RtlClassRunResult {
  results: CclClassResult[];
  frames: RtlFrameStats[];
  lastInputCycle: number;
  params: CclMultiParams;
  sim: SimulatorName;
  buildMs: number;
  runMs: number;
  /** With `lut`: the AXI4-Lite write responses (bresp) and read responses ({rresp, rdata}) in order. */
  axil?: { b: bigint[]; r: bigint[] };
}

/** The AXI4-Lite transactions of a lookup-table run as the simulation top's streams (classifier-lut.ts axilStreams). */
function lutStreams(lut: RtlLutOptions): ExtraStreams {
  const writes = lut.writes ?? lutLoadWrites(lut.table).map((w) => ({ ...w, strb: 0xf }));
  const reads = lut.reads ?? [];
  return {
    inputs: {
      s_aw: writes.map((w) => ({ data: BigInt(w.addr) })), s_w: writes.map((w) => ({ data: (BigInt(w.strb) << 32n) | BigInt(w.data) })),
      s_ar: reads.map((a) => ({ data: BigInt(a) })),
    },
    expect: { m_b: writes.length, m_r: reads.length },
  };
}

/**
 * Stream rgb24 frames through one simulation of the multi-class core; results as the golden `labelClasses` (with
 * `lut`, the core with the lookup-table classifier: as `labelClasses` with `lutClassMask(image, table)`).
 */
export async function labelClassFramesWithRtl(
  images: RasterImage[], cfgIn: CclConfig, classes: readonly ColorClass[], opts: RtlRunOptions & { lut?: RtlLutOptions },
): Promise<RtlClassRunResult> {
  const cfg = validateCclConfig(cfgIn);
  if (images.length === 0) fail('images', 'need at least one frame');
  const rtl = generateCclMultiSimRtl(cfg, classes, {
    ppc: opts.ppc, ...(opts.inlineCommit ? { inlineCommit: true } : {}), ...(opts.lut ? { lutBits: opts.lut.table.bits } : {}),
  });
  const mp = rtl.params, p = mp.ch, K = mp.K;
  const extra = opts.lut ? lutStreams(opts.lut) : undefined;
  const run = await simulateFrames(rtl, p, mp.outWidth, images, images.length * K * (maxObjectsPerFrame(p) + 1), opts, extra);
  const results: CclClassResult[] = [];
  const frames: RtlFrameStats[] = [];
  let objs: RtlObject[][] = classes.map(() => []);
  let eofs: (Extract<RtlRecord, { kind: 'eof' }> | null)[] = classes.map(() => null);
  for (const beat of run.beats) {
    const { cls, record } = decodeMultiRecord(p, mp.tagW, beat.data);
    if (cls >= K) throw new UserError(`rtl: record tagged with class ${cls} of ${K}`);
    if (record.kind === 'object') {
      if (beat.last || eofs[cls]) throw new UserError(`rtl: object record of class ${cls} after its end-of-frame record or with tlast`);
      objs[cls]!.push(record.object);
      continue;
    }
    if (eofs[cls]) throw new UserError(`rtl: two end-of-frame records of class ${cls} in one frame`);
    eofs[cls] = record;
    if (!beat.last) continue;
    if (eofs.some((e) => e === null)) throw new UserError('rtl: tlast before every class delivered its end-of-frame record');
    const res: CclClassResult = { width: p.W, height: p.H, cell: p.C, overflow: false, classOverflow: [], objects: [], firstPixel: [] };
    classes.forEach((c, k) => {
      const e = eofs[k]!;
      res.classOverflow.push(e.overflow);
      res.overflow ||= e.overflow;
      for (const { first, ...o } of closeFrame(e, objs[k]!, results.length, `class ${k}: `)) {
        res.objects.push({ class: k, className: c.name, ...o });
        res.firstPixel.push(first);
      }
    });
    results.push(res);
    frames.push({ eofCycle: beat.cycle, records: res.objects.length });
    objs = classes.map(() => []);
    eofs = classes.map(() => null);
  }
  if (results.length !== images.length) throw new UserError(`rtl: ${results.length} frames closed for ${images.length} frames`);
  return {
    results, frames, lastInputCycle: run.lastInputCycle, params: mp, sim: run.sim, buildMs: run.buildMs, runMs: run.runMs,
    ...(extra ? { axil: { b: run.extra.m_b!, r: run.extra.m_r! } } : {}),
  };
}

/** Label one image with the simulated core (same result object as the golden model's labelImage). */
export async function labelWithRtl(image: RasterImage, cfg: CclConfig, opts: RtlRunOptions): Promise<CclResult> {
  const r = await labelFramesWithRtl([image], cfg, opts);
  return r.results[0]!;
}
