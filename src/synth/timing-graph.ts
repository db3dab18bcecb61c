/**
 * The timing graph of one flattened 7-series netlist module: who drives and who reads every net, the modelled
 * routing delay of each connection, arrival times at every cell output (memoized, evaluated in dependency order so
 * deep logic cannot overflow the stack) and the worst register-to-register endpoint. estimateTiming (timing.ts)
 * builds one, evaluates it and reconstructs the critical path. ESTIMATE only: no placement, no routing.
 */
import type { DelayModel } from './timing.js';

// ---- netlist JSON (yosys write_json) ----

export type Bit = number | string;
export interface NetCell {
  type: string;
  parameters?: Record<string, string | number>;
  port_directions?: Record<string, 'input' | 'output' | 'inout'>;
  connections: Record<string, Bit[]>;
}
export interface NetModule {
  ports?: Record<string, { direction: 'input' | 'output' | 'inout'; bits: Bit[] }>;
  cells?: Record<string, NetCell>;
  netnames?: Record<string, { hide_name?: number; bits: Bit[] }>;
}
export interface Netlist {
  modules: Record<string, NetModule>;
}

/** An integer cell parameter: write_json gives binary strings ("0001"), or numbers with -compat-int. */
export function intParam(cell: NetCell, name: string, dflt: number): number {
  const v = cell.parameters?.[name];
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (/^[01]+$/.test(v)) return parseInt(v, 2);
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  return dflt;
}
export function strParam(cell: NetCell, name: string, dflt: string): string {
  const v = cell.parameters?.[name];
  return v === undefined ? dflt : String(v).trim();
}

const FF_TYPES = new Set(['FDRE', 'FDSE', 'FDCE', 'FDPE', 'FDRE_1', 'FDSE_1', 'FDCE_1', 'FDPE_1']);
const LATCH_TYPES = new Set(['LDCE', 'LDPE']);
const LUTRAM_TYPES = new Set([
  'RAM16X1S', 'RAM32X1S', 'RAM64X1S', 'RAM128X1S', 'RAM256X1S', 'RAM16X1D', 'RAM32X1D', 'RAM64X1D', 'RAM128X1D',
  'RAM32M', 'RAM64M', 'RAM32M16', 'RAM64M8', 'RAM32X16DR8', 'RAM64X8SW',
]);
const SRL_TYPES = new Set(['SRL16', 'SRL16E', 'SRLC16E', 'SRLC32E']);
export const BRAM_TYPES = new Set(['RAMB18E1', 'RAMB36E1']);
const CLOCK_PINS = new Set(['C', 'CLK', 'WCLK', 'CLKARDCLK', 'CLKBWRCLK', 'G']);
const IGNORED_TYPES = new Set(['BUFG', 'BUFGCTRL', 'BUFH', 'IBUF', 'OBUF', 'IOBUF', 'OBUFT', 'GND', 'VCC', 'IBUFG']);

export type Kind = 'lut' | 'carry4' | 'muxf' | 'lutram' | 'dsp' | 'launch' | 'port';

export interface Arrival {
  t: number;
  /** Previous node on the best path (output-bit key), or null at a launch point. */
  prev: string | null;
  cell: string;
  kind: Kind;
}

interface Sink {
  cell: string;
  port: string;
  index: number;
}

interface Driver {
  cell: string | null; // null: top-level input port
  port: string;
  index: number;
}

export const NEG = -Infinity;

type At = { t: number; from: string | null };
export interface End { t: number; from: string | null; cell: string; stage?: string }

export const key = (b: Bit): string => String(b);
const isNet = (b: Bit): boolean => typeof b === 'number';

/** Direction of a cell port (write_json gives it for library cells; else by Xilinx port naming). */
export function dirOf(cell: NetCell, port: string): 'input' | 'output' | 'inout' {
  const d = cell.port_directions?.[port];
  if (d) return d;
  return /^(O|Q|P|CO|DO|PCOUT|ACOUT|BCOUT|CARRYOUT|CARRYCASCOUT|MULTSIGNOUT|SPO|DPO|Q31|DOA|DOB|DOC|DOD)/.test(port) ? 'output' : 'input';
}

