/**
 * Generates the simulation sources for a design's stream set: the wrapper module (afsim_top), the Verilator C++
 * driver and the Icarus testbench, from the Handlebars templates in templates/sim/. Output depends only on the design's
 * interface (streams, config inputs, clock/reset names), never on stimulus, so builds cache across runs.
 */
import { renderTemplate } from '../util/templates.js';
import { GENERATOR_VERSION } from '../version.js';
import type { SimDesign, StreamSpec } from './types.js';

export const WRAPPER_MODULE = 'afsim_top';
export const TB_MODULE = 'afsim_tb';

const words = (w: number): number => Math.ceil(w / 32);

/** C++ statement(s) setting port `port` (width `w`) from `const uint32_t* w` (little-endian words). */
function setPort(port: string, width: number): string {
  if (width <= 32) return `top->${port} = w[0];`;
  if (width <= 64) return `top->${port} = static_cast<uint64_t>(w[0]) | (static_cast<uint64_t>(w[1]) << 32);`;
  return `for (int i = 0; i < ${words(width)}; i++) top->${port}[i] = w[i];`;
}

/** C++ statement(s) reading port `port` (width `w`) into `uint32_t* w`. */
function getPort(port: string, width: number): string {
  if (width <= 32) return `w[0] = top->${port};`;
  if (width <= 64) return `const uint64_t t = top->${port}; w[0] = static_cast<uint32_t>(t); w[1] = static_cast<uint32_t>(t >> 32);`;
  return `for (int i = 0; i < ${words(width)}; i++) w[i] = top->${port}[i];`;
}

export interface PortCtx {
  dir: 'input' | 'output';
  range: string;
  name: string;
  dutName: string;
}

function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0] `;
}

/** Ports of the wrapper, in a fixed order: clock, reset, streams (in design order), config inputs. */
export function ports(d: SimDesign): PortCtx[] {
  const clock = d.clock ?? 'clk';
  const reset = d.reset ?? 'rst';
  const out: PortCtx[] = [
    { dir: 'input', range: '', name: clock, dutName: clock },
    { dir: 'input', range: '', name: reset, dutName: reset },
  ];
  for (const s of d.streams) {
    const fwd = s.dir === 'in' ? 'input' : 'output';
    const back = s.dir === 'in' ? 'output' : 'input';
    const add = (suffix: string, dir: 'input' | 'output', width: number) =>
      out.push({ dir, range: range(width), name: `${s.name}_${suffix}`, dutName: `${s.name}_${suffix}` });
    add('tdata', fwd, s.dataWidth);
    add('tvalid', fwd, 1);
    add('tready', back, 1);
    if (s.last) add('tlast', fwd, 1);
    if (s.userWidth !== undefined) add('tuser', fwd, s.userWidth);
  }
  for (const [name, { width }] of Object.entries(d.constInputs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push({ dir: 'input', range: range(width), name, dutName: name });
  }
  return out;
}

/** Config inputs in the fixed order used by cfg.txt. */
export function constOrder(d: SimDesign): [string, number][] {
  return Object.entries(d.constInputs ?? {})
    .map(([n, c]): [string, number] => [n, c.width])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function streamCtx(s: StreamSpec, k: number) {
  const uw = s.userWidth ?? 1;
  return {
    k,
    name: s.name,
    dw: s.dataWidth,
    uw,
    dwm1: s.dataWidth - 1,
    uwm1: uw - 1,
    hasLast: Boolean(s.last),
    hasUser: s.userWidth !== undefined,
    dwords: words(s.dataWidth),
    uwords: words(uw),
    maxwords: Math.max(words(s.dataWidth), words(uw)),
    setData: setPort(`${s.name}_tdata`, s.dataWidth),
    setUser: setPort(`${s.name}_tuser`, uw),
    getData: getPort(`${s.name}_tdata`, s.dataWidth),
    getUser: getPort(`${s.name}_tuser`, uw),
  };
}

/** File names the Icarus testbench reads and writes (relative to the folder it runs in). */
export interface TbFiles {
  cfg: string;
  status: string;
  /** Per stream (by name): input beats, expected beats, received beats. */
  input(s: StreamSpec, k: number): string;
  expected(s: StreamSpec, k: number): string;
  output(s: StreamSpec, k: number): string;
}

/** The harness's run-folder names (shared with the Verilator driver). */
export const HARNESS_FILES: TbFiles = {
  cfg: 'cfg.txt',
  status: 'status.txt',
  input: (_s, k) => `in_${k}.txt`,
  expected: (_s, k) => `exp_${k}.txt`,
  output: (_s, k) => `out_${k}.txt`,
};

function context(d: SimDesign, trace: boolean, files: TbFiles = HARNESS_FILES) {
  const streams = d.streams.map((s, k) => ({ s, k }));
  const withFiles = (x: { s: StreamSpec; k: number }) => ({
    ...streamCtx(x.s, x.k),
    inFile: files.input(x.s, x.k),
    expFile: files.expected(x.s, x.k),
    outFile: files.output(x.s, x.k),
  });
  return {
    version: GENERATOR_VERSION,
    top: d.top,
    clock: d.clock ?? 'clk',
    reset: d.reset ?? 'rst',
    trace,
    ports: ports(d),
    files: { cfg: files.cfg, status: files.status },
    streams: streams.map((x) => ({ k: x.k, name: x.s.name })),
    ins: streams.filter((x) => x.s.dir === 'in').map(withFiles),
    outs: streams.filter((x) => x.s.dir === 'out').map(withFiles),
    consts: constOrder(d).map(([name, width]) => ({ name, wm1: width - 1, words: words(width), set: setPort(name, width) })),
  };
}

export function genWrapper(d: SimDesign): string {
  return renderTemplate('sim/afsim_top.v.hbs', context(d, false));
}

export function genDriver(d: SimDesign, trace: boolean): string {
  return renderTemplate('sim/afsim_driver.cpp.hbs', context(d, trace));
}

/** The Icarus testbench: the harness's (default file names) or a standalone folder's (testbench.ts). */
export function genTestbench(d: SimDesign, files: TbFiles = HARNESS_FILES): string {
  return renderTemplate('sim/afsim_tb.v.hbs', context(d, false, files));
}
