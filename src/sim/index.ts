/**
 * accelforge simulation harness: drive a Verilog design's AXI4-Stream ports with seeded random stalls on Verilator
 * (compiled C++ driver, cached by content hash) or Icarus (generated testbench), in bulk through files.
 * See docs/sim.md.
 */
export type {
  StreamSpec,
  Beat,
  TimedBeat,
  SimDesign,
  SimulatorName,
  StallProb,
  RunOptions,
  RunResult,
  BothResult,
  SimErrorKind,
} from './types.js';
export { SimError, SimMismatch } from './types.js';
export { compareStreams } from './compare.js';
export { toUnsigned, toSigned, mask } from './bits.js';
export { runStreams, runBoth, compareRuns, simulatorVersions } from './run.js';
export { moduleDesign, modulePorts } from './design.js';
