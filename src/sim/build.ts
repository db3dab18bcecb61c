/**
 * Finding the simulators and building (or reusing) cached simulation binaries.
 * Cache layout: <root>/verilator/<hash>/Vsim and <root>/icarus/<hash>/sim.vvp, each with a meta.json written last.
 * A build happens in a temporary sibling folder that is renamed into place, so concurrent builders are safe.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, sha256 } from '../util/hash.js';
import { cacheRoot } from '../util/cache.js';
import { withActivity } from '../util/progress.js';
import { findTool, lookupTool, missingToolError, runTool, type ToolName } from '../tools/find.js';

export { cacheRoot };
import { genDriver, genTestbench, genWrapper, TB_MODULE, WRAPPER_MODULE } from './gen.js';
import { SimError, type SimDesign, type SimulatorName } from './types.js';

const TOOL: Record<SimulatorName, ToolName[]> = { verilator: ['verilator'], icarus: ['iverilog', 'vvp'] };

/** Version line of the simulator (part of the build cache key), or undefined when it (or, for Icarus, vvp) is missing. */
export async function simulatorVersion(sim: SimulatorName): Promise<string | undefined> {
  const [compiler, runtime] = TOOL[sim];
  const t = await findTool(compiler!);
  if (!t || (runtime && !(await findTool(runtime)))) return undefined;
  return t.line;
}

async function requireVersion(sim: SimulatorName): Promise<string> {
  for (const name of TOOL[sim]) {
    const p = await lookupTool(name);
    if (!p.ok) throw new SimError('tool', missingToolError(name, p.reason).message);
  }
  return (await simulatorVersion(sim))!;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Design file name checks: plain relative names, no '..'. */
function safeName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(name) || name.split('/').includes('..')) {
    throw new SimError('build', `design.files: '${name}' is not a plain relative file name; use letters, digits, . _ - and /`);
  }
  return name;
}

export function isVerilogSource(name: string): boolean {
  return /\.(v|sv)$/.test(name);
}

