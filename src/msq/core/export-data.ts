/**
 * A compiled Program as DATA for a host runtime that knows nothing of the compiler (the PYNQ driver of
 * `accelforge export`, docs/export.md "The MSQ core"): per job the s_wgt beats (the job program, bytes), and
 * gather / scatter INDEX TABLES — per beat and lane, the flat element index into a host tensor ([C, H, W] row-major),
 * -1 for a zero pad lane (s_act, s_res) or a dropped lane (m_out). A runtime then streams a job as
 * `pack(tensor.flat[idx])` and scatters its output as `tensor.flat[idx] = lanes`.
 *
 * The tables are not a second implementation of the tiling / im2col: they are read off the compiler's own stream
 * builders (jobActBeats, jobResBeats, scatterOut) run on "index tensors" (value = flat index + 1, 0 = pad) with
 * 32-bit lanes, so they follow compile.ts whatever it does.
 */
import { fail } from '../../util/errors.js';
import { concatArrays } from '../../util/arrays.js';
import type { CoreConfig } from './config.js';
import { jobActBeats, jobResBeats, scatterOut, type CompiledJob, type HostTensor, type Program, type Shape3 } from './compile.js';
import { encodeProgram, packCodes } from './job.js';

/** Lane width used to carry indices through the compiler's packers. */
const IDX_BITS = 32;

export interface JobTables {
  /** s_wgt beats (the job program) */
  wgt: bigint[];
  /** [beats * N] flat indices into the act tensor, -1 = 0 */
  act: Int32Array;
  /** [beats * N] flat indices into the residual tensor, -1 = 0 (empty without residual) */
  res: Int32Array;
  /** [beats * N] flat indices into the output tensor, -1 = lane dropped */
  out: Int32Array;
}

const numel3 = (s: Shape3): number => s[0] * s[1] * s[2];

/** Lanes of 32-bit beats (lane 0 low) minus one: the index, or -1 where the packer put 0. */
function lanesToIndex(beats: readonly bigint[], N: number): Int32Array {
  const out = new Int32Array(beats.length * N);
  const digits = (IDX_BITS / 4) * N;
  beats.forEach((b, i) => {
    const hex = b.toString(16).padStart(digits, '0');
    for (let n = 0; n < N; n++) {
      const at = digits - (n + 1) * 8;
      out[i * N + n] = parseInt(hex.slice(at, at + 8), 16) - 1;
    }
  });
  return out;
}

function indexTensor(shape: Shape3): Int32Array {
  const t = new Int32Array(numel3(shape));
  for (let i = 0; i < t.length; i++) t[i] = i + 1;
  return t;
}

/** The index tables of one job. */
export function jobTables(cfg: CoreConfig, job: CompiledJob): JobTables {
  const { N } = cfg;
  if (job.se) fail(`layer '${job.spec.layer}'`, 'squeeze-excite jobs take their weights from a tensor computed at run time; the exported host runtime does not rebuild programs yet (run it in simulation: msq build)');
  const icfg: CoreConfig = { ...cfg, A: IDX_BITS };
  const act = lanesToIndex(jobActBeats(icfg, job, new Map([[job.act.tensor, indexTensor(job.act.shape)]])), N);
  const res = job.res ? lanesToIndex(jobResBeats(icfg, job, new Map([[job.res.tensor, indexTensor(job.res.shape)]])), N) : new Int32Array(0);
  // m_out: beat b lane n carries id b*N + n + 1; scatterOut writes ids into a zero tensor; invert.
  const s = job.spec;
  const outBeats = s.outH * s.outW * s.coutGroups;
  const ids: bigint[] = [];
  const lanes = new Array<number>(N);
  for (let b = 0; b < outBeats; b++) {
    for (let n = 0; n < N; n++) lanes[n] = b * N + n + 1;
    ids.push(packCodes(lanes, IDX_BITS));
  }
  const into = new Int32Array(numel3(job.out.shape));
  scatterOut(icfg, job, ids, into);
  const out = new Int32Array(outBeats * N).fill(-1);
  for (let i = 0; i < into.length; i++) if (into[i]! > 0) out[into[i]! - 1] = i;
  return { wgt: encodeProgram(cfg, s), act, res, out };
}

