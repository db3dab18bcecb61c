/**
 * The MSQ core without its GEMM lanes, for synthesis of everything else (loaders, banks, issuer, pool reducer,
 * requantizer units, output banks, emitter): the generated core with `<prefix>_lanes` replaced by a port-only
 * `(* blackbox *)` module. The lanes are synthesized on their own (slices, src/msq/core/sizing.ts), so the two add up
 * to the whole core.
 *
 *   const d = coreWithoutLanes(cfg);
 *   const r = await synthesize({ files: d.files, top: d.top, cache: true });   // src/synth
 */
import { coreLanes } from './lanes.js';
import { generateCore, type CoreRtl, type CoreRtlOptions } from './rtl/index.js';
import type { CoreConfig } from './config.js';

export function coreWithoutLanes(cfg: CoreConfig, prefix = 'msqc', opts: CoreRtlOptions = {}): CoreRtl & { blackbox: string } {
  const rtl = generateCore(cfg, prefix, opts);
  const name = `${prefix}_lanes`;
  const ports = coreLanes(cfg, name).signals.filter((s) => s.kind === 'input' || s.kind === 'output');
  const decl = ['  input wire clk', '  input wire rst'].concat(
    ports.map((s) => `  ${s.kind === 'input' ? 'input' : 'output'} wire ${s.signed ? 'signed ' : ''}[${s.width - 1}:0] ${s.name}`),
  );
  const files = new Map(rtl.files);
  files.set(`${name}.v`, `// ${name}: port-only stand-in for synthesis of the rest of the core\n(* blackbox *)\nmodule ${name} (\n${decl.join(',\n')}\n);\nendmodule\n`);
  return { ...rtl, files, blackbox: name };
}
