/**
 * The I-ViT nonlinear unit (src/msq/ivit/rtl) against the golden operators (src/msq/ivit): a stream of jobs of all
 * three modes — random rows and worst cases (all-equal, one element, max magnitude, zero variance, the longest row)
 * — bit-exact in Verilator under random valid/ready stalls, and a subset in Icarus; the cycles of an unstalled run
 * equal the unit's cycle formula (nlJobCycles).
 */
import { describe, expect, it } from 'vitest';
import { geluOutQuant, layerNormParams, encodeNlJob, runNlJob, type NlJob } from '../src/msq/ivit/index.js';
import { generateNlUnit, nlJobCycles } from '../src/msq/ivit/rtl/index.js';
import { moduleDesign } from '../src/sim/design.js';
import { runStreams, toUnsigned, type Beat } from '../src/sim/index.js';
import { Rng } from './hdl-util.js';

const CFG = { inBits: 16, maxLen: 48 };
const MAXV = 2 ** (CFG.inBits - 1);

function randomRow(r: Rng, n: number, span: number): number[] {
  return Array.from({ length: n }, () => Math.max(-MAXV, Math.min(MAXV - 1, r.int(2 * span) - span)));
}

function lnJob(rows: number[][], eps: number, bits = 8, signed = true): NlJob {
  const n = rows[0]!.length;
  const p = layerNormParams({ gamma: Array.from({ length: n }, (_, i) => ((i * 7) % 13) / 6 - 1), beta: Array.from({ length: n }, (_, i) => ((i % 5) - 2) * 3), epsilon: 0, inScale: 1, outScale: 1 / 16, bits, signed });
  return { mode: 'layernorm', frac: 0, rows, out: p.out, ln: { ...p, eps } };
}

function jobs(seed: number, count: number): NlJob[] {
  const r = new Rng(seed);
  const out: NlJob[] = [
    { mode: 'shiftmax', frac: 4, rows: [Array(CFG.maxLen).fill(-MAXV), [7, 7, 7, 7].concat(Array(CFG.maxLen - 4).fill(7))] },
    { mode: 'shiftmax', frac: 0, rows: [[-5]] },
    { mode: 'shiftmax', frac: 15, rows: [[MAXV - 1, -MAXV, 0, MAXV - 1, -MAXV]] },
    { mode: 'shiftgelu', frac: 12, rows: [[-MAXV, MAXV - 1, 0, -1, 1, -4096, 4096, -(2 ** 14), 2 ** 14]], out: geluOutQuant(12, 8 / 127) },
    { mode: 'shiftgelu', frac: 0, rows: [[MAXV - 1, -MAXV, 3]], out: geluOutQuant(0, 1, 16, true) },
    lnJob([Array(CFG.maxLen).fill(-MAXV), Array(CFG.maxLen).fill(12)], 0),
    lnJob([[1234]], 0, 16, false),
    lnJob([Array.from({ length: CFG.maxLen }, (_, i) => (i % 2 ? MAXV - 1 : -MAXV))], 2 ** 32 - 1, 4, true),
  ];
  for (let k = 0; k < count; k++) {
    const mode = r.pick(['shiftmax', 'shiftgelu', 'layernorm'] as const);
    const n = 1 + r.int(CFG.maxLen);
    const rows = Array.from({ length: 1 + r.int(3) }, () => randomRow(r, n, r.pick([8, 300, MAXV])));
    const frac = r.int(16);
    if (mode === 'shiftmax') out.push({ mode, frac, rows });
    else if (mode === 'shiftgelu') out.push({ mode, frac, rows, out: geluOutQuant(frac, 2 ** (15 - frac) / 127 / (1 + r.int(4)), r.pick([4, 8, 12]), r.chance(0.8)) });
    else out.push(lnJob(rows, r.pick([0, 3, 100000]), r.pick([8, 12]), true));
  }
  return out;
}

function streams(js: NlJob[]): { words: Beat[]; expected: Beat[] } {
  const words: Beat[] = [];
  const expected: Beat[] = [];
  for (const j of js) {
    for (const w of encodeNlJob(j, CFG.inBits, CFG.maxLen)) words.push({ data: w });
    for (const row of runNlJob(j)) row.forEach((v, i) => expected.push({ data: toUnsigned(BigInt(v), 16), last: i === row.length - 1 }));
  }
  return { words, expected };
}

describe('I-ViT nonlinear unit RTL', () => {
  const rtl = generateNlUnit(CFG);
  const design = moduleDesign(rtl.module);

  it('is bit-exact against the golden operators in Verilator under random stalls (random + worst-case rows)', async () => {
    const { words, expected } = streams(jobs(1, 24));
    const res = await runStreams(design, { inputs: { s_in: words }, expected: { m_out: expected }, validProb: 0.7, readyProb: 0.5, seed: 3 });
    expect(res.outputs.m_out!.length).toBe(expected.length);
    // without stalls the run takes exactly the cycles of the unit's cycle formula (+1: the last beat's cycle)
    const js = jobs(2, 6);
    const s2 = streams(js);
    const fast = await runStreams(design, { inputs: { s_in: s2.words }, expected: { m_out: s2.expected } });
    expect(fast.cycleCount).toBe(js.reduce((a, j) => a + nlJobCycles(j, CFG), 0));
  }, 300_000);

  it('a subset is bit-exact in Icarus under random stalls', async () => {
    const js = jobs(5, 4);
    const { words, expected } = streams([js[2]!, js[4]!, js[6]!, ...js.slice(8)]);
    const res = await runStreams(design, { sim: 'icarus', inputs: { s_in: words }, expected: { m_out: expected }, validProb: 0.8, readyProb: 0.6, seed: 9 });
    expect(res.outputs.m_out!.length).toBe(expected.length);
  }, 300_000);
});
