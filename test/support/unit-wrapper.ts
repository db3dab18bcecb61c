/**
 * The test scaffolding of the MSQ core's units (test/msq-core-lanes, test/msq-core-rqa): a wrapper module that
 * feeds the unit one step per beat of stream `s` (its inputs packed LSB first, always ready) and reports on stream
 * `o` (every cycle, or when the unit says so), the packing of a step into one tdata word, and the run on one
 * simulator or on both (Verilator and Icarus, which must agree beat for beat and cycle for cycle).
 */
import { emitVerilog, Module, type Operand, type Signal } from '../../src/hdl/index.js';
import { modulePorts, runBoth, runStreams, type RunOptions, type RunResult, type SimDesign } from '../../src/sim/index.js';

export interface UnitWrapperIo {
  /** the wrapper module: instantiate the unit in it */
  t: Module;
  /** s_tdata: the packed step */
  step: Signal;
  /** s_tvalid */
  valid: Signal;
}

/**
 * A SimDesign of wrapper `name` (`doc` its header comment) around a unit: `body` instantiates the unit and says
 * what leaves on `o` (`valid` absent: a beat every cycle).
 */
export function unitWrapper(
  name: string, doc: string, inWidth: number, outWidth: number, body: (io: UnitWrapperIo) => { data: Operand; valid?: Operand },
): SimDesign {
  const t = new Module(name, { doc });
  const step = t.input('s_tdata', inWidth);
  const valid = t.input('s_tvalid', 1);
  const ready = t.output('s_tready', 1);
  const oData = t.output('o_tdata', outWidth);
  const oValid = t.output('o_tvalid', 1);
  t.input('o_tready', 1).markUnused();
  const o = body({ t, step, valid });
  t.assign(ready, 1);
  t.assign(oValid, o.valid ?? 1);
  t.assign(oData, o.data);
  return {
    top: t.name,
    files: emitVerilog(t),
    streams: [
      { name: 's', dir: 'in', dataWidth: inWidth },
      { name: 'o', dir: 'out', dataWidth: outWidth },
    ],
    ports: modulePorts(t),
  };
}

/** Values packed LSB first, each as its low `width` bits (two's complement for negative values). */
export function packFields(fields: Iterable<readonly [value: number | bigint | boolean, width: number]>): bigint {
  let v = 0n;
  let at = 0n;
  for (const [x, w] of fields) {
    const n = typeof x === 'boolean' ? (x ? 1n : 0n) : BigInt(x);
    v |= (n & ((1n << BigInt(w)) - 1n)) << at;
    at += BigInt(w);
  }
  return v;
}

/** Verilator, or (`both`) Verilator and Icarus, which must agree: the Verilator result. */
export async function runUnit(design: SimDesign, opts: RunOptions, both = false): Promise<RunResult> {
  return both ? (await runBoth(design, opts)).verilator : runStreams(design, opts);
}
