/**
 * Builder names that are SystemVerilog keywords (Verilator reserves them even in .v files) are renamed with a `_`
 * suffix like Verilog-2005 keywords, so the emitted module lints clean.
 */
import { describe, expect, it } from 'vitest';
import { Module, emitVerilog } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';

describe('hdl: SystemVerilog keywords as names', () => {
  it('signals named inside / unique / class / return get a suffix and lint clean', async () => {
    const m = new Module('svkw', { doc: 'SystemVerilog keyword names' });
    const a = m.input('inside', 4);
    const b = m.input('unique', 4);
    const y = m.output('class', 4);
    const r = m.reg('return', 4);
    m.sync((p) => p.set(r, a.xor(b)));
    m.assign(y, r);
    expect([a.name, b.name, y.name, r.name]).toEqual(['inside_', 'unique_', 'class_', 'return_']);
    const files = emitVerilog(m);
    await lintVerilog(files, 'svkw');
  }, 60_000);
});
