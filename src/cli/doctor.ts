/**
 * `accelforge doctor`: the versions of the tools accelforge runs (found by src/tools), and which yosys synthesis
 * will use. Exits non-zero when a required simulator is missing, with the command that installs it.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../util/errors.js';
import { GENERATOR_VERSION } from '../version.js';
import { TOOLS, installHint, lookupTool, type ToolName } from '../tools/find.js';
import { describeYosys, yosysInfo } from '../tools/yosys.js';

const REQUIRED: ToolName[] = ['verilator', 'iverilog', 'vvp'];
const OPTIONAL: ToolName[] = ['tclsh', 'chromium'];

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, strict: true });
  const rows: [string, string][] = [['accelforge', GENERATOR_VERSION], ['node', process.version]];
  const missing: ToolName[] = [];
  for (const name of [...REQUIRED, ...OPTIONAL]) {
    const p = await lookupTool(name);
    if (p.ok) rows.push([name, `${p.tool.line} (${p.tool.path})`]);
    else {
      rows.push([name, `${REQUIRED.includes(name) ? 'NOT FOUND' : 'not found (optional)'}: ${p.reason} — ${installHint(name)} (${TOOLS[name].use})`]);
      if (REQUIRED.includes(name)) missing.push(name);
    }
  }
  let yosysOk = true;
  try {
    const info = await yosysInfo();
    rows.push(['yosys used', describeYosys(info.selected)], ['system yosys', info.systemNote || '-']);
  } catch (e) {
    yosysOk = false;
    rows.push(['yosys used', `NONE (${(e as Error).message.split('\n')[0]})`]);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
  } else {
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  }
  const pkgs = [...new Set(missing.map((n) => TOOLS[n].apt))];
  if (missing.length) throw new UserError(`${missing.join(' and ')} not found: run 'apt-get update && apt-get install -y ${pkgs.join(' ')}' (or 'npm run setup' as root)`);
  if (!yosysOk) throw new UserError(`no usable yosys: run 'npm install' to get @yowasp/yosys`);
}
