/**
 * MSQ core GEMM lanes (src/msq/core/lanes.ts) against the golden arithmetic (conventions.weightValue dot products):
 * random and worst-case activations (0, max, signed min/max, both act_signed), random and extreme codes (fixed full
 * range incl. -2^(WF-1), every SP2 code), random pass lengths incl. 1 and one kMax-long pass, explicit bubbles with
 * garbage data inside passes plus the harness's random valid gaps, back-to-back passes. dspPack 1 and 2, odd Pf,
 * N not a power of two. sp2ActBits < A: SP2 lanes take the low sp2ActBits bits of each activation (sign-extended when
 * act_signed): 'fit' passes (activations within sp2ActBits, signed or not) expect plain dot products on every lane,
 * 'wide' passes (full A-bit range, the fixed lanes' worst case) expect the SP2 lanes to truncate exactly as the
 * contract says (docs/msq-core.md "Semantics") — the negative control. Verilator through src/sim: a test wrapper turns the stream into steps and reports every
 * cycle (input last-step strobe, acc_valid, acc), so the latency, the one-cycle pulse and the hold are checked too.
 */
import { describe, expect, it } from 'vitest';
import { cat, emitVerilog, type Operand } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import type { Beat, SimDesign } from '../src/sim/index.js';
import { weightValue } from '../src/msq/conventions.js';
import { accBits, checkCoreConfig, lanes, smallCoreConfig, sp2ActBitsOf, type CoreConfig } from '../src/msq/core/config.js';
import { coreLaneLatency, coreLaneMultipliers, coreLanes } from '../src/msq/core/lanes.js';
import { synthesize } from '../src/synth/index.js';
import { mulberry32 } from '../src/util/random.js';
import { packFields, runUnit, unitWrapper } from './support/unit-wrapper.js';

interface Step {
  valid: boolean;
  first: boolean;
  last: boolean;
  actSigned: boolean;
  /** raw A-bit lane codes */
  act: number[];
  /** fixed codes [lane][n], signed values */
  fw: number[][];
  /** SP2 codes [lane][n], m-bit patterns */
  sw: number[][];
}

function tag(cfg: CoreConfig): string {
  const b = sp2ActBitsOf(cfg) < cfg.A ? `b${sp2ActBitsOf(cfg)}` : '';
  return `n${cfg.N}a${cfg.A}f${cfg.Pf}s${cfg.Ps}p${cfg.dspPack}w${cfg.WF}m${cfg.m}${b}`;
}

/** Wrapper: stream s = {last, first, step_valid, act_signed, sw, fw, act} (act least significant); o every cycle. */
function wrapper(cfg: CoreConfig): { design: SimDesign; inW: number; outW: number } {
  const { N, A, WF, m, Pf, Ps } = cfg;
  const core = coreLanes(cfg, `core_lanes_${tag(cfg)}`);
  const L = lanes(cfg);
  const AB = accBits(cfg);
  const wa = N * A;
  const wf = Pf * N * WF;
  const ws = Ps * N * m;
  const inW = wa + wf + ws + 4;
  const outW = L * AB + 2;
  const design = unitWrapper(`tb_lanes_${tag(cfg)}`, 'test wrapper of coreLanes: one step per stream beat, a trace word per cycle', inW, outW, ({ t, step, valid }) => {
    const flag = (i: number) => step.bit(wa + wf + ws + i);
    const inValid = t.let('in_valid', valid.and(flag(1)));
    const inLast = t.let('in_last', flag(3));
    const accValid = t.wire('acc_valid', 1);
    const acc = t.wire('acc', L * AB);
    const conns: Record<string, Operand> = {
      act: step.slice(wa - 1, 0),
      act_signed: flag(0),
      in_valid: inValid,
      in_first: flag(2),
      in_last: inLast,
      acc_valid: accValid,
      acc,
    };
    if (Pf > 0) conns.fw = step.slice(wa + wf - 1, wa);
    if (Ps > 0) conns.sw = step.slice(wa + wf + ws - 1, wa + wf);
    t.instance(core, 'u_lanes', conns);
    return { data: cat(acc, accValid, inValid.and(inLast)) };
  });
  return { design, inW, outW };
}

