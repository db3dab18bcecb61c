/**
 * A SimDesign from a built HDL module: the streams are the bundles the module registered (m.streams, declared with
 * axisSlave / axisMaster), every other input is a static configuration input, the files are its emitted Verilog and
 * the port list comes from the module (the harness does not scan the Verilog).
 */
import { clockPorts, emitVerilog, type Module } from '../hdl/index.js';
import { SimError, type SimDesign } from './types.js';

/** `files`: the emitted Verilog when the caller already has it (default: emitVerilog(m)). */
export function moduleDesign(m: Module, files?: Map<string, string>): SimDesign {
  const keep = m.streams.find((s) => s.keepWidth !== undefined);
  if (keep) throw new SimError('build', `${m.name}: stream ${keep.name} has tkeep, which the simulation harness does not drive; simulate a variant without tkeep`);
  const inStream = new Set(m.streams.flatMap((s) => ['tdata', 'tvalid', 'tready', 'tlast', 'tuser', 'tkeep'].map((x) => `${s.name}_${x}`)));
  const constInputs: Record<string, { width: number }> = {};
  for (const s of m.signals) if (s.kind === 'input' && !inStream.has(s.name)) constInputs[s.name] = { width: s.width };
  const c = clockPorts(m);
  return {
    top: m.name,
    files: files ?? emitVerilog(m),
    streams: m.streams.map((s) => ({ name: s.name, dir: s.dir, dataWidth: s.dataWidth, last: s.last, ...(s.userWidth !== undefined ? { userWidth: s.userWidth } : {}) })),
    constInputs,
    clock: c.clock,
    reset: c.reset,
    ports: modulePorts(m),
  };
}

/** Every port of a built module with its direction (clock and reset included): SimDesign.ports. */
export function modulePorts(m: Module): Record<string, 'input' | 'output'> {
  const c = clockPorts(m);
  const ports: Record<string, 'input' | 'output'> = {};
  if (c.hasClock) ports[c.clock] = 'input';
  if (c.hasReset) ports[c.reset] = 'input';
  for (const s of m.signals) if (s.kind === 'input' || s.kind === 'output') ports[s.name] = s.kind;
  return ports;
}
