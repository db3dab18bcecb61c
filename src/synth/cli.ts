/**
 * `accelforge synth <file.v...> --top T [--board xc7z020] [--json out.json] [--netlist out.json] [--no-flatten] [--no-cache]`
 * Synthesizes with yosys synth_xilinx, prints a Markdown report (resources, utilization, timing ESTIMATE).
 */
import { readFile } from 'node:fs/promises';
import { parseCommand } from '../util/cli.js';
import { loadBoard } from '../board/load.js';
import { fail } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { formatSynthReport, synthReportJson } from './report.js';
import { synthesize } from './synthesize.js';
import { utilization } from './utilization.js';

const USAGE = `usage: accelforge synth <file.v ...> --top <module> [--board xc7z020|xc7z045|file.json] [--json out.json]
                       [--netlist netlist.json] [--no-flatten] [--no-cache]

Synthesizes with yosys (system yosys >= 0.40 on PATH, else the embedded WebAssembly build) using
synth_xilinx -family xc7 -noiopad -noclkbuf -flatten, and prints resources, utilization on the board and a
timing ESTIMATE (post-synthesis, no place & route). Yosys outputs are cached in ~/.cache/accelforge/synth/ by content
(sources, script, yosys version); --no-cache forces a fresh run.
`;

/** Module names declared in Verilog text (comments stripped). */
export function declaredModules(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');
  return [...code.matchAll(/\bmodule\s+([A-Za-z_][A-Za-z0-9_$]*)/g)].map((m) => m[1]!);
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseCommand('synth', argv, {
    top: { type: 'string' },
    board: { type: 'string', default: 'xc7z020' },
    json: { type: 'string' },
    netlist: { type: 'string' },
    'no-flatten': { type: 'boolean', default: false },
    'no-cache': { type: 'boolean', default: false },
  }, USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length === 0) fail('synth', 'no Verilog files given: accelforge synth <file.v ...> --top <module>');
  if (!values.top) fail('--top', 'missing: name the top module (accelforge synth <file.v ...> --top <module>)');
  const board = loadBoard(values.board);
  const files = new Map<string, string>();
  for (const p of positionals) {
    if (!/\.(v|sv|vh|svh)$/i.test(p)) fail(p, 'not a Verilog file (expected .v or .sv)');
    try {
      files.set(p, await readFile(p, 'utf8'));
    } catch (e) {
      fail(p, `cannot read Verilog file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const modules = [...files.values()].flatMap(declaredModules);
  if (!modules.includes(values.top)) {
    fail('--top', `module '${values.top}' is not declared in the given files (found: ${modules.join(', ') || 'none'})`);
  }
  const report = await synthesize({
    files,
    top: values.top,
    keepNetlist: Boolean(values.netlist),
    noFlatten: values['no-flatten'],
    cache: !values['no-cache'],
  });
  process.stdout.write(formatSynthReport(report, board));
  const util = utilization(report.resources, board);
  for (const w of util.warnings) process.stderr.write(`accelforge: warning: ${w}\n`);
  if (values.json) await writeFileAtomic(values.json, `${JSON.stringify(synthReportJson(report, board), null, 2)}\n`);
  if (values.netlist && report.netlist !== undefined) await writeFileAtomic(values.netlist, report.netlist);
}
