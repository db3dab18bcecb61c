/**
 * Every build-time check of the HDL builder: each mistake must throw a one-line UserError naming the module/signal
 * and what to do, at build time (never in a simulator).
 */
import { describe, expect, it } from 'vitest';
import { Module, cat, emitVerilog, lit, mux } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import { UserError } from '../src/util/errors.js';

function err(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const msg = (e as Error).message;
    expect(msg.includes('\n')).toBe(false);
    return msg;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('hdl build-time errors: widths and signedness', () => {
  it('assigning a wider value to a narrower target names module, signal and widths', () => {
    const m = new Module('w1');
    const a = m.input('a', 8);
    const y = m.output('y', 8);
    expect(err(() => m.assign(y, a.add(a)))).toMatch(/module w1: assign y: w1\.y is 8 bits but the value is 9 bits; say \.trunc\(8\) or \.resize\(8\)/);
    const r = m.reg('r', 4);
    expect(err(() => m.sync((p) => p.set(r, a)))).toMatch(/w1\.r is 4 bits but the value is 8 bits/);
  });

  it('an explicit trunc/resize is accepted', () => {
    const m = new Module('w2');
    const a = m.input('a', 8);
    const y = m.output('y', 8);
    m.assign(y, a.add(a).trunc(8));
    expect(emitVerilog(m).get('w2.v')).toContain('assign y = a + a;');
  });

  it('mixing signed and unsigned in one operator is an error', () => {
    const m = new Module('w3');
    const a = m.input('a', 8);
    const b = m.input('b', 8, { signed: true });
    expect(err(() => a.add(b))).toMatch(/add: mixes w3\.a \(8-bit unsigned\) with w3\.b \(8-bit signed\); cast one side/);
    expect(err(() => mux(a.bit(0), a, b))).toMatch(/mux: mixes/);
    expect(err(() => a.lt(b))).toMatch(/lt: mixes/);
  });

  it('a negative number with an unsigned operand is an error', () => {
    const m = new Module('w4');
    const a = m.input('a', 8);
    expect(err(() => a.add(-1))).toMatch(/negative constant -1 with unsigned w4\.a/);
  });

  it('constants must fit, conditions must be 1 bit, slices must be in range', () => {
    expect(err(() => lit(256, 8))).toMatch(/lit\(256, 8\): value outside 0\.\.255/);
    expect(err(() => lit(-129, 8, true))).toMatch(/value outside -128\.\.127/);
    const m = new Module('w5');
    const a = m.input('a', 8);
    const y = m.output('y', 8);
    expect(err(() => m.comb((p) => p.if(a, () => p.set(y, 0))))).toMatch(/if condition w5\.a is 8 bits; conditions must be 1 bit/);
    expect(err(() => mux(a, a, a))).toMatch(/mux: condition .* must be 1 bit/);
    expect(err(() => a.slice(8, 0))).toMatch(/slice\(8, 0\) of w5\.a/);
    expect(err(() => a.trunc(9))).toMatch(/cannot truncate to a wider width/);
    expect(err(() => a.lt(0))).toMatch(/comparing unsigned w5\.a .* with 0 is constant/);
    expect(err(() => m.input('z', 0))).toMatch(/width 0 is not an integer/);
  });

  it('.elif/.else must follow their if directly', () => {
    const m = new Module('w7');
    const a = m.input('a', 2);
    const y = m.wire('y', 2);
    expect(err(() => m.comb((p) => {
      const c = p.if(a.bit(0), () => p.set(y, 1));
      p.set(y, 2);
      c.else(() => p.set(y, 3));
    }))).toMatch(/\.else\(\) must be chained directly to its p\.if/);
  });

  it('a number assigned to a target must fit it; switch cases must fit the selector', () => {
    const m = new Module('w6');
    const s = m.input('s', 2);
    const y = m.output('y', 4);
    expect(err(() => m.assign(y, 16))).toMatch(/constant 16 does not fit w6\.y \(4-bit unsigned\)/);
    expect(err(() => m.comb((p) => p.switch(s, { 4: () => p.set(y, 1), default: () => p.set(y, 0) })))).toMatch(/switch case 4 does not fit the 2-bit unsigned selector/);
  });
});

describe('hdl build-time errors: drivers', () => {
  it('two drivers: two processes, assign + process, instance output + assign', () => {
    const m = new Module('d1');
    const a = m.input('a', 1);
    const w = m.wire('w', 1);
    m.comb((p) => p.set(w, a));
    expect(err(() => m.comb((p) => p.set(w, a.not())))).toMatch(/module d1: comb process #1: 'w' already driven by comb process #0/);
    expect(err(() => m.assign(w, a))).toMatch(/'w' already driven by comb process #0/);

    const child = new Module('d1_child');
    child.assign(child.output('o', 1), child.input('i', 1));
    const v = m.wire('v', 1);
    m.instance(child, 'u', { i: a, o: v });
    expect(err(() => m.assign(v, a))).toMatch(/'v' already driven by instance u port o/);
  });

  it('a reg set in comb, a wire set in sync, an input driven', () => {
    const m = new Module('d2');
    const a = m.input('a', 1);
    const r = m.reg('r', 1);
    const w = m.wire('w', 1);
    expect(err(() => m.comb((p) => p.set(r, a)))).toMatch(/reg 'r' cannot be set in a comb process/);
    expect(err(() => m.sync((p) => p.set(w, a)))).toMatch(/wire 'w' cannot be set in a sync process; declare it with m\.reg\(\)/);
    expect(err(() => m.assign(a, 1))).toMatch(/cannot assign a input/);
  });

  it('an output never driven, a wire read but undriven, a declared idle wire, a reg never set', () => {
    const m1 = new Module('d3');
    m1.output('y', 1);
    expect(err(() => emitVerilog(m1))).toMatch(/module d3: output 'y' is never driven/);

    const m2 = new Module('d4');
    const w = m2.wire('w', 1);
    m2.assign(m2.output('y', 1), w);
    expect(err(() => emitVerilog(m2))).toMatch(/module d4: wire 'w' is read but never driven/);

    const m3 = new Module('d5');
    m3.wire('idle', 3);
    expect(err(() => emitVerilog(m3))).toMatch(/wire 'idle' is declared but never driven or used; remove it/);

    const m4 = new Module('d6');
    const r = m4.reg('r', 2);
    m4.assign(m4.output('y', 2), r);
    expect(err(() => emitVerilog(m4))).toMatch(/reg 'r' is read but never driven; set it in m\.sync/);
  });

  it('using a signal of another module', () => {
    const a = new Module('x1');
    const b = new Module('x2');
    const ai = a.input('ai', 1);
    const y = b.output('y', 1);
    expect(err(() => b.assign(y, ai))).toMatch(/uses x1\.ai of another module; connect it through a port/);
  });
});

describe('hdl build-time errors: loops, latches, unused bits', () => {
  it('a combinational loop names the cycle', () => {
    const m = new Module('l1');
    const a = m.input('a', 4);
    const x = m.wire('x', 4);
    const y = m.wire('y', 4);
    m.assign(x, y.xor(a));
    m.comb((p) => p.set(y, x));
    m.assign(m.output('o', 4), y);
    expect(err(() => emitVerilog(m))).toMatch(/module l1: combinational loop (x -> y -> x|y -> x -> y)/);
  });

  it('a comb process reading its own target is a loop', () => {
    const m = new Module('l2');
    const a = m.input('a', 4);
    const x = m.wire('x', 5);
    m.comb((p) => {
      p.set(x, a);
      p.if(a.bit(0), () => p.set(x, x.add(1).trunc(5)));
    });
    m.assign(m.output('o', 5), x);
    expect(err(() => emitVerilog(m))).toMatch(/combinational loop x -> x/);
  });

  it('a loop through a submodule combinational path is found; a registered one is fine', () => {
    const child = new Module('l3_pass');
    child.assign(child.output('o', 1), child.input('i', 1));
    const m = new Module('l3');
    const w = m.wire('w', 1);
    const v = m.wire('v', 1);
    m.instance(child, 'u', { i: w, o: v });
    m.assign(w, v.not());
    m.assign(m.output('o', 1), w);
    expect(err(() => emitVerilog(m))).toMatch(/combinational loop (w -> v -> w|v -> w -> v)/);

    const reg = new Module('l3_reg');
    const q = reg.reg('q', 1);
    reg.sync((p) => p.set(q, reg.input('i', 1)));
    reg.assign(reg.output('o', 1), q);
    const ok = new Module('l3_ok');
    const w2 = ok.wire('w', 1);
    const v2 = ok.wire('v', 1);
    ok.instance(reg, 'u', { i: w2, o: v2 });
    ok.assign(w2, v2.not());
    ok.assign(ok.output('o', 1), w2);
    expect(emitVerilog(ok).size).toBe(2);
  });

  it('a comb target not set on every path would be a latch', () => {
    const m = new Module('t1');
    const a = m.input('a', 2);
    const y = m.output('y', 2);
    m.comb((p) => p.if(a.bit(0), () => p.set(y, a)));
    expect(err(() => emitVerilog(m))).toMatch(/module t1: comb process #0 does not set 'y' on every path \(that would infer a latch\); set a default value first/);

    const m2 = new Module('t2');
    const s = m2.input('s', 2);
    const y2 = m2.output('y', 2);
    m2.comb((p) => p.switch(s, { 0: () => p.set(y2, 1), 1: () => p.set(y2, 2) }));
    expect(err(() => emitVerilog(m2))).toMatch(/does not set 'y' on every path/);

    // all four values of a 2-bit selector: complete, no default needed
    const m3 = new Module('t3');
    const s3 = m3.input('s', 2);
    const y3 = m3.output('y', 2);
    m3.comb((p) => p.switch(s3, { 0: () => p.set(y3, 1), 1: () => p.set(y3, 2), 2: () => p.set(y3, 3), 3: () => p.set(y3, 0) }));
    expect(emitVerilog(m3).get('t3.v')).not.toContain('default:');
  });

  it('unused signals and unused bits are errors unless markUnused()', () => {
    const m = new Module('u1');
    const a = m.input('a', 8);
    m.input('b', 4);
    m.assign(m.output('y', 4), a.slice(5, 2));
    expect(err(() => emitVerilog(m))).toMatch(/module u1: input 'a' bits \[7:6\], \[1:0\] are never used; use them or call a\.markUnused\(\)/);

    const m2 = new Module('u2');
    const a2 = m2.input('a', 8);
    m2.input('b', 4);
    m2.assign(m2.output('y', 4), a2.trunc(4));
    a2.markUnused();
    expect(err(() => emitVerilog(m2))).toMatch(/input 'b' is never used/);
  });

  it('a truncated sum reads only the low operand bits: the high bits are reported unused', () => {
    const m = new Module('u3');
    const a = m.input('a', 8);
    m.assign(m.output('y', 4), a.add(a).trunc(4));
    expect(err(() => emitVerilog(m))).toMatch(/input 'a' bits \[7:4\] are never used/);
  });

  it('a comb process computing only constants is rejected (always @* would never run)', () => {
    const m = new Module('c1');
    const y = m.output('y', 4);
    m.comb((p) => p.set(y, 3));
    expect(err(() => emitVerilog(m))).toMatch(/comb process #0 reads no signal .* use m\.assign\(y, value\)/);
  });
});

describe('hdl build-time errors: instances and memories', () => {
  const child = (): Module => {
    const c = new Module('child8');
    c.assign(c.output('o', 8), c.input('i', 8));
    return c;
  };

  it('port connection checks: unknown, missing, width, signedness, direction', () => {
    const m = new Module('p1');
    const a = m.input('a', 8);
    const w = m.wire('w', 8);
    const c = child();
    expect(err(() => m.instance(c, 'u', { i: a, o: w, x: a }))).toMatch(/instance u of child8: no port 'x' \(ports: o, i\)/);
    expect(err(() => m.instance(c, 'u', { i: a }))).toMatch(/port 'o' is not connected/);
    expect(err(() => m.instance(c, 'u', { i: a.trunc(7), o: w }))).toMatch(/port 'i' is 8 bits but connected to 7 bits; use \.resize\(8\)/);
    expect(err(() => m.instance(c, 'u', { i: a.asSigned(), o: w }))).toMatch(/port 'i' is unsigned but connected to signed/);
    expect(err(() => m.instance(c, 'u', { i: a, o: a.add(1) }))).toMatch(/port 'o' is an output: connect it to a wire or output of module p1/);
    expect(err(() => m.instance(c, 'u', { i: a, o: m.wire('w9', 9) }))).toMatch(/port 'o' is 8 bits but connected to w9 of 9 bits/);
  });

  it('two modules with one name and different contents', () => {
    const top = new Module('n1');
    const a = top.input('a', 8);
    const c1 = child();
    const c2 = new Module('child8');
    c2.assign(c2.output('o', 8), c2.input('i', 8).not());
    const w1 = top.wire('w1', 8);
    const w2 = top.wire('w2', 8);
    top.instance(c1, 'u1', { i: a, o: w1 });
    top.instance(c2, 'u2', { i: a, o: w2 });
    top.assign(top.output('y', 8), w1.xor(w2));
    expect(err(() => emitVerilog(top))).toMatch(/module name 'child8' is used by two different modules/);
  });

  it('memory checks: address width, port count, init fit, ROM writes, unread memory', () => {
    const m = new Module('m1');
    const a = m.input('a', 5);
    const ram = m.ram('buf', { width: 8, depth: 16 });
    expect(err(() => ram.read(a))).toMatch(/ram 'buf_': read address is 5 bits but depth 16 needs 4; use \.trunc\(4\)/);
    ram.read(a.trunc(4));
    expect(err(() => ram.read(a.trunc(4)))).toMatch(/at most 1 read port/);
    expect(err(() => m.rom('r', { width: 4, depth: 4, init: [16] }))).toMatch(/init\[0\] = 16 does not fit 4-bit unsigned words/);
    const rom = m.rom('r2', { width: 4, depth: 4, init: [1, 2] });
    expect(err(() => rom.write(a.bit(0), 0, 1))).toMatch(/a ROM cannot be written/);
    expect(err(() => m.ram('z', { width: 4, depth: 1 }))).toMatch(/depth 1 must be an integer in 2\.\./);

    const m2 = new Module('m2');
    m2.ram('lonely', { width: 4, depth: 4, init: [1] });
    m2.assign(m2.output('y', 1), m2.input('a', 1));
    expect(err(() => emitVerilog(m2))).toMatch(/ram 'lonely' is never read/);
  });

  it('cat of nothing and bad module names', () => {
    expect(err(() => cat())).toMatch(/cat\(\): needs at least one part/);
    expect(err(() => new Module('1bad'))).toMatch(/module name '1bad' is not a valid Verilog identifier/);
    expect(err(() => new Module('module'))).toMatch(/not a valid Verilog identifier/);
  });
});

describe('hdl lint helper', () => {
  it('a missing simulator is a one-line error saying how to install it', async () => {
    const m = new Module('lint_missing');
    m.assign(m.output('y', 1), m.input('a', 1));
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(lintVerilog(emitVerilog(m), m.name)).rejects.toThrow(/^verilator not found \(verilator\): verilator is needed for lint and fast simulation; install it with 'apt-get install -y verilator' \(or run 'npm run setup' as root\)$/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('reports warnings with the offending source line', async () => {
    const files = new Map([['bad.v', '`default_nettype none\nmodule bad (input wire [3:0] a, output wire [1:0] y);\nassign y = a;\nendmodule\n`default_nettype wire\n']]);
    await expect(lintVerilog(files, 'bad')).rejects.toThrow(/WIDTH[\s\S]*bad\.v:3: assign y = a;/);
  });
});