function pack(cfg: CoreConfig, s: Step): bigint {
  const { A, WF, m } = cfg;
  return packFields([
    ...s.act.map((a) => [a, A] as const),
    ...s.fw.flatMap((lane) => lane.map((c) => [c, WF] as const)),
    ...s.sw.flatMap((lane) => lane.map((c) => [c, m] as const)),
    [s.actSigned, 1], [s.valid, 1], [s.first, 1], [s.last, 1],
  ]);
}

/** Value of the low `bits` bits of a raw lane code: two's complement when signed. */
function actValue(raw: number, bits: number, signed: boolean): number {
  const x = raw % 2 ** bits;
  return signed && x >= 2 ** (bits - 1) ? x - 2 ** bits : x;
}

/**
 * The pass's expected sum per lane: fixed lanes then SP2 lanes, weightValue as the multiplier, every lane on the
 * A-bit activation values; with `sp2Truncate` the SP2 lanes on the low sp2ActBits bits instead (the contract for
 * activations that do not fit).
 */
function golden(cfg: CoreConfig, steps: Step[], sp2Truncate = false): bigint[] {
  const out: bigint[] = new Array(lanes(cfg)).fill(0n);
  const sb = sp2Truncate ? sp2ActBitsOf(cfg) : cfg.A;
  for (const s of steps) {
    const a = s.act.map((x) => actValue(x, cfg.A, s.actSigned));
    const as = s.act.map((x) => actValue(x, sb, s.actSigned));
    for (let l = 0; l < cfg.Pf; l++) {
      for (let n = 0; n < cfg.N; n++) out[l] = out[l]! + BigInt(a[n]! * weightValue('fixed', cfg.WF, s.fw[l]![n]!));
    }
    for (let l = 0; l < cfg.Ps; l++) {
      for (let n = 0; n < cfg.N; n++) out[cfg.Pf + l] = out[cfg.Pf + l]! + BigInt(as[n]! * weightValue('sp2', cfg.m, s.sw[l]![n]!));
    }
  }
  return out;
}

type Mode = 'random' | 'max' | 'min' | 'zero' | 'extreme';

interface Pass {
  steps: Step[];
  /** activations over the full A-bit range although sp2ActBits < A (SP2 lanes truncate) */
  wide: boolean;
}

/**
 * Random passes with worst cases and bubbles; returns the beats and each pass's steps. With sp2ActBits < A, pass 1
 * (the kMax-long worst case) and about a third of the others are 'wide', the rest 'fit' (activations within
 * sp2ActBits bits, signed or not).
 */
