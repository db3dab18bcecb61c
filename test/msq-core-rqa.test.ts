/**
 * MSQ core requantizer + fused residual add (src/msq/core/rqa.ts) against conventions.requantize / addRequantize:
 * random and worst-case items (acc at its bounds, bias ±2^31, M = 2^31-1 / 1 / 0, S = 1 and 62, lo / hi extremes,
 * residual extremes signed and unsigned, res_en on and off), explicit invalid items with garbage data and the
 * harness's random valid gaps. Verilator through src/sim; a test wrapper feeds a free-running cycle counter as the
 * tag, so every result's latency (out cycle - tag) is checked along with its value and order.
 */
import { describe, expect, it } from 'vitest';
import { cat, emitVerilog, type Operand } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import type { SimDesign } from '../src/sim/index.js';
import { addRequantize, requantize } from '../src/msq/conventions.js';
import { accBits, smallCoreConfig, type CoreConfig } from '../src/msq/core/config.js';
import { coreRqa, coreRqaDsps, coreRqaLatency, RQA_DSPS } from '../src/msq/core/rqa.js';
import { mulberry32 } from '../src/util/random.js';
import { synthesize } from '../src/synth/index.js';
import { packFields, runUnit, unitWrapper } from './support/unit-wrapper.js';

interface Item {
  valid: boolean;
  acc: number;
  bias: number;
  mul: number;
  shift: number;
  lo: number;
  hi: number;
  resEn: boolean;
  /** raw A-bit lane */
  res: number;
  resSigned: boolean;
  ma: number;
  mb: number;
  addShift: number;
  addLo: number;
  addHi: number;
}

const TAG = 16;
const SIGNED: (keyof Item)[] = ['acc', 'bias', 'lo', 'hi', 'addLo', 'addHi'];

function fields(cfg: CoreConfig): [keyof Item, number][] {
  return [
    ['acc', accBits(cfg)], ['bias', 32], ['mul', 31], ['shift', 6], ['lo', 16], ['hi', 16], ['resEn', 1], ['res', cfg.A],
    ['resSigned', 1], ['ma', 31], ['mb', 31], ['addShift', 6], ['addLo', 16], ['addHi', 16], ['valid', 1],
  ];
}

const portOf: Record<string, string> = {
  resEn: 'res_en', resSigned: 'res_signed', addShift: 'add_shift', addLo: 'add_lo', addHi: 'add_hi',
};

function wrapper(cfg: CoreConfig): SimDesign {
  const tag = `a${cfg.A}b${accBits(cfg)}`;
  const core = coreRqa(cfg, `core_rqa_${tag}`, TAG);
  const fs = fields(cfg);
  const inW = fs.reduce((s, [, w]) => s + w, 0);
  return unitWrapper(`tb_rqa_${tag}`, 'test wrapper of coreRqa: one item per stream beat, cycle counter as tag', inW, TAG + cfg.A, ({ t, step, valid }) => {
    const cyc = t.reg('cycle_q', TAG, { reset: 0 });
    t.sync((p) => p.set(cyc, cyc.add(1).trunc(TAG)));
    const conns: Record<string, Operand> = {};
    let at = 0;
    for (const [f, w] of fs) {
      const v = step.slice(at + w - 1, at);
      at += w;
      if (f === 'valid') conns.in_valid = valid.and(v);
      else conns[portOf[f] ?? f] = SIGNED.includes(f) ? v.asSigned() : v;
    }
    const y = t.wire('y', cfg.A);
    const tagOut = t.wire('tag_out', TAG);
    const outValid = t.wire('out_valid', 1);
    t.instance(core, 'u_rqa', { ...conns, tag_in: cyc, y, tag_out: tagOut, out_valid: outValid });
    return { data: cat(tagOut, y), valid: outValid };
  });
}

/** An item's fields packed LSB first (a value that does not fit its field is a mistake of the test). */
function pack(cfg: CoreConfig, it: Item): bigint {
  return packFields(fields(cfg).map(([f, w]) => {
    const x = it[f];
    const n = typeof x === 'boolean' ? (x ? 1n : 0n) : BigInt(x);
    const lim = 1n << BigInt(SIGNED.includes(f) ? w - 1 : w);
    if (n >= lim || n < (SIGNED.includes(f) ? -lim : 0n)) throw new Error(`test item field ${f} = ${n} does not fit ${w} bits`);
    return [n, w] as const;
  }));
}

/** The golden result's low A bits (unsigned). */
function golden(cfg: CoreConfig, it: Item): number {
  const y = requantize(it.acc + it.bias, it.mul, it.shift, it.lo, it.hi);
  const r = it.resSigned && it.res >= 2 ** (cfg.A - 1) ? it.res - 2 ** cfg.A : it.res;
  const z = it.resEn ? addRequantize(y, it.ma, r, it.mb, it.addShift, it.addLo, it.addHi) : y;
  return ((z % 2 ** cfg.A) + 2 ** cfg.A) % 2 ** cfg.A;
}

