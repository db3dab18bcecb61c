import { ports as wrapperPorts } from './gen.js';
import { SimError, type SimDesign } from './types.js';

/**
 * Compare the declared interface (streams, constInputs, clock, reset) with the top module's port list
 * (`design.ports`, from the built module or the design manifest: the harness never parses the Verilog), before any
 * build: a declared port the module lacks, a direction that differs, or a module input the harness would leave
 * undriven is a SimError('build') naming the port. Widths are checked by the simulators' elaboration of the wrapper.
 * Outputs the harness does not use are fine.
 */
export function checkPorts(d: SimDesign): void {
  const found = new Map(Object.entries(d.ports ?? {}));
  if (found.size === 0) throw new SimError('build', `${d.top}: design.ports is empty: list every port of module ${d.top} with its direction (modulePorts(m) for a built module)`);
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
