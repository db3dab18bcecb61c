import { describe, it, expect } from 'vitest';
import { estimateTiming, DELAY_MODEL as M } from '../src/synth/timing.js';

/** A tiny builder for yosys write_json-shaped netlists of 7-series cells (module "top", clock on net 2). */
class Net {
  private next = 10;
  cells: Record<string, { type: string; parameters: Record<string, string>; port_directions: Record<string, string>; connections: Record<string, (number | string)[]> }> = {};
  ports: Record<string, { direction: string; bits: (number | string)[] }> = { clk: { direction: 'input', bits: [2] } };
  netnames: Record<string, { hide_name: number; bits: (number | string)[] }> = {};
  wire(name?: string): number {
    const n = this.next++;
    if (name) this.netnames[name] = { hide_name: 0, bits: [n] };
    return n;
  }
  cell(name: string, type: string, ins: Record<string, (number | string)[]>, outs: Record<string, (number | string)[]>, parameters: Record<string, string> = {}): void {
    const port_directions: Record<string, string> = {};
    for (const p of Object.keys(ins)) port_directions[p] = 'input';
    for (const p of Object.keys(outs)) port_directions[p] = 'output';
    this.cells[name] = { type, parameters, port_directions, connections: { ...ins, ...outs } };
  }
  ff(name: string, d: number | string, q: number): void {
    this.cell(name, 'FDRE', { C: [2], CE: ['1'], R: ['0'], D: [d] }, { Q: [q] });
  }
  lut(name: string, ins: (number | string)[], o: number): void {
    const conn: Record<string, (number | string)[]> = {};
    ins.forEach((b, i) => (conn[`I${i}`] = [b]));
    this.cell(name, `LUT${ins.length}`, conn, { O: [o] });
  }
  json(): unknown {
    return { modules: { top: { ports: this.ports, cells: this.cells, netnames: this.netnames } } };
  }
}

const NET = M.netBase; // fanout-1 routing
const close = (a: number | null, b: number) => expect(a).toBeCloseTo(b, 3);

