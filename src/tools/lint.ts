/**
 * Lint helpers for generated Verilog: Verilator -Wall (zero warnings required), Icarus -g2005 elaboration, and a
 * yosys read (the yosys synthesis uses: system >= 0.40 or the embedded @yowasp/yosys). Other areas' tests call
 * these on their generated modules. A missing tool is a one-line UserError with the apt-get command (find.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './find.js';
import { findYosys, runYosysScript } from './yosys.js';

async function inTempDir<T>(files: Map<string, string>, fn: (dir: string, vfiles: string[]) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'accelforge-lint-'));
  try {
    for (const [name, text] of files) await writeFile(join(dir, name), text);
    const vfiles = [...files.keys()].filter((f) => f.endsWith('.v') || f.endsWith('.sv')).sort();
    return await fn(dir, vfiles);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface LintOptions {
  /**
   * Verilator warning codes to waive. Project modules must not use this; it exists for the random-expression test,
   * whose degenerate trees (x ^ x, ...) contain comparisons Verilator proves constant (UNSIGNED / CMPCONST).
   */
  allow?: string[];
}

/**
 * Run `verilator --lint-only -Wall` and `iverilog -g2005` on the files with `top` as top module. Throws an Error
 * holding the full diagnostics when either tool reports anything (warnings included).
 */
export async function lintVerilog(files: Map<string, string>, top: string, opts: LintOptions = {}): Promise<void> {
  await inTempDir(files, async (dir, vfiles) => {
    const problems: string[] = [];
    const waive = (opts.allow ?? []).map((w) => `-Wno-${w}`);
    const v = await runTool('verilator', ['--lint-only', '-Wall', ...waive, '--top-module', top, ...vfiles], { cwd: dir });
    if (v.exitCode !== 0 || v.all.trim() !== '') problems.push(`verilator --lint-only -Wall (exit ${v.exitCode}):\n${v.all}`);
    const i = await runTool('iverilog', ['-g2005', '-Wall', '-s', top, '-o', join(dir, 'a.vvp'), ...vfiles], { cwd: dir });
    const iout = i.all.split('\n').filter((l) => l.trim() !== '' && !/timescale/.test(l)).join('\n');
    if (i.exitCode !== 0 || iout !== '') problems.push(`iverilog -g2005 (exit ${i.exitCode}):\n${i.all}`);
    if (problems.length) {
      // quote the offending source lines (iverilog does not)
      const quoted = new Set<string>();
      for (const m of problems.join('\n').matchAll(/([\w.-]+\.v):(\d+)/g)) {
        const text = files.get(m[1]!)?.split('\n')[Number(m[2]) - 1];
        if (text !== undefined && quoted.size < 8) quoted.add(`${m[1]}:${m[2]}: ${text.trim()}`);
      }
      throw new Error(`lint of ${top} failed:\n${problems.join('\n')}\nsource:\n${[...quoted].join('\n')}`);
    }
  });
}

/** Read the files in yosys and run `hierarchy -check -top top; proc; check -assert`; throws with the log. */
export async function yosysRead(files: Map<string, string>, top: string): Promise<void> {
  const vfiles = [...files.keys()].filter((f) => f.endsWith('.v')).sort();
  const script = `read_verilog ${vfiles.join(' ')}\nhierarchy -check -top ${top}\nproc\ncheck -assert\n`;
  try {
    await runYosysScript(files, script, [], await findYosys());
  } catch (e) {
    throw new Error(`yosys read of ${top} failed:\n${(e as Error).message}`);
  }
}
