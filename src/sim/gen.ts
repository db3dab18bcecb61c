/**
 * Generates the simulation sources for a design's stream set: the wrapper module (afsim_top), the Verilator C++
 * driver and the Icarus testbench, from the handlebars templates in sim/. Output depends only on the design's
 * interface (streams, config inputs, clock/reset names), never on stimulus, so builds cache across runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { GENERATOR_VERSION, PROJECT_ROOT } from '../version.js';
import type { SimDesign, StreamSpec } from './types.js';

export const WRAPPER_MODULE = 'afsim_top';
export const TB_MODULE = 'afsim_tb';

const templates = new Map<string, HandlebarsTemplateDelegate>();
function template(name: string): HandlebarsTemplateDelegate {
  let t = templates.get(name);
  if (!t) {
    t = Handlebars.compile(readFileSync(join(PROJECT_ROOT, 'sim', name), 'utf8'), { noEscape: true, strict: true });
    templates.set(name, t);
  }
  return t;
}

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

function context(d: SimDesign, trace: boolean) {
  const streams = d.streams.map((s, k) => ({ s, k }));
  return {
    version: GENERATOR_VERSION,
    top: d.top,
    clock: d.clock ?? 'clk',
    reset: d.reset ?? 'rst',
    trace,
    ports: ports(d),
    ins: streams.filter((x) => x.s.dir === 'in').map((x) => streamCtx(x.s, x.k)),
    outs: streams.filter((x) => x.s.dir === 'out').map((x) => streamCtx(x.s, x.k)),
    consts: constOrder(d).map(([name, width]) => ({ name, wm1: width - 1, words: words(width), set: setPort(name, width) })),
  };
}

export function genWrapper(d: SimDesign): string {
  return template('afsim_top.v.hbs')(context(d, false));
}

export function genDriver(d: SimDesign, trace: boolean): string {
  return template('afsim_driver.cpp.hbs')(context(d, trace));
}

export function genTestbench(d: SimDesign): string {
  return template('afsim_tb.v.hbs')(context(d, false));
}