function stimulus(cfg: CoreConfig, seed: number, nPasses: number): { steps: Step[]; passes: Pass[] } {
  const r = mulberry32(seed);
  const { N, A, WF, m, Pf, Ps } = cfg;
  const ri = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const fMin = -(2 ** (WF - 1));
  const fMax = 2 ** (WF - 1) - 1;
  let sp2Next = 0; // walks every SP2 code
  const steps: Step[] = [];
  const passes: Pass[] = [];
  const narrow = sp2ActBitsOf(cfg) < A;
  const bubble = (): Step => ({
    valid: false,
    first: r() < 0.5,
    last: r() < 0.5,
    actSigned: r() < 0.5,
    act: Array.from({ length: N }, () => ri(0, 2 ** A - 1)),
    fw: Array.from({ length: Pf }, () => Array.from({ length: N }, () => ri(fMin, fMax))),
    sw: Array.from({ length: Ps }, () => Array.from({ length: N }, () => ri(0, 2 ** m - 1))),
  });
  for (let p = 0; p < nPasses; p++) {
    const u = r();
    // pass 1: the longest pass (kMax / N steps) at the worst-case corner; others mostly short, some length 1
    const len = p === 1 ? cfg.kMax / N : u < 0.2 ? 1 : u < 0.9 ? ri(2, 8) : ri(9, 40);
    const actSigned = p === 1 ? false : r() < 0.5;
    const modes: Mode[] = ['random', 'random', 'max', 'min', 'zero', 'extreme'];
    const aMode: Mode = p === 1 ? 'max' : modes[ri(0, modes.length - 1)]!;
    const wMode: Mode = p === 1 ? 'min' : modes[ri(0, modes.length - 1)]!;
    const wide = narrow && (p === 1 || r() < 0.35);
    const ab = narrow && !wide ? sp2ActBitsOf(cfg) : A; // activation range of this pass
    const actVal = (): number => {
      const lo = actSigned ? -(2 ** (ab - 1)) : 0;
      const hi = actSigned ? 2 ** (ab - 1) - 1 : 2 ** ab - 1;
      const v = aMode === 'max' ? hi : aMode === 'min' ? lo : aMode === 'zero' ? 0 : aMode === 'extreme' ? [lo, hi, 0][ri(0, 2)]! : ri(lo, hi);
      return v < 0 ? v + 2 ** A : v;
    };
    const fixedVal = (): number =>
      wMode === 'max' ? fMax : wMode === 'min' ? fMin : wMode === 'zero' ? 0 : wMode === 'extreme' ? [fMin, fMax, -fMax][ri(0, 2)]! : ri(fMin, fMax);
    const sp2Val = (): number => {
      if (wMode === 'random' || wMode === 'extreme') return ri(0, 2 ** m - 1);
      if (wMode === 'zero') return 0;
      // largest magnitude: e1 = e2 = 1 (2^(P-1) + 2^(P-1)), negative for 'min'
      if (wMode === 'max' || wMode === 'min') {
        const m2 = Math.floor((m - 1) / 2);
        return ((wMode === 'min' ? 1 : 0) << (m - 1)) | (1 << m2) | 1;
      }
      return 0;
    };
    const pass: Step[] = [];
    for (let i = 0; i < len; i++) {
      while (r() < 0.12) steps.push(bubble());
      const s: Step = {
        valid: true,
        first: i === 0,
        last: i === len - 1,
        actSigned,
        act: Array.from({ length: N }, actVal),
        fw: Array.from({ length: Pf }, () => Array.from({ length: N }, fixedVal)),
        sw: Array.from({ length: Ps }, () =>
          Array.from({ length: N }, () => (wMode === 'random' && r() < 0.5 ? sp2Next++ % 2 ** m : sp2Val())),
        ),
      };
      steps.push(s);
      pass.push(s);
    }
    passes.push({ steps: pass, wide });
    if (r() < 0.3) steps.push(bubble());
  }
  return { steps, passes };
}

