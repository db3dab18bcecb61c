/**
 * `accelforge export <design-folder> --board pynq-z2|zc706 -o <folder> [--clock MHZ] [--no-check]`
 */
import { parseCommand } from '../util/cli.js';
import { fail } from '../util/errors.js';
import { exportDesign } from './index.js';

const USAGE = `usage: accelforge export <design-folder> --board pynq-z2|zc706 -o <folder> [--clock MHZ] [--no-check]

Writes a Vivado project script (build.tcl), constraints, the Zynq wrapper, a PYNQ driver (driver.py) and a README
for a design folder written by 'ccl gen' or 'msq build' (it reads the folder's design.json; the core's host runtime,
e.g. the MSQ core's run_model with program.npz, comes with it).
--clock: the fabric clock in MHz (10..250), rounded to the nearest one the PS7's FCLK0 can make (1000 MHz / integers).
Self-checks (Tcl under tclsh with stubbed Vivado commands, verilator lint of the wrapper, driver compile) run
unless --no-check. Vivado is not run: see the README in the output folder.`;

export async function run(argv: string[]): Promise<void> {
  const parsed = parseCommand('export', argv, {
    board: { type: 'string' }, out: { type: 'string', short: 'o' }, clock: { type: 'string' }, 'no-check': { type: 'boolean' },
  }, USAGE);
  if (!parsed) return;
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) fail('design folder', positionals.length === 0 ? 'missing: give the folder written by ccl gen / msq build' : `give exactly one folder, got ${positionals.length}`);
  if (!v.board) fail('--board', 'missing: give pynq-z2 or zc706');
  if (!v.out) fail('-o', 'missing: give the output folder (-o DIR)');
  let clockMHz: number | undefined;
  if (v.clock !== undefined) {
    clockMHz = Number(v.clock);
    if (!/^\s*[0-9.]+\s*$/.test(v.clock) || !Number.isFinite(clockMHz) || clockMHz <= 0) fail('--clock', `must be a frequency in MHz, got '${v.clock}'`);
  }
  const r = await exportDesign({ designDir: positionals[0]!, board: v.board, out: v.out, ...(clockMHz !== undefined ? { clockMHz } : {}), check: !v['no-check'] });
  const c = r.clock;
  if (c.requestedMHz !== undefined) process.stdout.write(`clock: ${c.requestedMHz} MHz is not a clock the PS7 can make: using ${c.mhz} MHz (IO PLL 1000 MHz / ${c.divisors[0]} / ${c.divisors[1]}), the nearest\n`);
  process.stdout.write(`exported ${r.manifest.top} for ${r.board.board} (${r.board.part}) at ${c.mhz} MHz\n`);
  process.stdout.write(`wrote ${r.files.length} files to ${v.out}: build.tcl, constraints.xdc, driver.py, README.md, rtl/${r.plan.file}, ...\n`);
  for (const u of r.manifest.runtime?.usage ?? []) process.stdout.write(`driver.py: ${u}\n`);
  for (const ch of r.checks) process.stdout.write(`check ${ch.name}: ${ch.status} (${ch.detail})\n`);
  process.stdout.write(`next: cd ${v.out} && vivado -mode batch -source build.tcl   (not run here: Vivado step unverified)\n`);
}
