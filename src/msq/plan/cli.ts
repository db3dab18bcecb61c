/**
 * `accelforge msq plan model.onnx --board B [--calib DIR|mnist|fashion-mnist|none|generate] [--json plan.json]
 *                    [--max-ms X] [--max-kb Y] [--report DIR]`
 * Prints the front's size, the pick and what was left out; --json writes plan.json (front + pick), --report a
 * report (plan.json / .md / .html with the front's 2-D projections). Nothing is written on an error.
 */
import { parseCommand } from '../../util/cli.js';
import { fail } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fsx.js';
import { loadBoard } from '../../board/index.js';
import { loadOnnx } from '../onnx.js';
import { buildSpace } from './space.js';
import { generateSteps, planSamples, sampleCount } from './samples.js';
import { planJson, planModel, type PlanResult } from './index.js';

export const PLAN_USAGE =
  'usage: accelforge msq plan model.onnx --board xc7z020 [--calib <folder>|mnist|fashion-mnist|IMAGES.idx3-ubyte|none|generate] ' +
  '[--json plan.json] [--max-ms X] [--max-kb Y] [--report DIR]';

function positive(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) fail(field, `must be a positive number, got '${v}'`);
  return x;
}

/** One line per layer of a point. */
export function describePoint(r: PlanResult): string[] {
  return Object.entries(r.pick.layers).map(([n, c]) => `  ${n.padEnd(20)} W${c.w} ${c.scheme.padEnd(5)} A${c.a}`);
}

export async function runPlan(argv: string[]): Promise<void> {
  const parsed = parseCommand('msq plan', argv, {
    board: { type: 'string' },
    calib: { type: 'string' },
    json: { type: 'string' },
    'max-ms': { type: 'string' },
    'max-kb': { type: 'string' },
    report: { type: 'string' },
  }, PLAN_USAGE);
  if (!parsed) return;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) fail('model', `give exactly one ONNX file (${PLAN_USAGE})`);
  if (!values.board) fail('--board', 'required: the board whose preset core prices the latency (e.g. --board xc7z020)');
  const board = loadBoard(values.board);
  const maxMs = positive(values['max-ms'], '--max-ms');
  const maxKb = positive(values['max-kb'], '--max-kb');
  const imp = await loadOnnx(positionals[0]!);
  const fm = imp.model;
  const macs = buildSpace(fm).layers.reduce((a, l) => a + l.macs, 0);
  const { samples, what } = await planSamples(fm, values.calib, sampleCount(macs), { bnStats: imp.bnStats, steps: generateSteps(macs) });
  const r = planModel(fm, { board, samples, maxMs, maxKb });
  for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
  const p = r.pick;
  process.stdout.write(
    `planned ${positionals[0]} for ${board.id} (sensitivity from ${what}): front of ${r.front.length} points\n` +
      `pick (knee): ${p.ms.toFixed(3)} ms (${p.cycles.toLocaleString('en-US')} cycles at ${board.defaultClockMHz} MHz, cycle model with the board's DDR assumption), ` +
      `${(p.sizeBytes / 1024).toFixed(1)} kB weights, ${(p.bops / 1e9).toFixed(3)} GBOPs, perturbation ${p.perturbation.toPrecision(3)}\n${describePoint(r).join('\n')}\n`,
  );
  if (values.json) await writeFileAtomic(values.json, `${JSON.stringify(planJson(r), null, 1)}\n`);
  if (values.report) {
    const { writePlanReport } = await import('./report.js');
    const paths = await writePlanReport(values.report, r, positionals[0]!);
    process.stdout.write(`report: ${paths.join(', ')}\n`);
  }
}