export class TimingGraph {
  readonly cells: Record<string, NetCell>;
  readonly drivers = new Map<string, Driver>();
  readonly sinks = new Map<string, Sink[]>();
  /** Public net names for the report. */
  readonly netName = new Map<string, string>();
  readonly arrival = new Map<string, Arrival>();
  worst: End = { t: NEG, from: null, cell: '' };
  private readonly inProgress = new Set<string>();
  private readonly dspMemo = new Map<string, { out: Arrival; pcout: Arrival }>();
  private readonly unknownTypes = new Set<string>();
  private loopSeen = false;

  constructor(mod: NetModule, private readonly model: DelayModel, private readonly notes: string[]) {
    this.cells = mod.cells ?? {};
    for (const [pname, p] of Object.entries(mod.ports ?? {})) {
      if (p.direction === 'input') p.bits.forEach((b, i) => isNet(b) && this.drivers.set(key(b), { cell: null, port: pname, index: i }));
    }
    for (const [cname, cell] of Object.entries(this.cells)) {
      for (const [port, bits] of Object.entries(cell.connections)) {
        const dir = dirOf(cell, port);
        bits.forEach((b, i) => {
          if (!isNet(b)) return;
          if (dir === 'output') this.drivers.set(key(b), { cell: cname, port, index: i });
          else if (dir === 'input') {
            const list = this.sinks.get(key(b));
            if (list) list.push({ cell: cname, port, index: i });
            else this.sinks.set(key(b), [{ cell: cname, port, index: i }]);
          }
        });
      }
    }
    for (const [n, info] of Object.entries(mod.netnames ?? {})) {
      if (info.hide_name) continue;
      info.bits.forEach((b, i) => {
        if (isNet(b) && !this.netName.has(key(b))) this.netName.set(key(b), info.bits.length > 1 ? `${n}[${i}]` : n);
      });
    }
  }

  private fanout(b: string): number {
    return this.sinks.get(b)?.length ?? 1;
  }

  /** A dedicated (carry, cascade, MUXF) connection: no general routing delay. */
  private dedicated(drv: Driver, sinkCell: NetCell, sinkPort: string, b: string): boolean {
    if (drv.cell === null) return false;
    const dType = this.cells[drv.cell]!.type;
    const sType = sinkCell.type;
    if (dType === 'CARRY4' && drv.port === 'CO' && sType === 'CARRY4' && sinkPort === 'CI') return true;
    if (/^LUT[1-6]$/.test(dType) && sType === 'MUXF7' && (sinkPort === 'I0' || sinkPort === 'I1')) return true;
    if (dType === 'MUXF7' && sType === 'MUXF8' && (sinkPort === 'I0' || sinkPort === 'I1')) return true;
    if (/^LUT[1-6]$/.test(dType) && sType === 'CARRY4' && (sinkPort === 'S' || sinkPort === 'DI') && this.fanout(b) === 1) return true;
    if (dType === 'DSP48E1' && sType === 'DSP48E1' && /COUT$|CASCOUT$|^MULTSIGNOUT$/.test(drv.port)) return true;
    if (BRAM_TYPES.has(dType) && BRAM_TYPES.has(sType) && /^CASCADEOUT/.test(drv.port)) return true;
    if (SRL_TYPES.has(dType) && drv.port === 'Q31' && SRL_TYPES.has(sType)) return true;
    return false;
  }

  private route(b: string, sinkCell: NetCell, sinkPort: string): number {
    const drv = this.drivers.get(b);
    if (!drv) return 0;
    if (this.dedicated(drv, sinkCell, sinkPort, b)) return 0;
    return this.model.netBase + this.model.netPerFanoutDoubling * Math.log2(Math.max(1, this.fanout(b)));
  }

  /** Arrival at the sink pin (cell, port, index): driver arrival plus routing. */
  private pinArrival(cname: string, port: string, index: number): At {
    const cell = this.cells[cname]!;
    const b = cell.connections[port]?.[index];
    if (b === undefined || !isNet(b)) return { t: NEG, from: null };
    const k = key(b);
    const a = this.outArrival(k);
    if (a.t === NEG) return { t: NEG, from: null };
    return { t: a.t + this.route(k, cell, port), from: k };
  }

