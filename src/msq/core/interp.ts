/**
 * Reference executor of one MSQ core job, written from docs/msq-core.md alone: it decodes the job program from the
 * `s_wgt` beats (descriptor, sections, items) — never the compiler's JobSpec — and computes `m_out` beats from the
 * `s_act` / `s_res` beats with the doc's semantics and conventions.ts arithmetic. It lets the compiler be tested
 * without RTL, and gives the RTL tests a second opinion on a job.
 */
import { addRequantize, requantize, weightValue } from '../conventions.js';
import { accBits, DESC_WORDS, sp2ActBitsOf, streamWidth, type CoreConfig } from './config.js';
import { DESC_USED_WORDS, unpackDescriptor, type DescName } from './descriptor.js';
import type { JobSpec } from './job.js';
import { LUT_ENTRIES } from '../lut.js';


/** The decoded descriptor: the fields of the one layout (descriptor.ts), flags as booleans, op as its code. */
export type DecodedDescriptor = Pick<JobSpec, Exclude<DescName, 'op'>> & { op: number };

/** A job program split into its sections. */
export interface DecodedProgram {
  desc: DecodedDescriptor;
  /** fixed lane weights as integers: [lane][a * N + n] */
  fixed: Int32Array[];
  /** SP2 lane codes: [lane][a * N + n] */
  sp2: Int32Array[];
  /** [p * L + j]: channel or -1 */
  chanMap: number[];
  bias: number[];
  M: number[];
  S: number[];
  /** the lookup table (section 6, with the lut flag): 256 values indexed by y mod 256, else empty */
  lut: number[];
  /** beats consumed */
  beats: number;
}

function field(x: bigint, lo: number, bits: number): number {
  return Number((x >> BigInt(lo)) & ((1n << BigInt(bits)) - 1n));
}

