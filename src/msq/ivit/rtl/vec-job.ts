/**
 * A job of the nonlinear vector (vec.ts): the job's rows dealt to the lanes (row r to lane r mod P), every lane's row
 * count padded to ceil(rows / P) with copies of row 0 (their results are dropped), each lane's words the unit's
 * (job.ts), and beat k of s_in the k-th word of every lane. The golden result of a vector job is the golden result of
 * the job (runNlJob) in the order the vector writes it; nlVecJobCycles is the unit's cycle formula for the lanes'
 * rows (lanes run in lockstep).
 */
import { NL_OUT_BITS, NL_WORD_BITS, encodeNlJob, runNlJob, type NlJob } from '../job.js';
import { nlJobCycles } from './cycles.js';
import type { NlVecConfig } from './vec.js';

/** The lanes' jobs: lane j holds rows j, j + P, … and padding copies of row 0 up to ceil(rows / P) rows. */
export function nlVecLaneJobs(job: NlJob, lanes: number): NlJob[] {
  const per = Math.ceil(job.rows.length / lanes);
  return Array.from({ length: lanes }, (_, j) => ({
    ...job,
    rows: Array.from({ length: per }, (_, g) => job.rows[g * lanes + j] ?? job.rows[0]!),
  }));
}

const pack = (parts: bigint[], bits: number): bigint => parts.reduce((a, v, j) => a | (v << BigInt(bits * j)), 0n);

/** The s_in beats of a vector job. */
export function encodeNlVecJob(job: NlJob, c: NlVecConfig): bigint[] {
  const lanes = nlVecLaneJobs(job, c.lanes).map((j) => encodeNlJob(j, c.unit.inBits, c.unit.maxLen));
  return lanes[0]!.map((_, k) => pack(lanes.map((w) => w[k]!), NL_WORD_BITS));
}

/** The golden m_out beats of a vector job (padding lanes included, as the RTL writes them): data and tlast. */
export function nlVecJobBeats(job: NlJob, c: NlVecConfig): { data: bigint; last: boolean }[] {
  const outs = nlVecLaneJobs(job, c.lanes).map((j) => runNlJob(j));
  const mask = (1n << BigInt(NL_OUT_BITS)) - 1n;
  const beats: { data: bigint; last: boolean }[] = [];
  outs[0]!.forEach((row, g) => row.forEach((_, i) => beats.push({ data: pack(outs.map((o) => BigInt(o[g]![i]!) & mask), NL_OUT_BITS), last: i === row.length - 1 })));
  return beats;
}

/** The job's result rows from the vector's m_out data (the inverse of the dealing; padding dropped). */
export function nlVecRows(job: NlJob, c: NlVecConfig, data: readonly bigint[]): number[][] {
  const n = job.rows[0]!.length;
  const mask = (1n << BigInt(NL_OUT_BITS)) - 1n;
  const half = 1n << BigInt(NL_OUT_BITS - 1);
  const signed = job.mode !== 'shiftmax' && job.out!.signed;
  return job.rows.map((_, r) => {
    const g = Math.floor(r / c.lanes);
    const j = r % c.lanes;
    return Array.from({ length: n }, (_, i) => {
      const v = (data[g * n + i]! >> BigInt(NL_OUT_BITS * j)) & mask;
      return Number(signed && v >= half ? v - (half << 1n) : v);
    });
  });
}

/** Cycles of a vector job (exact when s_in never stalls and m_out is always ready). */
export function nlVecJobCycles(job: NlJob, c: NlVecConfig): number {
  return nlJobCycles(nlVecLaneJobs(job, c.lanes)[0]!, c.unit);
}