  /** Best arrival over all bits of the listed input ports, plus `delay`. */
  private through(cname: string, ports: string[], delay: (port: string, index: number) => number | null): At {
    const cell = this.cells[cname]!;
    let best: At = { t: NEG, from: null };
    for (const port of ports) {
      const bits = cell.connections[port];
      if (!bits) continue;
      for (let i = 0; i < bits.length; i++) {
        const d = delay(port, i);
        if (d === null) continue;
        const a = this.pinArrival(cname, port, i);
        if (a.t + d > best.t) best = { t: a.t + d, from: a.from };
      }
    }
    return best;
  }

  private static launch(cname: string, t: number): Arrival {
    return { t, prev: null, cell: cname, kind: 'launch' };
  }

  /** A DSP48E1's output arrival; registers its internal ADREG/MREG/PREG endpoints. */
  evalDsp(cname: string): { out: Arrival; pcout: Arrival } {
    const memo = this.dspMemo.get(cname);
    if (memo) return memo;
    const model = this.model;
    const cell = this.cells[cname]!;
    const reg = (p: string, d: number) => intParam(cell, p, d) > 0;
    const useD = strParam(cell, 'USE_DPORT', 'FALSE') === 'TRUE';
    const useMult = strParam(cell, 'USE_MULT', 'MULTIPLY') !== 'NONE';
    // Stage 1: into the pre-adder / multiplier.
    const comb = (ports: string[]) => this.through(cname, ports, () => 0);
    const regOut: At = { t: model.dspClkToOut, from: null };
    const max = (...xs: At[]) => xs.reduce((a, b) => (b.t > a.t ? b : a), { t: NEG, from: null });
    const aIn = reg('AREG', 1) ? regOut : comb(['A', 'ACIN']);
    const bIn = reg('BREG', 1) ? regOut : comb(['B', 'BCIN']);
    const dIn = useD ? (reg('DREG', 1) ? regOut : comb(['D'])) : { t: NEG, from: null };
    const inmode = reg('INMODEREG', 1) ? regOut : comb(['INMODE']);
    let multIn = max(aIn, bIn, inmode);
    if (useD) {
      const pre = max(aIn, dIn, inmode);
      const preOut = { t: pre.t + model.dspPreAdder, from: pre.from };
      multIn = max(reg('ADREG', 1) ? regOut : preOut, bIn);
      if (reg('ADREG', 1)) this.internalEndpoint(cname, preOut, model.dspInternalSetup, 'ADREG');
    }
    const multOut = { t: multIn.t + (useMult ? model.dspMultiplier : model.dspMultBypass), from: multIn.from };
    let aluFromM = multOut;
    if (reg('MREG', 1) && useMult) {
      this.internalEndpoint(cname, multOut, model.dspInternalSetup, 'MREG');
      aluFromM = regOut;
    }
    // Stage 2: ALU (C, PCIN, control inputs join here).
    const ctl = (port: string, regParam: string) => (reg(regParam, 1) ? regOut : comb([port]));
    const aluIn = max(aluFromM, ctl('C', 'CREG'), comb(['PCIN', 'CARRYCASCIN', 'MULTSIGNIN']), ctl('OPMODE', 'OPMODEREG'),
      ctl('ALUMODE', 'ALUMODEREG'), ctl('CARRYIN', 'CARRYINREG'), ctl('CARRYINSEL', 'CARRYINSELREG'));
    const aluOut = { t: aluIn.t + model.dspAlu, from: aluIn.from };
    let out: Arrival;
    if (reg('PREG', 1)) {
      this.internalEndpoint(cname, aluOut, model.dspInternalSetup, 'PREG');
      out = TimingGraph.launch(cname, model.dspClkToOut);
    } else {
      out = { t: aluOut.t + model.dspOutput, prev: aluOut.from, cell: cname, kind: 'dsp' };
      if (aluOut.t === NEG) out.t = NEG;
    }
    const res = { out, pcout: out };
    this.dspMemo.set(cname, res);
    return res;
  }

