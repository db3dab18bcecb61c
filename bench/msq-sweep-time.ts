/**
 * Benchmark: time and peak memory of `accelforge msq sweep` (the MSQ core's board sizing from the recorded lane
 * slices), one child process per board under /usr/bin/time -v: CPU seconds (user + system), wall seconds, peak RSS,
 * configurations evaluated, the chosen core and its ResNet-18 latency (cycle model). Issue 10 item 4: the sizing
 * search prices every candidate with the real compiler; target within ~1.5x of the shape-level planner it replaced.
 *
 *   npx tsx bench/msq-sweep-time.ts [--boards xc7z020,xc7z045] [--n 16,32,64] [--sp2-act-bits 4,8]
 *        [--label compiler] [--root DIR (another checkout to time, e.g. the planner's)] [--logs DIR (parse logs of
 *        these same commands instead of running them)]
 *
 * Writes bench/results/msq-sweep-time.json (date, machine, load average); rows of other labels / boards are kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/util/fsx.js';
import { PROJECT_ROOT } from '../src/version.js';

const { values } = parseArgs({
  options: {
    boards: { type: 'string', default: 'xc7z020,xc7z045' },
    n: { type: 'string' },
    'sp2-act-bits': { type: 'string' },
    label: { type: 'string', default: 'compiler' },
    root: { type: 'string', default: PROJECT_ROOT },
    logs: { type: 'string' },
  },
});
const OUT = join(PROJECT_ROOT, 'bench', 'results', 'msq-sweep-time.json');
const root = values.root!;
const extra = [...(values.n ? ['--n', values.n] : []), ...(values['sp2-act-bits'] ? ['--sp2-act-bits', values['sp2-act-bits']] : [])];
const tag = extra.length ? extra.join(' ') : 'defaults';

type Json = Record<string, unknown>;
const rows: Json[] = [];
for (const board of values.boards!.split(',')) {
  const dir = values.logs ?? mkdtempSync(join(tmpdir(), 'msq-sweep-time-'));
  const base = join(dir, `sweep-${board}${extra.length ? `-${extra.join('').replace(/[^0-9a-z]/gi, '')}` : ''}`);
  const args = ['-v', 'node', join(root, 'bin', 'accelforge.mjs'), 'msq', 'sweep', '--board', board, '--slices', join(root, 'bench', 'results', 'msq-core-slices.json'), '--json', `${base}.json`, ...extra];
  if (!values.logs) {
    const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`msq sweep --board ${board} failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
    writeFileSync(`${base}.txt`, r.stdout);
    writeFileSync(`${base}.time`, r.stderr);
  }
  // /usr/bin/time -v's report (stderr of the run)
  const time = readFileSync(`${base}.time`, 'utf8');
  const num = (re: RegExp): number => Number(re.exec(time)?.[1] ?? NaN);
  const j = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { evaluated: number; best: { config: Json; resnet18: { ms: number } }; fixedOnly: { config: Json; resnet18: { ms: number } } | null; runnersUp: { config: Json; resnet18: { ms: number } }[] };
  rows.push({
    label: values.label,
    board,
    options: tag,
    command: `/usr/bin/time ${args.join(' ')}`,
    cpuSeconds: Math.round((num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) * 100) / 100,
    wall: /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(time)?.[1] ?? null,
    maxRssMB: Math.round(num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024),
    evaluated: j.evaluated,
    best: j.best.config,
    resnet18Ms: j.best.resnet18.ms,
    runnersUp: j.runnersUp.slice(0, 5).map((c) => ({ ...c.config, resnet18Ms: c.resnet18.ms })),
    fixedOnly: j.fixedOnly ? { ...j.fixedOnly.config, resnet18Ms: j.fixedOnly.resnet18.ms } : null,
    date: new Date().toISOString(),
  });
}
const prev = existsSync(OUT) ? ((JSON.parse(readFileSync(OUT, 'utf8')) as { rows?: Json[] }).rows ?? []) : [];
const key = (r: Json): string => `${String(r.label)}|${String(r.board)}|${String(r.options)}`;
const keep = prev.filter((r) => !rows.some((x) => key(x) === key(r)));
await writeFileAtomic(OUT, JSON.stringify({
  kind: 'msq-sweep-time',
  machine: { host: hostname(), cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
  note: 'CPU seconds under a shared, loaded machine (load 40-57 on 2 cores while measured): compare rows measured the same session',
  rows: [...keep, ...rows],
}, null, 2) + '\n');
for (const r of rows) process.stdout.write(`${String(r.label)} ${String(r.board)} (${tag}): ${String(r.cpuSeconds)} s CPU, ${String(r.wall)} wall, ${String(r.maxRssMB)} MB, ${String(r.evaluated)} evaluated, ResNet-18 ${String(r.resnet18Ms)} ms\n`);
