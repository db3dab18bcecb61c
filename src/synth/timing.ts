/**
 * Register-to-register timing ESTIMATE from a synthesized 7-series netlist (yosys `write_json`).
 *
 * There is no placement or routing here: every net gets the same modelled routing delay (plus a small fanout
 * term), so the figure is an estimate of the order of magnitude of post-route fmax, useful to compare design
 * variants and to spot deep logic — never a timing-closure result. The delay model is `DELAY_MODEL` below and
 * is documented, with its sources and limits, in docs/synth.md.
 */
import { fail } from '../util/errors.js';

/** Delays in ns, 7-series -1 speed grade, rounded representative values (see docs/synth.md). */
export const DELAY_MODEL = {
  speedGrade: '-1',
  /** Routing: every general-fabric net costs `netBase + netPerFanoutDoubling * log2(fanout)`. */
  netBase: 0.35,
  netPerFanoutDoubling: 0.05,
  /** Slice flip-flop clock-to-Q and setup times (D, CE, synchronous set/reset). */
  ffClkToQ: 0.45,
  ffSetupD: 0.1,
  ffSetupCE: 0.3,
  ffSetupSR: 0.4,
  /** LUT1..LUT6 input to output. */
  lut: 0.12,
  /** MUXF7 / MUXF8 data input to output, select to output (LUT→MUXF7→MUXF8 connections are dedicated). */
  muxfData: 0.3,
  muxfSelect: 0.35,
  /** CARRY4: S/DI input into the chain, carry propagation per bit (≈0.11 ns per CARRY4), sum output XOR. */
  carryEntry: 0.35,
  carryPerBit: 0.0275,
  carrySumOut: 0.15,
  /** Distributed RAM: address to data out (read is combinational), write-port setup. */
  lutramRead: 0.25,
  lutramWriteSetup: 0.5,
  /** SRL16E / SRLC32E: clock to Q (slower than a flip-flop), address to Q, data/CE setup. */
  srlClkToQ: 1.1,
  srlAddr: 0.3,
  srlSetup: 0.1,
  /** Block RAM (RAMB18E1/RAMB36E1): clock to data out without / with the optional output register, input setup. */
  bramClkToOut: 2.1,
  bramClkToOutReg: 0.85,
  bramSetup: 0.5,
  /**
   * DSP48E1: pipeline register clock-to-out, setup of the external inputs, setup of the internal pipeline
   * registers, and the pre-adder / multiplier / ALU stage delays. Calibrated so a fully pipelined multiply
   * (AREG/BREG→MREG→PREG) comes to ≈ 2.15 ns ≈ 464 MHz, the -1 DSP48E1 maximum frequency of the data sheet.
   */
  dspClkToOut: 0.33,
  dspSetup: 0.35,
  dspInternalSetup: 0.17,
  dspPreAdder: 0.9,
  dspMultiplier: 1.65,
  dspMultBypass: 0.6,
  dspAlu: 1.5,
  dspOutput: 0.4,
} as const;

export type DelayModel = typeof DELAY_MODEL;

export interface PathStep {
  /** Cell instance name in the netlist (or port name for a top-level port). */
  cell: string;
  type: string;
  /** Public net name driven by this step, when there is one (helps to find the place in the RTL). */
  net?: string;
  /** Arrival time after this step, ns from the launching clock edge (estimate). */
  at: number;
  /** Register configuration of DSP48E1 / block RAM steps (e.g. "AREG=1 BREG=1 MREG=1 PREG=1"). */
  config?: string;
}

export interface TimingEstimate {
  /** Logic levels on the critical register-to-register path (LUT, CARRY4, MUXF7/8, LUTRAM read, DSP stage). */
  levels: number;
  breakdown: { lut: number; carry4: number; muxf: number; lutram: number; dsp: number };
  /** What launches and what captures the critical path (e.g. FDRE → FDRE, RAMB18E1 → DSP48E1). */
  startType: string | null;
  endType: string | null;
  /** Cell names along the critical path, launch first, capture last. */
  path: string[];
  steps: PathStep[];
  /** Estimated critical path delay (ns) and fmax (MHz); null when the design has no register-to-register path. */
  estPeriodNs: number | null;
  estFmaxMHz: number | null;
  label: 'estimate (post-synthesis, no P&R)';
  model: string;
  notes: string[];
}