async function check(cfg: CoreConfig, seed: number, nPasses: number, validProb: number, both = false): Promise<void> {
  const { design, outW } = wrapper(cfg);
  const { steps, passes } = stimulus(cfg, seed, nPasses);
  const lat = coreLaneLatency(cfg);
  const cycles = Math.ceil(steps.length / validProb * 1.2) + 200;
  const inputs: Record<string, Beat[]> = { s: steps.map((s) => ({ data: pack(cfg, s) })) };
  const opts = { inputs, expect: { o: cycles }, seed, validProb: { s: validProb }, maxCycles: cycles + 100, drainCycles: 0 };
  const res = await runUnit(design, opts, both);
  expect(res.consumed.s).toBe(steps.length);
  const L = lanes(cfg);
  const AB = accBits(cfg);
  const trace = res.outputs.o!;
  expect(trace).toHaveLength(cycles);
  const fire: number[] = [];
  const pulse: number[] = [];
  trace.forEach((b, i) => {
    expect(b.cycle).toBe(i);
    expect(b.data >> BigInt(outW)).toBe(0n);
    if (b.data & 1n) fire.push(i);
    if (b.data & 2n) pulse.push(i);
  });
  expect(fire).toHaveLength(passes.length);
  expect(fire[fire.length - 1]! + lat).toBeLessThan(cycles);
  // acc_valid: one pulse per pass, exactly `lat` cycles after the pass's last step
  expect(pulse).toEqual(fire.map((c) => c + lat));
  const lanesOf = (d: bigint): bigint[] =>
    Array.from({ length: L }, (_, j) => BigInt.asIntN(AB, (d >> BigInt(2 + j * AB)) & ((1n << BigInt(AB)) - 1n)));
  let truncated = 0; // wide passes whose SP2 sums the truncation changes
  passes.forEach(({ steps: pass, wide }, p) => {
    const want = golden(cfg, pass, wide);
    if (wide && golden(cfg, pass).some((v, j) => v !== want[j])) truncated++;
    const at = pulse[p]!;
    expect({ pass: p, len: pass.length, wide, acc: lanesOf(trace[at]!.data) }).toEqual({ pass: p, len: pass.length, wide, acc: want });
    // held until the next pulse
    const end = p + 1 < pulse.length ? pulse[p + 1]! : cycles;
    for (let c = at + 1; c < end; c++) expect(trace[c]!.data >> 2n).toBe(trace[at]!.data >> 2n);
  });
  // the negative control must bite: with sp2ActBits < A and SP2 lanes, some wide passes differ from the A-bit sums
  if (sp2ActBitsOf(cfg) < cfg.A && cfg.Ps > 0) expect(truncated).toBeGreaterThan(passes.length / 10);
}

const configs: CoreConfig[] = [
  smallCoreConfig(), // N 16, Pf 2, Ps 3, dspPack 1
  smallCoreConfig({ Pf: 3, Ps: 2, dspPack: 2 }), // a packed pair + an odd unpacked fixed lane
  smallCoreConfig({ N: 12, Pf: 2, Ps: 1, dspPack: 2, WF: 5, m: 7, kMax: 600, cDepth: 48 }), // N not a power of 2
  smallCoreConfig({ N: 8, A: 12, Pf: 1, Ps: 2, dspPack: 2, WF: 6, m: 3, kMax: 400 }), // lone fixed lane with dspPack 2
  smallCoreConfig({ Pf: 3, Ps: 2, dspPack: 2, sp2ActBits: 4 }), // SP2 lanes on 4 of 8 activation bits
  smallCoreConfig({ A: 6, WF: 6, m: 5, Pf: 1, Ps: 3, sp2ActBits: 3 }), // 3 of 6 bits, N * A = 96
];

