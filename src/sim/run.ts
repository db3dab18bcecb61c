/**
 * runStreams / runBoth: validate a run, build (or reuse) the simulator binary, write stimulus files, run the
 * simulation once, read the responses back. See docs/sim.md for the cycle-level contract.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runBinary, runTool } from '../tools/find.js';
import { fail } from '../util/errors.js';
import { hex } from './bits.js';
import { buildIcarus, buildVerilator, isVerilogSource, simulatorVersion, type Built } from './build.js';
import { compareStreams } from './compare.js';
import { checkPorts } from './ports.js';
import { constOrder, TB_MODULE, WRAPPER_MODULE } from './gen.js';
import {
  SimError,
  SimMismatch,
  type BothResult,
  type RunOptions,
  type RunResult,
  type SimDesign,
  type SimulatorName,
  type StallProb,
  type Beat,
  type StreamSpec,
  type TimedBeat,
} from './types.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_WIDTH = 65536;
const PRNG_SALT = 0x9e3779b9;

function checkWidth(field: string, w: unknown): void {
  if (!Number.isInteger(w) || (w as number) < 1 || (w as number) > MAX_WIDTH) {
    fail(field, `must be an integer from 1 to ${MAX_WIDTH}, got ${String(w)}`);
  }
}

/** Check a design's interface description (names, widths, uniqueness). */
export function validateDesign(d: SimDesign): void {
  if (!IDENT.test(d.top)) fail('design.top', `'${d.top}' is not a Verilog identifier`);
  if (d.top === WRAPPER_MODULE || d.top === TB_MODULE) fail('design.top', `'${d.top}' is reserved by the harness; rename the module`);
  if (!(d.files instanceof Map) || d.files.size === 0) fail('design.files', 'must be a non-empty Map of file name to Verilog text');
  if (![...d.files.keys()].some(isVerilogSource)) fail('design.files', 'holds no .v or .sv file');
  for (const name of d.files.keys()) {
    if (/^afsim_/.test(name)) fail(`design.files.${name}`, "names starting with 'afsim_' are reserved by the harness; rename the file");
  }
  const clock = d.clock ?? 'clk';
  const reset = d.reset ?? 'rst';
  if (!IDENT.test(clock)) fail('design.clock', `'${clock}' is not a Verilog identifier`);
  if (!IDENT.test(reset)) fail('design.reset', `'${reset}' is not a Verilog identifier`);
  const names = new Set<string>([clock, reset]);
  d.streams.forEach((s, i) => {
    const f = `design.streams[${i}]`;
    if (!IDENT.test(s.name)) fail(`${f}.name`, `'${s.name}' is not a Verilog identifier`);
    if (s.dir !== 'in' && s.dir !== 'out') fail(`${f}.dir`, `must be 'in' or 'out', got '${String(s.dir)}'`);
    checkWidth(`${f}.dataWidth`, s.dataWidth);
    if (s.userWidth !== undefined) checkWidth(`${f}.userWidth`, s.userWidth);
    for (const suffix of ['tdata', 'tvalid', 'tready', 'tlast', 'tuser']) {
      const port = `${s.name}_${suffix}`;
      if (names.has(port)) fail(`${f}.name`, `port '${port}' is declared twice; stream names must be unique`);
      names.add(port);
    }
  });
  for (const [name, c] of Object.entries(d.constInputs ?? {})) {
    if (!IDENT.test(name)) fail(`design.constInputs.${name}`, 'is not a Verilog identifier');
    if (names.has(name)) fail(`design.constInputs.${name}`, 'clashes with a clock, reset or stream port name');
    checkWidth(`design.constInputs.${name}.width`, c.width);
    names.add(name);
  }
}

function probFor(field: string, p: StallProb | undefined, stream: string): number {
  const v = p === undefined ? 1 : typeof p === 'number' ? p : (p[stream] ?? 1);
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(`${field}${typeof p === 'number' ? '' : `.${stream}`}`, `must be a probability in (0, 1], got ${String(v)}`);
  return v;
}

const threshold = (p: number): number => Math.round(p * 2 ** 24);

