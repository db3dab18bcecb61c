/**
 * Checking a run before any build and turning it into the harness's input files: the design's interface
 * (validateDesign), the run options (plan: beat counts, stall thresholds, cycle limits), the stimulus and expected
 * beats as text, and cfg.txt. The same files drive the Verilator driver, the Icarus harness testbench and a
 * standalone testbench folder (testbench.ts).
 */
import { fail } from '../util/errors.js';
import { hex } from './bits.js';
import { isVerilogSource } from './build.js';
import { constOrder, TB_MODULE, WRAPPER_MODULE } from './gen.js';
import { checkPorts } from './ports.js';
import type { Beat, RunOptions, SimDesign, StallProb, StreamSpec } from './types.js';

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

export function fits(field: string, v: unknown, width: number): bigint {
  if (typeof v !== 'bigint') fail(field, `must be a bigint, got ${typeof v}`);
  if (v < 0n) fail(field, `is negative (${v}); pass the two's-complement pattern, e.g. toUnsigned(v, ${width})`);
  if (v >> BigInt(width) !== 0n) fail(field, `${hex(v)} does not fit in ${width} bits`);
  return v;
}

export interface Plan {
  seedState: number;
  maxCycles: number;
  drainCycles: number;
  resetCycles: number;
  expect: Record<string, number>;
  /** Streams whose `expect` counts tlast beats (expectLast) rather than beats. */
  byLast: Set<string>;
  thr: Map<string, number>;
}

export function plan(d: SimDesign, o: RunOptions): Plan {
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
export function stimulus(s: StreamSpec, beats: RunOptions['inputs'][string]): string {
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
export function expectedText(s: StreamSpec, beats: Beat[] | undefined): string {
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


/** The harness's input files of a run: cfg.txt, and per stream (design order) its stimulus or expected-beats text. */
export interface RunInputs {
  plan: Plan;
  cfg: string;
  stim: string[];
}

/** Check the design and the run (before any build) and write its input files as text. */
export function runInputs(design: SimDesign, opts: RunOptions, trace: boolean): RunInputs {
  validateDesign(design);
  const p = plan(design, opts);
  checkPorts(design);
  const consts = constOrder(design).map(([name, width]) => fits(`constValues.${name}`, opts.constValues![name], width));
  const stim = design.streams.map((s) => (s.dir === 'in' ? stimulus(s, opts.inputs[s.name]!) : expectedText(s, opts.expected?.[s.name])));
  const cfg: string[] = [p.seedState.toString(16), String(p.maxCycles), String(p.drainCycles), String(p.resetCycles), trace ? '1' : '0'];
  for (const s of design.streams) if (s.dir === 'in') cfg.push(`${opts.inputs[s.name]!.length} ${p.thr.get(s.name)}`);
  for (const s of design.streams) {
    if (s.dir === 'out') cfg.push(`${p.expect[s.name]} ${p.thr.get(s.name)} ${p.byLast.has(s.name) ? 1 : 0} ${opts.expected?.[s.name]?.length ?? 0}`);
  }
  for (const v of consts) cfg.push(v.toString(16));
  return { plan: p, cfg: `${cfg.join('\n')}\n`, stim };
}