describe('MSQ core lanes (coreLanes) vs golden dot products', () => {
  it('lint clean (verilator -Wall, iverilog) for every test configuration, a larger one, Pf = 0 and Ps = 0', async () => {
    const extra = [
      smallCoreConfig({ Pf: 7, Ps: 9, dspPack: 2 }),
      smallCoreConfig({ Pf: 0, Ps: 2, Rq: 1 }), // no fw port
      smallCoreConfig({ Pf: 2, Ps: 0, Rq: 1, dspPack: 2 }), // no sw port
      smallCoreConfig({ Pf: 0, Ps: 2, Rq: 1, sp2ActBits: 4 }), // act bits 4..7 of every lane unused
      smallCoreConfig({ Pf: 2, Ps: 0, Rq: 1, sp2ActBits: 2 }), // sp2ActBits without SP2 lanes
    ];
    for (const cfg of [...configs, ...extra]) {
      const name = `core_lanes_${tag(cfg)}`;
      await lintVerilog(emitVerilog(coreLanes(cfg, name)), name);
    }
  }, 120_000);

  it('deterministic Verilog; latency = 4 + ceil(log2 N)', () => {
    const a = emitVerilog(coreLanes(configs[1]!, 'x'));
    const b = emitVerilog(coreLanes(configs[1]!, 'x'));
    expect([...a.values()]).toEqual([...b.values()]);
    expect(coreLaneLatency(smallCoreConfig())).toBe(8);
    expect(coreLaneLatency(configs[2]!)).toBe(8);
    expect(coreLaneLatency(configs[3]!)).toBe(7);
  });

  it('synthesis (yosys synth_xilinx, estimate): DSP48E1 = N per fixed lane or packed pair, none for SP2 lanes', async () => {
    // 3 fixed lanes packed (one pair + one odd lane) and one SP2 lane: 2 * N DSP48E1
    const cfg = smallCoreConfig({ N: 12, Pf: 3, Ps: 1, dspPack: 2, cDepth: 48, kMax: 1152 });
    const m = coreLanes(cfg, 'core_lanes_synth');
    const r = await synthesize({ files: emitVerilog(m), top: m.name, cache: true });
    expect(coreLaneMultipliers(cfg)).toBe(24);
    expect(r.resources.dsp48e1).toBe(coreLaneMultipliers(cfg));
  }, 240_000);

  it('sp2ActBits: 2..A (one-line error naming core.sp2ActBits), default A, narrower SP2 lanes only', () => {
    for (const bad of [1, 9, 3.5, 0]) {
      expect(() => checkCoreConfig(smallCoreConfig({ sp2ActBits: bad }))).toThrow(/^core\.sp2ActBits: must be an integer in 2\.\.8, got /);
    }
    expect(sp2ActBitsOf(smallCoreConfig())).toBe(8);
    expect(sp2ActBitsOf(smallCoreConfig({ sp2ActBits: 2 }))).toBe(2);
    // sp2ActBits = A is the default: the same Verilog as without it
    const text = (cfg: CoreConfig): string => [...emitVerilog(coreLanes(cfg, 'x')).values()].join('');
    expect(text(smallCoreConfig({ sp2ActBits: 8 }))).toBe(text(smallCoreConfig()));
    // declared widths: SP2 ±a is sp2ActBits+1 bits, t1 sp2ActBits+P, the tree grows one bit per level from there;
    // fixed lanes and the accumulators keep A+1 bits and accBits
    const decl = (v: string, name: string): number => {
      const m = new RegExp(`reg\\s+signed \\[(\\d+):0\\] ${name};`).exec(v);
      expect(m, name).not.toBeNull();
      return Number(m![1]) + 1;
    };
    const cfg = smallCoreConfig({ sp2ActBits: 4 }); // m = 4: P = 2
    const narrow = text(cfg);
    const full = text(smallCoreConfig());
    expect([narrow, full].map((v) => ['sp0_an0_q', 'sp0_t1_0_q', 'sp0_p0_q', 'sp0_sum_l4_0_q'].map((n) => decl(v, n)))).toEqual([
      [5, 7, 8, 12],
      [9, 11, 12, 16],
    ]);
    for (const n of ['fx0_a0_q', 'fx0_m0_q', 'sp0_acc_q']) expect(decl(narrow, n)).toBe(decl(full, n));
    expect(decl(narrow, 'sp0_acc_q')).toBe(accBits(cfg));
  });

  it('refuses a packed pair that cannot fit one DSP48E1, naming the field', () => {
    expect(() => coreLanes(smallCoreConfig({ A: 12, N: 8, WF: 8, dspPack: 2 }), 'x')).toThrow(/core\.dspPack: .*A \+ 2\*WF \+ 1 <= 25/);
  });

  it('Icarus agrees with Verilator (packed pair + odd lane, 40 passes)', async () => {
    await check(configs[1]!, 300, 40, 0.8, true);
  }, 240_000);

  configs.forEach((cfg, i) => {
    it(`bit-exact, pulse and hold: ${tag(cfg)}`, async () => {
      await check(cfg, 100 + i, 160, i % 2 === 0 ? 0.75 : 0.9);
    }, 240_000);
  });
});
