import type { BothResult, RunOptions, RunResult, SimDesign, SimulatorName } from './types.js';

/** Run one simulation. (Implementation in progress.) */
export async function runStreams(_design: SimDesign, _opts: RunOptions): Promise<RunResult> {
  throw new Error('sim harness: runStreams is being implemented');
}

/** Run Verilator and Icarus with the same seed and demand identical outputs (data and cycle). */
export async function runBoth(_design: SimDesign, _opts: Omit<RunOptions, 'sim'>): Promise<BothResult> {
  throw new Error('sim harness: runBoth is being implemented');
}

/** Versions of the simulators found on PATH (undefined when missing). */
export async function simulatorVersions(): Promise<Partial<Record<SimulatorName, string>>> {
  return {};
}
