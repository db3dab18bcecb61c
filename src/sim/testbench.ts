/**
 * A self-checking Icarus testbench folder for a streaming design, written next to generated RTL so a user can re-run
 * the proof with nothing but Icarus: `iverilog -g2005 -o tb.vvp *.v && vvp tb.vvp` prints PASS or FAIL.
 *
 * It is the harness's own Icarus testbench (templates/sim/afsim_tb.v.hbs, one generator for both) with file names
 * of its own: every input stream is fed from `<name>.hex`, every output stream is checked beat by beat (data, and
 * tlast/tuser where the expected beat gives them) against `<name>.expected.hex`, with the harness's seeded random
 * valid/ready stalls on every stream and its AXI4-Stream hold-rule checks. Beat files hold one beat a line:
 * `data last user` in hex (expected: `data lastMode userMode user`, see docs/sim.md).
 */
import { fail } from '../util/errors.js';
import { genTestbench, genWrapper, WRAPPER_MODULE, type TbFiles } from './gen.js';
import { runInputs } from './plan.js';
import type { RunOptions, SimDesign } from './types.js';

export interface TestbenchFolder {
  /** File name -> text: the testbench, the wrapper, its configuration and the beat files (not the design's files). */
  files: Map<string, string>;
  /** File name of the testbench. */
  testbench: string;
}

/** File names of a standalone folder for design `top`. */
export function standaloneFiles(top: string): TbFiles {
  return {
    cfg: `tb_${top}.cfg`,
    status: `tb_${top}.status`,
    input: (s) => `${s.name}.hex`,
    expected: (s) => `${s.name}.expected.hex`,
    output: (s) => `${s.name}.received.txt`,
  };
}

/**
 * The testbench folder of one run: `opts` as for runStreams (inputs, expected beats for every output stream,
 * validProb / readyProb stalls, seed, maxCycles), checked the same way before anything is written.
 */
export function testbenchFolder(design: SimDesign, opts: RunOptions): TestbenchFolder {
  for (const s of design.streams) {
    if (s.dir === 'out' && !opts.expected?.[s.name]) fail(`expected.${s.name}`, 'missing: a standalone testbench checks every output stream against its expected beats');
  }
  const { cfg, stim } = runInputs(design, opts, false);
  const names = standaloneFiles(design.top);
  const testbench = `tb_${design.top}.v`;
  const files = new Map<string, string>([
    [testbench, genTestbench(design, names)],
    [`${WRAPPER_MODULE}.v`, genWrapper(design)],
    [names.cfg, cfg],
  ]);
  design.streams.forEach((s, k) => files.set(s.dir === 'in' ? names.input(s, k) : names.expected(s, k), stim[k]!));
  return { files, testbench };
}
