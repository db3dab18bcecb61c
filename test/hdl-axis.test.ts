/**
 * AXI4-Stream bundle helpers (src/hdl/lib/axis.ts): the declared ports (names, directions, widths), the metadata
 * registered on the module (m.streams, m.clocking), build-time errors, and a bundle-built module simulated through
 * moduleDesign (streams and config inputs taken from the module, not written by hand).
 */
import { describe, expect, it } from 'vitest';
import { Module, clockPorts, emitVerilog } from '../src/hdl/index.js';
import { lintVerilog } from '../src/tools/lint.js';
import { axisFire, axisMaster, axisOutputRegs, axisSlave, skidBuffer, syncFifo } from '../src/hdl/lib/index.js';
import { moduleDesign } from '../src/sim/design.js';
import { checkPorts } from '../src/sim/ports.js';
import { buildStreamingMac, macDesign } from '../src/sim/example-mac.js';
import { runStreams } from '../src/sim/index.js';

const ports = (m: Module) => m.signals.filter((s) => s.kind === 'input' || s.kind === 'output').map((s) => `${s.kind} ${s.name}[${s.width}]`);

/** A registered pass-through with tlast and tuser: out = in + 1 (wrapping), sidebands copied. */
function incr(width: number): Module {
  const m = new Module(`axis_incr_w${width}`);
  const i = axisSlave(m, 's_in', width, { last: true, user: 3, role: 'numbers' });
  const o = axisMaster(m, 'm_out', width, { last: true, user: 3, role: 'numbers + 1' });
  const valid = m.reg('valid_q', 1);
  const data = m.reg('data_q', width, { reset: null });
  const last = m.reg('last_q', 1, { reset: null });
  const user = m.reg('user_q', 3, { reset: null });
  const free = m.let('free', valid.not().or(o.tready));
  m.sync((p) => {
    p.if(free, () => {
      p.set(valid, i.tvalid);
      p.set(data, i.tdata.add(1).trunc(width));
      p.set(last, i.tlast);
      p.set(user, i.tuser);
    });
  });
  m.assign(i.tready, free);
  m.assign(o.tvalid, valid);
  m.assign(o.tdata, data);
  m.assign(o.tlast, last);
  m.assign(o.tuser, user);
  m.setClock({ freqMHz: 150 });
  return m;
}

