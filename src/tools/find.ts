/**
 * The one place accelforge finds, version-checks and runs external tools: verilator, iverilog and vvp (Icarus),
 * a system yosys, tclsh and Debian's chromium. Nothing else spawns a tool. (Yosys itself, with the embedded
 * WebAssembly fallback, is chosen in yosys.ts on top of this.)
 *
 * Each tool is looked up once per process (per PATH and override): the binary is `ACCELFORGE_<TOOL>` when that variable is set (a path or a
 * command name, e.g. ACCELFORGE_VERILATOR=/opt/verilator/bin/verilator), else the usual name on PATH. A tool that is
 * missing or too old is a one-line UserError naming it and the apt-get command that installs it.
 */
import { execa } from 'execa';
import { UserError } from '../util/errors.js';

export type ToolName = 'verilator' | 'iverilog' | 'vvp' | 'yosys' | 'tclsh' | 'chromium' | 'python3';

export interface ToolSpec {
  /** Default binary (a name on PATH, or an absolute path). */
  bin: string;
  /** Arguments that make it print its version. */
  versionArgs: string[];
  /** Text written to stdin when asking for the version (tclsh reads its script from stdin). */
  versionInput?: string;
  /** Pattern whose first group is the version ("5.006", "11.0", "0.45+148"). */
  version: RegExp;
  /** Oldest usable [major, minor]. */
  min?: readonly [number, number];
  /** Debian package that provides it. */
  apt: string;
  /** What accelforge uses it for (doctor, error messages). */
  use: string;
}

export const TOOLS: Record<ToolName, ToolSpec> = {
  verilator: { bin: 'verilator', versionArgs: ['--version'], version: /Verilator\s+(\d+\.\d+\S*)/, min: [5, 0], apt: 'verilator', use: 'lint and fast simulation' },
  iverilog: { bin: 'iverilog', versionArgs: ['-V'], version: /Icarus Verilog version\s+(\d+\.\d+\S*)/, min: [11, 0], apt: 'iverilog', use: 'Verilog-2005 elaboration and the cross-check simulation' },
  vvp: { bin: 'vvp', versionArgs: ['-V'], version: /Icarus Verilog runtime version\s+(\d+\.\d+\S*)/, min: [11, 0], apt: 'iverilog', use: 'running Icarus simulations' },
  yosys: { bin: 'yosys', versionArgs: ['-V'], version: /Yosys\s+(\d+\.\d+\S*)/, min: [0, 40], apt: 'yosys', use: 'synthesis estimates (else the embedded @yowasp/yosys)' },
  tclsh: { bin: 'tclsh', versionArgs: [], versionInput: 'puts [info patchlevel]\n', version: /^(\d+\.\d+\S*)/m, apt: 'tcl', use: 'checking the exported Vivado Tcl' },
  chromium: { bin: '/usr/bin/chromium', versionArgs: ['--version'], version: /Chromium\s+(\d+\.\d+\S*)/, apt: 'chromium', use: 'rendering report pages headless' },
  python3: { bin: 'python3', versionArgs: ['--version'], version: /Python\s+(\d+\.\d+\S*)/, min: [3, 9], apt: 'python3', use: 'compiling the exported PYNQ driver' },
};

export interface ToolInfo {
  name: ToolName;
  /** The binary that runs (as found: an absolute path when PATH lookup resolved it). */
  path: string;
  /** Version text, e.g. "5.006". */
  version: string;
  /** The whole output line the version was found in, e.g. "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)". */
  line: string;
}