async function writeSources(dir: string, design: SimDesign): Promise<string[]> {
  const srcs: string[] = [];
  for (const [name, text] of [...design.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = join(dir, safeName(name));
    await mkdir(join(p, '..'), { recursive: true });
    await writeFile(p, text);
    if (isVerilogSource(name)) srcs.push(p);
  }
  return srcs;
}

/** First lines of a tool's output that look like errors (for SimError details and messages). */
function errorLines(text: string, re: RegExp): string[] {
  return text.split('\n').filter((l) => re.test(l)).slice(0, 12);
}

export interface Built {
  /** Folder holding the binary. */
  dir: string;
  /** Path of the binary (Verilator) or vvp file (Icarus). */
  bin: string;
  buildMs: number;
  cached: boolean;
}

const inFlight = new Map<string, Promise<Built>>();

/** Build-or-reuse, deduplicated within this process. */
function once(key: string, make: () => Promise<Built>): Promise<Built> {
  let p = inFlight.get(key);
  if (!p) {
    p = make().finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

async function cachedBuild(
  kind: SimulatorName,
  keyObj: unknown,
  binName: string,
  build: (tmp: string) => Promise<void>,
): Promise<Built> {
  const hash = sha256(canonicalJson(keyObj)).slice(0, 24);
  const base = join(cacheRoot(), kind);
  const dir = join(base, hash);
  return once(dir, async () => {
    const meta = join(dir, 'meta.json');
    if (await exists(meta)) return { dir, bin: join(dir, binName), buildMs: 0, cached: true };
    const t0 = performance.now();
    await mkdir(base, { recursive: true });
    // One builder per hash across processes (vitest workers): the others wait for its result instead of
    // compiling the same design twice on a busy machine.
    await pruneStale(base);
    const lock = join(base, `.lock-${hash}`);
    if (!(await acquire(lock, meta))) return { dir, bin: join(dir, binName), buildMs: performance.now() - t0, cached: true };
    try {
      if (await exists(meta)) return { dir, bin: join(dir, binName), buildMs: performance.now() - t0, cached: true };
      const tmp = await mkdtemp(join(base, `.tmp-${hash}-`));
      try {
        await withActivity(`${kind}: building ${hash.slice(0, 8)} (cached afterwards)`, () => build(tmp));
        await writeFile(join(tmp, 'meta.json'), `${canonicalJson({ kind, hash, builtAt: new Date().toISOString() })}\n`);
        try {
          await rename(tmp, dir);
        } catch (e) {
          // Another builder finished the same build first (lock broken as stale): use theirs.
          if (!(await exists(meta))) throw e;
          await rm(tmp, { recursive: true, force: true });
        }
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
    return { dir, bin: join(dir, binName), buildMs: performance.now() - t0, cached: false };
  });
}

/** Remove temporary build folders left by killed builders (older than two hours). Best effort. */
async function pruneStale(base: string): Promise<void> {
  try {
    for (const name of await readdir(base)) {
      if (!name.startsWith('.tmp-')) continue;
      const p = join(base, name);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 2 * 3_600_000) await rm(p, { recursive: true, force: true });
    }
  } catch {
    /* nothing to prune */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Take the build lock (a folder holding the owner's pid). Returns false when, while waiting, another process
 * finished the build (`meta` appeared). A lock whose owner is gone, or older than an hour, is broken.
 */
async function acquire(lock: string, meta: string): Promise<boolean> {
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'owner'), `${process.pid}\n`);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    if (await exists(meta)) return false;
    let stale = false;
    try {
      const owner = Number((await readFile(join(lock, 'owner'), 'utf8')).trim());
      const age = Date.now() - (await stat(lock)).mtimeMs;
      stale = (Number.isInteger(owner) && owner > 0 && !alive(owner)) || age > 3_600_000;
    } catch {
      // owner file not written yet (lock just taken) or lock just released: retry
    }
    if (stale) await rm(lock, { recursive: true, force: true });
    else await sleep(300);
  }
}

function sortedFiles(design: SimDesign): [string, string][] {
  return [...design.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Port-connection problems in the wrapper are the user's: report them as one line naming the port. */
function wrapperProblem(log: string, wrapperFile: string, design: SimDesign): string | undefined {
  const lines = log
    .split('\n')
    .filter((l) => l.includes(wrapperFile) && /^%(Warning-(WIDTH|PINMISSING)|Error)/.test(l))
    .filter((l) => {
      const pin = /missing pin: '([^']+)'/.exec(l)?.[1];
      return !(pin && design.ports?.[pin] === 'output'); // an unwatched output is fine
    });
  // "%Warning-WIDTH: /tmp/.../afsim_top.v:12:5: Operator PIN expects 16 bits..." -> the message after the location
  return lines[0]?.replace(/^%\S+\s*/, '').replace(/^\S*:\d+:\d+:\s*/, '').trim();
}

/** The build folder's src/: the design's files, the wrapper and the simulator's own file; returns src and the RTL paths. */
async function stageSources(tmp: string, design: SimDesign, wrapper: string, [name, text]: [string, string]): Promise<{ src: string; rtl: string[] }> {
  const src = join(tmp, 'src');
  await mkdir(src, { recursive: true });
  const rtl = await writeSources(src, design);
  await writeFile(join(src, `${WRAPPER_MODULE}.v`), wrapper);
  await writeFile(join(src, name), text);
  return { src, rtl };
}

const VERILATOR_FLAGS = ['--cc', '--exe', '--build', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '-Wno-fatal', '-Wwarn-PINMISSING'];

export async function buildVerilator(design: SimDesign, trace: boolean): Promise<Built> {
  const version = await requireVersion('verilator');
  const wrapper = genWrapper(design);
  const driver = genDriver(design, trace);
  // The model and the driver at -O2; the model's constructors and Verilator's runtime library (not in the clock
  // loop) at -O0, which cuts the build's CPU time by about a quarter on small designs.
  const flags = [
    ...VERILATOR_FLAGS,
    ...(trace ? ['--trace'] : []),
    '-MAKEFLAGS', 'OPT_FAST=-O2',
    '-MAKEFLAGS', 'OPT_SLOW=-O0',
    '-MAKEFLAGS', 'OPT_GLOBAL=-O0',
  ];
  const key = { sim: 'verilator', version, files: sortedFiles(design), wrapper, driver, flags, top: design.top };
  return cachedBuild('verilator', key, 'Vsim', async (tmp) => {
    const { src, rtl } = await stageSources(tmp, design, wrapper, ['afsim_driver.cpp', driver]);
    // Fast pre-pass: a port mismatch or syntax error is reported before the (slow) C++ compile.
    const lint = await runTool(
      'verilator',
      ['--lint-only', '-Wno-fatal', '-Wwarn-PINMISSING', '--top-module', WRAPPER_MODULE, `-I${src}`, join(src, `${WRAPPER_MODULE}.v`), ...rtl],
      { cwd: tmp },
    );
    const lintLog = lint.all;
    const lintPort = wrapperProblem(lintLog, `${WRAPPER_MODULE}.v`, design);
    if (lintPort) throw new SimError('build', `verilator: design ${design.top} does not match its declared ports: ${lintPort}`, lintLog);
    if (lint.exitCode !== 0) {
      const errs = errorLines(lintLog, /%Error/);
      throw new SimError('build', `verilator: ${design.top} does not elaborate: ${errs[0] ?? `exit ${lint.exitCode}`}`, errs.join('\n') || lintLog.slice(-4000));
    }
    const args = [
      ...flags,
      '--top-module', WRAPPER_MODULE,
      '-Mdir', join(tmp, 'obj'),
      '-o', 'Vsim',
      '-j', '2',
      `-I${src}`,
      join(src, `${WRAPPER_MODULE}.v`),
      ...rtl,
      join(src, 'afsim_driver.cpp'),
    ];
    const r = await runTool('verilator', args, { cwd: tmp, env: { MAKEFLAGS: '' } });
    const log = r.all;
    await writeFile(join(tmp, 'build.log'), log);
    const port = wrapperProblem(log, `${WRAPPER_MODULE}.v`, design);
    if (port) throw new SimError('build', `verilator: design ${design.top} does not match its declared ports: ${port}`, log);
    if (r.exitCode !== 0) {
      const errs = errorLines(log, /%Error|error:/);
      throw new SimError('build', `verilator: build of ${design.top} failed: ${errs[0] ?? `exit ${r.exitCode}`}`, errs.join('\n') || log.slice(-4000));
    }
    await rename(join(tmp, 'obj', 'Vsim'), join(tmp, 'Vsim'));
    await rm(join(tmp, 'obj'), { recursive: true, force: true });
  });
}

export async function buildIcarus(design: SimDesign): Promise<Built> {
  const version = await requireVersion('icarus');
  const wrapper = genWrapper(design);
  const tb = genTestbench(design);
  const flags = ['-g2005', '-s', TB_MODULE];
  const key = { sim: 'icarus', version, files: sortedFiles(design), wrapper, tb, flags, top: design.top };
  return cachedBuild('icarus', key, 'sim.vvp', async (tmp) => {
    const { src, rtl } = await stageSources(tmp, design, wrapper, [`${TB_MODULE}.v`, tb]);
    const args = [...flags, '-o', join(tmp, 'sim.vvp'), `-I${src}`, join(src, `${TB_MODULE}.v`), join(src, `${WRAPPER_MODULE}.v`), ...rtl];
    const r = await runTool('iverilog', args, { cwd: tmp });
    const log = r.all;
    await writeFile(join(tmp, 'build.log'), log);
    const widthLine = log.split('\n').find((l) => /expects \d+ bits?, got \d+|port .* is not a port|Unable to bind|port ``.*'' is not a port/i.test(l) || (l.includes(`${WRAPPER_MODULE}.v`) && /error|warning/i.test(l)));
    if (widthLine) throw new SimError('build', `icarus: design ${design.top} does not match its declared ports: ${widthLine.trim()}`, log);
    if (r.exitCode !== 0) {
      const errs = errorLines(log, /error|Error/);
      throw new SimError('build', `icarus: build of ${design.top} failed: ${errs[0] ?? `exit ${r.exitCode}`}`, errs.join('\n') || log.slice(-4000));
    }
  });
}