function fits(field: string, v: unknown, width: number): bigint {
  if (typeof v !== 'bigint') fail(field, `must be a bigint, got ${typeof v}`);
  if (v < 0n) fail(field, `is negative (${v}); pass the two's-complement pattern, e.g. toUnsigned(v, ${width})`);
  if (v >> BigInt(width) !== 0n) fail(field, `${hex(v)} does not fit in ${width} bits`);
  return v;
}

interface Plan {
  seedState: number;
  maxCycles: number;
  drainCycles: number;
  resetCycles: number;
  expect: Record<string, number>;
  /** Streams whose `expect` counts tlast beats (expectLast) rather than beats. */
  byLast: Set<string>;
  thr: Map<string, number>;
}

function plan(d: SimDesign, o: RunOptions): Plan {
  const ins = d.streams.filter((s) => s.dir === 'in');
  const outs = d.streams.filter((s) => s.dir === 'out');
  const known = new Set(d.streams.map((s) => s.name));
  for (const name of Object.keys(o.inputs ?? {})) {
    const s = d.streams.find((x) => x.name === name);
    if (!s) fail(`inputs.${name}`, `no such stream; the design has ${[...known].join(', ') || 'no streams'}`);
    if (s.dir !== 'in') fail(`inputs.${name}`, 'is an output stream; give its beat count in expect');
  }
  for (const s of ins) {
    const beats = o.inputs?.[s.name];
    if (!Array.isArray(beats)) fail(`inputs.${s.name}`, 'missing: give the beats for every input stream ([] for none)');
  }
  const expect: Record<string, number> = {};
  if (o.expected) {
    for (const [name, beats] of Object.entries(o.expected)) {
      if (!outs.some((s) => s.name === name)) fail(`expected.${name}`, 'is not an output stream of the design');
      if (!Array.isArray(beats)) fail(`expected.${name}`, 'must be an array of beats');
      expect[name] = beats.length;
    }
  }
  for (const [name, n] of Object.entries(o.expect ?? {})) {
    if (!outs.some((s) => s.name === name)) fail(`expect.${name}`, 'is not an output stream of the design');
    if (!Number.isInteger(n) || n < 0) fail(`expect.${name}`, `must be a beat count >= 0, got ${String(n)}`);
    if (expect[name] !== undefined && expect[name] !== n) fail(`expect.${name}`, `is ${n} but expected.${name} has ${expect[name]} beats`);
    expect[name] = n;
  }
  const byLast = new Set<string>();
  for (const [name, n] of Object.entries(o.expectLast ?? {})) {
    const s = outs.find((x) => x.name === name);
    if (!s) fail(`expectLast.${name}`, 'is not an output stream of the design');
    if (!s.last) fail(`expectLast.${name}`, `stream ${name} has no tlast; declare last: true or use expect`);
    if (!Number.isInteger(n) || n < 0) fail(`expectLast.${name}`, `must be a count of tlast beats >= 0, got ${String(n)}`);
    if (expect[name] !== undefined) fail(`expectLast.${name}`, `stream ${name} is also in expect/expected; use one of them`);
    expect[name] = n;
    byLast.add(name);
  }
  for (const s of outs) {
    if (expect[s.name] === undefined) fail(`expect.${s.name}`, 'missing: give the number of beats expected on every output stream (expect, expected or expectLast)');
  }
  for (const name of Object.keys(d.constInputs ?? {})) {
    if (o.constValues?.[name] === undefined) fail(`constValues.${name}`, 'missing: every config input needs a value');
  }
  for (const name of Object.keys(o.constValues ?? {})) {
    if (!d.constInputs?.[name]) fail(`constValues.${name}`, 'is not a config input of the design');
  }
  const thr = new Map<string, number>();
  for (const s of d.streams) {
    const p = probFor(s.dir === 'in' ? 'validProb' : 'readyProb', s.dir === 'in' ? o.validProb : o.readyProb, s.name);
    thr.set(s.name, threshold(p));
  }
  for (const [opt, p] of [['validProb', o.validProb], ['readyProb', o.readyProb]] as const) {
    if (p !== undefined && typeof p === 'object') {
      for (const name of Object.keys(p)) if (!known.has(name)) fail(`${opt}.${name}`, 'no such stream');
    }
  }
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail('seed', `must be an integer from 0 to 2^32-1, got ${String(seed)}`);
  const s0 = (seed ^ PRNG_SALT) >>> 0;
  const beats =
    ins.reduce((a, s) => a + (o.inputs[s.name]?.length ?? 0), 0) + outs.reduce((a, s) => a + (expect[s.name] ?? 0), 0);
  const minValid = Math.min(1, ...ins.map((s) => thr.get(s.name)! / 2 ** 24));
  const minReady = Math.min(1, ...outs.map((s) => thr.get(s.name)! / 2 ** 24));
  const maxCycles = o.maxCycles ?? Math.ceil(10_000 + (20 * beats) / (minValid * minReady));
  if (!Number.isInteger(maxCycles) || maxCycles < 1 || maxCycles > 2 ** 31 - 1) fail('maxCycles', `must be an integer from 1 to 2^31-1, got ${String(maxCycles)}`);
  const drainCycles = o.drainCycles ?? 32;
  if (!Number.isInteger(drainCycles) || drainCycles < 0 || drainCycles > 2 ** 30) fail('drainCycles', `must be an integer >= 0, got ${String(drainCycles)}`);
  const resetCycles = o.resetCycles ?? 4;
  if (!Number.isInteger(resetCycles) || resetCycles < 1 || resetCycles > 1_000_000) fail('resetCycles', `must be an integer >= 1, got ${String(resetCycles)}`);
  return { seedState: s0 === 0 ? PRNG_SALT : s0, maxCycles, drainCycles, resetCycles, expect, byLast, thr };
}

