/**
 * src/hdl/lib helpers: adderTree, muxTree and Struct. A streaming module built from all three (71-bit packed input
 * struct, registered trees stalled by one advance enable, modular 11-bit sum) is linted and simulated in Verilator
 * and Icarus with random valid/ready stalls on random and worst-case inputs against a TypeScript model; the
 * combinational trees are checked in CycleSim; every width mistake is a build-time error.
 */
import { describe, expect, it } from 'vitest';
import { CycleSim, Module, emitVerilog, lit } from '../src/hdl/index.js';
import { wrap } from '../src/hdl/expr.js';
import { Struct, adderTree, axisMaster, axisSlave, muxTree } from '../src/hdl/lib/index.js';
import { moduleDesign } from '../src/sim/design.js';
import { runBoth } from '../src/sim/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import { Rng } from './hdl-util.js';

const TERMS = 7;
const PICKS = 6;
const SUM_W = 11;
const In = new Struct('in', [
  ...Array.from({ length: TERMS }, (_, i) => ({ name: `a${i}`, width: 9, signed: true })),
  { name: 'sel', width: 3 },
  { name: 'tag', width: 5 },
]);
const Out = new Struct('out', [
  { name: 'sum', width: SUM_W, signed: true },
  { name: 'pick', width: 9, signed: true },
  { name: 'tag', width: 5 },
]);

/** s_in (In) -> registered adder tree, mux tree and a tag delay line, all advanced by one enable -> m_out (Out). */
function buildTrees(): Module {
  const m = new Module('lib_trees');
  const i = axisSlave(m, 's_in', In.width);
  const o = axisMaster(m, 'm_out', Out.width);
  const f = In.unpack(i.tdata);
  const L = 3;
  const valid = Array.from({ length: L }, (_, k) => m.reg(`valid${k}_q`, 1));
  const adv = m.let('adv', valid[L - 1]!.not().or(o.tready));
  const terms = Array.from({ length: TERMS }, (_, k) => f[`a${k}`]!);
  const sum = adderTree(m, 'sum', terms, { registered: true, en: adv, width: SUM_W });
  const pick = muxTree(m, 'pick', f.sel!, terms.slice(0, PICKS), { registered: true, en: adv });
  if (sum.latency !== L || pick.latency !== L) throw new Error(`latencies ${sum.latency}, ${pick.latency}`);
  let tag = f.tag!;
  for (let k = 0; k < L; k++) {
    const r = m.reg(`tag${k}_q`, 5, { reset: null });
    const prev = tag;
    m.sync((p) => p.if(adv, () => p.set(r, prev)));
    tag = r;
  }
  m.sync((p) => p.if(adv, () => valid.forEach((v, k) => p.set(v, k === 0 ? i.tvalid : valid[k - 1]!))));
  m.assign(i.tready, adv);
  m.assign(o.tvalid, valid[L - 1]!);
  m.assign(o.tdata, Out.pack({ sum: sum.out, pick: pick.out, tag }));
  return m;
}

type Vec = { a: bigint[]; sel: bigint; tag: bigint };
const model = (v: Vec) => ({
  sum: wrap(v.a.reduce((s, x) => s + x, 0n), SUM_W, true),
  pick: v.a[Math.min(Number(v.sel), PICKS - 1)]!,
  tag: v.tag,
});
const pack = (v: Vec) => In.packValues({ ...Object.fromEntries(v.a.map((x, k) => [`a${k}`, x])), sel: v.sel, tag: v.tag });

function vectors(n: number, seed: number): Vec[] {
  const r = new Rng(seed);
  const out: Vec[] = [];
  for (const x of [-256n, 255n, 0n, -1n]) for (let sel = 0n; sel < 8n; sel++) out.push({ a: Array(TERMS).fill(x), sel, tag: sel });
  for (let k = 0; k < n; k++) out.push({ a: Array.from({ length: TERMS }, () => BigInt(r.int(512) - 256)), sel: BigInt(r.int(8)), tag: BigInt(r.int(32)) });
  return out;
}

