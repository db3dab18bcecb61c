/**
 * Register-to-register timing ESTIMATE from a synthesized 7-series netlist (yosys `write_json`).
 *
 * There is no placement or routing here: every net gets the same modelled routing delay (plus a small fanout
 * term), so the figure is an estimate of the order of magnitude of post-route fmax, useful to compare design
 * variants and to spot deep logic — never a timing-closure result. The delay model is `DELAY_MODEL` below and
 * is documented, with its sources and limits, in docs/synth.md.
 */
import { fail } from '../util/errors.js';
import { BRAM_TYPES, NEG, TimingGraph, dirOf, intParam, key, strParam, type Kind, type Netlist } from './timing-graph.js';

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

/**
 * Estimate the register-to-register critical path of module `top` in a yosys JSON netlist
 * (`write_json` after `synth_xilinx -flatten`). Top-level inputs and outputs are not timed (unconstrained I/O).
 */
export function estimateTiming(netlist: unknown, top: string, model: DelayModel = DELAY_MODEL): TimingEstimate {
  const nl = netlist as Netlist;
  if (!nl || typeof nl !== 'object' || !nl.modules) fail('netlist', 'not a yosys write_json netlist (no "modules")');
  const mod = nl.modules[top];
  if (!mod) fail('netlist', `no module '${top}' (have ${Object.keys(nl.modules).join(', ')})`);
  const notes: string[] = [];
  const g = new TimingGraph(mod, model, notes);
  g.evaluateAll();
  g.collectEndpoints();
  const { steps, breakdown, startType, endType } = criticalPath(g, notes);
  const worst = g.worst;
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

/** The worst path, launch to capture, with its logic-level breakdown (consecutive bits of one cell shown once). */
function criticalPath(g: TimingGraph, notes: string[]): { steps: PathStep[]; breakdown: TimingEstimate['breakdown']; startType: string | null; endType: string | null } {
  const { cells, netName, arrival, worst } = g;
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
  return { steps, breakdown, startType, endType };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