function items(cfg: CoreConfig, seed: number, n: number): Item[] {
  const r = mulberry32(seed);
  const ri = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[ri(0, xs.length - 1)]!;
  const AB = accBits(cfg);
  const accMax = 2 ** (AB - 1) - 1;
  const accMin = -(2 ** (AB - 1));
  const uMax = Math.min(2 ** cfg.A - 1, 32767); // lo / hi are 16-bit signed
  const out: Item[] = [];
  for (let i = 0; i < n; i++) {
    const worst = r() < 0.4;
    const shift = worst ? pick([1, 2, 62, 31, 40]) : ri(1, 62);
    // mostly shifts that keep results in range, so the clamp is not the only thing seen
    const mulv = worst ? pick([2 ** 31 - 1, 1, 0, 2 ** 30]) : ri(0, 2 ** 31 - 1);
    const lo = worst ? pick([-32768, 0, -(2 ** (cfg.A - 1)), ri(-32768, 32767)]) : ri(-(2 ** (cfg.A - 1)), 0);
    const hi = worst ? pick([32767, 0, uMax, ri(-32768, 32767)]) : ri(0, 2 ** (cfg.A - 1) - 1);
    const acc = worst ? pick([accMax, accMin, 0, -1, 1]) : r() < 0.5 ? ri(Math.max(accMin, -(2 ** 20)), Math.min(accMax, 2 ** 20)) : ri(accMin, accMax);
    const bias = worst ? pick([2 ** 31 - 1, -(2 ** 31), 0]) : ri(-(2 ** 31), 2 ** 31 - 1);
    const it: Item = {
      valid: r() > 0.08,
      acc,
      bias,
      mul: mulv,
      shift: worst ? shift : Math.min(62, Math.max(1, 31 + Math.round(Math.log2(Math.max(1, Math.abs(acc + bias)))) - ri(0, 10))),
      lo,
      hi,
      resEn: r() < 0.6,
      res: worst ? pick([0, 2 ** cfg.A - 1, 2 ** (cfg.A - 1), 2 ** (cfg.A - 1) - 1]) : ri(0, 2 ** cfg.A - 1),
      resSigned: r() < 0.5,
      ma: worst ? pick([2 ** 31 - 1, 1, 0]) : ri(0, 2 ** 31 - 1),
      mb: worst ? pick([2 ** 31 - 1, 1, 0]) : ri(0, 2 ** 31 - 1),
      addShift: worst ? pick([1, 62, 31]) : ri(28, 40),
      addLo: worst ? pick([-32768, 0, ri(-32768, 32767)]) : ri(-(2 ** (cfg.A - 1)), 0),
      addHi: worst ? pick([32767, 0, ri(-32768, 32767)]) : ri(0, uMax),
    };
    out.push(it);
  }
  return out;
}

async function check(cfg: CoreConfig, seed: number, n: number, validProb: number, both = false): Promise<void> {
  const design = wrapper(cfg);
  const its = items(cfg, seed, n);
  const want = its.filter((x) => x.valid).map((x) => golden(cfg, x));
  // the golden values are not all clamped: the test sees the rounding path, not just the bounds
  const A = cfg.A;
  const inner = its.filter((x) => x.valid).filter((x, i) => {
    const y = want[i]!;
    return x.resEn ? y !== ((x.addLo % 2 ** A) + 2 ** A) % 2 ** A && y !== ((x.addHi % 2 ** A) + 2 ** A) % 2 ** A : true;
  });
  expect(inner.length).toBeGreaterThan(n / 4);
  const opts = {
    inputs: { s: its.map((x) => ({ data: pack(cfg, x) })) },
    expect: { o: want.length },
    seed,
    validProb: { s: validProb },
  };
  const res = await runUnit(design, opts, both);
  expect(res.consumed.s).toBe(its.length);
  const got = res.outputs.o!;
  const lat = coreRqaLatency(cfg);
  got.forEach((b, i) => {
    const y = Number(b.data & ((1n << BigInt(A)) - 1n));
    const tag = Number(b.data >> BigInt(A));
    expect({ i, y, latency: (b.cycle - tag + 2 ** TAG) % 2 ** TAG }).toEqual({ i, y: want[i], latency: lat });
  });
}

const configs: CoreConfig[] = [
  smallCoreConfig(), // accBits 29: x = acc + bias in two pieces
  smallCoreConfig({ N: 8, A: 16, WF: 16, kMax: 524280 }), // accBits 51: three pieces, 16-bit lanes
  smallCoreConfig({ N: 24, A: 4, WF: 4, m: 3, kMax: 96, cDepth: 48 }), // 4-bit lanes, narrow accumulator
];

describe('MSQ core requantizer + residual add (coreRqa) vs conventions', () => {
  it('lint clean for each configuration; DSP count and latency', async () => {
    for (const cfg of configs) {
      const m = coreRqa(cfg, 'rqa_lint', 5);
      await lintVerilog(emitVerilog(m), 'rqa_lint');
    }
    await lintVerilog(emitVerilog(coreRqa(configs[0]!, 'rqa_notag', 0)), 'rqa_notag');
    expect(coreRqaDsps(configs[0]!)).toBe(RQA_DSPS);
    expect(coreRqaDsps(configs[1]!)).toBe(10);
    const v = [...emitVerilog(coreRqa(configs[0]!, 'rqa_x', 4)).values()][0]!;
    expect(v.match(/use_dsp = "yes"/g)).toHaveLength(RQA_DSPS);
    expect(coreRqaLatency(configs[0]!)).toBe(18);
  }, 120_000);

  it(`synthesis (yosys synth_xilinx, estimate): one unit uses RQA_DSPS = ${RQA_DSPS} DSP48E1`, async () => {
    const m = coreRqa(configs[0]!, 'core_rqa_synth', 4);
    const r = await synthesize({ files: emitVerilog(m), top: m.name, cache: true });
    expect(r.resources.dsp48e1).toBe(RQA_DSPS);
  }, 240_000);

  it('Icarus agrees with Verilator (A 8, 600 items)', async () => {
    await check(configs[0]!, 21, 600, 0.8, true);
  }, 180_000);

  configs.forEach((cfg, i) => {
    it(`bit-exact, fixed latency, in order: A ${cfg.A}, accBits ${accBits(cfg)}`, async () => {
      await check(cfg, 7 + i, 4000, i === 1 ? 1 : 0.7);
    }, 180_000);
  });
});
