/**
 * A job of the nonlinear unit: one operator (mode) over `rows` rows of `len` elements. The stream layout below is
 * the one the unit's RTL (rtl/unit.ts) reads, the encoder here writes and the golden job runner interprets.
 *
 * s_in (32-bit words):  HDR0, HDR1, M, eps,  [LN only: len words PARAM (γ_i, β_i)],  rows × len data words
 *   (an element in the low inBits bits, two's complement; the upper bits are ignored). Input tlast is ignored.
 * m_out (16-bit): one word per element, the result as a 16-bit two's-complement value; tlast on each row's last.
 * Shiftmax ignores M, S, outBits and outSigned (its output is the unsigned PROB_BITS-bit probability);
 * ShiftGELU ignores eps; I-LayerNorm ignores frac.
 */
import { Struct } from '../../hdl/lib/struct.js';
import { fail } from '../../util/errors.js';
import { EPS_MAX, LEN_MAX, LN_BETA_BITS, LN_GAMMA_BITS, checkFrac, checkRow, type OutQuant } from './conventions.js';
import { iLayerNorm } from './layernorm.js';
import { shiftGelu } from './shiftgelu.js';
import { shiftmax } from './shiftmax.js';

export const NL_MODES = ['shiftmax', 'shiftgelu', 'layernorm'] as const;
export type NlMode = (typeof NL_MODES)[number];

export const NL_WORD_BITS = 32;
export const NL_OUT_BITS = 16;
export const NL_HDR0 = new Struct('nl_hdr0', [
  { name: 'mode', width: 2 },
  { name: 'frac', width: 4 },
  { name: 'outBits', width: 5 },
  { name: 'outSigned', width: 1 },
  { name: 'len', width: 13 },
  { name: 'pad', width: 7 },
]);
export const NL_HDR1 = new Struct('nl_hdr1', [
  { name: 'rows', width: 16 },
  { name: 'shift', width: 6 },
  { name: 'pad', width: 10 },
]);
export const NL_PARAM = new Struct('nl_param', [
  { name: 'beta', width: LN_BETA_BITS, signed: true },
  { name: 'gamma', width: LN_GAMMA_BITS, signed: true },
]);
/** Header words before the LN parameters / the data. */
export const NL_HDR_WORDS = 4;
export const NL_ROWS_MAX = 2 ** 16 - 1;

export interface NlJob {
  mode: NlMode;
  /** input fractional bits F (Shiftmax, ShiftGELU) */
  frac: number;
  rows: number[][];
  /** output requantization (ShiftGELU, I-LayerNorm) */
  out?: OutQuant;
  /** I-LayerNorm's integer affine and epsilon */
  ln?: { gamma: ArrayLike<number>; beta: ArrayLike<number>; eps: number };
}

const NO_OUT: OutQuant = { M: 0, S: 1, bits: 8, signed: false };

/** Checks a job against the unit's limits (inBits, maxLen); one-line errors naming the field. */
export function checkNlJob(job: NlJob, inBits: number, maxLen = LEN_MAX): void {
  if (!NL_MODES.includes(job.mode)) fail('job.mode', `must be one of ${NL_MODES.join(', ')}, got ${job.mode}`);
  checkFrac(job.frac, 'job.frac');
  if (job.rows.length < 1 || job.rows.length > NL_ROWS_MAX) fail('job.rows', `needs 1..${NL_ROWS_MAX} rows, got ${job.rows.length}`);
  const len = job.rows[0]!.length;
  if (len < 1 || len > maxLen) fail('job.rows', `row length ${len} is outside 1..${maxLen} (the unit's maxLen)`);
  job.rows.forEach((r, i) => {
    if (r.length !== len) fail(`job.rows[${i}]`, `has ${r.length} elements, row 0 has ${len}`);
    checkRow(r, inBits, `job.rows[${i}]`);
  });
  if (job.mode !== 'shiftmax') {
    const q = job.out;
    if (!q) fail('job.out', `${job.mode} needs an output requantization`);
    if (!Number.isInteger(q.M) || q.M < 0 || q.M >= 2 ** 31) fail('job.out.M', `must be an integer in [0, 2^31), got ${q.M}`);
    if (!Number.isInteger(q.S) || q.S < 1 || q.S > 62) fail('job.out.S', `must be 1..62, got ${q.S}`);
    if (!Number.isInteger(q.bits) || q.bits < 2 || q.bits > NL_OUT_BITS) fail('job.out.bits', `must be 2..${NL_OUT_BITS}, got ${q.bits}`);
  }
  if (job.mode === 'layernorm') {
    const ln = job.ln;
    if (!ln) fail('job.ln', 'layernorm needs gamma, beta and eps');
    if (ln.gamma.length !== len || ln.beta.length !== len) fail('job.ln', `needs ${len} gamma and beta values`);
    if (!Number.isInteger(ln.eps) || ln.eps < 0 || ln.eps > EPS_MAX) fail('job.ln.eps', `must be 0..2^32 - 1, got ${ln.eps}`);
  }
}

/** The s_in words of a job. */
export function encodeNlJob(job: NlJob, inBits: number, maxLen = LEN_MAX): bigint[] {
  checkNlJob(job, inBits, maxLen);
  const q = job.out ?? NO_OUT;
  const len = job.rows[0]!.length;
  const words: bigint[] = [
    NL_HDR0.packValues({ mode: BigInt(NL_MODES.indexOf(job.mode)), frac: BigInt(job.frac), outBits: BigInt(q.bits), outSigned: q.signed ? 1n : 0n, len: BigInt(len), pad: 0n }),
    NL_HDR1.packValues({ rows: BigInt(job.rows.length), shift: BigInt(q.S), pad: 0n }),
    BigInt(q.M),
    BigInt(job.ln?.eps ?? 0),
  ];
  if (job.mode === 'layernorm') {
    for (let i = 0; i < len; i++) words.push(NL_PARAM.packValues({ beta: BigInt(job.ln!.beta[i]!), gamma: BigInt(job.ln!.gamma[i]!) }));
  }
  const mask = (1n << BigInt(inBits)) - 1n;
  for (const r of job.rows) for (const x of r) words.push(BigInt(x) & mask);
  return words;
}

/** The golden result of a job: one output row per input row. */
export function runNlJob(job: NlJob): number[][] {
  switch (job.mode) {
    case 'shiftmax':
      return job.rows.map((r) => shiftmax(r, job.frac));
    case 'shiftgelu':
      return job.rows.map((r) => shiftGelu(r, job.frac, job.out!));
    case 'layernorm':
      return job.rows.map((r) => iLayerNorm(r, { ...job.ln!, out: job.out! }));
  }
}