/** "5.006" → [5, 6]; "0.45+148" → [0, 45]. */
export function parseVersion(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function versionAtLeast(v: readonly [number, number], min: readonly [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** The apt-get command line that installs a tool. */
export function installHint(name: ToolName): string {
  return `apt-get install -y ${TOOLS[name].apt}`;
}

/** The binary a tool runs from: ACCELFORGE_<TOOL> when set, else its default. */
export function toolBinary(name: ToolName): string {
  return process.env[`ACCELFORGE_${name.toUpperCase()}`]?.trim() || TOOLS[name].bin;
}

export type Probe = { ok: true; tool: ToolInfo } | { ok: false; reason: string };

/** Ask `bin` for its version and check it against the spec (no caching; see findTool). */
export async function probeTool(name: ToolName, bin: string = toolBinary(name)): Promise<Probe> {
  const spec = TOOLS[name];
  const r = await execa(bin, spec.versionArgs, { reject: false, all: true, timeout: 20_000, input: spec.versionInput ?? '' });
  if ((r as { code?: string }).code === 'ENOENT' || (r.exitCode === undefined && r.failed)) {
    return { ok: false, reason: `${name} not found (${bin})` };
  }
  const line = (r.all ?? '').split('\n').find((l) => spec.version.test(l));
  const m = line === undefined ? null : spec.version.exec(line);
  if (!m) return { ok: false, reason: `${bin} printed no ${name} version` };
  const version = m[1]!;
  const v = parseVersion(version);
  if (spec.min && (!v || !versionAtLeast(v, spec.min))) {
    return { ok: false, reason: `${bin} is ${name} ${version}, older than ${spec.min.join('.')}` };
  }
  return { ok: true, tool: { name, path: await resolveBinary(bin), version, line: line!.trim() } };
}

async function resolveBinary(bin: string): Promise<string> {
  if (bin.includes('/')) return bin;
  const r = await execa('sh', ['-c', 'command -v "$1"', 'sh', bin], { reject: false });
  return r.stdout.trim() || bin;
}

const found = new Map<string, Promise<Probe>>();

/** The probe of a tool, memoized per process for the same binary setting and PATH (a test may change either). */
export function lookupTool(name: ToolName): Promise<Probe> {
  const k = `${name}\0${toolBinary(name)}\0${process.env.PATH ?? ''}`;
  let p = found.get(k);
  if (!p) {
    p = probeTool(name);
    found.set(k, p);
  }
  return p;
}

/** The tool, or undefined when it is missing or too old. */
export async function findTool(name: ToolName): Promise<ToolInfo | undefined> {
  const p = await lookupTool(name);
  return p.ok ? p.tool : undefined;
}

/** The one-line error for a missing or unusable tool. */
export function missingToolError(name: ToolName, reason: string): UserError {
  return new UserError(`${reason}: ${name} is needed for ${TOOLS[name].use}; install it with '${installHint(name)}' (or run 'npm run setup' as root)`);
}

/** The tool, or a one-line UserError naming it and the apt-get command that installs it. */
export async function requireTool(name: ToolName): Promise<ToolInfo> {
  const p = await lookupTool(name);
  if (!p.ok) throw missingToolError(name, p.reason);
  return p.tool;
}

/** Forget what was found (tests that change ACCELFORGE_<TOOL> or PATH). */
export function resetTools(): void {
  found.clear();
}

export interface RunToolOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  timeout?: number;
  /** Bytes of output kept (default 64 MiB). */
  maxBuffer?: number;
}

export interface ToolRun {
  /** undefined when the process did not exit normally (killed, timed out). */
  exitCode: number | undefined;
  /** stdout and stderr interleaved. */
  all: string;
  stdout: string;
  stderr: string;
  /** Why it did not exit normally, when it did not. */
  failure?: string;
}

/** Run a tool (found and version-checked first) and return its exit code and output; never throws on a non-zero exit. */
export async function runTool(name: ToolName, args: string[], opts: RunToolOptions = {}): Promise<ToolRun> {
  const t = await requireTool(name);
  return runBinary(t.path, args, opts);
}

/** Run a binary accelforge built itself (a Verilator simulation) with the same conventions as runTool. */
export async function runBinary(path: string, args: string[], opts: RunToolOptions = {}): Promise<ToolRun> {
  const r = await execa(path, args, {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input ?? '',
    timeout: opts.timeout,
    reject: false,
    all: true,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
  });
  const run: ToolRun = { exitCode: r.exitCode, all: r.all ?? '', stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.exitCode === undefined) run.failure = r.shortMessage ?? String((r as { code?: string }).code ?? 'failed');
  return run;
}
