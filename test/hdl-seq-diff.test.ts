/**
 * Differential test of sequential semantics: a random module of registers (with and without reset), sync processes
 * with if/elif/else and switch, and a RAM (read-before-write), driven by random inputs and reset pulses. Icarus and
 * Verilator must match the builder's CycleSim cycle by cycle. The module must also lint clean.
 */
import { describe, expect, it } from 'vitest';
import { Module, CycleSim, emitVerilog, type Signal, type Expr } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import { wrap } from '../src/hdl/expr.js';
import { Rng, genExpr, simulate, type Simulator } from './hdl-util.js';

function fitTo(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e;
}

function build(seed: number): { m: Module; inputs: Signal[]; outputs: Signal[] } {
  const r = new Rng(seed);
  const m = new Module(`seq_diff_${seed}`, { doc: 'sequential differential test', config: { seed } });
  const inputs = [
    m.input('i0', 8), m.input('i1', 8, { signed: true }), m.input('sel', 3), m.input('we', 1), m.input('i4', 12, { signed: true }),
  ];
  for (const i of inputs) i.markUnused();
  const regs: Signal[] = [];
  for (let k = 0; k < 6; k++) {
    const w = 1 + r.int(20);
    const signed = r.chance(0.5);
    const reset = k === 5 ? null : wrap(r.bits(w), w, signed);
    regs.push(m.reg(`r${k}`, w, { signed, reset }).markUnused());
  }
  const ram = m.ram('mem', { width: 8, depth: 8, init: Array.from({ length: 8 }, (_, i) => i * 17) });
  const rd = ram.read(regs[0]!.resize(Math.max(3, regs[0]!.width)).asUnsigned().slice(2, 0));
  rd.markUnused();
  const pool = [...inputs, ...regs, rd];
  ram.write(inputs[3]!, inputs[2]!, fitTo(genExpr(r, pool, 2).asUnsigned(), 8));

  const setRandom = (p: { set(t: Signal, v: Expr | number): void }, t: Signal): void => {
    const e = genExpr(r, pool, 1 + r.int(3));
    p.set(t, fitTo(e, t.width));
  };
  const cond = (): Expr => genExpr(r, pool, 1).reduceOr().xor(inputs[3]!);
  m.sync((p) => {
    p.set(regs[5]!, fitTo(genExpr(r, inputs, 2), regs[5]!.width)); // no reset: set unconditionally from inputs
    p.if(cond(), () => {
      setRandom(p, regs[0]!);
      setRandom(p, regs[1]!);
    }).elif(cond(), () => setRandom(p, regs[2]!)).else(() => {
      setRandom(p, regs[1]!);
      p.set(regs[3]!, regs[3]!.add(1).trunc(regs[3]!.width));
    });
  });
  m.sync((p) => {
    p.switch(inputs[2]!, {
      0: () => setRandom(p, regs[4]!),
      2: () => { setRandom(p, regs[4]!); p.set(regs[4]!, regs[4]!.xor(1)); },
      5: () => p.if(cond(), () => setRandom(p, regs[4]!)),
      default: () => {},
    });
  });
  const outputs: Signal[] = [];
  for (const s of [...regs, rd]) {
    const o = m.output(`o_${s.name}`, s.width, { signed: s.signed });
    m.assign(o, s);
    outputs.push(o);
  }
  return { m, inputs, outputs };
}

function testbench(m: Module, inputs: Signal[], outputs: Signal[], n: number): string {
  const L: string[] = ['`timescale 1ns/1ps', '`default_nettype none', 'module tb;', '  reg clk = 1\'b0;', '  reg rst;', `  reg v_rst [0:${n - 1}];`];
  for (const s of inputs) L.push(`  reg [${s.width - 1}:0] ${s.name};`, `  reg [${s.width - 1}:0] v_${s.name} [0:${n - 1}];`);
  for (const o of outputs) L.push(`  wire [${o.width - 1}:0] ${o.name};`);
  const conns = ['clk', 'rst', ...inputs.map((s) => s.name), ...outputs.map((o) => o.name)].map((x) => `.${x}(${x})`).join(', ');
  L.push(`  ${m.name} dut (${conns});`, '  always #5 clk = ~clk;', '  integer i, fo;', '  initial begin', '    $readmemh("rst.hex", v_rst);');
  for (const s of inputs) L.push(`    $readmemh("${s.name}.hex", v_${s.name});`);
  L.push('    fo = $fopen("out.txt", "w");', `    for (i = 0; i < ${n}; i = i + 1) begin`, '      rst = v_rst[i];');
  for (const s of inputs) L.push(`      ${s.name} = v_${s.name}[i];`);
  L.push('      #1;', `      $fdisplay(fo, "${outputs.map(() => '%h').join(' ')}", ${outputs.map((o) => o.name).join(', ')});`);
  L.push('      @(posedge clk);', '      #1;', '    end', '    $fclose(fo);', '    $finish;', '  end', 'endmodule', '`default_nettype wire', '');
  return L.join('\n');
}

describe('hdl: sequential semantics (regs, reset, if/switch, RAM) match CycleSim', () => {
  const seeds = [11, 12, 13];
  const n = 1500;
  for (const seed of seeds) {
    it(`seed ${seed}: lints clean`, async () => {
      const { m } = build(seed);
      await lintVerilog(emitVerilog(m), m.name, { allow: ['UNSIGNED', 'CMPCONST'] });
    });
  }

  for (const sim of ['icarus', 'verilator'] as Simulator[]) {
    // Verilator builds are slow here: one seed; Icarus all seeds
    for (const seed of sim === 'verilator' ? seeds.slice(0, 1) : seeds) {
      it(`seed ${seed}: ${n} cycles in ${sim} equal CycleSim`, async () => {
        const { m, inputs, outputs } = build(seed);
        const r = new Rng(seed * 7 + 1);
        const rst = Array.from({ length: n }, (_, i) => (i < 2 || r.chance(0.02) ? 1 : 0));
        const vec = inputs.map((s) => Array.from({ length: n }, () => r.bits(s.width)));
        vec[3]![0] = 0n; // no RAM write while the registers are still X (Icarus) before the first reset edge
        vec[3]![1] = 0n;
        const data = new Map<string, string>([['rst.hex', rst.join('\n') + '\n']]);
        inputs.forEach((s, k) => data.set(`${s.name}.hex`, vec[k]!.map((v) => v.toString(16)).join('\n') + '\n'));
        const files = emitVerilog(m);
        files.set('tb.v', testbench(m, inputs, outputs, n));
        const lines = (await simulate(sim, files, data)).trim().split('\n');
        expect(lines.length).toBe(n);

        const cs = new CycleSim(m);
        const mismatches: string[] = [];
        for (let c = 0; c < n; c++) {
          cs.poke('rst', rst[c]!);
          inputs.forEach((s, k) => cs.poke(s, vec[k]![c]!));
          const got = lines[c]!.trim().split(/\s+/);
          if (c >= 2) { // cycle 0: before any edge; cycle 1: the RAM read port saw X addresses at edge 0
            outputs.forEach((o, k) => {
              const want = wrap(cs.peek(o), o.width, false);
              const g = /^[0-9a-f]+$/i.test(got[k]!) ? BigInt(`0x${got[k]}`) : null;
              if (g !== want && mismatches.length < 10) mismatches.push(`cycle ${c} ${o.name}: expected ${want.toString(16)} got ${got[k]}`);
            });
          }
          cs.step();
        }
        expect(mismatches).toEqual([]);
      });
    }
  }
});
