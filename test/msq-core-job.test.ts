import { describe, expect, it } from 'vitest';
import { accBits, checkCoreConfig, smallCoreConfig, streamWidth } from '../src/msq/core/config.js';
import {
  checkJob,
  descriptorWords,
  encodeProgram,
  jobDdrBytes,
  packCodes,
  packItems,
  packTile,
  programBeats,
  unpackBeats,
  unpackCodes,
  type JobSpec,
} from '../src/msq/core/job.js';

const cfg = smallCoreConfig(); // N=16, A=8 -> W=128, Pf=2, Ps=3

const bits = (x: bigint, lo: number, n: number): number => Number((x >> BigInt(lo)) & ((1n << BigInt(n)) - 1n));

/** A 3x3 conv job, 20 input channels (2 groups), 5 output channels, one pass, with residual. */
function gemmJob(over: Partial<JobSpec> = {}): JobSpec {
  const steps = 3 * 3 * 2;
  const fixedWords: bigint[] = [];
  const sp2Words: bigint[] = [];
  for (let a = 0; a < steps; a++) {
    for (let l = 0; l < 2; l++) fixedWords.push(packCodes(Array.from({ length: 16 }, (_, n) => ((a + l + n) % 15) - 7), 8));
    for (let l = 0; l < 3; l++) sp2Words.push(packCodes(Array.from({ length: 16 }, (_, n) => (a * 3 + l + n) % 16), 4));
  }
  return {
    name: 'j0',
    layer: 'conv',
    op: 'gemm',
    actSigned: true,
    fixed4: false,
    residual: true,
    resSigned: false,
    inH: 7,
    inW: 9,
    outH: 4,
    outW: 5,
    kh: 3,
    kw: 3,
    sh: 2,
    sw: 2,
    padT: 1,
    padL: 1,
    cinGroups: 2,
    passes: 1,
    steps,
    passCycles: steps,
    cout: 5,
    coutGroups: 1,
    wordsPerLane: steps,
    actWords: 7 * 9 * 2,
    rowStride: 18,
    rowStep: 36,
    colStep: 4,
    lo: -8,
    hi: 7,
    addLo: 0,
    addHi: 15,
    Ma: 123456789,
    Mb: 2 ** 31 - 1,
    addS: 40,
    fixedWords,
    sp2Words,
    chanMap: [4, 3, 0, 2, 1],
    params: [0, 1, 2, 3, 4].map((c) => ({ bias: c === 2 ? -5 : 1000 * c, M: 2 ** 30 + c, S: 20 + c })),
    ...over,
  };
}

describe('msq core config', () => {
  it('checks fields by name and sizes the accumulator', () => {
    expect(streamWidth(cfg)).toBe(128);
    checkCoreConfig(cfg);
    // kMax 4096 * 255 * 128 (WF=8 two's complement) = 133693440 -> 28 signed bits; SP2 m=4: 2^P = 8 < 128
    expect(accBits(cfg)).toBe(28);
    expect(accBits({ ...cfg, Pf: 0 })).toBe(12 + 8 + 3 + 1);
    expect(() => checkCoreConfig({ ...cfg, N: 8 })).toThrow(/core\.N/);
    expect(() => checkCoreConfig({ ...cfg, Rq: 6 })).toThrow(/core\.Rq/);
    expect(() => checkCoreConfig({ ...cfg, m: 9 })).toThrow(/core\.m/);
    expect(() => checkCoreConfig({ ...cfg, cDepth: 40 })).toThrow(/core\.cDepth/);
    expect(() => checkCoreConfig({ ...cfg, dspPack: 3 as 1 })).toThrow(/core\.dspPack/);
  });
});