describe('axisSlave / axisMaster', () => {
  it('declare the bundle ports with AXI4-Stream directions and register the stream metadata', () => {
    const m = new Module('t');
    const s = axisSlave(m, 's_act', 64, { last: true, keep: true, role: 'activations' });
    const o = axisMaster(m, 'm_out', 12, { user: 5 });
    expect(ports(m)).toEqual([
      'input s_act_tdata[64]', 'input s_act_tvalid[1]', 'output s_act_tready[1]', 'input s_act_tlast[1]', 'input s_act_tkeep[8]',
      'output m_out_tdata[12]', 'output m_out_tvalid[1]', 'input m_out_tready[1]', 'output m_out_tuser[5]',
    ]);
    expect(m.streams).toEqual([
      { name: 's_act', dir: 'in', dataWidth: 64, last: true, keepWidth: 8, role: 'activations' },
      { name: 'm_out', dir: 'out', dataWidth: 12, last: false, userWidth: 5 },
    ]);
    expect(s.tkeep.width).toBe(8);
    expect(o.tuser.width).toBe(5);
    expect(o.tlast).toBeUndefined();
    expect(axisFire(s).width).toBe(1);
  });

  it('reject a bad width, tkeep on a non-byte width, a taken name and a second stream of the same name', () => {
    const m = new Module('t');
    expect(() => axisSlave(m, 's', 0)).toThrow(/axisSlave 's': tdata width 0/);
    expect(() => axisMaster(m, 'm', 12, { keep: true })).toThrow(/tkeep needs a tdata width that is a multiple of 8, got 12/);
    m.input('x_tvalid', 1);
    expect(() => axisSlave(m, 'x', 8)).toThrow(/the name x_tvalid is already used/);
    axisSlave(m, 'y', 8);
    expect(() => m.addStream({ name: 'y', dir: 'in', dataWidth: 8, last: false })).toThrow(/stream 'y' is declared twice/);
  });

  it('addStream checks hand-declared ports', () => {
    const m = new Module('t');
    m.input('a_tdata', 8);
    m.input('a_tvalid', 1);
    m.input('a_tready', 1);
    expect(() => m.addStream({ name: 'a', dir: 'in', dataWidth: 8, last: false })).toThrow(/port a_tready must be a 1-bit output, is a 1-bit input/);
    expect(() => m.addStream({ name: 'a', dir: 'in', dataWidth: 8, last: true })).toThrow(/a_tready must be/);
    const n = new Module('u');
    n.output('b_tdata', 8);
    expect(() => n.addStream({ name: 'b', dir: 'out', dataWidth: 8, last: false })).toThrow(/port b_tvalid is not declared/);
  });

  it('the library blocks and the example MAC register their streams; the MAC matches the hand-written interface', () => {
    expect(skidBuffer({ width: 9 }).streams.map((s) => `${s.dir} ${s.name} ${s.dataWidth}`)).toEqual(['in s 9', 'out m 9']);
    expect(syncFifo({ width: 5, depth: 4 }).streams.map((s) => `${s.dir} ${s.name} ${s.dataWidth}`)).toEqual(['in s 5', 'out m 5']);
    const d = moduleDesign(buildStreamingMac(8, 24));
    const hand = macDesign(8, 24);
    expect(d.streams).toEqual(hand.streams.map((s) => ({ ...s, last: Boolean(s.last) })));
    expect(d.constInputs).toEqual(hand.constInputs);
    // the port list comes from the module (the hand-written MAC states the same list): the harness checks against
    // it without scanning the Verilog
    expect(d.ports).toEqual({ clk: 'input', rst: 'input', x_tdata: 'input', x_tvalid: 'input', x_tready: 'output', x_tlast: 'input', y_tdata: 'output', y_tvalid: 'output', y_tready: 'input', init: 'input' });
    expect(d.ports).toEqual(hand.ports);
    expect(() => checkPorts({ ...d, files: new Map([['x.v', '// no Verilog to scan']]) })).not.toThrow();
    expect(() => checkPorts({ ...d, ports: { ...d.ports, x_tready: 'input' } })).toThrow(/port x_tready is an input of module smac_hdl_w8_a24, but the declared streams make it an output/);
    expect(() => checkPorts({ ...d, ports: {} })).toThrow(/smac_hdl_w8_a24: design.ports is empty: list every port/);
  });

  it('axisOutputRegs: <prefix>_valid_q / _data_q (/ _last_q with tlast) drive the bundle', () => {
    const m = new Module('regs_out');
    const o = axisMaster(m, 'm', 12, { last: true });
    const r = axisOutputRegs(m, o, 'res');
    const p = axisMaster(m, 'p', 5);
    const q = axisOutputRegs(m, p);
    const d = m.input('d', 12);
    m.sync((b) => {
      b.if(axisFire(o), () => b.set(r.valid, 0));
      b.if(axisFire(p), () => b.set(q.valid, 0));
      b.if(r.valid.not(), () => {
        b.set(r.data, d);
        b.set(r.last!, d.bit(0));
        b.set(r.valid, 1);
        b.set(q.data, d.slice(4, 0));
        b.set(q.valid, 1);
      });
    });
    expect([r.valid.name, r.data.name, r.data.width, r.last?.name]).toEqual(['res_valid_q', 'res_data_q', 12, 'res_last_q']);
    expect([q.valid.name, q.data.width, q.last]).toEqual(['out_valid_q', 5, undefined]);
    const v = [...emitVerilog(m).values()].join('');
    for (const a of ['assign m_tvalid = res_valid_q;', 'assign m_tdata = res_data_q;', 'assign m_tlast = res_last_q;', 'assign p_tdata = out_data_q;']) expect(v).toContain(a);
  });

  it('clockPorts: names, the stated frequency, and whether the emitted module has clk / rst', () => {
    expect(clockPorts(incr(8))).toEqual({ clock: 'clk', reset: 'rst', resetActive: 'high', resetSync: true, freqMHz: 150, hasClock: true, hasReset: true });
    const comb = new Module('comb_only');
    const s = axisSlave(comb, 's', 4);
    const o = axisMaster(comb, 'm', 4);
    comb.assign(o.tdata, s.tdata);
    comb.assign(o.tvalid, s.tvalid);
    comb.assign(s.tready, o.tready);
    expect(clockPorts(comb)).toMatchObject({ hasClock: false, hasReset: false });
    expect(() => comb.setClock({ freqMHz: 0 })).toThrow(/freqMHz 0 must be a positive number/);
    expect(() => moduleDesign(comb)).not.toThrow();
  });

  it('a bundle-built module lints clean and simulates through moduleDesign with random stalls (tlast, tuser kept)', async () => {
    const m = incr(10);
    await lintVerilog(emitVerilog(m), m.name);
    const beats = Array.from({ length: 200 }, (_, k) => ({ data: BigInt((k * 37) % 1024), last: k % 7 === 6, user: BigInt(k % 8) }));
    const expected = beats.map((b) => ({ data: (b.data + 1n) % 1024n, last: b.last, user: b.user }));
    const r = await runStreams(moduleDesign(m), { inputs: { s_in: beats }, expected: { m_out: expected }, validProb: 0.6, readyProb: 0.5, seed: 3 });
    expect(r.outputs.m_out!.length).toBe(200);
    expect(r.outputs.m_out!.some((b, k) => k > 0 && b.cycle > r.outputs.m_out![k - 1]!.cycle + 1)).toBe(true);
  });

  it('moduleDesign refuses tkeep (the harness does not drive it) with one line', () => {
    const m = new Module('k');
    const s = axisSlave(m, 's', 8, { keep: true });
    const o = axisMaster(m, 'm', 8);
    m.assign(o.tdata, s.tdata);
    m.assign(o.tvalid, s.tvalid);
    m.assign(s.tready, o.tready);
    expect(() => moduleDesign(m)).toThrow(/stream s has tkeep, which the simulation harness does not drive/);
  });
});