  private evalOutput(drv: Driver): Arrival {
    if (drv.cell === null) return { t: NEG, prev: null, cell: drv.port, kind: 'port' }; // top-level input: not timed
    const model = this.model;
    const cname = drv.cell;
    const cell = this.cells[cname]!;
    const t = cell.type;
    const launch = (d: number) => TimingGraph.launch(cname, d);
    const mk = (r: At, kind: Kind): Arrival => ({ t: r.t, prev: r.from, cell: cname, kind });
    if (FF_TYPES.has(t)) return launch(model.ffClkToQ);
    if (LATCH_TYPES.has(t)) {
      this.notes.push(`latch ${cname} (${t}) timed as a flip-flop`);
      return launch(model.ffClkToQ);
    }
    if (/^LUT([1-6])$/.test(t)) return mk(this.through(cname, Object.keys(cell.connections).filter((p) => /^I\d$/.test(p)), () => model.lut), 'lut');
    if (t === 'MUXF7' || t === 'MUXF8') {
      return mk(this.through(cname, ['I0', 'I1', 'S'], (p) => (p === 'S' ? model.muxfSelect : model.muxfData)), 'muxf');
    }
    if (t === 'CARRY4') {
      const j = drv.index;
      const isSum = drv.port === 'O';
      const r = this.through(cname, ['S', 'DI', 'CI', 'CYINIT'], (p, i) => {
        if (p === 'S' || p === 'DI') {
          if (i > j || (p === 'DI' && isSum && i === j)) return null;
          return model.carryEntry + model.carryPerBit * (j - i) + (isSum ? model.carrySumOut : 0);
        }
        // CI / CYINIT enter below bit 0.
        return model.carryPerBit * (isSum ? j : j + 1) + (isSum ? model.carrySumOut : 0);
      });
      return mk(r, 'carry4');
    }
    if (t === 'DSP48E1') return this.evalDsp(cname).out;
    if (BRAM_TYPES.has(t)) {
      const regd = intParam(cell, /^DO(P)?B/.test(drv.port) ? 'DOB_REG' : 'DOA_REG', 0) > 0;
      return launch(regd ? model.bramClkToOutReg : model.bramClkToOut);
    }
    if (LUTRAM_TYPES.has(t)) {
      const readPorts = Object.keys(cell.connections).filter((p) => /^(ADDR|A\d|A$|DPRA)/.test(p));
      return mk(this.through(cname, readPorts, () => model.lutramRead), 'lutram');
    }
    if (SRL_TYPES.has(t)) {
      // Output = clocked shift-register contents (launch) or, via the address mux, a combinational path.
      const viaAddr = this.through(cname, ['A', 'A0', 'A1', 'A2', 'A3'], () => model.srlAddr);
      if (viaAddr.t > model.srlClkToQ && drv.port !== 'Q31') return mk(viaAddr, 'lutram');
      return launch(model.srlClkToQ);
    }
    if (IGNORED_TYPES.has(t)) return { t: NEG, prev: null, cell: cname, kind: 'port' };
    if (!this.unknownTypes.has(t)) {
      this.unknownTypes.add(t);
      this.notes.push(`cell type ${t} has no delay model: its outputs start no timed path`);
    }
    return { t: NEG, prev: null, cell: cname, kind: 'port' };
  }

  /** Arrival at output bit `b` (memoized). */
  outArrival(b: string): Arrival {
    const memo = this.arrival.get(b);
    if (memo) return memo;
    const drv = this.drivers.get(b);
    if (!drv) return { t: NEG, prev: null, cell: '', kind: 'port' };
    if (this.inProgress.has(b)) {
      if (!this.loopSeen) this.notes.push(`combinational loop through net ${this.netName.get(b) ?? b}: loop not timed`);
      this.loopSeen = true;
      return { t: NEG, prev: null, cell: '', kind: 'port' };
    }
    this.inProgress.add(b);
    const a = this.evalOutput(drv);
    this.inProgress.delete(b);
    this.arrival.set(b, a);
    return a;
  }

  private internalEndpoint(cname: string, at: At, setup: number, stage: string): void {
    if (at.t === NEG) return;
    if (at.t + setup > this.worst.t) this.worst = { t: at.t + setup, from: at.from, cell: cname, stage };
  }

