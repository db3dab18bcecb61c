/**
 * `accelforge export <design-folder> --board pynq-z2|zc706 -o <folder> [--top NAME] [--clock MHZ]`
 */
import { parseArgs } from 'node:util';
import { fail, UserError } from '../util/errors.js';
import { exportDesign } from './index.js';

const USAGE = `usage: accelforge export <design-folder> --board pynq-z2|zc706 -o <folder> [--top NAME] [--clock MHZ] [--model M.q.json] [--no-check]

Writes a Vivado project script (build.tcl), constraints, the Zynq wrapper, a PYNQ driver (driver.py) and a README.
The design folder is the output of 'ccl gen' / 'msq build' (design.json, or derived from the Verilog ports), or of
'msq build --core': then driver.py runs the whole model (program.json + program.npz from --model, default
<folder>/model.q.json, checked against the folder's s_wgt.hex).
Self-checks (Tcl under tclsh with stubbed Vivado commands, verilator lint of the wrapper, driver compile) run
unless --no-check. Vivado is not run: see the README in the output folder.`;

export async function run(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        board: { type: 'string' }, out: { type: 'string', short: 'o' }, top: { type: 'string' },
        clock: { type: 'string' }, model: { type: 'string' }, 'no-check': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UserError(`export: ${((e as Error).message ?? '').split('\n')[0]}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (positionals.length !== 1) fail('design folder', positionals.length === 0 ? 'missing: give the folder written by ccl gen / msq build' : `give exactly one folder, got ${positionals.length}`);
  if (!v.board) fail('--board', 'missing: give pynq-z2 or zc706');
  if (!v.out) fail('-o', 'missing: give the output folder (-o DIR)');
  let clockMHz: number | undefined;
  if (v.clock !== undefined) {
    clockMHz = Number(v.clock);
    if (!Number.isFinite(clockMHz) || clockMHz <= 0 || clockMHz > 500) fail('--clock', `must be a frequency in MHz (0 < f ≤ 500), got '${v.clock}'`);
  }
  const r = await exportDesign({ designDir: positionals[0]!, board: v.board, out: v.out, ...(v.top ? { top: v.top } : {}), ...(clockMHz !== undefined ? { clockMHz } : {}), ...(v.model ? { model: v.model } : {}), check: !v['no-check'] });
  process.stdout.write(`exported ${r.manifest.top} (${r.manifest.kind}${r.derived ? ', interfaces derived from the Verilog ports' : ''}) for ${r.board.board} (${r.board.part}) at ${r.manifest.clock.mhz} MHz\n`);
  process.stdout.write(`wrote ${r.files.length} files to ${v.out}: build.tcl, constraints.xdc, driver.py, README.md, rtl/${r.plan.file}, ...\n`);
  if (r.core) process.stdout.write(`program: ${r.core.program.jobs.length} jobs of ${r.core.program.model} (${r.core.modelPath}) as program.json + program.npz; driver.py: Accelerator().run_model(x)\n`);
  for (const c of r.checks) process.stdout.write(`check ${c.name}: ${c.status} (${c.detail})\n`);
  process.stdout.write(`next: cd ${v.out} && vivado -mode batch -source build.tcl   (not run here: Vivado step unverified)\n`);
}
