/**
 * Shared test helpers for running Verilog directly (not through the harness): a generator's output folder with its
 * self-checking testbench in Icarus (`iverilog -g2005 -o tb.vvp *.v && vvp tb.vvp`, as its README tells a user), and
 * a hand-written testbench in Icarus or Verilator (--binary --timing) in a temporary folder. Tools come from
 * src/tools, so a missing simulator is a one-line error naming the apt-get command.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBinary, runTool } from '../../src/tools/find.js';
import { withTempDir } from './cli.js';

/** Compile every .v file of `dir` with Icarus and run it there; returns vvp's stdout. Throws with the log on a compile error. */
export async function runIcarusFolder(dir: string, opts: { top?: string; flags?: string[] } = {}): Promise<string> {
  const vfiles = (await readdir(dir)).filter((f) => f.endsWith('.v')).sort();
  const c = await runTool('iverilog', ['-g2005', ...(opts.flags ?? []), ...(opts.top ? ['-s', opts.top] : []), '-o', 'tb.vvp', ...vfiles], { cwd: dir });
  if (c.exitCode !== 0) throw new Error(`iverilog in ${dir} failed (exit ${c.exitCode}):\n${c.all}`);
  const r = await runTool('vvp', ['-n', 'tb.vvp'], { cwd: dir });
  if (r.exitCode !== 0) throw new Error(`vvp in ${dir} failed (exit ${r.exitCode}):\n${r.all}`);
  return r.stdout;
}

export type Simulator = 'icarus' | 'verilator';

/**
 * Write `files` (sources and data) to a temporary folder, simulate testbench module `top` with one simulator, and
 * return the folder's file `read` (default out.txt) as the testbench wrote it.
 */
export async function simulateTb(sim: Simulator, files: Map<string, string>, top = 'tb', read = 'out.txt'): Promise<string> {
  return withTempDir(`tb-${sim}`, async (dir) => {
    for (const [k, v] of files) await writeFile(join(dir, k), v);
    const vfiles = [...files.keys()].filter((f) => f.endsWith('.v')).sort();
    const ok = (r: { exitCode: number | undefined; all: string }, what: string): void => {
      if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}):\n${r.all}`);
    };
    if (sim === 'icarus') {
      ok(await runTool('iverilog', ['-g2005', '-s', top, '-o', 'sim.vvp', ...vfiles], { cwd: dir }), 'iverilog');
      ok(await runTool('vvp', ['-n', 'sim.vvp'], { cwd: dir }), 'vvp');
    } else {
      ok(await runTool('verilator', ['--binary', '--timing', '-Wno-fatal', '-Wno-lint', '-Wno-style', '--top-module', top, '-o', 'simv', '-CFLAGS', '-O0', ...vfiles], { cwd: dir }), 'verilator');
      ok(await runBinary(join(dir, 'obj_dir', 'simv'), [], { cwd: dir }), 'simv');
    }
    return readFile(join(dir, read), 'utf8');
  });
}

/** SimDesign.ports of a hand-written module: its input and output port names (space-separated), as its header has them. */
export function portDirs(inputs: string, outputs: string): Record<string, 'input' | 'output'> {
  const ports: Record<string, 'input' | 'output'> = {};
  for (const p of inputs.split(/\s+/).filter(Boolean)) ports[p] = 'input';
  for (const p of outputs.split(/\s+/).filter(Boolean)) ports[p] = 'output';
  return ports;
}
