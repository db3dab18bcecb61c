/**
 * Cycle model of a VitProgram (lower.ts) on a board: the core's jobs (linears, per-head attention) through the core's
 * cycle model (core/cycle-model.ts: overlapped loading, a DDR bound per job), the nonlinear unit's steps through its
 * exact cycle formula (ivit/rtl/cycles.ts, checked in Verilator) with a DDR bound on its streams, host steps (gather,
 * position embedding, residual add) as their DDR traffic only. Steps run one after the other (each needs the one
 * before it). `nlLanes` is the nonlinear vector's lane count (ivit/rtl/vec.ts: P units row-parallel, built and
 * checked in Verilator; 1 = the single unit); `nlBytesIn` / `nlBytesOut` other than 4 / 2 are PROJECTIONS of a stream
 * format not built (the bench labels them).
 */
import type { Board } from '../../board/index.js';
import { programJobs } from '../core/build.js';
import { programLatency } from '../core/cycle-model.js';
import type { Program } from '../core/compile.js';
import { lanes } from '../core/config.js';
import { NL_HDR_WORDS, type NlMode } from '../ivit/job.js';
import { nlModeJobCycles } from '../ivit/rtl/index.js';
import type { VitProgram, VitStep } from './lower.js';

export interface VitLatencyOptions {
  clockMHz: number;
  /** lanes of the nonlinear vector (rows in parallel; 1 = one unit) */
  nlLanes?: number;
  /** bytes per element of the unit's input and output streams (as built: a 32-bit s_in word in, a 16-bit m_out word out) */
  nlBytesIn?: number;
  nlBytesOut?: number;
}

export interface VitStepLatency {
  kind: VitStep['kind'];
  layer: string;
  cycles: number;
  ddrCycles: number;
  macs: number;
}

export interface VitLatency {
  clockMHz: number;
  ms: number;
  cycles: number;
  macs: number;
  /** cycles by kind: core (linears), runtime (attention heads), nl (per mode), host */
  byKind: Record<string, number>;
  /** the core jobs' lane use: all core-job MACs / (core-job cycles * N * lanes) */
  coreLaneUse: number;
  /** the same over the fixed lanes only (INT8 activations cannot enter the SP2 lanes of the presets) */
  fixedLaneUse: number;
  steps: VitStepLatency[];
}

const NL_MODE: Record<'layernorm' | 'softmax' | 'gelu', NlMode> = { layernorm: 'layernorm', softmax: 'shiftmax', gelu: 'shiftgelu' };

/** One nonlinear step: the unit's cycles (rows split over `units`) and its streams' DDR cycles. */
function nlStep(p: VitProgram, s: Extract<VitStep, { kind: 'nl' }>, o: VitLatencyOptions, bytesPerCycle: number): VitStepLatency {
  const mode = NL_MODE[s.mode];
  // ShiftGELU is elementwise: rows longer than the row buffer are cut into rows of maxLen
  const parts = mode === 'shiftgelu' ? Math.ceil(s.len / p.nl.maxLen) : 1;
  const n = Math.ceil(s.len / parts);
  const rows = s.rows * parts;
  const lanes = o.nlLanes ?? 1;
  // the vector's lanes run in lockstep: ceil(rows / lanes) rows each (padding rows move through DDR too)
  const perLane = Math.ceil(rows / lanes);
  const cycles = nlModeJobCycles(mode, perLane, n, p.nl);
  const bytes = lanes * (perLane * n * ((o.nlBytesIn ?? 4) + (o.nlBytesOut ?? 2)) + 4 * NL_HDR_WORDS + (mode === 'layernorm' ? 4 * n : 0));
  const ddrCycles = Math.ceil(bytes / bytesPerCycle);
  return { kind: 'nl', layer: `${s.layer} (${mode})`, cycles: Math.max(cycles, ddrCycles), ddrCycles, macs: 0 };
}

export function vitLatency(p: VitProgram, board: Pick<Board, 'ddr'>, o: VitLatencyOptions): VitLatency {
  const bytesPerCycle = (board.ddr.deratedGBps * 1e9) / (o.clockMHz * 1e6);
  const steps: VitStepLatency[] = [];
  let laneMacs = 0;
  let laneCycles = 0;
  for (const s of p.steps) {
    if (s.kind === 'core' || s.kind === 'runtime') {
      const jobs = programJobs(p.model, { jobs: s.jobs } as Pick<Program, 'jobs'> as Program);
      const lat = programLatency(jobs, p.cfg, board, { clockMHz: o.clockMHz });
      laneMacs += lat.macs;
      laneCycles += lat.cycles;
      const ddr = lat.jobs.reduce((a, j) => a + j.ddrCycles, 0);
      steps.push({ kind: s.kind, layer: s.kind === 'runtime' ? `${s.layer}.h${s.head}` : s.layer, cycles: lat.cycles, ddrCycles: ddr, macs: lat.macs });
    } else if (s.kind === 'nl') {
      steps.push(nlStep(p, s, o, bytesPerCycle));
    } else {
      // host: read the operand(s) and write the result through DDR (a lower bound: the ARM's own time is not modelled)
      const reads = s.op === 'add' ? 2 : 1;
      const ddrCycles = Math.ceil(((reads + 1) * s.elements) / bytesPerCycle);
      steps.push({ kind: 'host', layer: `${s.layer} (${s.op})`, cycles: ddrCycles, ddrCycles, macs: 0 });
    }
  }
  const cycles = steps.reduce((a, s) => a + s.cycles, 0);
  const byKind: Record<string, number> = {};
  for (const s of steps) {
    const k = s.kind === 'nl' ? `nl:${/\((\w+)\)$/.exec(s.layer)![1]}` : s.kind;
    byKind[k] = (byKind[k] ?? 0) + s.cycles;
  }
  const L = lanes(p.cfg);
  return {
    clockMHz: o.clockMHz, cycles, ms: cycles / (o.clockMHz * 1e3), macs: laneMacs, byKind,
    coreLaneUse: laneCycles ? laneMacs / (laneCycles * p.cfg.N * L) : 0,
    fixedLaneUse: laneCycles ? laneMacs / (laneCycles * p.cfg.N * p.cfg.Pf) : 0, steps,
  };
}