describe('timing estimate on hand-built netlists', () => {
  it('FF -> LUT4 -> LUT6 -> FF: two LUT levels, delay from the model', () => {
    const n = new Net();
    const q = n.wire('a_q');
    const x = n.wire();
    const y = n.wire('y');
    const z = n.wire('z_q');
    n.ff('ff_a', 'x', q);
    n.lut('lut_1', [q, '0', '1', '0'], x);
    n.lut('lut_2', [x, '0', '0', '0', '0', '0'], y);
    n.ff('ff_z', y, z);
    const t = estimateTiming(n.json(), 'top');
    expect(t.levels).toBe(2);
    expect(t.breakdown).toEqual({ lut: 2, carry4: 0, muxf: 0, lutram: 0, dsp: 0 });
    expect(t.path).toEqual(['ff_a', 'lut_1', 'lut_2', 'ff_z']);
    expect(t.steps[0]!.net).toBe('a_q');
    expect(t.steps[3]!.net).toBe('z_q');
    const period = M.ffClkToQ + 2 * (NET + M.lut) + NET + M.ffSetupD;
    close(t.estPeriodNs, period);
    expect(t.estFmaxMHz).toBeCloseTo(1000 / period, 0);
    expect(t.label).toBe('estimate (post-synthesis, no P&R)');
    expect(t.startType).toBe('FDRE');
    expect(t.endType).toBe('FDRE');
  });

  it('charges high fanout nets more and picks the slowest path', () => {
    const n = new Net();
    const q = n.wire();
    n.ff('src', 'x', q);
    for (let i = 0; i < 16; i++) n.ff(`dst${i}`, q, n.wire());
    // A second, shorter-fanout path must not win.
    const q2 = n.wire();
    n.ff('src2', 'x', q2);
    n.ff('dst_b', q2, n.wire());
    const t = estimateTiming(n.json(), 'top');
    close(t.estPeriodNs, M.ffClkToQ + M.netBase + 4 * M.netPerFanoutDoubling + M.ffSetupD);
    expect(t.path[0]).toBe('src');
    expect(t.levels).toBe(0);
  });

  it('a CARRY4 chain: dedicated carry routing, one level per CARRY4', () => {
    const n = new Net();
    const q = n.wire();
    const s0 = n.wire();
    n.ff('ff_a', 'x', q);
    n.lut('lut_s', [q, '1'], s0);
    const co1 = [n.wire(), n.wire(), n.wire(), n.wire()];
    const o1 = [n.wire(), n.wire(), n.wire(), n.wire()];
    const co2 = [n.wire(), n.wire(), n.wire(), n.wire()];
    const o2 = [n.wire(), n.wire(), n.wire(), n.wire()];
    n.cell('c0', 'CARRY4', { CI: ['0'], CYINIT: ['0'], S: [s0, '0', '0', '0'], DI: ['0', '0', '0', '0'] }, { CO: co1, O: o1 });
    n.cell('c1', 'CARRY4', { CI: [co1[3]!], CYINIT: ['0'], S: ['0', '0', '0', '0'], DI: ['0', '0', '0', '0'] }, { CO: co2, O: o2 });
    n.ff('ff_s', o2[3]!, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.breakdown).toEqual({ lut: 1, carry4: 2, muxf: 0, lutram: 0, dsp: 0 });
    expect(t.levels).toBe(3);
    expect(t.path).toEqual(['ff_a', 'lut_s', 'c0', 'c1', 'ff_s']);
    const chain = M.carryEntry + 3 * M.carryPerBit + (3 * M.carryPerBit + M.carrySumOut);
    close(t.estPeriodNs, M.ffClkToQ + NET + M.lut + chain + NET + M.ffSetupD);
  });

  it('LUT -> MUXF7 -> MUXF8 uses dedicated connections', () => {
    const n = new Net();
    const q = n.wire();
    const l = n.wire();
    const m7 = n.wire();
    const m8 = n.wire();
    n.ff('ff_a', 'x', q);
    n.lut('lut', [q, '0', '0', '0', '0', '0'], l);
    n.cell('mux7', 'MUXF7', { I0: [l], I1: ['0'], S: ['0'] }, { O: [m7] });
    n.cell('mux8', 'MUXF8', { I0: [m7], I1: ['0'], S: ['0'] }, { O: [m8] });
    n.ff('ff_b', m8, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.breakdown.muxf).toBe(2);
    close(t.estPeriodNs, M.ffClkToQ + NET + M.lut + 2 * M.muxfData + NET + M.ffSetupD);
  });

  for (const doReg of [0, 1]) {
    it(`block RAM clock-to-out ${doReg ? 'with' : 'without'} the output register starts the path`, () => {
      const n = new Net();
      const dout = n.wire('rdata');
      const l = n.wire();
      n.cell('bram', 'RAMB18E1', { CLKARDCLK: [2], ADDRARDADDR: ['0', '0'], ENARDEN: ['1'] }, { DOADO: [dout] },
        { DOA_REG: doReg ? '00000000000000000000000000000001' : '00000000000000000000000000000000' });
      n.lut('lut', [dout, '0'], l);
      n.ff('ff', l, n.wire());
      const t = estimateTiming(n.json(), 'top');
      expect(t.startType).toBe('RAMB18E1');
      expect(t.steps[0]!.config).toBe(`DOA_REG=${doReg} DOB_REG=0`);
      close(t.estPeriodNs, (doReg ? M.bramClkToOutReg : M.bramClkToOut) + NET + M.lut + NET + M.ffSetupD);
    });
  }

  it('an unregistered DSP48E1 multiply between flip-flops is one DSP level', () => {
    const n = new Net();
    const a = n.wire();
    const b = n.wire();
    const p = n.wire('p');
    n.ff('ff_a', 'x', a);
    n.ff('ff_b', 'x', b);
    const zero = '00000000000000000000000000000000';
    n.cell('dsp', 'DSP48E1', { CLK: [2], A: [a], B: [b], C: ['0'], OPMODE: ['1', '0', '1'], ALUMODE: ['0'] }, { P: [p] }, {
      AREG: zero, BREG: zero, CREG: zero, MREG: '0', PREG: '0', INMODEREG: zero, OPMODEREG: zero, ALUMODEREG: zero,
      CARRYINREG: zero, CARRYINSELREG: zero, USE_MULT: 'MULTIPLY', USE_DPORT: 'FALSE',
    });
    n.ff('ff_p', p, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.breakdown.dsp).toBe(1);
    expect(t.path).toEqual(['ff_a', 'dsp', 'ff_p']);
    close(t.estPeriodNs, M.ffClkToQ + NET + M.dspMultiplier + M.dspAlu + M.dspOutput + NET + M.ffSetupD);
  });

  it('a fully pipelined DSP48E1 (default AREG/BREG/MREG/PREG) has its critical path inside the DSP', () => {
    const n = new Net();
    const a = n.wire();
    n.ff('ff_a', 'x', a);
    const p = n.wire();
    n.cell('dsp', 'DSP48E1', { CLK: [2], A: [a], B: ['0'] }, { P: [p] });
    n.ff('ff_p', p, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.path).toEqual(['dsp']);
    close(t.estPeriodNs, M.dspClkToOut + M.dspMultiplier + M.dspInternalSetup);
    expect(t.estFmaxMHz).toBeGreaterThan(450);
    expect(t.notes.join(' ')).toMatch(/inside a DSP48E1/);
    expect(t.steps[0]!.config).toBe('AREG=1 BREG=1 CREG=1 MREG=1 PREG=1; captured in MREG');
  });

  it('top-level inputs are not timed; no register path means no fmax', () => {
    const n = new Net();
    const i = n.wire();
    n.ports.in = { direction: 'input', bits: [i] };
    const o = n.wire();
    n.lut('lut', [i], o);
    n.ports.out = { direction: 'output', bits: [o] };
    const t = estimateTiming(n.json(), 'top');
    expect(t.estFmaxMHz).toBeNull();
    expect(t.estPeriodNs).toBeNull();
    expect(t.notes.join(' ')).toMatch(/no register-to-register path/);
  });

  it('survives a combinational loop and unknown cell types, saying so', () => {
    const n = new Net();
    const q = n.wire();
    const a = n.wire();
    const b = n.wire();
    n.ff('ff', 'x', q);
    n.lut('la', [q, b], a);
    n.lut('lb', [a], b);
    n.ff('ff2', a, n.wire());
    const u = n.wire();
    n.cell('odd', 'MYSTERY', { I: [q] }, { O: [u] });
    n.ff('ff3', u, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.notes.join(' ')).toMatch(/combinational loop/);
    expect(t.notes.join(' ')).toMatch(/MYSTERY has no delay model/);
    expect(t.estPeriodNs).not.toBeNull();
  });

  it('rejects a netlist without the module', () => {
    expect(() => estimateTiming({ modules: {} }, 'top')).toThrow(/no module 'top'/);
    expect(() => estimateTiming({}, 'top')).toThrow(/not a yosys write_json netlist/);
  });
});

describe('timing estimate on deep logic', () => {
  it('follows a 20,000-LUT chain without overflowing the stack', () => {
    const n = new Net();
    let prev = n.wire();
    n.ff('start', 'x', prev);
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const o = n.wire();
      n.lut(`l${i}`, [prev], o);
      prev = o;
    }
    n.ff('end', prev, n.wire());
    const t = estimateTiming(n.json(), 'top');
    expect(t.levels).toBe(N);
    expect(t.estPeriodNs).toBeCloseTo(M.ffClkToQ + N * (M.netBase + M.lut) + M.netBase + M.ffSetupD, 1);
  });
});