/** Stimulus text of one input stream: `data last user` in hex, one beat a line. */
function stimulus(s: StreamSpec, beats: RunOptions['inputs'][string]): string {
  const lines = new Array<string>(beats.length);
  for (let i = 0; i < beats.length; i++) {
    const b = beats[i]!;
    const f = `inputs.${s.name}[${i}]`;
    const data = fits(`${f}.data`, b.data, s.dataWidth);
    let user = 0n;
    if (b.user !== undefined) {
      if (s.userWidth === undefined) fail(`${f}.user`, `stream ${s.name} has no tuser; remove it or declare userWidth`);
      user = fits(`${f}.user`, b.user, s.userWidth);
    }
    if (b.last && !s.last) fail(`${f}.last`, `stream ${s.name} has no tlast; remove it or declare last: true`);
    lines[i] = `${data.toString(16)} ${b.last ? 1 : 0} ${user.toString(16)}`;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Expected beats of one output stream: `data lastMode userMode user` in hex (lastMode 2 / userMode 0 = don't care). */
function expectedText(s: StreamSpec, beats: Beat[] | undefined): string {
  if (!beats || beats.length === 0) return '';
  const lines = new Array<string>(beats.length);
  for (let i = 0; i < beats.length; i++) {
    const b = beats[i]!;
    const f = `expected.${s.name}[${i}]`;
    const data = fits(`${f}.data`, b.data, s.dataWidth);
    const user = b.user === undefined ? 0n : fits(`${f}.user`, b.user, s.userWidth ?? 1);
    lines[i] = `${data.toString(16)} ${b.last === undefined ? 2 : b.last ? 1 : 0} ${b.user === undefined ? 0 : 1} ${user.toString(16)}`;
  }
  return `${lines.join('\n')}\n`;
}

function parseStatus(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0]) continue;
    const key = parts[0] === 'in' || parts[0] === 'out' ? `${parts[0]} ${parts[1]}` : parts[0];
    m.set(key, parts.slice(parts[0] === 'in' || parts[0] === 'out' ? 2 : 1));
  }
  return m;
}

function parseOutputs(text: string, s: StreamSpec): TimedBeat[] {
  const out: TimedBeat[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [c, d, l, u] = line.split(' ');
    const beat: TimedBeat = { cycle: Number(c), data: BigInt(`0x${d}`) };
    if (s.last) beat.last = l === '1';
    if (s.userWidth !== undefined) beat.user = BigInt(`0x${u}`);
    out.push(beat);
  }
  return out;
}

