/**
 * Types of the simulation harness. A design is plain Verilog text whose top module has `clk`, `rst` (synchronous,
 * active-high), any number of AXI4-Stream ports named by prefix (`<p>_tdata`, `<p>_tvalid`, `<p>_tready`, optional
 * `<p>_tlast`, optional `<p>_tuser`) and optional static configuration inputs held constant for the whole run.
 * See docs/sim.md for the cycle-level contract.
 */
import type { StreamInfo } from '../hdl/meta.js';
import { UserError } from '../util/errors.js';

/**
 * One AXI4-Stream port of the top module, named by its prefix: the builder's StreamInfo (src/hdl/meta.ts, what
 * axisSlave / axisMaster register) without the parts the harness does not use. `name`: ports `<name>_tdata`,
 * `_tvalid`, `_tready`, ...; `dir` 'in': the DUT consumes it (tdata/tvalid/tlast/tuser are DUT inputs), 'out': the DUT
 * produces it; `dataWidth` any width >= 1 (> 64 is fine); `userWidth` absent = no tuser; `last` true = the port has
 * tlast.
 */
export type StreamSpec = Pick<StreamInfo, 'name' | 'dir' | 'dataWidth' | 'userWidth'> & { last?: boolean };

/** One stream transfer. `data` and `user` are unsigned (use toUnsigned() for two's-complement values). */
export interface Beat {
  data: bigint;
  last?: boolean;
  user?: bigint;
}

/** A beat received from the DUT, stamped with the cycle of its handshake (cycle 0 = first cycle after reset). */
export interface TimedBeat extends Beat {
  cycle: number;
}

export interface SimDesign {
  /** Name of the top module. */
  top: string;
  /** Verilog sources: file name -> text. */
  files: Map<string, string>;
  /** The stream ports of `top`. */
  streams: StreamSpec[];
  /** Static configuration inputs of `top` (port name -> width), driven from RunOptions.constValues. */
  constInputs?: Record<string, { width: number }>;
  /** Clock port name (default 'clk'). */
  clock?: string;
  /** Synchronous active-high reset port name (default 'rst'). */
  reset?: string;
  /**
   * Every port of `top` with its direction (clock and reset included), as the generator knows them: modulePorts(m)
   * for a built module, the design manifest's streams and registers for a design folder, written out by hand for
   * hand-written Verilog. The harness checks the declared streams against this list; it never parses the Verilog.
   */
  ports: Record<string, 'input' | 'output'>;
}

export type SimulatorName = 'verilator' | 'icarus';

/** A probability (0 < p <= 1) for every stream, or per stream name (missing names use 1). */
export type StallProb = number | Record<string, number>;

export interface RunOptions {
  /** Beats to offer on every input stream (every 'in' stream must be present; [] is allowed). */
  inputs: Record<string, Beat[]>;
  /** Number of beats expected on every output stream. May be omitted when `expected` is given. */
  expect?: Record<string, number>;
  /**
   * For output streams whose beat count depends on the data: done after this many beats with tlast (the stream
   * must have tlast). Beats after the last counted tlast beat, within drainCycles, are an 'extra' error.
   */
  expectLast?: Record<string, number>;
  /** Expected beats per output stream: sets `expect` and checks the result with compareStreams (throws SimMismatch). */
  expected?: Record<string, Beat[]>;
  /** Values of the static configuration inputs (every constInput must be present). */
  constValues?: Record<string, bigint>;
  /** Simulator (default 'verilator'). */
  sim?: SimulatorName;
  /** Seed of the stall PRNG (default 1). The same seed gives the same stalls in both simulators. */
  seed?: number;
  /** Probability that a source offers a beat in a cycle when it has one (default 1 = no valid gaps). */
  validProb?: StallProb;
  /** Probability that a sink is ready in a cycle (default 1 = no back-pressure). */
  readyProb?: StallProb;
  /** Give up after this many cycles after reset (default: 10,000 + 20 x beats / (validProb x readyProb)). */
  maxCycles?: number;
  /** Cycles to keep running after the last expected beat; an extra beat in that time is an error (default 32). */
  drainCycles?: number;
  /** Cycles of reset at the start (default 4). */
  resetCycles?: number;
  /** Write a VCD of the run to this path (uses a separate, cached trace build). */
  vcd?: string;
}

export interface RunResult {
  /** Beats received per output stream, in order, with their handshake cycles. */
  outputs: Record<string, TimedBeat[]>;
  /** Cycles simulated after reset, including drain cycles. */
  cycles: number;
  /** Cycles from reset release until the last expected output beat, inclusive (last beat's cycle + 1). 0 if no beats expected. */
  cycleCount: number;
  /** Beats the DUT accepted per input stream. */
  consumed: Record<string, number>;
  /** Cycle of the last accepted beat per input stream (-1 if none). */
  lastInputCycle: Record<string, number>;
  /** Which simulator ran. */
  sim: SimulatorName;
  /** Time spent building (≈0 when the cached binary was used). */
  buildMs: number;
  /** Wall time of the simulation run (writing stimulus, simulating, reading responses). */
  runMs: number;
  /** Wall time of the simulator process alone (start-up, reading stimulus, simulating, writing responses). */
  simMs: number;
  /** Verilator only: CPU and wall time of the driver's clock loop alone (after reading stimulus), for speed figures. */
  loop?: { cpuMs: number; wallMs: number };
  /** true when the build came from the cache. */
  cached: boolean;
}

export interface BothResult {
  verilator: RunResult;
  icarus: RunResult;
  /** The (identical) outputs. */
  outputs: Record<string, TimedBeat[]>;
  cycles: number;
  cycleCount: number;
}

/** Kinds of simulation failure. */
export type SimErrorKind = 'build' | 'timeout' | 'protocol' | 'extra' | 'xvalue' | 'mismatch' | 'disagree' | 'tool';

/**
 * A simulation failure. Extends UserError so the CLI prints it as one line (the message names the stream, cycle
 * and what happened). Build failures keep the compiler's first error lines in `details`.
 */
export class SimError extends UserError {
  constructor(
    readonly kind: SimErrorKind,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** Output differs from the expected beats (or, for runBoth, Verilator differs from Icarus: kind 'disagree'). */
export class SimMismatch extends SimError {
  constructor(
    readonly stream: string,
    readonly index: number,
    readonly cycle: number | undefined,
    readonly expected: Beat | TimedBeat | undefined,
    readonly got: Beat | TimedBeat | undefined,
    message: string,
    kind: 'mismatch' | 'disagree' = 'mismatch',
  ) {
    super(kind, message);
    this.name = 'SimMismatch';
  }
}