export interface RuntimeJob {
  name: string;
  layer: string;
  op: string;
  /** beat offsets and counts into the npz arrays (wgt rows, act_idx / res_idx / out_idx rows) */
  wgt: { offset: number; beats: number };
  act: { tensor: string; offset: number; beats: number };
  res: { tensor: string; offset: number; beats: number } | null;
  out: { tensor: string; offset: number; beats: number; signed: boolean };
}

export interface RuntimeProgram {
  schema: 'accelforge-core-program/1';
  model: string;
  core: CoreConfig;
  /** bytes of one core stream word (W / 8); the npz's wgt rows */
  wordBytes: number;
  input: string;
  output: string;
  /** every host tensor: [C, H, W], element bits and sign */
  tensors: Record<string, { shape: Shape3; bits: number; signed: boolean }>;
  jobs: RuntimeJob[];
  totals: { wgtBeats: number; actBeats: number; resBeats: number; outBeats: number };
}

export interface RuntimeArrays {
  /** [wgtBeats * wordBytes] s_wgt beats, little-endian, wordBytes per beat */
  wgt: Uint8Array;
  /** [actBeats * N], [resBeats * N], [outBeats * N] int32 indices */
  actIdx: Int32Array;
  resIdx: Int32Array;
  outIdx: Int32Array;
}

/** Little-endian bytes of W-bit beats, `bytes` per beat. */
export function beatsToBytes(beats: readonly bigint[], bytes: number): Uint8Array {
  const out = new Uint8Array(beats.length * bytes);
  beats.forEach((b, i) => {
    const hex = b.toString(16).padStart(bytes * 2, '0');
    if (hex.length > bytes * 2) throw new Error(`beat ${i} wider than ${bytes * 8} bits`);
    for (let k = 0; k < bytes; k++) out[i * bytes + k] = parseInt(hex.slice(hex.length - 2 * (k + 1), hex.length - 2 * k), 16);
  });
  return out;
}

/** The whole program as runtime data: job list (JSON) and the concatenated arrays. */
export function runtimeProgram(program: Program): { json: RuntimeProgram; arrays: RuntimeArrays } {
  const cfg = program.cfg;
  const { N, A } = cfg;
  const wordBytes = (N * A) / 8;
  if (!Number.isInteger(wordBytes)) throw new Error(`stream word of ${N * A} bits is not whole bytes`);
  const tables = program.jobs.map((j) => jobTables(cfg, j));
  const tot = { wgtBeats: 0, actBeats: 0, resBeats: 0, outBeats: 0 };
  const jobs: RuntimeJob[] = program.jobs.map((j, i) => {
    const t = tables[i]!;
    const r: RuntimeJob = {
      name: j.spec.name,
      layer: j.spec.layer,
      op: j.spec.op,
      wgt: { offset: tot.wgtBeats, beats: t.wgt.length },
      act: { tensor: j.act.tensor, offset: tot.actBeats, beats: t.act.length / N },
      res: j.res ? { tensor: j.res.tensor, offset: tot.resBeats, beats: t.res.length / N } : null,
      out: { tensor: j.out.tensor, offset: tot.outBeats, beats: t.out.length / N, signed: j.out.signed },
    };
    tot.wgtBeats += t.wgt.length;
    tot.actBeats += t.act.length / N;
    tot.resBeats += t.res.length / N;
    tot.outBeats += t.out.length / N;
    return r;
  });
  const wgt = concatArrays(Uint8Array, tables.map((t) => beatsToBytes(t.wgt, wordBytes)));
  const host = (t: HostTensor) => ({ shape: t.shape, bits: t.bits, signed: t.signed });
  const tensors: RuntimeProgram['tensors'] = { [program.input.name]: host(program.input) };
  for (const [name, t] of program.tensors) tensors[name] = host(t);
  return {
    json: {
      schema: 'accelforge-core-program/1',
      model: program.model,
      core: cfg,
      wordBytes,
      input: program.input.name,
      output: program.output.name,
      tensors,
      jobs,
      totals: tot,
    },
    arrays: {
      wgt,
      actIdx: concatArrays(Int32Array, tables.map((t) => t.act)),
      resIdx: concatArrays(Int32Array, tables.map((t) => t.res)),
      outIdx: concatArrays(Int32Array, tables.map((t) => t.out)),
    },
  };
}