describe('msq core job program', () => {
  it('packs items per the doc: floor(W / b) per beat, item i at (i mod k) * b', () => {
    const beats = packItems([1n, 2n, 3n, 0xffffn, 5n], 32, 128);
    expect(beats.length).toBe(2);
    expect(bits(beats[0]!, 0, 32)).toBe(1);
    expect(bits(beats[0]!, 96, 32)).toBe(0xffff);
    expect(beats[1]).toBe(5n);
    // 96-bit items: one per 128-bit beat, upper 32 bits 0
    expect(packItems([(1n << 96n) - 1n, 7n], 96, 128)).toEqual([(1n << 96n) - 1n, 7n]);
    expect(unpackCodes(packCodes([-1, 2, -8, 7], 4), 4, 4, true)).toEqual([-1, 2, -8, 7]);
  });

  it('encodes the descriptor fields at the documented bit positions', () => {
    const job = gemmJob();
    const w = descriptorWords(job);
    expect(w.length).toBe(24);
    expect(w[0]).toBe(0 | 0x10 | 0x40); // gemm, actSigned, residual
    expect(w[1]).toBe(7 + 9 * 65536);
    expect(w[4]).toBe(2 | (2 << 8) | (1 << 16) | (1 << 24));
    expect(w[5]).toBe(2 + 1 * 65536);
    expect(w[6]).toBe(18 + 18 * 65536);
    expect(w[7]).toBe(5 + 1 * 65536);
    expect(w[13]).toBe(0xfff8 + 7 * 65536); // lo = -8 as 16-bit two's complement
    expect(w[14]).toBe(15 * 65536);
    expect(w[15]).toBe(123456789);
    expect(w[16]).toBe(2 ** 31 - 1);
    expect(w[17]).toBe(40);
    expect(w.slice(18)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(descriptorWords(gemmJob({ op: 'avgpool', actSigned: false, residual: false, fixed4: true }))[0]).toBe(2 | 0x20);
  });

  it('lays out the five sections, each from a new beat', () => {
    const job = gemmJob();
    const p = encodeProgram(cfg, job);
    // descriptor 24/4 = 6, fixed 18*2 items of 128 b = 36, sp2 18*3 items of 64 b = 27, map 5 items = 1, params 5
    expect(p.length).toBe(6 + 36 + 27 + 1 + 5);
    expect(programBeats(cfg, job)).toBe(p.length);
    expect(bits(p[1]!, 0, 32)).toBe(descriptorWords(job)[4]);
    // fixed: item a*Pf + l
    expect(p[6 + 2 * 5 + 1]).toBe(job.fixedWords[5 * 2 + 1]);
    // sp2: 2 items per beat, item (a*Ps + l); item 7 = a 2, lane 1 in beat 3 upper half
    const sp2Beat = p[6 + 36 + 3]!;
    expect(sp2Beat & ((1n << 64n) - 1n)).toBe(job.sp2Words[6]);
    expect(sp2Beat >> 64n).toBe(job.sp2Words[7]);
    // channel map: bit 15 valid, channel in 14:0
    const map = p[6 + 36 + 27]!;
    expect([0, 1, 2, 3, 4].map((j) => bits(map, 16 * j, 16))).toEqual([0x8004, 0x8003, 0x8000, 0x8002, 0x8001]);
    expect(bits(map, 80, 48)).toBe(0);
    // parameters: bias 31:0 signed, M 63:32, S 69:64
    const par = p[6 + 36 + 27 + 1 + 2]!;
    expect(bits(par, 0, 32)).toBe(2 ** 32 - 5);
    expect(bits(par, 32, 32)).toBe(2 ** 30 + 2);
    expect(bits(par, 64, 6)).toBe(22);
    expect(par >> 70n).toBe(0n);
    // idle lanes: entry 0
    const idle = encodeProgram(cfg, gemmJob({ chanMap: [4, -1, 0, 2, 1], cout: 5 }));
    expect(bits(idle[6 + 36 + 27]!, 16, 16)).toBe(0);
    // fixed4 halves the fixed section: 2 items of 64 bits per beat
    const f4 = gemmJob({ fixed4: true, fixedWords: gemmJob().fixedWords.map(() => 0x0123456789abcdefn) });
    expect(programBeats(cfg, f4)).toBe(6 + 18 + 27 + 1 + 5);
    expect(encodeProgram(cfg, f4).length).toBe(6 + 18 + 27 + 1 + 5);
    expect(jobDdrBytes(cfg, job)).toBe((p.length + 126 + 20 + 20) * 16);
  });

  it('pools carry only descriptor (+ parameters for avgpool)', () => {
    const pool = gemmJob({
      op: 'maxpool', residual: false, resSigned: false, addLo: 0, addHi: 0, Ma: 0, Mb: 0, addS: 0,
      kh: 2, kw: 2, steps: 4, passCycles: 4, passes: 2, cout: 32, coutGroups: 2, wordsPerLane: 0,
      fixedWords: [], sp2Words: [], chanMap: [], params: [],
    });
    checkJob(cfg, pool);
    expect(encodeProgram(cfg, pool).length).toBe(6);
  });

  it('rejects jobs that do not fit, naming layer and field', () => {
    checkJob(cfg, gemmJob());
    expect(() => checkJob({ ...cfg, actDepth: 100 }, gemmJob())).toThrow(/layer 'conv' job j0\.actWords.*actDepth/);
    expect(() => checkJob({ ...cfg, wDepth: 10 }, gemmJob())).toThrow(/\.wordsPerLane/);
    expect(() => checkJob(cfg, gemmJob({ chanMap: [4, 3, 0, 2, 2] }))).toThrow(/chanMap\[4\]/);
    expect(() => checkJob(cfg, gemmJob({ chanMap: [4, 3, 0, 2, -1] }))).toThrow(/maps 4 of 5/);
    expect(() => checkJob(cfg, gemmJob({ rowStep: 35 }))).toThrow(/\.rowStep/);
    expect(() => checkJob(cfg, gemmJob({ params: gemmJob().params.map((p) => ({ ...p, S: 0 })) }))).toThrow(/params\[0\]\.S/);
    expect(() => checkJob(cfg, gemmJob({ passCycles: 17 }))).toThrow(/\.passCycles/);
    expect(() => checkJob({ ...cfg, kMax: 256 }, gemmJob())).toThrow(/\.steps.*kMax/);
  });

  it('packs activation tiles and unpacks output beats', () => {
    const C = 20, H = 3, W = 2;
    const data = Int32Array.from({ length: C * H * W }, (_, i) => ((i * 37) % 256) - 128);
    const beats = packTile(cfg, data, [C, H, W], { y0: 1, rows: 2, c0: 3, cCount: 17 });
    expect(beats.length).toBe(2 * 2 * 2);
    // pixel (y=1, x=1), group 1, lane 0 = channel 3+16 = 19
    expect(unpackCodes(beats[1 * 2 + 1]!, 8, 16, true)[0]).toBe(data[(19 * H + 1) * W + 1]);
    expect(unpackCodes(beats[1 * 2 + 1]!, 8, 16, true).slice(1)).toEqual(new Array(15).fill(0));
    const back = unpackBeats(cfg, beats, 17, 4, true);
    for (let c = 0; c < 17; c++) for (let p = 0; p < 4; p++) expect(back[c * 4 + p]).toBe(data[((c + 3) * H + 1) * W + p]);
  });
});