function sext(v: number, bits: number): number {
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

/** Reads one section of `count` items of `b` bits starting at beat `pos`. */
class SectionReader {
  pos = 0;
  constructor(
    private readonly beats: readonly bigint[],
    private readonly W: number,
  ) {}

  section(count: number, b: number): bigint[] {
    const k = Math.floor(this.W / b);
    const items: bigint[] = [];
    const mask = (1n << BigInt(b)) - 1n;
    for (let i = 0; i < count; i++) {
      const at = this.pos + Math.floor(i / k);
      if (at >= this.beats.length) throw new Error(`interp: s_wgt ended inside a section (beat ${at})`);
      items.push((this.beats[at]! >> BigInt((i % k) * b)) & mask);
    }
    this.pos += Math.ceil(count / k);
    return items;
  }
}

/** Decode the job program at the start of `wgt` (one job). */
export function decodeProgram(cfg: CoreConfig, wgt: readonly bigint[]): DecodedProgram {
  const { N, Pf, Ps, m } = cfg;
  const L = Pf + Ps;
  const r = new SectionReader(wgt, streamWidth(cfg));
  const w = r.section(DESC_WORDS, 32);
  const v = unpackDescriptor(w);
  const desc: DecodedDescriptor = { ...v, actSigned: v.actSigned === 1, fixed4: v.fixed4 === 1, residual: v.residual === 1, resSigned: v.resSigned === 1, lut: v.lut === 1, poolAcc: v.poolAcc === 1, noSp2: v.noSp2 === 1 };
  for (let i = DESC_USED_WORDS; i < DESC_WORDS; i++) if (w[i] !== 0n) throw new Error(`interp: reserved descriptor word ${i} is not 0`);
  const d = desc;
  if (d.op > 2) throw new Error(`interp: unknown op ${d.op}`);
  const fixed: Int32Array[] = [];
  const sp2: Int32Array[] = [];
  let chanMap: number[] = [];
  const bias: number[] = [];
  const M: number[] = [];
  const S: number[] = [];
  if (d.op === 0) {
    const wb = d.fixed4 ? 4 : cfg.WF;
    const wpl = d.wordsPerLane;
    for (let l = 0; l < Pf; l++) fixed.push(new Int32Array(wpl * N));
    for (let l = 0; l < Ps; l++) sp2.push(new Int32Array(wpl * N));
    const fItems = r.section(wpl * Pf, N * wb);
    fItems.forEach((item, i) => {
      const a = Math.floor(i / Pf);
      const l = i % Pf;
      // fixed4: the loader sign-extends each 4-bit code to WF bits (the value is unchanged)
      for (let n = 0; n < N; n++) fixed[l]![a * N + n] = sext(field(item, n * wb, wb), wb);
    });
    // noSp2: no SP2 section (the SP2 lanes hold older weights; their channel-map entries must be invalid)
    const sItems = d.noSp2 ? [] : r.section(wpl * Ps, N * m);
    sItems.forEach((item, i) => {
      const a = Math.floor(i / Ps);
      const l = i % Ps;
      for (let n = 0; n < N; n++) sp2[l]![a * N + n] = field(item, n * m, m);
    });
    chanMap = r.section(d.passes * L, 16).map((x) => (field(x, 15, 1) ? field(x, 0, 15) : -1));
  }
  if (d.op !== 1) {
    for (const item of r.section(d.cout, 96)) {
      bias.push(sext(field(item, 0, 32), 32));
      M.push(field(item, 32, 32));
      S.push(field(item, 64, 6));
    }
  }
  if (d.lut && d.op === 1) throw new Error('interp: a MAXPOOL job has no lookup table');
  // section 6: LUT_ENTRIES 16-bit items, the value sign-extended from 16 bits (its low A bits reach m_out)
  const lut = d.lut ? r.section(LUT_ENTRIES, 16).map((x) => sext(Number(x), 16)) : [];
  return { desc, fixed, sp2, chanMap, bias, M, S, lut, beats: r.pos };
}

/**
 * Execute one job: `wgt` = exactly its program beats, `act` its activation beats, `res` its residual beats (or []).
 * Returns its m_out beats (tlast is implied on the last). An SP2 lane multiplies the low `sp2ActBits` bits of each
 * activation lane (sign-extended when actSigned), whatever the job's activations are: a job the compiler should have
 * kept off the SP2 lanes gives wrong values here, as on the RTL. Throws on malformed input (wrong beat counts, derived
 * descriptor fields that disagree with the doc's formulas, accumulator overflow of accBits(cfg)).
 */
/**
 * The pool reducer's sums after the last pool job, per core configuration object (one core runs its jobs in order):
 * what an AVGPOOL job with `poolAcc` continues (docs/msq-core.md "Semantics").
 */
const poolSums = new WeakMap<CoreConfig, Float64Array>();

export function runJob(cfg: CoreConfig, wgt: readonly bigint[], act: readonly bigint[], res: readonly bigint[]): bigint[] {
  const { N, A, Pf, Ps, m } = cfg;
  const L = Pf + Ps;
  const prog = decodeProgram(cfg, wgt);
  const d = prog.desc;
  if (prog.beats !== wgt.length) throw new Error(`interp: job program is ${prog.beats} beats, got ${wgt.length}`);
  const expect = (name: string, got: number, want: number): void => {
    if (got !== want) throw new Error(`interp: descriptor ${name} = ${got}, the doc's formula gives ${want}`);
  };
  const G = d.cinGroups;
  expect('actWords', d.actWords, d.inH * d.inW * G);
  expect('rowStride', d.rowStride, d.inW * G);
  expect('rowStep', d.rowStep, d.sh * d.rowStride);
  expect('colStep', d.colStep, d.sw * G);
  expect('coutGroups', d.coutGroups, Math.ceil(d.cout / N));
  expect('steps', d.steps, d.op === 0 ? d.kh * d.kw * G : d.kh * d.kw);
  if (d.op === 0) expect('wordsPerLane', d.wordsPerLane, d.passes * d.steps);
  else expect('passes', d.passes, G);
  if (d.op !== 0) expect('coutGroups', d.coutGroups, G);
  if (d.passCycles < d.steps) throw new Error(`interp: passCycles ${d.passCycles} < steps ${d.steps}`);
  if (act.length !== d.actWords) throw new Error(`interp: s_act has ${act.length} beats, the job reads ${d.actWords}`);
  const prevSums = poolSums.get(cfg);
  if (d.poolAcc && (d.op !== 2 || d.passes !== 1 || d.outH * d.outW !== 1 || !prevSums)) {
    throw new Error('interp: poolAcc needs an AVGPOOL job of one pass and one pixel after a pool job');
  }
  const sums = new Float64Array(N);
  const pixels = d.outH * d.outW;
  if (res.length !== (d.residual ? pixels * d.coutGroups : 0)) throw new Error(`interp: s_res has ${res.length} beats`);

  // activations [word * N + n] as the fixed lanes see them (A bits) and as the SP2 lanes see them: the low
  // sp2ActBits bits of each lane, sign-extended when actSigned (whatever the compiler meant to put there)
  const x = new Float64Array(d.actWords * N);
  const xs = new Float64Array(d.actWords * N);
  const amask = (1n << BigInt(A)) - 1n;
  const sb = sp2ActBitsOf(cfg);
  const smask = 2 ** sb - 1;
  act.forEach((beat, i) => {
    for (let n = 0; n < N; n++) {
      const v = Number((beat >> BigInt(n * A)) & amask);
      x[i * N + n] = d.actSigned ? sext(v, A) : v;
      const low = v & smask;
      xs[i * N + n] = d.actSigned ? sext(low, sb) : low;
    }
  });
  const accLimit = 2 ** (accBits(cfg) - 1);
  if (accBits(cfg) > 52) throw new Error('interp: accumulators wider than 52 bits are not supported');
  const out: bigint[] = [];
  const vals = new Array<number>(d.coutGroups * N);
  // integer weights per lane j (fixed lanes then SP2 lanes): [a * N + n]
  const wInt: Float64Array[] = [];
  if (d.op === 0) {
    for (let l = 0; l < Pf; l++) wInt.push(Float64Array.from(prog.fixed[l]!));
    for (let l = 0; l < Ps; l++) wInt.push(Float64Array.from(prog.sp2[l]!, (c) => weightValue('sp2', m, c)));
  }
  for (let oy = 0; oy < d.outH; oy++) {
    for (let ox = 0; ox < d.outW; ox++) {
      vals.fill(0);
      const pix = oy * d.outW + ox;
      for (let p = 0; p < d.passes; p++) {
        if (d.op === 0) {
          for (let j = 0; j < L; j++) {
            const c = prog.chanMap[p * L + j]!;
            if (c < 0) continue; // an idle lane (its result is not used)
            if (d.noSp2 && j >= Pf) throw new Error(`interp: noSp2 job maps SP2 lane ${j}`);
            const w = wInt[j]!;
            const xl = j < Pf ? x : xs;
            let acc = 0;
            for (let ky = 0; ky < d.kh; ky++) {
              const iy = oy * d.sh - d.padT + ky;
              for (let kx = 0; kx < d.kw; kx++) {
                const ix = ox * d.sw - d.padL + kx;
                if (iy < 0 || iy >= d.inH || ix < 0 || ix >= d.inW) continue;
                for (let g = 0; g < G; g++) {
                  const addr = (iy * d.inW + ix) * G + g;
                  const a = p * d.steps + (ky * d.kw + kx) * G + g;
                  for (let n = 0; n < N; n++) acc += xl[addr * N + n]! * w[a * N + n]!;
                }
                if (acc >= accLimit || acc < -accLimit) throw new Error('interp: accumulator overflow');
              }
            }
            if (c >= d.cout) throw new Error(`interp: channel map entry ${c} >= cout ${d.cout}`);
            let y = requantize(acc + prog.bias[c]!, prog.M[c]!, prog.S[c]!, d.lo, d.hi);
            if (d.residual) {
              const gsel = Math.floor(c / N);
              const rv = Number((res[pix * d.coutGroups + gsel]! >> BigInt((c % N) * A)) & amask);
              const r = d.resSigned ? sext(rv, A) : rv;
              y = addRequantize(y, d.Ma, r, d.Mb, d.addS, d.addLo, d.addHi);
            }
            vals[c] = d.lut ? prog.lut[y & (LUT_ENTRIES - 1)]! : y;
          }
        } else {
          for (let n = 0; n < N; n++) {
            let acc = d.op === 1 ? -Infinity : d.poolAcc ? prevSums![n]! : 0;
            for (let ky = 0; ky < d.kh; ky++) {
              const iy = oy * d.sh - d.padT + ky;
              for (let kx = 0; kx < d.kw; kx++) {
                const ix = ox * d.sw - d.padL + kx;
                if (iy < 0 || iy >= d.inH || ix < 0 || ix >= d.inW) continue;
                const v = x[((iy * d.inW + ix) * G + p) * N + n]!;
                if (d.op === 1) acc = v > acc ? v : acc;
                else acc += v;
              }
            }
            sums[n] = acc;
            const c = p * N + n;
            if (c >= d.cout) continue; // lanes past cout are 0
            if (d.op === 1) {
              if (acc === -Infinity) throw new Error(`interp: max-pool window at (${oy}, ${ox}) has no inside position`);
              vals[c] = acc;
            } else {
              const y = requantize(acc + prog.bias[c]!, prog.M[c]!, prog.S[c]!, d.lo, d.hi);
              vals[c] = d.lut ? prog.lut[y & (LUT_ENTRIES - 1)]! : y;
            }
          }
        }
      }
      for (let g = 0; g < d.coutGroups; g++) {
        let beat = 0n;
        for (let n = N - 1; n >= 0; n--) {
          const c = g * N + n;
          const v = c < d.cout ? vals[c]! : 0;
          beat = (beat << BigInt(A)) | (BigInt(v) & amask);
        }
        out.push(beat);
      }
    }
  }
  if (d.op !== 0) poolSums.set(cfg, sums);
  return out;
}
