/**
 * `accelforge doctor`: the versions of the tools accelforge runs, and which yosys synthesis will use.
 * Exits non-zero when a required simulator is missing, with the command that installs it.
 */
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { UserError } from '../util/errors.js';
import { GENERATOR_VERSION } from '../version.js';

async function toolVersion(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await execa(cmd, args, { reject: false, all: true, timeout: 20_000 });
    if (r.exitCode !== 0 && !r.all) return undefined;
    const line = (r.all ?? '').split('\n').find((l) => l.trim().length > 0);
    return line?.trim();
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, strict: true });
  const verilator = await toolVersion('verilator', ['--version']);
  const iverilog = await toolVersion('iverilog', ['-V']);
  const { yosysInfo, describeYosys } = await import('../synth/index.js');
  let yosysLine: string;
  let yosysNote = '';
  let yosysOk = true;
  try {
    const info = await yosysInfo();
    yosysLine = describeYosys(info.selected);
    yosysNote = info.systemNote ?? '';
  } catch (e) {
    yosysOk = false;
    yosysLine = `NONE (${(e as Error).message.split('\n')[0]})`;
  }
  const rows: [string, string][] = [
    ['accelforge', GENERATOR_VERSION],
    ['node', process.version],
    ['verilator', verilator ?? 'NOT FOUND (apt-get install -y verilator)'],
    ['iverilog', iverilog ?? 'NOT FOUND (apt-get install -y iverilog)'],
    ['yosys used', yosysLine],
    ['system yosys', yosysNote || '-'],
  ];
  if (values.json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
  } else {
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  }
  const missing = [!verilator && 'verilator', !iverilog && 'iverilog'].filter(Boolean);
  if (missing.length) throw new UserError(`${missing.join(' and ')} not found: run 'apt-get update && apt-get install -y ${missing.join(' ')}' (or 'npm run setup' as root)`);
  if (!yosysOk) throw new UserError(`no usable yosys: run 'npm install' to get @yowasp/yosys`);
}
