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
import { runInputs } from './plan.js';
import {
  SimError,
  SimMismatch,
  type BothResult,
  type RunOptions,
  type RunResult,
  type SimDesign,
  type SimulatorName,
  type StreamSpec,
  type TimedBeat,
} from './types.js';

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
  const sim: SimulatorName = opts.sim ?? 'verilator';
  if (sim !== 'verilator' && sim !== 'icarus') fail('sim', `must be 'verilator' or 'icarus', got '${String(sim)}'`);
  const trace = opts.vcd !== undefined;
  // Everything is checked before any build, so a bad value fails fast.
  const { plan: p, cfg, stim } = runInputs(design, opts, trace);
  const built: Built = sim === 'verilator' ? await buildVerilator(design, trace) : await buildIcarus(design);

  const t0 = performance.now();
  const runDir = await mkdtemp(join(tmpdir(), 'afsim-run-'));
  try {
    await writeFile(join(runDir, 'cfg.txt'), cfg);
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