describe('adderTree / muxTree / Struct', () => {
  it('a streaming module built from all three is bit-exact under random stalls in Verilator and Icarus, and lints clean', async () => {
    const m = buildTrees();
    await lintVerilog(emitVerilog(m), m.name);
    const vs = vectors(400, 11);
    const expected = vs.map((v) => ({ data: Out.packValues(model(v)) }));
    // the modular sum wraps for some inputs: the 11-bit truncation is exercised
    expect(vs.some((v) => v.a.reduce((s, x) => s + x, 0n) !== model(v).sum)).toBe(true);
    const r = await runBoth(moduleDesign(m), { inputs: { s_in: vs.map((v) => ({ data: pack(v) })) }, expected: { m_out: expected }, validProb: 0.7, readyProb: 0.6, seed: 4 });
    expect(r.outputs.m_out!.length).toBe(vs.length);
  }, 300_000);

  it('combinational trees (exact and modular widths, 1..9 inputs) equal the model in CycleSim', () => {
    const r = new Rng(2);
    for (let n = 1; n <= 9; n++) {
      const m = new Module(`comb_${n}`);
      const xs = Array.from({ length: n }, (_, k) => m.input(`x${k}`, 6, { signed: true }));
      const selW = Math.max(1, Math.ceil(Math.log2(n)));
      const sel = m.input('sel', selW);
      const exact = adderTree(m, 'exact', xs);
      const mod = adderTree(m, 'mod', xs, { width: 7 });
      const pick = muxTree(m, 'pick', sel, xs);
      expect(exact.latency + mod.latency + pick.latency).toBe(0);
      expect(mod.out.width).toBe(7);
      const yExact = m.output('y_exact', exact.out.width, { signed: true });
      const yMod = m.output('y_mod', 7, { signed: true });
      const yPick = m.output('y_pick', 6, { signed: true });
      m.assign(yExact, exact.out);
      m.assign(yMod, mod.out);
      m.assign(yPick, pick.out);
      const sim = new CycleSim(m);
      for (let t = 0; t < 50; t++) {
        const v = xs.map(() => BigInt(r.int(64) - 32));
        v.forEach((x, k) => sim.poke(xs[k]!, x));
        const s = r.int(1 << selW);
        sim.poke(sel, s);
        const total = v.reduce((a, x) => a + x, 0n);
        expect(sim.peek(yExact)).toBe(total);
        expect(sim.peek(yMod)).toBe(wrap(total, 7, true));
        expect(sim.peek(yPick)).toBe(v[Math.min(s, n - 1)]);
      }
    }
  });

  it('Struct: offsets LSB first, packValues/unpackValues round trip with signed fields', () => {
    expect(In.width).toBe(7 * 9 + 3 + 5);
    expect(In.field('sel').offset).toBe(63);
    expect(In.field('tag')).toEqual({ name: 'tag', width: 5, signed: false, offset: 66 });
    const v = { sum: -1024n, pick: 255n, tag: 17n };
    const w = Out.packValues(v);
    expect(w).toBe((1024n) | (255n << 11n) | (17n << 20n));
    expect(Out.unpackValues(w)).toEqual(v);
  });

  it('width mistakes are build-time errors naming the struct, tree and field', () => {
    const m = new Module('bad');
    const a = m.input('a', 8);
    const s = m.input('s', 8, { signed: true });
    expect(() => In.pack({ ...Object.fromEntries(Array.from({ length: 7 }, (_, k) => [`a${k}`, lit(0, 9, true)])), sel: a, tag: 0 })).toThrow(/^struct in\.sel: is 3 bits but the value is 8 bits/);
    expect(() => Out.pack({ sum: 0, pick: 0 })).toThrow(/^struct out: pack misses field tag$/);
    expect(() => Out.pack({ sum: 0, pick: 0, tag: 0, extra: 1 })).toThrow(/no field 'extra'/);
    expect(() => Out.pack({ sum: 2000, pick: 0, tag: 0 })).toThrow(/^struct out\.sum: constant 2000 does not fit 11 signed bits/);
    expect(() => Out.unpack(a)).toThrow(/^struct out: unpack of a 8-bit value; the struct is 25 bits$/);
    expect(() => Out.packValues({ sum: 0, pick: 256, tag: 0 })).toThrow(/^struct out\.pick: 256 outside -256\.\.255$/);
    expect(() => new Struct('d', [{ name: 'x', width: 1 }, { name: 'x', width: 2 }])).toThrow(/field 'x' declared twice/);
    expect(() => adderTree(m, 't', [a, s])).toThrow(/^module bad: adderTree 't': input 1 is signed but input 0 is not/);
    expect(() => adderTree(m, 't', [])).toThrow(/needs at least one input/);
    expect(() => adderTree(m, 't', [a], { en: a.bit(0) })).toThrow(/en is only meaningful with registered: true/);
    expect(() => muxTree(m, 'p', a.slice(1, 0), [a, a, a, a, a])).toThrow(/^module bad: muxTree 'p': sel is 2 bits but 5 inputs need 3$/);
    expect(() => muxTree(m, 'p', a.slice(1, 0), [a, a, a, a.slice(6, 0)])).toThrow(/input 3 is 7 bits but input 0 is 8/);
    expect(() => muxTree(m, 'p', s.slice(1, 0).asSigned(), [a, a, a, a])).toThrow(/sel must be unsigned/);
  });
});