  private endpoint(cname: string, port: string, index: number, setup: number): void {
    const a = this.pinArrival(cname, port, index);
    if (a.t === NEG) return;
    if (a.t + setup > this.worst.t) this.worst = { t: a.t + setup, from: a.from, cell: cname };
  }

  private depsOf(b: string): string[] {
    const drv = this.drivers.get(b);
    if (!drv || drv.cell === null) return [];
    const cell = this.cells[drv.cell]!;
    const t = cell.type;
    if (FF_TYPES.has(t) || LATCH_TYPES.has(t) || BRAM_TYPES.has(t)) return [];
    if (t === 'DSP48E1' && intParam(cell, 'PREG', 1) > 0) return [];
    const out: string[] = [];
    for (const [p, bits] of Object.entries(cell.connections)) {
      if (dirOf(cell, p) !== 'input' || CLOCK_PINS.has(p)) continue;
      if (SRL_TYPES.has(t) && !/^A/.test(p)) continue;
      for (const x of bits) if (isNet(x)) out.push(key(x));
    }
    return out;
  }

  /**
   * Evaluate arrivals in dependency order first (iterative DFS), so the recursive evaluation only ever finds
   * memoized inputs: deep logic cannot overflow the JS stack.
   */
  evaluateAll(): void {
    const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
    for (const root of this.drivers.keys()) {
      if (state.has(root)) continue;
      const stack: { b: string; deps: string[]; i: number }[] = [{ b: root, deps: this.depsOf(root), i: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.i < top.deps.length) {
          const d = top.deps[top.i++]!;
          if (!state.has(d) && this.drivers.has(d)) {
            state.set(d, 1);
            stack.push({ b: d, deps: this.depsOf(d), i: 0 });
          }
        } else {
          stack.pop();
          state.set(top.b, 2);
          this.outArrival(top.b);
        }
      }
    }
  }

  /** Check every capture pin (register, BRAM, LUTRAM write, SRL, DSP input register) against `worst`. */
  collectEndpoints(): void {
    const model = this.model;
    for (const [cname, cell] of Object.entries(this.cells)) {
      const t = cell.type;
      const ports = Object.keys(cell.connections).filter((p) => dirOf(cell, p) === 'input' && !CLOCK_PINS.has(p));
      const each = (ps: string[], setup: (p: string) => number) => {
        for (const p of ps) for (let i = 0; i < cell.connections[p]!.length; i++) this.endpoint(cname, p, i, setup(p));
      };
      if (FF_TYPES.has(t) || LATCH_TYPES.has(t)) {
        each(ports, (p) => (p === 'D' ? model.ffSetupD : p === 'CE' || p === 'GE' ? model.ffSetupCE : model.ffSetupSR));
      } else if (BRAM_TYPES.has(t)) {
        each(ports.filter((p) => !/^CASCADEIN/.test(p)), () => model.bramSetup);
      } else if (LUTRAM_TYPES.has(t)) {
        each(ports, () => model.lutramWriteSetup); // write address, data and enable are clocked in
      } else if (SRL_TYPES.has(t)) {
        each(ports.filter((p) => p === 'D' || p === 'CE'), () => model.srlSetup);
      } else if (t === 'DSP48E1') {
        const inReg: Record<string, [string, number]> = {
          A: ['AREG', 1], ACIN: ['AREG', 1], B: ['BREG', 1], BCIN: ['BREG', 1], C: ['CREG', 1], D: ['DREG', 1],
          INMODE: ['INMODEREG', 1], OPMODE: ['OPMODEREG', 1], ALUMODE: ['ALUMODEREG', 1],
          CARRYIN: ['CARRYINREG', 1], CARRYINSEL: ['CARRYINSELREG', 1],
        };
        each(ports.filter((p) => {
          const r = inReg[p];
          if (r) return intParam(cell, r[0], r[1]) > 0 && (p !== 'D' || strParam(cell, 'USE_DPORT', 'FALSE') === 'TRUE');
          return /^(CE|RST)/.test(p); // clock enables and resets are synchronous
        }), () => model.dspSetup);
        this.evalDsp(cname); // registers internal MREG/PREG endpoints
      }
    }
  }
}