// ---- netlist JSON (yosys write_json) ----

type Bit = number | string;
interface NetCell {
  type: string;
  parameters?: Record<string, string | number>;
  port_directions?: Record<string, 'input' | 'output' | 'inout'>;
  connections: Record<string, Bit[]>;
}
interface NetModule {
  ports?: Record<string, { direction: 'input' | 'output' | 'inout'; bits: Bit[] }>;
  cells?: Record<string, NetCell>;
  netnames?: Record<string, { hide_name?: number; bits: Bit[] }>;
}
interface Netlist {
  modules: Record<string, NetModule>;
}

/** An integer cell parameter: write_json gives binary strings ("0001"), or numbers with -compat-int. */
function intParam(cell: NetCell, name: string, dflt: number): number {
  const v = cell.parameters?.[name];
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (/^[01]+$/.test(v)) return parseInt(v, 2);
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  return dflt;
}
function strParam(cell: NetCell, name: string, dflt: string): string {
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
const BRAM_TYPES = new Set(['RAMB18E1', 'RAMB36E1']);
const CLOCK_PINS = new Set(['C', 'CLK', 'WCLK', 'CLKARDCLK', 'CLKBWRCLK', 'G']);
const IGNORED_TYPES = new Set(['BUFG', 'BUFGCTRL', 'BUFH', 'IBUF', 'OBUF', 'IOBUF', 'OBUFT', 'GND', 'VCC', 'IBUFG']);

type Kind = 'lut' | 'carry4' | 'muxf' | 'lutram' | 'dsp' | 'launch' | 'port';

interface Arrival {
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

const NEG = -Infinity;

/**
 * Estimate the register-to-register critical path of module `top` in a yosys JSON netlist
 * (`write_json` after `synth_xilinx -flatten`). Top-level inputs and outputs are not timed (unconstrained I/O).
 */
export function estimateTiming(netlist: unknown, top: string, model: DelayModel = DELAY_MODEL): TimingEstimate {
  const nl = netlist as Netlist;
  if (!nl || typeof nl !== 'object' || !nl.modules) fail('netlist', 'not a yosys write_json netlist (no "modules")');
  const mod = nl.modules[top];
  if (!mod) fail('netlist', `no module '${top}' (have ${Object.keys(nl.modules).join(', ')})`);
  const cells = mod.cells ?? {};
  const notes: string[] = [];

  // ---- connectivity ----
  const drivers = new Map<string, Driver>();
  const sinks = new Map<string, Sink[]>();
  const key = (b: Bit) => String(b);
  const isNet = (b: Bit) => typeof b === 'number';
  for (const [pname, p] of Object.entries(mod.ports ?? {})) {
    if (p.direction === 'input') p.bits.forEach((b, i) => isNet(b) && drivers.set(key(b), { cell: null, port: pname, index: i }));
  }
  const dirOf = (cell: NetCell, port: string): 'input' | 'output' | 'inout' => {
    const d = cell.port_directions?.[port];
    if (d) return d;
    return /^(O|Q|P|CO|DO|PCOUT|ACOUT|BCOUT|CARRYOUT|CARRYCASCOUT|MULTSIGNOUT|SPO|DPO|Q31|DOA|DOB|DOC|DOD)/.test(port) ? 'output' : 'input';
  };
  const unknownTypes = new Set<string>();
  for (const [cname, cell] of Object.entries(cells)) {
    for (const [port, bits] of Object.entries(cell.connections)) {
      const dir = dirOf(cell, port);
      bits.forEach((b, i) => {
        if (!isNet(b)) return;
        if (dir === 'output') drivers.set(key(b), { cell: cname, port, index: i });
        else if (dir === 'input') {
          const list = sinks.get(key(b));
          if (list) list.push({ cell: cname, port, index: i });
          else sinks.set(key(b), [{ cell: cname, port, index: i }]);
        }
      });
    }
  }
  const fanout = (b: string) => sinks.get(b)?.length ?? 1;

  // Public net names for the report.
  const netName = new Map<string, string>();
  for (const [n, info] of Object.entries(mod.netnames ?? {})) {
    if (info.hide_name) continue;
    info.bits.forEach((b, i) => {
      if (isNet(b) && !netName.has(key(b))) netName.set(key(b), info.bits.length > 1 ? `${n}[${i}]` : n);
    });
  }

  // ---- routing ----
  const dedicated = (drv: Driver, sinkCell: NetCell, sinkPort: string, b: string): boolean => {
    if (drv.cell === null) return false;
    const dType = cells[drv.cell]!.type;
    const sType = sinkCell.type;
    if (dType === 'CARRY4' && drv.port === 'CO' && sType === 'CARRY4' && sinkPort === 'CI') return true;
    if (/^LUT[1-6]$/.test(dType) && sType === 'MUXF7' && (sinkPort === 'I0' || sinkPort === 'I1')) return true;
    if (dType === 'MUXF7' && sType === 'MUXF8' && (sinkPort === 'I0' || sinkPort === 'I1')) return true;
    if (/^LUT[1-6]$/.test(dType) && sType === 'CARRY4' && (sinkPort === 'S' || sinkPort === 'DI') && fanout(b) === 1) return true;
    if (dType === 'DSP48E1' && sType === 'DSP48E1' && /COUT$|CASCOUT$|^MULTSIGNOUT$/.test(drv.port)) return true;
    if (BRAM_TYPES.has(dType) && BRAM_TYPES.has(sType) && /^CASCADEOUT/.test(drv.port)) return true;
    if (SRL_TYPES.has(dType) && drv.port === 'Q31' && SRL_TYPES.has(sType)) return true;
    return false;
  };
  const route = (b: string, sinkCell: NetCell, sinkPort: string): number => {
    const drv = drivers.get(b);
    if (!drv) return 0;
    if (dedicated(drv, sinkCell, sinkPort, b)) return 0;
    return model.netBase + model.netPerFanoutDoubling * Math.log2(Math.max(1, fanout(b)));
  };

  // ---- arrival times at output bits (memoized DFS) ----
  const arrival = new Map<string, Arrival>();
  const inProgress = new Set<string>();
  const dspMemo = new Map<string, { out: Arrival; pcout: Arrival }>();
  let loopSeen = false;

  /** Arrival at the sink pin (cell, port, index): driver arrival plus routing. */
  const pinArrival = (cname: string, port: string, index: number): { t: number; from: string | null } => {
    const cell = cells[cname]!;
    const b = cell.connections[port]?.[index];
    if (b === undefined || !isNet(b)) return { t: NEG, from: null };
    const k = key(b);
    const a = outArrival(k);
    if (a.t === NEG) return { t: NEG, from: null };
    return { t: a.t + route(k, cell, port), from: k };
  };

  /** Best arrival over all bits of the listed input ports, plus `delay`. */
  const through = (cname: string, ports: string[], delay: (port: string, index: number) => number | null):
    { t: number; from: string | null } => {
    const cell = cells[cname]!;
    let best = { t: NEG, from: null as string | null };
    for (const port of ports) {
      const bits = cell.connections[port];
      if (!bits) continue;
      for (let i = 0; i < bits.length; i++) {
        const d = delay(port, i);
        if (d === null) continue;
        const a = pinArrival(cname, port, i);
        if (a.t + d > best.t) best = { t: a.t + d, from: a.from };
      }
    }
    return best;
  };

  const launch = (cname: string, t: number): Arrival => ({ t, prev: null, cell: cname, kind: 'launch' });

  const evalDsp = (cname: string): { out: Arrival; pcout: Arrival } => {
    const memo = dspMemo.get(cname);
    if (memo) return memo;
    const cell = cells[cname]!;
    const reg = (p: string, d: number) => intParam(cell, p, d) > 0;
    const useD = strParam(cell, 'USE_DPORT', 'FALSE') === 'TRUE';
    const useMult = strParam(cell, 'USE_MULT', 'MULTIPLY') !== 'NONE';
    const aReg = reg('AREG', 1);
    const bReg = reg('BREG', 1);
    const dReg = reg('DREG', 1);
    const adReg = reg('ADREG', 1);
    const mReg = reg('MREG', 1);
    const pReg = reg('PREG', 1);
    const inmodeReg = reg('INMODEREG', 1);
    // Stage 1: into the pre-adder / multiplier.
    const comb = (ports: string[]) => through(cname, ports, () => 0);
    const regOut = { t: model.dspClkToOut, from: null as string | null };
    const max = (...xs: { t: number; from: string | null }[]) => xs.reduce((a, b) => (b.t > a.t ? b : a), { t: NEG, from: null });
    const aIn = aReg ? regOut : comb(['A', 'ACIN']);
    const bIn = bReg ? regOut : comb(['B', 'BCIN']);
    const dIn = useD ? (dReg ? regOut : comb(['D'])) : { t: NEG, from: null };
    const inmode = inmodeReg ? regOut : comb(['INMODE']);
    let multIn = max(aIn, bIn, inmode);
    if (useD) {
      const pre = max(aIn, dIn, inmode);
      const preOut = { t: pre.t + model.dspPreAdder, from: pre.from };
      multIn = max(adReg ? regOut : preOut, bIn);
      if (adReg) internalEndpoint(cname, preOut, model.dspInternalSetup, 'ADREG');
    }
    const multOut = { t: multIn.t + (useMult ? model.dspMultiplier : model.dspMultBypass), from: multIn.from };
    let aluFromM = multOut;
    if (mReg && useMult) {
      internalEndpoint(cname, multOut, model.dspInternalSetup, 'MREG');
      aluFromM = regOut;
    }
    // Stage 2: ALU (C, PCIN, control inputs join here).
    const ctl = (port: string, regParam: string) => (reg(regParam, 1) ? regOut : comb([port]));
    const cIn = ctl('C', 'CREG');
    const aluIn = max(aluFromM, cIn, comb(['PCIN', 'CARRYCASCIN', 'MULTSIGNIN']), ctl('OPMODE', 'OPMODEREG'),
      ctl('ALUMODE', 'ALUMODEREG'), ctl('CARRYIN', 'CARRYINREG'), ctl('CARRYINSEL', 'CARRYINSELREG'));
    const aluOut = { t: aluIn.t + model.dspAlu, from: aluIn.from };
    let out: Arrival;
    if (pReg) {
      internalEndpoint(cname, aluOut, model.dspInternalSetup, 'PREG');
      out = launch(cname, model.dspClkToOut);
    } else {
      out = { t: aluOut.t + model.dspOutput, prev: aluOut.from, cell: cname, kind: 'dsp' };
      if (aluOut.t === NEG) out.t = NEG;
    }
    const res = { out, pcout: out };
    dspMemo.set(cname, res);
    return res;
  };

  const evalOutput = (b: string, drv: Driver): Arrival => {
    if (drv.cell === null) return { t: NEG, prev: null, cell: drv.port, kind: 'port' }; // top-level input: not timed
    const cname = drv.cell;
    const cell = cells[cname]!;
    const t = cell.type;
    const lutM = /^LUT([1-6])$/.exec(t);
    const mk = (r: { t: number; from: string | null }, kind: Kind): Arrival =>
      ({ t: r.t, prev: r.from, cell: cname, kind });
    if (FF_TYPES.has(t)) return launch(cname, model.ffClkToQ);
    if (LATCH_TYPES.has(t)) {
      notes.push(`latch ${cname} (${t}) timed as a flip-flop`);
      return launch(cname, model.ffClkToQ);
    }
    if (lutM) return mk(through(cname, Object.keys(cell.connections).filter((p) => /^I\d$/.test(p)), () => model.lut), 'lut');
    if (t === 'MUXF7' || t === 'MUXF8') {
      return mk(through(cname, ['I0', 'I1', 'S'], (p) => (p === 'S' ? model.muxfSelect : model.muxfData)), 'muxf');
    }
    if (t === 'CARRY4') {
      const j = drv.index;
      const isSum = drv.port === 'O';
      const r = through(cname, ['S', 'DI', 'CI', 'CYINIT'], (p, i) => {
        if (p === 'S' || p === 'DI') {
          if (i > j || (p === 'DI' && isSum && i === j)) return null;
          return model.carryEntry + model.carryPerBit * (j - i) + (isSum ? model.carrySumOut : 0);
        }
        // CI / CYINIT enter below bit 0.
        return model.carryPerBit * (isSum ? j : j + 1) + (isSum ? model.carrySumOut : 0);
      });
      return mk(r, 'carry4');
    }
    if (t === 'DSP48E1') {
      const { out } = evalDsp(cname);
      return out;
    }
    if (BRAM_TYPES.has(t)) {
      const port = drv.port;
      const sideB = /^DO(P)?B/.test(port);
      const regd = intParam(cell, sideB ? 'DOB_REG' : 'DOA_REG', 0) > 0;
      return launch(cname, regd ? model.bramClkToOutReg : model.bramClkToOut);
    }
    if (LUTRAM_TYPES.has(t)) {
      const readPorts = Object.keys(cell.connections).filter((p) => /^(ADDR|A\d|A$|DPRA)/.test(p));
      return mk(through(cname, readPorts, () => model.lutramRead), 'lutram');
    }
    if (SRL_TYPES.has(t)) {
      // Output = clocked shift-register contents (launch) or, via the address mux, a combinational path.
      const viaAddr = through(cname, ['A', 'A0', 'A1', 'A2', 'A3'], () => model.srlAddr);
      if (viaAddr.t > model.srlClkToQ && drv.port !== 'Q31') return mk(viaAddr, 'lutram');
      return launch(cname, model.srlClkToQ);
    }
    if (IGNORED_TYPES.has(t)) return { t: NEG, prev: null, cell: cname, kind: 'port' };
    if (!unknownTypes.has(t)) {
      unknownTypes.add(t);
      notes.push(`cell type ${t} has no delay model: its outputs start no timed path`);
    }
    return { t: NEG, prev: null, cell: cname, kind: 'port' };
  };

  function outArrival(b: string): Arrival {
    const memo = arrival.get(b);
    if (memo) return memo;
    const drv = drivers.get(b);
    if (!drv) return { t: NEG, prev: null, cell: '', kind: 'port' };
    if (inProgress.has(b)) {
      if (!loopSeen) notes.push(`combinational loop through net ${netName.get(b) ?? b}: loop not timed`);
      loopSeen = true;
      return { t: NEG, prev: null, cell: '', kind: 'port' };
    }
    inProgress.add(b);
    const a = evalOutput(b, drv);
    inProgress.delete(b);
    arrival.set(b, a);
    return a;
  }

  // ---- endpoints ----
  interface End { t: number; from: string | null; cell: string; stage?: string }
  let worst: End = { t: NEG, from: null, cell: '' };
  function internalEndpoint(cname: string, at: { t: number; from: string | null }, setup: number, stage: string): void {
    if (at.t === NEG) return;
    if (at.t + setup > worst.t) worst = { t: at.t + setup, from: at.from, cell: cname, stage };
  }
  const endpoint = (cname: string, port: string, index: number, setup: number): void => {
    const a = pinArrival(cname, port, index);
    if (a.t === NEG) return;
    if (a.t + setup > worst.t) worst = { t: a.t + setup, from: a.from, cell: cname };
  };

  // Evaluate arrivals in dependency order first (iterative DFS), so the recursive evaluation above only ever
  // finds memoized inputs: deep logic cannot overflow the JS stack.
  const depsOf = (b: string): string[] => {
    const drv = drivers.get(b);
    if (!drv || drv.cell === null) return [];
    const cell = cells[drv.cell]!;
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
  };
  {
    const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
    for (const root of drivers.keys()) {
      if (state.has(root)) continue;
      const stack: { b: string; deps: string[]; i: number }[] = [{ b: root, deps: depsOf(root), i: 0 }];
      state.set(root, 1);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        if (top.i < top.deps.length) {
          const d = top.deps[top.i++]!;
          if (!state.has(d) && drivers.has(d)) {
            state.set(d, 1);
            stack.push({ b: d, deps: depsOf(d), i: 0 });
          }
        } else {
          stack.pop();
          state.set(top.b, 2);
          outArrival(top.b);
        }
      }
    }
  }

  for (const [cname, cell] of Object.entries(cells)) {
    const t = cell.type;
    const ports = Object.keys(cell.connections).filter((p) => dirOf(cell, p) === 'input' && !CLOCK_PINS.has(p));
    const each = (ps: string[], setup: (p: string) => number) => {
      for (const p of ps) for (let i = 0; i < cell.connections[p]!.length; i++) endpoint(cname, p, i, setup(p));
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
      evalDsp(cname); // registers internal MREG/PREG endpoints
    }
  }

  // ---- critical path reconstruction ----
  const steps: PathStep[] = [];
  const breakdown = { lut: 0, carry4: 0, muxf: 0, lutram: 0, dsp: 0 };
  let startType: string | null = null;
  const endType = worst.cell ? cells[worst.cell]!.type : null;
  if (worst.t !== NEG) {
    const chain: { cell: string; net: string; at: number; kind: Kind }[] = [];
    let cur = worst.from;
    const seen = new Set<string>();
    while (cur !== null && !seen.has(cur)) {
      seen.add(cur);
      const a = arrival.get(cur)!;
      chain.push({ cell: a.cell, net: cur, at: a.t, kind: a.kind });
      cur = a.prev;
    }
    chain.reverse();
    let lastCarry = '';
    for (const c of chain) {
      // Consecutive bits through the same cell (a CARRY4's carry bits) show once.
      const prev = steps[steps.length - 1];
      if (prev && prev.cell === c.cell) {
        prev.at = c.at;
        prev.net = netName.get(c.net) ?? prev.net;
        continue;
      }
      steps.push({ cell: c.cell, type: cells[c.cell]?.type ?? 'port', net: netName.get(c.net), at: round(c.at) });
      if (c.kind === 'lut') breakdown.lut++;
      else if (c.kind === 'carry4' && c.cell !== lastCarry) breakdown.carry4++;
      else if (c.kind === 'muxf') breakdown.muxf++;
      else if (c.kind === 'lutram') breakdown.lutram++;
      else if (c.kind === 'dsp') breakdown.dsp++;
      if (c.kind === 'carry4') lastCarry = c.cell;
    }
    for (const s of steps) s.at = round(s.at);
    startType = steps[0]?.type ?? endType;
    if (steps.length === 0 || steps[steps.length - 1]!.cell !== worst.cell) {
      // Name the capture register by the public net it drives (e.g. s_q[31]).
      const endCell = cells[worst.cell]!;
      let endNet: string | undefined;
      for (const [p, bits] of Object.entries(endCell.connections)) {
        if (dirOf(endCell, p) !== 'output') continue;
        endNet = bits.map((b) => netName.get(key(b))).find((n) => n !== undefined);
        if (endNet) break;
      }
      steps.push({ cell: worst.cell, type: endType ?? '', ...(endNet ? { net: endNet } : {}), at: round(worst.t) });
    } else {
      steps[steps.length - 1]!.at = round(worst.t);
    }
    if (endType === 'DSP48E1' && steps.length === 1) notes.push('critical path is inside a DSP48E1 (between its pipeline registers)');
  }
  for (const s of steps) {
    const cell = cells[s.cell];
    if (!cell) continue;
    if (cell.type === 'DSP48E1') {
      s.config = ['AREG', 'BREG', 'CREG', 'MREG', 'PREG'].map((p) => `${p}=${intParam(cell, p, 1)}`).join(' ') +
        (strParam(cell, 'USE_DPORT', 'FALSE') === 'TRUE' ? ` DREG=${intParam(cell, 'DREG', 1)} ADREG=${intParam(cell, 'ADREG', 1)}` : '');
    } else if (BRAM_TYPES.has(cell.type)) {
      s.config = `DOA_REG=${intParam(cell, 'DOA_REG', 0)} DOB_REG=${intParam(cell, 'DOB_REG', 0)}`;
    }
  }
  const last = steps[steps.length - 1];
  if (last && worst.stage) {
    last.config = `${last.config ? `${last.config}; ` : ''}captured in ${worst.stage}`;
    delete last.net; // the DSP's P output is not where this path ends
  }
  const period = worst.t === NEG ? null : round(worst.t);
  if (period === null) notes.push('no register-to-register path: fmax not estimated (I/O paths are not timed)');
  return {
    levels: breakdown.lut + breakdown.carry4 + breakdown.muxf + breakdown.lutram + breakdown.dsp,
    breakdown,
    startType,
    endType,
    path: steps.map((s) => s.cell),
    steps,
    estPeriodNs: period,
    estFmaxMHz: period === null ? null : Math.round((1000 / period) * 10) / 10,
    label: 'estimate (post-synthesis, no P&R)',
    model: `7-series ${model.speedGrade} speed grade delay model (docs/synth.md); uniform net delay, no placement`,
    notes,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
