import { ports as wrapperPorts } from './gen.js';
import { SimError, type SimDesign } from './types.js';

/**
 * A small scanner for the port directions of a Verilog module (ANSI or non-ANSI headers). Used to tell the user,
 * before any build, which input of the top module the harness would leave undriven, and to let unconnected
 * outputs (status flags the harness does not watch) pass.
 */

const SKIP = new Set(['wire', 'reg', 'logic', 'signed', 'unsigned', 'integer', 'tri', 'var', 'supply0', 'supply1', 'wand', 'wor']);

/** Port name -> direction of module `top` in `text`, or undefined when the module is not in `text`. */
export function scanPorts(text: string, top: string): Map<string, 'input' | 'output' | 'inout'> | undefined {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const start = new RegExp(`\\bmodule\\s+${top}\\b`).exec(clean);
  if (!start) return undefined;
  const end = clean.indexOf('endmodule', start.index);
  const body = clean.slice(start.index, end < 0 ? undefined : end);
  const ports = new Map<string, 'input' | 'output' | 'inout'>();
  let dir: 'input' | 'output' | 'inout' | undefined;
  let brackets = 0;
  let inDefault = false;
  let parens = 0;
  let inSub = false; // inside a function or task: its inputs are not module ports
  for (const tok of body.match(/[A-Za-z_][A-Za-z0-9_$]*|\S/g) ?? []) {
    if (tok === 'function' || tok === 'task') inSub = true;
    else if (tok === 'endfunction' || tok === 'endtask') inSub = false;
    if (inSub) continue;
    if (tok === '[') brackets++;
    else if (tok === ']') brackets--;
    else if (tok === '(') parens++;
    else if (tok === ')') {
      parens--;
      if (parens <= 0) inDefault = false;
    } else if (tok === ';') {
      dir = undefined;
      inDefault = false;
    } else if (tok === '=') inDefault = true;
    else if (tok === ',') inDefault = false;
    else if (tok === 'input' || tok === 'output' || tok === 'inout') dir = tok;
    else if (dir && brackets === 0 && !inDefault && /^[A-Za-z_]/.test(tok) && !SKIP.has(tok) && !ports.has(tok)) {
      ports.set(tok, dir);
    }
  }
  return ports;
}

/** Ports of the design's top module: as declared (design.ports), else scanned from its files (undefined when not found). */
export function topPorts(d: SimDesign): Map<string, 'input' | 'output' | 'inout'> | undefined {
  if (d.ports) return new Map(Object.entries(d.ports));
  for (const [name, text] of d.files) {
    if (!/\.(v|sv)$/.test(name)) continue;
    const found = scanPorts(text, d.top);
    if (found) return found;
  }
  return undefined;
}

/**
 * Compare the declared interface with the top module's ports, before any build: a declared port the module lacks,
 * a direction that differs, or a module input the harness would leave undriven is a SimError('build') naming the
 * port. Widths are checked by the simulators' elaboration of the wrapper. Outputs the harness does not use are fine.
 */
export function checkPorts(d: SimDesign): void {
  const found = topPorts(d);
  if (!found) throw new SimError('build', `design.top: module ${d.top} is not defined in design.files`);
  const declared = wrapperPorts(d);
  const names = new Set(declared.map((p) => p.name));
  for (const p of declared) {
    const dir = found.get(p.name);
    if (!dir) throw new SimError('build', `${d.top}: the design declares port ${p.name}, but module ${d.top} has no such port; fix design.streams / design.constInputs`);
    if (dir !== p.dir) throw new SimError('build', `${d.top}: port ${p.name} is an ${dir} of module ${d.top}, but the declared streams make it an ${p.dir}; check the stream's dir`);
  }
  for (const [name, dir] of found) {
    if (dir !== 'output' && !names.has(name)) {
      throw new SimError('build', `${d.top}: ${dir} ${name} of module ${d.top} would be left undriven; declare it as part of a stream or in design.constInputs`);
    }
  }
}
