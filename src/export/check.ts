/**
 * Checks an export folder can get without Vivado (run by `accelforge export` unless --no-check, and by the tests):
 *  - tcl:    build.tcl runs under tclsh with every Vivado command stubbed (recording its arguments); any command
 *            outside VIVADO_COMMANDS is an error; every acc/<pin> or acc/<interface> exists in the wrapper (its
 *            ports and interfaces as built, WrapperPorts); the module reference is the wrapper; every file added is
 *            inside the folder and exists; the clk_fpga_0 period check passes with the exported period;
 *  - lint:   verilator --lint-only -Wall on wrapper + core, no output allowed;
 *  - driver: driver.py compiles (python3 compile(), nothing written).
 * A missing tool makes its check 'skipped', never a pass.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, runTool } from '../tools/find.js';
import { VIVADO_COMMANDS } from './vivado.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  name: 'tcl' | 'lint' | 'driver';
  status: CheckStatus;
  detail: string;
}

/** Run a Tcl script (text) as if it were build.tcl in `dir`, with Vivado commands stubbed; returns the calls. */
export async function runTclStubbed(dir: string, tclText: string, opts: { periodNs?: string } = {}): Promise<string[][]> {
  const work = mkdtempSync(join(tmpdir(), 'af-tcl-'));
  try {
    const log = join(work, 'calls.log');
    // `info script` must point into `dir`, so the script is sourced from there under a name no export uses.
    const script = join(dir, '.under-test.tcl');
    writeFileSync(script, tclText);
    const returns: Record<string, string> = {
      create_bd_cell: 'return [lindex $args end]', get_bd_pins: 'return [lindex $args end]', get_bd_intf_pins: 'return [lindex $args end]',
      get_board_parts: 'return {}', make_wrapper: 'return system_wrapper.v', get_files: 'return [lindex $args end]',
      get_runs: 'return [lindex $args end]', current_project: 'return proj', current_fileset: 'return sources_1',
      get_property: `if {[lindex $args 0] eq "PROGRESS"} { return 100% } ; if {[lindex $args 0] eq "PERIOD"} { return ${opts.periodNs ?? '10.000'} } ; return /nonexistent/run`,
      version: 'return 2022.2', get_clocks: 'return [lindex $args end]',
    };
    const stubs = [
      `set ::logf [open {${log}} w]`,
      'proc log_call {name args} { puts $::logf [list $name {*}$args] }',
      ...VIVADO_COMMANDS.map((c) => `proc ${c} {args} { log_call ${c} {*}$args ; ${returns[c] ?? 'return {}'} }`),
      'proc unknown {name args} { error "not a Vivado command build.tcl may use: $name" }',
      'rename glob _glob',
      'proc glob {args} { return /fake/system.hwh }',
      'rename file _file',
      'proc file {sub args} { if {$sub eq "copy" || $sub eq "mkdir"} { log_call file_$sub {*}$args ; return } ; return [_file $sub {*}$args] }',
      `source {${script}}`,
      'close $::logf',
    ].join('\n');
    writeFileSync(join(work, 'run.tcl'), stubs);
    try {
      const r = await runTool('tclsh', [join(work, 'run.tcl')], { cwd: work });
      if (r.exitCode !== 0) throw new Error(r.all.trim().split('\n')[0] || `tclsh exit ${r.exitCode}`);
    } finally {
      rmSync(script, { force: true });
    }
    // One Tcl list per line; names, pins and paths here contain no spaces.
    return readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The wrapper's block-design names: its plain ports (clock, reset) and its bus interfaces. */
export interface WrapperPorts {
  module: string;
  pins: Set<string>;
  interfaces: Set<string>;
}

/** Problems with the recorded calls: acc/ names the wrapper lacks, a wrong module reference, files outside `dir`. */
export function checkTclNames(calls: string[][], w: WrapperPorts, dir: string): string[] {
  const problems: string[] = [];
  for (const c of calls) {
    const args = c.slice(1);
    if (c[0] === 'get_bd_pins' || c[0] === 'get_bd_intf_pins') {
      const p = args[args.length - 1]!;
      if (p.startsWith('acc/')) {
        const name = p.slice(4);
        const ok = c[0] === 'get_bd_pins' ? w.pins.has(name) : w.interfaces.has(name);
        if (!ok) problems.push(`${c[0]} ${p}: not in ${w.module}`);
      }
    }
    if (c[0] === 'create_bd_cell' && args.includes('module')) {
      const ref = args[args.indexOf('-reference') + 1];
      if (ref !== w.module) problems.push(`module reference ${ref} is not ${w.module}`);
    }
    if (c[0] === 'add_files') {
      for (const a of args) {
        const f = a.replace(/[{}]/g, '');
        if (!f.startsWith('/')) continue;
        if (!f.startsWith(dir)) problems.push(`add_files: ${f} is outside the export folder`);
        else if (!existsSync(f)) problems.push(`add_files: ${f} does not exist`);
      }
    }
  }
  return problems;
}

/** Run the three checks on an export folder. */
export async function checkExport(dir: string, wrapper: WrapperPorts, periodNs: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const wrapperModule = wrapper.module;
  if (await findTool('tclsh')) {
    try {
      const calls = await runTclStubbed(dir, readFileSync(join(dir, 'build.tcl'), 'utf8'), { periodNs });
      const problems = checkTclNames(calls, wrapper, dir);
      out.push(problems.length === 0
        ? { name: 'tcl', status: 'passed', detail: `tclsh with stubbed Vivado commands: ${calls.length} calls, every acc/ pin and interface exists in ${wrapperModule}` }
        : { name: 'tcl', status: 'failed', detail: problems.join('; ') });
    } catch (e) {
      out.push({ name: 'tcl', status: 'failed', detail: ((e as { stderr?: string }).stderr || (e as Error).message).split('\n')[0]! });
    }
  } else out.push({ name: 'tcl', status: 'skipped', detail: 'tclsh not found' });
  if (await findTool('verilator')) {
    const files = readdirSync(join(dir, 'rtl')).map((f) => join(dir, 'rtl', f));
    const r = await runTool('verilator', ['--lint-only', '-Wall', '--top-module', wrapperModule, ...files]);
    const msg = r.all.trim();
    out.push(r.exitCode === 0 && msg === ''
      ? { name: 'lint', status: 'passed', detail: 'verilator --lint-only -Wall on wrapper + core: no warnings' }
      : { name: 'lint', status: 'failed', detail: msg.split('\n')[0] ?? `exit ${r.exitCode}` });
  } else out.push({ name: 'lint', status: 'skipped', detail: 'verilator not found' });
  if (await findTool('python3')) {
    const r = await runTool('python3', ['-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', join(dir, 'driver.py')]);
    out.push(r.exitCode === 0 ? { name: 'driver', status: 'passed', detail: 'driver.py compiles (python3)' } : { name: 'driver', status: 'failed', detail: r.stderr.trim().split('\n').pop() ?? 'compile error' });
  } else out.push({ name: 'driver', status: 'skipped', detail: 'python3 not found' });
  return out;
}
