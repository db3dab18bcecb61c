/**
 * `accelforge demo`: the main job on built-in examples — generate, lint, simulate on both simulators against the
 * golden models with random stalls, synthesize, and write RTL + reports to rtl-out/demo/<step>/.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { loadBoard } from '../board/index.js';
import { writeDirAtomic } from '../util/fsx.js';
import { fail } from '../util/errors.js';
import type { DemoStep } from '../demo/types.js';

async function steps(): Promise<DemoStep[]> {
  const { macStep } = await import('../demo/mac.js');
  const { cclStep, cclTrackStep } = await import('../demo/ccl.js');
  const { msqStep } = await import('../demo/msq.js');
  return [macStep, cclStep, cclTrackStep, msqStep];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { board: { type: 'string', default: 'xc7z020' }, out: { type: 'string', short: 'o', default: 'rtl-out/demo' }, only: { type: 'string' } },
    strict: true,
  });
  const board = loadBoard(values.board!);
  const all = await steps();
  const chosen = values.only ? all.filter((s) => s.name === values.only) : all;
  if (chosen.length === 0) fail('--only', `no demo step '${values.only}'; steps: ${all.map((s) => s.name).join(', ')}`);
  const outRoot = resolve(values.out!);
  process.stdout.write(`accelforge demo → ${outRoot} (board ${board.board}, ${board.part})\n`);
  for (const step of chosen) {
    const t0 = Date.now();
    process.stdout.write(`\n[${step.name}] ${step.title}\n`);
    const lines = await writeDirAtomic(join(outRoot, step.name), (dir) => step.run(dir, board));
    for (const l of lines) process.stdout.write(`  ${l}\n`);
    process.stdout.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${join(outRoot, step.name)}\n`);
  }
}