/** Run one simulation of `design` with `opts`. Throws SimError on build failure, protocol violation, timeout, extra beats. */
export async function runStreams(design: SimDesign, opts: RunOptions): Promise<RunResult> {
  validateDesign(design);
  const p = plan(design, opts);
  checkPorts(design);
  const sim: SimulatorName = opts.sim ?? 'verilator';
  if (sim !== 'verilator' && sim !== 'icarus') fail('sim', `must be 'verilator' or 'icarus', got '${String(sim)}'`);
  const consts = constOrder(design).map(([name, width]) => fits(`constValues.${name}`, opts.constValues![name], width));
  // Stimulus is checked before any build, so a bad value fails fast.
  const stim = design.streams.map((s) => (s.dir === 'in' ? stimulus(s, opts.inputs[s.name]!) : expectedText(s, opts.expected?.[s.name])));

  const trace = opts.vcd !== undefined;
  const built: Built = sim === 'verilator' ? await buildVerilator(design, trace) : await buildIcarus(design);

  const t0 = performance.now();
  const runDir = await mkdtemp(join(tmpdir(), 'afsim-run-'));
  try {
    const cfg: string[] = [
      p.seedState.toString(16),
      String(p.maxCycles),
      String(p.drainCycles),
      String(p.resetCycles),
      trace ? '1' : '0',
    ];
    design.streams.forEach((s) => {
      if (s.dir === 'in') cfg.push(`${opts.inputs[s.name]!.length} ${p.thr.get(s.name)}`);
    });
    design.streams.forEach((s) => {
      if (s.dir === 'out') cfg.push(`${p.expect[s.name]} ${p.thr.get(s.name)} ${p.byLast.has(s.name) ? 1 : 0} ${opts.expected?.[s.name]?.length ?? 0}`);
    });
    for (const v of consts) cfg.push(v.toString(16));
    await writeFile(join(runDir, 'cfg.txt'), `${cfg.join('\n')}\n`);
    await Promise.all(design.streams.map((s, k) => writeFile(join(runDir, s.dir === 'in' ? `in_${k}.txt` : `exp_${k}.txt`), stim[k]!)));
    // Memory-init and include files are read relative to the run folder ($readmemh("w.hex")).
    for (const [name, text] of design.files) {
      if (!isVerilogSource(name)) {
        await mkdir(dirname(join(runDir, name)), { recursive: true });
        await writeFile(join(runDir, name), text);
      }
    }
    const tSim = performance.now();
    const r = sim === 'verilator' ? await runBinary(built.bin, [], { cwd: runDir }) : await runTool('vvp', ['-n', built.bin], { cwd: runDir });
    const simMs = performance.now() - tSim;
    let statusText: string;
    try {
      statusText = await readFile(join(runDir, 'status.txt'), 'utf8');
    } catch {
      throw new SimError('tool', `${sim}: simulation of ${design.top} ended without a result (exit ${r.exitCode}): ${(r.all ?? '').split('\n').slice(-3).join(' | ')}`, r.all);
    }
    const st = parseStatus(statusText);
    const outputs: Record<string, TimedBeat[]> = {};
    const consumed: Record<string, number> = {};
    const lastInputCycle: Record<string, number> = {};
    for (const [k, s] of design.streams.entries()) {
      if (s.dir === 'out') outputs[s.name] = parseOutputs(await readFile(join(runDir, `out_${k}.txt`), 'utf8'), s);
      else {
        const v = st.get(`in ${k}`) ?? ['0', '-1'];
        consumed[s.name] = Number(v[0]);
        lastInputCycle[s.name] = Number(v[1]);
      }
    }
    const status = st.get('status')?.[0] ?? 'missing';
    const cycles = Number(st.get('cycles')?.[0] ?? 0);
    if (opts.vcd !== undefined) {
      const dest = resolve(opts.vcd);
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(runDir, 'dump.vcd'), dest).catch(() => undefined);
    }
    const tag = `${sim}: ${design.top}`;
    if (status === 'mismatch' && opts.expected) {
      // The simulation stopped at the first beat that differs (recorded in the outputs): report it in full.
      const name = design.streams[Number(st.get('violation')?.[0] ?? -1)]?.name ?? '';
      try {
        compareStreams({ [name]: opts.expected[name] ?? [] }, outputs);
      } catch (e) {
        if (e instanceof SimMismatch) throw new SimMismatch(e.stream, e.index, e.cycle, e.expected, e.got, `${sim}: ${e.message} (simulation stopped there)`);
        throw e;
      }
      throw new SimError('tool', `${tag}: the simulator reported a mismatch that compareStreams does not see`, r.all);
    }
    if (status === 'protocol' || status === 'xvalue') {
      const [k, cycle, what] = st.get('violation') ?? ['-1', '?', '?'];
      const s = design.streams[Number(k)];
      const name = s?.name ?? `#${k}`;
      const msg =
        status === 'protocol'
          ? what === 'tvalid'
            ? `${tag}: AXI protocol violation on output stream ${name} at cycle ${cycle}: tvalid dropped while tready was low`
            : `${tag}: AXI protocol violation on output stream ${name} at cycle ${cycle}: ${what} changed while tvalid && !tready`
          : `${tag}: X/Z on ${name}_${what} at cycle ${cycle}${what === 'tvalid' || what === 'tready' ? '' : ' of a transferred beat'} (missing reset or uninitialized register?)`;
      throw new SimError(status, msg);
    }
    // Beats that complete each output stream's expectation: n beats, or up to the n-th tlast beat.
    const needed = (name: string): number => {
      const n = p.expect[name]!;
      if (!p.byLast.has(name)) return n;
      let lasts = 0;
      const got = outputs[name]!;
      for (let i = 0; i < got.length && lasts < n; i++) if (got[i]!.last && ++lasts === n) return i + 1;
      return n === 0 ? 0 : Infinity;
    };
    if (status === 'timeout') {
      const lastCount = (name: string) => outputs[name]!.filter((b) => b.last).length;
      const short = design.streams
        .filter((s) => s.dir === 'out' && outputs[s.name]!.length < needed(s.name))
        .map((s) =>
          p.byLast.has(s.name)
            ? `${s.name} got ${lastCount(s.name)} of ${p.expect[s.name]} tlast beats (${outputs[s.name]!.length} beats)`
            : `${s.name} got ${outputs[s.name]!.length} of ${p.expect[s.name]} beats`,
        );
      const used = design.streams
        .filter((s) => s.dir === 'in')
        .map((s) => `${s.name} consumed ${consumed[s.name]} of ${opts.inputs[s.name]!.length}`);
      throw new SimError('timeout', `${tag}: no result after maxCycles=${p.maxCycles} cycles: ${short.join('; ')}${used.length ? ` (inputs: ${used.join('; ')})` : ''}`);
    }
    if (status !== 'ok') throw new SimError('tool', `${tag}: unexpected simulation status '${status}'`, r.all);
    for (const s of design.streams) {
      if (s.dir !== 'out') continue;
      const got = outputs[s.name]!;
      const n = needed(s.name);
      if (got.length > n) {
        const b = got[n]!;
        const what = p.byLast.has(s.name) ? `beats after its tlast beat number ${p.expect[s.name]}` : `beats, expected ${n}`;
        throw new SimError('extra', `${tag}: stream ${s.name} produced ${p.byLast.has(s.name) ? got.length - n : got.length} ${what}; first extra beat at cycle ${b.cycle}: data=${hex(b.data)}`);
      }
    }
    let cycleCount = 0;
    for (const s of design.streams) {
      const n = s.dir === 'out' ? needed(s.name) : 0;
      if (n > 0) cycleCount = Math.max(cycleCount, outputs[s.name]![n - 1]!.cycle + 1);
    }
    const result: RunResult = {
      outputs,
      cycles,
      cycleCount,
      consumed,
      lastInputCycle,
      sim,
      buildMs: built.buildMs,
      runMs: performance.now() - t0,
      simMs,
      ...(st.has('loop') ? { loop: { cpuMs: Number(st.get('loop')![0]), wallMs: Number(st.get('loop')![1]) } } : {}),
      cached: built.cached,
    };
    if (opts.expected) {
      try {
        compareStreams(opts.expected, outputs);
      } catch (e) {
        if (e instanceof SimMismatch) {
          throw new SimMismatch(e.stream, e.index, e.cycle, e.expected, e.got, `${sim}: ${e.message}`);
        }
        throw e;
      }
    }
    return result;
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

/**
 * Run Verilator and Icarus with the same options and seed, and demand identical outputs: the same beats (data, last,
 * user) on the same cycles. Throws the Verilator failure first if both fail, then SimMismatch kind 'disagree'.
 */
export async function runBoth(design: SimDesign, opts: Omit<RunOptions, 'sim'>): Promise<BothResult> {
  const vcdFor = (sim: SimulatorName) => (opts.vcd === undefined ? undefined : opts.vcd.replace(/(\.vcd)?$/, `.${sim}.vcd`));
  const [v, i] = await Promise.allSettled([
    runStreams(design, { ...opts, sim: 'verilator', vcd: vcdFor('verilator') }),
    runStreams(design, { ...opts, sim: 'icarus', vcd: vcdFor('icarus') }),
  ]);
  if (v.status === 'rejected') {
    if (i.status === 'rejected' && v.reason instanceof Error && i.reason instanceof Error) {
      v.reason.message += ` [icarus failed too: ${i.reason.message.replace(/^icarus: /, '')}]`;
    }
    throw v.reason;
  }
  if (i.status === 'rejected') throw i.reason;
  const a = v.value;
  const b = i.value;
  compareRuns(design, a, b);
  return { verilator: a, icarus: b, outputs: a.outputs, cycles: a.cycles, cycleCount: a.cycleCount };
}

/**
 * Demand that two runs of `design` (Verilator `a`, Icarus `b`) agree exactly: every output beat (data, last, user
 * and cycle), the run length, and how many input beats were accepted up to which cycle. Throws SimMismatch
 * (kind 'disagree') or SimError('disagree').
 */
export function compareRuns(design: SimDesign, a: RunResult, b: RunResult): void {
  const d = (t: TimedBeat | undefined) =>
    t ? `cycle ${t.cycle} data=${hex(t.data)}${t.last !== undefined ? ` last=${t.last ? 1 : 0}` : ''}${t.user !== undefined ? ` user=${hex(t.user)}` : ''}` : 'nothing';
  for (const s of design.streams) {
    if (s.dir !== 'out') continue;
    const x = a.outputs[s.name] ?? [];
    const y = b.outputs[s.name] ?? [];
    for (let k = 0; k < Math.max(x.length, y.length); k++) {
      const p = x[k];
      const q = y[k];
      if (!p || !q || p.cycle !== q.cycle || p.data !== q.data || p.last !== q.last || p.user !== q.user) {
        throw new SimMismatch(s.name, k, p?.cycle ?? q?.cycle, p, q, `${design.top}: simulators disagree on stream ${s.name} beat ${k}: ${a.sim} ${d(p)}, ${b.sim} ${d(q)}`, 'disagree');
      }
    }
  }
  if (a.cycles !== b.cycles) {
    throw new SimError('disagree', `${design.top}: simulators disagree on run length: ${a.sim} ${a.cycles} cycles, ${b.sim} ${b.cycles}`);
  }
  for (const s of design.streams) {
    if (s.dir === 'in' && (a.consumed[s.name] !== b.consumed[s.name] || a.lastInputCycle[s.name] !== b.lastInputCycle[s.name])) {
      throw new SimError(
        'disagree',
        `${design.top}: simulators disagree on input stream ${s.name}: ${a.sim} consumed ${a.consumed[s.name]} (last at cycle ${a.lastInputCycle[s.name]}), ${b.sim} ${b.consumed[s.name]} (last at cycle ${b.lastInputCycle[s.name]})`,
      );
    }
  }
}

/** Versions of the simulators found on PATH (a key is absent when that simulator is missing). */
export async function simulatorVersions(): Promise<Partial<Record<SimulatorName, string>>> {
  const out: Partial<Record<SimulatorName, string>> = {};
  for (const sim of ['verilator', 'icarus'] as const) {
    const v = await simulatorVersion(sim);
    if (v) out[sim] = v;
  }
  return out;
}
